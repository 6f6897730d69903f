"""The provenance service: each artifact checked once, results handed back per connector."""

from __future__ import annotations

import threading

import pytest

from mcpscan.errors import NetworkError
from mcpscan.models import (
    Decision,
    Graph,
    ProvenanceResult,
    ProvenanceState,
    ResolvedPackage,
)
from mcpscan.net.http import HttpClient, HttpConfig
from mcpscan.provenance.interface import ProvenanceUnavailable, ProvenanceVerifier
from mcpscan.provenance.pypi import PypiProvenance
from mcpscan.provenance.service import ProvenanceService, build_provenance_service
from tests.provenance.test_pypi import VECTORS, node, serve_provenance
from tests.support.registry_server import RegistryServer


def pkg(name: str, eco: str = "npm") -> ResolvedPackage:
    return ResolvedPackage(eco, name, "1.0.0", f"pkg:{eco}/{name}@1.0.0", Decision.PINNED)


def graph(*nodes: ResolvedPackage) -> Graph:
    return Graph(roots=(nodes[0].purl,), nodes=nodes)


class Recording(ProvenanceVerifier):
    ecosystem = "npm"

    def __init__(self, fail: frozenset[str] = frozenset()) -> None:
        self.calls: list[str] = []
        self.threads: set[str] = set()
        self.fail = fail
        self._lock = threading.Lock()

    def check(self, node: ResolvedPackage) -> tuple[ProvenanceResult, ...]:
        with self._lock:
            self.calls.append(node.purl)
            self.threads.add(threading.current_thread().name)
        if node.name in self.fail:
            raise ProvenanceUnavailable(f"cannot reach the registry for {node.name}")
        return (ProvenanceResult(node.purl, "npm-provenance", ProvenanceState.VERIFIED, "ok"),)


def test_each_artifact_is_checked_once_across_connectors() -> None:
    a, b, c = pkg("a"), pkg("b"), pkg("c")
    verifier = Recording()
    results = ProvenanceService({"npm": verifier}).check([graph(a, b), None, graph(c, b, a)])

    assert sorted(verifier.calls) == [a.purl, b.purl, c.purl]
    assert results[1] is None
    assert [r.purl for r in results[0] or ()] == [a.purl, b.purl]
    assert [r.purl for r in results[2] or ()] == [c.purl, b.purl, a.purl]


def test_checks_run_concurrently_through_the_client() -> None:
    verifier = Recording()
    client = HttpClient(HttpConfig(cache_dir=None, max_workers=4))
    ProvenanceService({"npm": verifier}, client=client).check(
        [graph(*(pkg(f"p{i}") for i in range(8)))]
    )
    assert len(verifier.calls) == 8
    assert all(name.startswith("mcpscan-http") for name in verifier.threads)


def test_ecosystem_without_verifier_is_absent_not_verified() -> None:
    [results] = ProvenanceService({"npm": Recording()}).check([graph(pkg("x", "oci"))])
    assert results is not None
    [only] = results
    assert only.state is ProvenanceState.ABSENT
    assert "no provenance check exists for oci" in only.reason


@pytest.mark.parametrize("error", [ProvenanceUnavailable, NetworkError])
def test_unreachable_registry_is_unknown_and_incomplete(error: type[Exception]) -> None:
    class Failing(Recording):
        def check(self, node: ResolvedPackage) -> tuple[ProvenanceResult, ...]:
            raise error(f"cannot reach the registry for {node.name}")

    report = ProvenanceService({"npm": Failing()}).check_report([graph(pkg("a"))])
    [results] = report.results
    assert results is not None
    # Not checked is not "absent": nothing says the registry declared nothing.
    assert [(r.kind, r.state) for r in results] == [("npm-provenance", ProvenanceState.UNKNOWN)]
    assert report.incomplete == (
        "provenance of a@1.0.0 not checked: cannot reach the registry for a",
    )


def test_only_failing_artifacts_make_the_report_incomplete() -> None:
    report = ProvenanceService({"npm": Recording(fail=frozenset({"b"}))}).check_report(
        [graph(pkg("a"), pkg("b"))]
    )
    assert len(report.incomplete) == 1
    assert "b@1.0.0" in report.incomplete[0]
    [results] = report.results
    assert [r.state for r in results or ()] == [ProvenanceState.VERIFIED, ProvenanceState.UNKNOWN]


def test_real_pypi_verifier_fetches_once_for_two_connectors(
    registry_server: RegistryServer,
) -> None:
    filename = "pypi_attestations-0.0.19.tar.gz"
    path = serve_provenance(
        registry_server,
        "pypi-attestations",
        "0.0.19",
        filename,
        (VECTORS / f"{filename}.provenance").read_bytes(),
    )
    shared = node(registry_server, "pypi-attestations", "0.0.19", filename)
    client = HttpClient(HttpConfig(cache_dir=None, retries=0))
    service = ProvenanceService(
        {"pypi": PypiProvenance(client, registry_server.url)}, client=client
    )

    first, second = service.check([graph(shared), graph(pkg("other", "pypi"), shared)])

    assert registry_server.count(path) == 1
    assert [r.state for r in first or ()] == [ProvenanceState.VERIFIED]
    assert second is not None
    assert [r.state for r in second] == [ProvenanceState.ABSENT, ProvenanceState.VERIFIED]


def test_built_service_reports_a_mirror_without_provenance_as_absent(
    registry_server: RegistryServer,
) -> None:
    filename = "pypi_attestations-0.0.19.tar.gz"
    serve_provenance(
        registry_server,
        "pypi-attestations",
        "0.0.19",
        filename,
        (VECTORS / f"{filename}.provenance").read_bytes(),
    )
    client = HttpClient(HttpConfig(cache_dir=None, retries=0))
    service = build_provenance_service(
        client, npm_registry_url=registry_server.url, pypi_integrity_url=registry_server.url
    )
    python = node(registry_server, "pypi-attestations", "0.0.19", filename)

    report = service.check_report([graph(pkg("left-pad"), python)])

    [results] = report.results
    assert results is not None
    npm_results = [r for r in results if r.purl == "pkg:npm/left-pad@1.0.0"]
    assert npm_results
    assert all(r.state is ProvenanceState.ABSENT for r in npm_results)
    assert [r.state for r in results if r.purl == python.purl] == [ProvenanceState.VERIFIED]
    assert report.incomplete == ()


def test_built_service_without_npm_registry_leaves_npm_absent() -> None:
    client = HttpClient(HttpConfig(cache_dir=None))
    service = build_provenance_service(client, npm_registry_url=None, pypi_integrity_url=None)
    [results] = service.check([graph(pkg("left-pad"))])
    assert [r.state for r in results or ()] == [ProvenanceState.ABSENT]
