"""The coverage ledger's types: per connector and check family, done / not applicable /
not run and why (DESIGN §1, "coverage is a fact").

Pure data with no dependency inside the package, so :mod:`mcpscan.models` can re-export it;
:mod:`mcpscan.coverage` derives a ledger from a scan's facts.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["CheckFamily", "Coverage", "CoverageLedger", "CoverageState", "GapCause"]


class CheckFamily(str, enum.Enum):
    """The check families whose coverage every connector records (DESIGN §1), report order."""

    LAUNCH = "launch"
    RESOLUTION = "resolution"
    PROVENANCE = "provenance"  # integrity and provenance
    ADVISORIES = "advisories"
    REPUTATION = "reputation"
    CONTENT = "content"  # the launched artifacts' files, read as data
    SCOPE = "scope"  # configuration scope
    APPROVAL = "approval"

    @property
    def label(self) -> str:
        """The family's name in reports ("integrity and provenance")."""
        return _FAMILY_TITLES[self]


_FAMILY_TITLES = {
    CheckFamily.LAUNCH: "launch analysis",
    CheckFamily.RESOLUTION: "resolution",
    CheckFamily.PROVENANCE: "integrity and provenance",
    CheckFamily.ADVISORIES: "advisories",
    CheckFamily.REPUTATION: "reputation",
    CheckFamily.CONTENT: "artifact contents",
    CheckFamily.SCOPE: "configuration scope",
    CheckFamily.APPROVAL: "approval",
}


class CoverageState(str, enum.Enum):
    DONE = "done"
    NOT_APPLICABLE = "not-applicable"
    NOT_RUN = "not-run"


class GapCause(str, enum.Enum):
    """Why a family that applies did not run; it decides what the gap does to the outcome."""

    # The user turned it off (--no-resolve, --no-advisories, --no-provenance, --no-inspect):
    # shown in every report and caps the score below 100, but the exit code follows the
    # verdict.
    DISABLED = "disabled"
    # A registry, advisory or provenance source failed or was missing offline: the scan is
    # incomplete (exit 3 unless --allow-incomplete).
    SOURCE_FAILED = "source-failed"
    # The connector itself cannot be analysed (a script mcpscan cannot follow, local code,
    # an image it cannot check): a finding says so.
    CANNOT_ANALYSE = "cannot-analyse"


@dataclass(frozen=True)
class Coverage:
    """One check family for one connector: done, not applicable, or not run and why."""

    family: CheckFamily
    state: CoverageState
    reason: str = ""  # fixed wording plus package names and flags, never a configured value
    cause: GapCause | None = None  # set exactly when state is NOT_RUN

    def __post_init__(self) -> None:
        if (self.state is CoverageState.NOT_RUN) != (self.cause is not None):
            raise ValueError("a coverage gap needs a cause, and only a gap has one")

    @property
    def gap(self) -> bool:
        return self.state is CoverageState.NOT_RUN


@dataclass(frozen=True)
class CoverageLedger:
    """A connector's coverage: one entry per :class:`CheckFamily`, in that order."""

    entries: tuple[Coverage, ...]

    def __post_init__(self) -> None:
        if tuple(c.family for c in self.entries) != tuple(CheckFamily):
            raise ValueError("a coverage ledger has one entry per check family, in order")

    def __getitem__(self, family: CheckFamily) -> Coverage:
        return self.entries[list(CheckFamily).index(family)]

    @property
    def gaps(self) -> tuple[Coverage, ...]:
        return tuple(c for c in self.entries if c.gap)

    @property
    def complete(self) -> bool:
        """Every family that applies ran: only then may the connector score a clean 100."""
        return not self.gaps
