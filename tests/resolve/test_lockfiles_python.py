"""PyPI lockfiles: uv.lock, poetry.lock (1.1 and 2.1), pylock.toml, requirements with hashes.

The fixtures are real files written by uv and poetry (tests/fixtures/lockfiles/README.md);
requirements-includes/ and requirements-incomplete/ are hand-written from real pins.
"""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from mcpscan.models import Digest, Graph, PackageRef, VersionKind
from mcpscan.resolve.lockfiles import (
    LockedPackage,
    Lockfile,
    LockfileError,
    graph_from_lockfile,
    read_lockfile,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lockfiles"
ROOT = "pkg:pypi/mcp-server-time@2026.10.19"
WHEEL_SHA256 = "5c099a001c6ca78260bda419f2e9b2aabee1adc4fe6ca56d8959871ad8da58a1"
SDIST_SHA256 = "4ab87293e7d85e74730f7df82a114b737f96fafa3ae42fd7644d0b5198a60919"


def pypi_ref(name: str, version: str | None = None) -> PackageRef:
    kind = VersionKind.EXACT if version else VersionKind.UNSPECIFIED
    purl = f"pkg:pypi/{name}" + (f"@{version}" if version else "")
    return PackageRef("pypi", name, f"=={version}" if version else None, kind, purl)


def only(lock: Lockfile, name: str) -> LockedPackage:
    found = [p for p in lock.packages if p.name == name]
    assert len(found) == 1, [p.key for p in found]
    return found[0]


def graph_for(lock: Lockfile, *refs: PackageRef) -> Graph:
    graph = graph_from_lockfile(lock, refs)
    assert graph is not None
    return graph


def edge_set(graph: Graph) -> set[tuple[str, str]]:
    return {(e.parent, e.child) for e in graph.edges}


# --- uv.lock -----------------------------------------------------------------------------------


def test_uv_lock_parsed() -> None:
    lock = read_lockfile(FIXTURES / "uv" / "uv.lock")
    assert (lock.ecosystem, lock.format, len(lock.packages)) == ("pypi", "uv-lock", 35)
    root = only(lock, "mcp-server-time")
    assert root.version == "2026.10.19"
    assert set(root.digests) == {Digest("sha256", SDIST_SHA256), Digest("sha256", WHEEL_SHA256)}
    assert only(lock, "mcp-workspace").source == "project"
    assert [p.name for p in lock.packages if p.dev] == ["iniconfig"]
    assert lock.direct is not None
    assert {(d.name, d.kind) for d in lock.direct} == {
        ("mcp-server-time", "prod"),
        ("iniconfig", "dev"),
    }
    pywin32 = next(d for d in only(lock, "mcp").dependencies if d.name == "pywin32")
    assert pywin32.spec == "pywin32; sys_platform == 'win32'"


def test_uv_graph_follows_requested_extras() -> None:
    lock = read_lockfile(FIXTURES / "uv" / "uv.lock")
    graph = graph_for(lock, pypi_ref("mcp-server-time"))
    assert graph.roots == (ROOT,)
    assert graph.problems == ()
    purls = {n.purl for n in graph.nodes}
    assert len(purls) == 33  # everything but the project and its dev group
    assert not any("iniconfig" in p or "mcp-workspace" in p for p in purls)
    # mcp asks for pyjwt[crypto]; cryptography comes only through that extra
    pyjwt = next(n.purl for n in graph.nodes if n.name == "pyjwt")
    cryptography = next(n.purl for n in graph.nodes if n.name == "cryptography")
    assert (pyjwt, cryptography) in edge_set(graph)
    mcp_edge = next(e for e in graph.edges if e.child == pyjwt)
    assert mcp_edge.spec == "pyjwt[crypto]"


def test_uv_graph_equals_requirements_graph() -> None:
    uv = graph_for(read_lockfile(FIXTURES / "uv" / "uv.lock"), pypi_ref("mcp-server-time"))
    req = graph_for(
        read_lockfile(FIXTURES / "requirements" / "requirements.txt"), pypi_ref("mcp-server-time")
    )
    assert {n.purl for n in uv.nodes} == {n.purl for n in req.nodes}
    assert edge_set(uv) == edge_set(req)


def test_uv_same_name_entries_are_told_apart(tmp_path: Path) -> None:
    # hand-written: two versions of one name under different markers, as uv writes them
    path = tmp_path / "uv.lock"
    path.write_text(
        dedent(
            """\
            version = 1
            [[package]]
            name = "app"
            version = "1.0"
            source = { registry = "https://pypi.org/simple" }
            dependencies = [
                { name = "numpy", version = "1.26.4", marker = "python_version < '3.12'" },
                { name = "numpy", version = "2.1.0", marker = "python_version >= '3.12'" },
                { name = "lost" },
            ]
            [[package]]
            name = "numpy"
            version = "1.26.4"
            source = { registry = "https://pypi.org/simple" }
            [[package]]
            name = "numpy"
            version = "2.1.0"
            source = { registry = "https://pypi.org/simple" }
            """
        )
    )
    lock = read_lockfile(path)
    assert [d.target for d in only(lock, "app").dependencies] == [
        "numpy==1.26.4",
        "numpy==2.1.0",
        None,
    ]
    graph = graph_for(lock, pypi_ref("app", "1.0"))
    assert {n.version for n in graph.nodes if n.name == "numpy"} == {"1.26.4", "2.1.0"}
    (problem,) = graph.problems
    assert (problem.name, problem.reason, problem.path) == (
        "lost",
        "not-in-lockfile",
        ("pkg:pypi/app@1.0",),
    )


def test_extras_that_form_a_cycle_terminate(tmp_path: Path) -> None:
    # hand-written: a[x] needs b[y], and b's extra y needs a[x] again
    path = tmp_path / "uv.lock"
    path.write_text(
        dedent(
            """\
            version = 1
            [[package]]
            name = "root"
            version = "1"
            dependencies = [{ name = "a", extra = ["x"] }]
            [[package]]
            name = "a"
            version = "1"
            [package.optional-dependencies]
            x = [{ name = "b", extra = ["y"] }]
            [[package]]
            name = "b"
            version = "1"
            [package.optional-dependencies]
            y = [{ name = "a", extra = ["x"] }]
            z = [{ name = "c" }]
            [[package]]
            name = "c"
            version = "1"
            """
        )
    )
    graph = graph_for(read_lockfile(path), pypi_ref("root"))
    assert {n.name for n in graph.nodes} == {"root", "a", "b"}  # c is behind an unused extra
    assert ("pkg:pypi/b@1", "pkg:pypi/a@1") in edge_set(graph)


# --- poetry.lock ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("directory", "fmt", "version"),
    [
        ("poetry-2", "poetry-lock-v2.1", "2026.10.19"),
        ("poetry-1.1", "poetry-lock-v1.1", "2025.9.25"),
    ],
)
def test_poetry_lock_parsed(directory: str, fmt: str, version: str) -> None:
    lock = read_lockfile(FIXTURES / directory / "poetry.lock")
    assert (lock.format, len(lock.packages)) == (fmt, 34)
    root = only(lock, "mcp-server-time")
    assert root.version == version
    assert len(root.digests) == 2
    assert all(d.algorithm == "sha256" for d in root.digests)
    assert [p.name for p in lock.packages if p.dev] == ["iniconfig"]
    assert lock.direct is None  # poetry.lock does not list the project's requirements
    # 1.1 writes the declared name (typing_extensions); it still resolves
    anyio = only(lock, "anyio")
    typing = next(d for d in anyio.dependencies if "typing" in d.name)
    assert typing.target == "typing-extensions==4.16.0"
    assert "python_version" in typing.spec
    graph = graph_for(lock, pypi_ref("mcp-server-time"))
    assert graph.problems == ()
    names = {n.name for n in graph.nodes}
    assert "cryptography" in names
    assert "iniconfig" not in names
    assert len(graph.nodes) == 33


def test_poetry_files_from_metadata_files_in_1_1() -> None:
    lock = read_lockfile(FIXTURES / "poetry-1.1" / "poetry.lock")
    anyio = only(lock, "anyio")
    assert (
        Digest("sha256", "c66ae634e0b8228396b801741beb3294326d4b6102f7bba4041c0dfb58c29026")
        in anyio.digests
    )


# --- pylock.toml ---------------------------------------------------------------------------------


def test_pylock_parsed_and_flat() -> None:
    lock = read_lockfile(FIXTURES / "pylock" / "pylock.toml")
    assert (lock.format, len(lock.packages), lock.flat) == ("pylock-v1.0", 34, True)
    root = only(lock, "mcp-server-time")
    assert set(root.digests) == {Digest("sha256", SDIST_SHA256), Digest("sha256", WHEEL_SHA256)}
    assert only(lock, "pywin32").marker == "sys_platform == 'win32'"
    graph = graph_for(lock, pypi_ref("mcp-server-time", "2026.10.19"))
    # uv writes no dependencies: the whole file is the install set, with no invented edges
    assert len(graph.nodes) == 34
    assert graph.edges == ()
    assert graph.roots == (ROOT,)


def test_pylock_with_dependencies(tmp_path: Path) -> None:
    # hand-written per PEP 751 (uv does not write packages.dependencies)
    path = tmp_path / "pylock.dev.toml"
    path.write_text(
        'lock-version = "1.0"\ncreated-by = "hand"\n'
        '[[packages]]\nname = "app"\nversion = "1.0"\ndependencies = [{ name = "dep" }]\n'
        '[packages.archive]\nurl = "https://files.example.com/app-1.0.tar.gz"\n'
        'hashes = { sha256 = "' + "AB" * 32 + '" }\n'
        '[[packages]]\nname = "dep"\nversion = "2.0"\n'
        '[[packages]]\nname = "other"\nversion = "3.0"\n'
    )
    lock = read_lockfile(path)
    assert not lock.flat
    app = only(lock, "app")
    assert app.digests == (Digest("sha256", "ab" * 32),)
    assert app.resolved == "https://files.example.com/app-1.0.tar.gz"
    assert app.source == "url"
    assert any("direct URL" in n for n in lock.notes)
    graph = graph_for(lock, pypi_ref("app"))
    assert {n.name for n in graph.nodes} == {"app", "dep"}


# --- requirements ------------------------------------------------------------------------------


def test_requirements_with_via_annotations() -> None:
    lock = read_lockfile(FIXTURES / "requirements" / "requirements.txt")
    assert (lock.format, lock.complete, lock.flat, len(lock.packages)) == (
        "requirements",
        True,
        False,
        33,
    )
    root = only(lock, "mcp-server-time")
    assert set(root.digests) == {Digest("sha256", SDIST_SHA256), Digest("sha256", WHEEL_SHA256)}
    assert lock.direct is not None
    assert [d.name for d in lock.direct] == ["mcp-server-time"]
    assert only(lock, "cffi").marker == 'platform_python_implementation != "PyPy"'
    anyio_parents = {p.name for p in lock.packages for d in p.dependencies if d.name == "anyio"}
    assert anyio_parents == {"httpx2", "mcp", "sse-starlette", "starlette"}


def test_requirements_includes_options_and_notes() -> None:
    path = FIXTURES / "requirements-includes" / "requirements.txt"
    lock = read_lockfile(path)
    assert lock.complete
    assert lock.flat
    assert [(p.name, p.version) for p in lock.packages] == [
        ("tzdata", "2026.6"),  # from base/common.txt
        ("tzlocal", "5.4.5"),
        ("mcp-server-time", "2026.10.19"),
        ("pywin32", "312"),
    ]
    assert only(lock, "pywin32").marker == 'sys_platform == "win32"'
    assert only(lock, "tzdata").digests == (
        Digest("sha256", "0a10eec6e13ef16b627fabed9a5f2ba61a62b1c67f327305f4e7e412a70b4aec"),
    )
    notes = "\n".join(lock.notes)
    assert "requirements.txt:3: --index-url changes where packages come from" in notes
    assert "include cycle" in notes
    assert "editable requirement was ignored" in notes
    assert "private-tool from a direct URL was ignored" in notes
    assert "constraints file" in notes
    # credentials from the index URL and the direct URL never reach a note
    assert "s3cr3t" not in notes
    assert "ci-user" not in notes
    assert "example.com" not in notes
    graph = graph_for(lock, pypi_ref("mcp-server-time", "2026.10.19"))
    assert len(graph.nodes) == 4


def test_requirements_incomplete_is_not_a_lock() -> None:
    lock = read_lockfile(FIXTURES / "requirements-incomplete" / "requirements.txt")
    assert not lock.complete
    assert [p.name for p in lock.packages] == ["tzlocal", "tzdata"]
    assert "requirements.txt:4: tzdata has no --hash" in lock.notes
    assert "requirements.txt:5: mcp-server-time is not pinned to one version" in lock.notes
    assert graph_from_lockfile(lock, [pypi_ref("tzlocal")]) is None


def test_requirements_include_depth_is_limited(tmp_path: Path) -> None:
    for level in range(12):
        (tmp_path / f"requirements-{level}.txt").write_text(f"-r requirements-{level + 1}.txt\n")
    (tmp_path / "requirements-12.txt").write_text("")
    with pytest.raises(LockfileError, match="nest deeper than 8") as caught:
        read_lockfile(tmp_path / "requirements-0.txt")
    assert caught.value.line == 1


def test_requirements_missing_include(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("# header\n-r nowhere.txt\n")
    with pytest.raises(LockfileError) as caught:
        read_lockfile(path)
    assert (caught.value.file, caught.value.line) == (str(path), 2)


def test_requirements_continuations_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "requirements-dev.txt"
    path.write_text(
        "# comment\n"
        "Zope.Interface==7.0 \\\n"
        "    --hash=sha256:" + "0" * 64 + " \\\n"
        "    --hash sha256:" + "1" * 64 + "  # the second hash\n"
        "    # via some-parent\n"
        "some-parent===1.0 --hash=sha256:" + "2" * 64 + "\n"
        "    # via -r requirements.in\n"
    )
    lock = read_lockfile(path)
    zope, parent = lock.packages
    assert (zope.name, zope.version, len(zope.digests)) == ("Zope.Interface", "7.0", 2)
    assert [d.target for d in parent.dependencies] == [zope.key]
    graph = graph_for(lock, pypi_ref("some-parent", "1.0"))
    assert {n.purl for n in graph.nodes} == {
        "pkg:pypi/some-parent@1.0",
        "pkg:pypi/zope-interface@7.0",
    }
