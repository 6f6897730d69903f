from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcpscan.advisories.interface import Query
from mcpscan.advisories.npm_audit import BULK_PATH, NpmBulkAdvisorySource
from mcpscan.advisories.osv_api import OsvApiSource
from mcpscan.advisories.pypi import PypiJsonSource
from mcpscan.advisories.service import AdvisoryService, build_advisory_service
from mcpscan.models import Severity
from mcpscan.net.http import HttpClient, HttpConfig
from tests.support.registry_server import RegistryServer, Route

from .osv_support import records, serve_osv
from .test_offline import CASES


def _client(tmp_path: Path | None = None) -> HttpClient:
    return HttpClient(HttpConfig(cache_dir=tmp_path, retries=1, backoff=0, timeout=5))


def test_osv_api_batches_then_fetches_the_hits(
    registry_server: RegistryServer, tmp_path: Path
) -> None:
    serve_osv(registry_server)
    service = build_advisory_service(
        _client(tmp_path / "http"),
        databases=[],
        offline=False,
        cache_dir=tmp_path / "c",
        osv_url=registry_server.url,
    )
    report = service.check([(e, n, v) for e, n, v, _ in CASES])
    assert report.incomplete == ()
    for eco, name, version, expected in CASES:
        got = {m.advisory.id for m in report.for_package(eco, name, version)}
        assert got == expected, (name, version)
    # Every package in one POST; each distinct hit fetched once.
    assert [p for p, _ in registry_server.posted] == ["/v1/querybatch"]
    sent = json.loads(registry_server.posted[0][1])["queries"]
    assert {"package": {"ecosystem": "PyPI", "name": "mcp"}, "version": "1.9.3"} in sent
    assert registry_server.count("/v1/vulns/GHSA-6xpm-ggf7-wc3p") == 1
    (remote,) = report.for_package("npm", "mcp-remote", "0.1.15")
    assert remote.advisory.severity is Severity.CRITICAL
    assert remote.fixed == ("0.1.16",)
    assert remote.advisory.sources == ("OSV",)

    # A rescan asks nothing: batch answers and records come from the cache.
    again = build_advisory_service(
        _client(tmp_path / "http"),
        databases=[],
        offline=False,
        cache_dir=tmp_path / "c",
        osv_url=registry_server.url,
    ).check([(e, n, v) for e, n, v, _ in CASES])
    assert again.matches == report.matches
    assert len(registry_server.posted) == 1
    assert registry_server.count("/v1/vulns/GHSA-6xpm-ggf7-wc3p") == 1


def test_name_only_query_returns_every_record_of_the_package(
    registry_server: RegistryServer,
) -> None:
    serve_osv(registry_server)
    source = OsvApiSource(_client(), registry_server.url)
    answer = source.lookup([Query("npm", "postmark-mcp", None)])
    (match,) = answer.matches[Query("npm", "postmark-mcp", None)]
    assert match.advisory.id == "MAL-2025-47604"
    assert match.advisory.malicious
    assert "version" not in json.loads(registry_server.posted[0][1])["queries"][0]


def test_osv_server_error_makes_the_report_incomplete(registry_server: RegistryServer) -> None:
    registry_server.add("/v1/querybatch", Route(status=500, body=b"oops"))
    service = build_advisory_service(
        _client(), databases=[], offline=False, cache_dir=None, osv_url=registry_server.url
    )
    report = service.check([("npm", "mcp-remote", "0.1.15")])
    (why,) = report.incomplete
    assert "OSV API" in why
    assert "500" in why
    assert report.matches == {}
    assert len(registry_server.posted) == 2  # retried once


def test_unreachable_osv_is_incomplete_not_clean() -> None:
    service = build_advisory_service(
        HttpClient(HttpConfig(cache_dir=None, retries=0, timeout=2)),
        databases=[],
        offline=False,
        cache_dir=None,
        osv_url="http://127.0.0.1:9",
    )
    report = service.check([("npm", "mcp-remote", "0.1.15")])
    assert report.incomplete
    assert "cannot reach" in report.incomplete[0]


def test_malformed_batch_answer_is_incomplete(registry_server: RegistryServer) -> None:
    registry_server.add("/v1/querybatch", Route(body=b'{"results": []}'))
    report = build_advisory_service(
        _client(), databases=[], offline=False, cache_dir=None, osv_url=registry_server.url
    ).check([("npm", "mcp-remote", "0.1.15")])
    assert "does not match" in report.incomplete[0]


def test_pagination_follows_next_page_token(registry_server: RegistryServer) -> None:
    recs = records()
    pages = iter(
        [
            {"results": [{"vulns": [{"id": "GHSA-9h52-p55h-vw2f"}], "next_page_token": "p2"}]},
            {"results": [{"vulns": [{"id": "GHSA-j975-95f5-7wqh"}]}]},
        ]
    )
    registry_server.add(
        "/v1/querybatch", Route(responder=lambda body: json.dumps(next(pages)).encode())
    )
    for rid in ("GHSA-9h52-p55h-vw2f", "GHSA-j975-95f5-7wqh"):
        registry_server.add(f"/v1/vulns/{rid}", json.dumps(recs[rid]))
    answer = OsvApiSource(_client(), registry_server.url).lookup([Query("pypi", "mcp", "1.9.4")])
    ids = {m.advisory.id for m in answer.matches[Query("pypi", "mcp", "1.9.4")]}
    assert ids == {"GHSA-9h52-p55h-vw2f", "GHSA-j975-95f5-7wqh"}
    assert json.loads(registry_server.posted[1][1])["queries"][0]["page_token"] == "p2"


# -- PyPI JSON and npm bulk, combined with OSV ---------------------------------------------

PYSEC = {
    "id": "PYSEC-2023-74",
    "aliases": ["CVE-2023-32681", "GHSA-j8r2-6x86-q33q"],
    "details": "Requests is a HTTP library. Since Requests 2.3.0, ...",
    "summary": None,
    "fixed_in": ["2.31.0"],
    "link": "https://osv.dev/vulnerability/PYSEC-2023-74",
    "source": "osv",
    "withdrawn": None,
}


def _pypi_docs(server: RegistryServer) -> None:
    server.add(
        "/pypi/requests/json",
        json.dumps(
            {
                "info": {"name": "requests", "version": "2.32.3"},
                "releases": {"2.30.0": [], "2.32.3": []},
                "vulnerabilities": [],
            }
        ),
    )
    server.add(
        "/pypi/requests/2.30.0/json",
        json.dumps(
            {
                "info": {"name": "requests", "version": "2.30.0"},
                "vulnerabilities": [PYSEC],
            }
        ),
    )


def test_sources_are_deduplicated_by_id_and_aliases(
    registry_server: RegistryServer, tmp_path: Path
) -> None:
    serve_osv(registry_server)
    _pypi_docs(registry_server)
    bulk = {
        "lodash": [
            {
                "id": 1106913,
                "url": "https://github.com/advisories/GHSA-35jh-r3h4-6jhm",
                "title": "Command Injection in lodash",
                "severity": "high",
                "vulnerable_versions": "<4.17.21",
                "cvss": {
                    "score": 7.2,
                    "vectorString": "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H",
                },
            },
            {
                "id": 2,
                "url": "https://www.npmjs.com/advisories/2",  # no GHSA id: NPM-2
                "title": "Prototype pollution in lodash",
                "severity": "moderate",
                "vulnerable_versions": "<4.17.12",
            },
        ]
    }
    registry_server.add(BULK_PATH, Route(responder=lambda body: json.dumps(bulk).encode()))
    http = _client()
    url = registry_server.url
    service = AdvisoryService(
        [
            OsvApiSource(http, url),
            PypiJsonSource(http, f"{url}/pypi"),
            NpmBulkAdvisorySource(http, url),
        ]
    )
    report = service.check(
        [("pypi", "requests", "2.30.0"), ("npm", "lodash", "4.17.20"), ("npm", "lodash", "4.17.11")]
    )
    assert report.incomplete == ()
    assert report.warnings == ()
    (req,) = report.for_package("pypi", "requests", "2.30.0")
    assert req.advisory.id == "GHSA-j8r2-6x86-q33q"  # OSV leads
    assert req.advisory.aliases == ("CVE-2023-32681", "PYSEC-2023-74")
    assert req.advisory.sources[0] == "OSV"
    assert len(req.advisory.sources) == 2
    assert req.fixed == ("2.31.0",)
    (lodash,) = report.for_package("npm", "lodash", "4.17.20")
    assert lodash.advisory.id == "GHSA-35jh-r3h4-6jhm"
    assert len(lodash.advisory.sources) == 2
    older = report.for_package("npm", "lodash", "4.17.11")
    assert {m.advisory.id for m in older} == {"GHSA-35jh-r3h4-6jhm", "NPM-2"}
    assert json.loads(registry_server.posted[-1][1]) == {"lodash": ["4.17.11", "4.17.20"]}


def test_pypi_json_alone_empty_is_no_data(registry_server: RegistryServer) -> None:
    _pypi_docs(registry_server)
    registry_server.add(
        "/pypi/idna/json",
        json.dumps(
            {
                "info": {"name": "idna", "version": "3.7"},
                "releases": {"3.7": []},
                "vulnerabilities": [],
            }
        ),
    )
    source = PypiJsonSource(_client(), f"{registry_server.url}/pypi")
    answer = source.lookup([Query("pypi", "requests", "2.30.0"), Query("pypi", "idna", "3.7")])
    assert answer.checked == {Query("pypi", "requests", "2.30.0")}
    (m,) = answer.matches[Query("pypi", "requests", "2.30.0")]
    assert m.advisory.id == "PYSEC-2023-74"
    assert m.fixed == ("2.31.0",)


def test_pypi_mirror_without_per_version_json_is_asked_once(
    registry_server: RegistryServer,
) -> None:
    registry_server.add(
        "/pypi/mcp/json",
        json.dumps(
            {
                "info": {"name": "mcp", "version": "1.23.0"},
                "releases": {"1.9.3": [], "1.9.4": [], "1.23.0": []},
                "vulnerabilities": [],
            }
        ),
    )
    source = PypiJsonSource(
        HttpClient(HttpConfig(cache_dir=None, max_workers=1)), f"{registry_server.url}/pypi"
    )
    answer = source.lookup([Query("pypi", "mcp", "1.9.3"), Query("pypi", "mcp", "1.9.4")])
    assert answer.checked == frozenset()
    asked = [p for p, _ in registry_server.requests if p.startswith("/pypi/mcp/1.")]
    assert len(asked) == 1


def test_failing_supplementary_source_only_warns(registry_server: RegistryServer) -> None:
    serve_osv(registry_server)
    http = _client()
    service = AdvisoryService(
        [
            OsvApiSource(http, registry_server.url),
            NpmBulkAdvisorySource(http, registry_server.url),  # the mirror lacks the endpoint
        ]
    )
    report = service.check([("npm", "mcp-remote", "0.1.15")])
    assert report.incomplete == ()
    assert len(report.warnings) == 1
    assert "404" in report.warnings[0]
    assert report.for_package("npm", "mcp-remote", "0.1.15")


@pytest.mark.parametrize("offline", [True, False])
def test_build_online_sources(offline: bool, tmp_path: Path) -> None:
    service = build_advisory_service(
        _client(),
        databases=[],
        offline=offline,
        cache_dir=tmp_path,
        npm_registry_url="http://127.0.0.1:1",
    )
    names = [s.name for s in service.sources]
    if offline:
        assert names == []
    else:
        assert names[0].startswith("OSV API")
        assert names[1].startswith("npm bulk")
