"""Index URLs: the JSON API beside a Simple index (URLs in messages: ``mcpscan.redaction``)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def derive_json_url(index_url: str) -> str | None:
    """``https://host/simple`` -> ``https://host/pypi`` (the JSON API next to the index)."""
    parts = urlsplit(index_url.rstrip("/"))
    if not parts.path.endswith("/simple"):
        return None
    return urlunsplit(parts._replace(path=parts.path[: -len("simple")] + "pypi"))
