"""Whole scans against hostile registries and damaged caches: each ends in bounded time
with the documented exit code and a message naming what went wrong."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from tests.support import hostile_server as hs
from tests.support.registry_server import RegistryServer
from tests.support.timing import budget

from .conftest import Env, npx, packument, publish, run_scan, write_config


@pytest.fixture
def hostile() -> Iterator[hs.HostileServer]:
    yield from hs.running()


@pytest.mark.timeout(30)
def test_a_registry_asking_for_a_retry_in_a_day_ends_the_scan_incomplete(
    hostile: hs.HostileServer, env: Env
) -> None:
    hostile.routes["/slow-mcp"] = hs.retry_after("100000")
    config = write_config(env.cwd / ".mcp.json", {"slow": npx("slow-mcp@1.0.0")})
    start = time.monotonic()
    run = run_scan(hostile.url, config, "-f", "json")
    assert time.monotonic() - start < budget(5)
    assert run.code == 3, run.stderr
    assert "asked to be retried in 100000s" in run.stderr
    assert run.json()["incomplete"] is True


@pytest.mark.timeout(30)
def test_a_dripping_registry_is_cut_by_timeout_and_named(
    hostile: hs.HostileServer, env: Env
) -> None:
    hostile.routes["/drip-mcp"] = hs.drip_body(every=0.1)
    config = write_config(env.cwd / ".mcp.json", {"drip": npx("drip-mcp@1.0.0")})
    start = time.monotonic()
    run = run_scan(hostile.url, config, "-f", "json", "--timeout", "2")
    elapsed = time.monotonic() - start
    assert 1.5 < elapsed < budget(6)
    assert run.code == 3, run.stderr
    assert (
        f"scan's 2s time limit (--timeout) ran out while fetching {hostile.url}/drip-mcp"
        in run.stderr
    )
    assert run.json()["incomplete"] is True


@pytest.mark.timeout(30)
def test_mcpscan_timeout_in_the_environment_is_the_same_limit(
    hostile: hs.HostileServer, env: Env
) -> None:
    hostile.routes["/drip-mcp"] = hs.drip_body(every=0.1)
    env.mp.setenv("MCPSCAN_TIMEOUT", "1.5")
    config = write_config(env.cwd / ".mcp.json", {"drip": npx("drip-mcp@1.0.0")})
    start = time.monotonic()
    run = run_scan(hostile.url, config, "-f", "json")  # no table: diagnostics on stderr
    assert time.monotonic() - start < budget(6)
    assert run.code == 3
    assert "1.5s time limit (--timeout)" in run.stderr


def test_a_timeout_that_is_not_positive_is_a_usage_error(server: RegistryServer, env: Env) -> None:
    config = write_config(env.cwd / ".mcp.json", {"x": npx("x-mcp@1.0.0")})
    run = run_scan(server, config, "--timeout", "0")
    assert run.code == 2
    assert "--timeout must be a positive number" in run.stderr


@pytest.mark.timeout(60)
@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_a_damaged_cache_is_rebuilt_with_a_warning_and_the_scan_goes_on(
    server: RegistryServer, env: Env, damage: str
) -> None:
    publish(server, packument("fine-mcp", {"1.0.0": {}}))
    config = write_config(env.cwd / ".mcp.json", {"fine": npx("fine-mcp@1.0.0")})
    cache = env.tmp / "cache"
    first = run_scan(server, config, "-f", "json", cache=cache)
    assert first.code in (0, 1), first.stderr
    for db in cache.rglob("*.sqlite"):
        data = db.read_bytes()
        db.write_bytes(data[: len(data) // 3] if damage == "truncate" else b"\x00junk" * 999)
    start = time.monotonic()
    again = run_scan(server, config, "-f", "json", cache=cache)
    assert time.monotonic() - start < budget(15)
    assert again.code == first.code, again.stderr
    assert "internal error" not in again.stderr
    assert json.loads(again.stdout)["verdict"] == json.loads(first.stdout)["verdict"]
    offline = run_scan(server, config, "-f", "json", "--offline", cache=cache)
    assert "internal error" not in offline.stderr
    assert offline.code in (0, 1, 3)


WRONG_TYPES = {
    "versions-is-a-string": ({"versions": "oops"}, "has no usable 'versions'"),
    "document-is-a-list": (None, "is not a JSON object"),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("case", list(WRONG_TYPES))
def test_a_registry_document_with_wrong_types_is_a_diagnostic_naming_it(
    server: RegistryServer, env: Env, case: str
) -> None:
    from tests.support.registry_server import Route

    change, message = WRONG_TYPES[case]
    doc: object = [1, 2] if change is None else {**packument("typed-mcp", {"1.0.0": {}}), **change}
    server.add("/typed-mcp", Route(body=json.dumps(doc).encode()))
    config = write_config(env.cwd / ".mcp.json", {"t": npx("typed-mcp@1.0.0")})
    run = run_scan(server, config, "-f", "json")
    assert run.code == 3, run.stderr
    assert "internal error" not in run.stderr
    assert f"npm packument for typed-mcp {message}" in run.stderr
    assert run.json()["incomplete"] is True
