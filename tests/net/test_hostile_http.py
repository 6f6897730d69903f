"""The HTTP client against servers that misbehave on purpose: every request ends, in time.

Each test asserts the outcome and a bound on the wall time, well under pytest-timeout's, so
a regression shows as a failed bound rather than a hung run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcpscan.errors import DeadlineExceeded, NetworkError, RegistryError
from mcpscan.net.http import HttpClient, HttpConfig
from tests.support import hostile_server as hs
from tests.support.timing import budget


@pytest.fixture
def hostile() -> Iterator[hs.HostileServer]:
    yield from hs.running()


def client(**overrides: object) -> HttpClient:
    base: dict[str, object] = {"backoff": 0.0, "timeout": 5.0, "request_deadline": 2.0}
    base.update(overrides)
    return HttpClient(HttpConfig(**base))  # type: ignore[arg-type]


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.monotonic() - self.start


def test_a_huge_retry_after_is_not_obeyed(hostile: hs.HostileServer) -> None:
    hostile.routes["/pkg"] = hs.retry_after("100000")
    with Timer() as t, client(request_deadline=60.0) as http, pytest.raises(NetworkError) as err:
        http.get(f"{hostile.url}/pkg")
    assert t.elapsed < budget(2.0)
    assert "asked to be retried in 100000s" in str(err.value)
    assert "at most 30s" in str(err.value)
    assert hostile.count("/pkg") == 1  # gave up at once, no second request


def test_a_retry_after_date_a_day_away_is_not_obeyed(hostile: hs.HostileServer) -> None:
    from email.utils import formatdate

    hostile.routes["/pkg"] = hs.retry_after(
        formatdate(time.time() + 86400, usegmt=True), status="503 Service Unavailable"
    )
    with (
        Timer() as t,
        client(request_deadline=60.0) as http,
        pytest.raises(NetworkError, match="asked to be retried in"),
    ):
        http.get(f"{hostile.url}/pkg")
    assert t.elapsed < budget(2.0)


def test_a_short_retry_after_is_obeyed_then_the_answer_used(hostile: hs.HostileServer) -> None:
    hostile.routes["/pkg"] = hs.sequence(hs.retry_after("1"), hs.answer(b'{"ok": true}'))
    with Timer() as t, client(request_deadline=10.0) as http:
        assert http.get_json(f"{hostile.url}/pkg") == {"ok": True}
    assert 0.9 <= t.elapsed < budget(4.0)
    assert hostile.count("/pkg") == 2


def test_the_total_retry_wait_is_capped(hostile: hs.HostileServer) -> None:
    # Each answer asks for 2 s, under the per-answer cap; together they pass the 3 s budget.
    hostile.routes["/pkg"] = hs.retry_after("2")
    with (
        Timer() as t,
        client(request_deadline=60.0, max_retry_wait=3.0, retries=5) as http,
        pytest.raises(NetworkError, match="over 3s in all"),
    ):
        http.get(f"{hostile.url}/pkg")
    assert t.elapsed < budget(5.0)
    assert hostile.count("/pkg") == 2


def test_a_retry_that_would_pass_the_deadline_is_not_waited_for(hostile: hs.HostileServer) -> None:
    hostile.routes["/pkg"] = hs.retry_after("20")
    with Timer() as t, client(request_deadline=2.0) as http, pytest.raises(DeadlineExceeded):
        http.get(f"{hostile.url}/pkg")
    assert t.elapsed < budget(1.5)


@pytest.mark.parametrize("cached", [False, True], ids=["no-cache", "cache"])
def test_a_dripping_body_ends_at_the_request_deadline(
    hostile: hs.HostileServer, tmp_path: Path, cached: bool
) -> None:
    hostile.routes["/pkg"] = hs.drip_body(every=0.1)  # far under the 5 s read timeout
    cache = tmp_path / "cache" if cached else None
    with Timer() as t, client(cache_dir=cache) as http, pytest.raises(DeadlineExceeded) as err:
        http.get(f"{hostile.url}/pkg")
    assert 1.8 <= t.elapsed < budget(4.0)
    assert f"{hostile.url}/pkg did not answer in full within 2s" in str(err.value)
    assert http.timed_out
    assert any("/pkg" in n for n in http.notes)


def test_dripping_headers_end_at_the_request_deadline(hostile: hs.HostileServer) -> None:
    hostile.routes["/pkg"] = hs.drip_headers(every=0.1)
    with Timer() as t, client() as http, pytest.raises(DeadlineExceeded):
        http.get(f"{hostile.url}/pkg")
    assert t.elapsed < budget(4.0)


def test_a_stalled_server_ends_at_the_request_deadline(hostile: hs.HostileServer) -> None:
    hostile.routes["/pkg"] = hs.stall()
    with Timer() as t, client(timeout=30.0) as http, pytest.raises(NetworkError):
        http.get(f"{hostile.url}/pkg")
    assert t.elapsed < budget(4.0)


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "until-close"])
@pytest.mark.parametrize("cached", [False, True], ids=["no-cache", "cache"])
def test_an_endless_body_is_cut_at_the_size_limit(
    hostile: hs.HostileServer, tmp_path: Path, chunked: bool, cached: bool
) -> None:
    hostile.routes["/pkg"] = hs.endless(chunked=chunked)
    cache = tmp_path / "cache" if cached else None
    with (
        Timer() as t,
        client(cache_dir=cache, max_body_bytes=4 << 20, request_deadline=30.0) as http,
        pytest.raises(RegistryError, match="over the 4194304-byte limit"),
    ):
        http.get(f"{hostile.url}/pkg")
    assert t.elapsed < budget(5.0)


def test_the_scan_deadline_stops_every_later_request(hostile: hs.HostileServer) -> None:
    hostile.routes["/slow"] = hs.drip_body(every=0.1)
    hostile.routes["/fast"] = hs.answer(b"{}")
    with Timer() as t, client(request_deadline=60.0, scan_timeout=1.5) as http:
        with pytest.raises(DeadlineExceeded, match=r"scan's 1.5s time limit \(--timeout\)"):
            http.get(f"{hostile.url}/slow")
        with pytest.raises(DeadlineExceeded, match="/fast"):
            http.get(f"{hostile.url}/fast")
    assert t.elapsed < budget(3.5)
    assert hostile.count("/fast") == 0  # past the limit, nothing more is asked
    assert any("/slow" in n for n in http.notes)


def test_a_post_obeys_the_retry_after_cap_and_the_deadline(hostile: hs.HostileServer) -> None:
    from mcpscan.advisories._http import post_json

    hostile.routes["/q"] = hs.retry_after("100000")
    hostile.routes["/drip"] = hs.drip_body(every=0.1)
    with client() as http:
        with Timer() as t, pytest.raises(NetworkError, match="100000s"):
            post_json(http, f"{hostile.url}/q", {"queries": []})
        assert t.elapsed < budget(2.0)
        with Timer() as t, pytest.raises(DeadlineExceeded):
            post_json(http, f"{hostile.url}/drip", {"queries": []})
        assert t.elapsed < budget(4.0)


def test_wrong_json_is_a_registry_error_not_a_crash(hostile: hs.HostileServer) -> None:
    hostile.routes["/html"] = hs.answer(b"<html>", headers={"Content-Type": "text/html"})
    hostile.routes["/bad"] = hs.answer(b'{"a": ')
    with client() as http, pytest.raises(RegistryError, match="invalid JSON"):
        http.get_json(f"{hostile.url}/bad")


def test_a_refused_connection_is_named_without_urllib3s_wrapping() -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with client(retries=0) as http, pytest.raises(NetworkError) as err:
        http.get(f"http://127.0.0.1:{port}/pkg")
    message = str(err.value)
    assert "Connection refused" in message
    assert message.count("(") == message.count(")"), message
    assert not message.rstrip().endswith(("'", '"')), message
