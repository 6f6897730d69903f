"""Python package arguments: PEP 508 requirements and uv's ``name@version``, read once for
the launchers and for ``pypi:`` specs on the command line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mcpscan.models import VersionKind

if TYPE_CHECKING:
    from packaging.version import Version

# PEP 508 names: letters and digits, with ".", "_" and "-" inside.
NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
EXTRAS = r"\[[^\]]*\]"
_NAME_RE = re.compile(rf"^{NAME}$")
# A requirement's name and extras; what follows, up to any ";" marker, is the version spec.
_HEAD_RE = re.compile(rf"^\s*{NAME}\s*(?:{EXTRAS})?")
# uv's "name@1.2.3" (== 1.2.3) and "name@latest" (the newest release).
_UV_AT_RE = re.compile(rf"^({NAME})({EXTRAS})?@([^@/:\s]+)$")
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def valid_name(name: str) -> bool:
    return bool(_NAME_RE.match(name))


def parse_version(text: str) -> Version | None:
    """``text`` as a PEP 440 version; None when it is not one."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text)
    except InvalidVersion:
        return None


def is_local(text: str) -> bool:
    """A local path, file: URL or artifact file name (not something an index serves)."""
    return bool(
        text.startswith(("file:", ".", "/", "~", "\\"))
        or re.match(r"^[A-Za-z]:[\\/]", text)
        or (text.endswith((".whl", ".tar.gz", ".zip", ".py")) and not _URL_RE.match(text))
    )


@dataclass(frozen=True)
class PypiRequirement:
    """What a requirement asks an index for: ``name`` as written, the version spec as written
    (``requested``), how precisely it pins, the pinned version (``pinned``, for the purl),
    or the direct ``url`` it names instead (``name @ https://...``)."""

    name: str
    requested: str | None
    version_kind: VersionKind
    pinned: str | None = None
    url: str | None = None


def parse_requirement(spec: str) -> PypiRequirement | None:
    """Read ``spec`` as uv and pip would; None when it is not a valid requirement."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.version import InvalidVersion, Version

    text = spec.strip()
    uv_at = _UV_AT_RE.match(text)
    if uv_at:
        name, version = uv_at.group(1), uv_at.group(3)
        if version == "latest":
            return PypiRequirement(name, version, VersionKind.LATEST)
        try:
            return PypiRequirement(name, version, VersionKind.EXACT, pinned=str(Version(version)))
        except InvalidVersion:
            pass  # not a version: PEP 508 decides (it will refuse it)
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return None
    if req.url:
        return PypiRequirement(req.name, None, VersionKind.URL, url=req.url)
    head = _HEAD_RE.match(text)
    requested = text.partition(";")[0][head.end() :].strip() if head else ""
    kind = VersionKind.UNSPECIFIED
    pinned: str | None = None
    specs = list(req.specifier)
    if specs:
        kind = VersionKind.RANGE
        for item in specs:
            if item.operator == "===" or (item.operator == "==" and "*" not in item.version):
                kind, pinned = VersionKind.EXACT, item.version
                break
    return PypiRequirement(req.name, requested or None, kind, pinned=pinned)


def pinned_requirement(spec: str, version: str) -> str | None:
    """``spec`` rewritten to install exactly ``version``, spelt as it was written: uv's
    ``name@1.2.3`` stays in that form, a PEP 508 requirement keeps its name, extras and
    marker and gets ``==version``. None for a URL requirement (it names no version)."""
    text = spec.strip()
    uv_at = _UV_AT_RE.match(text)
    if uv_at:
        return f"{uv_at.group(1)}{uv_at.group(2) or ''}@{version}"
    req = parse_requirement(text)
    head = _HEAD_RE.match(text)
    if req is None or req.url or head is None:
        return None
    _, semicolon, marker = text.partition(";")
    pinned = f"{head.group(0).strip()}=={version}"
    return f"{pinned}; {marker.strip()}" if semicolon else pinned
