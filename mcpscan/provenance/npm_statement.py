"""What an npm attestation must say to count: its pointer, its statement and key windows.

Split from :mod:`mcpscan.provenance.npm` so the verifier reads as the order of its checks;
these are the pure judgements it applies to already-verified material.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, unquote

from mcpscan.models import ResolvedPackage
from mcpscan.provenance.npm_keys import RegistryKey
from mcpscan.provenance.sigstore_manual import VerifiedDsse

IN_TOTO_TYPE = "application/vnd.in-toto+json"


@dataclass(frozen=True)
class Timed:
    when: datetime | None
    source: str  # where the time came from, for the reason


def pointer_problem(node: ResolvedPackage, declared: Any) -> str:
    """Why ``dist.attestations`` is not a pointer to this version's attestations."""
    if not isinstance(declared, dict):
        return "is not an object"
    url = declared.get("url")
    if not isinstance(url, str) or "/-/npm/v1/attestations/" not in url:
        return "names no attestations URL"
    spec = unquote(url.rsplit("/-/npm/v1/attestations/", 1)[1])
    if spec != f"{node.name}@{node.version}":
        return f"points at the attestations of {spec}, not of {node.name}@{node.version}"
    provenance = declared.get("provenance")
    if provenance is not None and not isinstance(provenance, dict):
        return "has a provenance entry that is not an object"
    return ""


def check_statement(
    node: ResolvedPackage, verified: VerifiedDsse, predicate_type: str, expected_sha512: str | None
) -> tuple[dict[str, Any], str]:
    """(7) The statement must name this package version and this tarball's sha512."""
    if verified.payload_type != IN_TOTO_TYPE:
        return {}, f"payload type {verified.payload_type!r} is not an in-toto statement"
    try:
        statement = json.loads(verified.payload)
    except ValueError:
        return {}, "the signed statement is not JSON"
    if not isinstance(statement, dict):
        return {}, "the signed statement is not a JSON object"
    if statement.get("predicateType") != predicate_type:
        return statement, (
            f"the signed predicate type {statement.get('predicateType')!r} "
            f"is not the declared {predicate_type!r}"
        )
    if expected_sha512 is None:
        return statement, "no sha512 of the tarball is known to compare the subject with"
    purl = npm_purl(node.name, node.version)
    subjects = statement.get("subject")
    named = (
        [s for s in subjects if isinstance(s, dict) and s.get("name") == purl]
        if isinstance(subjects, list)
        else []
    )
    if not named:
        return statement, f"no subject names {purl}"
    for subject in named:
        digest = subject.get("digest")
        if isinstance(digest, dict) and str(digest.get("sha512", "")).lower() == expected_sha512:
            return statement, ""
    return statement, f"the subject's sha512 is not the tarball's ({expected_sha512[:16]}…)"


def key_window(key: RegistryKey) -> str:
    start = key.start.date().isoformat() if key.start else "…"
    end = key.end.date().isoformat() if key.end else "…"
    return f"from {start} to {end}"


def window_problem(keys: list[RegistryKey], timed: Timed) -> str:
    """Why none of ``keys`` was valid at the time; "unknown" when that matters and no time
    is known; empty when one was valid."""
    if any(k.start is None and k.end is None for k in keys):
        return ""
    when = timed.when
    if when is None:
        now = datetime.now(timezone.utc)
        return "" if any(k.valid_at(now) for k in keys) else "unknown"
    if any(k.valid_at(when) for k in keys):
        return ""
    key = keys[0]
    if key.end is not None and when >= key.end:
        return f"expired {key.end.isoformat()}, before {timed.source} ({when.isoformat()})"
    start = key.start.isoformat() if key.start else "?"
    return f"not valid until {start}, after {timed.source} ({when.isoformat()})"


def npm_purl(name: str, version: str) -> str:
    """The purl npm puts in attestation subjects (scope ``@`` as ``%40``)."""
    return f"pkg:npm/{quote(name, safe='/')}@{version}"
