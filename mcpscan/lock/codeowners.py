"""The owners a repository's ``CODEOWNERS`` file names for a path (``approve``'s default
``--owner``).

As GitHub reads it: the first of ``.github/CODEOWNERS``, ``CODEOWNERS`` and
``docs/CODEOWNERS``; one ``pattern owner…`` rule a line; the last matching rule wins (a
rule with no owners leaves the path unowned). Patterns are gitignore-style: a pattern
without an inner ``/`` matches at any depth, a leading ``/`` or an inner ``/`` anchors it
at the root, a trailing ``/`` matches a directory's contents, ``*`` and ``?`` stay within
one path segment, ``**`` crosses segments, and a final segment with a wildcard matches
files only (``docs/*`` owns ``docs/a.md``, not ``docs/sub/b.md``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
MAX_FILE_BYTES = 3 * 1024 * 1024  # GitHub ignores a CODEOWNERS file over 3 MB


@dataclass(frozen=True)
class Rule:
    pattern: str
    owners: tuple[str, ...]
    line: int
    regex: re.Pattern[str]


@dataclass(frozen=True)
class CodeOwners:
    path: str  # the CODEOWNERS file
    rules: tuple[Rule, ...]

    def owners_of(self, relative: str) -> tuple[tuple[str, ...], Rule] | None:
        """The owners of ``relative`` (a POSIX path from the repository root) and the rule
        that decided, or None when no rule matches."""
        for rule in reversed(self.rules):
            if rule.regex.match(relative):
                return rule.owners, rule
        return None


def repository_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding ``.git`` (a directory, or a
    file in a worktree)."""
    current = start.resolve()
    for directory in (current, *current.parents):
        if (directory / ".git").exists():
            return directory
    return None


def find_codeowners(root: Path) -> Path | None:
    for location in LOCATIONS:
        candidate = root / location
        if candidate.is_file():
            return candidate
    return None


def load_codeowners(path: Path) -> CodeOwners | None:
    """The rules of ``path``; None when it cannot be read (then there is no default)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_FILE_BYTES:
        return None
    return parse_codeowners(data.decode("utf-8", "replace"), str(path))


def parse_codeowners(text: str, where: str) -> CodeOwners:
    rules = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw).strip()
        if not line:
            continue
        pattern, *owners = line.split()
        pattern = pattern.replace("\\#", "#")
        regex = _compile(pattern)
        if regex is not None:
            rules.append(Rule(pattern, tuple(owners), number, regex))
    return CodeOwners(where, tuple(rules))


def _strip_comment(line: str) -> str:
    # "#" starts a comment unless escaped ("\#" is a literal hash in a pattern).
    for i, ch in enumerate(line):
        if ch == "#" and (i == 0 or line[i - 1] != "\\"):
            return line[:i]
    return line


def _compile(pattern: str) -> re.Pattern[str] | None:
    # GitHub does not support "!" negation or "[...]" ranges: such a line is skipped.
    if pattern.startswith("!") or "[" in pattern:
        return None
    directory = pattern.endswith("/")
    body = pattern.strip("/") if pattern != "/" else ""
    if not body:
        return None
    anchored = pattern.startswith("/") or "/" in body
    out = []
    i = 0
    while i < len(body):
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif body[i] == "*":
            out.append("[^/]*")
            i += 1
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(body[i]))
            i += 1
    last = body.rsplit("/", 1)[-1]
    if directory:
        tail = "/.*"
    elif ("*" in last or "?" in last) and last != "**":
        tail = ""  # a wildcard last segment names files, not the contents of directories
    else:
        tail = "(?:/.*)?"
    head = "" if anchored else "(?:.*/)?"
    return re.compile(f"^{head}{''.join(out)}{tail}$")


def default_owner(config_file: Path) -> tuple[str, str] | None:
    """The owners CODEOWNERS names for ``config_file`` (space-separated) and where that
    was decided (``CODEOWNERS:LINE``); None when there is no repository, no CODEOWNERS
    file, or no rule with owners matches."""
    root = repository_root(config_file.parent if config_file.is_file() else config_file)
    if root is None:
        return None
    found = find_codeowners(root)
    if found is None:
        return None
    owners = load_codeowners(found)
    try:
        relative = config_file.resolve().relative_to(root).as_posix()
    except ValueError:
        return None
    decided = owners.owners_of(relative) if owners is not None else None
    if decided is None or not decided[0]:
        return None
    return " ".join(decided[0]), f"{found}:{decided[1].line}"
