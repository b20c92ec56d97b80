"""GitHub from Python against the GitHub peer (relay-testkit github), whose every request is
checked against GitHub's OpenAPI description and GraphQL schema."""

from pathlib import Path
from typing import Any

import pytest

import relay


@pytest.fixture
def ws(tmp_path: Path) -> relay.Workspace:
    import subprocess

    for name in ("api", "app"):
        repo = tmp_path / name
        repo.mkdir()
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    (tmp_path / "relay.yaml").write_text(
        "repositories:\n"
        "  - name: api\n    url: git@github.com:acme/api.git\n"
        "  - name: app\n    github: acme/app\n    dependencies: [api]\n"
    )
    return relay.Workspace.open(tmp_path)


def open_github(ws: relay.Workspace, peer: dict[str, Any]) -> relay.GitHub:
    return relay.GitHub.open(ws, token=peer["token"], api_url=peer["url"], graphql_url=peer["graphql_url"])


async def test_briefing_pull_requests_checks_and_issues(ws: relay.Workspace, github_peer: dict[str, Any]):
    gh = open_github(ws, github_peer)
    briefing = await gh.briefing()
    assert [r["name"] for r in briefing["repos"]] == ["api", "app"]
    kinds = [h["kind"] for h in briefing["highlights"]]
    assert kinds == ["failing_checks", "review_requested", "urgent_issue", "assigned_issues"]
    assert briefing["highlights"][0]["text"] == "api: 1 check failing on main (test)."

    pulls = await gh.pull_requests(review_requested=True)
    assert [(p["name"], p["author"]) for p in pulls] == [("app", "maria")]
    pr = await gh.pull_request("app", pulls[0]["number"])
    assert pr["files"][0] == {"path": "src/login.ts", "status": "added", "additions": 40, "deletions": 0}
    assert "by maria" in pr["summary"]

    checks = await gh.checks("api", "main")
    assert (checks["state"], checks["failing"]) == ("failure", ["test"])
    issues = await gh.issues()
    assert issues[0]["title"] == "Checkout broken" and issues[0]["urgent"]


async def test_writes_and_refusals(ws: relay.Workspace, github_peer: dict[str, Any]):
    gh = open_github(ws, github_peer)
    number = (await gh.pull_requests())[0]["number"]
    review = await gh.review(
        "app", number, "approve", "Nice", comments=[{"path": "src/login.ts", "line": 3, "body": "Use a constant"}]
    )
    assert review["url"]
    opened = await gh.create_pull_requests("rename", "Rename", repos=["app", "api"])
    assert [o["repo"] for o in opened] == ["api", "app"]
    issue = await gh.create_issue("api", "Flaky test", labels=["bug"])
    assert issue["url"].endswith(f"/issues/{issue['number']}")

    with pytest.raises(relay.GitHubError) as refused:
        await gh.merge("no-such-branch")
    assert refused.value.code == "refused"
    with pytest.raises(relay.UsageError):
        await gh.review("app", number, "lgtm")


def test_a_missing_token_names_both_variables(ws: relay.Workspace, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    with pytest.raises(relay.GitHubError) as missing:
        relay.GitHub.open(ws)
    assert missing.value.code == "github_missing_token"
    assert "GITHUB_TOKEN" in str(missing.value) and "GH_TOKEN" in str(missing.value)
