"""PyPI's JSON API documents, trimmed as they are decoded to what metadata and facts read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from mcpscan.net.http import HttpResponse, loads_json
from mcpscan.registry.pypi._values import earliest, int_or_none, text_or_none
from mcpscan.registry.pypi.metadata import mcp_name

# A project's JSON document lists every file of every release with its digests and URL, and
# the README: 12 MB for pydantic-core, over 100 MB once decoded. Only these parts are read.
_INFO_KEYS = (
    "name",
    "version",
    "requires_dist",
    "requires_python",
    "provides_extra",
    "license",
    "license_expression",
    "classifiers",
    "project_urls",
    "home_page",
)


class _ReleaseFile(NamedTuple):
    filename: str
    size: Any
    upload_time: Any


def _trim_release_file(obj: dict[str, Any]) -> Any:
    """json object hook: one file of a release, reduced as soon as it is decoded."""
    if isinstance(obj.get("filename"), str) and "packagetype" in obj:
        return _ReleaseFile(obj["filename"], obj.get("size"), obj.get("upload_time_iso_8601"))
    return obj


def reduce_document(resp: HttpResponse) -> dict[str, Any] | None:
    """The trimmed JSON API document, or None when the answer is not one."""
    ctype = resp.content_type.lower()
    if "html" in ctype or "xml" in ctype:
        return None
    try:
        doc = loads_json(resp.content, object_hook=_trim_release_file)
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("info"), dict):
        return None
    return trim_document(doc)


def restore_document(payload: Mapping[str, Any]) -> dict[str, Any] | None:
    doc = payload["doc"]
    if doc is not None and not (isinstance(doc, dict) and isinstance(doc.get("info"), dict)):
        raise ValueError("not a stored JSON API document")
    return doc


def trim_document(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON API document reduced to what metadata and facts read: ``info`` (its
    description kept only as the ``mcp-name:`` marker, its classifiers only the license
    ones), ``ownership``, the first upload time (``created``) and each file's size and
    upload time (``files``: filename -> [size, time])."""
    info = doc["info"]
    trimmed = {k: info[k] for k in _INFO_KEYS if k in info}
    if isinstance(trimmed.get("classifiers"), list):
        trimmed["classifiers"] = [
            c for c in trimmed["classifiers"] if isinstance(c, str) and c.startswith("License ::")
        ]
    marker = mcp_name(text_or_none(info.get("description")))
    trimmed["description"] = f"mcp-name: {marker}" if marker else None
    releases = doc.get("releases")
    files: dict[str, tuple[int | None, str | None]] = {
        f.filename: (int_or_none(f.size), text_or_none(f.upload_time))
        for group in (releases.values() if isinstance(releases, dict) else ())
        if isinstance(group, list)
        for f in group
        if isinstance(f, _ReleaseFile)
    }
    created = earliest(t for _, t in files.values() if t)
    return {"info": trimmed, "ownership": doc.get("ownership"), "created": created, "files": files}
