"""The installed package: typed (py.typed + a stub that matches the extension module)."""

import ast
import inspect
from pathlib import Path

import relay
import relay._relay as native

STUB = Path(relay.__file__).with_name("_relay.pyi")


def typed_dicts() -> set[str]:
    """Classes of the stub that only describe data (TypedDicts): they do not exist at runtime."""
    tree = ast.parse(STUB.read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.ClassDef) and any(getattr(b, "id", None) == "TypedDict" for b in node.bases)
    }


def stub_members() -> dict[str, set[str]]:
    tree = ast.parse(STUB.read_text())
    members: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            members[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
        elif isinstance(node, ast.FunctionDef):
            members[node.name] = set()
    return members


def test_the_package_is_marked_typed():
    assert Path(relay.__file__).with_name("py.typed").exists()
    assert STUB.exists()


def test_the_stub_declares_exactly_what_the_extension_module_exports():
    stub = stub_members()
    exported = {name for name in dir(native) if not name.startswith("_")}
    assert exported == set(stub) - typed_dicts()
    for name in exported:
        if not inspect.isclass(getattr(native, name)):
            continue
        public = {m for m in vars(getattr(native, name)) if not m.startswith("_")}
        declared = {m for m in stub[name] if not m.startswith("_")}
        assert public == declared, name


def test_relay_reexports_everything_public():
    assert set(relay.__all__) == {name for name in dir(native) if not name.startswith("_")}
    assert inspect.isclass(relay.Workspace)
