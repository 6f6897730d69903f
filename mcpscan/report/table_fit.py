"""A line of a table cell that fits the width rich gives it, shortened in the middle.

A package label cut at the end loses its version, and folded mid-word it is neither
readable nor copyable; so :class:`Fit` keeps its head (the ecosystem and npm scope) and its
tail (the version and the pin state) and shortens the middle of the name with "…", only
when the column is narrower than the line.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions
    from rich.measure import Measurement
    from rich.text import Text

ELLIPSIS = "…"
MIN_WIDTH = 12  # narrower than this, a column shows too little to be worth it


class _Fitted:
    """A cell line drawn by :meth:`fitted` at the width rich gives it; asks for its whole
    width and accepts as little as :data:`MIN_WIDTH`."""

    @property
    def full(self) -> Text:
        raise NotImplementedError

    def fitted(self, width: int) -> Text:
        raise NotImplementedError

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Text]:
        yield self.fitted(options.max_width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        from rich.measure import Measurement

        length = self.full.cell_len
        return Measurement(min(length, MIN_WIDTH), length)


class Fit(_Fitted):
    """``lead + head + body + tail + after`` on one line; when it is wider than the cell,
    ``lead`` (a label) and ``after`` (a state) move to lines of their own, then ``body``
    loses its middle, then ``head`` too. Each part is a :class:`rich.text.Text` (styles
    kept)."""

    def __init__(
        self,
        head: Text,
        body: Text,
        tail: Text,
        after: Text | None = None,
        lead: Text | None = None,
    ) -> None:
        from rich.text import Text

        self.head, self.body, self.tail = head, body, tail
        self.after = after if after is not None else Text()
        self.lead = lead if lead is not None else Text()

    @property
    def full(self) -> Text:
        from rich.text import Text

        return Text.assemble(self.lead, self.head, self.body, self.tail, self.after)

    def fitted(self, width: int) -> Text:
        from rich.text import Text

        whole = self.full
        if len(whole.plain) <= width:
            return whole
        lines = [middle(self.lead, width)] if self.lead.plain.strip() else []
        lines.append(self._line(width))
        if self.after.plain.strip():
            # Indented under the name (``after`` starts with its separating blank).
            lines.append(middle(Text.assemble(" ", self.after), width))
        return Text("\n").join(lines)

    def _line(self, width: int) -> Text:
        from rich.text import Text

        head, body, tail = self.head, self.body, self.tail
        if len(head.plain) + len(body.plain) + len(tail.plain) <= width:
            return Text.assemble(head, body, tail)
        room = width - len(tail.plain)
        if room >= len(head.plain) + 5:
            return Text.assemble(head, middle(body, room - len(head.plain)), tail)
        if room >= 10:
            shown = max(4, room // 2)
            return Text.assemble(middle(head, shown), middle(body, room - shown), tail)
        return middle(Text.assemble(head, body, tail), width)


class Wrapped(_Fitted):
    """Units (a name with its punctuation, a word) on lines no wider than the cell, broken
    only between units: rich's fold would cut ``@scope/server-filesystem@1.2.3`` anywhere.
    A unit wider than the cell on its own loses its middle instead."""

    def __init__(self, units: Sequence[Text]) -> None:
        self.units = tuple(units)

    @property
    def full(self) -> Text:
        from rich.text import Text

        return Text(" ").join(self.units)

    def fitted(self, width: int) -> Text:
        from rich.text import Text

        lines: list[Text] = []
        line = Text()
        for unit in self.units:
            shown = middle(unit, width)
            if line.plain and len(line.plain) + 1 + len(shown.plain) > width:
                lines.append(line)
                line = Text()
            if line.plain:
                line.append(" ")
            line.append_text(shown)
        lines.append(line)
        return Text("\n").join(lines)


def fit(text: Text) -> Fit:
    """A line shortened in its middle when it does not fit (a name, a path)."""
    from rich.text import Text

    return Fit(Text(), text, Text())


def middle(text: Text, width: int) -> Text:
    """``text`` in ``width`` characters: its start and its end joined by "…" (more of the
    end, where a name's distinguishing part and a file's name are)."""
    from rich.text import Text

    length = len(text.plain)
    if length <= width:
        return text
    if width <= 1:
        return Text(ELLIPSIS[:width])
    keep = width - 1
    front = keep // 3 if keep >= 6 else keep // 2
    out = text[:front].copy() if front else Text()
    out.append(ELLIPSIS, style="dim")
    out.append_text(text[length - (keep - front) :])
    return out
