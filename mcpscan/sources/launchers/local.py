"""Local code: programs and packages a launch runs that no registry can vouch for.

The launcher modules name it while walking the command line (:func:`record`, pure); then
:func:`locate` looks each one up on the scanning machine (does the file exist, is it inside
the scanned repository, is the program on PATH), which decides the severity of EX03. The
lookup only asks the filesystem about names: it never opens, reads or runs them.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from mcpscan.models import Connector, Launch, LocalCode
from mcpscan.sources.launchers.facts import _Acc

# Directories clients keep project configs in: the repository is the directory above.
_CONFIG_DIRS = frozenset(
    {
        ".vscode",
        ".cursor",
        ".gemini",
        ".claude",
        ".continue",
        ".kiro",
        ".roo",
        ".windsurf",
        ".codex",
        ".zed",
        ".amazonq",
        ".junie",
        ".github",
    }
)
_ENV_RE = re.compile(r"^(?:\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$\{env:[^}]+\}|%[A-Za-z_][^%]*%)")


def found_by(path: str) -> str:
    """How a client would find ``path``."""
    if _ENV_RE.match(path):
        return "environment variable"
    if path.startswith(("/", "~")) or re.match(r"^[A-Za-z]:[\\/]", path):
        return "absolute path"
    if "/" in path or "\\" in path or path.startswith("."):
        return "relative to the working directory"
    return "PATH lookup"


def record(acc: _Acc, kind: str, path: str, launcher: str = "", how: str | None = None) -> None:
    """Name local code the launch runs; a program named by a variable is its own kind."""
    how = how or found_by(path)
    if how == "environment variable":
        kind = "env-command"
    elif how == "PATH lookup" and kind != "program":
        how = "relative to the working directory"  # a script argument is a file, not a PATH name
    acc.local_code(LocalCode(kind=kind, path=path, found_by=how, launcher=launcher))


def repository_root(config_file: str) -> Path:
    """The directory a project config belongs to (``.vscode/mcp.json`` -> the repository)."""
    parent = Path(config_file).parent
    if parent.name == "mcpServers" and parent.parent.name == ".continue":
        return parent.parent.parent
    return parent.parent if parent.name in _CONFIG_DIRS else parent


def locate(
    connector: Connector,
    launch: Launch,
    *,
    which: Callable[[str], str | None] = shutil.which,
) -> Launch:
    """``launch`` with the location of each piece of local code filled in."""
    if not launch.local:
        return launch
    root = repository_root(connector.source.file) if connector.source.file else Path.cwd()
    found = tuple(
        dataclasses.replace(code, location=_where(code, root, which)) for code in launch.local
    )
    return dataclasses.replace(launch, local=found)


def _where(code: LocalCode, root: Path, which: Callable[[str], str | None]) -> str:
    if code.kind in ("env-command", "module", "package script"):
        return "unknown"
    if code.found_by == "PATH lookup":
        return "on-path" if which(code.path) else "missing"
    if code.found_by not in ("absolute path", "relative to the working directory"):
        return "unknown"
    try:
        path = Path(os.path.expanduser(code.path.removeprefix("file:")))
        if not path.is_absolute():
            path = root / path
        if not os.path.lexists(path):
            return "missing"
        resolved = path.resolve()
        inside = resolved.is_relative_to(root.resolve())
    except (OSError, ValueError, RuntimeError):
        return "unknown"
    return "in-repo" if inside else "outside-repo"
