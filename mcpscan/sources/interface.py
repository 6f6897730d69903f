"""The sources seam: turn input files and package specs into :class:`Connector` objects."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mcpscan.errors import InputError
from mcpscan.models import Connector, Diagnostic

if TYPE_CHECKING:
    from mcpscan._internal.nodes import Node


class SourceError(InputError):
    """A whole input could not be read (the file is unreadable or not the format claimed)."""


@dataclass(frozen=True)
class ParseResult:
    connectors: tuple[Connector, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()


@dataclass(frozen=True)
class LoadResult:
    """Everything read from the scan targets."""

    connectors: tuple[Connector, ...]
    diagnostics: tuple[Diagnostic, ...]
    files_read: tuple[str, ...]  # inputs that parsed (possibly with per-entry diagnostics)
    files_failed: tuple[str, ...]  # inputs of which nothing usable was read


@dataclass(frozen=True)
class ParseContext:
    """Who and where a document is being read for."""

    file: str  # the file name as shown to the user (relative to the working dir if under it)
    client: str  # "claude-desktop", "vscode", "codex", ... as reported on each connector
    scope: str  # "user", "project", "managed", "local", "cli" or ""


@dataclass(frozen=True)
class DiscoveredConfig:
    path: Path
    client: str
    scope: str  # "user", "project", "managed"


class ConfigFormat(ABC):
    """One client's configuration format."""

    client: str  # e.g. "claude-desktop", "vscode", "codex"

    @abstractmethod
    def claims(self, path: Path, data: Node) -> bool:
        """Whether this format recognises a parsed document (by file name and shape)."""

    @abstractmethod
    def parse(self, document: Node, context: ParseContext) -> ParseResult:
        """Connectors of a document already parsed by :mod:`mcpscan.sources` (with lines).

        Never raises for a bad entry: it is skipped with a non-fatal diagnostic.
        """
