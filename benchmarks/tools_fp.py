"""Tool descriptions and release diffs over real artifacts: extraction counts and findings.

    python benchmarks/tools_fp.py DIR [PREVIOUS_DIR]

reads every npm tarball (``*.tgz``) and wheel (``*.whl``) in DIR as a scan reads them
(mcpscan.inspect.files.read_contents, the default limits), runs the tool analyser (TP01-TP03)
and prints, per artifact, the declarations extracted (and how many of those are partly
computed: checked as far as literal), those computed at run time (not checked), the source
files not read and every TP signal. With PREVIOUS_DIR (earlier releases of the same packages,
same file naming), each pair is compared as SC20 compares them and every change of medium
severity or more is printed. The artifacts come from ``npm pack NAME`` and
``pip download --no-deps NAME``; nothing is installed or run. The recorded results are in
benchmarks/README.md ("Tool descriptions and release diffs").
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from mcpscan.inspect.files import read_contents
from mcpscan.inspect.interface import ArtifactFormat, ArtifactReport, ArtifactState, InspectError
from mcpscan.inspect.release_diff import compare
from mcpscan.inspect.tool_analyser import (
    TP_KINDS,
    SurfaceAnalyser,
    ToolAnalyser,
    surface_from,
)
from mcpscan.inspect.tools import ToolLimits, extract, is_source
from mcpscan.models import Severity


def _report(path: Path) -> tuple[ArtifactReport, int, int, int, int]:
    fmt = ArtifactFormat.WHEEL if path.suffix == ".whl" else ArtifactFormat.NPM_TARBALL
    found = read_contents(path.read_bytes(), purl=path.name, label=path.name, fmt=fmt)
    hits = (*ToolAnalyser().analyse(found), *SurfaceAnalyser().analyse(found))
    inventory = extract(
        ((f.path, f.read()) for f in found if is_source(f.path) and f.readable), ToolLimits()
    )
    report = ArtifactReport(path.name, path.name, ArtifactState.READ, "", len(found.files), 0, hits)
    unread = len(inventory.unread) + sum(1 for f in found if is_source(f.path) and not f.readable)
    counts = len(inventory.declarations), len(inventory.partial), len(inventory.non_literal)
    return report, *counts, unread


def _key(path: Path) -> str:
    return path.name.rsplit("-", 1)[0] if path.suffix == ".tgz" else path.name.split("-")[0]


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    current = sorted([*Path(argv[0]).glob("*.tgz"), *Path(argv[0]).glob("*.whl")])
    totals: Counter[str] = Counter()
    reports: dict[str, ArtifactReport] = {}
    for path in current:
        started = time.monotonic()
        try:
            report, declared, partly, computed, unread = _report(path)
        except InspectError as exc:
            print(f"{path.name}: not read ({exc.message})")
            continue
        reports[_key(path)] = report
        signals = [h for h in report.hits if h.kind in TP_KINDS.values()]
        totals.update(
            artifacts=1, declared=declared, partly=partly, computed=computed, unread=unread
        )
        totals.update(f"TP {h.severity}" for h in signals)
        print(
            f"{path.name}: {declared} declared ({partly} partly computed), {computed} "
            f"computed, {unread} unread, "
            f"{len(signals)} signals, {time.monotonic() - started:.2f} s"
        )
        for h in signals:
            print(f"    {h.pattern} {h.severity}: {h.title} ({h.evidence()[:160]})")
    if len(argv) > 1:
        for path in sorted([*Path(argv[1]).glob("*.tgz"), *Path(argv[1]).glob("*.whl")]):
            after = reports.get(_key(path))
            if after is None:
                continue
            before, *_ = _report(path)
            old, new = surface_from(before), surface_from(after)
            if old is None or new is None:
                continue
            diff = compare(
                old, new, purl=after.purl, label=after.label, baseline=path.name, against="prev"
            )
            totals.update(pairs=1)
            totals.update(f"SC20 {c.severity.label}" for c in diff.risky)
            print(f"{path.name} -> {after.label}: {diff.severity.label}")
            for change in diff.risky:
                if change.severity >= Severity.MEDIUM:
                    print(f"    {change.severity.label}: {change.describe()[:160]}")
    print(dict(sorted(totals.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
