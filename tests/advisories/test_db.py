from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mcpscan.advisories import db
from mcpscan.advisories.interface import AdvisoryDatabaseError, AdvisorySourceError
from mcpscan.advisories.service import build_advisory_service
from mcpscan.cli.db_cmd import db_app
from mcpscan.errors import UsageError
from mcpscan.net.http import HttpClient, HttpConfig
from tests.support.registry_server import RegistryServer, Route

from .osv_support import build_exports

WHEN = _dt.datetime(2026, 1, 10, 12, 0, tzinfo=_dt.timezone.utc)


def _serve_exports(server: RegistryServer, tmp_path: Path) -> list[Path]:
    paths = build_exports(tmp_path / "exports")
    for p in paths:
        server.add(
            f"/{p.parent.name}/all.zip", Route(body=p.read_bytes(), content_type="application/zip")
        )
    return paths


def test_update_downloads_indexes_and_records_when(
    registry_server: RegistryServer, tmp_path: Path
) -> None:
    exports = _serve_exports(registry_server, tmp_path)
    cache = tmp_path / "cache"
    done = db.update(
        HttpClient(HttpConfig(cache_dir=None)),
        cache,
        ["pypi", "npm"],
        base_url=registry_server.url,
        progress=False,
        now=lambda: WHEN,
    )
    assert [d.ecosystem for d in done] == ["PyPI", "npm"]
    stored = db.downloaded_databases(cache)
    assert stored == [
        cache / "advisories" / "db" / "npm" / "all.zip",
        cache / "advisories" / "db" / "PyPI" / "all.zip",
    ]
    assert stored[0].read_bytes() == exports[0].read_bytes()
    manifest = json.loads((cache / "advisories" / "db" / "manifest.json").read_text())
    assert manifest["npm"]["downloaded"] == "2026-01-10T12:00:00+00:00"
    assert manifest["npm"]["size"] == exports[0].stat().st_size
    assert len(list((cache / "advisories" / "index").glob("*.sqlite"))) == 2
    assert db.fetched_at(stored[0], cache) == WHEN

    # --offline without --advisory-db uses what db update stored, and knows its age.
    http = HttpClient(HttpConfig(cache_dir=None))
    later = build_advisory_service(
        http, databases=[], offline=True, cache_dir=cache, now=lambda: WHEN + _dt.timedelta(days=8)
    )
    report = later.check([("npm", "mcp-remote", "0.1.15"), ("pypi", "mcp", "1.9.4")])
    assert report.incomplete == ()
    assert len(report.for_package("pypi", "mcp", "1.9.4")) == 2
    assert report.stale is not None
    assert "8 days old" in report.stale
    soon = build_advisory_service(
        http, databases=[], offline=True, cache_dir=cache, now=lambda: WHEN + _dt.timedelta(days=2)
    )
    assert soon.check([("npm", "mcp-remote", "0.1.15")]).stale is None


def test_failed_download_keeps_the_old_database(
    registry_server: RegistryServer, tmp_path: Path
) -> None:
    _serve_exports(registry_server, tmp_path)
    cache = tmp_path / "cache"
    http = HttpClient(HttpConfig(cache_dir=None, retries=0))
    db.update(http, cache, ["npm"], base_url=registry_server.url, progress=False)
    before = (cache / "advisories" / "db" / "npm" / "all.zip").read_bytes()
    registry_server.add(
        "/npm/all.zip", Route(body=b"<html>maintenance</html>", content_type="text/html")
    )
    with pytest.raises(AdvisoryDatabaseError, match="not a zip"):
        db.update(http, cache, ["npm"], base_url=registry_server.url, progress=False)
    registry_server.add("/npm/all.zip", Route(status=503))
    with pytest.raises(AdvisorySourceError, match="503"):
        db.update(http, cache, ["npm"], base_url=registry_server.url, progress=False)
    assert (cache / "advisories" / "db" / "npm" / "all.zip").read_bytes() == before
    assert [p.name for p in (cache / "advisories" / "db" / "npm").iterdir()] == ["all.zip"]


def test_unknown_ecosystem_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="crates"):
        db.parse_ecosystems(["crates"])
    assert db.parse_ecosystems(["PYPI", "npm", "pypi"]) == ["PyPI", "npm"]


def test_cli_update(
    registry_server: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import functools

    import mcpscan.net.http

    monkeypatch.setattr(mcpscan.net.http, "HttpConfig", functools.partial(HttpConfig, retries=0))
    _serve_exports(registry_server, tmp_path)
    runner = CliRunner()
    cache = tmp_path / "cache"
    ok = runner.invoke(
        db_app,
        ["update", "--ecosystem", "npm", "--cache-dir", str(cache), "--url", registry_server.url],
    )
    assert ok.exit_code == 0, ok.output
    assert (cache / "advisories" / "db" / "npm" / "all.zip").is_file()
    assert not (cache / "advisories" / "db" / "PyPI").exists()
    bad = runner.invoke(db_app, ["update", "--ecosystem", "cargo", "--cache-dir", str(cache)])
    assert bad.exit_code == 2
    registry_server.add("/npm/all.zip", Route(status=500))
    down = runner.invoke(
        db_app,
        ["update", "--ecosystem", "npm", "--cache-dir", str(cache), "--url", registry_server.url],
    )
    assert down.exit_code == 3
