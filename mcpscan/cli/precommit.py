"""The pre-commit hook (``mcpscan-pre-commit``): scan the changed MCP configs, and only those.

pre-commit picks files by name alone (the ``files`` pattern of ``.pre-commit-hooks.yaml``,
which is :data:`HOOK_FILES`), but a ``server.json`` or a shared settings file
(``.vscode/settings.json``) may belong to anything: an unrelated ``{"port": 8080}``
``server.json`` must not block a commit. So this entry keeps the named files that hold MCP
connectors (a ``server.json`` by its MCP registry ``$schema``, a shared settings file by its
MCP section) and hands them to ``mcpscan scan`` with the hook's ``args``; when the commit
changes no MCP config it succeeds without scanning. A file that cannot be parsed is kept, so
its error is reported (exit 2) rather than the file skipped.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# The file names the hook is offered: the project-scope configs of every client
# (sources/loader.py PROJECT_FILES), the user-scope names a repository may still hold, and
# MCP registry server.json files. `.pre-commit-hooks.yaml` holds a copy (YAML cannot import
# it); tests/docs/test_ci.py keeps the two equal.
HOOK_FILES = r"""(?x)(^|/)(
  \.mcp\.json
  | mcp\.json
  | mcp_config\.json
  | mcp-config\.json
  | mcp_settings\.json
  | managed-mcp\.json
  | \.claude\.json
  | claude_desktop_config\.json
  | cline_mcp_settings\.json
  | server\.json
  | opencode\.jsonc?
  | \.codex/config\.toml
  | \.vscode/settings\.json
  | \.gemini/settings\.json
  | \.claude/settings\.json
  | \.zed/settings\.json
  | \.continue/config\.ya?ml
  | \.continue/mcpServers/[^/]+\.(ya?ml|json)
)$"""

_PATTERN = re.compile(HOOK_FILES)


def offered(path: str) -> bool:
    """Whether pre-commit would pass ``path`` to the hook (a name the pattern matches)."""
    return _PATTERN.search(path.replace("\\", "/")) is not None


def split_arguments(args: list[str]) -> tuple[list[str], list[str]]:
    """(scan options, file names): pre-commit appends the file names after the hook's own
    ``args``, so they are the trailing run of existing files with a hook file name (an
    option's value such as ``--policy mcpscan.toml`` never has one)."""
    split = len(args)
    while split > 0 and offered(args[split - 1]) and Path(args[split - 1]).is_file():
        split -= 1
    return args[:split], args[split:]


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    options, files = split_arguments(args)
    from mcpscan.sources.loader import has_mcp_section

    chosen = [f for f in files if has_mcp_section(Path(f))]
    for skipped in (f for f in files if f not in chosen):
        sys.stderr.write(f"mcpscan: {skipped}: not an MCP config (no MCP section or $schema)\n")
    if not chosen:
        sys.stderr.write("mcpscan: no MCP config among the changed files: nothing to scan\n")
        from mcpscan.cli.exit_codes import for_no_changed_config

        raise SystemExit(int(for_no_changed_config()))
    from mcpscan.cli import main as cli_main

    cli_main(["scan", *options, "--", *chosen])
