"""The fix seam: remediations planned from a scan, and the editors that write them into a
config file without touching anything else in it.

A remediation is a list of :class:`Edit` s on the document's *values* (replace one value, add
a member to a mapping, append an item to a list, remove a member). A
:class:`DocumentEditor` turns them into new text for its format, changing only the spans of
the values edited; :mod:`mcpscan.fix.apply` then reads the new text back and refuses to
write it unless it means exactly the old document with those edits.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mcpscan.errors import McpscanError

KeyPath = tuple[str | int, ...]


class FixError(McpscanError):
    """A file (or one change to it) that fix cannot rewrite faithfully; the message says why
    and never quotes a configured value."""


@dataclass(frozen=True)
class Edit:
    """One change to a document's data.

    ``replace``: the value at ``path`` becomes ``value``. ``add``: the mapping at ``path``
    gets the member ``key`` = ``value`` (it must not have it yet). ``append``: the list at
    ``path`` gets ``value`` as its last item. ``remove``: the member ``key`` of the mapping at
    ``path`` goes. Values are JSON-like: str, bool, int, list or dict of those.
    """

    op: Literal["replace", "add", "append", "remove"]
    path: KeyPath
    value: object = None
    key: str | None = None


@dataclass(frozen=True)
class Remediation:
    """One finding fixed by a set of edits. Nothing here holds a configured secret."""

    connector: str
    line: int
    rule_id: str  # the rule whose finding this removes: SC01, SC05, ID01
    summary: str  # what was done, e.g. "pinned npm package x to 1.2.3"
    edits: tuple[Edit, ...]
    # What the user has to provide now (the variable to set, the input to enter), if any.
    action: str | None = None


@dataclass(frozen=True)
class Skipped:
    """A finding fix handles but did not fix here, and why (printable as it is)."""

    connector: str
    line: int | None
    rule_id: str
    reason: str
    # True when the reason is that the scan of this connector was incomplete.
    incomplete: bool = False


@dataclass(frozen=True)
class FilePlan:
    """Everything fix would do to one config file."""

    file: str  # as shown to the user
    path: Path
    remediations: tuple[Remediation, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    refused: str | None = None  # the whole file is not rewritten, and why

    @property
    def edits(self) -> tuple[Edit, ...]:
        return tuple(e for r in self.remediations for e in r.edits)


class DocumentEditor(ABC):
    """One document format's faithful rewriter."""

    @abstractmethod
    def apply(self, text: str, edits: Sequence[Edit], *, file: str) -> str:
        """``text`` with ``edits`` made, every character outside the edited values kept as
        it was. Raises :class:`FixError` when an edit cannot be written faithfully."""
