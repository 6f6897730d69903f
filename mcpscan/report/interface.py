"""The report seam: every format renders the same :class:`ScanResult`."""

from __future__ import annotations

from abc import ABC, abstractmethod

from mcpscan.errors import ReportError
from mcpscan.models import ScanResult


class RenderError(ReportError):
    """A report could not be produced (e.g. it failed its own schema)."""


class Renderer(ABC):
    name: str  # the value of -f/--format

    @abstractmethod
    def render(self, result: ScanResult) -> str:
        """The whole report as text. Must not contain any secret value."""
