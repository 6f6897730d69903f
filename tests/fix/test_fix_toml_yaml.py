"""Pinning in Codex TOML, Goose YAML and Continue YAML: the same pins as in JSON, written in
each syntax's own way, with comments and layout kept."""

from __future__ import annotations

from pathlib import Path

from tests.support.registry_server import RegistryServer

from .conftest import rule_ids, run_fix, run_scan_json

CODEX = """\
# Codex configuration
model = "o3"

[mcp_servers.memory]   # the memory server
command = "npx"
args = ["-y",   'acme-mcp']   # unpinned
env = { "LOG_LEVEL" = "debug" }

[mcp_servers.tool]
command = "uvx"
args = [
  "--from", "acme-tool",  # the package
  "acme",
]
startup_timeout_sec = 20.0
"""

GOOSE = """\
GOOSE_MODE: smart_approve
extensions:
  memory:
    type: stdio
    name: memory
    enabled: true
    cmd: npx
    args: ["-y", acme-mcp]   # flow style, plain scalar
    envs: {}
    timeout: 300
  scoped:
    type: stdio
    cmd: npx
    args:
      - -y
      - "@acme/server"        # block style, quoted
  tool:
    type: stdio
    cmd: uvx
    args:
      - 'acme-tool'
"""

CONTINUE = """\
name: My Agent
version: 0.0.1
schema: v1
mcpServers:
  # npm
  - name: memory
    command: npx
    args: ["-y", "acme-mcp"]
  - name: tool
    command: uvx
    args:
      - acme-tool
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_codex_toml_is_pinned_keeping_comments_and_layout(
    cwd: Path, registry: RegistryServer
) -> None:
    config = _write(cwd / ".codex" / "config.toml", CODEX)
    run = run_fix(registry, config)
    assert run.code == 0, run.stderr
    assert config.read_text(encoding="utf-8") == CODEX.replace(
        "'acme-mcp'", '"acme-mcp@1.2.3"'
    ).replace('"acme-tool"', '"acme-tool==2.0.1"')
    after = run_scan_json(registry, config)
    assert "SC01" not in rule_ids(after, "memory")
    assert "SC01" not in rule_ids(after, "tool")
    again = run_fix(registry, config)
    assert again.code == 0, again.stderr
    assert "fixed" not in again.stderr


def test_goose_yaml_keeps_each_value_s_quoting(cwd: Path, registry: RegistryServer) -> None:
    config = _write(cwd / "goose" / "config.yaml", GOOSE)
    run = run_fix(registry, config)
    assert run.code == 0, run.stderr
    assert config.read_text(encoding="utf-8") == (
        GOOSE.replace("acme-mcp]", "acme-mcp@1.2.3]")
        .replace('"@acme/server"', '"@acme/server@0.9.1"')
        .replace("'acme-tool'", "'acme-tool==2.0.1'")
    )
    after = run_scan_json(registry, config)
    for name in ("memory", "scoped", "tool"):
        assert "SC01" not in rule_ids(after, name), name


def test_continue_yaml_list_entries_are_pinned(cwd: Path, registry: RegistryServer) -> None:
    config = _write(cwd / ".continue" / "config.yaml", CONTINUE)
    dry = run_fix(registry, "--dry-run", config)
    assert dry.code == 1, dry.stderr
    assert "-      - acme-tool\n+      - acme-tool==2.0.1\n" in dry.stdout
    assert config.read_text(encoding="utf-8") == CONTINUE
    run = run_fix(registry, config)
    assert run.code == 0, run.stderr
    assert config.read_text(encoding="utf-8") == CONTINUE.replace(
        '"acme-mcp"', '"acme-mcp@1.2.3"'
    ).replace("- acme-tool\n", "- acme-tool==2.0.1\n")
    after = run_scan_json(registry, config)
    assert "SC01" not in rule_ids(after, "memory")
    assert "SC01" not in rule_ids(after, "tool")


def test_a_yaml_alias_is_not_rewritten_behind_the_user_s_back(
    cwd: Path, registry: RegistryServer
) -> None:
    # Both servers share one anchored list: pinning one would change the other.
    text = (
        "extensions:\n"
        "  a:\n    type: stdio\n    cmd: npx\n    args: &shared [-y, acme-mcp]\n"
        "  b:\n    type: stdio\n    cmd: npx\n    args: *shared\n"
    )
    config = _write(cwd / "goose" / "config.yaml", text)
    run = run_fix(registry, config)
    assert run.code == 1, run.stderr
    assert "not fixed" in run.stderr
    assert config.read_text(encoding="utf-8") == text
