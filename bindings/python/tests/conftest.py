"""Fixtures: real git repositories in a real workspace, made with the git CLI."""

import os
import subprocess
from pathlib import Path

import pytest

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def git(cwd: Path, *args: str) -> str:
    """Runs git in ``cwd`` and returns its stdout, stripped."""
    done = subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True, text=True)
    return done.stdout.strip()


WORKSPACE_YAML = """\
repositories:
  - name: shared-api
  - name: backend
    dependencies: [shared-api]
  - name: frontend
    dependencies: [backend]
"""


@pytest.fixture
def workspace_dir(tmp_path: Path) -> Path:
    """shared-api <- backend <- frontend, each a git repository with one commit on main."""
    (tmp_path / "relay.yaml").write_text(WORKSPACE_YAML)
    for name in ("shared-api", "backend", "frontend"):
        repo = tmp_path / name
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        (repo / "README.md").write_text(f"# {name}\n")
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", f"start {name}")
    return tmp_path


# --- Test peers and the real `claude` CLI -------------------------------------------------------
#
# The same peers as the Rust tests, started through the `relay-testkit` binary (built by
# scripts/test-bindings.sh); the real `claude` CLI as installed by scripts/setup/claude.sh.
# Nothing is skipped when missing: the tests fail with what to run.

import ctypes
import json
import shutil
import sys
from collections.abc import Callable, Iterator
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]


def _first_file(candidates: list[Path | None]) -> Path | None:
    return next((c for c in candidates if c is not None and c.is_file()), None)


def testkit_bin() -> Path:
    """``RELAY_TESTKIT_BIN``, else ``$CARGO_TARGET_DIR/debug/relay-testkit``, else ``target/debug``."""
    env = os.environ.get("RELAY_TESTKIT_BIN")
    target = os.environ.get("CARGO_TARGET_DIR")
    found = _first_file(
        [
            Path(env) if env else None,
            Path(target) / "debug" / "relay-testkit" if target else None,
            REPO_ROOT / "target" / "debug" / "relay-testkit",
        ]
    )
    if found is None:
        pytest.fail(
            "the relay-testkit binary was not found (checked RELAY_TESTKIT_BIN, $CARGO_TARGET_DIR/debug, "
            "target/debug); build it with `cargo build -p relay-testkit` or run scripts/test-bindings.sh python"
        )
    return found


def claude_bin() -> Path:
    """``RELAY_CLAUDE_BIN``, else ``.tools/npm/bin/claude`` (scripts/setup/claude.sh), else PATH."""
    env = os.environ.get("RELAY_CLAUDE_BIN")
    on_path = shutil.which("claude")
    found = _first_file(
        [
            Path(env) if env else None,
            REPO_ROOT / ".tools" / "npm" / "bin" / "claude",
            Path(on_path) if on_path else None,
        ]
    )
    if found is None:
        pytest.fail(
            "the real `claude` CLI is required but was not found (checked RELAY_CLAUDE_BIN, "
            ".tools/npm/bin/claude, PATH); install it with scripts/setup/claude.sh"
        )
    return found


def claude_env(base_url: str, home: Path) -> dict[str, str]:
    """The CLI's environment against the fake API, with its state under ``home`` (as the Rust
    tests' ``relay_testkit::claude_cli::claude_env``): no retries, no telemetry."""
    return {
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_API_KEY": "test",
        "HOME": str(home),
        "CLAUDE_CONFIG_DIR": f"{home}/.claude",
        "CLAUDE_CODE_MAX_RETRIES": "0",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
    }


class Peer:
    """A running test peer process: ``url`` (or ``info`` for JSON greetings) and ``stop()``."""

    def __init__(self, args: list[str], stdin: bool) -> None:
        self.process = subprocess.Popen(
            [str(testkit_bin()), *args],
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line:
            self.process.wait(timeout=10)
            err = self.process.stderr.read() if self.process.stderr else ""
            pytest.fail(f"relay-testkit {' '.join(args)} exited without greeting: {err}")
        self.greeting = line.strip()

    def stop(self) -> None:
        if self.process.poll() is None:
            if self.process.stdin:
                self.process.stdin.close()  # realtime/proxmox stop when stdin closes
            else:
                self.process.terminate()  # anthropic stops on SIGTERM
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream:
                stream.close()


@pytest.fixture
def anthropic(tmp_path: Path) -> Iterator[Callable[[list[dict[str, Any]]], str]]:
    """Starts the fake Anthropic Messages API with scripted turns; returns its URL."""
    peers: list[Peer] = []

    def start(turns: list[dict[str, Any]]) -> str:
        script = tmp_path / f"anthropic-script-{len(peers)}.json"
        script.write_text(json.dumps({"turns": turns}))
        peer = Peer(["anthropic", "--script", str(script)], stdin=False)
        peers.append(peer)
        return peer.greeting

    yield start
    for peer in peers:
        peer.stop()


@pytest.fixture
def realtime(tmp_path: Path) -> Iterator[Callable[[dict[str, Any]], str]]:
    """Starts the fake OpenAI Realtime server with a scenario; returns its ws:// URL."""
    peers: list[Peer] = []

    def start(scenario: dict[str, Any]) -> str:
        path = tmp_path / f"realtime-scenario-{len(peers)}.json"
        path.write_text(json.dumps(scenario))
        peer = Peer(["realtime", "--scenario", str(path), "--until-stdin-closes"], stdin=True)
        peers.append(peer)
        ready, _, url = peer.greeting.partition(" ")
        assert ready == "READY", peer.greeting
        return url

    yield start
    for peer in peers:
        peer.stop()


@pytest.fixture
def proxmox() -> Iterator[Callable[..., dict[str, Any]]]:
    """Starts the fake Proxmox VE API; returns its greeting (url, node, fingerprint, ca_pem)."""
    peers: list[Peer] = []

    def start(*args: str) -> dict[str, Any]:
        peer = Peer(["proxmox", *args], stdin=True)
        peers.append(peer)
        return json.loads(peer.greeting)

    yield start
    for peer in peers:
        peer.stop()


@pytest.fixture
def github_peer() -> Iterator[dict[str, Any]]:
    """Starts the GitHub peer (relay-testkit github, seeded; see its docs); returns its greeting
    (url, graphql_url, token, viewer). At the end, a request GitHub's API description does not
    allow fails the test."""
    peer = Peer(["github"], stdin=True)
    yield json.loads(peer.greeting)
    stderr = ""
    if peer.process.poll() is None and peer.process.stdin:
        peer.process.stdin.close()
        stderr = peer.process.stderr.read() if peer.process.stderr else ""
    code = peer.process.wait(timeout=10)
    peer.stop()
    assert code == 0, stderr


# --- The process table, as the Rust agent tests check it ---------------------------------------

PR_SET_CHILD_SUBREAPER = 36


@pytest.fixture(scope="session", autouse=True)
def child_subreaper() -> None:
    """Makes this process the reaper of orphans, as the Rust test harness does: where PID 1
    does not reap (this machine's init), processes killed by a cancelled run would otherwise
    stay zombies and the process-table checks could not tell them from survivors."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def processes_in(directory: Path) -> list[dict[str, Any]]:
    """Processes (other than this one) whose working directory is ``directory`` or below it."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = Path(os.readlink(entry / "cwd"))
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(") ", 1)[1][0]
        except (OSError, IndexError):
            continue
        if cwd == directory or directory in cwd.parents:
            found.append({"pid": int(entry.name), "cmdline": cmdline.strip(), "state": state})
    return found


def process_exists(pid: int) -> bool:
    """Whether any entry (even a zombie) is left in /proc for ``pid``."""
    return Path(f"/proc/{pid}").exists()
