"""The pre-commit entry (``mcpscan-pre-commit``) run as pre-commit runs it: the hook's args,
then the changed file names, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from mcpscan.cli.precommit import split_arguments
from tests.cli.conftest import NO_RESOLVE, PINNED, REPO, UNPINNED, Run, Workspace, write_json

SERVER_JSON_SCHEMA = "https://static.modelcontextprotocol.io/schemas/2025-09-16/server.schema.json"


def hook(*args: str, cwd: Path, home: Path) -> Run:
    proc = subprocess.run(
        [sys.executable, "-c", "from mcpscan.cli.precommit import main; main()", *args],
        cwd=cwd,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "PYTHONPATH": str(REPO),
            "LANG": "C.UTF-8",
            "MCPSCAN_TUF_URL": "",
            **NO_RESOLVE,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def test_an_unrelated_server_json_does_not_block_the_commit(workspace: Workspace) -> None:
    write_json(workspace.cwd / "server.json", {"port": 8080})
    write_json(workspace.cwd / ".vscode" / "settings.json", {"editor.tabSize": 2})
    run = hook("server.json", ".vscode/settings.json", cwd=workspace.cwd, home=workspace.home)
    assert run.code == 0, run.stderr
    assert "server.json: not an MCP config" in run.stderr
    assert "nothing to scan" in run.stderr
    assert "PASS" not in run.stdout


def test_an_mcp_server_json_is_scanned_by_its_schema(workspace: Workspace) -> None:
    doc = {
        "$schema": SERVER_JSON_SCHEMA,
        "name": "io.github.example/weather",
        "version": "1.0.0",
        "remotes": [{"type": "streamable-http", "url": "http://weather.example.com/mcp"}],
    }
    write_json(workspace.cwd / "server.json", doc)
    run = hook("-f", "json", "server.json", cwd=workspace.cwd, home=workspace.home)
    assert run.code == 1, run.stderr  # a plaintext remote is PX02, high
    report = json.loads(run.stdout)
    assert {f["rule_id"] for c in report["connectors"] for f in c["findings"]} >= {"PX02"}


def test_only_the_mcp_files_reach_the_scan_with_the_hooks_args(workspace: Workspace) -> None:
    write_json(workspace.cwd / ".mcp.json", {"mcpServers": {"risky": UNPINNED}})
    write_json(workspace.cwd / ".vscode" / "mcp.json", {"servers": {"ok": PINNED}})
    write_json(workspace.cwd / "server.json", {"port": 8080})
    (workspace.cwd / "mcpscan.toml").write_text('fail_on = "critical"\n', encoding="utf-8")
    run = hook(
        "--policy",
        "mcpscan.toml",
        "-f",
        "json",
        ".mcp.json",
        ".vscode/mcp.json",
        "server.json",
        cwd=workspace.cwd,
        home=workspace.home,
    )
    # The policy (an option's value that is a file) reached the scan: SC01 is below
    # fail_on critical, so the verdict passes.
    assert run.code == 0, run.stderr
    report = json.loads(run.stdout)
    assert sorted(c["name"] for c in report["connectors"]) == ["ok", "risky"]
    assert report["fail_on"] == "critical"


def test_a_broken_config_is_reported_not_skipped(workspace: Workspace) -> None:
    (workspace.cwd / ".mcp.json").write_text('{"mcpServers": {', encoding="utf-8")
    run = hook(".mcp.json", cwd=workspace.cwd, home=workspace.home)
    assert run.code == 2, (run.stdout, run.stderr)
    assert ".mcp.json" in run.stderr


def test_file_names_are_the_trailing_arguments(tmp_path: Path) -> None:
    (tmp_path / ".mcp.json").write_text("{}", encoding="utf-8")
    (tmp_path / "mcpscan.toml").write_text("", encoding="utf-8")
    policy, mcp = str(tmp_path / "mcpscan.toml"), str(tmp_path / ".mcp.json")
    assert split_arguments(["--policy", policy, mcp]) == (["--policy", policy], [mcp])
    assert split_arguments([mcp]) == ([], [mcp])
    assert split_arguments(["--no-resolve"]) == (["--no-resolve"], [])
    # A name the pattern offers but that is no file is not taken as a changed file.
    missing = str(tmp_path / "gone" / ".mcp.json")
    assert split_arguments([missing]) == ([missing], [])
