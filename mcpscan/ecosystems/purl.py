"""Package URLs (purl-spec), built and read through packageurl-python in one place."""

from __future__ import annotations

from collections.abc import Mapping


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
