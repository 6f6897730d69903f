"""Finding the MCP configs of every known client for one OS and user (client-configs.md §3).

Pure filesystem: paths are built from ``home``, ``env`` and ``system`` as given, so tests
can describe any machine with a temporary directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from mcpscan.sources import detect
from mcpscan.sources.formats import GENERIC_CLIENT
from mcpscan.sources.interface import DiscoveredConfig, SourceError
from mcpscan.sources.loader import file_identity, has_mcp_section, project_files

SYSTEMS = ("linux", "darwin", "windows")
_WALK_DEPTH = 8  # plugin caches nest a few levels (marketplace/plugin/version)
_WALK_FILES = 2000  # stop a runaway walk over a huge cache directory
# Files mostly holding other settings: reported only when they have an MCP section.
_SHARED = frozenset(
    {
        "settings.json",
        "system-defaults.json",
        "config.toml",
        "config.yaml",
        "config.json",
        "opencode.json",
        "opencode.jsonc",
    }
)


@dataclass(frozen=True)
class _Machine:
    home: Path
    system: str
    env: Mapping[str, str]
    root: Path

    def var(self, name: str) -> str | None:
        if self.system == "windows":  # Windows environment names are case-insensitive
            folded = {k.upper(): v for k, v in self.env.items()}
            value = folded.get(name.upper())
        else:
            value = self.env.get(name)
        return value or None

    def path_var(self, name: str, default: Path | None) -> Path | None:
        value = self.var(name)
        return Path(value) if value else default

    @property
    def profile(self) -> Path:
        """Where dot-directories live (USERPROFILE on Windows)."""
        if self.system == "windows":
            return self.path_var("USERPROFILE", self.home) or self.home
        return self.home

    @property
    def appdata(self) -> Path:
        """Per-user application settings: APPDATA, Application Support, XDG config."""
        if self.system == "windows":
            return self.path_var("APPDATA", self.profile / "AppData" / "Roaming") or self.home
        if self.system == "darwin":
            return self.home / "Library" / "Application Support"
        return self.xdg

    @property
    def xdg(self) -> Path:
        if self.system == "windows":
            return self.profile / ".config"
        return self.path_var("XDG_CONFIG_HOME", self.home / ".config") or self.home / ".config"

    def windows_dir(self, name: str, default: str) -> Path | None:
        # Without the variable, only a real Windows host can name the default location.
        return self.path_var(name, Path(default) if os.name == "nt" else None)

    def system_dir(self, unix: str, darwin: str, windows: tuple[str, str, str]) -> Path | None:
        if self.system == "windows":
            var, default, sub = windows
            base = self.windows_dir(var, default)
            return base / sub if base is not None else None
        return self.root / (darwin if self.system == "darwin" else unix)


def discover(
    *,
    home: Path,
    cwd: Path,
    system: str,
    env: Mapping[str, str],
    system_root: Path | None = None,
) -> tuple[DiscoveredConfig, ...]:
    """Existing MCP config files of every known client: user scope, managed scope, then
    project scope under ``cwd``.

    ``system`` is "linux", "darwin" or "windows". ``system_root`` replaces ``/`` for the
    machine-wide paths of Linux and macOS (tests use it; Windows takes them from ``env``).
    Files that mainly hold other settings (VS Code or Zed ``settings.json``, Codex
    ``config.toml``…) are listed only when they have an MCP section or cannot be parsed.
    """
    if system not in SYSTEMS:
        raise SourceError(f"unknown system '{system}' (expected {', '.join(SYSTEMS)})")
    machine = _Machine(home=home, system=system, env=env, root=system_root or Path("/"))
    found: list[DiscoveredConfig] = []
    seen: set[Path] = set()

    def add(path: Path, client: str, scope: str) -> None:
        if not path.is_file():
            return
        key = file_identity(path)
        if key in seen:
            return
        if path.name.lower() in _SHARED and not has_mcp_section(path, client):
            return
        seen.add(key)
        found.append(DiscoveredConfig(path=path, client=client, scope=scope))

    for client, path in _user_paths(machine):
        add(path, client, "user")
    for client, path in _managed_paths(machine):
        add(path, client, "managed")
    for path, _shared in project_files(cwd):
        add(path, detect.client_for(path) or GENERIC_CLIENT, "project")
    return tuple(found)


def _user_paths(m: _Machine) -> Iterator[tuple[str, Path]]:
    profile, appdata, xdg = m.profile, m.appdata, m.xdg
    yield "claude-desktop", appdata / "Claude" / "claude_desktop_config.json"
    claude_dir = m.path_var("CLAUDE_CONFIG_DIR", None)
    yield "claude-code", (claude_dir or profile) / ".claude.json"
    for path in _walk(profile / ".claude" / "plugins", (".mcp.json",)):
        yield "claude-code", path

    yield "cursor", profile / ".cursor" / "mcp.json"
    for path in _walk(profile / ".cursor" / "plugins", ("mcp.json", ".mcp.json")):
        yield "cursor", path

    for edition in ("Code", "Code - Insiders"):
        user = appdata / edition / "User"
        yield "vscode", user / "mcp.json"
        yield "vscode", user / "settings.json"
        storage = user / "globalStorage"
        yield "cline", storage / "saoudrizwan.claude-dev" / "settings" / "cline_mcp_settings.json"
        roo = storage / "rooveterinaryinc.roo-cline" / "settings"
        yield "roo", roo / "cline_mcp_settings.json"
        yield "roo", roo / "mcp_settings.json"
        yield "amazon-q", storage / "amazonwebservices.amazon-q-vscode" / "mcp.json"
    yield "vscode", profile / ".vscode" / "mcp.json"
    cline = m.path_var("CLINE_MCP_SETTINGS_PATH", None)
    yield "cline", cline or profile / ".cline" / "data" / "settings" / "cline_mcp_settings.json"

    yield "copilot-cli", profile / ".copilot" / "mcp-config.json"
    yield "windsurf", profile / ".codeium" / "windsurf" / "mcp_config.json"
    yield "antigravity", profile / ".gemini" / "antigravity" / "mcp_config.json"
    yield "antigravity", profile / ".gemini" / "config" / "mcp_config.json"
    yield "gemini", profile / ".gemini" / "settings.json"

    codex_home = m.path_var("CODEX_HOME", None) or profile / ".codex"
    yield "codex", codex_home / "config.toml"
    for path in _glob(codex_home, "*.config.toml"):
        yield "codex", path
    for path in _walk(codex_home / "plugins", (".mcp.json",)):
        yield "codex", path

    zed = appdata / "Zed" if m.system == "windows" else xdg / "zed"
    yield "zed", zed / "settings.json"

    continue_dir = profile / ".continue"
    yield "continue", continue_dir / "config.yaml"
    yield "continue", continue_dir / "config.json"
    for pattern in ("*.yaml", "*.yml", "*.json"):
        for path in _glob(continue_dir / "mcpServers", pattern):
            yield "continue", path

    goose = appdata / "Block" / "goose" / "config" if m.system == "windows" else xdg / "goose"
    yield "goose", goose / "config.yaml"

    opencode = m.path_var("OPENCODE_CONFIG", None)
    if opencode is not None:
        yield "opencode", opencode
    for directory in (xdg / "opencode", profile / ".opencode"):
        yield "opencode", directory / "opencode.json"
        yield "opencode", directory / "opencode.jsonc"

    kiro = profile / ".kiro"
    yield "kiro", kiro / "settings" / "mcp.json"
    for path in _glob(kiro / "agents", "*.json"):
        yield "kiro", path
    for path in _glob(kiro / "powers" / "installed", "*/mcp.json"):
        yield "kiro", path

    amazonq = profile / ".aws" / "amazonq"
    yield "amazon-q", amazonq / "mcp.json"
    yield "amazon-q", amazonq / "agents" / "default.json"
    yield "amazon-q", amazonq / "agents" / "mcp.json"

    for path in _glob(appdata / "JetBrains", "*/mcp.json"):
        yield "jetbrains", path
    yield "jetbrains", xdg / "github-copilot" / "intellij" / "mcp.json"
    yield "jetbrains", profile / ".junie" / "mcp" / "mcp.json"


# Machine-wide (managed) configs: client, its directory on Linux, on macOS (both under the
# system root), on Windows (environment variable, its default, subdirectory), and the files.
_MANAGED: tuple[tuple[str, str, str, tuple[str, str, str], tuple[str, ...]], ...] = (
    (
        "claude-code",
        "etc/claude-code",
        "Library/Application Support/ClaudeCode",
        ("ProgramW6432", "C:\\Program Files", "ClaudeCode"),
        ("managed-mcp.json",),
    ),
    (
        "gemini",
        "etc/gemini-cli",
        "Library/Application Support/GeminiCli",
        ("ProgramData", "C:\\ProgramData", "gemini-cli"),
        ("settings.json", "system-defaults.json"),
    ),
    (
        "codex",
        "etc/codex",
        "etc/codex",
        ("ProgramData", "C:\\ProgramData", "OpenAI/Codex"),
        ("config.toml",),
    ),
    (
        "opencode",
        "etc/opencode",
        "Library/Application Support/opencode",
        ("ProgramData", "C:\\ProgramData", "opencode"),
        ("opencode.json", "opencode.jsonc"),
    ),
)


def _managed_paths(m: _Machine) -> Iterator[tuple[str, Path]]:
    for client, unix, darwin, windows, names in _MANAGED:
        directory = m.system_dir(unix, darwin, windows)
        if directory is not None:
            for name in names:
                yield client, directory / name


def _glob(directory: Path, pattern: str) -> list[Path]:
    try:
        return sorted(p for p in directory.glob(pattern) if p.is_file())
    except OSError:
        return []


def _walk(directory: Path, names: tuple[str, ...]) -> list[Path]:
    """Files named one of ``names`` under ``directory``, depth- and count-limited."""
    if not directory.is_dir():
        return []
    found: list[Path] = []
    visited = 0
    base_depth = len(directory.parts)
    for current, dirs, files in os.walk(directory):
        here = Path(current)
        if len(here.parts) - base_depth >= _WALK_DEPTH:
            dirs.clear()
        dirs.sort()
        for name in sorted(files):
            visited += 1
            if name in names:
                found.append(here / name)
        if visited > _WALK_FILES:
            break
    return found
