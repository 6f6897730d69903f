"""The transient progress display of a scan: on stderr, only when stderr is a terminal and
``-q`` was not given; gone once the scan ends, so it never mixes with a report."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mcpscan.progress import SILENT, Progress


@contextmanager
def scan_progress(*, quiet: bool) -> Iterator[Progress]:
    """A :class:`RichProgress` for the duration of the ``with`` block on a terminal, else
    :data:`~mcpscan.progress.SILENT`."""
    if quiet or not sys.stderr.isatty():
        yield SILENT
        return
    shown = RichProgress()
    try:
        yield shown
    finally:
        shown.stop()


class RichProgress(Progress):
    """One line: a spinner, the stage, its steps (when counted), the packages found so far
    and the time spent."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import Progress as Display
        from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

        self._lock = threading.Lock()
        self._packages = 0
        self._done = 0
        self._total: int | None = None
        self._display = Display(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.fields[detail]}", style="dim"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task: Any = self._display.add_task("scanning", detail="")
        self._display.start()

    def stage(self, name: str, total: int | None = None) -> None:
        with self._lock:
            self._done, self._total = 0, total
            self._display.update(self._task, description=name, detail=self._detail())
            self._display.refresh()

    def advance(self, steps: int = 1, *, packages: int = 0) -> None:
        with self._lock:
            self._done += steps
            self._packages += packages
            self._display.update(self._task, detail=self._detail())

    def _detail(self) -> str:
        parts = [f"{self._done}/{self._total}"] if self._total else []
        if self._packages:
            parts.append(f"{self._packages} packages")
        return ", ".join(parts)

    def stop(self) -> None:
        self._display.stop()
