"""Report formats. Each renders the same :class:`~mcpscan.models.ScanResult`.

Renderers are imported only when asked for, so ``mcpscan --version`` never loads rich.
"""

from __future__ import annotations

import functools
import importlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from mcpscan.report.interface import Renderer, RenderError

__all__ = ["FORMATS", "RenderError", "Renderer", "formats", "get_renderer", "schema"]


@dataclass(frozen=True)
class _Entry:
    module: str
    cls: str
    terminal: bool = False  # takes the color/width hints of a text console


# One line per format: the value of -f/--format -> where its renderer lives.
FORMATS: dict[str, _Entry] = {
    "table": _Entry("mcpscan.report.table", "TableRenderer", terminal=True),
    "json": _Entry("mcpscan.report.json_report", "JsonRenderer"),
    "cyclonedx": _Entry("mcpscan.report.cyclonedx", "CycloneDxRenderer"),
    "sarif": _Entry("mcpscan.report.sarif", "SarifRenderer"),
    "markdown": _Entry("mcpscan.report.markdown", "MarkdownRenderer"),
    "html": _Entry("mcpscan.report.html", "HtmlRenderer"),
}


def formats() -> tuple[str, ...]:
    return tuple(FORMATS)


def get_renderer(name: str, *, color: bool = False, width: int = 100) -> Renderer:
    """The renderer for format ``name``.

    ``color`` and ``width`` are hints for formats shown on a console and are ignored by the
    machine-readable ones, so a caller can pass them whatever the format.
    """
    entry = FORMATS.get(name)
    if entry is None:
        raise RenderError(f"unknown report format {name!r} (choose from {', '.join(FORMATS)})")
    cls = getattr(importlib.import_module(entry.module), entry.cls)
    renderer: Renderer = cls(color=color, width=width) if entry.terminal else cls()
    return renderer


@functools.lru_cache(maxsize=1)
def _schema_text() -> str:
    return (resources.files("mcpscan") / "schemas" / "report.schema.json").read_text("utf-8")


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the JSON report; a fresh copy on each call."""
    loaded: dict[str, Any] = json.loads(_schema_text())
    return loaded
