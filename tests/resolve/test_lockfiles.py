"""Lockfile discovery, dispatch, malformed input and the format-independent graph rules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mcpscan.errors import InputError
from mcpscan.models import PackageRef, VersionKind
from mcpscan.resolve.lockfiles import (
    LockfileError,
    find_lockfiles,
    graph_from_lockfile,
    match_root,
    read_lockfile,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lockfiles"


def test_find_lockfiles_lists_only_this_directory(tmp_path: Path) -> None:
    names = [
        "package-lock.json",
        "npm-shrinkwrap.json",
        "pnpm-lock.yaml",
        "yarn.lock",
        "uv.lock",
        "poetry.lock",
        "pylock.toml",
        "pylock.dev.toml",
        "requirements.txt",
        "requirements-dev.txt",
    ]
    for name in [*names, "package.json", "pyproject.toml", "notes.txt", "pylock.a.b.toml"]:
        (tmp_path / name).write_text("")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "uv.lock").write_text("")
    (tmp_path / "yarn.lock.d").mkdir()
    assert [p.name for p in find_lockfiles(tmp_path)] == sorted(names)
    assert find_lockfiles(tmp_path / "missing") == ()


def test_find_lockfiles_skips_directories_named_like_lockfiles(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").mkdir()
    assert find_lockfiles(tmp_path) == ()


@pytest.mark.parametrize(
    ("relative", "line", "fragment"),
    [
        ("npm/package-lock.json", 26, "invalid JSON"),
        ("pnpm/pnpm-lock.yaml", 22, "invalid YAML"),
        ("berry/yarn.lock", 20, "invalid YAML"),
        ("yarn/yarn.lock", 11, "expected 'key value'"),
        ("uv/uv.lock", 15, "invalid TOML"),
        ("poetry/poetry.lock", 15, "invalid TOML"),
        ("pylock/pylock.toml", None, "lock-version 2.0 is not supported"),
        ("requirements/requirements.txt", 2, "not a valid requirement"),
    ],
)
def test_malformed_lockfiles_name_file_and_line(
    relative: str, line: int | None, fragment: str
) -> None:
    path = FIXTURES / "malformed" / relative
    with pytest.raises(LockfileError) as caught:
        read_lockfile(path)
    error = caught.value
    assert isinstance(error, InputError)
    assert error.file == str(path)
    assert error.line == line
    assert fragment in error.message
    assert str(error).startswith(f"{path}:{line}:" if line else f"{path}:")


def test_invalid_requirement_error_does_not_quote_the_line(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("pkg @ https://user:s3cr3t@host/pkg.whl ; bad marker ((\n")
    with pytest.raises(LockfileError) as caught:
        read_lockfile(path)
    assert "s3cr3t" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("package-lock.json", "[1, 2]", "expected a JSON object"),
        ("package-lock.json", '{"lockfileVersion": 3}', 'no "packages" object'),
        ("package-lock.json", '{"lockfileVersion": "3"}', "not a positive integer"),
        ("package-lock.json", "[" * 100_000, "invalid JSON"),
        ("uv.lock", "x = " + "[" * 100_000, "nested too deeply"),
        ("pnpm-lock.yaml", "[" * 100_000, "invalid YAML"),
        ("pnpm-lock.yaml", "- a\n- b\n", "expected a YAML mapping"),
        ("pnpm-lock.yaml", "lockfileVersion: x\n", "not a number"),
        ("uv.lock", 'version = "one"\n', "no integer version"),
        ("uv.lock", "version = 1\npackage = 3\n", "must be an array of tables"),
        ("poetry.lock", "[[package]]\nversion = '1'\n", "has no name"),
        ("pylock.toml", "[[packages]]\nname = 'x'\n", "no lock-version"),
        ("yarn.lock", 'a@^1:\n   version "1"\n', "unexpected indentation"),
        ("yarn.lock", 'a@^1:\n  resolved "x"\n', "has no version"),
        ("yarn.lock", '"":\n  version "1"\n', "without a descriptor"),
        ("yarn.lock", "__metadata:\n  version: 8\nx@npm:1:\n  version: 1.0.0\n", "no resolution"),
    ],
)
def test_structurally_wrong_lockfiles(
    tmp_path: Path, name: str, content: str, fragment: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(LockfileError, match=fragment) as caught:
        read_lockfile(path)
    assert caught.value.file == str(path)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(LockfileError, match="cannot read lockfile"):
        read_lockfile(tmp_path / "uv.lock")
    binary = tmp_path / "yarn.lock"
    binary.write_bytes(b"# yarn lockfile v1\n\xff\xfe\n")
    with pytest.raises(LockfileError, match="not UTF-8") as caught:
        read_lockfile(binary)
    assert caught.value.line == 2
    with pytest.raises(LockfileError, match="not a lockfile name"):
        read_lockfile(tmp_path / "Cargo.lock")


def test_roots_of_two_ecosystems_against_one_lockfile(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "uv" / "uv.lock", tmp_path / "uv.lock")
    lock = read_lockfile(tmp_path / "uv.lock")
    npm = PackageRef("npm", "mcp-server-time", None, VersionKind.UNSPECIFIED, "")
    pypi = PackageRef(
        "pypi",
        "MCP_Server.Time",
        "==2026.10.19",
        VersionKind.EXACT,
        "pkg:pypi/mcp-server-time@2026.10.19",
    )
    absent = PackageRef("pypi", "mcp-server-fetch", None, VersionKind.UNSPECIFIED, "")
    assert match_root(lock, npm) is None
    assert match_root(lock, absent) is None
    graph = graph_from_lockfile(lock, [npm, pypi, absent])
    assert graph is not None
    assert graph.roots == ("pkg:pypi/mcp-server-time@2026.10.19",)  # others left to the caller
    assert graph.nodes[0].requested == "==2026.10.19"


def test_pinned_python_root_compares_versions_not_text() -> None:
    lock = read_lockfile(FIXTURES / "uv" / "uv.lock")
    padded = PackageRef("pypi", "mcp-server-time", "==2026.10.19.0", VersionKind.EXACT, "")
    found = match_root(lock, padded)
    assert found is not None
    assert found.version == "2026.10.19"
    other = PackageRef("pypi", "mcp-server-time", "==2026.10.1", VersionKind.EXACT, "")
    assert match_root(lock, other) is None


def test_digest_pinned_root_needs_a_matching_digest() -> None:
    lock = read_lockfile(FIXTURES / "uv" / "uv.lock")
    wheel = "5c099a001c6ca78260bda419f2e9b2aabee1adc4fe6ca56d8959871ad8da58a1"
    good = PackageRef("pypi", "mcp-server-time", None, VersionKind.DIGEST, "", sha256=wheel)
    bad = PackageRef("pypi", "mcp-server-time", None, VersionKind.DIGEST, "", sha256="0" * 64)
    assert match_root(lock, good) is not None
    assert match_root(lock, bad) is None


def test_oversized_lockfile_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from mcpscan.resolve.lockfiles import _common

    monkeypatch.setattr(_common, "MAX_LOCKFILE_BYTES", 1024)
    with pytest.raises(LockfileError, match="more than the 1024"):
        read_lockfile(FIXTURES / "npm-v2" / "package-lock.json")
