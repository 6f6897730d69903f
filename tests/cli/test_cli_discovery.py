"""``mcpscan scan`` with no target, ``mcpscan discover``, and ``mcpscan scan DIR``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import (
    EXAMPLES,
    PINNED,
    UNPINNED,
    CliFn,
    Workspace,
    line_of,
    run_subprocess,
    table_rows,
    write_json,
)


def _fake_home(home: Path) -> tuple[Path, Path]:
    cursor = write_json(
        home / ".cursor" / "mcp.json",
        {"mcpServers": {"cursor-pinned": PINNED, "cursor-unpinned": UNPINNED}},
    )
    claude = write_json(
        home / ".claude.json",
        {
            "mcpServers": {"claude-user": PINNED},
            "projects": {"/home/me/app": {"mcpServers": {"claude-local": PINNED}}},
        },
    )
    # Present but without MCP section: must not be listed.
    write_json(home / ".config" / "Code" / "User" / "settings.json", {"editor.fontSize": 14})
    return cursor, claude


def test_scan_without_target_scans_the_user_configs(cli: CliFn, workspace: Workspace) -> None:
    cursor, claude = _fake_home(workspace.home)
    run = cli("scan", "-f", "json")
    assert run.code == 1  # cursor-unpinned
    report = run.json()
    assert sorted(report["targets"]) == sorted([str(cursor), str(claude)])
    found = {c["name"]: c["source"] for c in report["connectors"]}
    assert found.keys() == {"cursor-pinned", "cursor-unpinned", "claude-user", "claude-local"}
    assert found["cursor-pinned"]["client"] == "cursor"
    assert found["claude-user"]["client"] == "claude-code"
    assert found["claude-local"]["client"] == "claude-code"
    assert found["cursor-unpinned"]["file"] == str(cursor)
    assert found["cursor-unpinned"]["line"] == line_of(cursor, '"cursor-unpinned"')
    by_name = {c["name"]: c for c in report["connectors"]}
    assert {f["rule_id"] for f in by_name["cursor-unpinned"]["findings"]} == {"SC01"}


def test_scan_without_target_includes_the_project_in_cwd(cli: CliFn, workspace: Workspace) -> None:
    _fake_home(workspace.home)
    write_json(workspace.cwd / ".mcp.json", {"mcpServers": {"project-server": PINNED}})
    report = cli("scan", "-f", "json").json()
    project = next(c for c in report["connectors"] if c["name"] == "project-server")
    assert project["source"]["file"] == ".mcp.json"
    assert project["source"]["scope"] == "project"


def test_discover_lists_configs_and_connectors(cli: CliFn, workspace: Workspace) -> None:
    cursor, claude = _fake_home(workspace.home)
    table = cli("discover")
    as_json = cli("discover", "-f", "json")
    assert table.code == as_json.code == 0
    rows = {row[2]: row for row in table_rows(table.stdout)}
    assert rows.keys() == {str(cursor), str(claude)}
    assert rows[str(cursor)] == ["cursor", "user", str(cursor), "cursor-pinned,cursor-unpinned"]
    assert rows[str(claude)][:2] == ["claude-code", "user"]
    assert set(rows[str(claude)][3].split(",")) == {"claude-user", "claude-local"}
    configs = {c["path"]: c for c in as_json.json()["configs"]}
    assert configs.keys() == {str(cursor), str(claude)}
    assert configs[str(cursor)]["client"] == "cursor"
    assert configs[str(cursor)]["scope"] == "user"
    assert configs[str(claude)]["client"] == "claude-code"
    assert [c["name"] for c in configs[str(cursor)]["connectors"]] == [
        "cursor-pinned",
        "cursor-unpinned",
    ]
    assert configs[str(cursor)]["connectors"][1]["line"] == line_of(cursor, '"cursor-unpinned"')
    assert {c["name"] for c in configs[str(claude)]["connectors"]} == {
        "claude-user",
        "claude-local",
    }


def test_discover_with_nothing_found(cli: CliFn) -> None:
    table = cli("discover")
    as_json = cli("discover", "-f", "json")
    assert table.code == as_json.code == 4
    assert "No MCP client configs found" in table.stdout
    assert as_json.json() == {"configs": []}


def test_discover_rejects_an_unknown_format(cli: CliFn) -> None:
    run = cli("discover", "-f", "yaml")
    assert run.code == 2
    assert "unknown format" in run.stderr


def test_discover_takes_a_project_directory(cli: CliFn, workspace: Workspace) -> None:
    repo = workspace.cwd / "repo"
    write_json(repo / ".vscode" / "mcp.json", {"servers": {"vs": PINNED}})
    configs = cli("discover", repo, "-f", "json").json()["configs"]
    assert [(c["client"], c["scope"]) for c in configs] == [("vscode", "project")]


def test_discover_does_not_interpret_names_as_markup(cli: CliFn, workspace: Workspace) -> None:
    # A connector name is config text: rich markup in it must be shown, not parsed (a "[/]"
    # used to crash the table).
    write_json(
        workspace.home / ".cursor" / "mcp.json",
        {"mcpServers": {"[/oops]": PINNED, "[bold red]x": PINNED, "esc\x1b[2Jape": PINNED}},
    )
    run = cli("discover")
    assert run.code == 0, run.stderr
    assert "[/oops]" in run.stdout
    assert "[bold red]x" in run.stdout
    assert "\x1b" not in run.stdout


def test_discovery_in_a_real_process(workspace: Workspace) -> None:
    cursor, claude = _fake_home(workspace.home)
    scan = run_subprocess("scan", "-f", "json", cwd=workspace.cwd, home=workspace.home)
    listed = run_subprocess("discover", cwd=workspace.cwd, home=workspace.home)
    assert scan.code == 1, scan.stderr
    assert sorted(scan.json()["targets"]) == sorted([str(cursor), str(claude)])
    assert listed.code == 0
    assert {row[2] for row in table_rows(listed.stdout)} == {str(cursor), str(claude)}


# -- a repository directory ----------------------------------------------------------------


def _repo(root: Path) -> Path:
    repo = root / "repo"
    write_json(repo / ".mcp.json", {"mcpServers": {"claude-proj": PINNED}})
    write_json(
        repo / ".vscode" / "mcp.json",
        {
            "inputs": [{"type": "promptString", "id": "k", "password": True}],
            "servers": {
                "vs-unpinned": UNPINNED,
                "vs-remote": {
                    "type": "http",
                    "url": "https://mcp.example.com/mcp",
                    "headers": {"Authorization": "Bearer ${input:k}"},
                },
            },
        },
    )
    write_json(repo / "package.json", {"name": "not-a-config"})
    return repo


def test_scan_a_repository_directory(cli: CliFn, workspace: Workspace) -> None:
    repo = _repo(workspace.cwd)
    run = cli("scan", "repo", "-f", "json")
    assert run.code == 1
    sources = {c["name"]: c["source"] for c in run.json()["connectors"]}
    assert sources == {
        "claude-proj": {
            "file": "repo/.mcp.json",
            "line": line_of(repo / ".mcp.json", '"claude-proj"'),
            "client": "claude-code",
            "key": "mcpServers.claude-proj",
            "scope": "project",
        },
        "vs-unpinned": sources["vs-unpinned"]
        | {"file": "repo/.vscode/mcp.json", "client": "vscode", "scope": "project"},
        "vs-remote": sources["vs-remote"]
        | {"file": "repo/.vscode/mcp.json", "client": "vscode", "scope": "project"},
    }
    report = run.json()
    by_name = {c["name"]: c for c in report["connectors"]}
    assert by_name["vs-remote"]["findings"] == []  # ${input:k} is not a literal secret
    assert [f["rule_id"] for f in by_name["vs-unpinned"]["findings"]] == ["SC01"]


def test_scan_dot_from_inside_the_repository(cli: CliFn, workspace: Workspace) -> None:
    repo = _repo(workspace.cwd)
    run = cli("scan", ".", "-f", "json", cwd=repo)
    assert run.code == 1
    assert {c["source"]["file"] for c in run.json()["connectors"]} == {
        ".mcp.json",
        ".vscode/mcp.json",
    }


def test_examples_directory_scans_as_a_repository(cli: CliFn) -> None:
    # examples/ holds server.json at its root: a directory target reads it.
    report = cli("scan", EXAMPLES, "-f", "json").json()
    assert {c["source"]["client"] for c in report["connectors"]} == {"mcp-registry"}


def test_scan_keeps_the_client_and_scope_discovery_found(
    cli: CliFn, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A config named by OPENCODE_CONFIG may have any file name: only discovery knows that it
    # is opencode's and that it is the user's.
    custom = workspace.home / "dotfiles" / "agent.json"
    custom.parent.mkdir()
    custom.write_bytes((EXAMPLES / "opencode" / "opencode.json").read_bytes())
    monkeypatch.setenv("OPENCODE_CONFIG", str(custom))
    (listed,) = cli("discover", "-f", "json").json()["configs"]
    assert (listed["client"], listed["scope"]) == ("opencode", "user")
    report = cli("scan", "-f", "json").json()
    assert report["targets"] == [str(custom)]
    assert report["connectors"]
    for c in report["connectors"]:
        assert (c["source"]["client"], c["source"]["scope"]) == ("opencode", "user")
