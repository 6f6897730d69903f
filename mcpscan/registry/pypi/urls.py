"""Index URLs: the JSON API beside a Simple index, and URLs as messages may show them."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_USERINFO = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")


def derive_json_url(index_url: str) -> str | None:
    """``https://host/simple`` -> ``https://host/pypi`` (the JSON API next to the index)."""
    parts = urlsplit(index_url.rstrip("/"))
    if not parts.path.endswith("/simple"):
        return None
    return urlunsplit(parts._replace(path=parts.path[: -len("simple")] + "pypi"))


def redact_urls(text: str) -> str:
    """``text`` with the user:password part of every URL in it removed."""
    return _USERINFO.sub(r"\1", text)


def display_url(url: str) -> str:
    """``url`` without user:password, for messages (index URLs may embed credentials)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
