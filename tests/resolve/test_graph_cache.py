"""Finished graphs on disk: same graph back, keyed by everything it depends on."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from mcpscan.models import (
    Decision,
    Digest,
    Edge,
    Graph,
    PackageFacts,
    PackageRef,
    ResolutionProblem,
    ResolvedPackage,
    VersionKind,
)
from mcpscan.net.http import HttpClient, HttpConfig
from mcpscan.registry.npm import NpmRegistry
from mcpscan.resolve.graph_cache import GraphCache
from mcpscan.resolve.npm import NpmResolver
from tests.support.registry_server import RegistryServer, Route

GRAPH = Graph(
    roots=("pkg:npm/top@1.0.0",),
    nodes=(
        ResolvedPackage(
            "npm",
            "top",
            "1.0.0",
            "pkg:npm/top@1.0.0",
            Decision.LATEST,
            "latest",
            (Digest("sha512", "ab" * 64), Digest("sha1", "cd" * 20)),
            PackageFacts(
                published="2026-01-01T00:00:00Z",
                maintainers=("a", "b"),
                previous_maintainers=None,
                install_scripts=("postinstall",),
                has_install_script=True,
                pth_files=None,
                artifact_size=123,
                deprecated="use other",
            ),
        ),
        ResolvedPackage("npm", "leaf", "2.0.0", "pkg:npm/leaf@2.0.0", Decision.RANGE, "^2"),
    ),
    edges=(Edge("pkg:npm/top@1.0.0", "pkg:npm/leaf@2.0.0", "^2"),),
    problems=(
        ResolutionProblem(
            "npm", "gone", "^1", "not-found", "gone does not exist", ("pkg:npm/top@1.0.0",)
        ),
    ),
)


def http(cache: Path | None, **extra: object) -> HttpClient:
    return HttpClient(HttpConfig(cache_dir=cache, retries=0, backoff=0.0, **extra))  # type: ignore[arg-type]


def test_a_graph_comes_back_equal(tmp_path: Path) -> None:
    cache = GraphCache.for_roots(http(tmp_path), "npm", {"roots": ["top"]})
    assert cache is not None
    assert cache.load() is None
    cache.save(GRAPH)
    again = GraphCache.for_roots(http(tmp_path), "npm", {"roots": ["top"]})
    assert again is not None
    loaded = again.load()
    assert loaded == GRAPH
    assert loaded is not None
    assert isinstance(loaded.nodes[0].decided_by, Decision)
    assert isinstance(loaded.nodes[0].facts.maintainers, tuple)


def test_the_key_covers_the_settings(tmp_path: Path) -> None:
    first = GraphCache.for_roots(http(tmp_path), "npm", {"roots": ["top"], "target": "linux"})
    assert first is not None
    first.save(GRAPH)
    for other in ({"roots": ["top"], "target": "darwin"}, {"roots": ["other"]}):
        cache = GraphCache.for_roots(http(tmp_path), "npm", other)
        assert cache is not None
        assert cache.load() is None
    pypi = GraphCache.for_roots(http(tmp_path), "pypi", {"roots": ["top"], "target": "linux"})
    assert pypi is not None
    assert pypi.load() is None


def test_stale_online_kept_offline(tmp_path: Path) -> None:
    cache = GraphCache.for_roots(http(tmp_path, ttl_seconds=0), "npm", {"roots": []})
    assert cache is not None
    cache.save(GRAPH)
    time.sleep(0.01)
    assert cache.load() is None
    offline = GraphCache.for_roots(http(tmp_path, offline=True), "npm", {"roots": []})
    assert offline is not None
    assert offline.load() == GRAPH


def test_a_damaged_entry_is_a_miss(tmp_path: Path) -> None:
    cache = GraphCache.for_roots(http(tmp_path), "npm", {"roots": []})
    assert cache is not None
    cache.save(GRAPH)
    path = next((tmp_path / "npm-resolutions").glob("*.json"))
    record = json.loads(path.read_text())
    record["payload"]["nodes"][0]["decided_by"] = "guessed"
    path.write_text(json.dumps(record))
    assert cache.load() is None


def test_no_cache_dir_no_graph_cache() -> None:
    assert GraphCache.for_roots(http(None), "npm", {"roots": []}) is None


def test_npm_rescan_reuses_the_graph_without_requests(
    server: RegistryServer, tmp_path: Path
) -> None:
    body = {
        "name": "solo",
        "dist-tags": {"latest": "1.0.0"},
        "versions": {
            "1.0.0": {"name": "solo", "version": "1.0.0", "dist": {"tarball": "https://x/solo.tgz"}}
        },
    }
    root = PackageRef("npm", "solo", None, VersionKind.UNSPECIFIED, purl="pkg:npm/solo")
    server.add("/solo", Route(body=json.dumps(body).encode()))
    with http(tmp_path) as client:
        first = NpmResolver(NpmRegistry(client, server.url), platform=None).resolve([root])
    # The stored packument is gone: only the graph cache can answer without a request.
    for stored in (tmp_path / "npm-packuments").glob("*.json"):
        stored.unlink()
    with http(tmp_path) as client:
        again = NpmResolver(NpmRegistry(client, server.url), platform=None).resolve([root])
        assert client.network_requests == 0
    with http(tmp_path) as client:
        other_target = NpmResolver(
            NpmRegistry(client, server.url), platform="linux", arch="x64", libc="glibc"
        ).resolve([root])
        assert client.network_requests == 1
    assert again == first
    assert other_target.nodes == first.nodes
    assert server.count("/solo") == 2


EMPTY: dict[str, list[object]] = {"roots": [], "nodes": [], "edges": [], "problems": []}


@pytest.mark.parametrize(
    "bad",
    [
        {**EMPTY, "roots": "not a list"},
        {**EMPTY, "roots": [1]},
        {**EMPTY, "edges": [{"parent": "a", "child": "b"}]},  # a required field missing
        {**EMPTY, "nodes": [{"ecosystem": "npm"}]},
        [],
    ],
)
def test_payloads_of_another_shape_do_not_decode(tmp_path: Path, bad: object) -> None:
    cache = GraphCache.for_roots(http(tmp_path), "npm", {"roots": []})
    assert cache is not None
    cache.store.save(cache.key, EMPTY)
    assert cache.load() == Graph()
    cache.store.save(cache.key, bad)
    assert cache.load() is None
