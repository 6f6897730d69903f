"""Package URLs (purl-spec), built and read through packageurl-python in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote

if TYPE_CHECKING:
    from mcpscan.models import PackageRef


def build(
    type_: str,
    name: str,
    *,
    namespace: str | None = None,
    version: str | None = None,
    qualifiers: Mapping[str, str] | None = None,
) -> str:
    """The canonical purl string; a generic ``pkg:generic/unknown`` when packageurl refuses
    the parts (e.g. a name with a leading ``/``), so that a purl is always valid."""
    from packageurl import PackageURL

    try:
        return str(
            PackageURL(
                type=type_,
                namespace=namespace or None,
                name=name or "unknown",
                version=version or None,
                qualifiers=dict(qualifiers) if qualifiers else None,
            ).to_string()
        )
    except ValueError:
        return str(PackageURL(type="generic", name="unknown").to_string())


def pinned_version(ref: PackageRef) -> str | None:
    """The one version an exact pin names, as a resolver reports it: "0.6.2" for the PyPI
    specifier "==0.6.2" (the purl's version). None for anything but an exact pin."""
    from mcpscan.models import VersionKind

    if ref.version_kind is not VersionKind.EXACT:
        return None
    base = ref.purl.split("?", 1)[0].split("#", 1)[0]
    _, at, version = base.rpartition("@")
    if at and version:
        return unquote(version)
    return (ref.requested or "").lstrip("=").strip() or None
