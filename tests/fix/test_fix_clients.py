"""Every client shape fix finds its entries in: nested project scopes, legacy settings, an
opencode command array, Zed's nested command, a Continue block file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.registry_server import RegistryServer

from .conftest import rule_ids, run_fix, run_scan_json

NPX = {"command": "npx", "args": ["-y", "acme-mcp"]}


@pytest.mark.parametrize(
    ("where", "doc", "connector"),
    [
        (
            ".claude.json",
            {"projects": {"/home/alice/src/app.v2": {"mcpServers": {"memory": NPX}}}},
            "memory",
        ),
        (
            ".vscode/settings.json",
            {"editor.tabSize": 2, "mcp": {"servers": {"memory": NPX}}},
            "memory",
        ),
        (
            "opencode.json",
            {"mcp": {"memory": {"type": "local", "command": ["npx", "-y", "acme-mcp"]}}},
            "memory",
        ),
        (
            ".zed/settings.json",
            {
                "context_servers": {
                    "memory": {"command": {"path": "npx", "args": ["-y", "acme-mcp"]}}
                }
            },
            "memory",
        ),
        (".kiro/settings/mcp.json", {"powers": {"mcpServers": {"memory": NPX}}}, "memory"),
        (".continue/mcpServers/memory.json", {"name": "memory", **NPX}, "memory"),
    ],
)
def test_each_client_shape_is_pinned(
    cwd: Path, registry: RegistryServer, where: str, doc: dict[str, Any], connector: str
) -> None:
    text = json.dumps(doc, indent=2) + "\n"
    config = cwd / where
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text, encoding="utf-8")
    assert "SC01" in rule_ids(run_scan_json(registry, config), connector)
    run = run_fix(registry, config)
    assert run.code == 0, run.stderr
    assert config.read_text(encoding="utf-8") == text.replace('"acme-mcp"', '"acme-mcp@1.2.3"')
    assert "SC01" not in rule_ids(run_scan_json(registry, config), connector)
