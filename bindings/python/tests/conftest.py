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
