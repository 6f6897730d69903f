"""Credentials in launcher arguments: recognising them, and keeping them out of every fact.

The redaction helpers here (``_redact_url``, ``_scrub``, ``_safe``) are the launchers' own
copy of URL and value redaction; they are meant to be replaced by ``mcpscan/redaction.py``.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from typing import Any, NamedTuple
from urllib.parse import unquote

from mcpscan.models import Sensitive, ValueKind
from mcpscan.redaction import Redactor, classify, is_secret_name, value_kind
from mcpscan.sources.launchers.facts import _Acc, _Tok

# classify() kinds that do not, on their own, show that an argument is a credential: package
# names such as "@modelcontextprotocol/server-filesystem" are "high-entropy" too.
_WEAK_KINDS = frozenset({"high-entropy value", "value of a secret-named key"})


# Small helpers


def _known_token(text: str) -> bool:
    """True when ``text`` contains a credential of a recognisable format."""
    match = classify(text)
    return match is not None and match.kind not in _WEAK_KINDS


def _safe(text: str) -> str:
    """``text`` for a note: names only, never something that looks like a credential."""
    if _known_token(text):
        return "<redacted>"
    return text if len(text) <= 80 else text[:77] + "..."


def _check_value(acc: _Acc, flag: str, tok: _Tok, value: str, name: str | None) -> bool:
    """Record ``value`` as a SecretArg when it is a literal credential; say whether it was.

    ``name`` (a flag, header or env var name) lets a secret-named slot count even when the
    value's format is unknown; without a secret name only recognisable formats count.
    """
    if value_kind(value) is not ValueKind.LITERAL:
        return False
    secret_named = bool(name) and is_secret_name(name or "")
    match = classify(value, name=name if secret_named else None)
    if match is None or (match.kind in _WEAK_KINDS and not secret_named):
        return False
    acc.secret(flag, tok, value)
    return True


def _guard_spec(acc: _Acc, tok: _Tok, text: str) -> bool:
    """A credential where a package, image or script was expected: record it, keep it out of
    every other fact, and say so."""
    if value_kind(text) is ValueKind.LITERAL and _known_token(text):
        acc.secret("", tok, text)
        acc.note("an argument where a package or program was expected looks like a credential")
        return True
    return False


class _Redacted(NamedTuple):
    display: str
    secret_keys: tuple[str, ...]
    has_userinfo: bool


def _secret_segment(segment: str) -> bool:
    """A path segment that is itself a key (``/mcp/<key>/sse``, as Zapier-style URLs do)."""
    text = unquote(segment)
    if value_kind(text) is not ValueKind.LITERAL:
        return False
    match = classify(text)
    if match is None:
        return False
    if match.kind not in _WEAK_KINDS:
        return True
    # Entropy alone also flags long slugs; a key mixes letters and digits.
    return len(text) >= 24 and bool(re.search(r"\d", text)) and bool(re.search(r"[A-Za-z]", text))


def _redact_pairs(text: str, secret_keys: list[str]) -> str:
    parts: list[str] = []
    for pair in text.split("&"):
        if not pair:
            continue
        key, eq, val = pair.partition("=")
        raw = unquote(val.replace("+", " "))
        if eq:
            name = unquote(key)
            if value_kind(raw) is ValueKind.LITERAL and (
                is_secret_name(name) or classify(raw, name=name) is not None
            ):
                secret_keys.append(name)
            parts.append(f"{key}=REDACTED")
        elif value_kind(key) is ValueKind.LITERAL and _known_token(unquote(key)):
            secret_keys.append("<query>")
            parts.append("REDACTED")
        else:
            parts.append(key)
    return "&".join(parts)


def _redact_url(text: str) -> _Redacted:
    """``text`` without userinfo, with query/fragment values and key-like path segments
    replaced by ``REDACTED``; works on strings that are not valid URLs too."""
    secret_keys: list[str] = []
    rest, hash_, fragment = text.partition("#")
    rest, qmark, query = rest.partition("?")
    lead = re.match(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?://)?", rest)
    prefix = lead.group(0) if lead else ""
    after = rest[len(prefix) :]
    has_userinfo = False
    if prefix.endswith("//"):
        authority, slash, path = after.partition("/")
        _, at, hostport = authority.rpartition("@")
        has_userinfo = bool(at)
        after = hostport + slash + path
        path_start = len(hostport + slash)
    else:
        path_start = 0
    head, path = after[:path_start], after[path_start:]
    segments = []
    for seg in path.split("/"):
        if seg and _secret_segment(seg):
            secret_keys.append("<path>")
            segments.append("REDACTED")
        else:
            segments.append(seg)
    display = prefix + head + "/".join(segments)
    if qmark:
        display += "?" + _redact_pairs(query, secret_keys)
    if hash_:
        _redact_pairs(fragment, secret_keys)
        display += "#REDACTED"
    return _Redacted(display, tuple(dict.fromkeys(secret_keys)), has_userinfo)


def _split_userinfo(url: str) -> tuple[str, str | None]:
    """``scheme://user:pw@host/p`` -> (``scheme://host/p``, ``user:pw``)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url, None
    authority, slash, path = rest.partition("/")
    userinfo, at, hostport = authority.rpartition("@")
    if not at:
        return url, None
    return f"{scheme}://{hostport}{slash}{path}", userinfo


def _check_userinfo(acc: _Acc, flag: str, tok: _Tok, userinfo: str) -> None:
    user, colon, password = unquote(userinfo).partition(":")
    if colon and password:
        _check_value(acc, flag, tok, password, "password")
    elif value_kind(user) is ValueKind.LITERAL and _known_token(user):
        acc.secret(flag, tok, user)


def _url_credentials(acc: _Acc, flag: str, tok: _Tok, url: str) -> None:
    """Credentials in a URL handed to a launcher (registry or download URL)."""
    _, userinfo = _split_userinfo(url)
    if userinfo:
        _check_userinfo(acc, flag, tok, userinfo)
    if _redact_url(url).secret_keys:
        acc.secret(flag, tok, url)


def _scrub(value: Any, redactor: Redactor) -> Any:
    """``value`` with every secret-arg value removed from its strings (last line of defence:
    a credential must not reach a package name, a path or a note)."""
    if isinstance(value, enum.Enum):
        return value  # VersionKind is a str: scrubbing would turn it into a plain string
    if isinstance(value, str):
        return redactor.scrub(value)
    if isinstance(value, tuple):
        return tuple(_scrub(v, redactor) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: _scrub(getattr(value, f.name), redactor)
            for f in dataclasses.fields(value)
            if not isinstance(getattr(value, f.name), Sensitive)
        }
        return dataclasses.replace(value, **changes)
    return value
