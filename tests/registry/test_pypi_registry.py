"""PypiRegistry against the local server: index formats, metadata paths, facts, faults."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from mcpscan.errors import NetworkError, OfflineCacheMiss, RegistryError
from mcpscan.net.http import HttpClient, HttpConfig
from mcpscan.redaction import display_url, scrub_text
from mcpscan.registry.interface import PackageNotFound
from mcpscan.registry.pypi import (
    DistFile,
    MetadataUnavailable,
    PypiRegistry,
    derive_json_url,
    parse_metadata,
)
from mcpscan.registry.wheel import IntegrityError
from tests.fixtures.pypi.server import (
    FIXTURES,
    SIMPLE_JSON,
    SyntheticIndex,
    metadata_text,
    serve_recorded,
    stand_in_wheel,
)
from tests.support.registry_server import RegistryServer, Route

TIME_WHEEL = "mcp_server_time-2026.10.19-py3-none-any.whl"


def _client(tmp_path: Path | None = None, **kw: object) -> HttpClient:
    config = HttpConfig(cache_dir=tmp_path, retries=2, backoff=0, timeout=2, **kw)  # type: ignore[arg-type]
    return HttpClient(config)


def _registry(
    server: RegistryServer, client: HttpClient | None = None, json_url: str | None = None
) -> PypiRegistry:
    return PypiRegistry(client or _client(), f"{server.url}/simple", json_url)


def _file(registry: PypiRegistry, name: str, filename: str) -> DistFile:
    return next(f for f in registry.index(name).files if f.filename == filename)


def _serve_page(server: RegistryServer, page: dict[str, Any]) -> None:
    server.add(
        f"/simple/{page['name']}/", Route(body=json.dumps(page).encode(), content_type=SIMPLE_JSON)
    )


# -- URLs ----------------------------------------------------------------------------------


def test_json_url_is_derived_only_from_a_simple_index() -> None:
    assert derive_json_url("https://pypi.org/simple") == "https://pypi.org/pypi"
    assert (
        derive_json_url("https://mirror.example/repo/simple/") == "https://mirror.example/repo/pypi"
    )
    assert derive_json_url("https://mirror.example/devpi/root/pypi/+simple") is None


def test_display_url_drops_credentials() -> None:
    assert (
        display_url("https://user:s3cret@mirror.example/simple") == "https://mirror.example/simple"
    )
    assert display_url("https://pypi.org/simple") == "https://pypi.org/simple"
    text = "https://tok3n@mirror.example/files/x.whl answered 404; see http://a:b@c/d"
    assert scrub_text(text) == "https://mirror.example/files/x.whl answered 404; see http://c/d"
    # A token in the query of an index URL is not kept either (it used to be).
    assert display_url("https://mirror.example/simple/?token=s3cret") == (
        "https://mirror.example/simple/?token=REDACTED"
    )


def test_empty_json_url_disables_the_json_api(registry_server: RegistryServer) -> None:
    registry = _registry(registry_server, json_url="")
    assert registry.json_url is None
    assert registry.project_json("anything") is None
    with pytest.raises(RegistryError, match="no JSON API"):
        registry.package("anything")


# -- index pages ---------------------------------------------------------------------------


def test_pep691_page_is_requested_and_parsed(registry_server: RegistryServer) -> None:
    serve_recorded(registry_server)
    registry = _registry(registry_server)
    index = registry.index("MCP_Server.Time")  # any spelling: the canonical name is fetched
    assert index.api == "json"
    assert index.name == "mcp-server-time"
    accept = next(
        h["Accept"] for p, h in registry_server.requests if p == "/simple/mcp-server-time/"
    )
    assert accept.startswith(SIMPLE_JSON)
    wheel = next(f for f in index.files if f.filename == TIME_WHEEL)
    assert wheel.url == f"{registry_server.url}/files/{TIME_WHEEL}"  # relative URL resolved
    assert wheel.sha256 == "5c099a001c6ca78260bda419f2e9b2aabee1adc4fe6ca56d8959871ad8da58a1"
    assert wheel.requires_python == ">=3.10"
    assert wheel.upload_time == "2026-10-19T06:48:51.554744Z"
    assert wheel.size == 9886
    assert wheel.kind == "wheel"
    assert str(wheel.version) == "2026.10.19"
    assert {str(t) for t in wheel.tags} == {"py3-none-any"}
    assert {f.kind for f in index.files} == {"wheel", "sdist"}


@pytest.mark.parametrize("project", ["mcp-server-time", "tzlocal"])
def test_pep503_html_page_matches_the_json_page(
    registry_server: RegistryServer, project: str
) -> None:
    """The recorded HTML and JSON pages of one project describe the same files."""
    registry_server.add(
        f"/simple/{project}/",
        Route(
            body=(FIXTURES / "simple" / f"{project}.html").read_bytes(), content_type="text/html"
        ),
    )
    html_index = _registry(registry_server).index(project)
    assert html_index.api == "html"
    doc = json.loads((FIXTURES / "simple" / f"{project}.json").read_text())
    expected = {
        (f["filename"], f["hashes"]["sha256"], f.get("requires-python")) for f in doc["files"]
    }
    got = {(f.filename, f.sha256, f.requires_python) for f in html_index.files}
    assert got == expected
    assert all(f.url.startswith(f"{registry_server.url}/files/") for f in html_index.files)


def test_html_page_attributes(registry_server: RegistryServer) -> None:
    page = b"""<html><head><base href="/mirror/"></head><body>
    <a href="files/demo-1.0-py3-none-any.whl#sha256=AB12" data-requires-python="&gt;=3.9"
       data-yanked="broken build" data-core-metadata="sha256=cd34">demo-1.0-py3-none-any.whl</a>
    <a href="files/demo-1.1.tar.gz#md5=ff" data-dist-info-metadata="true">demo-1.1.tar.gz</a>
    <a href="files/demo-1.2.exe">installer</a>
    <a href="files/other-9.0-py3-none-any.whl">not this project</a>
    <a href="files/demo-latest.tar.gz">invalid version</a>
    </body></html>"""
    registry_server.add("/simple/demo/", Route(body=page, content_type="text/html"))
    files = _registry(registry_server).index("demo").files
    assert [f.filename for f in files] == ["demo-1.0-py3-none-any.whl", "demo-1.1.tar.gz"]
    wheel, sdist = files
    assert wheel.url == f"{registry_server.url}/mirror/files/demo-1.0-py3-none-any.whl"
    assert wheel.hashes == (("sha256", "ab12"),)
    assert wheel.requires_python == ">=3.9"
    assert wheel.yanked
    assert wheel.yanked_reason == "broken build"
    assert wheel.metadata_file
    assert wheel.metadata_hashes == (("sha256", "cd34"),)
    assert sdist.sha256 is None
    assert sdist.hashes == (("md5", "ff"),)
    assert sdist.metadata_file
    assert not sdist.yanked
    assert sdist.yanked_reason is None


def test_pep691_yanked_reason_and_metadata_flags(registry_server: RegistryServer) -> None:
    page = {
        "meta": {"api-version": "1.1"},
        "name": "demo",
        "files": [
            {
                "filename": "demo-1.0-py3-none-any.whl",
                "url": "https://files.example/demo-1.0-py3-none-any.whl",
                "hashes": {"sha256": "AA"},
                "yanked": "CVE-2099-1",
                "core-metadata": {"sha256": "bb"},
            },
            {
                "filename": "demo-2.0-py3-none-any.whl",
                "url": "/x/demo-2.0-py3-none-any.whl",
                "hashes": {},
                "yanked": True,
                "dist-info-metadata": True,
            },
        ],
    }
    _serve_page(registry_server, page)
    first, second = _registry(registry_server).index("demo").files
    assert first.url == "https://files.example/demo-1.0-py3-none-any.whl"
    assert (first.yanked, first.yanked_reason) == (True, "CVE-2099-1")
    assert first.metadata_hashes == (("sha256", "bb"),)
    assert (second.yanked, second.yanked_reason) == (True, "")
    assert second.url == f"{registry_server.url}/x/demo-2.0-py3-none-any.whl"
    assert second.metadata_file
    assert second.sha256 is None


def test_unsupported_simple_api_version_is_an_error(registry_server: RegistryServer) -> None:
    page = {"meta": {"api-version": "2.0"}, "name": "demo", "files": []}
    _serve_page(registry_server, page)
    with pytest.raises(RegistryError, match=r"unsupported Simple API version 2\.0"):
        _registry(registry_server).index("demo")


def test_missing_project_is_package_not_found(registry_server: RegistryServer) -> None:
    with pytest.raises(PackageNotFound, match="no-such-project is not on the index"):
        _registry(registry_server).index("no-such-project")


# -- metadata paths ------------------------------------------------------------------------


def test_pep658_metadata_is_used_and_digest_checked(registry_server: RegistryServer) -> None:
    serve_recorded(registry_server, metadata="pep658")
    registry = _registry(registry_server)
    meta = registry.metadata(_file(registry, "mcp-server-time", TIME_WHEEL))
    assert meta.source == "pep658"
    assert meta.requires_dist == (
        "mcp<3,>=2.3",
        "pydantic>=2.0.0",
        "tzdata>=2024.2",
        "tzlocal>=5.3.1",
    )
    assert registry_server.count(f"/files/{TIME_WHEEL}") == 0  # the wheel itself not fetched


def test_pep658_digest_mismatch_is_an_integrity_error(registry_server: RegistryServer) -> None:
    body = metadata_text("demo", "1.0")
    page = {
        "meta": {"api-version": "1.1"},
        "name": "demo",
        "files": [
            {
                "filename": "demo-1.0-py3-none-any.whl",
                "url": "/files/demo-1.0-py3-none-any.whl",
                "hashes": {"sha256": "00"},
                "core-metadata": {"sha256": "0" * 64},
            }
        ],
    }
    _serve_page(registry_server, page)
    registry_server.add("/files/demo-1.0-py3-none-any.whl.metadata", Route(body=body))
    registry = _registry(registry_server)
    with pytest.raises(IntegrityError, match="does not match"):
        registry.metadata(registry.index("demo").files[0])


def test_range_requests_read_a_real_wheel(registry_server: RegistryServer) -> None:
    serve_recorded(registry_server, metadata="range")
    registry = _registry(registry_server)
    file = _file(registry, "mcp-server-time", TIME_WHEEL)
    meta = registry.metadata(file)
    assert meta.source == "range"
    assert meta.name == "mcp-server-time"
    assert meta.version == "2026.10.19"
    assert meta.mcp_name == "io.github.modelcontextprotocol/server-time"
    wheel_requests = [h for p, h in registry_server.requests if p == f"/files/{TIME_WHEEL}"]
    assert len(wheel_requests) == 1  # a 9.9 kB wheel: one range covers it
    assert wheel_requests[0]["Range"] == "bytes=0-9885"
    assert registry.wheel_contents(file).pth_files == ()


def test_range_reads_of_a_large_wheel_fetch_only_its_end(registry_server: RegistryServer) -> None:
    """A 1 MB wheel whose central directory is beyond the first 64 kB tail."""
    import os

    filler = {f"demo/mod{i:04d}/{'x' * 60}.py": b"" for i in range(1500)}
    filler["demo/blob.bin"] = os.urandom(1024 * 1024)  # incompressible
    wheel = stand_in_wheel(
        "demo-1.0-py3-none-any.whl", metadata_text("demo", "1.0", ["idna"]), extra=filler
    )
    index = SyntheticIndex(registry_server)
    registry_server.add("/files/demo-1.0-py3-none-any.whl", Route(body=wheel))
    page = {
        "meta": {"api-version": "1.1"},
        "name": "demo",
        "files": [
            {
                "filename": "demo-1.0-py3-none-any.whl",
                "url": "/files/demo-1.0-py3-none-any.whl",
                "hashes": {"sha256": hashlib.sha256(wheel).hexdigest()},
                "size": len(wheel),
            }
        ],
    }
    _serve_page(registry_server, page)
    registry = PypiRegistry(_client(), index.url, "")
    meta = registry.metadata(registry.index("demo").files[0])
    assert meta.source == "range"
    assert meta.requires_dist == ("idna",)
    ranges = [h["Range"] for p, h in registry_server.requests if p.startswith("/files/")]
    assert 2 <= len(ranges) <= 4
    fetched = 0
    for value in ranges:
        start, end = value.removeprefix("bytes=").split("-")
        fetched += int(end) - int(start) + 1
    assert fetched < len(wheel) // 3


def test_server_ignoring_range_falls_back_to_the_download(registry_server: RegistryServer) -> None:
    serve_recorded(registry_server, metadata="range")
    seen: list[str | None] = []
    original = registry_server._handle

    def ignore_range(handler, *, head: bool = False) -> None:  # type: ignore[no-untyped-def]
        seen.append(handler.headers.get("Range"))
        del handler.headers["Range"]
        original(handler, head=head)

    registry_server._handle = ignore_range  # type: ignore[method-assign,assignment]
    registry = _registry(registry_server)
    file = _file(registry, "tzlocal", "tzlocal-5.4.5-py3-none-any.whl")
    meta = registry.metadata(file)
    assert meta.source == "download"
    assert meta.name == "tzlocal"
    assert any(value and value.startswith("bytes=") for value in seen)  # it did ask for a range


def test_downloaded_wheel_must_match_the_index_digest(registry_server: RegistryServer) -> None:
    wheel = stand_in_wheel("demo-1.0-py3-none-any.whl", metadata_text("demo", "1.0"))
    registry_server.add("/files/demo-1.0-py3-none-any.whl", Route(body=wheel))
    page = {
        "meta": {"api-version": "1.1"},
        "name": "demo",
        "files": [
            {
                "filename": "demo-1.0-py3-none-any.whl",
                "url": "/files/demo-1.0-py3-none-any.whl",
                "hashes": {"sha256": "1" * 64},
                "size": len(wheel),
            }
        ],
    }
    _serve_page(registry_server, page)
    registry = PypiRegistry(_client(), f"{registry_server.url}/simple", "")
    with pytest.raises(IntegrityError, match="does not match the index"):
        registry.metadata(registry.index("demo").files[0])


def test_sdist_pkg_info_is_read_as_data_when_static(registry_server: RegistryServer) -> None:
    url = (
        SyntheticIndex(registry_server)
        .add("demo", "1.0", ["idna>=3"], tags=(), sdist="static")
        .publish()
    )
    registry = PypiRegistry(_client(), url, "")
    meta = registry.metadata(registry.index("demo").files[0])
    assert meta.source == "sdist"
    assert meta.requires_dist == ("idna>=3",)


def test_dynamic_sdist_metadata_is_unavailable_not_built(registry_server: RegistryServer) -> None:
    url = (
        SyntheticIndex(registry_server)
        .add("demo", "1.0", ["idna>=3"], tags=(), sdist="dynamic")
        .publish()
    )
    registry = PypiRegistry(_client(), url, "")
    with pytest.raises(MetadataUnavailable, match="never builds"):
        registry.metadata(registry.index("demo").files[0])


def test_sdist_uses_the_json_api_before_downloading(registry_server: RegistryServer) -> None:
    url = (
        SyntheticIndex(registry_server)
        .add("demo", "1.0", tags=(), sdist="dynamic")
        .add("demo", "2.0", tags=(), sdist="dynamic")
        .publish()
    )
    latest = {
        "info": {"name": "demo", "version": "2.0", "requires_dist": ["idna>=3"]},
        "releases": {},
    }
    older = {"info": {"name": "demo", "version": "1.0", "requires_dist": ["six"]}}
    registry_server.add("/pypi/demo/json", json.dumps(latest))
    registry_server.add("/pypi/demo/1.0/json", json.dumps(older))
    registry = PypiRegistry(_client(), url)
    files = {f.version_text: f for f in registry.index("demo").files}
    assert registry.metadata(files["2.0"]).requires_dist == ("idna>=3",)
    assert registry.metadata(files["2.0"]).source == "json"
    assert registry.metadata(files["1.0"]).requires_dist == ("six",)
    assert registry_server.count("/files/demo-2.0.tar.gz") == 0
    assert registry_server.count("/files/demo-1.0.tar.gz") == 0


def test_missing_per_version_json_is_remembered(registry_server: RegistryServer) -> None:
    index = SyntheticIndex(registry_server)
    for version in ("1.0", "1.1", "2.0"):
        index.add("demo", version, ["idna"], tags=(), sdist="static")
    url = index.publish()
    registry_server.add(
        "/pypi/demo/json",
        json.dumps(
            {"info": {"name": "demo", "version": "2.0", "requires_dist": None}, "releases": {}}
        ),
    )
    registry = PypiRegistry(_client(), url)
    for file in registry.index("demo").files:
        assert registry.metadata(file).source == "sdist"
    per_version = [
        p
        for p, _ in registry_server.requests
        if p.startswith("/pypi/demo/") and p != "/pypi/demo/json"
    ]
    assert len(per_version) == 1  # the first 404 shows the mirror lacks the endpoint


# -- facts ---------------------------------------------------------------------------------


def test_facts_from_the_recorded_registry(registry_server: RegistryServer) -> None:
    serve_recorded(registry_server)
    registry = _registry(registry_server)
    file = _file(registry, "mcp-server-time", TIME_WHEEL)
    facts = registry.facts(file, registry.metadata(file), pth_files=())
    assert facts.published == "2026-10-19T06:48:51.554744Z"
    assert facts.package_created == "2024-11-29T11:30:55.031967Z"  # the first upload (0.5.1)
    assert facts.maintainers == ("cliffhall", "dsp", "jspahrsummers", "olaservo")
    assert facts.repository == "https://github.com/modelcontextprotocol/servers"
    assert facts.license == "MIT"
    assert facts.mcp_name == "io.github.modelcontextprotocol/server-time"
    assert facts.yanked is None
    assert facts.sdist_only is False
    assert facts.pth_files == ()
    assert facts.artifact_url == f"{registry_server.url}/files/{TIME_WHEEL}"
    assert facts.artifact_size == 9886


def test_organisation_owned_project_names_the_organisation(registry_server: RegistryServer) -> None:
    serve_recorded(registry_server)
    registry = _registry(registry_server)
    file = next(f for f in registry.index("attrs").files if f.kind == "wheel")
    assert registry.facts(file, None).maintainers == ("org:attrs",)


def test_facts_without_json_api_are_unknown_not_empty(registry_server: RegistryServer) -> None:
    serve_recorded(registry_server, json_api=False)
    registry = _registry(registry_server)
    file = _file(registry, "mcp-server-time", TIME_WHEEL)
    facts = registry.facts(file, registry.metadata(file))
    assert facts.maintainers is None
    assert facts.pth_files is None
    assert facts.package_created is not None  # PEP 700 upload times from the index page
    assert facts.mcp_name == "io.github.modelcontextprotocol/server-time"  # from METADATA


def test_malformed_json_api_answer_leaves_facts_unknown(registry_server: RegistryServer) -> None:
    serve_recorded(registry_server)
    registry_server.add(
        "/pypi/tzlocal/json", Route(body=b"<html>maintenance</html>", content_type="text/html")
    )
    registry = _registry(registry_server)
    file = _file(registry, "tzlocal", "tzlocal-5.4.5-py3-none-any.whl")
    assert registry.project_json("tzlocal") is None
    assert registry.facts(file, None).maintainers is None


def test_metadata_parsing_license_and_repository_fallbacks() -> None:
    raw = (
        b"Metadata-Version: 2.1\nName: demo\nVersion: 1\n"
        b"License: Copyright (c) 2020 someone\n  Permission is hereby granted...\n"
        b"Classifier: License :: OSI Approved :: MIT License\n"
        b"Project-URL: Documentation, https://docs.example\n"
        b"Project-URL: Source Code, https://www.github.com/Org/Repo.git\n"
        b"\n<!-- mcp-name: io.github.org/demo -->\n"
    )
    meta = parse_metadata(raw, source="range")
    assert meta.license == "MIT License"
    assert meta.mcp_name == "io.github.org/demo"
    assert dict(meta.project_urls)["Source Code"] == "https://www.github.com/Org/Repo.git"


# -- faults, cache, offline ----------------------------------------------------------------


def test_retries_after_429_then_succeeds(registry_server: RegistryServer) -> None:
    serve_recorded(registry_server)
    registry_server.routes["/simple/tzlocal/"].fail_times = 1
    registry_server.routes["/simple/tzlocal/"].fail_status = 429
    assert _registry(registry_server).index("tzlocal").files
    assert registry_server.count("/simple/tzlocal/") == 2


def test_persistent_500_is_a_network_error(registry_server: RegistryServer) -> None:
    registry_server.add("/simple/demo/", Route(status=500))
    with pytest.raises(NetworkError, match="500"):
        _registry(registry_server).index("demo")


def test_timeout_is_a_network_error(registry_server: RegistryServer) -> None:
    registry_server.add("/simple/demo/", Route(body=b"{}", delay=1.5, content_type=SIMPLE_JSON))
    client = HttpClient(HttpConfig(cache_dir=None, retries=0, timeout=0.5))
    with pytest.raises(NetworkError, match="timed out"):
        PypiRegistry(client, f"{registry_server.url}/simple").index("demo")


def test_truncated_page_is_a_network_error(registry_server: RegistryServer) -> None:
    body = (FIXTURES / "simple" / "tzlocal.json").read_bytes()
    registry_server.add(
        "/simple/tzlocal/", Route(body=body, truncate_to=100, content_type=SIMPLE_JSON)
    )
    client = HttpClient(HttpConfig(cache_dir=None, retries=0, timeout=2))
    with pytest.raises(NetworkError):
        PypiRegistry(client, f"{registry_server.url}/simple").index("tzlocal")


def test_cache_hit_needs_no_second_request(registry_server: RegistryServer, tmp_path: Path) -> None:
    serve_recorded(registry_server, metadata="range")
    for _ in range(2):  # two scans: new client and registry each time, one cache directory
        registry = _registry(registry_server, _client(tmp_path))
        file = _file(registry, "mcp-server-time", TIME_WHEEL)
        assert registry.metadata(file).source == "range"
        registry.project_json("mcp-server-time")
        registry.client.close()
    assert registry_server.count("/simple/mcp-server-time/") == 1
    assert registry_server.count("/pypi/mcp-server-time/json") == 1
    assert registry_server.count(f"/files/{TIME_WHEEL}") == 1  # artifact facts cached by sha256


def test_offline_reads_the_cache_and_misses_loudly(
    registry_server: RegistryServer, tmp_path: Path
) -> None:
    serve_recorded(registry_server, metadata="range")
    warm = _registry(registry_server, _client(tmp_path))
    warm.metadata(_file(warm, "mcp-server-time", TIME_WHEEL))
    warm.client.close()
    before = len(registry_server.requests)
    offline = _registry(registry_server, _client(tmp_path, offline=True))
    assert offline.metadata(_file(offline, "mcp-server-time", TIME_WHEEL)).source == "range"
    with pytest.raises(OfflineCacheMiss):
        offline.index("tzlocal")
    assert len(registry_server.requests) == before
