"""Package arguments -> :class:`~mcpscan.models.PackageRef`: npm, PyPI, OCI images, git and
URL specs, with purls and how precisely each is pinned."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from mcpscan.models import PackageRef, VersionKind
from mcpscan.sources.launchers.argv import _host_and_path, _is_url
from mcpscan.sources.launchers.credentials import (
    _check_userinfo,
    _guard_spec,
    _redact_url,
    _safe,
    _split_userinfo,
)
from mcpscan.sources.launchers.facts import _Acc, _Tok
from mcpscan.sources.launchers.local import record as record_local


def _purl(
    type_: str,
    name: str,
    *,
    namespace: str | None = None,
    version: str | None = None,
    qualifiers: dict[str, str] | None = None,
) -> str:
    from packageurl import PackageURL

    try:
        return str(
            PackageURL(
                type=type_,
                namespace=namespace or None,
                name=name or "unknown",
                version=version or None,
                qualifiers=qualifiers or None,
            ).to_string()
        )
    except ValueError:
        # packageurl refuses some names (e.g. with a leading "/"); keep a valid, generic purl.
        return str(PackageURL(type="generic", name="unknown").to_string())


_COMMIT_RE = re.compile(r"^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")
_GITHUB_RE = re.compile(
    r"^(?:github:|(?:git\+)?(?:https?|ssh|git)://(?:www\.)?github\.com/|git@github\.com:)?"
    r"([\w.-]+)/([\w.-]+?)(?:\.git)?/?$"
)


def _git_package(
    acc: _Acc, tok: _Tok, location: str, ref: str | None, *, spec: str, role: str
) -> PackageRef:
    clean, userinfo = _split_userinfo(location)
    if userinfo:
        _check_userinfo(acc, "", tok, userinfo)
        spec = spec.replace(userinfo + "@", "")
    pinned = bool(ref) and bool(_COMMIT_RE.match(ref or ""))
    kind = VersionKind.DIGEST if pinned else VersionKind.URL
    version = (ref or "").lower() if pinned else None
    github = _GITHUB_RE.match(clean)
    if github and not clean.startswith(("gitlab:", "bitbucket:", "gist:")):
        purl = _purl("github", github.group(2), namespace=github.group(1), version=version)
    else:
        base = re.split(r"[/:]", clean.rstrip("/"))[-1].removesuffix(".git")
        vcs = clean + (f"@{ref}" if ref else "")
        purl = _purl("generic", base, version=version, qualifiers={"vcs_url": vcs})
    return PackageRef(
        ecosystem="git",
        name=clean,
        requested=ref or None,
        version_kind=kind,
        purl=purl,
        spec=spec,
        role=role,
    )


def _url_package(acc: _Acc, tok: _Tok, url: str, *, spec: str, role: str) -> PackageRef:
    clean, userinfo = _split_userinfo(url)
    if userinfo:
        _check_userinfo(acc, "", tok, userinfo)
    redacted = _redact_url(clean)
    if redacted.secret_keys:
        acc.secret("", tok, url)
    display = redacted.display
    # A pip "#sha256=<hex>" fragment pins the artifact itself.
    digest = re.search(r"[#&]sha256=([0-9a-fA-F]{64})\b", clean)
    sha = digest.group(1).lower() if digest else None
    path = _host_and_path(clean.partition("#")[0].partition("?")[0])[1]
    base = path.rstrip("/").rsplit("/", 1)[-1] or "download"
    qualifiers = {"download_url": display}
    if sha:
        qualifiers["checksum"] = f"sha256:{sha}"
    return PackageRef(
        ecosystem="url",
        name=display,
        requested=None,
        version_kind=VersionKind.DIGEST if sha else VersionKind.URL,
        purl=_purl("generic", base, qualifiers=qualifiers),
        spec=display if (userinfo or redacted.secret_keys) else spec,
        role=role,
        sha256=sha,
    )


# --------------------------------------------------------------------------------------------
# npm specs

_NUM = r"(?:0|[1-9]\d*)"
_IDENT = r"(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)"
_PRE = rf"(?:-{_IDENT}(?:\.{_IDENT})*)"
_BUILD = r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)"
_SEMVER_RE = re.compile(rf"^=?v?({_NUM}\.{_NUM}\.{_NUM}{_PRE}?{_BUILD}?)$")
_XR = r"(?:[xX*]|0|[1-9]\d*)"
_PARTIAL = rf"v?{_XR}(?:\.{_XR}(?:\.{_XR}{_PRE}?{_BUILD}?)?)?"
_COMPARATOR_RE = re.compile(rf"^(?:<=|>=|<|>|=|~>|~|\^)?{_PARTIAL}$")
_HYPHEN_RE = re.compile(rf"^{_PARTIAL}\s+-\s+{_PARTIAL}$")
_OP_SPACE_RE = re.compile(r"(<=|>=|<|>|=|~>|~|\^)\s+")
_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._~-]*$")
_NPM_NAME_RE = re.compile(r"^(?:@[a-z0-9~][a-z0-9._~*-]*/)?[a-z0-9~][a-z0-9._~-]*$", re.IGNORECASE)


def _is_semver(text: str) -> bool:
    return bool(_SEMVER_RE.match(text.strip()))


def _is_npm_range(text: str) -> bool:
    for part in text.split("||"):
        part = part.strip()
        if not part or _HYPHEN_RE.match(part):
            continue
        comparators = _OP_SPACE_RE.sub(r"\1", part).split()
        if not all(_COMPARATOR_RE.match(c) for c in comparators):
            return False
    return True


def _npm_version_kind(version: str | None) -> VersionKind:
    if version is None or not version.strip():
        return VersionKind.UNSPECIFIED
    text = version.strip()
    if text == "latest":
        return VersionKind.LATEST
    if _is_semver(text):
        return VersionKind.EXACT
    if _is_npm_range(text):
        return VersionKind.RANGE
    return VersionKind.TAG


@dataclass(frozen=True)
class NpmSpec:
    """An npm package argument, split into its parts.

    ``kind`` is ``"registry"`` (``name[@version]``, optionally written ``npm:name@...``),
    ``"alias"`` (``alias@npm:name[@version]``), ``"git"`` (``name`` is the repository as
    written, ``version`` the committish), ``"url"`` (a tarball URL in ``name``) or
    ``"file"`` (a local path in ``name``).
    """

    kind: str
    name: str
    version: str | None
    version_kind: VersionKind
    alias: str | None = None
    npm_prefix: bool = False

    @property
    def valid_name(self) -> bool:
        return self.kind not in ("registry", "alias") or (
            len(self.name) <= 214 and bool(_NPM_NAME_RE.match(self.name))
        )

    @property
    def valid_version(self) -> bool:
        if self.kind not in ("registry", "alias") or self.version is None:
            return True
        text = self.version.strip()
        return not text or self.version_kind is not VersionKind.TAG or bool(_TAG_RE.match(text))


def _split_at_version(text: str) -> tuple[str, str | None]:
    at = text.find("@", 1) if text.startswith("@") else text.find("@")
    if at < 0:
        return text, None
    return text[:at], text[at + 1 :]


_HOSTED_PREFIXES = ("github:", "gitlab:", "bitbucket:", "gist:")
_GIT_SCHEMES = ("git+", "git://")
_GIT_HOSTS = ("github.com", "gitlab.com", "bitbucket.org")


def parse_npm_spec(spec: str) -> NpmSpec:
    """Parse an npm package argument the way ``npx``/``npm exec`` reads it."""
    text = spec.strip()
    if (
        text.startswith(_HOSTED_PREFIXES)
        or text.startswith(_GIT_SCHEMES)
        or (re.match(r"^[\w.-]+@[\w-]+(?:\.[\w-]+)+:", text) and not text.startswith("@"))
    ):
        location, _, ref = text.partition("#")
        return NpmSpec("git", location, ref or None, VersionKind.URL)
    if _is_url(text):
        host, path = _host_and_path(text)
        if host in _GIT_HOSTS and not path.endswith((".tgz", ".tar.gz", ".tar")):
            location, _, ref = text.partition("#")
            return NpmSpec("git", location, ref or None, VersionKind.URL)
        return NpmSpec("url", text, None, VersionKind.URL)
    if (
        text.startswith(("file:", ".", "/", "~", "\\"))
        or re.match(r"^[A-Za-z]:[\\/]", text)
        or text.endswith((".tgz", ".tar.gz", ".tar"))
    ):
        return NpmSpec("file", text, None, VersionKind.URL)
    if text.startswith("npm:"):
        name, version = _split_at_version(text[4:])
        return NpmSpec("registry", name, version, _npm_version_kind(version), npm_prefix=True)
    name, version = _split_at_version(text)
    if version is not None and version.startswith("npm:"):
        target, target_version = _split_at_version(version[4:])
        return NpmSpec(
            "alias", target, target_version, _npm_version_kind(target_version), alias=name
        )
    if not name.startswith("@") and "/" in name and version is None:
        # "owner/repo[#ref]" is GitHub shorthand, not a package name.
        location, _, ref = text.partition("#")
        return NpmSpec("git", location, ref or None, VersionKind.URL)
    return NpmSpec("registry", name, version, _npm_version_kind(version))


def format_npm_spec(spec: NpmSpec) -> str:
    """The argument ``spec`` was parsed from (inverse of :func:`parse_npm_spec`)."""
    if spec.kind == "git":
        return spec.name + (f"#{spec.version}" if spec.version is not None else "")
    if spec.kind in ("url", "file"):
        return spec.name
    body = spec.name + (f"@{spec.version}" if spec.version is not None else "")
    if spec.kind == "alias":
        return f"{spec.alias}@npm:{body}"
    return ("npm:" if spec.npm_prefix else "") + body


def _npm_ref(acc: _Acc, tok: _Tok, text: str, role: str) -> PackageRef | None:
    spec = text.strip()
    if not spec:
        acc.note("an empty npm package argument was given")
        return None
    parsed = parse_npm_spec(spec)
    if parsed.kind in ("registry", "alias", "file") and _guard_spec(acc, tok, spec):
        return None
    if parsed.kind == "file":
        acc.note("runs an npm package from a local path; its provenance is not checked")
        kind = "file-spec" if spec.startswith("file:") else "directory"
        record_local(acc, kind, spec, "npx",
                     how="relative to the working directory" if not spec.startswith(
                         ("/", "file:/")) else "absolute path")
        return None
    if parsed.kind == "git":
        return _git_package(acc, tok, parsed.name, parsed.version, spec=spec, role=role)
    if parsed.kind == "url":
        return _url_package(acc, tok, parsed.name, spec=spec, role=role)
    if not parsed.valid_name:
        acc.note(f"{_safe(parsed.name)!r} is not a valid npm package name")
    if not parsed.valid_version:
        acc.note(f"the version of npm package {_safe(parsed.name)!r} is not understood")
    version = None
    if parsed.version_kind is VersionKind.EXACT and parsed.version is not None:
        exact = _SEMVER_RE.match(parsed.version.strip())
        version = exact.group(1) if exact else None
    scope, slash, bare = parsed.name.rpartition("/")
    purl = _purl("npm", bare if slash else parsed.name, namespace=scope or None, version=version)
    return PackageRef(
        ecosystem="npm",
        name=parsed.alias if parsed.alias is not None else parsed.name,
        requested=parsed.version if parsed.version else None,
        version_kind=parsed.version_kind,
        purl=purl,
        spec=spec,
        role=role,
        alias_of=parsed.name if parsed.alias is not None else None,
    )


# --------------------------------------------------------------------------------------------
# PyPI specs

# A requirement's name and extras; what follows, up to any ";" marker, is the version spec.
_PEP508_HEAD_RE = re.compile(r"^\s*[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\s*(?:\[[^\]]*\])?")
_UV_AT_RE = re.compile(r"^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(\[[^\]]*\])?@([^@/:\s]+)$")


def _is_local(text: str) -> bool:
    return bool(
        text.startswith(("file:", ".", "/", "~", "\\"))
        or re.match(r"^[A-Za-z]:[\\/]", text)
        or (text.endswith((".whl", ".tar.gz", ".zip", ".py")) and not _is_url(text))
    )


def _pip_vcs(acc: _Acc, tok: _Tok, url: str, *, spec: str, role: str) -> PackageRef:
    """``git+https://host/o/r.git@<ref>#egg=x`` (pip/uv syntax: the ref follows ``@``)."""
    body = url.partition("#")[0]
    clean, userinfo = _split_userinfo(body)
    scheme, sep, rest = clean.partition("://")
    ref: str | None = None
    if sep and "@" in rest.partition("/")[2]:
        rest, _, ref = rest.rpartition("@")
    location = f"{scheme}{sep}{rest}"
    if userinfo:
        _check_userinfo(acc, "", tok, userinfo)
        spec = spec.replace(userinfo + "@", "")
    return _git_package(acc, tok, location, ref, spec=spec, role=role)


def _pypi_ref(acc: _Acc, tok: _Tok, text: str, role: str) -> PackageRef | None:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    spec = text.strip()
    if not spec:
        acc.note("an empty Python package argument was given")
        return None
    if not _is_url(spec) and _guard_spec(acc, tok, spec):
        return None
    if spec.startswith("git+"):
        return _pip_vcs(acc, tok, spec, spec=spec, role=role)
    if _is_url(spec):
        return _url_package(acc, tok, spec, spec=spec, role=role)
    if _is_local(spec):
        acc.note("runs a Python package from a local path; its provenance is not checked")
        record_local(acc, "directory", spec, "pip")
        return None
    uv_at = _UV_AT_RE.match(spec)
    if uv_at:
        # uv's "name@1.2.3" means ==1.2.3, "name@latest" the newest release.
        name, version = uv_at.group(1), uv_at.group(3)
        canonical = canonicalize_name(name)
        if version == "latest":
            return PackageRef(
                "pypi",
                name,
                version,
                VersionKind.LATEST,
                _purl("pypi", canonical),
                spec=spec,
                role=role,
            )
        try:
            exact = str(Version(version))
        except InvalidVersion:
            exact = None
        if exact is not None:
            return PackageRef(
                "pypi",
                name,
                version,
                VersionKind.EXACT,
                _purl("pypi", canonical, version=exact),
                spec=spec,
                role=role,
            )
    try:
        req = Requirement(spec)
    except InvalidRequirement:
        acc.note(f"the Python requirement {_safe(spec)!r} is not understood")
        return None
    if req.url:
        if req.url.startswith("git+"):
            return _pip_vcs(acc, tok, req.url, spec=spec, role=role)
        return _url_package(acc, tok, req.url, spec=spec, role=role)
    head = _PEP508_HEAD_RE.match(spec)
    requested = spec.partition(";")[0][head.end() :].strip() if head else ""
    specs = list(req.specifier)
    kind = VersionKind.UNSPECIFIED
    pinned: str | None = None
    if specs:
        kind = VersionKind.RANGE
        for item in specs:
            if item.operator == "===" or (item.operator == "==" and "*" not in item.version):
                kind, pinned = VersionKind.EXACT, item.version
                break
    return PackageRef(
        ecosystem="pypi",
        name=req.name,
        requested=requested or None,
        version_kind=kind,
        purl=_purl("pypi", canonicalize_name(req.name), version=pinned),
        spec=spec,
        role=role,
    )


# --------------------------------------------------------------------------------------------
# OCI image references

_OCI_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_OCI_PATH_RE = re.compile(rf"^{_OCI_COMPONENT}(?:/{_OCI_COMPONENT})*$")
_OCI_DIGEST_RE = re.compile(r"^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$")
_DOCKER_HUB = ("docker.io", "index.docker.io", "registry-1.docker.io")


def _oci_ref(acc: _Acc, tok: _Tok, text: str, role: str) -> PackageRef | None:
    ref = text.strip()
    if not ref:
        acc.note("an empty container image reference was given")
        return None
    if _guard_spec(acc, tok, ref):
        return None
    name_part, at, digest = ref.partition("@")
    slash, colon = name_part.rfind("/"), name_part.rfind(":")
    tag: str | None = None
    repo = name_part
    if colon > slash:
        repo, tag = name_part[:colon], name_part[colon + 1 :]
    first, sep, remainder = repo.partition("/")
    registry: str | None = None
    path = repo
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder
    if not _OCI_PATH_RE.match(path):
        acc.note(f"the image reference {_safe(ref)!r} is not understood")
    host = (registry or "docker.io").lower()
    if host in _DOCKER_HUB:
        host = "docker.io"
        if "/" not in path:
            path = f"library/{path}"
    qualifiers = {"repository_url": f"{host}/{path}".lower()}
    if tag:
        qualifiers["tag"] = tag
    sha: str | None = None
    version: str | None = None
    if at and _OCI_DIGEST_RE.match(digest):
        kind = VersionKind.DIGEST
        version = digest
        if digest.startswith("sha256:"):
            sha = digest.removeprefix("sha256:")
    elif at:
        acc.note(f"the digest of image {_safe(repo)!r} is malformed; it does not pin the image")
        kind = VersionKind.TAG
    elif tag is None or tag == "latest":
        # No tag means ":latest": whatever the registry serves today.
        kind = VersionKind.LATEST
    else:
        kind = VersionKind.TAG
    return PackageRef(
        ecosystem="oci",
        name=repo,
        requested=digest if at else tag,
        version_kind=kind,
        purl=_purl("oci", path.rsplit("/", 1)[-1].lower(), version=version, qualifiers=qualifiers),
        spec=ref,
        role=role,
        sha256=sha,
    )


def package_ref(
    ecosystem: Literal["npm", "pypi", "oci"], spec: str, *, role: str = "server"
) -> PackageRef | None:
    """The PackageRef a launcher would build for ``spec``, or None when it names no fetchable
    package (a local path, or a credential). What a launch would note is not returned."""
    acc = _Acc()
    tok = _Tok(spec, 0)
    if ecosystem == "npm":
        return _npm_ref(acc, tok, spec, role)
    if ecosystem == "pypi":
        return _pypi_ref(acc, tok, spec, role)
    if ecosystem == "oci":
        return _oci_ref(acc, tok, spec, role)
    raise ValueError(f"unknown ecosystem {ecosystem!r} (choose from npm, pypi, oci)")
