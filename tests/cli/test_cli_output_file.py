"""``-o PATH``: written only when the scan produced a report, and equal to stdout."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import (
    EXAMPLES,
    CliFn,
    Workspace,
    run_subprocess,
    write_text,
)

RISKY = EXAMPLES / "claude_desktop_config.json"
MALFORMED = '{\n  "mcpServers": {\n    "a": {"command": "npx",,}\n  }\n}\n'
OLD = "previous report, must survive a failed run\n"


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_output_file_equals_stdout(cli: CliFn, workspace: Workspace, fmt: str) -> None:
    out = workspace.cwd / f"report.{fmt}"
    to_file = cli("scan", RISKY, "-f", fmt, "-o", out)
    to_stdout = cli("scan", RISKY, "-f", fmt)
    assert to_file.code == to_stdout.code == 1
    assert to_file.stdout == ""
    assert out.read_text(encoding="utf-8") == to_stdout.stdout
    assert "filesystem" in to_stdout.stdout


def test_output_file_replaces_an_existing_one(cli: CliFn, workspace: Workspace) -> None:
    out = write_text(workspace.cwd / "report.json", OLD * 1000)
    run = cli("scan", EXAMPLES / "safe" / ".mcp.json", "-f", "json", "-o", out)
    assert run.code == 0
    assert out.read_text(encoding="utf-8").startswith("{")
    assert OLD not in out.read_text(encoding="utf-8")
    assert _temp_files(workspace.cwd) == []


@pytest.mark.parametrize(
    "args",
    [
        ("broken.json",),
        ("broken.json", "-f", "xml"),
        (str(EXAMPLES / "safe" / ".mcp.json"), "--fail-on", "nope"),
        (str(EXAMPLES / "safe" / ".mcp.json"), "--policy", "bad-policy.toml"),
        ("missing-target.json",),
    ],
)
def test_no_output_file_after_exit_2(
    cli: CliFn, workspace: Workspace, args: tuple[str, ...]
) -> None:
    write_text(workspace.cwd / "broken.json", MALFORMED)
    write_text(workspace.cwd / "bad-policy.toml", "fail_on = 3\n")
    fresh = workspace.cwd / "fresh.json"
    run = cli("scan", *args, "-o", fresh)
    assert run.code == 2
    assert not fresh.exists()

    kept = write_text(workspace.cwd / "kept.json", OLD)
    run = cli("scan", *args, "-o", kept)
    assert run.code == 2
    assert kept.read_text(encoding="utf-8") == OLD
    assert _temp_files(workspace.cwd) == []


def test_output_into_missing_directory_is_a_usage_error(cli: CliFn, workspace: Workspace) -> None:
    run = cli("scan", RISKY, "-o", workspace.cwd / "no" / "such" / "dir" / "r.json")
    assert run.code == 2
    assert "does not exist" in run.stderr
    assert not (workspace.cwd / "no").exists()


def test_incomplete_scan_writes_no_report_file(cli: CliFn, workspace: Workspace) -> None:
    """README: -o is written only when the scan succeeded. An incomplete SARIF uploaded to
    code scanning would close the alerts of what was not checked; an incomplete SBOM would
    drop components unseen."""
    write_text(workspace.cwd / "broken.json", MALFORMED)
    out, sarif, kept = (workspace.cwd / n for n in ("r.json", "r.sarif", "kept.json"))
    run = cli("scan", "broken.json", RISKY, "-f", "json", "-o", out, "--sarif", sarif)
    assert run.code == 3
    assert not out.exists()
    assert not sarif.exists()
    assert f"not written: {out}, {sarif}" in run.stderr
    assert "broken.json:3" in run.stderr  # and why
    write_text(kept, OLD)
    assert cli("scan", "broken.json", RISKY, "-o", kept).code == 3
    assert kept.read_text(encoding="utf-8") == OLD
    # Shown on stdout all the same, marked incomplete.
    assert '"incomplete": true' in cli("scan", "broken.json", RISKY, "-f", "json").stdout


def test_allow_incomplete_writes_the_partial_report(cli: CliFn, workspace: Workspace) -> None:
    write_text(workspace.cwd / "broken.json", MALFORMED)
    out = workspace.cwd / "r.json"
    run = cli("scan", "broken.json", RISKY, "-f", "json", "-o", out, "--allow-incomplete")
    assert run.code == 1
    assert '"incomplete": true' in out.read_text(encoding="utf-8")


def test_nothing_to_scan_writes_no_report(cli: CliFn, workspace: Workspace) -> None:
    empty = write_text(workspace.cwd / ".mcp.json", '{"mcpServers": {}}\n')
    out = workspace.cwd / "r.json"
    run = cli("scan", empty, "-o", out)
    assert run.code == 4
    assert not out.exists()
    run = cli("scan", empty)
    assert run.code == 4
    assert run.stdout == ""  # no "PASS 100/100" of nothing
    assert "nothing to scan: no MCP connector found in" in run.stderr


def test_output_file_in_a_real_process(workspace: Workspace) -> None:
    out = workspace.cwd / "r.json"
    write_text(workspace.cwd / "broken.json", MALFORMED)
    kept = write_text(workspace.cwd / "kept.json", OLD)
    run = run_subprocess("scan", "broken.json", "-o", kept, cwd=workspace.cwd, home=workspace.home)
    assert run.code == 2
    assert kept.read_text(encoding="utf-8") == OLD

    run = run_subprocess(
        "scan", RISKY, "-f", "json", "-o", out, cwd=workspace.cwd, home=workspace.home
    )
    assert run.code == 1
    assert run.stdout == ""
    direct = run_subprocess("scan", RISKY, "-f", "json", cwd=workspace.cwd, home=workspace.home)
    assert out.read_text(encoding="utf-8") == direct.stdout


def _temp_files(directory: Path) -> list[Path]:
    return sorted(directory.glob(".mcpscan-*"))


def test_output_onto_a_directory_is_a_usage_error(cli: CliFn, workspace: Workspace) -> None:
    target = workspace.cwd / "reports"
    (target / "keep.txt").parent.mkdir()
    write_text(target / "keep.txt", OLD)
    run = cli("scan", RISKY, "-o", target)
    assert run.code == 2
    assert "cannot write" in run.stderr
    assert (target / "keep.txt").read_text(encoding="utf-8") == OLD
    assert _temp_files(workspace.cwd) == []
