from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mcpscan.advisories import osv_offline
from mcpscan.advisories.interface import Query
from mcpscan.advisories.osv_offline import OsvOfflineSource
from mcpscan.advisories.service import NOT_CHECKED, AdvisoryReport, build_advisory_service
from mcpscan.models import Severity
from mcpscan.net.http import HttpClient, HttpConfig

from .osv_support import FIXTURES, build_exports, build_zip, records

CASES = [
    ("npm", "mcp-remote", "0.0.4", set()),
    ("npm", "mcp-remote", "0.0.5", {"GHSA-6xpm-ggf7-wc3p"}),
    ("npm", "mcp-remote", "0.1.15", {"GHSA-6xpm-ggf7-wc3p"}),
    ("npm", "mcp-remote", "0.1.16", set()),
    ("npm", "postmark-mcp", "1.0.15", set()),
    ("npm", "postmark-mcp", "1.0.16", {"MAL-2025-47604"}),
    ("npm", "postmark-mcp", "1.0.17", {"MAL-2025-47604"}),
    ("pypi", "mcp", "1.9.3", {"GHSA-3qhf-m339-9g5v", "GHSA-j975-95f5-7wqh", "GHSA-9h52-p55h-vw2f"}),
    ("pypi", "mcp", "1.9.4", {"GHSA-j975-95f5-7wqh", "GHSA-9h52-p55h-vw2f"}),
    ("pypi", "mcp", "1.23.0", set()),
    ("npm", "@modelcontextprotocol/sdk", "1.23.0", {"GHSA-w48q-cv73-mx4w"}),
    ("npm", "@modelcontextprotocol/sdk", "1.23.2", {"GHSA-w48q-cv73-mx4w"}),
    ("npm", "@modelcontextprotocol/sdk", "1.24.0", set()),
    ("npm", "lodash", "4.17.20", {"GHSA-35jh-r3h4-6jhm"}),
    ("npm", "lodash-es", "4.17.20", {"GHSA-35jh-r3h4-6jhm"}),
]


@pytest.fixture
def client() -> HttpClient:
    # Points nowhere: an offline database must not need the network at all.
    return HttpClient(HttpConfig(cache_dir=None, retries=0))


def _check(service_paths: list[Path], cache: Path | None, client: HttpClient) -> AdvisoryReport:
    service = build_advisory_service(client, databases=service_paths, offline=True, cache_dir=cache)
    return service.check([(e, n, v) for e, n, v, _ in CASES])


def _assert_cases(report: AdvisoryReport) -> None:
    assert report.incomplete == ()
    for eco, name, version, expected in CASES:
        got = {m.advisory.id for m in report.for_package(eco, name, version)}
        assert got == expected, (name, version)


def test_all_zip_exports(tmp_path: Path, client: HttpClient) -> None:
    report = _check(build_exports(tmp_path / "db"), tmp_path / "cache", client)
    _assert_cases(report)
    # One record naming two packages is one advisory for each of them.
    (lodash,) = report.for_package("npm", "lodash", "4.17.20")
    (lodash_es,) = report.for_package("npm", "lodash-es", "4.17.20")
    assert lodash.advisory == lodash_es.advisory
    assert lodash.advisory.aliases == ("CVE-2021-23337",)
    assert lodash.fixed == ("4.17.21",)
    (remote,) = report.for_package("npm", "mcp-remote", "0.1.15")
    assert remote.advisory.severity is Severity.CRITICAL
    assert remote.fixed == ("0.1.16",)


def test_directory_of_osv_json(tmp_path: Path, client: HttpClient) -> None:
    _assert_cases(_check([FIXTURES], None, client))


def test_advisory_db_means_no_network(tmp_path: Path, registry_server: object) -> None:
    from tests.support.registry_server import RegistryServer

    assert isinstance(registry_server, RegistryServer)
    http = HttpClient(HttpConfig(cache_dir=None, retries=0))
    service = build_advisory_service(
        http, databases=[FIXTURES], offline=False, cache_dir=None, osv_url=registry_server.url
    )
    report = service.check([("npm", "mcp-remote", "0.1.15")])
    assert report.for_package("npm", "mcp-remote", "0.1.15")
    assert registry_server.requests == []


def test_offline_without_database_is_not_checked(tmp_path: Path, client: HttpClient) -> None:
    service = build_advisory_service(client, databases=[], offline=True, cache_dir=tmp_path)
    report = service.check([("npm", "mcp-remote", "0.1.15")])
    assert report.incomplete == (NOT_CHECKED,)
    assert report.matches == {}


def test_ecosystem_missing_from_the_databases_is_not_clean(
    tmp_path: Path, client: HttpClient
) -> None:
    npm_zip, _ = build_exports(tmp_path / "db")
    report = _check([npm_zip], tmp_path / "cache", client)
    assert any("pypi:mcp" in why for why in report.incomplete)
    assert report.for_package("npm", "mcp-remote", "0.1.15")


def test_malformed_records_are_skipped_with_a_warning_naming_the_file(
    tmp_path: Path, client: HttpClient
) -> None:
    folder = tmp_path / "osv"
    shutil.copytree(FIXTURES, folder)
    (folder / "broken.json").write_text("{not json", encoding="utf-8")
    (folder / "noid.json").write_text('{"affected": []}', encoding="utf-8")
    (folder / "list.json").write_text("[1, 2]", encoding="utf-8")
    report = _check([folder], tmp_path / "cache", client)
    _assert_cases(report)
    joined = "\n".join(report.warnings)
    for name in ("broken.json", "noid.json", "list.json"):
        assert str(folder / name) in joined

    zipped = build_zip(
        tmp_path / "npm" / "all.zip",
        [records()["GHSA-6xpm-ggf7-wc3p"]],
        {"BAD-1.json": b"\xff\xfe garbage"},
    )
    report = _check([zipped], tmp_path / "cache", client)
    assert report.warnings == (f"{zipped}:BAD-1.json: skipped: not JSON (JSONDecodeError)",)
    assert report.for_package("npm", "mcp-remote", "0.1.15")


@pytest.mark.parametrize(
    "name", ["../evil.json", "/etc/evil.json", "a/../../evil.json", "C:\\evil.json"]
)
def test_zip_with_traversal_names_is_rejected(
    tmp_path: Path, client: HttpClient, name: str
) -> None:
    zipped = build_zip(tmp_path / "npm" / "all.zip", records().values(), {name: b"{}"})
    report = _check([zipped], tmp_path / "cache", client)
    (why,) = report.incomplete
    assert "outside" in why
    assert str(zipped) in why
    assert report.matches == {}
    assert not list((tmp_path / "cache").rglob("*.sqlite"))


def test_decompression_bomb_is_rejected(
    tmp_path: Path, client: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(osv_offline, "MAX_MEMBER_BYTES", 1024 * 1024)
    zipped = build_zip(tmp_path / "npm" / "all.zip", [], {"BOMB.json": b" " * (3 * 1024 * 1024)})
    report = _check([zipped], tmp_path / "cache", client)
    (why,) = report.incomplete
    assert "decompression bomb" in why


def test_lying_member_size_is_caught_when_reading(
    tmp_path: Path, client: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(osv_offline, "MAX_MEMBER_BYTES", 64 * 1024)
    zipped = build_zip(tmp_path / "npm" / "all.zip", [], {"BIG.json": b" " * (200 * 1024)})
    real_check = osv_offline._check_size
    calls: list[int] = []

    def header_lies(archive: Path, name: str, size: int, compressed: int) -> None:
        calls.append(size)
        if len(calls) == 1:
            return  # the header's claim is believed...
        real_check(archive, name, size, compressed)  # ...but not the bytes actually read

    monkeypatch.setattr(osv_offline, "_check_size", header_lies)
    report = _check([zipped], tmp_path / "cache", client)
    assert "decompression bomb" in report.incomplete[0]
    assert calls[1] == 64 * 1024 + 1  # reading stopped right after the limit


def test_second_lookup_uses_the_index_not_the_zip(
    tmp_path: Path, client: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = build_exports(tmp_path / "db")
    cache = tmp_path / "cache"
    _assert_cases(_check(paths, cache, client))
    assert len(list((cache / "advisories" / "index").glob("*.sqlite"))) == 2

    def no_zip(*a: object, **k: object) -> None:
        raise AssertionError("the zip was read again")

    monkeypatch.setattr("zipfile.ZipFile", no_zip)
    monkeypatch.setattr(osv_offline, "_sha256", no_zip)
    _assert_cases(_check(paths, cache, client))


def test_changed_zip_is_reindexed_and_touched_zip_is_not(
    tmp_path: Path, client: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    zipped = build_zip(tmp_path / "npm" / "all.zip", [records()["GHSA-6xpm-ggf7-wc3p"]])
    q = [("npm", "postmark-mcp", "1.0.16")]

    def service_report() -> AdvisoryReport:
        return build_advisory_service(
            client, databases=[zipped], offline=True, cache_dir=cache
        ).check(q)

    assert service_report().for_package(*q[0]) == ()
    # Same bytes, new time: the digest matches, the index is kept.
    st = zipped.stat()
    os.utime(zipped, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    calls: list[Path] = []
    real = osv_offline._zip_records

    def counted(p: Path) -> Iterator[Any]:
        calls.append(p)
        return real(p)

    monkeypatch.setattr(osv_offline, "_zip_records", counted)
    assert service_report().for_package(*q[0]) == ()
    assert calls == []
    # New content: reindexed.
    build_zip(zipped, [records()["GHSA-6xpm-ggf7-wc3p"], records()["MAL-2025-47604"]])
    (hit,) = service_report().for_package(*q[0])
    assert hit.advisory.id == "MAL-2025-47604"
    assert calls == [zipped]


def test_index_info_and_source_answer(tmp_path: Path) -> None:
    npm_zip, _ = build_exports(tmp_path / "db")
    source = OsvOfflineSource([npm_zip], tmp_path / "cache")
    (info,) = source.infos()
    assert info.kind == "zip"
    assert info.records == 4
    assert info.ecosystems == {"npm"}
    assert info.sha256 is not None
    assert len(info.sha256) == 64
    answer = source.lookup([Query("npm", "mcp-remote", "0.1.0"), Query("npm", "left-pad", "1.0.0")])
    assert answer.checked == {
        Query("npm", "mcp-remote", "0.1.0"),
        Query("npm", "left-pad", "1.0.0"),
    }
    assert list(answer.matches) == [Query("npm", "mcp-remote", "0.1.0")]


def test_stale_database_is_reported(tmp_path: Path, client: HttpClient) -> None:
    paths = build_exports(tmp_path / "db")
    old = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(days=10)
    service = build_advisory_service(
        client, databases=paths, offline=True, cache_dir=None, max_age_days=7, now=lambda: old
    )
    report = service.check([("npm", "mcp-remote", "0.1.0")])
    assert report.stale is not None
    assert "older than 7 days" in report.stale
    assert str(paths[0]) in report.stale
    fresh = build_advisory_service(client, databases=paths, offline=True, cache_dir=None)
    assert fresh.check([("npm", "mcp-remote", "0.1.0")]).stale is None


def test_missing_or_non_zip_database(tmp_path: Path, client: HttpClient) -> None:
    not_zip = tmp_path / "all.zip"
    not_zip.write_text(json.dumps({}), encoding="utf-8")
    report = _check([not_zip], None, client)
    assert "not a zip archive" in report.incomplete[0]
    report = _check([tmp_path / "missing"], None, client)
    assert "not found" in report.incomplete[0]


def test_zip_member_in_subfolder_is_fine(tmp_path: Path, client: HttpClient) -> None:
    path = tmp_path / "npm" / "all.zip"
    path.parent.mkdir(parents=True)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("osv/GHSA-6xpm-ggf7-wc3p.json", json.dumps(records()["GHSA-6xpm-ggf7-wc3p"]))
    report = _check([path], None, client)
    assert report.for_package("npm", "mcp-remote", "0.1.15")
