"""The project directories of a ``--recursive`` directory target (a monorepo's packages).

Breadth first, bounded in depth and in the number of directories looked at. Directories
that hold no project of their own are not entered: dependency and build trees
(``node_modules``, ``vendor``, ``dist`` ...) and hidden ones (``.git``, and the client
directories such as ``.vscode``, whose configs are read from their parent). Symbolic links
to directories are never followed, so a link loop or a link out of the tree is not walked.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

MAX_DEPTH = 8
MAX_DIRS = 10_000
SKIP_DIRS = frozenset(
    {
        "node_modules",
        "bower_components",
        "jspm_packages",
        "vendor",
        "third_party",
        "dist",
        "build",
        "out",
        "target",
        "coverage",
        "site-packages",
        "venv",
        "env",
        "__pycache__",
    }
)


def project_dirs(
    root: Path, *, max_depth: int = MAX_DEPTH, max_dirs: int = MAX_DIRS
) -> tuple[list[Path], str | None]:
    """``root`` and the directories below it worth reading as projects, and why the walk
    stopped early (None when it did not)."""
    found: list[Path] = []
    queue: deque[tuple[Path, int]] = deque([(root, 0)])
    stopped: str | None = None
    deeper = False
    while queue:
        directory, depth = queue.popleft()
        if len(found) >= max_dirs:
            stopped = f"stopped after {max_dirs} directories; the rest were not read"
            break
        found.append(directory)
        try:
            children = sorted(directory.iterdir())
        except OSError:
            continue
        for child in children:
            name = child.name
            if name.startswith(".") or name in SKIP_DIRS or child.is_symlink():
                continue
            if not child.is_dir():
                continue
            if depth + 1 > max_depth:
                deeper = True
                continue
            queue.append((child, depth + 1))
    if stopped is None and deeper:
        stopped = f"directories deeper than {max_depth} levels were not read"
    return found, stopped
