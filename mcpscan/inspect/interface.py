"""The inspection seam: a launched artifact's files, read as data, and what analysers find.

An artifact (an npm tarball, a wheel, an sdist) is downloaded within limits, its archive
read without unpacking, and handed to every :class:`Analyser` as :class:`ArtifactContents`:
each file with its path, its size and its bytes on demand (within the per-file limit). What
an analyser finds is a :class:`ContentHit` with its evidence (file, line, the matched text
shortened and redacted); what could not be read is said in the :class:`ArtifactReport`, so
the coverage ledger can tell a clean artifact from one nobody read.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mcpscan.errors import McpscanError

if TYPE_CHECKING:
    from mcpscan.inspect.archive import EntryIssue
    from mcpscan.models import PackageFacts

MB = 1024 * 1024


class InspectError(McpscanError):
    """An artifact could not be inspected (not downloadable, not an archive mcpscan reads)."""


class InspectLimitError(InspectError):
    """An artifact, or one of its files, is over an inspection limit: not read further."""


@dataclass(frozen=True)
class InspectLimits:
    """Limits per artifact; each is an option (``--inspect-max-mb`` ...)."""

    max_bytes: int = 100 * MB  # the download, as served (compressed)
    max_entries: int = 50_000  # an SDK with generated models has tens of thousands
    max_seconds: float = 30.0  # reading and analysing one artifact, after the download
    max_unpacked_bytes: int = 512 * MB  # all files together, uncompressed
    max_file_bytes: int = 16 * MB  # one file's bytes handed to the analysers (a bundle)
    max_kept_bytes: int = 96 * MB  # the files' bytes held at once for one artifact


class ArtifactFormat(str, enum.Enum):
    NPM_TARBALL = "npm-tarball"
    WHEEL = "wheel"
    SDIST = "sdist"


@dataclass(frozen=True)
class ArtifactFile:
    """One regular file of an artifact. ``path`` is relative to the package root (npm's
    and an sdist's first directory stripped); ``read()`` gives its bytes, or raises
    :class:`InspectLimitError` when the file was over the per-file or kept-bytes limit."""

    path: str
    size: int
    head: bytes = b""  # the first bytes (magic numbers), kept for every file
    _load: Callable[[], bytes] | None = field(default=None, repr=False, compare=False)
    unread: str = ""  # why read() fails, empty when it does not

    def read(self) -> bytes:
        if self._load is None:
            raise InspectLimitError(self.unread or f"{self.path} was not kept")
        return self._load()

    def text(self) -> str | None:
        """The file as UTF-8 text (undecodable bytes replaced), None when not readable."""
        try:
            return self.read().decode("utf-8", errors="replace")
        except InspectLimitError:
            return None

    @property
    def readable(self) -> bool:
        return self._load is not None


@dataclass(frozen=True)
class ArtifactContents:
    """The files of one artifact, read as data (never unpacked, never run)."""

    purl: str
    label: str  # name@version
    format: ArtifactFormat
    files: tuple[ArtifactFile, ...]
    entries: int = 0
    unpacked_bytes: int = 0
    issues: tuple[EntryIssue, ...] = ()  # unsafe entries (SC16)
    deadline: float | None = None  # time.monotonic() past which analysers stop
    # The registry's word about this version (its install scripts ...), None: not known.
    facts: PackageFacts | None = None

    def __iter__(self) -> Iterator[ArtifactFile]:
        return iter(self.files)

    def get(self, path: str) -> ArtifactFile | None:
        """The file at ``path`` (the last copy, as an unpacker leaves it)."""
        wanted = _normal(path)
        found = None
        for f in self.files:
            if f.path == wanted:
                found = f
        return found

    def unread(self) -> tuple[ArtifactFile, ...]:
        return tuple(f for f in self.files if not f.readable)


def _normal(path: str) -> str:
    return path.replace("\\", "/").removeprefix("./").lstrip("/")


@dataclass(frozen=True)
class ContentHit:
    """Something an analyser found in an artifact, with its evidence. ``text`` is the
    matched text shortened and passed through :mod:`mcpscan.redaction`: never a secret."""

    purl: str
    kind: str  # "install-hook" (SC17), "start-code" (SC18), "binary-payload" (SC19), ...
    pattern: str  # the id of the pattern (rules/patterns/...) or check that matched
    title: str  # what was found, in words
    file: str = ""
    line: int | None = None
    text: str = ""
    severity: str = ""  # the pattern's severity ("critical", "high", ...), empty: the rule's

    def evidence(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.text}" if self.text else where


class ArtifactState(str, enum.Enum):
    READ = "read"  # every file that should be read was read
    LIMIT = "limit"  # over a limit: some or all of it not read
    UNSUPPORTED = "unsupported"  # not a format mcpscan reads
    MISMATCH = "mismatch"  # the bytes are not the ones the registry's digest names
    FAILED = "failed"  # the download failed (the source; the scan is incomplete)


@dataclass(frozen=True)
class ArtifactReport:
    """What inspecting one artifact established."""

    purl: str
    label: str
    state: ArtifactState
    reason: str = ""  # what was read, or why not
    files: int = 0
    bytes_read: int = 0
    hits: tuple[ContentHit, ...] = ()

    @property
    def complete(self) -> bool:
        return self.state is ArtifactState.READ


class Analyser(ABC):
    """Reads an artifact's files and says what it found. Must not execute anything, and
    must stop at ``contents.deadline``."""

    name: str = ""
    # Changes whenever what the analyser finds could change (its pattern rules' digest):
    # cached reports of an artifact are keyed by it.
    fingerprint: str = ""

    @abstractmethod
    def analyse(self, contents: ArtifactContents) -> Iterable[ContentHit]:
        """The hits in ``contents``; raises InspectLimitError when it ran out of time."""
