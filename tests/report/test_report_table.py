from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import pytest

from mcpscan.models import ScanResult
from mcpscan.report import get_renderer
from mcpscan.report.table import TableRenderer

_ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")


def render(result: ScanResult, *, width: int = 100, color: bool = False) -> str:
    return TableRenderer(color=color, width=width).render(result)


@pytest.mark.parametrize("width", [80, 100])
def test_failing_report_shows_the_essentials(failing: ScanResult, width: int) -> None:
    text = render(failing, width=width)
    assert text.startswith("mcpscan ")
    assert "FAIL" in text.splitlines()[0]
    assert "score 47/100" in text
    assert "INCOMPLETE" in text
    for name in ("github", "linear", "gh-docker"):
        assert name in text
    for where in (".mcp.json:3", "claude_desktop_config.json:12", ".vscode/mcp.json:20"):
        assert where in text
    for rule in ("SC05", "ID01", "SC01", "PX04", "SC08"):
        assert rule in text
    for slug in ("known-vulnerability", "unpinned-launch"):
        assert slug in text
    assert "npm:mcp-remote@0.1.15" in text
    assert "[proxy]" in text
    assert "(unspecified)" in text


def test_every_line_fits_the_width(failing: ScanResult) -> None:
    for width in (80, 100, 120):
        lines = render(failing, width=width).splitlines()
        assert max(len(line) for line in lines) <= width
        assert all(line == line.rstrip() for line in lines)


def test_waived_findings_come_last_and_are_marked(failing: ScanResult) -> None:
    text = render(failing)
    findings = text[text.index("Findings (4 open, 1 waived)") :]
    order = [findings.index(rule) for rule in ("SC05", "ID01", "SC01", "PX04", "SC08")]
    assert order == sorted(order)
    waived_part = findings[findings.index("SC08") - 40 :]
    assert "waived" in waived_part
    assert "waived by: waiver-7: vendor release reviewed" in text


def test_diagnostics_checks_not_run_and_waivers(failing: ScanResult) -> None:
    text = render(failing)
    assert ".vscode/mcp.json:7: entry 'broken' has neither command nor url" in text
    assert "bad.json: not JSON (fatal)" in text
    section = text[text.index("Checks not run") :]
    assert "provenance (SC02, SC03): --offline and no cached attestations" in section
    assert "Expired waivers" in text
    assert "waiver-3 (SC01 on slack, expired 2025-01-01)" in text
    assert "Unused waivers" in text
    assert "waiver-9 (SC10 on notion)" in text


def test_passing_report(passing: ScanResult) -> None:
    text = render(passing)
    assert "PASS" in text.splitlines()[0]
    assert "Findings (0 open, 0 waived)" in text
    assert "privileged" in text
    assert "disabled" in text
    assert "Checks not run" not in text  # nothing skipped, nothing to say
    assert "INCOMPLETE" not in text


def test_empty_report(empty: ScanResult) -> None:
    text = render(empty, width=80)
    assert "PASS" in text
    assert "no connector found" in text
    assert "Diagnostics" not in text


def test_no_secret_value_in_table(failing: ScanResult, canaries: tuple[str, ...]) -> None:
    for width in (80, 100, 200):
        for color in (False, True):
            text = render(failing, width=width, color=color)
            # Folding could split a value across lines, so look at the text unwrapped too.
            flat = "".join(_ANSI_RE.sub("", text).split())
            for canary in canaries:
                assert canary not in text
                assert "".join(canary.split()) not in flat


def test_color_only_when_asked(failing: ScanResult) -> None:
    plain = render(failing)
    coloured = render(failing, color=True)
    assert "\x1b" not in plain
    assert "\x1b[" in coloured
    assert _ANSI_RE.sub("", coloured).replace(" ", "") == plain.replace(" ", "")


def test_config_text_cannot_inject_markup_or_escapes(passing: ScanResult) -> None:
    cr = passing.connectors[0]
    hostile = dataclasses.replace(
        cr, connector=dataclasses.replace(cr.connector, name="[red]evil[/red]\x1b]0;pwn\x07")
    )
    result = dataclasses.replace(passing, connectors=(hostile,))
    text = render(result)
    assert "[red]evil[/red]" in text
    assert "\x1b" not in text
    assert "\x07" not in text


def test_output_is_deterministic(
    failing: ScanResult, builders: dict[str, Callable[[], ScanResult]]
) -> None:
    renderer = get_renderer("table", width=100)
    first = renderer.render(failing)
    assert renderer.render(builders["fail"]()) == first
    assert TableRenderer(color=True).render(failing) == TableRenderer(color=True).render(
        builders["fail"]()
    )


# -- long names: broken between names, shortened in the middle, never folded mid-word -------

ROOTS = (
    "@modelcontextprotocol/server-filesystem",
    "@modelcontextprotocol/server-sequential-thinking",
    "@upstash/context7-mcp",
)


def _with_roots(result: ScanResult) -> tuple[ScanResult, list[str]]:
    from mcpscan.models import Decision, Graph, ResolvedPackage

    nodes = tuple(
        ResolvedPackage("npm", name, "2025.8.21", f"pkg:npm/{name}@2025.8.21", Decision.PINNED)
        for name in ROOTS
    )
    graph = Graph(roots=tuple(n.purl for n in nodes), nodes=nodes)
    connector = dataclasses.replace(result.connectors[0], graph=graph)
    return dataclasses.replace(result, connectors=(connector, *result.connectors[1:])), [
        n.label for n in nodes
    ]


@pytest.mark.parametrize("width", [60, 80, 120, 200])
def test_the_resolved_line_breaks_between_names(passing: ScanResult, width: int) -> None:
    result, labels = _with_roots(passing)
    lines = render(result, width=width).splitlines()
    assert max(len(line) for line in lines) <= width
    cells = [cell for line in lines for cell in re.split(r"\s{2,}", line.strip())]
    assert any(cell.startswith("resolved:") for cell in cells)
    for label in labels:
        whole = any(label in cell for cell in cells)
        shortened = any(
            re.search(rf"{re.escape(label[:3])}\S*…\S*{re.escape(label[-6:])}", c) for c in cells
        )
        assert whole or shortened, (label, width)
        if width >= 120:
            assert whole, (label, width)
        for cell in cells:  # a folded name leaves its start at the end of a cell line
            last = cell.split(" ")[-1].rstrip(",;")
            assert not (len(last) >= 3 and label.startswith(last) and last != label), cell
    assert re.search(r"graph\s+3\s+packages", " ".join(cells))


def test_wrapped_units_never_split() -> None:
    from rich.text import Text

    from mcpscan.report.table_fit import Wrapped

    units = [Text(u) for u in ("resolved:", "aaaa@1,", "bbbbbbbb@2;", "graph", "3", "packages")]
    for width in range(8, 40):
        shown = Wrapped(units).fitted(width).plain.splitlines()
        assert max(len(line) for line in shown) <= width
        tokens = " ".join(shown).split(" ")
        assert all(t in {u.plain for u in units} or "…" in t for t in tokens), (width, shown)
    assert Wrapped(units).fitted(200).plain == "resolved: aaaa@1, bbbbbbbb@2; graph 3 packages"


IMAGE = (
    "pkg:oci/github-mcp-server@sha256%3A" + "a" * 64 + "?repository_url=ghcr.io/github/"
    "github-mcp-server&tag=latest"
)


@pytest.mark.parametrize("width", [30, 40, 60, 80, 120, 200, 400])
def test_an_image_purl_is_shortened_without_a_stray_separator(width: int) -> None:
    from mcpscan.report.table import _component_line

    line = _component_line(IMAGE)
    assert line.full.plain == f"component: {IMAGE}"
    shown = line.fitted(width).plain
    assert max(len(part) for part in shown.splitlines()) <= width
    for part in shown.splitlines():
        assert not part.rstrip().endswith(("@", "?", "&", "/", "…@")), (width, shown)
