"""Environments from Python: the local provider on a real workspace (real directories, clones
and processes) and the Proxmox provider against the fake PVE API (relay-testkit proxmox)."""

from pathlib import Path
from typing import Any

import pytest

import relay


@pytest.fixture
def envs(workspace_dir: Path, tmp_path: Path) -> relay.Environments:
    ws = relay.Workspace.open(workspace_dir)
    return relay.Environments.open(provider="local", workspace=ws, local_root=tmp_path / "envs")


def sh(line: str) -> list[str]:
    return ["sh", "-c", line]


async def test_local_environment_lifecycle(envs: relay.Environments, tmp_path: Path):
    assert envs.provider == "local"
    assert repr(envs) == "<relay.Environments provider='local'>"
    job = envs.up("dev")
    events = [e async for e in job]
    env = await job.wait()
    assert (env["name"], env["provider"], env["status"]) == ("dev", "local", "running")
    assert events[0]["type"] == "job_started" and events[-1]["status"] == "succeeded"
    # The workspace's repositories were cloned into the environment.
    out = await envs.exec("dev", sh("ls; echo v1 > state.txt"))
    assert out["exit_code"] == 0, out
    assert {"backend", "frontend", "shared-api"} <= set(out["stdout"].split()), out
    assert (await envs.exec("dev", ["cat", "README.md"], cwd="backend"))["stdout"] == "# backend\n"
    assert (await envs.exec("dev", ["cat"], stdin="piped in"))["stdout"] == "piped in"
    failed = await envs.exec("dev", sh("echo oops >&2; exit 3"))
    assert (failed["exit_code"], failed["stderr"]) == (3, "oops\n")

    # Up again keeps the running environment.
    assert (await envs.up("dev").wait())["id"] == env["id"]
    assert [e["name"] for e in await envs.list()] == ["dev"]
    assert (await envs.status("dev"))["status"] == "running"

    snap = await envs.snapshot("dev", "before").wait()
    assert snap["name"] == "before"
    await envs.exec("dev", sh("echo v2 > state.txt; touch extra.txt"))
    rolled = await envs.rollback("dev", "before").wait()
    assert rolled["name"] == "dev"
    assert (await envs.exec("dev", ["cat", "state.txt"]))["stdout"] == "v1\n"
    assert (await envs.exec("dev", ["ls", "extra.txt"]))["exit_code"] != 0, "rollback kept a later file"
    assert [s["name"] for s in await envs.snapshots("dev")] == ["before"]

    stopped = await envs.stop("dev").wait()
    assert stopped["status"] == "stopped"
    assert (await envs.up("dev").wait())["status"] == "running"

    assert await envs.down("dev").wait() is None
    with pytest.raises(relay.InfraError) as info:
        await envs.status("dev")
    assert info.value.code == "not_found"
    assert "dev" in str(info.value)
    assert await envs.list() == []


async def test_local_environment_errors_carry_codes(envs: relay.Environments):
    with pytest.raises(relay.InfraError) as info:
        await envs.exec("ghost", ["true"])
    assert info.value.code == "not_found"
    with pytest.raises(relay.UsageError, match="needs a command"):
        await envs.exec("ghost", [])
    with pytest.raises(relay.UsageError):
        envs.up("dev", kind="vm")
    with pytest.raises(relay.InfraError) as info:
        await envs.up("Bad_Name").wait()
    assert info.value.code == "invalid_request"
    await envs.up("dev").wait()
    with pytest.raises(relay.InfraError) as info:
        await envs.rollback("dev", "never-taken").wait()
    assert "never-taken" in str(info.value)
    assert info.value.code == "invalid_request"
    with pytest.raises(relay.InfraError, match="use proxmox or local") as info:
        relay.Environments.open(provider="docker")
    assert info.value.code == "invalid_request"
    with pytest.raises(TypeError):
        relay.Environments.open(provider="local", workspace="not a workspace")  # type: ignore[arg-type]
    await envs.down("dev").wait()


# --- Proxmox VE (the fake PVE server of relay-testkit) -------------------------------------------

TOKEN_ID = "relay@pve!py"
TOKEN_SECRET = "5b1d6c1e-2f7a-4d0e-9c3b-8a6f4e2d1c0b"
PROXMOX_VARS = (
    "PROXMOX_URL",
    "PROXMOX_NODE",
    "PROXMOX_TOKEN_ID",
    "PROXMOX_TOKEN_SECRET",
    "PROXMOX_USER",
    "PROXMOX_PASSWORD",
    "PROXMOX_CA_FILE",
    "PROXMOX_FINGERPRINT",
    "PROXMOX_INSECURE",
)


@pytest.fixture
def pve(proxmox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The fake PVE API with one QEMU template (9001); its settings in the process environment,
    where the provider reads them (secrets never go through arguments)."""
    ca = tmp_path / "pve-ca.pem"
    info = proxmox("--token", f"{TOKEN_ID}={TOKEN_SECRET}", "--ca-out", str(ca), "--template", "qemu:9001:ubuntu-tmpl")
    for key in PROXMOX_VARS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PROXMOX_URL", info["url"])
    monkeypatch.setenv("PROXMOX_NODE", info["node"])
    monkeypatch.setenv("PROXMOX_TOKEN_ID", TOKEN_ID)
    monkeypatch.setenv("PROXMOX_TOKEN_SECRET", TOKEN_SECRET)
    monkeypatch.setenv("PROXMOX_CA_FILE", str(ca))
    return info


async def test_proxmox_qemu_environment_lifecycle(pve: dict[str, Any]):
    envs = relay.Environments.open(provider="proxmox")
    assert envs.provider == "proxmox"
    job = envs.up("vm", kind="qemu", template="9001", profile="team_lead")
    events = [e async for e in job]
    vm = await job.wait()
    assert (vm["provider"], vm["kind"], vm["status"], vm["cores"]) == ("proxmox", "qemu", "running", 8)
    assert vm["node"] == pve["node"]
    assert events[-1]["status"] == "succeeded"
    assert [e["name"] for e in await envs.list()] == ["vm"]

    out = await envs.exec("vm", sh("echo from-vm; exit 5"))
    assert (out["exit_code"], out["stdout"]) == (5, "from-vm\n")

    assert (await envs.snapshot("vm", "base").wait())["name"] == "base"
    assert [s["name"] for s in await envs.snapshots("vm")] == ["base"]
    assert (await envs.rollback("vm", "base").wait())["name"] == "vm"
    assert (await envs.stop("vm", force=True).wait())["status"] == "stopped"
    await envs.down("vm").wait()
    with pytest.raises(relay.InfraError) as info:
        await envs.status("vm")
    assert info.value.code == "not_found"


async def test_proxmox_rejects_a_wrong_secret_without_echoing_it(pve: dict[str, Any], monkeypatch: pytest.MonkeyPatch):
    wrong = "ffffffff-0000-4000-8000-000000000000"
    monkeypatch.setenv("PROXMOX_TOKEN_SECRET", wrong)
    envs = relay.Environments.open(provider="proxmox")
    with pytest.raises(relay.InfraError) as info:
        await envs.list()
    assert wrong not in str(info.value) and TOKEN_SECRET not in str(info.value)
    assert info.value.code == "auth"
    assert "PROXMOX_TOKEN_SECRET" in str(info.value), "the message says what to check"


def test_missing_proxmox_settings_are_named(monkeypatch: pytest.MonkeyPatch):
    for key in PROXMOX_VARS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PROXMOX_TOKEN_ID", TOKEN_ID)
    with pytest.raises(relay.InfraError) as info:
        relay.Environments.open(provider="proxmox")
    assert info.value.code == "config"
    message = str(info.value)
    assert "PROXMOX_URL" in message and "PROXMOX_TOKEN_SECRET" in message, message
