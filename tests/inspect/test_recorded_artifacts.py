"""Tool descriptions and release diffs on the offline false-positive subset: the real
artifacts in tests/fixtures/inspect/honest (index.json names each and its digest), read as
a scan reads them. Their tools are extracted, TP01-TP03 find nothing in them, and the diff
of a real release against the one before holds nothing high or critical."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpscan.inspect.files import read_contents
from mcpscan.inspect.interface import (
    ArtifactContents,
    ArtifactFormat,
    ArtifactReport,
    ArtifactState,
)
from mcpscan.inspect.release_diff import compare
from mcpscan.inspect.tool_analyser import (
    INVENTORY_KIND,
    TP_KINDS,
    SurfaceAnalyser,
    ToolAnalyser,
    surface_from,
)
from mcpscan.models import Severity

ARTIFACTS = Path(__file__).resolve().parent.parent / "fixtures" / "inspect" / "honest"


def contents(filename: str) -> ArtifactContents:
    fmt = ArtifactFormat.WHEEL if filename.endswith(".whl") else ArtifactFormat.NPM_TARBALL
    return read_contents(
        (ARTIFACTS / filename).read_bytes(), purl=f"pkg:x/{filename}", label=filename, fmt=fmt
    )


def report(filename: str) -> ArtifactReport:
    found = contents(filename)
    hits = (*ToolAnalyser().analyse(found), *SurfaceAnalyser().analyse(found))
    return ArtifactReport(
        found.purl, found.label, ArtifactState.READ, "", len(found.files), 0, hits
    )


@pytest.mark.parametrize(
    ("filename", "summary"),
    [
        ("server-filesystem-2026.8.31.tgz", "declared 14 tools"),
        ("server-github-2025.4.8.tgz", "declared 26 tools"),
        ("mcp_server_fetch-2026.10.24-py3-none-any.whl", "declared 1 prompt, 1 tool"),
        ("mcp_server_git-2026.10.19-py3-none-any.whl", "declared 12 tools"),
    ],
)
def test_real_servers_tools_are_extracted_and_clean(filename: str, summary: str) -> None:
    hits = report(filename).hits
    [inventory] = [h for h in hits if h.kind == INVENTORY_KIND]
    assert inventory.title == summary  # every declaration literal, every file read
    assert [h for h in hits if h.kind in TP_KINDS.values()] == []


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            "server-filesystem-2026.7.10.tgz",
            "server-filesystem-2026.8.31.tgz",
        ),
        (
            "mcp_server_fetch-2025.4.7-py3-none-any.whl",
            "mcp_server_fetch-2026.10.24-py3-none-any.whl",
        ),
    ],
)
def test_real_release_diffs_hold_nothing_high(before: str, after: str) -> None:
    old, new = surface_from(report(before)), surface_from(report(after))
    assert old is not None
    assert new is not None
    diff = compare(old, new, purl="x", label=after, baseline=before, against="previous release")
    assert diff.severity < Severity.HIGH, diff.summary()
