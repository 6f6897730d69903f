"""npm package arguments and dependency specs, read the way npm-package-arg reads them.

Two entry points share one grammar:

* :func:`parse_npm_spec` reads a command-line argument (``npx <arg>``): ``name[@spec]``,
  ``alias@npm:name[@spec]``, ``npm:name[@spec]``, or a git, URL or file spec as a whole.
* :func:`parse_spec` reads a dependency (``"name": "<spec>"`` in package.json).

Whether a version is exact, a range or a tag is decided by :mod:`.semver` (node-semver with
``loose``, as npm calls it), never by a regex of its own: ``01.2.3``, ``1.2.3x`` and
``= 1.2.3`` are exact versions to npm, so they are here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from mcpscan.ecosystems.npm import semver
from mcpscan.models import VersionKind

NAME_MAX_LENGTH = 214

# validate-npm-package-name: URL-safe, no leading ".", "_" or "-" (a leading "-" would also
# read as an option); legacy registry names may hold upper case.
_NAME_RE = re.compile(r"^(?:@[a-z0-9~][a-z0-9._~-]*/)?[a-z0-9~][a-z0-9._~-]*$", re.IGNORECASE)
# npa's tag rule: what encodeURIComponent leaves alone.
_TAG_RE = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+$")

_HOSTED_PREFIXES = ("github:", "gitlab:", "bitbucket:", "gist:")
_GIT_PREFIXES = (*_HOSTED_PREFIXES, "git+", "git:", "ssh:")
_GIT_HOSTS = ("github.com", "gitlab.com", "bitbucket.org")
_TARBALL_SUFFIXES = (".tgz", ".tar.gz", ".tar")
_FILE_RE = re.compile(r"^(?:\.|~[/\\]|[/\\]|[A-Za-z]:)")
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# "git@github.com:o/r.git" (scp-like ssh)
_SCP_RE = re.compile(r"^[\w.-]+@[\w-]+(?:\.[\w-]+)+:")
# "owner/repo[#ref]": GitHub shorthand, not a path and not a scoped name.
_SHORTHAND_RE = re.compile(r"^[^@/\s:#.~\\][^@/\s:#\\]*/[^@/\s:#\\]+(?:#\S*)?$")

SourceKind = Literal["git", "url", "file"]


def valid_name(name: str) -> bool:
    """Whether ``name`` is a valid npm package name (``@scope/name`` or ``name``)."""
    return len(name) <= NAME_MAX_LENGTH and bool(_NAME_RE.match(name))


def valid_tag(text: str) -> bool:
    return bool(_TAG_RE.match(text))


def split_name(text: str) -> tuple[str, str | None]:
    """``@scope/name@^1`` -> (``@scope/name``, ``^1``); ``name`` -> (``name``, None)."""
    at = text.find("@", 1) if text.startswith("@") else text.find("@")
    if at < 0:
        return text, None
    return text[:at], text[at + 1 :]


RegistryKind = Literal["version", "range", "tag", "invalid"]


def registry_kind(text: str) -> RegistryKind:
    """What a registry spec is to npm (npa ``fromRegistry``); ``""`` is the range ``*``."""
    text = text.strip()
    if semver.valid(text) is not None:
        return "version"
    if semver.valid_range(text):
        return "range"
    return "tag" if valid_tag(text) else "invalid"


def version_kind(version: str | None) -> VersionKind:
    """How precisely a registry spec pins the package: no spec is UNSPECIFIED, ``latest``
    LATEST, a version EXACT, a range RANGE, anything else (a tag, or junk) TAG."""
    if version is None or not version.strip():
        return VersionKind.UNSPECIFIED
    text = version.strip()
    if text == "latest":
        return VersionKind.LATEST
    kind = registry_kind(text)
    if kind == "version":
        return VersionKind.EXACT
    if kind == "range":
        return VersionKind.RANGE
    return VersionKind.TAG


def exact_version(version: str | None) -> str | None:
    """The version a registry spec pins, normalised as the registry stores it, or None."""
    return semver.valid(version.strip()) if version is not None else None


def _is_file(text: str) -> bool:
    return text.lower().startswith("file:") or bool(_FILE_RE.match(text))


def _is_git(text: str) -> bool:
    lowered = text.lower()
    return (
        lowered.startswith(_GIT_PREFIXES)
        or (bool(_SCP_RE.match(text)) and not text.startswith("@"))
        or bool(_SHORTHAND_RE.match(text))
    )


def _url_kind(text: str) -> SourceKind:
    """A URL: a repository on a known git host (unless it names a tarball), else a tarball."""
    try:
        parts = urlsplit(text)
        host, path = parts.hostname or "", parts.path
    except ValueError:
        host, path = "", ""
    if host in _GIT_HOSTS and not path.endswith(_TARBALL_SUFFIXES):
        return "git"
    return "url"


def source_kind(spec: str) -> SourceKind | None:
    """The non-registry form of a dependency spec (a git repository, a URL, a local path),
    or None for a registry spec (a version, range, tag or ``npm:`` alias)."""
    text = spec.strip()
    if _is_file(text):
        return "file"
    if text.lower().startswith("npm:"):
        return None
    if _is_git(text):
        return "git"
    if _URL_RE.match(text):
        return _url_kind(text)
    if "/" in text or "\\" in text or text.endswith(_TARBALL_SUFFIXES):
        return "file"
    return None


def _argument_source_kind(text: str) -> SourceKind | None:
    """npa(arg): whether the whole argument is a git, URL or file spec."""
    if _is_file(text):
        return "file"
    if _is_git(text):
        return "git"
    if _URL_RE.match(text):
        return _url_kind(text)
    name = split_name(text)[0]
    if not name.startswith("@") and (
        "/" in name or "\\" in name or name.endswith(_TARBALL_SUFFIXES)
    ):
        return "file"
    return None


# -- command-line arguments -----------------------------------------------------------------


@dataclass(frozen=True)
class NpmSpec:
    """An npm package argument, split into its parts.

    ``kind`` is ``"registry"`` (``name[@version]``, optionally written ``npm:name@...``),
    ``"alias"`` (``alias@npm:name[@version]``), ``"git"`` (``name`` is the repository as
    written, ``version`` the committish), ``"url"`` (a tarball URL in ``name``) or
    ``"file"`` (a local path in ``name``). A git, URL or file spec written ``pkg@<spec>``
    keeps ``pkg`` in ``alias``: the name npm installs it under.
    """

    kind: str
    name: str
    version: str | None
    version_kind: VersionKind
    alias: str | None = None
    npm_prefix: bool = False

    @property
    def valid_name(self) -> bool:
        return self.kind not in ("registry", "alias") or valid_name(self.name)

    @property
    def valid_version(self) -> bool:
        if self.kind not in ("registry", "alias") or self.version is None:
            return True
        text = self.version.strip()
        return not text or self.version_kind is not VersionKind.TAG or valid_tag(text)


def parse_npm_spec(spec: str) -> NpmSpec:
    """Parse an npm package argument the way ``npx``/``npm exec`` reads it."""
    text = spec.strip()
    if text.startswith("npm:"):
        name, version = split_name(text[4:])
        return NpmSpec("registry", name, version, version_kind(version), npm_prefix=True)
    source = _argument_source_kind(text)
    if source == "git":
        location, _, ref = text.partition("#")
        return NpmSpec("git", location, ref or None, VersionKind.URL)
    if source is not None:
        return NpmSpec(source, text, None, VersionKind.URL)
    name, version = split_name(text)
    if version is not None and version.startswith("npm:"):
        target, target_version = split_name(version[4:])
        return NpmSpec("alias", target, target_version, version_kind(target_version), alias=name)
    # npa resolves "name@<spec>" with the dependency grammar: "pkg@./dir", "pkg@github:o/r"
    # and "pkg@https://h/x.tgz" fetch that path, repository or URL (installed as "pkg").
    named = source_kind(version) if version is not None else None
    if version is not None and named == "git":
        location, _, ref = version.partition("#")
        return NpmSpec("git", location, ref or None, VersionKind.URL, alias=name)
    if version is not None and named is not None:
        return NpmSpec(named, version, None, VersionKind.URL, alias=name)
    return NpmSpec("registry", name, version, version_kind(version))


def format_npm_spec(spec: NpmSpec) -> str:
    """The argument ``spec`` was parsed from (inverse of :func:`parse_npm_spec`)."""
    named = f"{spec.alias}@" if spec.alias is not None else ""
    if spec.kind == "git":
        return named + spec.name + (f"#{spec.version}" if spec.version is not None else "")
    if spec.kind in ("url", "file"):
        return named + spec.name
    body = spec.name + (f"@{spec.version}" if spec.version is not None else "")
    if spec.kind == "alias":
        return f"{spec.alias}@npm:{body}"
    return ("npm:" if spec.npm_prefix else "") + body


# -- dependency specs -----------------------------------------------------------------------

_WHY = {"file": "local path", "git": "git repository", "url": "URL"}


@dataclass(frozen=True)
class Spec:
    """A dependency spec as npm-package-arg classifies it."""

    raw: str
    kind: str  # "range", "version", "tag", "unsupported"
    package: str  # the registry package to fetch (the alias target for npm: aliases)
    fetch: str  # the range / version / tag; "" means "*"
    alias: bool = False
    why: str = ""  # for "unsupported": what kind of spec it is

    @property
    def registry(self) -> bool:
        return self.kind != "unsupported"


@lru_cache(maxsize=65536)
def parse_spec(name: str, raw: str) -> Spec:
    """Classify the spec ``raw`` written for dependency ``name``."""
    text = raw.strip()
    if text.lower().startswith("npm:"):
        target, target_spec = split_name(text[4:])
        if not target:
            return Spec(raw, "unsupported", name, text, why="alias without a package name")
        sub = _registry_spec(target, target_spec or "")
        return Spec(raw, sub.kind, target, sub.fetch, alias=True, why=sub.why)
    source = source_kind(text)
    if source is not None:
        return Spec(raw, "unsupported", name, text, why=_WHY[source])
    return _registry_spec(name, text)


def _registry_spec(name: str, text: str) -> Spec:
    text = text.strip()
    kind = registry_kind(text)
    if kind == "invalid":
        return Spec(text, "unsupported", name, text, why="invalid version, range or tag")
    return Spec(text, kind, name, text)


def pinned_spec(spec: str, version: str) -> str | None:
    """The npm package argument ``spec`` rewritten to fetch exactly ``version``, keeping an
    ``npm:`` prefix or an alias as written. None for git, URL and file specs."""
    parsed = parse_npm_spec(spec)
    if parsed.kind not in ("registry", "alias"):
        return None
    return format_npm_spec(replace(parsed, version=version, version_kind=VersionKind.EXACT))
