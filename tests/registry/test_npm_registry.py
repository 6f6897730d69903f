"""npm registry client against recorded packuments on the local test server."""

from __future__ import annotations

import base64
import gc
import hashlib
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from mcpscan.errors import NetworkError, OfflineCacheMiss, RegistryError
from mcpscan.models import Digest
from mcpscan.net.http import HttpClient, HttpConfig
from mcpscan.redaction import display_url
from mcpscan.registry.interface import PackageNotFound
from mcpscan.registry.npm import (
    ABBREVIATED_MEDIA_TYPE,
    InvalidPackageName,
    NpmRegistry,
    digests_from_dist,
    parse_packument,
)
from tests.support.registry_server import RegistryServer, Route

FIXTURES = Path(__file__).parent.parent / "fixtures" / "npm" / "registry"
MEMORY = "@modelcontextprotocol/server-memory"
MEMORY_PATH = "/@modelcontextprotocol%2Fserver-memory"


def fast(**overrides: Any) -> HttpConfig:
    settings: dict[str, Any] = {"cache_dir": None, "retries": 1, "backoff": 0.0, "timeout": 5.0}
    settings.update(overrides)
    return HttpConfig(**settings)


def manifest(name: str, version: str, **extra: Any) -> dict[str, Any]:
    data = f"{name}@{version}".encode()
    doc = {
        "name": name,
        "version": version,
        "dist": {
            "integrity": "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode(),
            "shasum": hashlib.sha1(data).hexdigest(),
            "tarball": f"https://registry.example/{name}/-/{name.split('/')[-1]}-{version}.tgz",
        },
    }
    doc.update(extra)
    return doc


def packument(name: str, *versions: dict[str, Any], **extra: Any) -> bytes:
    doc: dict[str, Any] = {
        "name": name,
        "dist-tags": {"latest": versions[-1]["version"]},
        "versions": {v["version"]: v for v in versions},
    }
    doc.update(extra)
    return json.dumps(doc).encode()


@pytest.fixture
def served(registry_server: RegistryServer) -> RegistryServer:
    registry_server.add_tree(FIXTURES, content_type="application/json")
    return registry_server


def test_recorded_packument_is_parsed_and_trimmed(served: RegistryServer) -> None:
    with HttpClient(fast()) as client:
        doc = NpmRegistry(client, served.url + "/").package(MEMORY)
    raw = json.loads((FIXTURES / MEMORY.replace("/", "%2F")).read_text())
    latest = raw["dist-tags"]["latest"]
    assert doc.name == MEMORY
    assert doc.dist_tags["latest"] == latest
    assert set(doc.versions) == set(raw["versions"])
    assert not doc.abbreviated
    version = doc.versions[latest]
    assert version.mcp_name == "io.github.modelcontextprotocol/server-memory"
    assert version.repository == "https://github.com/modelcontextprotocol/servers.git"
    assert version.dependencies == raw["versions"][latest]["dependencies"]
    assert version.install_scripts == ()
    assert version.has_install_script is False
    assert doc.times[latest] == raw["time"][latest]
    # This mirror drops "created" and every maintainer list: created falls back to the
    # first publish time, maintainers stay unknown (None), never "nobody".
    assert doc.created == min(raw["time"][v] for v in raw["versions"])
    assert doc.maintainers is None
    assert version.maintainers is None
    sri = raw["versions"][latest]["dist"]["integrity"]
    assert version.digests[0] == Digest("sha512", base64.b64decode(sri[7:]).hex())
    assert version.digests[1] == Digest("sha1", raw["versions"][latest]["dist"]["shasum"])
    assert served.requests[0][1]["Accept"] == "application/json"


def test_abbreviated_document_is_requested_and_recognised(registry_server: RegistryServer) -> None:
    body = packument(
        "corgi", manifest("corgi", "1.0.0"), manifest("corgi", "1.1.0", hasInstallScript=True)
    )
    registry_server.add("/corgi", Route(body=body, content_type=ABBREVIATED_MEDIA_TYPE))
    with HttpClient(fast()) as client:
        doc = NpmRegistry(client, registry_server.url).package("corgi", abbreviated=True)
    assert registry_server.requests[0][1]["Accept"].startswith(ABBREVIATED_MEDIA_TYPE)
    assert doc.abbreviated
    assert doc.versions["1.0.0"].has_install_script is False
    assert doc.versions["1.1.0"].has_install_script is True


def test_scoped_names_are_escaped_and_routed_to_their_scope_registry(
    registry_server: RegistryServer,
) -> None:
    registry_server.add(
        "/main/@a%2Fone", Route(body=packument("@a/one", manifest("@a/one", "1.0.0")))
    )
    registry_server.add(
        "/corp/@corp%2Ftwo", Route(body=packument("@corp/two", manifest("@corp/two", "2.0.0")))
    )
    with HttpClient(fast()) as client:
        registry = NpmRegistry(
            client,
            registry_server.url + "/main",
            scope_registries={"@corp": registry_server.url + "/corp/"},
        )
        assert registry.package("@a/one").dist_tags["latest"] == "1.0.0"
        assert registry.package("@corp/two").dist_tags["latest"] == "2.0.0"


@pytest.mark.parametrize(
    "name", ["../etc/passwd", "a b", "", "@scope", "a/b", "x" * 215, "@s/a/b", "name?x=1"]
)
def test_invalid_names_never_reach_the_network(registry_server: RegistryServer, name: str) -> None:
    with HttpClient(fast()) as client, pytest.raises(InvalidPackageName):
        NpmRegistry(client, registry_server.url).package(name)
    assert registry_server.requests == []


def test_missing_and_unpublished_packages(registry_server: RegistryServer) -> None:
    registry_server.add(
        "/gone",
        Route(
            body=json.dumps(
                {"name": "gone", "time": {"unpublished": {"time": "2024-01-01T00:00:00Z"}}}
            ).encode()
        ),
    )
    with HttpClient(fast()) as client:
        registry = NpmRegistry(client, registry_server.url)
        with pytest.raises(PackageNotFound, match="does not exist"):
            registry.package("nope")
        with pytest.raises(PackageNotFound, match="unpublished"):
            registry.package("gone")


def test_429_is_retried_then_succeeds(registry_server: RegistryServer) -> None:
    registry_server.add(
        "/busy",
        Route(body=packument("busy", manifest("busy", "1.0.0")), fail_times=1, fail_status=429),
    )
    with HttpClient(fast(retries=2)) as client:
        doc = NpmRegistry(client, registry_server.url).package("busy")
    assert doc.dist_tags["latest"] == "1.0.0"
    assert registry_server.count("/busy") == 2


def test_persistent_500_is_a_network_error(registry_server: RegistryServer) -> None:
    registry_server.add("/broken", Route(body=b"{}", fail_times=100, fail_status=500))
    with HttpClient(fast(retries=2)) as client, pytest.raises(NetworkError):
        NpmRegistry(client, registry_server.url).package("broken")
    assert registry_server.count("/broken") == 3


def test_timeout_is_a_network_error(registry_server: RegistryServer) -> None:
    registry_server.add(
        "/slow", Route(body=packument("slow", manifest("slow", "1.0.0")), delay=0.6)
    )
    with (
        HttpClient(fast(timeout=0.2, retries=0)) as client,
        pytest.raises(NetworkError, match="timed out"),
    ):
        NpmRegistry(client, registry_server.url).package("slow")


def test_truncated_body_is_a_network_error(registry_server: RegistryServer) -> None:
    body = packument("cut", manifest("cut", "1.0.0"))
    registry_server.add("/cut", Route(body=body, truncate_to=len(body) // 2))
    with HttpClient(fast(retries=0)) as client, pytest.raises(NetworkError):
        NpmRegistry(client, registry_server.url).package("cut")


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (Route(body=b"<html>login</html>", content_type="text/html"), "expected a JSON packument"),
        (Route(body=b"{not json"), "not valid JSON"),
        (Route(body=b"[1, 2]"), "not a JSON object"),
        (Route(body=b'{"name": "odd", "versions": "1.0.0"}'), "no usable 'versions'"),
    ],
)
def test_unusable_answers_are_registry_errors(
    registry_server: RegistryServer, route: Route, message: str
) -> None:
    registry_server.add("/odd", route)
    with HttpClient(fast()) as client, pytest.raises(RegistryError, match=message):
        NpmRegistry(client, registry_server.url).package("odd")


def test_cache_hit_makes_no_second_request_and_offline_uses_it(
    served: RegistryServer, tmp_path: Path
) -> None:
    with HttpClient(fast(cache_dir=tmp_path)) as client:
        NpmRegistry(client, served.url).package(MEMORY)
        assert client.network_requests == 1
    with HttpClient(fast(cache_dir=tmp_path)) as client:
        doc = NpmRegistry(client, served.url).package(MEMORY)
        assert client.network_requests == 0
    assert served.count(MEMORY_PATH) == 1
    with HttpClient(fast(cache_dir=tmp_path, offline=True)) as client:
        registry = NpmRegistry(client, served.url)
        assert registry.package(MEMORY).versions.keys() == doc.versions.keys()
        with pytest.raises(OfflineCacheMiss):
            registry.package("mcp-remote")
    assert served.count(MEMORY_PATH) == 1
    assert served.count("/mcp-remote") == 0


def test_abbreviated_and_full_documents_are_cached_apart(
    served: RegistryServer, tmp_path: Path
) -> None:
    with HttpClient(fast(cache_dir=tmp_path)) as client:
        registry = NpmRegistry(client, served.url)
        registry.package(MEMORY, abbreviated=True)
        registry.package(MEMORY)
        registry.package(MEMORY, abbreviated=True)
    assert served.count(MEMORY_PATH) == 2


def _big_packument(target_bytes: int) -> bytes:
    readme = "x" * 2000
    versions = []
    i = 0
    size = 0
    while size < target_bytes:
        v = manifest(
            "big",
            f"1.0.{i}",
            readme=readme,
            description="d" * 200,
            dependencies={f"dep{j}": f"^{j}.0.0" for j in range(10)},
            scripts={"test": "jest", "build": "tsc"},
        )
        versions.append(v)
        size += len(json.dumps(v))
        i += 1
    return packument("big", *versions, readme=readme * 100)


def test_20mb_packument_is_trimmed_without_blowing_memory(registry_server: RegistryServer) -> None:
    body = _big_packument(20 * 1024 * 1024)
    registry_server.add("/big", Route(body=body))
    with HttpClient(fast(timeout=30.0)) as client:
        registry = NpmRegistry(client, registry_server.url)
        client.session  # noqa: B018 - build the session outside the measurement
        gc.collect()
        tracemalloc.start()
        try:
            doc = registry.package("big")
            current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert len(doc.versions) > 5000
    assert doc.versions["1.0.0"].dependencies["dep3"] == "^3.0.0"
    # The raw body is read once and decoded once; the decoded document never exists
    # whole (a plain json.loads of it needs ~10x its size), and what is kept is small.
    assert peak < 4 * len(body), (peak, len(body))
    # What stays is per-version digests and dependency maps (~0.25x for these small
    # synthetic manifests; real ones carry far more that is dropped).
    assert current < len(body) / 3, (current, len(body))


def test_parse_packument_field_shapes() -> None:
    body = packument(
        "shapes",
        manifest(
            "shapes",
            "1.0.0",
            scripts={"postinstall": "node x.js", "prepare": "tsc"},
            deprecated="use other",
            license={"type": "MIT"},
            repository="github:owner/repo",
            maintainers=["Ann <a@x>", {"name": "bo"}],
            bundleDependencies=True,
            dependencies={"a": "1", "b": 2},
            peerDependencies={"p": "*"},
            peerDependenciesMeta={"p": {"optional": True}},
            os="linux",
            cpu=["x64", "!arm"],
            engines={"node": ">=18"},
        ),
        manifest(
            "shapes",
            "1.1.0",
            gypfile=True,
            licenses=[{"type": "MIT"}, {"type": "GPL"}],
            repository={"url": "owner2/repo2"},
            deprecated="",
        ),
        time={"1.0.0": "2020-01-01T00:00:00Z", "created": "2019-12-31T00:00:00Z"},
        maintainers=[{"name": "ann"}],
    )
    doc = parse_packument(body, name="shapes")
    old, new = doc.versions["1.0.0"], doc.versions["1.1.0"]
    assert old.install_scripts == ("postinstall",)
    assert old.deprecated == "use other"
    assert new.deprecated is None
    assert old.license == "MIT"
    assert new.license == "MIT OR GPL"
    assert old.repository == "https://github.com/owner/repo"
    assert new.repository == "https://github.com/owner2/repo2"
    assert old.maintainers == ("Ann", "bo")
    assert doc.maintainers == ("ann",)
    assert old.bundle_dependencies == ("a", "b")
    assert old.dependencies == {"a": "1", "b": ""}
    assert old.peer_optional == frozenset({"p"})
    assert old.os == ("linux",)
    assert old.cpu == ("x64", "!arm")
    assert old.engines_node == ">=18"
    assert new.install_scripts == ("install",)
    assert new.has_install_script is True
    assert doc.created == "2019-12-31T00:00:00Z"
    assert doc.times == {"1.0.0": "2020-01-01T00:00:00Z"}


def test_digests_from_dist() -> None:
    sha512 = hashlib.sha512(b"x").digest()
    sha1 = hashlib.sha1(b"x").hexdigest()
    sri = (
        f"sha1-{base64.b64encode(bytes.fromhex(sha1)).decode()} "
        f"sha512-{base64.b64encode(sha512).decode()} md5-AAAA sha256-!!!"
    )
    assert digests_from_dist(sri, sha1.upper()) == (
        Digest("sha512", sha512.hex()),
        Digest("sha1", sha1),
    )
    assert digests_from_dist(None, "not-hex") == ()


def test_credentials_in_the_registry_url_never_reach_a_message(
    registry_server: RegistryServer,
) -> None:
    base = registry_server.url.replace("http://", "http://user:s3cr3t-pass@")
    with HttpClient(fast()) as client, pytest.raises(PackageNotFound) as err:
        NpmRegistry(client, base).package("nope")
    assert "s3cr3t-pass" not in str(err.value)
    assert display_url("https://u:p@mirror.corp/npm/") == "https://mirror.corp/npm/"
