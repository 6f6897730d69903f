"""Which client wrote a file, and in which scope, judged from its path alone.

When the path says nothing (a generic ``mcp.json``), the document's shape decides
(:mod:`mcpscan.sources.formats`).
"""

from __future__ import annotations

from pathlib import Path, PurePath

# Files whose name alone says they belong to one user, wherever they are.
_USER_FILES = frozenset(
    {
        "claude_desktop_config.json",
        ".claude.json",
        "cline_mcp_settings.json",
        "mcp_settings.json",
        "mcp_config.json",
        "mcp-config.json",
    }
)


def client_for(path: PurePath) -> str | None:
    """The client whose config ``path`` is, or None when the name is generic."""
    name = path.name.lower()
    parts = [p.lower() for p in path.parts[:-1]]
    parent = parts[-1] if parts else ""

    def under(*dirs: str) -> bool:
        return any(d in parts for d in dirs)

    if name == "claude_desktop_config.json":
        return "claude-desktop"
    if name in (".claude.json", "managed-mcp.json"):
        return "claude-code"
    if name in ("opencode.json", "opencode.jsonc"):
        return "opencode"
    if name == "server.json":
        return "mcp-registry"
    if name in ("cline_mcp_settings.json", "mcp_settings.json"):
        return "roo" if under("rooveterinaryinc.roo-cline") else "cline"
    if name == "mcp-config.json" and under(".copilot"):
        return "copilot-cli"
    if name == "mcp_config.json":
        return "antigravity" if under(".gemini") else "windsurf"
    if name == "config.toml" or name.endswith(".config.toml"):
        return "codex"
    if under(".continue") and (
        parent == "mcpservers" or name in ("config.yaml", "config.yml", "config.json")
    ):
        return "continue"
    if name in ("config.yaml", "config.yml") and under("goose"):
        return "goose"
    if name in ("settings.json", "system-defaults.json") and under(
        ".gemini", "gemini-cli", "geminicli"
    ):
        return "gemini"
    if name == "settings.json":
        if under("zed", ".zed"):
            return "zed"
        if parent == ".claude":
            return "claude-code"
        if parent == ".vscode" or _is_code_user_dir(parts):
            return "vscode"
        return None
    if name in ("mcp.json", ".mcp.json") or (name.endswith(".json") and parent == "agents"):
        return _mcp_json_client(name, parts)
    return None


def _is_code_user_dir(parts: list[str]) -> bool:
    return len(parts) >= 2 and parts[-1] == "user" and parts[-2].startswith("code")


def _mcp_json_client(name: str, parts: list[str]) -> str | None:
    checks = (
        ((".cursor", "cursor"), "cursor"),
        ((".kiro",), "kiro"),
        ((".amazonq", "amazonq", "amazonwebservices.amazon-q-vscode"), "amazon-q"),
        ((".junie", "jetbrains", "intellij"), "jetbrains"),
        ((".windsurf",), "windsurf"),
        ((".roo",), "roo"),
        ((".codex",), "codex"),
        ((".claude",), "claude-code"),
    )
    for dirs, client in checks:
        if any(d in parts for d in dirs):
            return client
    if name == "mcp.json" and ((parts and parts[-1] == ".vscode") or _is_code_user_dir(parts)):
        return "vscode"
    if name == ".mcp.json":
        return "claude-code"
    return None


def scope_for(path: Path, *, home: Path | None = None) -> str:
    """ "managed", "user" or "project" for a config file, from where it lives."""
    text = path.as_posix().lower()
    if (
        path.name.lower() == "managed-mcp.json"
        or text.startswith(
            ("/etc/", "/library/application support/", "/library/managed preferences/")
        )
        or "programdata" in text
    ):
        return "managed"
    home = home if home is not None else _home()
    if home is not None:
        try:
            relative = path.absolute().relative_to(home.absolute())
        except ValueError:
            relative = None
        if relative is not None and relative.parts:
            first = relative.parts[0]
            if len(relative.parts) == 1 or first.startswith(".") or first in ("Library", "AppData"):
                return "user"
            return "project"
    return "user" if path.name.lower() in _USER_FILES else "project"


def _home() -> Path | None:
    try:
        return Path.home()
    except RuntimeError:
        return None
