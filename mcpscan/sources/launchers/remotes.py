"""Remote endpoints: a URL described without any credential it carries."""

from __future__ import annotations

from urllib.parse import urlsplit

from mcpscan.models import Remote
from mcpscan.net.hosts import is_loopback
from mcpscan.redaction import redact_url

_REMOTE_SCHEMES = frozenset({"http", "https", "ws", "wss", "unix", "pipe"})


def parse_remote(
    url: str, *, transport: str, via: str = "config", allow_http: bool = False
) -> Remote:
    """Describe a remote endpoint without keeping any credential it carries.

    ``display_url`` has no userinfo, and query/fragment values and key-like path segments
    are ``REDACTED`` (their keys are listed in ``secret_query_keys``, a path key as
    ``"<path>"``). A URL that cannot be parsed gives ``scheme == ""``.
    """
    text = url.strip()
    redacted = redact_url(text)
    unparsed = Remote(
        display_url=redacted.display,
        scheme="",
        host="",
        port=None,
        loopback=False,
        transport=transport,
        via=via,
        has_userinfo=redacted.has_userinfo,
        secret_query_keys=redacted.secret_keys,
        allow_http=allow_http,
    )
    try:
        parts = urlsplit(text)
        port = parts.port
        host = parts.hostname or ""
    except ValueError:
        return unparsed
    scheme = parts.scheme.lower()
    if scheme not in _REMOTE_SCHEMES:
        return unparsed
    local_socket = scheme in ("unix", "pipe")
    if not host and not local_socket:
        return unparsed
    return Remote(
        display_url=redacted.display,
        scheme=scheme,
        host=host,
        port=port,
        loopback=local_socket or is_loopback(host),
        transport=transport,
        via=via,
        has_userinfo=redacted.has_userinfo,
        secret_query_keys=redacted.secret_keys,
        allow_http=allow_http,
    )
