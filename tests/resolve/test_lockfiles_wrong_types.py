"""Recorded npm and pnpm lockfiles with one field of the wrong type: a LockfileError naming
the file, or the lockfile read -- never an internal error."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mcpscan.models import PackageRef, VersionKind
from mcpscan.resolve.lockfiles import LockfileError, graph_from_lockfile, read_lockfile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lockfiles"
WRONG: tuple[object, ...] = ("x", 7, None, [], {}, [7])
DUMP: dict[str, Callable[[Any], str]] = {
    "package-lock.json": json.dumps,
    "pnpm-lock.yaml": yaml.safe_dump,
}


def _paths(doc: object, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if len(prefix) >= 3:
        return
    items = (
        list(doc.items())[:3]
        if isinstance(doc, dict)
        else (list(enumerate(doc[:1])) if isinstance(doc, list) else [])
    )
    for key, value in items:
        yield (*prefix, key)
        yield from _paths(value, (*prefix, key))


def _read(path: Path) -> str | None:
    """The LockfileError message, or None when the file was read; anything else fails."""
    try:
        lock = read_lockfile(path)
        roots = [
            PackageRef(lock.ecosystem, p.name, p.version, VersionKind.EXACT, "pkg:npm/x")
            for p in lock.packages[:2]
        ]
        graph_from_lockfile(lock, roots)
    except LockfileError as exc:
        return str(exc)
    return None


@pytest.mark.timeout(120)
@pytest.mark.parametrize("fixture", ["npm-v1", "npm-v2", "npm-v3", "pnpm-v5", "pnpm-v6", "pnpm-v9"])
def test_a_lockfile_with_a_field_of_the_wrong_type_is_its_error_or_is_read(
    tmp_path: Path, fixture: str
) -> None:
    (source,) = [p for p in (FIXTURES / fixture).iterdir() if p.name in DUMP]
    real = (json.loads if source.suffix == ".json" else yaml.safe_load)(source.read_text())
    target = tmp_path / source.name
    for path in _paths(real):
        for value in (*WRONG, KeyError):
            doc = copy.deepcopy(real)
            parent = doc
            for key in path[:-1]:
                parent = parent[key]
            if value is KeyError:
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
            target.write_text(DUMP[source.name](doc))
            problem = _read(target)
            assert problem is None or str(target) in problem, (path, value)
