"""Package arguments -> :class:`~mcpscan.models.PackageRef`: npm, PyPI, OCI images, git and
URL specs, with purls and how precisely each is pinned."""

from __future__ import annotations

import re
from typing import Literal

from mcpscan.ecosystems.npm.purl import npm_purl
from mcpscan.ecosystems.npm.spec import exact_version, parse_npm_spec
from mcpscan.ecosystems.oci import oci_purl, parse_reference
from mcpscan.ecosystems.purl import build as build_purl
from mcpscan.ecosystems.pypi.purl import pypi_purl
from mcpscan.ecosystems.pypi.spec import is_local, parse_requirement
from mcpscan.models import PackageRef, VersionKind
from mcpscan.redaction import redact_url, split_userinfo
from mcpscan.sources.launchers.argv import _host_and_path, _is_url
from mcpscan.sources.launchers.credentials import _guard_spec, _safe, _url_credentials
from mcpscan.sources.launchers.facts import _Acc, _Tok
from mcpscan.sources.launchers.local import record as record_local

_COMMIT_RE = re.compile(r"^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")
_GITHUB_RE = re.compile(
    r"^(?:github:|(?:git\+)?(?:https?|ssh|git)://(?:www\.)?github\.com/|git@github\.com:)?"
    r"([\w.-]+)/([\w.-]+?)(?:\.git)?/?$"
)


def _git_package(
    acc: _Acc, tok: _Tok, location: str, ref: str | None, *, spec: str, role: str
) -> PackageRef:
    clean, userinfo = split_userinfo(location)
    if userinfo:
        _url_credentials(acc, "", tok, location)
        spec = spec.replace(userinfo + "@", "")
    pinned = bool(ref) and bool(_COMMIT_RE.match(ref or ""))
    kind = VersionKind.DIGEST if pinned else VersionKind.URL
    version = (ref or "").lower() if pinned else None
    github = _GITHUB_RE.match(clean)
    if github and not clean.startswith(("gitlab:", "bitbucket:", "gist:")):
        purl = build_purl("github", github.group(2), namespace=github.group(1), version=version)
    else:
        base = re.split(r"[/:]", clean.rstrip("/"))[-1].removesuffix(".git")
        vcs = clean + (f"@{ref}" if ref else "")
        purl = build_purl("generic", base, version=version, qualifiers={"vcs_url": vcs})
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
    clean, userinfo = split_userinfo(url)
    redacted = redact_url(clean)
    _url_credentials(acc, "", tok, url)
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
        purl=build_purl("generic", base, qualifiers=qualifiers),
        spec=display if (userinfo or redacted.secret_keys) else spec,
        role=role,
        sha256=sha,
    )


def _argument(acc: _Acc, text: str, what: str) -> str | None:
    """``text`` without surrounding space, or None (and a note) when nothing is left."""
    spec = text.strip()
    if not spec:
        acc.note(f"an empty {what} was given")
        return None
    return spec


def _npm_ref(acc: _Acc, tok: _Tok, text: str, role: str) -> PackageRef | None:
    spec = _argument(acc, text, "npm package argument")
    if spec is None:
        return None
    parsed = parse_npm_spec(spec)
    if parsed.kind in ("registry", "alias", "file") and _guard_spec(acc, tok, spec):
        return None
    if parsed.kind == "file":
        acc.note("runs an npm package from a local path; its provenance is not checked")
        path = parsed.name  # "pkg@./dir" runs ./dir
        kind = "file-spec" if path.startswith("file:") else "directory"
        record_local(
            acc,
            kind,
            spec,
            "npx",
            how="relative to the working directory"
            if not path.startswith(("/", "file:/"))
            else "absolute path",
        )
        return None
    if parsed.kind == "git":
        return _git_package(acc, tok, parsed.name, parsed.version, spec=spec, role=role)
    if parsed.kind == "url":
        return _url_package(acc, tok, parsed.name, spec=spec, role=role)
    if not parsed.valid_name:
        acc.note(f"{_safe(parsed.name)!r} is not a valid npm package name")
    if not parsed.valid_version:
        acc.note(f"the version of npm package {_safe(parsed.name)!r} is not understood")
    exact = exact_version(parsed.version) if parsed.version_kind is VersionKind.EXACT else None
    purl = npm_purl(parsed.name, exact)
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


def _pip_vcs(acc: _Acc, tok: _Tok, url: str, *, spec: str, role: str) -> PackageRef:
    """``git+https://host/o/r.git@<ref>#egg=x`` (pip/uv syntax: the ref follows ``@``)."""
    body = url.partition("#")[0]
    clean, userinfo = split_userinfo(body)
    scheme, sep, rest = clean.partition("://")
    ref: str | None = None
    if sep and "@" in rest.partition("/")[2]:
        rest, _, ref = rest.rpartition("@")
    location = f"{scheme}{sep}{rest}"
    if userinfo:
        _url_credentials(acc, "", tok, body)
        spec = spec.replace(userinfo + "@", "")
    return _git_package(acc, tok, location, ref, spec=spec, role=role)


def _pypi_ref(acc: _Acc, tok: _Tok, text: str, role: str) -> PackageRef | None:
    spec = _argument(acc, text, "Python package argument")
    if spec is None:
        return None
    if not _is_url(spec) and _guard_spec(acc, tok, spec):
        return None
    if spec.startswith("git+"):
        return _pip_vcs(acc, tok, spec, spec=spec, role=role)
    if _is_url(spec):
        return _url_package(acc, tok, spec, spec=spec, role=role)
    if is_local(spec):
        acc.note("runs a Python package from a local path; its provenance is not checked")
        record_local(acc, "directory", spec, "pip")
        return None
    req = parse_requirement(spec)
    if req is None:
        acc.note(f"the Python requirement {_safe(spec)!r} is not understood")
        return None
    if req.url:
        if req.url.startswith("git+"):
            return _pip_vcs(acc, tok, req.url, spec=spec, role=role)
        return _url_package(acc, tok, req.url, spec=spec, role=role)
    return PackageRef(
        ecosystem="pypi",
        name=req.name,
        requested=req.requested,
        version_kind=req.version_kind,
        purl=pypi_purl(req.name, req.pinned),
        spec=spec,
        role=role,
    )


def _oci_ref(acc: _Acc, tok: _Tok, text: str, role: str) -> PackageRef | None:
    ref = _argument(acc, text, "container image reference")
    if ref is None:
        return None
    if _guard_spec(acc, tok, ref):
        return None
    image = parse_reference(ref)
    if not image.valid_path:
        acc.note(f"the image reference {_safe(ref)!r} is not understood")
    sha: str | None = None
    if image.valid_digest:
        kind = VersionKind.DIGEST
        if image.digest and image.digest.startswith("sha256:"):
            sha = image.digest.removeprefix("sha256:")
    elif image.digest is not None:
        repo = _safe(image.repository)
        acc.note(f"the digest of image {repo!r} is malformed; it does not pin the image")
        kind = VersionKind.TAG
    elif image.tag is None or image.tag == "latest":
        # No tag means ":latest": whatever the registry serves today.
        kind = VersionKind.LATEST
    else:
        kind = VersionKind.TAG
    return PackageRef(
        ecosystem="oci",
        name=image.repository,
        requested=image.digest if image.digest is not None else image.tag,
        version_kind=kind,
        purl=oci_purl(image),
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
