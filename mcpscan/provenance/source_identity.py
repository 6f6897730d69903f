"""Source repository identity: the one way mcpscan decides that two repository references
name the same repository.

Packages, ``server.json`` files and provenance certificates spell a repository many ways
(``git+https://…/o/r.git``, ``git@github.com:o/r``, ``ssh://git@github.com/o/r``,
``github:o/r``, ``o/r``, ``https://www.github.com/O/R/tree/main/src``). Comparing them as
text misses equal ones and, worse, accepts different ones: ``https://github.com/o/r/../../x/y``
reads as ``o/r`` to a text comparison and opens ``x/y`` in a browser. :func:`source_identity`
reduces a reference to host and repository path the way a browser and git would resolve it
(RFC 3986 dot segments removed after decoding, userinfo and port dropped, forge views cut,
case folded where the forge ignores case). SC04 (source mismatch), SC14 (ownership), the
approval lock and the reports all use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

# Forges where a repository is exactly "owner/name" and later path segments are views of it
# (tree/main/src/x, issues, ...), and where owner and name are case-insensitive.
OWNER_NAME_FORGES = frozenset({"github.com", "bitbucket.org", "codeberg.org", "gitlab.com"})
_NESTED_GROUPS = frozenset({"gitlab.com"})  # groups nest: only "/-/" starts a view
_SHORTHAND = re.compile(r"^(?P<forge>github|gitlab|bitbucket):(?P<path>.+)$", re.IGNORECASE)
_SHORTHAND_HOSTS = {"github": "github.com", "gitlab": "gitlab.com", "bitbucket": "bitbucket.org"}
_OWNER_REPO = re.compile(r"^[\w.-]+/[\w.-]+$")
_SCP_LIKE = re.compile(
    r"^(?:[\w.+-]+@)?(?P<host>[\w.-]+\.[a-z]{2,}):(?!//)(?P<path>.+)$", re.IGNORECASE
)


@dataclass(frozen=True)
class SourceIdentity:
    host: str  # lower case, no "www."
    path: str  # repository path, no leading or trailing "/", no ".git"; folded where the
    # forge ignores case

    @property
    def key(self) -> str:
        """``host/path``: what two references must share to name one repository."""
        return f"{self.host}/{self.path}" if self.path else self.host

    @property
    def url(self) -> str:
        """The canonical https URL (what the lock records and reports show)."""
        return f"https://{self.key}"

    @property
    def owner(self) -> str | None:
        """The first path segment (the GitHub owner), when there is one."""
        return self.path.split("/", 1)[0] if self.path else None


def source_identity(reference: str | None) -> SourceIdentity | None:
    """The repository ``reference`` names; None when it names no host (empty, a bare word)."""
    text = (reference or "").strip()
    if not text:
        return None
    shorthand = _SHORTHAND.match(text)
    scp = _SCP_LIKE.match(text) if "://" not in text else None
    if shorthand:
        host, path = _SHORTHAND_HOSTS[shorthand["forge"].lower()], shorthand["path"]
    elif _OWNER_REPO.match(text):  # npm's "owner/repo" shorthand means GitHub
        host, path = "github.com", text
    elif scp:
        host, path = scp["host"], scp["path"]
    else:
        if text.lower().startswith("git+"):
            text = text[4:]
        try:
            parts = urlsplit(text if "://" in text else f"https://{text}")
            host = parts.hostname or ""
        except ValueError:  # an invalid port or bracketed host
            return None
        path = parts.path
    host = host.lower().rstrip(".").removeprefix("www.")
    if not host or "." not in host:
        return None
    return SourceIdentity(host, _repository_path(host, path))


def same_source(a: str | None, b: str | None) -> bool:
    """Whether two references name the same repository (False when either names none)."""
    left, right = source_identity(a), source_identity(b)
    return left is not None and right is not None and left.key == right.key


def canonical_url(reference: str | None) -> str | None:
    """The canonical URL of ``reference``, or None when it names no repository."""
    found = source_identity(reference)
    return found.url if found is not None else None


def _repository_path(host: str, raw: str) -> str:
    path = raw.split("#", 1)[0].split("?", 1)[0].replace("\\", "/")
    # Decode before resolving: "%2e%2e" is a dot segment to a browser.
    segments = _remove_dot_segments([unquote(s) for s in path.split("/")])
    segments = [s for s in segments if s]
    if host in _NESTED_GROUPS and "-" in segments:
        segments = segments[: segments.index("-")]
    if host in OWNER_NAME_FORGES and host not in _NESTED_GROUPS:
        segments = segments[:2]
    if segments:
        segments[-1] = segments[-1].removesuffix(".git")
    path = "/".join(s for s in segments if s)
    return path.lower() if host in OWNER_NAME_FORGES else path


def _remove_dot_segments(segments: list[str]) -> list[str]:
    """RFC 3986 §5.2.4 over path segments: "." dropped, ".." removes the one before."""
    out: list[str] = []
    for segment in segments:
        if segment == ".":
            continue
        if segment == "..":
            if out:
                out.pop()
            continue
        out.append(segment)
    return out
