"""Credentials in launcher arguments, recorded as facts of the walk.

Recognising a credential and redacting it is :mod:`mcpscan.redaction`'s job; these
adapters only record what it finds, with the index of the argument that holds it.
"""

from __future__ import annotations

from mcpscan.models import ValueKind
from mcpscan.redaction import check_value, find_in_url, known_token, value_kind
from mcpscan.sources.launchers.facts import _Acc, _Tok


def _safe(text: str) -> str:
    """``text`` for a note: names only, never something that looks like a credential."""
    if known_token(text):
        return "<redacted>"
    return text if len(text) <= 80 else text[:77] + "..."


def _check_value(acc: _Acc, flag: str, tok: _Tok, value: str, name: str | None) -> bool:
    """Record ``value`` as a SecretArg when it is a literal credential; say whether it was.

    ``name`` (a flag, header or env var name) lets a secret-named slot count even when the
    value's format is unknown; without a secret name only recognisable formats count.
    """
    found = check_value(value, name)
    if found is None:
        return False
    acc.secret(flag, tok, value, kind=found[1], form="flag" if flag else "positional")
    return True


def _guard_spec(acc: _Acc, tok: _Tok, text: str) -> bool:
    """A credential where a package, image or script was expected: record it, keep it out of
    every other fact, and say so."""
    if value_kind(text) is ValueKind.LITERAL and known_token(text):
        acc.secret("", tok, text, form="positional")
        acc.note("an argument where a package or program was expected looks like a credential")
        return True
    return False


def _url_credentials(acc: _Acc, flag: str, tok: _Tok, url: str) -> None:
    """Credentials in a URL handed to a launcher (registry, index or download URL)."""
    for hit in find_in_url(url):
        acc.secret(flag, tok, hit.raw, kind=hit.kind, form=hit.form)
