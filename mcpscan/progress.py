"""What a running scan reports about itself, for a progress display.

The orchestrator and the stages call a :class:`Progress` they are handed: which stage runs,
and how far it got (root sets resolved and their packages, artifacts verified). The CLI
shows it as a transient display on a terminal (:mod:`mcpscan.cli.progress`); everywhere
else it is :class:`Silent`, so reports never depend on it. Calls may come from the worker
threads of a stage.
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class Progress(ABC):
    @abstractmethod
    def stage(self, name: str, total: int | None = None) -> None:
        """A new stage starts ("resolving", "verifying provenance"); ``total``: how many
        steps it has, when known."""

    @abstractmethod
    def advance(self, steps: int = 1, *, packages: int = 0) -> None:
        """``steps`` more of the current stage are done, having brought ``packages`` more
        packages (a resolved root set's graph)."""


class Silent(Progress):
    """No display."""

    def stage(self, name: str, total: int | None = None) -> None:
        return None

    def advance(self, steps: int = 1, *, packages: int = 0) -> None:
        return None


SILENT = Silent()
