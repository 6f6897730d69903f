"""Pinning launches in JSON-with-comments configs: the resolved version is written into the
argument that names the package, and every other byte of the file stays as it was."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from tests.advisories.osv_support import FIXTURES as OSV
from tests.scan.conftest import packument, publish
from tests.support.registry_server import RegistryServer

from .conftest import rule_ids, run_fix, run_scan_json

CURSOR = """\
// Cursor's MCP servers (comments and trailing commas are JSONC)
{
  "mcpServers": {
    /* the main server */
    "memory": {
      "command": "npx",
      "args": ["-y", "acme-mcp"], // unpinned
    },
    "scoped": {"command": "npx", "args": ["-y", "@acme/server@^0.9", "--port", "1"]},
    "pinned": { "command": "npx", "args": ["-y", "acme-mcp@1.0.0"] },
    "tool":   {
      "command": "uvx",
      "args": [ "acme-tool" ],
    },
  },
}
"""
FIXED = (
    CURSOR.replace('"acme-mcp"]', '"acme-mcp@1.2.3"]')
    .replace('"@acme/server@^0.9"', '"@acme/server@0.9.1"')
    .replace('"acme-tool"', '"acme-tool==2.0.1"')
)


def _config(cwd: Path, text: str = CURSOR) -> Path:
    path = cwd / ".cursor" / "mcp.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_fix_pins_each_unpinned_launch_and_keeps_every_other_byte(
    cwd: Path, registry: RegistryServer
) -> None:
    config = _config(cwd)
    os.chmod(config, 0o640)
    before = run_scan_json(registry, config)
    assert "SC01" in rule_ids(before, "memory")
    assert "SC01" in rule_ids(before, "tool")

    run = run_fix(registry, config)

    assert run.code == 0, run.stderr
    assert config.read_text(encoding="utf-8") == FIXED
    assert stat.S_IMODE(config.stat().st_mode) == 0o640
    assert "fixed SC01: pinned npm package acme-mcp to 1.2.3" in run.stderr
    assert "pinned pypi package acme-tool to 2.0.1" in run.stderr
    assert "pinned npm package @acme/server to 0.9.1" in run.stderr
    # The re-scan no longer reports what was fixed.
    after = run_scan_json(registry, config)
    for name in ("memory", "scoped", "tool"):
        assert "SC01" not in rule_ids(after, name), name


def test_fix_twice_changes_nothing_the_second_time(cwd: Path, registry: RegistryServer) -> None:
    config = _config(cwd)
    assert run_fix(registry, config).code == 0
    first = config.read_bytes()
    again = run_fix(registry, config)
    assert again.code == 0, again.stderr
    assert config.read_bytes() == first
    assert "fixed" not in again.stderr


def test_dry_run_prints_the_diff_and_writes_nothing(cwd: Path, registry: RegistryServer) -> None:
    config = _config(cwd)
    run = run_fix(registry, "--dry-run", config)
    assert run.code == 1, run.stderr  # changes pending
    assert config.read_text(encoding="utf-8") == CURSOR
    assert run.stdout.startswith("--- a/.cursor/mcp.json\n+++ b/.cursor/mcp.json\n")
    assert '-      "args": ["-y", "acme-mcp"], // unpinned\n' in run.stdout
    assert '+      "args": ["-y", "acme-mcp@1.2.3"], // unpinned\n' in run.stdout
    assert "would fix SC01" in run.stderr
    # The printed diff is a real patch: applied, it gives what fix writes.
    patched = cwd / "patched.json"
    subprocess.run(
        ["patch", "-p1", "-o", str(patched)],
        input=run.stdout,
        capture_output=True,
        text=True,
        cwd=cwd,
        check=True,
    )
    assert patched.read_text(encoding="utf-8") == FIXED


def test_nothing_to_fix_exits_0(cwd: Path, registry: RegistryServer) -> None:
    config = _config(cwd, FIXED)
    run = run_fix(registry, "--dry-run", config)
    assert run.code == 0, run.stderr
    assert run.stdout == ""
    assert config.read_text(encoding="utf-8") == FIXED


VSCODE = """\
{
  // VS Code workspace servers
  "servers": {
    "remote": {
      "type": "stdio",
      "command": "npx",
      "args": ["-y", "mcp-remote@0.1.15", "https://mcp.example.com/sse"]
    }
  }
}
"""


def test_a_vulnerable_pin_moves_to_the_version_that_fixes_the_advisory(
    cwd: Path, registry_server: RegistryServer
) -> None:
    # The real OSV record of CVE-2025-6514: mcp-remote 0.0.5 to 0.1.15, fixed in 0.1.16.
    publish(registry_server, packument("mcp-remote", {"0.1.15": {}, "0.1.16": {}}))
    config = cwd / ".vscode" / "mcp.json"
    config.parent.mkdir()
    config.write_text(VSCODE, encoding="utf-8")
    db = ("--advisories", "--advisory-db", OSV)
    assert "SC05" in rule_ids(run_scan_json(registry_server, config, *db), "remote")

    run = run_fix(registry_server, config, *db)

    assert run.code == 0, run.stderr
    assert config.read_text(encoding="utf-8") == VSCODE.replace("@0.1.15", "@0.1.16")
    assert (
        "fixed SC05: pinned npm package mcp-remote to 0.1.16 (the first published version "
        "that fixes GHSA-6xpm-ggf7-wc3p)" in run.stderr
    )
    assert "SC05" not in rule_ids(run_scan_json(registry_server, config, *db), "remote")


def test_the_fix_version_is_one_the_registry_publishes(
    cwd: Path, registry_server: RegistryServer
) -> None:
    # OSV names 0.1.16 as the fix, but this registry has no 0.1.16: the next release it has.
    publish(registry_server, packument("mcp-remote", {"0.1.15": {}, "0.2.0-rc.1": {}, "0.2.1": {}}))
    config = cwd / ".vscode" / "mcp.json"
    config.parent.mkdir()
    config.write_text(VSCODE, encoding="utf-8")
    run = run_fix(registry_server, config, "--advisories", "--advisory-db", OSV)
    assert run.code == 0, run.stderr
    assert config.read_text(encoding="utf-8") == VSCODE.replace("@0.1.15", "@0.2.1")


def test_no_published_fix_leaves_the_pin_and_says_why(
    cwd: Path, registry_server: RegistryServer
) -> None:
    publish(registry_server, packument("mcp-remote", {"0.1.14": {}, "0.1.15": {}}))
    config = cwd / ".vscode" / "mcp.json"
    config.parent.mkdir()
    config.write_text(VSCODE, encoding="utf-8")
    run = run_fix(registry_server, config, "--advisories", "--advisory-db", OSV)
    assert run.code == 1, run.stderr
    assert (
        "remote: SC05: mcp-remote: not changed: GHSA-6xpm-ggf7-wc3p: no version from 0.1.16 "
        "on, which fixes it, is published" in run.stderr
    )
    assert config.read_text(encoding="utf-8") == VSCODE


def test_an_approved_connector_is_fixed_and_the_user_told_to_approve_again(
    cwd: Path, registry: RegistryServer
) -> None:
    from .conftest import invoke, registry_args

    config = _config(cwd)
    approved = invoke(
        "approve", config, "--owner", "alice", "--approver", "bob", *registry_args(registry)
    )
    assert approved.code == 0, approved.stderr
    run = run_fix(registry, config)
    assert run.code == 0, run.stderr
    assert config.read_text(encoding="utf-8") == FIXED
    assert "`mcpscan approve` records them again" in run.stderr
