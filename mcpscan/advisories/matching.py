"""OSV records: which package versions they affect, how severe they are, what fixes them.

Versions are compared per ecosystem (npm semver for npm and for every SEMVER range, PEP 440
for PyPI), following the OSV schema's evaluation of ``introduced`` / ``fixed`` /
``last_affected`` / ``limit`` events and ``affected[].versions`` lists.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from mcpscan.advisories.interface import Match, Query
from mcpscan.ecosystems.pypi.spec import parse_version
from mcpscan.models import Advisory, CvssScore, Severity

# Our ecosystem names and OSV's.
OSV_ECOSYSTEMS = {"npm": "npm", "pypi": "PyPI"}
_SEVERITY_WORDS = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MODERATE": Severity.MEDIUM,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
}
_MALWARE_TITLE = re.compile(r"^\s*(malicious code in|malware in)\b", re.IGNORECASE)

Record = Mapping[str, Any]
_Key = Any  # a parsed version: semver.Version or packaging Version (both totally ordered)


def ecosystem_key(ecosystem: str) -> str:
    """``PyPI`` -> ``pypi``; OSV's ``Debian:12`` and the like stay distinct."""
    return ecosystem.strip().lower()


def normalize_name(ecosystem: str, name: str) -> str:
    if ecosystem_key(ecosystem) == "pypi":
        from packaging.utils import canonicalize_name

        return str(canonicalize_name(name))
    return name.strip()


def make_query(ecosystem: str, name: str, version: str | None) -> Query:
    eco = ecosystem_key(ecosystem)
    return Query(eco, normalize_name(eco, name), version or None)


# -- version parsing ------------------------------------------------------------------------


def _semver_key(text: str) -> _Key | None:
    from mcpscan.ecosystems.npm import semver

    try:
        return semver.parse(text.strip().lstrip("v"), loose=True)
    except semver.InvalidVersion:
        return None


def _parser(ecosystem: str, range_type: str) -> Callable[[str], _Key | None] | None:
    if range_type == "SEMVER":
        return _semver_key
    if range_type != "ECOSYSTEM":
        return None  # GIT ranges name commits, not versions
    return {"npm": _semver_key, "pypi": parse_version}.get(ecosystem_key(ecosystem))


# -- affected entries -----------------------------------------------------------------------


def withdrawn(record: Record) -> bool:
    return bool(record.get("withdrawn"))


def entries_for(record: Record, ecosystem: str, name: str) -> list[Mapping[str, Any]]:
    """The record's ``affected`` entries about this package."""
    eco = ecosystem_key(ecosystem)
    wanted = normalize_name(eco, name)
    found = []
    for entry in _list(record.get("affected")):
        pkg = entry.get("package") if isinstance(entry, Mapping) else None
        if not isinstance(pkg, Mapping):
            continue
        pkg_eco, pkg_name = pkg.get("ecosystem"), pkg.get("name")
        if not isinstance(pkg_eco, str) or not isinstance(pkg_name, str):
            continue
        # "PyPI" and e.g. "npm:..." variants: only the part before ":" names the ecosystem.
        if ecosystem_key(pkg_eco.split(":", 1)[0]) != eco:
            continue
        if normalize_name(eco, pkg_name) == wanted:
            found.append(entry)
    return found


def packages_of(record: Record) -> Iterator[tuple[str, str]]:
    """(ecosystem key, normalised name) of every package the record names."""
    for entry in _list(record.get("affected")):
        pkg = entry.get("package") if isinstance(entry, Mapping) else None
        if isinstance(pkg, Mapping):
            eco, name = pkg.get("ecosystem"), pkg.get("name")
            if isinstance(eco, str) and isinstance(name, str) and eco and name:
                key = ecosystem_key(eco.split(":", 1)[0])
                yield key, normalize_name(key, name)


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _events(rng: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    for event in _list(rng.get("events")):
        if isinstance(event, Mapping):
            for kind in ("introduced", "fixed", "last_affected", "limit"):
                value = event.get(kind)
                if isinstance(value, str) and value:
                    out.append((kind, value))
    return out


def _in_range(events: list[tuple[str, str]], parse: Callable[[str], _Key | None], v: _Key) -> bool:
    """The OSV schema's evaluation: walk the events in version order."""
    parsed: list[tuple[str, _Key | None]] = []
    limits: list[_Key] = []
    for kind, value in events:
        if kind == "introduced" and value == "0":
            parsed.append((kind, None))  # None sorts before every version
            continue
        if kind == "limit" and value == "*":
            continue
        key = parse(value)
        if key is None:
            continue  # an event we cannot read cannot move the boundary
        if kind == "limit":
            limits.append(key)
        else:
            parsed.append((kind, key))
    if limits and not any(v < lim for lim in limits):
        return False

    def order(a: tuple[str, _Key | None], b: tuple[str, _Key | None]) -> int:
        if a[1] is None or b[1] is None:
            return (a[1] is not None) - (b[1] is not None)
        return -1 if a[1] < b[1] else (1 if b[1] < a[1] else 0)

    vulnerable = False
    for kind, key in sorted(parsed, key=functools.cmp_to_key(order)):
        if kind == "introduced" and (key is None or v >= key):
            vulnerable = True
        elif key is not None and (
            (kind == "fixed" and v >= key) or (kind == "last_affected" and v > key)
        ):
            vulnerable = False
    return vulnerable


def affects(entry: Mapping[str, Any], ecosystem: str, version: str) -> bool:
    """Whether one ``affected`` entry covers ``version``."""
    listed = [v for v in _list(entry.get("versions")) if isinstance(v, str)]
    if version in listed:
        return True
    eco_parse = _parser(ecosystem, "ECOSYSTEM")
    if eco_parse is not None and listed:
        key = eco_parse(version)
        if key is not None and any(eco_parse(v) == key for v in listed):
            return True  # PEP 440: "1.0" and "1.0.0" are one version
    for rng in _list(entry.get("ranges")):
        if not isinstance(rng, Mapping):
            continue
        parse = _parser(ecosystem, str(rng.get("type", "")))
        if parse is None:
            continue
        key = parse(version)
        if key is not None and _in_range(_events(rng), parse, key):
            return True
    return False


def fixed_versions(
    entries: Iterable[Mapping[str, Any]], ecosystem: str, version: str | None
) -> tuple[str, ...]:
    """The ``fixed`` versions above ``version`` (all of them for ``None``), lowest first."""
    parse = _parser(ecosystem, "ECOSYSTEM") or _semver_key
    current = parse(version) if version is not None else None
    found: dict[str, _Key] = {}
    for entry in entries:
        for rng in _list(entry.get("ranges")):
            if not isinstance(rng, Mapping) or rng.get("type") not in ("SEMVER", "ECOSYSTEM"):
                continue
            for kind, value in _events(rng):
                key = parse(value) if kind == "fixed" else None
                if key is not None and (current is None or key > current):
                    found[value] = key

    def order(a: str, b: str) -> int:
        return -1 if found[a] < found[b] else (1 if found[b] < found[a] else 0)

    return tuple(sorted(found, key=functools.cmp_to_key(order)))


def match_record(record: Record, query: Query, *, source: str) -> Match | None:
    """The record as a :class:`Match` for ``query``, or None when it does not apply."""
    if withdrawn(record):
        return None
    entries = entries_for(record, query.ecosystem, query.name)
    if not entries:
        return None
    if query.version is not None and not any(
        affects(e, query.ecosystem, query.version) for e in entries
    ):
        return None
    return Match(
        advisory(record, source=source),
        fixed_versions(entries, query.ecosystem, query.version),
    )


# -- the advisory itself --------------------------------------------------------------------


def advisory(record: Record, *, source: str) -> Advisory:
    ident = str(record.get("id", ""))
    aliases = tuple(a for a in _list(record.get("aliases")) if isinstance(a, str) and a != ident)
    summary = record.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        details = record.get("details")
        lines = details.strip().splitlines() if isinstance(details, str) else []
        summary = lines[0] if lines else ""
    severity, basis, rated = severity_of(record)
    return Advisory(
        id=ident,
        aliases=aliases,
        summary=" ".join(summary.split())[:300],
        severity=severity,
        severity_basis=basis,
        cvss=rated,
        malicious=is_malicious(record),
        url=_advisory_url(record, ident),
        sources=(source,),
    )


def is_malicious(record: Record) -> bool:
    ids = [record.get("id"), *_list(record.get("aliases"))]
    if any(isinstance(i, str) and i.upper().startswith("MAL-") for i in ids):
        return True
    specific = record.get("database_specific")
    if isinstance(specific, Mapping) and "malicious-packages-origins" in specific:
        return True
    summary = record.get("summary")
    return isinstance(summary, str) and bool(_MALWARE_TITLE.match(summary))


def _advisory_url(record: Record, ident: str) -> str | None:
    for ref in _list(record.get("references")):
        if isinstance(ref, Mapping) and ref.get("type") == "ADVISORY":
            url = ref.get("url")
            if isinstance(url, str):
                return url
    return f"https://osv.dev/vulnerability/{ident}" if ident else None


def cvss_of(vector: str) -> CvssScore | None:
    """The base score of a CVSS v3.x or v4.0 vector, computed by the ``cvss`` library
    (RedHatProductSecurity/cvss: FIRST's formulas for v3.0, v3.1 and v4.0, which no
    advisory's own number is trusted over); None if the vector does not read."""
    from cvss import CVSS3, CVSS4  # type: ignore[import-untyped]
    from cvss.exceptions import CVSSError  # type: ignore[import-untyped]

    try:
        if vector.startswith("CVSS:4"):
            score = float(CVSS4(vector).base_score)
        elif vector.startswith("CVSS:3"):
            score = float(CVSS3(vector).scores()[0])
        else:
            return None
    except (CVSSError, ValueError, KeyError, IndexError):
        return None
    version = vector.split("/", 1)[0].removeprefix("CVSS:")
    return CvssScore(version=version, score=score, vector=vector)


def score_severity(score: float) -> Severity:
    """CVSS qualitative rating: 9.0+ critical, 7.0+ high, 4.0+ medium, above 0 low."""
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    return Severity.LOW if score > 0 else Severity.INFO


def severity_word(word: object) -> Severity | None:
    return _SEVERITY_WORDS.get(word.strip().upper()) if isinstance(word, str) else None


def severity_of(record: Record) -> tuple[Severity | None, str, CvssScore | None]:
    """From the newest CVSS vector the record carries (with it), else its database's own
    rating."""
    entries = [s for s in _list(record.get("severity")) if isinstance(s, Mapping)]
    for entry in _list(record.get("affected")):
        if isinstance(entry, Mapping):
            entries += [s for s in _list(entry.get("severity")) if isinstance(s, Mapping)]
    for kind in ("CVSS_V4", "CVSS_V3"):
        for entry in entries:
            vector = entry.get("score")
            if entry.get("type") == kind and isinstance(vector, str):
                rated = cvss_of(vector)
                if rated is not None:
                    return score_severity(rated.score), basis_of(rated), rated
    specific = record.get("database_specific")
    if isinstance(specific, Mapping):
        word = specific.get("severity")
        found = severity_word(word)
        if found is not None:
            return found, f"database severity {str(word).upper()}", None
    return None, "", None


def basis_of(rated: CvssScore) -> str:
    """How a severity was decided from a CVSS score: "CVSS:3.1 9.6"."""
    return f"CVSS:{rated.version} {rated.score:.1f}"
