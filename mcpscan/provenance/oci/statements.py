"""in-toto statements about an image: whose subject it is, and what its predicate says.

The statement is only read after its signature verified. Its subject must name the image's
digest (an attestation moved onto another image is INVALID). SLSA provenance says which
repository and workflow built the image; an SPDX or CycloneDX SBOM lists the packages the
image holds, which the scan checks for advisories like any other graph.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mcpscan.provenance.sigstore_manual import BundleVerificationError

IN_TOTO_PAYLOAD = "application/vnd.in-toto+json"
STATEMENT_TYPES = (
    "https://in-toto.io/Statement/v0.1",
    "https://in-toto.io/Statement/v1",
)
SLSA_PREFIX = "https://slsa.dev/provenance/"
COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"
SPDX_PREFIX = "https://spdx.dev/Document"
CYCLONEDX_PREFIX = "https://cyclonedx.org/bom"
MAX_SBOM_PACKAGES = 20_000

KIND_SIGNATURE = "oci-signature"
KIND_PROVENANCE = "oci-provenance"
KIND_SBOM = "oci-sbom"
KIND_ATTESTATION = "oci-attestation"


@dataclass(frozen=True)
class Statement:
    predicate_type: str
    predicate: Any
    subjects: tuple[str, ...]  # "sha256:<hex>" of every subject

    @property
    def kind(self) -> str:
        return kind_of(self.predicate_type)


def kind_of(predicate_type: str) -> str:
    if predicate_type.startswith(SLSA_PREFIX):
        return KIND_PROVENANCE
    if predicate_type.startswith((SPDX_PREFIX, CYCLONEDX_PREFIX)):
        return KIND_SBOM
    if predicate_type == COSIGN_SIGN_PREDICATE:
        return KIND_SIGNATURE
    return KIND_ATTESTATION


def read_statement(payload_type: str, payload: bytes, digest: str) -> Statement:
    """The statement, checked to be about ``digest``; raises BundleVerificationError."""
    if payload_type != IN_TOTO_PAYLOAD:
        raise BundleVerificationError(
            f"the envelope holds {payload_type!r}, not an in-toto statement"
        )
    try:
        doc = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BundleVerificationError("the statement is not JSON") from None
    if not isinstance(doc, dict) or doc.get("_type") not in STATEMENT_TYPES:
        raise BundleVerificationError("the payload is not an in-toto statement")
    subjects = tuple(_subject_digests(doc.get("subject")))
    if digest not in subjects:
        named = ", ".join(s[:19] for s in subjects) or "no digest"
        raise BundleVerificationError(
            f"the statement's subject is {named}, not this image's {digest}"
        )
    return Statement(str(doc.get("predicateType", "")), doc.get("predicate"), subjects)


def slsa_summary(statement: Statement) -> str:
    """What a SLSA predicate says built the image (builder id and build type)."""
    predicate = statement.predicate if isinstance(statement.predicate, dict) else {}
    definition = _d(predicate.get("buildDefinition"))
    builder = _d(_d(predicate.get("runDetails")).get("builder")).get("id") or _d(
        predicate.get("builder")
    ).get("id")
    build_type = definition.get("buildType") or predicate.get("buildType")
    parts = [
        f"builder {builder}" if builder else "",
        f"build type {build_type}" if build_type else "",
    ]
    return ", ".join(p for p in parts if p) or "no builder named"


def sbom_purls(statement: Statement) -> tuple[str, ...]:
    """The package URLs an SPDX (2.x JSON) or CycloneDX (JSON) predicate lists."""
    predicate = statement.predicate
    if isinstance(predicate, str):  # some producers embed the document as a string
        try:
            predicate = json.loads(predicate)
        except ValueError:
            return ()
    found: dict[str, None] = {}
    source = (
        _spdx_purls(predicate)
        if statement.predicate_type.startswith(SPDX_PREFIX)
        else _cyclonedx_purls(predicate)
    )
    for purl in source:
        if len(found) >= MAX_SBOM_PACKAGES:
            break
        if purl.startswith("pkg:"):
            found.setdefault(purl, None)
    return tuple(found)


def _spdx_purls(doc: Any) -> Iterator[str]:
    for package in _list(_d(doc).get("packages")):
        for ref in _list(_d(package).get("externalRefs")):
            ref = _d(ref)
            if str(ref.get("referenceType", "")).lower() == "purl":
                yield str(ref.get("referenceLocator", ""))


def _cyclonedx_purls(doc: Any) -> Iterator[str]:
    stack = list(_list(_d(doc).get("components")))
    seen = 0
    while stack and seen < MAX_SBOM_PACKAGES * 2:  # nested components, bounded
        seen += 1
        component = _d(stack.pop())
        if isinstance(component.get("purl"), str):
            yield component["purl"]
        stack.extend(_list(component.get("components")))


def _subject_digests(subjects: Any) -> Iterator[str]:
    for subject in _list(subjects):
        value = _d(_d(subject).get("digest")).get("sha256")
        if isinstance(value, str):
            yield f"sha256:{value.lower()}"


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
