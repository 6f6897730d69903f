"""URLs: what may be shown of one, and which credentials it carries (user-info, query and
fragment parameters, key-like path segments), wherever it sits inside a value."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from mcpscan.models import ValueKind
from mcpscan.redaction.formats import (
    WEAK_KINDS,
    classify,
    is_placeholder,
    is_secret_name,
    known_token,
    value_kind,
)

# A URL anywhere inside a value: "--registry=https://u:p@host/", "DB=postgres://...".
URL_RE = re.compile(r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*://[^\s\"'<>`]+")


# Request headers and query parameters that carry credentials, for clients (the HTTP cache)
# that must neither key on nor store them.
CREDENTIAL_PARAMETERS = (
    "Authorization",
    "Proxy-Authorization",
    "Cookie",
    "X-API-KEY",
    "access_token",
    "api_key",
    "apikey",
    "token",
    "key",
    "password",
    "secret",
    "sig",
    "signature",
)


@dataclass(frozen=True)
class RedactedUrl:
    """What may be shown of a URL, and what it hid."""

    display: str  # no user-info; query/fragment values and key-like path segments REDACTED
    secret_keys: tuple[str, ...]  # query keys holding a secret; "<path>" for a path segment
    has_userinfo: bool


def _secret_segment(segment: str) -> bool:
    """A path segment that is itself a key (``/mcp/<key>/sse``, as Zapier-style URLs do)."""
    text = unquote(segment)
    if value_kind(text) is not ValueKind.LITERAL:
        return False
    match = classify(text)
    if match is None:
        return False
    if match.kind not in WEAK_KINDS:
        return True
    # Entropy alone also flags long slugs; a key mixes letters and digits.
    return len(text) >= 24 and bool(re.search(r"\d", text)) and bool(re.search(r"[A-Za-z]", text))


def _secret_pair(key: str, eq: str, val: str) -> tuple[str, str] | None:
    """(name, raw value) of a ``key=value`` query/fragment pair that holds a credential."""
    if eq:
        raw = unquote(val.replace("+", " "))
        name = unquote(key)
        literal = bool(raw) and value_kind(raw) is ValueKind.LITERAL and not is_placeholder(raw)
        if literal and (is_secret_name(name) or classify(raw, name=name) is not None):
            return name, val
        return None
    if value_kind(key) is ValueKind.LITERAL and known_token(unquote(key)):
        return "<query>", key
    return None


def _pairs(text: str) -> Iterator[tuple[str, str, str]]:
    for pair in re.split(r"[&;]", text):
        if pair:
            yield pair.partition("=")


def _url_parts(text: str) -> tuple[str, str, str, str, str]:
    """(scheme+"//", user-info, host and path, query, fragment) of a URL-like string; works on
    strings that are not valid URLs too."""
    rest, _, fragment = text.partition("#")
    rest, _, query = rest.partition("?")
    lead = re.match(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?://)?", rest)
    prefix = lead.group(0) if lead else ""
    after = rest[len(prefix) :]
    userinfo = ""
    if prefix.endswith("//"):
        authority, slash, path = after.partition("/")
        userinfo, _, hostport = authority.rpartition("@")
        after = hostport + slash + path
    return prefix, userinfo, after, query, fragment


def redact_url(text: str) -> RedactedUrl:
    """``text`` without user-info, with query and fragment values and key-like path
    segments replaced by ``REDACTED``."""
    secret_keys: list[str] = []
    prefix, userinfo, after, query, fragment = _url_parts(text)
    has_query = "?" in text.partition("#")[0]
    if prefix.endswith("//"):
        head, slash, path = after.partition("/")
        head += slash
    else:
        head, path = "", after
    segments = []
    for seg in path.split("/"):
        if seg and _secret_segment(seg):
            secret_keys.append("<path>")
            segments.append("REDACTED")
        else:
            segments.append(seg)
    display = prefix + head + "/".join(segments)
    if has_query:
        shown = []
        for key, eq, val in _pairs(query):
            found = _secret_pair(key, eq, val)
            if found:
                secret_keys.append(found[0])
            shown.append(f"{key}=REDACTED" if eq else ("REDACTED" if found else key))
        display += "?" + "&".join(shown)
    if "#" in text:
        secret_keys.extend(found[0] for p in _pairs(fragment) if (found := _secret_pair(*p)))
        display += "#REDACTED"
    return RedactedUrl(display, tuple(dict.fromkeys(secret_keys)), bool(userinfo))


def display_url(url: str) -> str:
    """``url`` as it may appear in a message, a report or a cache key."""
    return redact_url(url.strip()).display


@dataclass(frozen=True)
class Hit:
    """A credential found in some text: its name, kind, form and the text as written."""

    name: str
    kind: str
    form: str
    raw: str


def split_userinfo(url: str) -> tuple[str, str | None]:
    """``scheme://user:pw@host/p`` -> (``scheme://host/p``, ``user:pw``)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url, None
    authority, slash, path = rest.partition("/")
    userinfo, at, hostport = authority.rpartition("@")
    if not at:
        return url, None
    return f"{scheme}://{hostport}{slash}{path}", userinfo


def find_in_url(url: str) -> Iterator[Hit]:
    """The credentials a URL carries: user-info, credential-like query or fragment
    parameters, key-like path segments."""
    prefix, userinfo, after, query, fragment = _url_parts(url)
    if userinfo:
        user, colon, password = unquote(userinfo).partition(":")
        if colon and password:
            if value_kind(password) is ValueKind.LITERAL and not is_placeholder(password):
                match = classify(password)
                kind = match.kind if match and match.kind not in WEAK_KINDS else "URL password"
                yield Hit("password", kind, "url-userinfo", userinfo)
        elif value_kind(user) is ValueKind.LITERAL and (
            known_token(user) or classify(user) is not None
        ):
            match = classify(user)
            yield Hit("user", match.kind if match else "secret", "url-userinfo", userinfo)
    for key, eq, val in (*_pairs(query), *_pairs(fragment)):
        found = _secret_pair(key, eq, val)
        if found:
            match = classify(unquote(found[1]), name=found[0])
            yield Hit(found[0], match.kind if match else "secret", "url-query", found[1])
    for seg in after.split("/")[1:] if prefix.endswith("//") else after.split("/"):
        if seg and _secret_segment(seg):
            match = classify(unquote(seg))
            yield Hit("<path>", match.kind if match else "secret", "url-path", seg)
