"""The value builders of the CycloneDX SBOM: properties, hashes, URIs, references.

Each returns only what the CycloneDX 1.6 schema accepts (or nothing), so the document
built from them validates; a value the schema would reject is dropped here, not later.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from mcpscan.models import Advisory, Digest, ImageFacts, ProvenanceResult, ProvenanceState
from mcpscan.redaction import scrub_text
from mcpscan.report.iri import is_iri_reference, load_jsonschema

if TYPE_CHECKING:
    from cyclonedx.model import ExternalReference, HashType, Property, XsUri
    from cyclonedx.model.license import License
    from cyclonedx.model.vulnerability import VulnerabilityRating
    from jsonschema import FormatChecker

NAMESPACE = "mcpscan"
# Hex lengths per algorithm: a digest of another length would fail the schema's pattern.
_HEX_LENGTHS = {"sha512": 128, "sha256": 64, "sha1": 40}
_HEX_RE = re.compile(r"^[0-9a-fA-F]+$")


def prop(name: str, value: object) -> Property:
    from cyclonedx.model import Property

    text = str(value).lower() if isinstance(value, bool) else str(value)
    return Property(name=f"{NAMESPACE}:{name}", value=text)


@functools.lru_cache(maxsize=512)
def license_of(text: str) -> License:
    """A license expression or name as the library models it (an SPDX lookup each time
    otherwise; the model objects are only read when the BOM is written)."""
    from cyclonedx.contrib.license.factories import LicenseFactory

    return LicenseFactory().make_from_string(text)


def hashes(digests: Iterable[Digest]) -> list[HashType]:
    from cyclonedx.model import HashAlgorithm, HashType

    algs = {
        "sha512": HashAlgorithm.SHA_512,
        "sha256": HashAlgorithm.SHA_256,
        "sha1": HashAlgorithm.SHA_1,
    }
    out: list[HashType] = []
    for d in digests:
        alg = d.algorithm.lower().replace("-", "")
        if alg in algs and len(d.value) == _HEX_LENGTHS[alg] and _HEX_RE.match(d.value):
            out.append(HashType(alg=algs[alg], content=d.value.lower()))
    return out


@functools.lru_cache(maxsize=1)
def format_checker() -> FormatChecker:
    """The checker cyclonedx-python-lib validates with (so what passes here passes there),
    with ``iri-reference`` checked by :mod:`mcpscan.report.iri`: the same grammar, compiled
    to one regular expression instead of parsed with an Earley parser per value."""
    load_jsonschema()
    from jsonschema import Draft7Validator, FormatChecker

    checker = FormatChecker(formats=())
    checker.checkers.update(Draft7Validator.FORMAT_CHECKER.checkers)
    checker.checks("iri-reference")(is_iri_reference)
    return checker


def uri(text: str) -> XsUri | None:
    """``text`` as a URI the schema accepts (an IRI reference), or None.

    Display URLs may still hold unexpanded placeholders (``${API_BASE:-https://...}``) that
    no URI parser accepts; those are kept as properties instead.
    """
    from cyclonedx.exception.model import InvalidUriException
    from cyclonedx.model import XsUri

    try:
        parsed = XsUri(text)
    except InvalidUriException:
        return None
    return parsed if is_iri_reference(str(parsed)) else None


def external_ref(kind: str, url: str | None) -> list[ExternalReference]:
    from cyclonedx.model import ExternalReference, ExternalReferenceType

    found = uri(scrub_text(url)) if url else None
    if found is None:
        return []
    return [ExternalReference(type=ExternalReferenceType(kind), url=found)]


def ratings(advisory: Advisory) -> list[VulnerabilityRating]:
    """The advisory's rating: with the CVSS method, base score and vector it was computed
    from, when it has one; else the severity alone ("unknown" when the record gives none)."""
    from decimal import Decimal

    from cyclonedx.model.vulnerability import (
        VulnerabilityRating,
        VulnerabilityScoreSource,
        VulnerabilitySeverity,
    )

    severity = VulnerabilitySeverity(
        advisory.severity.label if advisory.severity is not None else "unknown"
    )
    rated = advisory.cvss
    if rated is None:
        return [VulnerabilityRating(severity=severity)]
    return [
        VulnerabilityRating(
            score=Decimal(f"{rated.score:.1f}"),
            severity=severity,
            method=VulnerabilityScoreSource(rated.method),
            vector=rated.vector,
        )
    ]


def attestation_evidence(results: Sequence[ProvenanceResult] | None) -> Any:
    """An image's verified signatures and attestations as CycloneDX identity evidence
    (technique ``attestation``): what vouches that this digest is the component."""
    from decimal import Decimal

    from cyclonedx.model.component_evidence import (
        AnalysisTechnique,
        ComponentEvidence,
        Identity,
        IdentityField,
        Method,
    )

    methods = [
        Method(
            technique=AnalysisTechnique.ATTESTATION,
            confidence=Decimal(1),
            value=scrub_text(
                " ".join(
                    x
                    for x in (r.kind, r.predicate_type, f"signed by {r.signer}" if r.signer else "")
                    if x
                )
                + f": {r.reason}"
            ),
        )
        for r in results or ()
        if r.state is ProvenanceState.VERIFIED and r.kind.startswith("oci-")
    ]
    if not methods:
        return None
    return ComponentEvidence(
        identity=[Identity(field=IdentityField.HASH, confidence=Decimal(1), methods=methods)]
    )


def image_props(image: ImageFacts | None) -> list[Property]:
    """A container image's platform, manifests and config, and its labels (the digest a
    reference names is the component's version and hash)."""
    if image is None:
        return []
    props = [
        prop("oci:repository", image.repository),
        prop("oci:media-type", image.media_type),
        prop("oci:manifest-digest", image.manifest_digest),
        prop("oci:config-digest", image.config_digest),
        prop("oci:user", image.user or "(none: root)"),
    ]
    if image.platform is not None:
        props.append(prop("oci:platform", str(image.platform)))
    props.extend(prop("oci:available-platform", str(p)) for p in image.platforms)
    props.extend(prop(f"oci:label:{k}", scrub_text(value)) for k, value in image.labels)
    return props
