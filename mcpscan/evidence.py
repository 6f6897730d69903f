"""Evidence types: provenance results and CVSS scores.

Pure data with no dependency inside the package, so :mod:`mcpscan.models` can re-export
them (it would pass the module size limit otherwise); import them from there.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["CvssScore", "ProvenanceResult", "ProvenanceState"]


@dataclass(frozen=True)
class CvssScore:
    """A CVSS base score as an advisory states it: the vector and what it computes to."""

    version: str  # "3.0", "3.1", "4.0"
    score: float  # the base score the vector computes to (0.0-10.0)
    vector: str  # "CVSS:3.1/AV:N/AC:L/..."

    @property
    def method(self) -> str:
        """The scoring method's name as CycloneDX spells it ("CVSSv31", "CVSSv4")."""
        return {"3.0": "CVSSv3", "3.1": "CVSSv31", "4.0": "CVSSv4"}.get(self.version, "other")


class ProvenanceState(str, enum.Enum):
    """Four states, fail closed: only VERIFIED is evidence, and it is never a pass alone."""

    VERIFIED = "verified"
    ABSENT = "absent"  # no material (or the registry did not provide any)
    INVALID = "invalid"  # material present but it does not verify
    UNKNOWN = "unknown"  # present or declared but not checkable (source unreachable, no time)


@dataclass(frozen=True)
class ProvenanceResult:
    """One provenance check of one artifact (a graph node)."""

    purl: str
    kind: str  # "npm-registry-signature", "npm-publish", "npm-provenance", "pep740", "integrity"
    state: ProvenanceState
    reason: str = ""  # why absent or invalid; for verified, what was checked
    source_repository: str | None = None  # attested source repository URL
    workflow: str | None = None  # build workflow (path@ref or build signer URI)
    ref: str | None = None  # git ref the build ran on
    commit: str | None = None
    issuer: str | None = None  # OIDC issuer of the signing identity
    signer: str | None = None  # certificate SAN or registry key id
    predicate_type: str | None = None
    # ABSENT because the registry serves no material of this kind at all (a mirror without
    # signatures or attestations, an index without the Integrity API): it says nothing
    # about the package. A registry gap of the coverage ledger, not "published without".
    registry_gap: bool = False

    def __post_init__(self) -> None:
        if self.registry_gap and self.state is not ProvenanceState.ABSENT:
            raise ValueError("only an absent result can be a registry gap")
