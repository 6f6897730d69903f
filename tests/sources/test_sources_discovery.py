"""Discovery of client configs on fake Linux, macOS and Windows machines."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpscan.sources import DiscoveredConfig, SourceError, discover, load_discovered

SERVERS = '{"mcpServers": {"s": {"command": "npx", "args": ["-y", "x@1.0.0"]}}}'


def put(path: Path, text: str = SERVERS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def found(configs: tuple[DiscoveredConfig, ...], base: Path) -> set[tuple[str, str, str]]:
    return {(c.path.relative_to(base).as_posix(), c.client, c.scope) for c in configs}


def test_linux(tmp_path: Path) -> None:
    home, root, cwd = tmp_path / "home", tmp_path / "root", tmp_path / "home" / "src" / "app"
    put(home / "xdg/Claude/claude_desktop_config.json")
    put(home / ".claude.json")
    put(home / ".claude/plugins/cache/market/plugin/1.0/.mcp.json", '{"p": {"command": "x"}}')
    put(home / ".cursor/mcp.json")
    put(home / ".config/Code/User/mcp.json", '{"servers": {}}')
    put(home / ".config/Code/User/settings.json", '{"editor.tabSize": 2}')  # no MCP: not listed
    put(home / ".config/Code - Insiders/User/settings.json", '{"mcp": {"servers": {}}}')
    put(
        home / ".config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/"
        "cline_mcp_settings.json"
    )
    put(home / ".codeium/windsurf/mcp_config.json")
    put(home / ".gemini/settings.json")
    put(home / ".codex/config.toml", '[mcp_servers.a]\ncommand = "x"\n')
    put(home / "xdg/zed/settings.json", '{"context_servers": {}}')
    put(home / ".continue/config.yaml", "mcpServers: []\n")
    put(home / ".continue/mcpServers/block.yaml", "name: b\ncommand: x\n")
    put(home / "xdg/goose/config.yaml", "extensions: {}\n")
    put(home / "xdg/opencode/opencode.json", '{"mcp": {}}')
    put(home / ".kiro/settings/mcp.json")
    put(home / ".aws/amazonq/mcp.json")
    put(home / ".copilot/mcp-config.json")
    put(home / ".junie/mcp/mcp.json")
    put(root / "etc/claude-code/managed-mcp.json")
    put(root / "etc/codex/config.toml", '[mcp_servers.m]\ncommand = "x"\n')
    put(cwd / ".mcp.json")
    put(cwd / ".vscode/mcp.json", '{"servers": {}}')
    put(cwd / "mcp.json", '{"servers": {}}')

    configs = discover(
        home=home,
        cwd=cwd,
        system="linux",
        env={"XDG_CONFIG_HOME": str(home / "xdg")},
        system_root=root,
    )
    assert found(configs, tmp_path) == {
        ("home/xdg/Claude/claude_desktop_config.json", "claude-desktop", "user"),
        ("home/.claude.json", "claude-code", "user"),
        ("home/.claude/plugins/cache/market/plugin/1.0/.mcp.json", "claude-code", "user"),
        ("home/.cursor/mcp.json", "cursor", "user"),
        ("home/.codeium/windsurf/mcp_config.json", "windsurf", "user"),
        ("home/.gemini/settings.json", "gemini", "user"),
        ("home/.codex/config.toml", "codex", "user"),
        ("home/xdg/zed/settings.json", "zed", "user"),
        ("home/.continue/config.yaml", "continue", "user"),
        ("home/.continue/mcpServers/block.yaml", "continue", "user"),
        ("home/xdg/goose/config.yaml", "goose", "user"),
        ("home/xdg/opencode/opencode.json", "opencode", "user"),
        ("home/.kiro/settings/mcp.json", "kiro", "user"),
        ("home/.aws/amazonq/mcp.json", "amazon-q", "user"),
        ("home/.copilot/mcp-config.json", "copilot-cli", "user"),
        ("home/.junie/mcp/mcp.json", "jetbrains", "user"),
        ("root/etc/claude-code/managed-mcp.json", "claude-code", "managed"),
        ("root/etc/codex/config.toml", "codex", "managed"),
        ("home/src/app/.mcp.json", "claude-code", "project"),
        ("home/src/app/.vscode/mcp.json", "vscode", "project"),
        ("home/src/app/mcp.json", "mcp-json", "project"),
    }
    # the VS Code user dir honours XDG_CONFIG_HOME, so ~/.config/Code is not looked at
    assert not any("Code" in c.path.as_posix() for c in configs)

    without_xdg = discover(home=home, cwd=cwd, system="linux", env={}, system_root=root)
    assert ("home/.config/Code/User/mcp.json", "vscode", "user") in found(without_xdg, tmp_path)
    assert ("home/.config/Code - Insiders/User/settings.json", "vscode", "user") in found(
        without_xdg, tmp_path
    )
    assert (
        "home/.config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/"
        "cline_mcp_settings.json",
        "cline",
        "user",
    ) in found(without_xdg, tmp_path)
    assert not any(
        c.path.name == "settings.json" and "Code/User" in c.path.as_posix() for c in without_xdg
    )


def test_darwin(tmp_path: Path) -> None:
    home, root, cwd = tmp_path / "Users/alice", tmp_path / "root", tmp_path / "work"
    support = home / "Library/Application Support"
    put(support / "Claude/claude_desktop_config.json")
    put(support / "Code/User/mcp.json", '{"servers": {}}')
    put(support / "Code/User/globalStorage/rooveterinaryinc.roo-cline/settings/mcp_settings.json")
    put(support / "JetBrains/IntelliJIdea2025.2/mcp.json")
    put(home / ".config/zed/settings.json", '{"context_servers": {}}')
    put(root / "Library/Application Support/ClaudeCode/managed-mcp.json")
    put(root / "Library/Application Support/GeminiCli/settings.json")
    put(cwd / ".cursor/mcp.json")
    configs = discover(home=home, cwd=cwd, system="darwin", env={}, system_root=root)
    assert found(configs, tmp_path) == {
        (
            "Users/alice/Library/Application Support/Claude/claude_desktop_config.json",
            "claude-desktop",
            "user",
        ),
        ("Users/alice/Library/Application Support/Code/User/mcp.json", "vscode", "user"),
        (
            "Users/alice/Library/Application Support/Code/User/globalStorage/"
            "rooveterinaryinc.roo-cline/settings/mcp_settings.json",
            "roo",
            "user",
        ),
        (
            "Users/alice/Library/Application Support/JetBrains/IntelliJIdea2025.2/mcp.json",
            "jetbrains",
            "user",
        ),
        ("Users/alice/.config/zed/settings.json", "zed", "user"),
        ("root/Library/Application Support/ClaudeCode/managed-mcp.json", "claude-code", "managed"),
        ("root/Library/Application Support/GeminiCli/settings.json", "gemini", "managed"),
        ("work/.cursor/mcp.json", "cursor", "project"),
    }


def test_windows(tmp_path: Path) -> None:
    profile = tmp_path / "Users" / "bob"
    appdata = profile / "AppData" / "Roaming"
    program_data = tmp_path / "ProgramData"
    program_files = tmp_path / "Program Files"
    put(appdata / "Claude/claude_desktop_config.json")
    put(appdata / "Code/User/mcp.json", '{"servers": {}}')
    put(appdata / "Zed/settings.json", '{"context_servers": {}}')
    put(appdata / "Block/goose/config/config.yaml", "extensions: {}\n")
    put(profile / ".cursor/mcp.json")
    put(profile / ".codeium/windsurf/mcp_config.json")
    put(profile / ".continue/config.yaml", "mcpServers: []\n")
    put(program_files / "ClaudeCode/managed-mcp.json")
    put(program_data / "gemini-cli/settings.json")
    put(program_data / "OpenAI/Codex/config.toml", '[mcp_servers.m]\ncommand = "x"\n')
    env = {
        "appdata": str(appdata),  # Windows variable names are case-insensitive
        "USERPROFILE": str(profile),
        "ProgramData": str(program_data),
        "ProgramW6432": str(program_files),
    }
    configs = discover(home=profile, cwd=tmp_path / "nowhere", system="windows", env=env)
    assert found(configs, tmp_path) == {
        ("Users/bob/AppData/Roaming/Claude/claude_desktop_config.json", "claude-desktop", "user"),
        ("Users/bob/AppData/Roaming/Code/User/mcp.json", "vscode", "user"),
        ("Users/bob/AppData/Roaming/Zed/settings.json", "zed", "user"),
        ("Users/bob/AppData/Roaming/Block/goose/config/config.yaml", "goose", "user"),
        ("Users/bob/.cursor/mcp.json", "cursor", "user"),
        ("Users/bob/.codeium/windsurf/mcp_config.json", "windsurf", "user"),
        ("Users/bob/.continue/config.yaml", "continue", "user"),
        ("Program Files/ClaudeCode/managed-mcp.json", "claude-code", "managed"),
        ("ProgramData/gemini-cli/settings.json", "gemini", "managed"),
        ("ProgramData/OpenAI/Codex/config.toml", "codex", "managed"),
    }


def test_env_overrides(tmp_path: Path) -> None:
    home = tmp_path / "home"
    put(tmp_path / "claude-dir/.claude.json")
    put(tmp_path / "codex-home/config.toml", '[mcp_servers.a]\ncommand = "x"\n')
    put(tmp_path / "codex-home/work.config.toml", '[mcp_servers.b]\ncommand = "x"\n')
    put(tmp_path / "custom/opencode.json", '{"mcp": {}}')
    put(tmp_path / "cline.json")
    env = {
        "CLAUDE_CONFIG_DIR": str(tmp_path / "claude-dir"),
        "CODEX_HOME": str(tmp_path / "codex-home"),
        "OPENCODE_CONFIG": str(tmp_path / "custom/opencode.json"),
        "CLINE_MCP_SETTINGS_PATH": str(tmp_path / "cline.json"),
    }
    configs = discover(
        home=home, cwd=tmp_path / "none", system="linux", env=env, system_root=tmp_path / "root"
    )
    assert found(configs, tmp_path) == {
        ("claude-dir/.claude.json", "claude-code", "user"),
        ("codex-home/config.toml", "codex", "user"),
        ("codex-home/work.config.toml", "codex", "user"),
        ("custom/opencode.json", "opencode", "user"),
        ("cline.json", "cline", "user"),
    }


def test_broken_shared_settings_file_is_listed_so_its_error_is_reported(tmp_path: Path) -> None:
    home = tmp_path / "home"
    put(home / ".gemini/settings.json", '{"mcpServers": ')
    configs = discover(
        home=home, cwd=tmp_path, system="linux", env={}, system_root=tmp_path / "root"
    )
    assert found(configs, tmp_path) == {("home/.gemini/settings.json", "gemini", "user")}
    result = load_discovered(configs, cwd=tmp_path)
    assert result.files_failed == ("home/.gemini/settings.json",)
    assert result.diagnostics[0].fatal


def test_project_and_user_file_is_listed_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    put(home / ".cursor/mcp.json")
    configs = discover(home=home, cwd=home, system="linux", env={}, system_root=tmp_path / "root")
    assert found(configs, tmp_path) == {("home/.cursor/mcp.json", "cursor", "user")}


def test_load_discovered_keeps_client_and_scope(tmp_path: Path) -> None:
    home = tmp_path / "home"
    put(home / ".gemini/settings.json", '{"mcpServers": {"g": {"url": "https://x.example/sse"}}}')
    put(home / "app/mcp.json", '{"servers": {"v": {"command": "x"}}}')
    configs = discover(
        home=home, cwd=home / "app", system="linux", env={}, system_root=tmp_path / "root"
    )
    result = load_discovered(configs, cwd=home / "app")
    g, v = result.connectors
    assert (g.source.client, g.source.scope, g.transport) == ("gemini", "user", "sse")
    assert g.source.file == str(home / ".gemini/settings.json")
    assert (v.source.client, v.source.scope, v.source.file) == ("vscode", "project", "mcp.json")


def test_unknown_system_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="unknown system"):
        discover(home=tmp_path, cwd=tmp_path, system="plan9", env={})
