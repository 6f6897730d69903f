"""Exit codes of DESIGN §5: 0 pass, 1 fail, 2 usage/unreadable, 3 incomplete, 4 nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import (
    EXAMPLES,
    PINNED,
    UNPINNED,
    CliFn,
    Workspace,
    rule_ids,
    run_subprocess,
    write_json,
    write_text,
)

SAFE = EXAMPLES / "safe" / ".mcp.json"
RISKY = EXAMPLES / "claude_desktop_config.json"

# Broken on line 4, after two good lines.
MALFORMED_JSON = (
    '{\n  "mcpServers": {\n    "a": {"command": "npx"},\n    "b": {"command" "npx"}\n  }\n}\n'
)


def test_safe_example_passes(cli: CliFn) -> None:
    run = cli("scan", SAFE)
    assert run.code == 0, run.stderr
    assert "PASS" in run.stdout
    assert run.stderr == ""


def test_risky_example_fails(cli: CliFn) -> None:
    run = cli("scan", RISKY, "-f", "json")
    assert run.code == 1
    report = run.json()
    assert report["verdict"] == "fail"
    assert "SC01" in rule_ids(report)


def test_exit_codes_in_a_real_process(workspace: Workspace) -> None:
    # The console entry point (python -m mcpscan) must hand the same codes to the shell.
    def code(*args: str | Path) -> int:
        return run_subprocess("scan", *args, cwd=workspace.cwd, home=workspace.home).code

    bad = write_text(workspace.cwd / "bad.json", MALFORMED_JSON)
    (workspace.cwd / "empty").mkdir()
    assert code(SAFE) == 0
    assert code(RISKY) == 1
    assert code(bad) == 2
    assert code("no-such-file.json") == 2
    assert code(bad, SAFE) == 3
    assert code("empty") == 4


# -- 2: usage ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("-f", "xml"), "unknown format 'xml'"),
        (("--format", "pdf"), "unknown format 'pdf'"),
        (("--fail-on", "bogus"), "--fail-on"),
        (("--fail-on", ""), "--fail-on"),
        (("--no-such-option",), "No such option"),
    ],
)
def test_usage_errors_exit_2(cli: CliFn, args: tuple[str, ...], needle: str) -> None:
    run = cli("scan", SAFE, *args)
    assert run.code == 2
    assert needle in run.stderr
    assert run.stdout == ""


def test_missing_target_exits_2(cli: CliFn) -> None:
    run = cli("scan", "does-not-exist.json")
    assert run.code == 2
    assert "does-not-exist.json" in run.stderr


def test_malformed_file_alone_exits_2_naming_file_and_line(
    cli: CliFn, workspace: Workspace
) -> None:
    write_text(workspace.cwd / "broken.json", MALFORMED_JSON)
    run = cli("scan", "broken.json")
    assert run.code == 2
    assert "broken.json:4:" in run.stderr
    # Nothing was read: no report may claim a verdict.
    assert run.stdout == ""
    assert "PASS" not in run.stderr


def test_malformed_file_alone_is_reported_even_when_quiet(cli: CliFn, workspace: Workspace) -> None:
    write_text(workspace.cwd / "broken.json", MALFORMED_JSON)
    run = cli("scan", "-q", "broken.json")
    assert run.code == 2
    assert "broken.json:4:" in run.stderr


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("c.toml", '[mcp_servers.a]\ncommand = "npx"\nargs = ["-y" "x"]\n', 3),
        ("c.yaml", "mcpServers:\n  - name: a\n    command: npx\n   bad: [\n", 4),
    ],
)
def test_malformed_toml_and_yaml_name_file_and_line(
    cli: CliFn, workspace: Workspace, name: str, text: str, line: int
) -> None:
    write_text(workspace.cwd / name, text)
    run = cli("scan", name)
    assert run.code == 2
    assert f"{name}:{line}:" in run.stderr


def test_bad_policy_names_file_and_line(cli: CliFn, workspace: Workspace) -> None:
    policy = write_text(workspace.cwd / "p.toml", 'fail_on = "high"\nmin_score = "lots"\n')
    run = cli("scan", SAFE, "--policy", policy)
    assert run.code == 2
    assert "p.toml:2:" in run.stderr
    assert "min_score" in run.stderr

    write_text(policy, 'fail_on = "high"\n\nmin_score = = 3\n')
    run = cli("scan", SAFE, "--policy", policy)
    assert run.code == 2
    assert "p.toml:3:" in run.stderr


def test_policy_with_unknown_rule_or_missing_approver_exits_2(
    cli: CliFn, workspace: Workspace
) -> None:
    policy = write_text(
        workspace.cwd / "p.toml",
        '[[waivers]]\nrule = "SC01"\nreason = "r"\nexpires = 2099-01-01\n',
    )
    run = cli("scan", SAFE, "--policy", policy)
    assert run.code == 2
    assert "p.toml:1" in run.stderr
    assert "approver" in run.stderr


def test_policy_syntax_error_at_end_of_file_names_line(cli: CliFn, workspace: Workspace) -> None:
    policy = write_text(workspace.cwd / "p.toml", 'fail_on = "high"\nmin_score = [\n')
    run = cli("scan", SAFE, "--policy", policy)
    assert run.code == 2
    assert "p.toml:2" in run.stderr or "p.toml:3" in run.stderr


def test_missing_policy_file_exits_2(cli: CliFn) -> None:
    run = cli("scan", SAFE, "--policy", "nowhere.toml")
    assert run.code == 2
    assert "nowhere.toml" in run.stderr


# -- 3: incomplete -------------------------------------------------------------------------


def test_one_malformed_and_one_good_file_is_incomplete(cli: CliFn, workspace: Workspace) -> None:
    write_text(workspace.cwd / "broken.json", MALFORMED_JSON)
    write_json(workspace.cwd / "good.json", {"mcpServers": {"kept": PINNED}})
    run = cli("scan", "broken.json", "good.json", "-f", "json")
    assert run.code == 3
    assert "broken.json:4:" in run.stderr
    assert "incomplete" in run.stderr
    report = run.json()
    assert [c["name"] for c in report["connectors"]] == ["kept"]
    assert report["connectors"][0]["source"]["file"] == "good.json"
    assert report["incomplete"] is True
    assert any(
        d["file"] == "broken.json" and d["line"] == 4 and d["fatal"] for d in report["diagnostics"]
    )


def test_table_report_of_an_incomplete_scan_names_both_files(
    cli: CliFn, workspace: Workspace
) -> None:
    write_text(workspace.cwd / "broken.json", MALFORMED_JSON)
    write_json(workspace.cwd / "good.json", {"mcpServers": {"kept": PINNED}})
    run = cli("scan", "good.json", "broken.json")
    assert run.code == 3
    assert "kept" in run.stdout
    assert "good.json:" in run.stdout
    assert "broken.json:4" in run.stdout  # listed among the diagnostics of the report


@pytest.mark.parametrize(("connector", "code"), [(PINNED, 0), (UNPINNED, 1)])
def test_allow_incomplete_exits_with_the_verdict(
    cli: CliFn, workspace: Workspace, connector: dict[str, object], code: int
) -> None:
    write_text(workspace.cwd / "broken.json", MALFORMED_JSON)
    write_json(workspace.cwd / "good.json", {"mcpServers": {"kept": connector}})
    run = cli("scan", "--allow-incomplete", "broken.json", "good.json")
    assert run.code == code
    # Still reported, just not fatal to the exit code; once, in the table's diagnostics.
    assert "broken.json:4" in run.stdout
    assert "broken.json:4" not in run.stderr
    run = cli("scan", "--allow-incomplete", "-f", "json", "broken.json", "good.json")
    assert run.code == code
    assert "broken.json:4" in run.stderr  # no table: on stderr


# -- 4: nothing to scan --------------------------------------------------------------------


@pytest.mark.parametrize(
    "doc",
    [
        {"mcpServers": {}},
        {"servers": {}, "inputs": []},
        {"mcpServers": {}, "projects": {"/home/me/app": {"mcpServers": {}}}},
    ],
)
def test_valid_config_without_servers_exits_4(
    cli: CliFn, workspace: Workspace, doc: dict[str, object]
) -> None:
    write_json(workspace.cwd / ".mcp.json", doc)
    run = cli("scan", ".mcp.json")
    assert run.code == 4
    assert "nothing to scan" in run.stderr


def test_empty_directory_exits_4(cli: CliFn, workspace: Workspace) -> None:
    (workspace.cwd / "repo").mkdir()
    run = cli("scan", "repo")
    assert run.code == 4
    assert "nothing to scan" in run.stderr
    assert "repo" in run.stderr


def test_no_target_and_no_config_anywhere_exits_4(cli: CliFn) -> None:
    run = cli("scan")
    assert run.code == 4
    assert "nothing to scan" in run.stderr


def test_nothing_to_scan_beats_an_unreadable_file_only_when_something_was_read(
    cli: CliFn, workspace: Workspace
) -> None:
    # An empty config plus a broken one: nothing usable was read -> an input error, not 4.
    write_json(workspace.cwd / "empty.json", {"mcpServers": {}})
    write_text(workspace.cwd / "broken.json", MALFORMED_JSON)
    run = cli("scan", "empty.json", "broken.json")
    assert run.code == 2
    assert "broken.json:4" in run.stderr


def test_exit_code_does_not_depend_on_target_order(cli: CliFn, workspace: Workspace) -> None:
    write_text(workspace.cwd / "broken.json", MALFORMED_JSON)
    good = write_json(workspace.cwd / "good.json", {"mcpServers": {"kept": PINNED}})
    codes = {cli("scan", *order).code for order in (("broken.json", good), (good, "broken.json"))}
    assert codes == {3}


def test_relative_and_absolute_targets_name_the_same_file_once(
    cli: CliFn, workspace: Workspace
) -> None:
    good = write_json(workspace.cwd / "good.json", {"mcpServers": {"kept": PINNED}})
    report = cli("scan", "good.json", good, "./good.json", "-f", "json").json()
    assert [c["name"] for c in report["connectors"]] == ["kept"]


def test_directory_target_path_is_relative_to_cwd(cli: CliFn, workspace: Workspace) -> None:
    write_json(workspace.cwd / "proj" / ".mcp.json", {"mcpServers": {"x": UNPINNED}})
    run = cli("scan", Path("proj"), "-f", "json")
    assert run.code == 1
    assert run.json()["connectors"][0]["source"]["file"] == "proj/.mcp.json"
