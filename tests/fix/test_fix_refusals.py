"""What fix refuses, and says it refuses: files it cannot rewrite faithfully, connectors whose
scan was incomplete, packages the scan did not resolve. Nothing is written in any case."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.scan.conftest import fast_retries, packument, publish  # noqa: F401  (fixture)
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


def test_a_repeated_yaml_key_refuses_the_file(cwd: Path, registry: RegistryServer) -> None:
    text = (
        "extensions:\n"
        "  memory:\n    type: stdio\n    cmd: npx\n    args: [-y, acme-mcp]\n"
        "  memory:\n    type: stdio\n    cmd: npx\n    args: [-y, acme-mcp]\n"
    )
    config = _write(cwd / "goose" / "config.yaml", text)
    run = run_fix(registry, config)
    assert run.code == 1
    assert "line 6: repeats a key" in run.stderr
    assert config.read_text(encoding="utf-8") == text


def test_crlf_line_endings_and_a_bom_are_kept(cwd: Path, registry: RegistryServer) -> None:
    token = "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    text = (
        "{\r\n"
        '  "servers": {\r\n'
        '    "github": {\r\n'
        '      "command": "npx",\r\n'
        '      "args": ["-y", "acme-mcp"],\r\n'
        f'      "env": {{"GITHUB_PERSONAL_ACCESS_TOKEN": "{token}"}}\r\n'
        "    }\r\n"
        "  }\r\n"
        "}\r\n"
    )
    config = cwd / ".vscode" / "mcp.json"
    config.parent.mkdir()
    config.write_bytes(b"\xef\xbb\xbf" + text.encode())
    run = run_fix(registry, config)
    assert run.code == 0, run.stderr
    expected = (
        text.replace('"acme-mcp"', '"acme-mcp@1.2.3"')
        .replace(token, "${input:github-personal-access-token}")
        .replace(
            "    }\r\n  }\r\n}\r\n",
            "    }\r\n  },\r\n"
            '  "inputs": [{"type": "promptString", "id": "github-personal-access-token", '
            '"description": "GITHUB_PERSONAL_ACCESS_TOKEN for github", "password": true}]\r\n'
            "}\r\n",
        )
    )
    assert config.read_bytes() == b"\xef\xbb\xbf" + expected.encode()


def test_only_the_argument_that_names_the_package_is_pinned(
    cwd: Path, registry: RegistryServer
) -> None:
    # The server is given its own name as an argument: that one is data, not a package.
    text = json.dumps(
        {"mcpServers": {"memory": {"command": "npx", "args": ["-y", "acme-mcp", "acme-mcp"]}}}
    )
    config = _write(cwd / ".mcp.json", text)
    run = run_fix(registry, config)
    assert run.code == 0, run.stderr
    assert config.read_text(encoding="utf-8") == text.replace(
        '"acme-mcp", "acme-mcp"', '"acme-mcp@1.2.3", "acme-mcp"'
    )


def test_an_inner_command_line_gets_the_pin_in_its_one_word(
    cwd: Path, registry: RegistryServer
) -> None:
    text = json.dumps(
        {
            "mcpServers": {
                "gw": {
                    "command": "npx",
                    "args": [
                        "-y",
                        "supergateway@3.4.0",
                        "--stdio",
                        "npx -y acme-mcp /data",
                        "--port",
                        "8000",
                    ],
                }
            }
        }
    )
    publish(registry, packument("supergateway", {"3.4.0": {}}))
    config = _write(cwd / ".mcp.json", text)
    run = run_fix(registry, config)
    assert run.code == 0, run.stderr
    assert config.read_text(encoding="utf-8") == text.replace(
        "npx -y acme-mcp /data", "npx -y acme-mcp@1.2.3 /data"
    )


def test_a_directory_target_fixes_its_project_configs(cwd: Path, registry: RegistryServer) -> None:
    repo = cwd / "repo"
    config = _write(repo / ".mcp.json", json.dumps(UNPINNED))
    run = run_fix(registry, repo)
    assert run.code == 0, run.stderr
    assert "repo/.mcp.json:1: memory: fixed SC01" in run.stderr
    assert config.read_text(encoding="utf-8") == json.dumps(UNPINNED).replace(
        '"acme-mcp"', '"acme-mcp@1.2.3"'
    )


@pytest.mark.usefixtures("fast_retries")
def test_an_unreachable_advisory_source_leaves_even_pinned_launches_unjudged(
    cwd: Path, registry: RegistryServer
) -> None:
    # The OSV API answers 503: whether acme-mcp@1.0.0 needs a newer version is not known.
    text = json.dumps(
        {"mcpServers": {"memory": {"command": "npx", "args": ["-y", "acme-mcp@1.0.0"]}}}
    )
    config = _write(cwd / ".mcp.json", text)
    registry.fallback = lambda path: Route(status=503)
    run = run_fix(registry, config, "--advisories", "--osv-url", registry.url)
    assert run.code == 3, run.stderr
    assert "memory: SC05: acme-mcp: not checked for a fixed version: the scan of this " in (
        run.stderr
    )
    assert config.read_text(encoding="utf-8") == text


def test_a_server_json_is_not_rewritten(cwd: Path, registry: RegistryServer) -> None:
    doc = {
        "$schema": "https://static.modelcontextprotocol.io/schemas/2025-10-17/server.schema.json",
        "name": "io.github.acme/memory",
        "description": "memory",
        "version": "1.0.0",
        "packages": [
            {"registryType": "npm", "identifier": "acme-mcp", "transport": {"type": "stdio"}}
        ],
    }
    config = _write(cwd / "server.json", json.dumps(doc))
    run = run_fix(registry, config)
    assert run.code == 1, run.stderr
    assert "server.json: not fixed: is an MCP registry server.json, not a client config" in (
        run.stderr
    )
    assert config.read_text(encoding="utf-8") == json.dumps(doc)


def test_exit_codes_of_nothing_to_fix_and_of_an_unreadable_file(
    cwd: Path, registry: RegistryServer
) -> None:
    empty = _write(cwd / ".mcp.json", '{"mcpServers": {}}')
    nothing = run_fix(registry, empty)
    assert nothing.code == 4, nothing.stderr
    assert "nothing to fix: no MCP connector found" in nothing.stderr
    broken = _write(cwd / "broken" / ".mcp.json", '{"mcpServers": {"a": ')
    unreadable = run_fix(registry, broken)
    assert unreadable.code == 2, unreadable.stderr
    assert "broken/.mcp.json:1:" in unreadable.stderr
    assert broken.read_text(encoding="utf-8") == '{"mcpServers": {"a": '


def test_quiet_keeps_what_the_user_must_do(cwd: Path, registry: RegistryServer) -> None:
    token = "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    doc = {
        "mcpServers": {
            "memory": {
                "command": "npx",
                "args": ["-y", "acme-mcp"],
                "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": token},
            }
        }
    }
    config = _write(cwd / ".cursor" / "mcp.json", json.dumps(doc))
    run = run_fix(registry, "-q", config)
    assert run.code == 0, run.stderr
    assert "fixed SC01" not in run.stderr
    assert "set the environment variable GITHUB_PERSONAL_ACCESS_TOKEN" in run.stderr
    assert token not in run.stderr
