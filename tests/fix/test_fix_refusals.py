"""What fix refuses, and says it refuses: files it cannot rewrite faithfully, connectors whose
scan was incomplete, packages the scan did not resolve. Nothing is written in any case."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.scan.conftest import fast_retries  # noqa: F401  (fixture)
from tests.support.registry_server import RegistryServer, Route

from .conftest import run_fix

UNPINNED = {"mcpServers": {"memory": {"command": "npx", "args": ["-y", "acme-mcp"]}}}


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_symlinked_config_is_not_written_through(cwd: Path, registry: RegistryServer) -> None:
    real = _write(cwd / "elsewhere" / "real.json", json.dumps(UNPINNED))
    link = cwd / ".mcp.json"
    link.symlink_to(real)
    run = run_fix(registry, link)
    assert run.code == 1
    assert "is a symbolic link; fix does not write through links" in run.stderr
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == json.dumps(UNPINNED)


def test_a_repeated_key_refuses_the_file(cwd: Path, registry: RegistryServer) -> None:
    text = (
        '{"mcpServers": {\n'
        '  "memory": {"command": "npx", "args": ["-y", "acme-mcp"]},\n'
        '  "memory": {"command": "npx", "args": ["-y", "acme-mcp"]}\n'
        "}}\n"
    )
    config = _write(cwd / ".mcp.json", text)
    run = run_fix(registry, config)
    assert run.code == 1
    assert "line 3: repeats a key" in run.stderr
    assert config.read_text(encoding="utf-8") == text


def test_a_hard_linked_config_is_not_replaced(cwd: Path, registry: RegistryServer) -> None:
    config = _write(cwd / ".mcp.json", json.dumps(UNPINNED))
    os.link(config, cwd / "twin.json")
    run = run_fix(registry, config)
    assert run.code == 1
    assert "has other hard links" in run.stderr
    assert config.read_text(encoding="utf-8") == json.dumps(UNPINNED)


def test_a_large_file_within_the_limits_is_fixed(cwd: Path, registry: RegistryServer) -> None:
    servers = {f"s{i}": {"command": "node", "args": [f"/srv/{i}.js"]} for i in range(3000)}
    servers["memory"] = {"command": "npx", "args": ["-y", "acme-mcp"]}
    text = json.dumps({"mcpServers": servers}, indent=2) + "\n"
    config = _write(cwd / ".mcp.json", text)
    assert len(text) > 250_000
    run = run_fix(registry, config)
    assert run.code == 0, run.stderr[-2000:]
    assert config.read_text(encoding="utf-8") == text.replace('"acme-mcp"', '"acme-mcp@1.2.3"')


@pytest.mark.usefixtures("fast_retries")
def test_an_incomplete_scan_of_a_connector_leaves_it_alone(
    cwd: Path, registry: RegistryServer
) -> None:
    registry.add("/acme-broken", Route(status=503))
    text = json.dumps(
        {
            "mcpServers": {
                "broken": {"command": "npx", "args": ["-y", "acme-broken"]},
                "memory": {"command": "npx", "args": ["-y", "acme-mcp"]},
            }
        },
        indent=2,
    )
    config = _write(cwd / ".mcp.json", text)
    run = run_fix(registry, config)
    assert run.code == 3, run.stderr
    assert "broken: SC01: acme-broken: not pinned: the scan of this connector is incomplete" in (
        run.stderr
    )
    # The connector whose scan completed is still fixed, and the user is told of both.
    assert config.read_text(encoding="utf-8") == text.replace('"acme-mcp"', '"acme-mcp@1.2.3"')
    assert "scan incomplete: connectors whose scan could not be completed were not fixed" in (
        run.stderr
    )


def test_without_resolution_there_is_no_version_to_pin(cwd: Path, registry: RegistryServer) -> None:
    config = _write(cwd / ".mcp.json", json.dumps(UNPINNED))
    run = run_fix(registry, "--no-resolve", config)
    assert run.code == 1
    assert "acme-mcp: not pinned: the scan did not resolve which version it would run" in (
        run.stderr
    )
    assert config.read_text(encoding="utf-8") == json.dumps(UNPINNED)


def test_a_whole_command_line_in_one_string_is_not_rewritten(
    cwd: Path, registry: RegistryServer
) -> None:
    text = json.dumps({"mcpServers": {"memory": {"command": "npx -y acme-mcp"}}})
    config = _write(cwd / ".mcp.json", text)
    run = run_fix(registry, config)
    assert run.code == 1
    assert "its command line is written as one string" in run.stderr
    assert config.read_text(encoding="utf-8") == text


def test_a_file_that_is_not_utf8_is_refused(cwd: Path, registry: RegistryServer) -> None:
    config = cwd / ".mcp.json"
    raw = json.dumps(UNPINNED).encode("utf-16")
    config.write_bytes(raw)
    run = run_fix(registry, config)
    assert run.code == 1
    assert "is UTF-16 text; fix only rewrites UTF-8 files" in run.stderr
    assert config.read_bytes() == raw
