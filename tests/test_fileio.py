"""The one atomic writer: whole files or nothing, and never a temporary file left behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mcpscan.fileio import PRIVATE, TEMP_PREFIX, atomic_replace, atomic_write_text
from mcpscan.net.store import DocumentStore


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(TEMP_PREFIX))


def test_a_write_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")
    atomic_write_text(target, "new\n")
    assert target.read_bytes() == b"new\n"
    assert leftovers(tmp_path) == []


def test_an_error_while_writing_keeps_the_old_file_and_removes_the_temporary(
    tmp_path: Path,
) -> None:
    target = tmp_path / "all.zip"
    target.write_bytes(b"good database")

    def fail() -> None:
        with atomic_replace(target) as tmp:
            tmp.write_bytes(b"half a down")
            raise RuntimeError("connection reset")

    with pytest.raises(RuntimeError, match="connection reset"):
        fail()
    assert target.read_bytes() == b"good database"
    assert leftovers(tmp_path) == []


def test_an_interrupt_removes_the_temporary(tmp_path: Path) -> None:
    target = tmp_path / "index.sqlite"

    def interrupted() -> None:
        with atomic_replace(target, durable=False) as tmp:
            tmp.write_bytes(b"partial")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert not target.exists()
    assert leftovers(tmp_path) == []


def test_a_failed_rename_removes_the_temporary(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "inside").write_text("x", encoding="utf-8")
    with pytest.raises(IsADirectoryError):
        atomic_write_text(target, "text")
    assert target.is_dir()
    assert leftovers(tmp_path) == []


def test_an_unwritable_directory_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_write_text(tmp_path / "missing" / "file.txt", "text")


def test_modes_follow_the_umask_unless_given(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "shared", "x")
        atomic_write_text(tmp_path / "secret", "x", mode=PRIVATE)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "shared").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "secret").stat().st_mode) == 0o600


def test_a_cache_entry_that_cannot_be_written_costs_nothing_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    store = DocumentStore(tmp_path, shape="s", max_age=60)
    store.save("k", {"a": 1})
    entry = next(tmp_path.glob("*.json"))
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    entry.unlink()
    entry.mkdir()  # the entry's name is taken by a directory: the rename must fail
    store.save("k", {"a": 2})
    assert store.load("k") is None
    assert leftovers(tmp_path) == []
