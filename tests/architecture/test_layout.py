"""DESIGN §8: no import cycles and no module over ~600 lines in the package."""

from __future__ import annotations

from tests.architecture.imports import PACKAGE, Edge, cycles, edges, modules

MAX_LINES = 600

# Modules still over the limit because another change of this wave is splitting them
# (issue 12). Remove an entry when its split lands; add none without such a reason.
BEING_SPLIT = {
    "launchers.py": "-> sources/launchers/ and ecosystems/ (a12-launchers)",
    "resolve/npm.py": "-> resolve/npm/ (a12-core)",
    "provenance/npm.py": "provenance/ rework (t18-trust)",
}


def test_the_package_has_no_import_cycle() -> None:
    graph: dict[str, set[str]] = {}
    where: dict[tuple[str, str], Edge] = {}
    for edge in edges():
        graph.setdefault(edge.source, set()).add(edge.target)
        where.setdefault((edge.source, edge.target), edge)
    found = cycles(graph)
    described = [
        " -> ".join(
            f"{a} (line {where[a, b].line})"
            for a in component
            for b in component
            if (a, b) in where
        )
        for component in found
    ]
    assert described == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    # The check above would pass vacuously if it never saw one.
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    known = modules()
    assert {"mcpscan.cli.app", "mcpscan.wiring", "mcpscan.ruleset.catalogue"} <= set(known)
    assert any(e.source == "mcpscan.cli.app" for e in edges(known))


def test_no_module_is_over_600_lines() -> None:
    too_long = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and name not in BEING_SPLIT:
            too_long[name] = lines
    assert too_long == {}
