"""npm resolution against the local registry server.

The synthetic scenarios' expected sets were checked against the real npm
(``npm install --package-lock-only`` pointed at the same packuments); the recorded tree's
expected sets are what npm itself produced when the fixtures were recorded.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from mcpscan.ecosystems.npm.purl import npm_purl
from mcpscan.ecosystems.npm.spec import parse_spec
from mcpscan.errors import NetworkError, OfflineCacheMiss
from mcpscan.models import Decision, Digest, Graph, PackageRef, VersionKind
from mcpscan.net.http import HttpClient, HttpConfig
from mcpscan.registry.npm import NpmRegistry
from mcpscan.resolve.npm import NpmResolver
from mcpscan.resolve.npm.target import npm_arch, npm_os
from mcpscan.resolve.npm.tree import locale_key
from tests.support.registry_server import RegistryServer, Route

FIXTURES = Path(__file__).parent.parent / "fixtures" / "npm"
CORGI = "application/vnd.npm.install-v1+json"


def pkg(
    name: str, versions: dict[str, dict[str, Any]], tags: dict[str, str] | None = None, **extra: Any
) -> dict[str, Any]:
    docs = {}
    for version, fields in versions.items():
        data = f"{name}@{version}".encode()
        doc = {
            "name": name,
            "version": version,
            "dist": {
                "integrity": "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode(),
                "shasum": hashlib.sha1(data).hexdigest(),
                "tarball": f"https://registry.example/{name}/-/{name}-{version}.tgz",
            },
        }
        doc.update(fields)
        docs[version] = doc
    return {
        "name": name,
        "dist-tags": tags or {"latest": list(versions)[-1]},
        "versions": docs,
        **extra,
    }


def publish(server: RegistryServer, *packs: dict[str, Any]) -> None:
    for doc in packs:
        server.add("/" + doc["name"].replace("/", "%2F"), Route(body=json.dumps(doc).encode()))


def ref(
    name: str,
    requested: str | None = None,
    kind: VersionKind = VersionKind.RANGE,
    alias_of: str | None = None,
) -> PackageRef:
    return PackageRef("npm", name, requested, kind, purl="", alias_of=alias_of)


def resolve(server: RegistryServer, roots: list[PackageRef], **options: Any) -> Graph:
    options.setdefault("platform", None)
    with HttpClient(HttpConfig(cache_dir=None, retries=0, backoff=0.0)) as client:
        return NpmResolver(NpmRegistry(client, server.url), **options).resolve(roots)


def installed(graph: Graph) -> set[str]:
    return {f"{n.name}@{n.version}" for n in graph.nodes}


# -- the recorded real tree ---------------------------------------------------------------


EXPECTED = json.loads((FIXTURES / "expected.json").read_text())


@pytest.mark.parametrize("label", ["server-memory", "mcp-remote"])
def test_recorded_tree_matches_what_npm_installed(
    server: RegistryServer, label: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.add_tree(FIXTURES / "registry", content_type="application/json")
    spec = EXPECTED["roots"][label]
    name, _, version = spec[1:].partition("@")
    name = spec[0] + name
    batches: list[int] = []
    real_map = HttpClient.map

    def counting_map(self: HttpClient, fn: Any, items: Any) -> Any:
        work = list(items)
        batches.append(len(work))
        return real_map(self, fn, work)

    monkeypatch.setattr(HttpClient, "map", counting_map)
    kind = VersionKind.EXACT if version else VersionKind.UNSPECIFIED
    graph = resolve(server, [ref(name, version or None, kind)])
    assert installed(graph) == set(EXPECTED["npm_sets"][label])
    assert graph.problems == ()
    # Each package is fetched once, the root in full and the rest abbreviated, in a few
    # concurrent breadth-first batches rather than one request at a time.
    paths = [p for p, _ in server.requests]
    assert len(paths) == len(set(paths))
    accepts = {p: h["Accept"] for p, h in server.requests}
    root_path = "/" + name.replace("/", "%2F")
    assert accepts.pop(root_path) == "application/json"
    assert all(a.startswith(CORGI) for a in accepts.values())
    assert sum(batches) == len(paths)
    assert len(batches) <= 12
    assert max(batches) >= 10

    root = next(n for n in graph.nodes if n.purl == graph.roots[0])
    assert root.decided_by == (Decision.PINNED if version else Decision.LATEST)
    assert all(n.decided_by == Decision.RANGE for n in graph.nodes if n is not root)
    raw = json.loads((FIXTURES / "registry" / name.replace("/", "%2F")).read_text())
    assert root.facts.published == raw["time"][root.version]
    assert root.facts.artifact_url == raw["versions"][root.version]["dist"]["tarball"]
    assert root.facts.maintainers is None  # this mirror omits them: unknown, not empty
    assert root.digests[0].algorithm == "sha512"
    assert root.digests[1] == Digest("sha1", raw["versions"][root.version]["dist"]["shasum"])
    # Every edge joins two resolved nodes; every non-root node is some edge's child.
    purls = {n.purl for n in graph.nodes}
    assert all(e.parent in purls and e.child in purls for e in graph.edges)
    assert {e.child for e in graph.edges} | set(graph.roots) == purls


@pytest.mark.live
def test_live_server_filesystem_resolves() -> None:
    with HttpClient(HttpConfig(cache_dir=None)) as client:
        graph = NpmResolver(NpmRegistry(client)).resolve(
            [ref("@modelcontextprotocol/server-filesystem", None, VersionKind.UNSPECIFIED)]
        )
    names = {n.name for n in graph.nodes}
    assert "@modelcontextprotocol/sdk" in names
    assert graph.problems == ()
    assert all(n.digests for n in graph.nodes)


# -- npm's selection rules (each expectation checked against the real npm) ----------------


def test_latest_tag_is_preferred_when_it_satisfies(server: RegistryServer) -> None:
    publish(server, pkg("a", {"1.0.0": {}, "1.1.0": {}, "1.2.0": {}}, {"latest": "1.1.0"}))
    assert installed(resolve(server, [ref("a", "^1")])) == {"a@1.1.0"}
    assert installed(resolve(server, [ref("a", "~1.2")])) == {"a@1.2.0"}
    assert installed(resolve(server, [ref("a", None, VersionKind.UNSPECIFIED)])) == {"a@1.1.0"}


def test_prereleases_and_dist_tags(server: RegistryServer) -> None:
    publish(
        server,
        pkg(
            "b",
            {"1.0.0": {}, "1.1.0-beta.1": {}, "2.0.0-rc.1": {}},
            {"latest": "1.0.0", "next": "2.0.0-rc.1"},
        ),
        pkg("c", {"1.0.0": {"dependencies": {"b": "^1.1.0-beta.0"}}}),
        pkg("d", {"1.0.0": {"dependencies": {"b": "next"}}}),
    )
    # c's range names a prerelease of 1.1.0, so 1.1.0-beta.1 is allowed; d's dist-tag
    # dependency is satisfied by that copy already (npm trusts tags it cannot check).
    graph = resolve(server, [ref("c", "1.0.0"), ref("d")])
    assert installed(graph) == {"b@1.1.0-beta.1", "c@1.0.0", "d@1.0.0"}
    assert installed(resolve(server, [ref("b", "*")])) == {"b@1.0.0"}
    tagged = resolve(server, [ref("b", "next", VersionKind.TAG)])
    assert installed(tagged) == {"b@2.0.0-rc.1"}
    assert tagged.nodes[0].decided_by == Decision.DIST_TAG


def test_deprecated_versions_are_avoided(server: RegistryServer) -> None:
    publish(server, pkg("c", {"1.0.0": {}, "1.1.0": {"deprecated": "broken"}}, {"latest": "1.1.0"}))
    assert installed(resolve(server, [ref("c", "^1")])) == {"c@1.0.0"}
    pinned = resolve(server, [ref("c", "1.1.0", VersionKind.EXACT)])
    assert pinned.nodes[0].facts.deprecated == "broken"


def test_engines_preference_needs_a_node_version(server: RegistryServer) -> None:
    publish(
        server,
        pkg("e", {"1.0.0": {"engines": {"node": ">=14"}}, "2.0.0": {"engines": {"node": ">=99"}}}),
    )
    assert installed(resolve(server, [ref("e", "*")], node_version="20.20.2")) == {"e@1.0.0"}
    assert installed(resolve(server, [ref("e", "*")])) == {"e@2.0.0"}


# -- placement: dedupe, nesting, reuse, replacement ----------------------------------------


def test_conflicting_versions_are_nested(server: RegistryServer) -> None:
    publish(
        server,
        pkg("x", {"1.0.0": {}, "2.0.0": {}}),
        pkg("y", {"1.0.0": {"dependencies": {"x": "^2"}}}),
    )
    graph = resolve(server, [ref("x", "^1"), ref("y", "1")])
    assert installed(graph) == {"x@1.0.0", "x@2.0.0", "y@1.0.0"}
    assert {(e.parent, e.child) for e in graph.edges} == {
        (npm_purl("y", "1.0.0"), npm_purl("x", "2.0.0"))
    }


def test_an_existing_satisfying_copy_is_reused(server: RegistryServer) -> None:
    publish(
        server,
        pkg("q", {"1.0.5": {}, "1.1.0": {}}),
        pkg("p", {"1.0.0": {"dependencies": {"q": "^1.0.0"}}}),
        pkg("r", {"1.0.0": {"dependencies": {"q": "~1.0.0"}}}),
        pkg("s", {"1.0.0": {"dependencies": {"q": "1.x"}}}),
    )
    graph = resolve(server, [ref("p", "1"), ref("r", "1"), ref("s", "1")])
    assert installed(graph) == {"p@1.0.0", "r@1.0.0", "s@1.0.0", "q@1.1.0", "q@1.0.5"}
    assert server.count("/q") == 1


def test_a_newer_copy_replaces_one_all_dependents_accept(server: RegistryServer) -> None:
    publish(
        server,
        pkg("m", {"1.0.0": {"dependencies": {"k": "^1.0.0"}}}),
        pkg("n", {"1.0.0": {"dependencies": {"k": "^1.2.0"}}}),
        pkg("k", {"1.0.0": {}, "1.1.0": {}, "1.2.0": {}, "1.3.0": {}}, {"latest": "1.1.0"}),
    )
    assert installed(resolve(server, [ref("m", "1"), ref("n", "1")])) == {
        "m@1.0.0",
        "n@1.0.0",
        "k@1.3.0",
    }


def test_cycles_terminate(server: RegistryServer) -> None:
    publish(
        server,
        pkg("a1", {"1.0.0": {"dependencies": {"b1": "1"}}}),
        pkg(
            "b1",
            {"1.0.0": {"dependencies": {"a1": "^1"}}, "1.1.0": {"dependencies": {"a1": "1.0.0"}}},
        ),
        pkg("self", {"1.0.0": {"dependencies": {"self": "^1"}}}),
    )
    graph = resolve(server, [ref("a1", "1"), ref("self")])
    assert installed(graph) == {"a1@1.0.0", "b1@1.1.0", "self@1.0.0"}
    assert (npm_purl("b1", "1.1.0"), npm_purl("a1", "1.0.0")) in {
        (e.parent, e.child) for e in graph.edges
    }


# -- peers, optional dependencies, platforms ------------------------------------------------


def test_peers_are_installed_and_optional_peers_are_not(server: RegistryServer) -> None:
    publish(
        server,
        pkg(
            "plugin",
            {
                "1.0.0": {
                    "peerDependencies": {"host": "^2", "opt": "*"},
                    "peerDependenciesMeta": {"opt": {"optional": True}},
                }
            },
        ),
        pkg("host", {"1.0.0": {}, "2.0.0": {}, "2.1.0": {}}),
        pkg("opt", {"1.0.0": {}}),
    )
    graph = resolve(server, [ref("plugin", "1")])
    assert installed(graph) == {"plugin@1.0.0", "host@2.1.0"}
    assert {(e.child, e.kind) for e in graph.edges} == {(npm_purl("host", "2.1.0"), "peer")}


def test_a_peer_takes_the_version_its_dependents_parent_asks_for(server: RegistryServer) -> None:
    publish(
        server,
        pkg("app", {"1.0.0": {"dependencies": {"plugin": "1", "host": ">=2.0.0"}}}),
        pkg("plugin", {"1.0.0": {"peerDependencies": {"host": "~2.0.0"}}}),
        pkg("host", {"2.0.0": {}, "2.0.3": {}, "2.1.0": {}}),
    )
    assert installed(resolve(server, [ref("app", "1")])) == {
        "app@1.0.0",
        "plugin@1.0.0",
        "host@2.0.3",
    }


def test_an_optional_peer_in_the_way_is_installed_nested(server: RegistryServer) -> None:
    # npm nests the plugin and its optional peer when the copy at the top does not fit.
    publish(
        server,
        pkg("tool", {"1.0.0": {"dependencies": {"yaml": "^1", "loader": "^6"}}}),
        pkg(
            "loader",
            {
                "6.0.0": {
                    "peerDependencies": {"yaml": "^2"},
                    "peerDependenciesMeta": {"yaml": {"optional": True}},
                }
            },
        ),
        pkg("yaml", {"1.10.0": {}, "2.4.0": {}}, {"latest": "2.4.0"}),
    )
    assert installed(resolve(server, [ref("tool", "1")])) == {
        "tool@1.0.0",
        "loader@6.0.0",
        "yaml@1.10.0",
        "yaml@2.4.0",
    }


OPTIONAL_TREE = [
    pkg("tool", {"1.0.0": {"optionalDependencies": {"tool-linux": "1", "tool-darwin": "1"}}}),
    pkg(
        "tool-linux", {"1.0.0": {"os": ["linux"], "cpu": ["x64"], "dependencies": {"helper": "1"}}}
    ),
    pkg(
        "tool-darwin",
        {"1.0.0": {"os": ["darwin"], "cpu": ["arm64"], "dependencies": {"dhelper": "1"}}},
    ),
    pkg("helper", {"1.0.0": {}}),
    pkg("dhelper", {"1.0.0": {}}),
]


@pytest.mark.parametrize(
    ("platform", "arch", "expected"),
    [
        ("linux", "x64", {"tool@1.0.0", "tool-linux@1.0.0", "helper@1.0.0"}),
        ("darwin", "arm64", {"tool@1.0.0", "tool-darwin@1.0.0", "dhelper@1.0.0"}),
        ("win32", "x64", {"tool@1.0.0"}),
        # No target: every platform's optional packages, as package-lock.json lists them.
        (
            None,
            None,
            {
                "tool@1.0.0",
                "tool-linux@1.0.0",
                "helper@1.0.0",
                "tool-darwin@1.0.0",
                "dhelper@1.0.0",
            },
        ),
    ],
)
def test_optional_dependencies_follow_the_target_platform(
    server: RegistryServer, platform: str | None, arch: str | None, expected: set[str]
) -> None:
    publish(server, *OPTIONAL_TREE)
    graph = resolve(server, [ref("tool", "1")], platform=platform, arch=arch)
    assert installed(graph) == expected
    assert graph.problems == ()
    kinds = {e.kind for e in graph.edges if e.parent == npm_purl("tool", "1.0.0")}
    assert kinds <= {"optional"}


def test_a_required_package_for_another_platform_is_a_problem(server: RegistryServer) -> None:
    publish(
        server,
        pkg("mac-only", {"1.0.0": {"os": ["darwin"]}}),
        pkg("musl-only", {"1.0.0": {"libc": ["musl"]}}),
    )
    graph = resolve(
        server, [ref("mac-only"), ref("musl-only")], platform="linux", arch="x64", libc="glibc"
    )
    assert {(p.name, p.reason) for p in graph.problems} == {
        ("mac-only", "unsupported-platform"),
        ("musl-only", "unsupported-platform"),
    }


# -- aliases, bundled dependencies ----------------------------------------------------------


def test_npm_aliases(server: RegistryServer) -> None:
    publish(
        server,
        pkg("z", {"1.0.0": {"dependencies": {"lodash4": "npm:lodash@^4", "lodash": "^3"}}}),
        pkg("lodash", {"3.10.1": {}, "4.17.20": {}, "4.17.21": {}}),
    )
    graph = resolve(server, [ref("z", "1")])
    assert installed(graph) == {"z@1.0.0", "lodash@3.10.1", "lodash@4.17.21"}
    assert (npm_purl("lodash", "4.17.21"), "npm:lodash@^4") in {
        (e.child, e.spec) for e in graph.edges
    }
    aliased_root = resolve(server, [ref("my-lodash", "^3", alias_of="lodash")])
    assert installed(aliased_root) == {"lodash@3.10.1"}
    assert aliased_root.roots == (npm_purl("lodash", "3.10.1"),)


def test_bundled_dependencies_are_edges_not_fetches(server: RegistryServer) -> None:
    publish(
        server,
        pkg(
            "w",
            {
                "1.0.0": {
                    "dependencies": {"inner": "^1", "outer": "1"},
                    "bundleDependencies": ["inner"],
                }
            },
        ),
        pkg("outer", {"1.0.0": {}}),
    )
    graph = resolve(server, [ref("w", "1")])
    assert installed(graph) == {"w@1.0.0", "outer@1.0.0"}
    assert server.count("/inner") == 0
    assert {(e.child, e.kind, e.spec) for e in graph.edges} == {
        (npm_purl("outer", "1.0.0"), "prod", "1"),
        ("pkg:npm/inner", "bundled", "^1"),
    }


# -- failing closed -------------------------------------------------------------------------


def test_missing_and_unmatched_dependencies_are_problems_with_paths(server: RegistryServer) -> None:
    publish(
        server,
        pkg("top", {"1.0.0": {"dependencies": {"mid": "1", "ok": "1"}}}),
        pkg(
            "mid",
            {
                "1.0.0": {
                    "dependencies": {"ghost": "^1", "old": "^9", "gitdep": "github:o/r#main"},
                    "optionalDependencies": {"phantom": "1"},
                }
            },
        ),
        pkg("ok", {"1.0.0": {}}),
        pkg("old", {"1.0.0": {}}),
    )
    graph = resolve(server, [ref("top", "1"), ref("absent", "2")])
    assert installed(graph) == {"top@1.0.0", "mid@1.0.0", "ok@1.0.0"}
    found = {(p.name, p.reason, p.path) for p in graph.problems}
    chain = (npm_purl("top", "1.0.0"), npm_purl("mid", "1.0.0"))
    assert found == {
        ("ghost", "not-found", chain),
        ("old", "no-matching-version", chain),
        ("gitdep", "unsupported-spec", chain),
        ("absent", "not-found", ()),
    }
    assert graph.roots == (npm_purl("top", "1.0.0"),)


def test_a_registry_outage_is_not_a_resolution_problem(server: RegistryServer) -> None:
    publish(server, pkg("top", {"1.0.0": {"dependencies": {"down": "1"}}}))
    server.add("/down", Route(body=b"", fail_times=10, fail_status=503))
    with pytest.raises(NetworkError):
        resolve(server, [ref("top")])


# -- roots ----------------------------------------------------------------------------------


def test_root_decisions_and_duplicate_root_names(server: RegistryServer) -> None:
    publish(
        server,
        pkg(
            "r",
            {"1.0.0": {}, "1.5.0": {}, "2.0.0": {}, "3.0.0-beta.1": {}},
            {"latest": "2.0.0", "beta": "3.0.0-beta.1"},
        ),
    )
    graph = resolve(
        server,
        [
            ref("r", "1.0.0", VersionKind.EXACT),
            ref("r", "^1"),
            ref("r", "latest", VersionKind.LATEST),
            ref("r", "beta", VersionKind.TAG),
        ],
    )
    decided = {n.version: n.decided_by for n in graph.nodes}
    assert decided == {
        "1.0.0": Decision.PINNED,
        "1.5.0": Decision.RANGE,
        "2.0.0": Decision.LATEST,
        "3.0.0-beta.1": Decision.DIST_TAG,
    }
    assert len(graph.roots) == 4
    assert {n.requested for n in graph.nodes} == {"1.0.0", "^1", "latest", "beta"}


def test_each_package_is_fetched_once_across_calls(server: RegistryServer) -> None:
    publish(
        server,
        pkg("one", {"1.0.0": {"dependencies": {"shared": "1"}}}),
        pkg("two", {"1.0.0": {"dependencies": {"shared": "1"}}}),
        pkg("shared", {"1.0.0": {}}),
    )
    with HttpClient(HttpConfig(cache_dir=None, retries=0)) as client:
        resolver = NpmResolver(NpmRegistry(client, server.url), platform=None)
        resolver.resolve([ref("one")])
        resolver.resolve([ref("two")])
    assert [server.count(p) for p in ("/one", "/two", "/shared")] == [1, 1, 1]


# -- helpers --------------------------------------------------------------------------------


def test_collation_matches_icu_en() -> None:
    # The order node's Intl.Collator("en") gives (recorded from node 20).
    expected = [
        "@a/b",
        "a",
        "a_b",
        "a-",
        "a-b",
        "a.b",
        "a/b",
        "a1",
        "ab",
        "aB",
        "Ab",
        "abc",
        "node_modules/@s/x",
        "node_modules/@types/node",
        "node_modules/a",
        "node_modules/a/node_modules/b",
        "node_modules/zod",
        "node_modules/zod-to-json-schema",
    ]
    assert sorted(reversed(expected), key=locale_key) == expected


def test_platform_names_follow_node() -> None:
    assert npm_os("linux") == "linux"
    assert npm_os("darwin") == "darwin"
    assert npm_os("win32") == "win32"
    assert npm_os("freebsd14") == "freebsd"
    assert npm_arch("x86_64") == "x64"
    assert npm_arch("AMD64") == "x64"
    assert npm_arch("aarch64") == "arm64"
    assert npm_arch("i686") == "ia32"


@pytest.mark.parametrize(
    ("raw", "kind", "package", "fetch"),
    [
        ("^1.2.3", "range", "dep", "^1.2.3"),
        ("1.2.3", "version", "dep", "1.2.3"),
        ("v1.2.3", "version", "dep", "v1.2.3"),
        ("", "range", "dep", ""),
        ("latest", "tag", "dep", "latest"),
        ("npm:@scope/real@^2", "range", "@scope/real", "^2"),
        ("npm:real", "range", "real", ""),
        ("github:owner/repo", "unsupported", "dep", "github:owner/repo"),
        ("owner/repo#v1", "unsupported", "dep", "owner/repo#v1"),
        ("git+https://example.com/r.git", "unsupported", "dep", "git+https://example.com/r.git"),
        ("https://example.com/x.tgz", "unsupported", "dep", "https://example.com/x.tgz"),
        ("file:../local", "unsupported", "dep", "file:../local"),
        ("not a tag!", "unsupported", "dep", "not a tag!"),
    ],
)
def test_spec_classification(raw: str, kind: str, package: str, fetch: str) -> None:
    spec = parse_spec("dep", raw)
    assert (spec.kind, spec.package, spec.fetch) == (kind, package, fetch)


def test_offline_resolution_replays_the_cache(server: RegistryServer, tmp_path: Path) -> None:
    publish(
        server,
        pkg("top", {"1.0.0": {"dependencies": {"leaf": "^1"}}}),
        pkg("leaf", {"1.0.0": {}, "1.2.0": {}}),
    )
    with HttpClient(HttpConfig(cache_dir=tmp_path, retries=0)) as client:
        online = NpmResolver(NpmRegistry(client, server.url), platform=None).resolve([ref("top")])
    requests_before = len(server.requests)
    with HttpClient(HttpConfig(cache_dir=tmp_path, offline=True)) as client:
        offline = NpmResolver(NpmRegistry(client, server.url), platform=None).resolve([ref("top")])
        assert client.network_requests == 0
        with pytest.raises(OfflineCacheMiss):
            NpmResolver(NpmRegistry(client, server.url)).resolve([ref("elsewhere")])
    assert offline == online
    assert len(server.requests) == requests_before


def test_a_runaway_graph_stops_with_a_problem(
    server: RegistryServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mcpscan.resolve.npm import build

    monkeypatch.setattr(build, "MAX_NODES", 3)
    publish(
        server, *(pkg(f"c{i}", {"1.0.0": {"dependencies": {f"c{i + 1}": "1"}}}) for i in range(8))
    )
    graph = resolve(server, [ref("c0")])
    assert [p.reason for p in graph.problems] == ["too-large"]
    assert 0 < len(graph.nodes) < 8
