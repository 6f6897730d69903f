"""``--recursive``: a monorepo's nested project configs are read; vendored, build and hidden
trees are not walked, links are not followed, and a walk cut short is an incomplete scan."""

from __future__ import annotations

import json

import pytest

from mcpscan.sources.walk import project_dirs

from .conftest import CliFn, Workspace, write_json


def server(name: str) -> dict[str, object]:
    return {"mcpServers": {name: {"command": "npx", "args": ["-y", f"{name}@1.0.0"]}}}


@pytest.mark.timeout(20)
def test_nested_project_configs_are_read_only_with_recursive(
    cli: CliFn, workspace: Workspace
) -> None:
    repo = workspace.cwd / "repo"
    write_json(repo / ".mcp.json", server("top"))
    write_json(repo / "packages" / "a" / ".mcp.json", server("a"))
    write_json(
        repo / "packages" / "b" / ".vscode" / "mcp.json", {"servers": server("b")["mcpServers"]}
    )
    write_json(repo / "node_modules" / "dep" / ".mcp.json", server("vendored"))
    write_json(repo / ".git" / "x" / ".mcp.json", server("hidden"))
    (repo / "packages" / "loop").symlink_to(repo)  # never followed

    flat = cli("scan", repo, "-f", "json", "--fail-on", "critical")
    assert [c["name"] for c in json.loads(flat.stdout)["connectors"]] == ["top"]

    deep = cli("scan", repo, "-f", "json", "--recursive", "--fail-on", "critical")
    report = json.loads(deep.stdout)
    assert sorted(c["name"] for c in report["connectors"]) == ["a", "b", "top"]
    files = {c["name"]: c["source"]["file"] for c in report["connectors"]}
    assert files["a"] == "repo/packages/a/.mcp.json"
    assert report["incomplete"] is False


def test_the_walk_is_bounded(tmp_path: pytest.TempPathFactory) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    deep = root
    for i in range(12):
        deep = deep / f"d{i}"
    deep.mkdir(parents=True)
    found, stopped = project_dirs(root, max_depth=4)
    assert len(found) == 5
    assert stopped == "directories deeper than 4 levels were not read"
    for i in range(30):
        (root / f"w{i}").mkdir()
    found, stopped = project_dirs(root, max_dirs=10)
    assert len(found) == 10
    assert stopped == "stopped after 10 directories; the rest were not read"


@pytest.mark.timeout(20)
def test_a_lockfile_that_is_a_fifo_does_not_hang_the_scan(
    cli: CliFn, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    project = workspace.cwd / "proj"
    write_json(project / ".mcp.json", server("fine-mcp"))
    os.mkfifo(project / "package-lock.json")
    monkeypatch.setenv("MCPSCAN_RESOLVE", "true")
    # -f json: no table on stdout, so the diagnostics are on stderr.
    run = cli("scan", project, "-f", "json", "--offline", "--cache-dir", workspace.cwd / "cache")
    assert "package-lock.json: cannot read lockfile: it is a FIFO (named pipe)" in run.stderr
    assert run.code == 3  # offline, nothing cached
