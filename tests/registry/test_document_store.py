"""The on-disk store of reduced registry documents and HttpClient.get_reduced."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from mcpscan.errors import OfflineCacheMiss
from mcpscan.net.http import HttpClient, HttpConfig, HttpResponse, NotFoundError
from mcpscan.net.store import DocumentStore
from tests.support.registry_server import RegistryServer, Route


def config(cache: Path | None, **extra: Any) -> HttpConfig:
    return HttpConfig(cache_dir=cache, retries=0, backoff=0.0, timeout=5.0, **extra)


def fetch(client: HttpClient, url: str, *, shape: str = "test-1") -> Any:
    """A document reduced to its "n" field, stored as {"n": ...}; 404 stored as None."""

    def reduce(resp: HttpResponse) -> int | None:
        return int(json.loads(resp.content)["n"])

    def restore(payload: Any) -> int | None:
        value = payload["n"]
        if value is not None and not isinstance(value, int):
            raise TypeError("damaged")
        return value

    store = client.document_store("docs", shape=shape)
    return client.get_reduced(
        url, store, reduce=reduce, encode=lambda n: {"n": n}, restore=restore, missing=lambda: None
    )


def headers_of(server: RegistryServer, path: str) -> list[dict[str, str]]:
    return [h for p, h in server.requests if p == path]


def test_a_fresh_entry_answers_without_a_request(server: RegistryServer, tmp_path: Path) -> None:
    server.add("/doc", Route(body=b'{"n": 1, "big": "ignored"}'))
    with HttpClient(config(tmp_path)) as client:
        assert fetch(client, server.url + "/doc") == 1
        # Online, the raw body never went through the requests-cache session.
        assert not (tmp_path / "http-cache.sqlite").exists()
    with HttpClient(config(tmp_path)) as client:
        assert fetch(client, server.url + "/doc") == 1
        assert client.network_requests == 0
    assert server.count("/doc") == 1
    stored = json.loads(next((tmp_path / "docs").glob("*.json")).read_text())
    assert stored["payload"] == {"n": 1}  # the reduced form, not the body


def test_a_stale_entry_is_revalidated_with_its_validators(
    server: RegistryServer, tmp_path: Path
) -> None:
    server.add(
        "/doc",
        Route(body=b'{"n": 1}', headers={"ETag": '"v1"', "Last-Modified": "Tue, 01 Jan 2030"}),
    )
    with HttpClient(config(tmp_path, ttl_seconds=0)) as client:
        assert fetch(client, server.url + "/doc") == 1
    time.sleep(0.01)
    server.add("/doc", Route(status=304))
    with HttpClient(config(tmp_path, ttl_seconds=0)) as client:
        assert fetch(client, server.url + "/doc") == 1
    second = headers_of(server, "/doc")[1]
    assert second.get("If-None-Match") == '"v1"'
    assert second.get("If-Modified-Since") == "Tue, 01 Jan 2030"
    # The 304 restarted the entry's TTL.
    with HttpClient(config(tmp_path, ttl_seconds=60)) as client:
        assert fetch(client, server.url + "/doc") == 1
    assert server.count("/doc") == 2


def test_a_changed_document_replaces_a_stale_entry(server: RegistryServer, tmp_path: Path) -> None:
    server.add("/doc", Route(body=b'{"n": 1}'))
    with HttpClient(config(tmp_path, ttl_seconds=0)) as client:
        assert fetch(client, server.url + "/doc") == 1
    time.sleep(0.01)
    server.add("/doc", Route(body=b'{"n": 2}'))
    with HttpClient(config(tmp_path, ttl_seconds=0)) as client:
        assert fetch(client, server.url + "/doc") == 2
    assert "If-None-Match" not in headers_of(server, "/doc")[1]  # no validator was given


def test_offline_serves_any_age_and_a_miss_opens_no_socket(
    server: RegistryServer, tmp_path: Path
) -> None:
    server.add("/doc", Route(body=b'{"n": 1}'))
    with HttpClient(config(tmp_path, ttl_seconds=0)) as client:
        fetch(client, server.url + "/doc")
    time.sleep(0.01)
    with HttpClient(config(tmp_path, ttl_seconds=0, offline=True)) as client:
        assert fetch(client, server.url + "/doc") == 1
        with pytest.raises(OfflineCacheMiss):
            fetch(client, server.url + "/other")
    assert server.count("/doc") == 1
    assert server.count("/other") == 0


def test_does_not_exist_is_cached_too(server: RegistryServer, tmp_path: Path) -> None:
    with HttpClient(config(tmp_path)) as client:
        assert fetch(client, server.url + "/gone") is None
    with HttpClient(config(tmp_path, offline=True)) as client:
        assert fetch(client, server.url + "/gone") is None
    assert server.count("/gone") == 1


def test_without_missing_a_404_raises(server: RegistryServer, tmp_path: Path) -> None:
    with HttpClient(config(tmp_path)) as client, pytest.raises(NotFoundError):
        client.get_reduced(
            server.url + "/gone",
            client.document_store("docs", shape="x"),
            reduce=lambda r: 1,
            encode=lambda v: v,
            restore=lambda p: p,
        )


def test_a_damaged_or_foreign_entry_is_fetched_again(
    server: RegistryServer, tmp_path: Path
) -> None:
    server.add("/doc", Route(body=b'{"n": 1}'))
    with HttpClient(config(tmp_path)) as client:
        fetch(client, server.url + "/doc")
    path = next((tmp_path / "docs").glob("*.json"))
    record = json.loads(path.read_text())
    path.write_text(json.dumps({**record, "payload": {"n": "not a number"}}))
    with HttpClient(config(tmp_path)) as client:
        assert fetch(client, server.url + "/doc") == 1
    assert server.count("/doc") == 2
    with HttpClient(config(tmp_path)) as client:
        assert fetch(client, server.url + "/doc", shape="test-2") == 1  # another layout
    assert server.count("/doc") == 3
    path.write_text("{not json")
    with HttpClient(config(tmp_path)) as client:
        assert fetch(client, server.url + "/doc", shape="test-2") == 1
    assert server.count("/doc") == 4


def test_no_cache_dir_means_no_store(server: RegistryServer) -> None:
    server.add("/doc", Route(body=b'{"n": 1}'))
    with HttpClient(config(None)) as client:
        assert client.document_store("docs", shape="x") is None
        assert fetch(client, server.url + "/doc") == 1
        assert fetch(client, server.url + "/doc") == 1
    assert server.count("/doc") == 2


def test_store_keys_keep_variants_apart(tmp_path: Path) -> None:
    store = DocumentStore(tmp_path, shape="s", max_age=60)
    store.save("k", {"v": 1}, variant="a")
    store.save("k", {"v": 2}, variant="b")
    first, second = store.load("k", "a"), store.load("k", "b")
    assert first is not None
    assert first.payload == {"v": 1}
    assert first.fresh
    assert second is not None
    assert second.payload == {"v": 2}
    assert store.load("k") is None
    assert DocumentStore(tmp_path, shape="other", max_age=60).load("k", "a") is None
