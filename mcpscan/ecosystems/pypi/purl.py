"""PyPI purls: ``pkg:pypi/<normalised name>@<version>`` (PEP 503 names, as purl-spec asks)."""

from __future__ import annotations

from mcpscan.ecosystems.purl import build


def pypi_purl(name: str, version: str | None = None) -> str:
    from packaging.utils import canonicalize_name

    return build("pypi", canonicalize_name(name), version=version)


def parse_pypi_purl(purl: str) -> tuple[str, str | None]:
    """``pkg:pypi/mcp@1.0`` -> (``mcp``, ``1.0``); ValueError when it is not a PyPI purl."""
    from packageurl import PackageURL

    parsed = PackageURL.from_string(purl)
    if str(parsed.type).lower() != "pypi":
        raise ValueError(f"not a PyPI purl: {purl!r}")
    return str(parsed.name), str(parsed.version) if parsed.version else None
