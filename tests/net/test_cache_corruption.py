"""A damaged HTTP cache is detected, moved aside and rebuilt; no scan hangs or crashes on it.

The cache is filled by the real client from a local server, then damaged the ways disks,
crashes and people damage files: flipped bytes, a cut-off file, garbage, a directory in its
place, a pickle planted in an entry, a lock held by another process, a writer killed mid-
write. Each test bounds the wall time of what follows.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from mcpscan.errors import OfflineCacheMiss
from mcpscan.net.http import HttpClient, HttpConfig
from tests.support.registry_server import RegistryServer, Route
from tests.support.timing import budget

DOCS = 30
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(registry_server: RegistryServer) -> RegistryServer:
    for i in range(DOCS):
        body = json.dumps({"i": i, "pad": "x" * 2000}).encode()
        registry_server.add(f"/doc{i}", Route(body=body))
    return registry_server


def fill(server: RegistryServer, cache: Path) -> Path:
    with HttpClient(HttpConfig(cache_dir=cache)) as http:
        http.map(lambda i: http.get_json(f"{server.url}/doc{i}"), range(DOCS))
    db = cache / "http-cache.sqlite"
    assert db.stat().st_size > 0
    return db


def scan_all(
    server: RegistryServer, cache: Path, *, offline: bool = False
) -> tuple[list[object], tuple[str, ...], float]:
    """Every document through a fresh client: what came back (an exception counts as the
    answer), the client's notes, and the wall time."""
    start = time.monotonic()
    with HttpClient(HttpConfig(cache_dir=cache, offline=offline)) as http:

        def one(i: int) -> object:
            try:
                return http.get_json(f"{server.url}/doc{i}")
            except OfflineCacheMiss as exc:
                return exc

        found = http.map(one, range(DOCS))
        notes = http.notes
    return found, notes, time.monotonic() - start


def expected(i: int) -> dict[str, object]:
    return {"i": i, "pad": "x" * 2000}


def flip(seed: int, count: int) -> Callable[[bytearray], bytearray]:
    def damage(data: bytearray) -> bytearray:
        rnd = random.Random(seed)
        for _ in range(count):
            data[rnd.randrange(len(data))] ^= 0xFF
        return data

    return damage


DAMAGE: dict[str, Callable[[bytearray], bytearray]] = {
    **{f"flip-{seed}": flip(seed, 300) for seed in (11, 15, 17, 24, 28)},
    "flip-header": lambda d: bytearray(b"x" * 16) + d[16:],
    "flip-schema-page": lambda d: d[:100] + bytearray(b ^ 0x55 for b in d[100:600]) + d[600:],
    "truncate": lambda d: d[: len(d) // 3],
    "truncate-mid-page": lambda d: d[: len(d) // 2 + 123],
    "garbage": lambda d: bytearray(random.Random(1).randbytes(len(d))),
    "empty": lambda d: bytearray(),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("how", list(DAMAGE))
def test_a_damaged_cache_file_is_moved_aside_and_rebuilt(
    server: RegistryServer, tmp_path: Path, how: str
) -> None:
    cache = tmp_path / "cache"
    db = fill(server, cache)
    db.write_bytes(bytes(DAMAGE[how](bytearray(db.read_bytes()))))

    found, notes, elapsed = scan_all(server, cache)
    assert found == [expected(i) for i in range(DOCS)]  # online: every answer right
    assert elapsed < budget(15)
    if how != "empty":  # an empty file is a new database, not damage
        assert any("moved to http-cache.sqlite.corrupt-" in n for n in notes), notes
        assert list(cache.glob("http-cache.sqlite.corrupt-*"))

    # The rebuilt cache works: answers read from the old file before the damage showed
    # are not in it (misses offline), and a second online scan fills it in full.
    found, notes, elapsed = scan_all(server, cache, offline=True)
    assert elapsed < budget(10)
    assert all(a == expected(i) or isinstance(a, OfflineCacheMiss) for i, a in enumerate(found))
    scan_all(server, cache)
    found, notes, elapsed = scan_all(server, cache, offline=True)
    assert found == [expected(i) for i in range(DOCS)]
    assert not notes


@pytest.mark.timeout(60)
@pytest.mark.parametrize("how", ["flip-17", "truncate", "garbage"])
def test_offline_a_damaged_cache_is_an_incomplete_scan_not_a_hang(
    server: RegistryServer, tmp_path: Path, how: str
) -> None:
    cache = tmp_path / "cache"
    db = fill(server, cache)
    db.write_bytes(bytes(DAMAGE[how](bytearray(db.read_bytes()))))
    found, notes, elapsed = scan_all(server, cache, offline=True)
    assert elapsed < budget(10)
    for i, answer in enumerate(found):
        # Each document is either served intact or a cache miss (exit 3 for a scan).
        assert answer == expected(i) or isinstance(answer, OfflineCacheMiss)
    assert any(isinstance(a, OfflineCacheMiss) for a in found)
    assert any("moved to" in n for n in notes)


def _entries(db: Path) -> list[tuple[str, bytes]]:
    with sqlite3.connect(db) as con:
        return list(con.execute("SELECT key, value FROM responses"))


def test_a_flipped_byte_inside_an_entry_is_a_miss_not_served(
    server: RegistryServer, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    db = fill(server, cache)
    before = len(server.requests)
    with sqlite3.connect(db) as con:
        for key, value in _entries(db):
            damaged = bytearray(value)
            damaged[-40] ^= 0x01  # inside the stored body, not the checksum
            con.execute("UPDATE responses SET value=? WHERE key=?", (bytes(damaged), key))
    found, _, _ = scan_all(server, cache)
    assert found == [expected(i) for i in range(DOCS)]
    assert len(server.requests) - before == DOCS  # every damaged entry was fetched again


def test_a_pickle_planted_in_the_cache_is_never_run(server: RegistryServer, tmp_path: Path) -> None:
    import pickle

    cache = tmp_path / "cache"
    db = fill(server, cache)
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {marker}",))

    with sqlite3.connect(db) as con:
        con.execute("UPDATE responses SET value=?", (pickle.dumps(Payload()),))
    found, _, _ = scan_all(server, cache)
    assert found == [expected(i) for i in range(DOCS)]
    assert not marker.exists()


_HOLD_LOCK = """
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(120)
"""


@pytest.mark.timeout(60)
def test_a_cache_locked_by_another_process_is_skipped_not_waited_for(
    server: RegistryServer, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    db = fill(server, cache)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        found, notes, elapsed = scan_all(server, cache)
    finally:
        holder.kill()
        holder.wait()
    assert found == [expected(i) for i in range(DOCS)]
    assert elapsed < budget(12)
    assert any("locked by another process" in n for n in notes), notes
    assert db.exists()  # a locked file is sound: it is not moved aside
    assert not list(cache.glob("http-cache.sqlite.corrupt-*"))


_WRITER = """
import json, sys
sys.path.insert(0, sys.argv[3])
from pathlib import Path
from mcpscan.net.http import HttpClient, HttpConfig
base, cache = sys.argv[1], Path(sys.argv[2])
while True:
    with HttpClient(HttpConfig(cache_dir=cache, ttl_seconds=0)) as http:
        http.map(lambda i: http.get_json(f"{base}/doc{i}"), range(30))
        print("round", flush=True)
"""


@pytest.mark.timeout(90)
def test_concurrent_scans_share_one_cache(server: RegistryServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, server.url, str(cache), str(REPO)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for w in writers:
            assert w.stdout is not None
            assert w.stdout.readline().strip() == "round"
        found, notes, elapsed = scan_all(server, cache)
        assert found == [expected(i) for i in range(DOCS)]
        assert elapsed < budget(15)
        assert not list(cache.glob("http-cache.sqlite.corrupt-*")), notes
    finally:
        for w in writers:
            w.kill()
            w.wait()


@pytest.mark.timeout(120)
def test_a_writer_killed_mid_write_leaves_a_usable_cache(
    server: RegistryServer, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    rnd = random.Random(5)
    for _ in range(4):
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, server.url, str(cache), str(REPO)],
            stdout=subprocess.DEVNULL,
        )
        time.sleep(0.6 + rnd.random())
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        for offline in (True, False):
            found, _, elapsed = scan_all(server, cache, offline=offline)
            assert elapsed < budget(15)
            for i, answer in enumerate(found):
                assert answer == expected(i) or (offline and isinstance(answer, OfflineCacheMiss))
