"""npm-ecosystem lockfiles: package-lock v1/v2/v3, pnpm 5/6/9, yarn v1 and berry.

The fixtures are real files written by npm, pnpm and yarn (tests/fixtures/lockfiles/README.md);
the few inline lockfiles below are small hand-written cases no tool produces on demand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcpscan.models import Decision, Digest, Graph, PackageRef, VersionKind
from mcpscan.resolve.lockfiles import (
    LockedPackage,
    Lockfile,
    graph_from_lockfile,
    match_root,
    read_lockfile,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lockfiles"
SERVER = "@modelcontextprotocol/server-memory"
SERVER_2026_SHA512 = (
    "9638ffdd2e1a1a3c5d352416c3a82e70a2869d32dd04f5b1cdaa7263f313dad3"
    "95c99c2fc4286f7af5d22cfc31e7d9ca240955a54556f9c3a59d54574708aa31"
)
SERVER_PURL = "pkg:npm/%40modelcontextprotocol/server-memory@2026.8.31"


def npm_ref(name: str, version: str | None = None) -> PackageRef:
    kind = VersionKind.EXACT if version else VersionKind.UNSPECIFIED
    purl = f"pkg:npm/{name.replace('@', '%40', 1) if name.startswith('@') else name}"
    return PackageRef("npm", name, version, kind, purl + (f"@{version}" if version else ""))


def packages_named(lock: Lockfile, name: str) -> list[LockedPackage]:
    return [p for p in lock.packages if p.name == name]


def only(lock: Lockfile, name: str) -> LockedPackage:
    found = packages_named(lock, name)
    assert len(found) == 1, [p.key for p in found]
    return found[0]


def graph_for(lock: Lockfile, *refs: PackageRef) -> Graph:
    graph = graph_from_lockfile(lock, refs)
    assert graph is not None
    return graph


def children(graph: Graph, parent: str) -> dict[str, str]:
    """child purl -> edge kind, for the edges leaving ``parent``."""
    return {edge.child: edge.kind for edge in graph.edges if edge.parent == parent}


# --- package-lock.json ---------------------------------------------------------------------


def test_package_lock_v3_parsed() -> None:
    lock = read_lockfile(FIXTURES / "npm-v3" / "package-lock.json")
    assert (lock.ecosystem, lock.format) == ("npm", "package-lock-v3")
    assert len(lock.packages) == 101
    server = only(lock, SERVER)
    assert server.version == "2026.8.31"
    assert server.digests == (Digest("sha512", SERVER_2026_SHA512),)
    assert server.resolved == (
        "https://registry.npmjs.org/@modelcontextprotocol/server-memory/-/server-memory-2026.8.31.tgz"
    )
    assert {p.name for p in lock.packages if p.dev} == {"is-odd", "is-number"}
    assert lock.direct is not None
    assert {(d.name, d.spec, d.kind) for d in lock.direct} == {
        (SERVER, "^2026.8.31", "prod"),
        ("is-odd", "^3.0.1", "dev"),
    }


def test_package_lock_nested_lookup_walks_up_the_folders() -> None:
    lock = read_lockfile(FIXTURES / "npm-v3" / "package-lock.json")
    copies = {p.key: p.version for p in packages_named(lock, "content-type")}
    assert copies["node_modules/content-type"] == "1.0.5"
    assert copies["node_modules/body-parser/node_modules/content-type"] == "2.1.0"
    body_parser = only(lock, "body-parser")
    (dep,) = [d for d in body_parser.dependencies if d.name == "content-type"]
    assert dep.target == "node_modules/body-parser/node_modules/content-type"
    sdk = only(lock, "@modelcontextprotocol/sdk")
    (dep,) = [d for d in sdk.dependencies if d.name == "content-type"]
    assert dep.target == "node_modules/content-type"  # no nested copy: the root's


def test_package_lock_v3_graph() -> None:
    lock = read_lockfile(FIXTURES / "npm-v3" / "package-lock.json")
    graph = graph_for(lock, npm_ref(SERVER))
    assert graph.roots == (SERVER_PURL,)
    assert graph.problems == ()
    purls = {node.purl for node in graph.nodes}
    assert "pkg:npm/content-type@1.0.5" in purls
    assert "pkg:npm/content-type@2.1.0" in purls
    assert not any("is-odd" in purl or "is-number" in purl for purl in purls)  # dev only
    assert all(node.decided_by is Decision.LOCKFILE for node in graph.nodes)
    root = next(node for node in graph.nodes if node.purl == SERVER_PURL)
    assert root.digests == (Digest("sha512", SERVER_2026_SHA512),)
    assert root.facts.artifact_url is not None
    assert root.facts.artifact_url.endswith(".tgz")
    sdk = "pkg:npm/%40modelcontextprotocol/sdk@1.32.2"
    assert children(graph, SERVER_PURL) == {sdk: "prod"}
    sdk_children = children(graph, sdk)
    assert sdk_children["pkg:npm/zod@4.6.7"] == "peer"
    assert sdk_children["pkg:npm/express@5.3.0"] == "prod"
    body_parser = next(n.purl for n in graph.nodes if n.name == "body-parser")
    assert children(graph, body_parser)["pkg:npm/content-type@2.1.0"] == "prod"
    # the optional peer @cfworker/json-schema is not installed and is not a problem
    assert not any("cfworker" in purl for purl in purls)


def test_package_lock_v2_and_v1_agree_with_v3() -> None:
    v2 = read_lockfile(FIXTURES / "npm-v2" / "package-lock.json")
    assert (v2.format, len(v2.packages)) == ("package-lock-v2", 15)
    assert only(v2, SERVER).version == "2025.9.25"
    v1 = read_lockfile(FIXTURES / "npm-v1" / "package-lock.json")
    assert v1.format == "package-lock-v1"
    assert v1.direct is None  # v1 has no entry for the project
    nested = only(v1, "body-parser").dependencies
    (dep,) = [d for d in nested if d.name == "content-type"]
    assert dep.target == "node_modules/body-parser/node_modules/content-type"
    v3_nodes = {
        n.purl
        for n in graph_for(
            read_lockfile(FIXTURES / "npm-v3" / "package-lock.json"), npm_ref(SERVER)
        ).nodes
    }
    assert {n.purl for n in graph_for(v1, npm_ref(SERVER)).nodes} == v3_nodes


def test_pinned_root_must_match_the_locked_version() -> None:
    lock = read_lockfile(FIXTURES / "npm-v3" / "package-lock.json")
    assert graph_from_lockfile(lock, [npm_ref(SERVER, "2026.8.31")]) is not None
    assert graph_from_lockfile(lock, [npm_ref(SERVER, "2025.9.25")]) is None
    assert graph_from_lockfile(lock, [npm_ref("not-in-the-lock")]) is None
    pypi = PackageRef("pypi", SERVER, None, VersionKind.UNSPECIFIED, "")
    assert graph_from_lockfile(lock, [pypi]) is None


def test_dev_root_is_served_but_a_prod_root_never_pulls_dev_packages() -> None:
    lock = read_lockfile(FIXTURES / "npm-v3" / "package-lock.json")
    graph = graph_for(lock, npm_ref("is-odd"))
    assert {n.purl for n in graph.nodes} == {"pkg:npm/is-odd@3.0.1", "pkg:npm/is-number@6.0.0"}


def write_lock(
    tmp_path: Path, packages: dict[str, object], name: str = "package-lock.json"
) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"lockfileVersion": 3, "packages": packages}))
    return path


def test_dev_package_reachable_as_prod_dependency_is_kept(tmp_path: Path) -> None:
    # hand-written: "shared" is flagged dev because npm computes the flag for the project,
    # but a root that depends on it in production must still get it
    path = write_lock(
        tmp_path,
        {
            "": {"devDependencies": {"tool": "^1"}},
            "node_modules/tool": {
                "version": "1.0.0",
                "dev": True,
                "dependencies": {"shared": "^2"},
            },
            "node_modules/shared": {"version": "2.0.0", "dev": True},
        },
    )
    graph = graph_for(read_lockfile(path), npm_ref("tool"))
    assert {n.purl for n in graph.nodes} == {"pkg:npm/tool@1.0.0", "pkg:npm/shared@2.0.0"}


def test_deep_nesting_aliases_links_and_missing_entries(tmp_path: Path) -> None:
    # hand-written: a/node_modules/b/node_modules/c needs d, which only the root has; an npm
    # alias; a workspace link; a dependency the lockfile lacks; a missing optional one and a
    # missing peer
    path = write_lock(
        tmp_path,
        {
            "": {"name": "proj", "dependencies": {"a": "^1", "ws": "*"}},
            "node_modules/a": {
                "version": "1.0.0",
                "dependencies": {"b": "^1", "ghost": "^3"},
                "optionalDependencies": {"fsevents": "^2"},
                "peerDependencies": {"react": "^18"},
            },
            "node_modules/a/node_modules/b": {"version": "1.1.0", "dependencies": {"c": "^1"}},
            "node_modules/a/node_modules/b/node_modules/c": {
                "version": "1.2.0",
                "dependencies": {"d": "^1", "b": "^1"},
            },
            "node_modules/d": {"version": "1.3.0", "dependencies": {"strip": "npm:real-strip@^6"}},
            "node_modules/strip": {"name": "real-strip", "version": "6.0.0"},
            "node_modules/ws": {"resolved": "packages/ws", "link": True},
            "packages/ws": {
                "name": "ws",
                "version": "0.1.0",
                "dependencies": {"d": "^1"},
                "devDependencies": {"a": "^1"},
            },
        },
    )
    lock = read_lockfile(path)
    c = lock.packages[
        [p.key for p in lock.packages].index("node_modules/a/node_modules/b/node_modules/c")
    ]
    assert {d.name: d.target for d in c.dependencies} == {
        "d": "node_modules/d",
        "b": "node_modules/a/node_modules/b",  # walking up finds the enclosing copy
    }
    graph = graph_for(lock, npm_ref("a"))
    assert {n.purl for n in graph.nodes} == {
        "pkg:npm/a@1.0.0",
        "pkg:npm/b@1.1.0",
        "pkg:npm/c@1.2.0",
        "pkg:npm/d@1.3.0",
        "pkg:npm/real-strip@6.0.0",
    }
    # ghost is missing; neither the optional fsevents nor the uninstalled peer is a problem
    (problem,) = graph.problems
    assert (problem.name, problem.spec, problem.reason) == ("ghost", "^3", "not-in-lockfile")
    assert problem.path == ("pkg:npm/a@1.0.0",)
    assert "package-lock.json" in problem.message
    # the workspace is reached through its link; its devDependencies are not followed
    ws_graph = graph_for(lock, npm_ref("ws"))
    assert {n.purl for n in ws_graph.nodes} == {
        "pkg:npm/ws@0.1.0",
        "pkg:npm/d@1.3.0",
        "pkg:npm/real-strip@6.0.0",
    }
    assert lock.direct is not None
    assert {d.name: d.target for d in lock.direct} == {"a": "node_modules/a", "ws": "packages/ws"}


def test_unpinned_root_prefers_the_copy_the_project_uses(tmp_path: Path) -> None:
    # hand-written: two copies of "x"; the project's own dependency is the top-level one
    path = write_lock(
        tmp_path,
        {
            "": {"dependencies": {"x": "^2", "y": "^1"}},
            "node_modules/y": {"version": "1.0.0", "dependencies": {"x": "^1"}},
            "node_modules/y/node_modules/x": {"version": "1.0.0"},
            "node_modules/x": {"version": "2.0.0"},
        },
    )
    lock = read_lockfile(path)
    found = match_root(lock, npm_ref("x"))
    assert found is not None
    assert found.version == "2.0.0"
    found = match_root(lock, npm_ref("x", "1.0.0"))
    assert found is not None
    assert found.key == "node_modules/y/node_modules/x"


def test_integrity_with_several_algorithms_and_bad_integrity(tmp_path: Path) -> None:
    from mcpscan.resolve.lockfiles import LockfileError

    sha1 = "mRrtt2dxK45RwwwP1zaz/rZJMwY="  # base64 of a 20-byte digest
    path = write_lock(
        tmp_path,
        {"node_modules/x": {"version": "1.0.0", "integrity": f"sha512-{'A' * 86}== sha1-{sha1}"}},
    )
    (package,) = read_lockfile(path).packages
    assert [d.algorithm for d in package.digests] == ["sha512", "sha1"]
    assert package.digests[0].value == "00" * 64
    assert package.digests[1].value == "991aedb767712b8e51c30c0fd736b3feb6493306"
    bad = write_lock(tmp_path, {"node_modules/x": {"version": "1.0.0", "integrity": "sha512-!!"}})
    with pytest.raises(LockfileError, match="invalid integrity value for x"):
        read_lockfile(bad)


def test_resolved_url_loses_credentials(tmp_path: Path) -> None:
    path = write_lock(
        tmp_path,
        {
            "node_modules/x": {
                "version": "1.0.0",
                "resolved": "https://user:s3cr3t@npm.example.com/x/-/x-1.0.0.tgz?token=s3cr3t#frag",
            }
        },
    )
    (package,) = read_lockfile(path).packages
    assert package.resolved == "https://npm.example.com/x/-/x-1.0.0.tgz"


# --- pnpm ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("directory", "fmt", "count"),
    [
        ("pnpm-v9", "pnpm-lock-v9", 98),
        ("pnpm-v6", "pnpm-lock-v6", 98),
        ("pnpm-v5", "pnpm-lock-v5", 15),
    ],
)
def test_pnpm_generations_parsed(directory: str, fmt: str, count: int) -> None:
    lock = read_lockfile(FIXTURES / directory / "pnpm-lock.yaml")
    assert (lock.format, len(lock.packages)) == (fmt, count)
    server = only(lock, SERVER)
    expected = "2025.9.25" if directory == "pnpm-v5" else "2026.8.31"
    assert server.version == expected
    assert server.digests
    assert server.digests[0].algorithm == "sha512"
    assert lock.direct is not None
    assert lock.direct[0].name == SERVER
    assert lock.direct[0].target == server.key
    if directory != "pnpm-v5":
        assert {p.name for p in lock.packages if p.dev} == {"is-odd", "is-number"}


def test_pnpm_peer_suffixed_keys() -> None:
    for directory, key in (
        ("pnpm-v9", "@modelcontextprotocol/sdk@1.32.2(zod@4.6.7)"),
        ("pnpm-v6", "/@modelcontextprotocol/sdk@1.32.2(zod@4.6.7)"),
    ):
        lock = read_lockfile(FIXTURES / directory / "pnpm-lock.yaml")
        sdk = only(lock, "@modelcontextprotocol/sdk")
        assert (sdk.key, sdk.version) == (key, "1.32.2")
        assert sdk.digests[0].value.startswith("496b15b47ff4bd42")
        deps = {d.name: d for d in sdk.dependencies}
        assert deps["zod"].kind == "peer"
        assert deps["zod"].spec == "^3.25 || ^4.0"
        assert deps["@hono/node-server"].spec == "2.1.9"
        assert deps["@hono/node-server"].target is not None
        assert deps["@hono/node-server"].target.endswith("@hono/node-server@2.1.9(hono@4.13.19)")
        hono = only(lock, "@hono/node-server")
        assert hono.version == "2.1.9"


def test_pnpm_graph_matches_package_lock() -> None:
    npm_graph = graph_for(read_lockfile(FIXTURES / "npm-v3" / "package-lock.json"), npm_ref(SERVER))
    for directory in ("pnpm-v9", "pnpm-v6"):
        graph = graph_for(read_lockfile(FIXTURES / directory / "pnpm-lock.yaml"), npm_ref(SERVER))
        assert graph.problems == ()
        assert {n.purl for n in graph.nodes} == {n.purl for n in npm_graph.nodes}
        assert {(e.parent, e.child, e.kind) for e in graph.edges} == {
            (e.parent, e.child, e.kind) for e in npm_graph.edges
        }


def test_pnpm_v5_slash_keys() -> None:
    lock = read_lockfile(FIXTURES / "pnpm-v5" / "pnpm-lock.yaml")
    sdk = only(lock, "@modelcontextprotocol/sdk")
    assert (sdk.key, sdk.version) == ("/@modelcontextprotocol/sdk/1.0.1", "1.0.1")
    graph = graph_for(lock, npm_ref(SERVER, "2025.9.25"))
    assert len(graph.nodes) == 15
    assert graph.problems == ()


# --- yarn ------------------------------------------------------------------------------------


def test_yarn_v1_multi_descriptor_entries() -> None:
    lock = read_lockfile(FIXTURES / "yarn-v1" / "yarn.lock")
    assert (lock.format, len(lock.packages)) == ("yarn-v1", 98)
    ajv = only(lock, "ajv")
    assert (ajv.key, ajv.version) == ("ajv@^8.0.0", "8.20.0")
    assert ajv.digests[0].algorithm == "sha512"
    assert ajv.resolved == "https://registry.yarnpkg.com/ajv/-/ajv-8.20.0.tgz"  # no #sha1
    formats = only(lock, "ajv-formats")
    assert [d.target for d in formats.dependencies if d.name == "ajv"] == ["ajv@^8.0.0"]
    sdk = only(lock, "@modelcontextprotocol/sdk")
    assert {d.target for d in sdk.dependencies if d.name == "ajv"} == {"ajv@^8.0.0"}
    assert {p.version for p in packages_named(lock, "content-type")} == {"1.0.5", "2.1.0"}
    # the project's own requirements come from package.json beside the lockfile
    assert lock.direct is not None
    assert {(d.name, d.kind) for d in lock.direct} == {(SERVER, "prod"), ("is-odd", "dev")}
    graph = graph_for(lock, npm_ref(SERVER))
    assert graph.problems == ()
    assert len(graph.nodes) == 96


def test_yarn_v1_sha1_fragment_alias_and_quoting(tmp_path: Path) -> None:
    # hand-written in yarn 1 syntax: no integrity (old yarn), an alias, a scoped quoted key
    path = tmp_path / "yarn.lock"
    path.write_text(
        "# yarn lockfile v1\n\n\n"
        '"@s/a@^1.0.0", "@s/a@^1.1.0":\n'
        '  version "1.1.0"\n'
        '  resolved "https://registry.yarnpkg.com/@s/a/-/a-1.1.0.tgz#0123456789abcdef0123456789abcdef01234567"\n'
        "  dependencies:\n"
        '    strip "npm:real-strip@^6"\n'
        "  optionalDependencies:\n"
        '    gone "^1"\n'
        "\n"
        "strip@npm:real-strip@^6:\n"
        '  version "6.0.0"\n'
    )
    lock = read_lockfile(path)
    a, strip = lock.packages
    assert a.digests == (Digest("sha1", "0123456789abcdef0123456789abcdef01234567"),)
    assert strip.name == "real-strip"
    assert [d.target for d in a.dependencies] == ["strip@npm:real-strip@^6", None]
    graph = graph_for(lock, npm_ref("@s/a", "1.1.0"))
    assert {n.purl for n in graph.nodes} == {"pkg:npm/%40s/a@1.1.0", "pkg:npm/real-strip@6.0.0"}
    assert graph.problems == ()  # "gone" is optional


def test_yarn_berry_resolution_and_checksum() -> None:
    lock = read_lockfile(FIXTURES / "yarn-berry" / "yarn.lock")
    assert (lock.format, len(lock.packages)) == ("yarn-berry-v10", 99)
    server = only(lock, SERVER)
    assert (server.key, server.version) == (f"{SERVER}@npm:2026.8.31", "2026.8.31")
    # berry's checksum hashes its own zip, never the registry tarball: not an artifact digest
    assert server.digests == ()
    assert server.checksum is not None
    assert server.checksum.startswith("10c0/")
    workspace = only(lock, "mcp-berry")
    assert workspace.source == "workspace"
    assert lock.direct is not None
    assert {d.name for d in lock.direct} == {SERVER, "is-odd"}
    ajv = only(lock, "ajv")
    assert ajv.version == "8.20.0"
    graph = graph_for(lock, npm_ref(SERVER))
    assert graph.problems == ()
    npm_graph = graph_for(read_lockfile(FIXTURES / "npm-v3" / "package-lock.json"), npm_ref(SERVER))
    assert {n.purl for n in graph.nodes} == {n.purl for n in npm_graph.nodes}


def test_pnpm_v9_alias_link_and_git_references(tmp_path: Path) -> None:
    # hand-written in pnpm 9 syntax: an alias, a workspace link, a git dependency whose URL
    # holds an "@", and a snapshot written as null
    path = tmp_path / "pnpm-lock.yaml"
    path.write_text(
        "lockfileVersion: '9.0'\n"
        "importers:\n"
        "  .:\n"
        "    dependencies:\n"
        "      app:\n"
        "        specifier: ^1.0.0\n"
        "        version: 1.0.0\n"
        "      sibling:\n"
        "        specifier: workspace:*\n"
        "        version: link:../sibling\n"
        "packages:\n"
        "  app@1.0.0:\n"
        "    resolution: {integrity: sha512-" + "A" * 86 + "==}\n"
        "  string-width@4.2.3:\n"
        "    resolution: {integrity: sha512-" + "B" * 86 + "==}\n"
        "  tool@git+ssh://git@github.com/org/tool.git#abc:\n"
        "    resolution: {type: git, repo: 'git+ssh://git@github.com/org/tool.git', commit: abc}\n"
        "    version: 0.3.0\n"
        "snapshots:\n"
        "  app@1.0.0:\n"
        "    dependencies:\n"
        "      string-width-cjs: string-width@4.2.3\n"
        "      tool: git+ssh://git@github.com/org/tool.git#abc\n"
        "  string-width@4.2.3:\n"
        "  tool@git+ssh://git@github.com/org/tool.git#abc: {}\n"
    )
    lock = read_lockfile(path)
    app = only(lock, "app")
    assert [d.target for d in app.dependencies] == [
        "string-width@4.2.3",
        "tool@git+ssh://git@github.com/org/tool.git#abc",
    ]
    tool = only(lock, "tool")
    assert (tool.version, tool.source) == ("0.3.0", "git")
    assert "sibling is a local link and was not followed" in lock.notes
    assert "tool is installed from a git repository" in lock.notes
    graph = graph_for(lock, npm_ref("app"))
    assert {n.purl for n in graph.nodes} == {
        "pkg:npm/app@1.0.0",
        "pkg:npm/string-width@4.2.3",
        "pkg:npm/tool@0.3.0",
    }
    assert graph.problems == ()
