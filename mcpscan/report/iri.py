"""The ``iri-reference`` format of JSON Schema (RFC 3987), as one compiled regular expression.

Why not jsonschema's own checker: it parses every value with ``rfc3987_syntax``'s Earley
grammar, ~0.1 s per URL, and an SBOM of a few hundred packages holds thousands of URLs
(each checked once when built and once when the document is validated): a minute per SBOM.

This is the same grammar, rule for rule (``rfc3987_syntax/syntax_rfc3987.lark``), including
its narrowings of RFC 3987 (ucschar and iprivate only in the Basic Multilingual Plane, and
its nine IPv6 forms, which leave out the short ones such as ``::1``), so a value accepted here
is accepted by the validator cyclonedx-python-lib uses, and an SBOM built with this check
validates there too. ``tests/report_cyclonedx/test_iri.py`` compares the two on recorded
and generated values.
"""

from __future__ import annotations

import re

# A longer value is not accepted: the regular expression is linear in practice, but a
# registry controls these strings, and no real repository or homepage URL comes near this.
MAX_LENGTH = 8192

_UCS = "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef"
_IPRIVATE = "\ue000-\uf8ff"
_UNRESERVED = "A-Za-z0-9\\-._~"
_IUNRESERVED = _UNRESERVED + _UCS
_SUB_DELIMS = "!$&'()*+,;="
_PCT = "%[0-9A-Fa-f]{2}"

_IPCHAR = f"(?:[{_IUNRESERVED}{_SUB_DELIMS}:@]|{_PCT})"
_SCHEME = "[A-Za-z][A-Za-z0-9+\\-.]*"
_IUSERINFO = f"(?:[{_IUNRESERVED}{_SUB_DELIMS}:]|{_PCT})*"
_H16 = "[0-9A-Fa-f]{1,4}"
_DEC_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9])"
_IPV4 = f"{_DEC_OCTET}\\.{_DEC_OCTET}\\.{_DEC_OCTET}\\.{_DEC_OCTET}"
_LS32 = f"(?:{_H16}:{_H16}|{_IPV4})"
_IPV6 = (
    "(?:"
    + "|".join(
        (
            f"(?:{_H16}:){{6}}{_LS32}",
            f"::(?:{_H16}:){{5}}{_LS32}",
            f"{_H16}::(?:{_H16}:){{4}}{_LS32}",
            f"{_H16}:{_H16}::(?:{_H16}:){{3}}{_LS32}",
            f"(?:{_H16}:){{2}}{_H16}::(?:{_H16}:){{2}}{_LS32}",
            f"(?:{_H16}:){{3}}{_H16}::{_H16}:{_LS32}",
            f"(?:{_H16}:){{4}}{_H16}::{_LS32}",
            f"(?:{_H16}:){{5}}{_H16}::{_H16}",
            f"(?:{_H16}:){{6}}{_H16}::",
        )
    )
    + ")"
)
_IPVFUTURE = f"v[0-9A-Fa-f]+\\.[{_UNRESERVED}{_SUB_DELIMS}:]+"
_IP_LITERAL = f"\\[(?:{_IPV6}|{_IPVFUTURE})\\]"
_IREG_NAME = f"(?:[{_IUNRESERVED}{_SUB_DELIMS}]|{_PCT})*"
_IHOST = f"(?:{_IP_LITERAL}|{_IPV4}|{_IREG_NAME})"
_IAUTHORITY = f"(?:{_IUSERINFO}@)?{_IHOST}(?::[0-9]*)?"
_ISEGMENT = f"{_IPCHAR}*"
_ISEGMENT_NZ = f"{_IPCHAR}+"
_ISEGMENT_NZ_NC = f"(?:[{_IUNRESERVED}{_SUB_DELIMS}@]|{_PCT})+"
_IPATH_ABEMPTY = f"(?:/{_ISEGMENT})*"
_IPATH_ABSOLUTE = f"/(?:{_ISEGMENT_NZ}(?:/{_ISEGMENT})*)?"
_IPATH_ROOTLESS = f"{_ISEGMENT_NZ}(?:/{_ISEGMENT})*"
_IPATH_NOSCHEME = f"{_ISEGMENT_NZ_NC}(?:/{_ISEGMENT})*"
_IQUERY = f"(?:{_IPCHAR}|[{_IPRIVATE}/?])*"
_IFRAGMENT = f"(?:{_IPCHAR}|[/?])*"
_TAIL = f"(?:\\?{_IQUERY})?(?:#{_IFRAGMENT})?"
_IHIER_PART = f"(?://{_IAUTHORITY}{_IPATH_ABEMPTY}|{_IPATH_ABSOLUTE}|{_IPATH_ROOTLESS}|)"
_IRELATIVE_PART = f"(?://{_IAUTHORITY}{_IPATH_ABEMPTY}|{_IPATH_ABSOLUTE}|{_IPATH_NOSCHEME}|)"
_IRI = f"{_SCHEME}:{_IHIER_PART}{_TAIL}"
_IRELATIVE_REF = f"{_IRELATIVE_PART}{_TAIL}"
_IRI_REFERENCE = re.compile(f"(?:{_IRI}|{_IRELATIVE_REF})")


def is_iri_reference(value: object) -> bool:
    """JSON Schema's ``iri-reference`` check (non-strings pass, as in every format check)."""
    if not isinstance(value, str):
        return True
    return len(value) <= MAX_LENGTH and _IRI_REFERENCE.fullmatch(value) is not None


def load_jsonschema() -> None:
    """Import jsonschema (once per process) without ``rfc3987_syntax``: importing that
    builds 38 Earley parsers (about a second) for the only two formats it checks, ``iri``
    and ``iri-reference``, and mcpscan checks ``iri-reference`` with :func:`is_iri_reference`
    instead (the CycloneDX schema uses no ``iri``). A jsonschema already imported, or an
    ``rfc3987_syntax`` imported by someone else, is left as it is."""
    import sys

    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        return
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # blocks the import
    try:
        import jsonschema  # noqa: F401
    finally:
        del sys.modules["rfc3987_syntax"]
