"""Core metadata (METADATA, PKG-INFO, PEP 658 ``.metadata``, the JSON API's ``info``) read
into what resolution and reputation use, leniently, as pip reads it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mcpscan.errors import RegistryError
from mcpscan.registry.pypi._values import strings, text_or_none
from mcpscan.registry.wheel import ArchiveError

_MCP_NAME = re.compile(r"mcp-name:\s*([A-Za-z0-9][A-Za-z0-9.\-_]*/[A-Za-z0-9][A-Za-z0-9.\-_/]*)")


class MetadataUnavailable(RegistryError):
    """No trustworthy core metadata exists for a file without building it."""


@dataclass(frozen=True)
class CoreMetadata:
    """The parts of a distribution's core metadata that resolution and reputation use."""

    name: str
    version: str
    requires_dist: tuple[str, ...]
    requires_python: str | None
    source: str  # "json", "pep658", "range", "download", "sdist"
    provides_extra: tuple[str, ...] = ()
    license: str | None = None
    project_urls: tuple[tuple[str, str], ...] = ()
    home_page: str | None = None
    mcp_name: str | None = None


def _parse_email(data: bytes) -> tuple[dict[str, Any], dict[str, list[str]]]:
    from packaging.metadata import parse_email

    raw, unparsed = parse_email(data)
    return dict(raw), unparsed


def parse_metadata(data: bytes, *, source: str) -> CoreMetadata:
    """Core metadata (METADATA / PKG-INFO / .metadata) parsed leniently, as pip reads it."""
    raw, _ = _parse_email(data)
    name, version = raw.get("name"), raw.get("version")
    if not name or not version:
        raise ArchiveError(f"core metadata ({source}) has no Name/Version")
    urls = raw.get("project_urls") or {}
    return CoreMetadata(
        name=str(name),
        version=str(version),
        requires_dist=tuple(raw.get("requires_dist") or ()),
        requires_python=text_or_none(raw.get("requires_python")),
        source=source,
        provides_extra=tuple(raw.get("provides_extra") or ()),
        license=_license(
            text_or_none(raw.get("license_expression")),
            text_or_none(raw.get("license")),
            raw.get("classifiers") or (),
        ),
        project_urls=tuple((str(k), str(v)) for k, v in urls.items()),
        home_page=text_or_none(raw.get("home_page")),
        mcp_name=mcp_name(text_or_none(raw.get("description"))),
    )


def sdist_metadata(pkg_info: bytes, filename: str) -> CoreMetadata:
    """The metadata of an sdist's PKG-INFO, when it can be trusted without a build: static
    (PEP 643, metadata 2.2 without a dynamic Requires-Dist) or listing its requirements.
    Raises MetadataUnavailable otherwise, ArchiveError when it is unreadable."""
    meta = parse_metadata(pkg_info, source="sdist")
    raw, _ = _parse_email(pkg_info)
    dynamic = {d.lower() for d in raw.get("dynamic", [])}
    static = _metadata_version(raw) >= (2, 2) and "requires-dist" not in dynamic
    if not (static or meta.requires_dist):
        raise MetadataUnavailable(
            f"{filename}: its requirements are only known by building it "
            "(PKG-INFO is not static), and mcpscan never builds packages"
        )
    return meta


def metadata_from_info(info: Mapping[str, Any]) -> CoreMetadata | None:
    """Metadata from a JSON API ``info`` object, when it can be trusted for resolution.

    Warehouse stores an empty Requires-Dist as null, the same null it shows for metadata it
    never parsed, so only a non-empty list is taken as the answer.
    """
    requires = info.get("requires_dist")
    if not (isinstance(requires, list) and requires and all(isinstance(r, str) for r in requires)):
        return None
    name, version = text_or_none(info.get("name")), text_or_none(info.get("version"))
    if not name or not version:
        return None
    return CoreMetadata(
        name=name,
        version=version,
        requires_dist=tuple(requires),
        requires_python=text_or_none(info.get("requires_python")),
        source="json",
        provides_extra=strings(info.get("provides_extra")),
        license=_license(
            text_or_none(info.get("license_expression")),
            text_or_none(info.get("license")),
            strings(info.get("classifiers")),
        ),
        project_urls=tuple(url_pairs(info.get("project_urls"))),
        home_page=text_or_none(info.get("home_page")),
        mcp_name=mcp_name(text_or_none(info.get("description"))),
    )


def _metadata_version(raw: Mapping[str, Any]) -> tuple[int, ...]:
    text = str(raw.get("metadata_version") or "1.0")
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        return (1, 0)


def _license(expression: str | None, text: str | None, classifiers: Iterable[str]) -> str | None:
    if expression:
        return expression
    # Some projects paste the whole license text into License: that is not a name.
    if text and "\n" not in text.strip() and len(text) <= 100 and text.upper() != "UNKNOWN":
        return text.strip()
    names = [c.split("::")[-1].strip() for c in classifiers if c.startswith("License ::")]
    return ", ".join(n for n in names if n) or None


def mcp_name(description: str | None) -> str | None:
    if not description:
        return None
    match = _MCP_NAME.search(description)
    return match.group(1).rstrip("/.") if match else None


def url_pairs(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [(str(k), str(v)) for k, v in value.items() if isinstance(v, str)]
    return []
