"""The provenance seam: one resolved artifact in, three-state provenance results out.

A verifier answers for one ecosystem. It never returns VERIFIED unless the material was
fetched and verified: a registry (or mirror) that serves no signatures or attestations gives
ABSENT with the reason :data:`NOT_PROVIDED`, and material that is present but does not verify
gives INVALID with the reason. ABSENT means nothing was declared: material that is present or
declared is verified, INVALID, or UNKNOWN when a source it needs could not be reached (the
verifier then raises :class:`ProvenanceIncomplete`, so the scan is marked incomplete rather
than "absent"). When the registry cannot be reached at all, a verifier raises
:class:`ProvenanceUnavailable`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from mcpscan.errors import ProvenanceError
from mcpscan.models import ProvenanceResult, ProvenanceState, ResolvedPackage

# The reason every verifier gives when the registry serves no provenance material.
NOT_PROVIDED = "the registry did not provide it"

# Kinds of result that attest a build (who built the artifact from which repository), as
# opposed to a registry's own signature over what it stores.
# A verified image signature counts: its Fulcio identity (or the key the user named) says
# who published the image, as a PEP 740 attestation does for a wheel.
BUILD_PROVENANCE_KINDS = frozenset({"npm-provenance", "pep740", "oci-signature", "oci-provenance"})
INTEGRITY_KIND = "integrity"


class ProvenanceVerificationError(ProvenanceError):
    """Provenance material could not be processed (distinct from a result of "invalid")."""


class ProvenanceUnavailable(ProvenanceVerificationError):
    """The registry could not be reached or asked (network failure, --offline cache miss)."""


class ProvenanceIncomplete(ProvenanceUnavailable):
    """Part of the material could not be checked: ``results`` are what was established
    (UNKNOWN where a check could not finish) and the message says what is missing."""

    def __init__(self, message: str, results: tuple[ProvenanceResult, ...]) -> None:
        super().__init__(message)
        self.results = results


class ProvenanceVerifier(ABC):
    """Checks the provenance of the artifacts of one ecosystem."""

    ecosystem: str = ""

    @abstractmethod
    def check(self, node: ResolvedPackage) -> tuple[ProvenanceResult, ...]:
        """Every provenance result for ``node``: at least one, each with its reason.

        Raises :class:`ProvenanceUnavailable` when the registry cannot be asked.
        """

    def verdict_inputs(self) -> Mapping[str, Any] | None:
        """Everything besides the artifact that this verifier's results depend on, as JSON
        values (its registry, the digests of the trust anchors and keys it uses...), so
        that its verdicts can be kept between scans (:mod:`mcpscan.provenance.verdicts`).
        None, the default: its verdicts are never kept. Called once per scan."""
        return None


def absent(node: ResolvedPackage, kind: str, reason: str) -> ProvenanceResult:
    """Nothing of ``kind`` was published for this artifact, on a registry that serves it."""
    return ProvenanceResult(purl=node.purl, kind=kind, state=ProvenanceState.ABSENT, reason=reason)


def not_served(node: ResolvedPackage, kind: str, detail: str) -> ProvenanceResult:
    """The registry serves no material of ``kind`` at all: ABSENT, and a registry gap
    (:attr:`ProvenanceResult.registry_gap`), with the reason :data:`NOT_PROVIDED`."""
    return ProvenanceResult(
        purl=node.purl,
        kind=kind,
        state=ProvenanceState.ABSENT,
        reason=f"{NOT_PROVIDED} ({detail})",
        registry_gap=True,
    )


def unknown(node: ResolvedPackage, kind: str, reason: str) -> ProvenanceResult:
    return ProvenanceResult(purl=node.purl, kind=kind, state=ProvenanceState.UNKNOWN, reason=reason)


def invalid(node: ResolvedPackage, kind: str, reason: str) -> ProvenanceResult:
    return ProvenanceResult(purl=node.purl, kind=kind, state=ProvenanceState.INVALID, reason=reason)
