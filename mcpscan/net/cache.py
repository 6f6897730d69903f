"""The HTTP cache's SQLite file, made safe to open whatever state it is in.

requests-cache's SQLite backend has three failure modes mcpscan cannot accept:

* it waits for a write transaction in an endless loop while holding its lock, so a file
  that answers ``BEGIN IMMEDIATE`` with a lasting error (a flipped byte can do that) hangs
  every thread of every later scan;
* a truncated or overwritten file raises ``sqlite3.DatabaseError`` out of every request;
* its default serializer is pickle, so whoever can write the cache file runs code in the
  next scan, and a flipped byte in a stored body is served as if the registry had sent it.

Here the write lock is waited for a bounded time, the file is checked before it is opened,
entries are JSON (never pickle) behind a SHA-256 checksum, so a damaged entry is a miss,
and :func:`quarantine` moves a broken file aside so that a new one can be started.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcpscan.errors import CacheError

if TYPE_CHECKING:  # pragma: no cover
    from requests_cache.backends.sqlite import SQLiteCache

SQLITE_MAGIC = b"SQLite format 3\x00"
LOCK_WAIT_SECONDS = 3.0  # how long a write waits for another scan's transaction
BUSY_TIMEOUT_MS = 1000  # SQLite's own wait on a locked file, per statement
_CHECKSUM = b"mcpscan-sha256:"
_SIDE_FILES = ("-wal", "-shm", "-journal")


class CacheBusy(CacheError):
    """Another process held the cache's write lock for longer than mcpscan waits."""


class CacheCorrupt(CacheError):
    """The cache file is not a usable SQLite database."""


def sqlite_path(base: Path) -> Path:
    """The file requests-cache uses for the cache named ``base``."""
    return base.with_name(base.name + ".sqlite")


def check_file(path: Path) -> str | None:
    """Why the SQLite file at ``path`` cannot be used, or None when it looks sound (or
    does not exist yet). Reads the 100-byte header only: cheap enough for every scan."""
    import stat

    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot be read ({exc.strerror or type(exc).__name__})"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    if info.st_size == 0:
        return None
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or type(exc).__name__})"
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        return "is not an SQLite database"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if page_size < 512 or page_size & (page_size - 1):
        return "has a damaged header"
    if info.st_size % page_size or (pages and info.st_size < pages * page_size):
        return "is truncated"
    return None


def quarantine(path: Path) -> Path | None:
    """Move the database at ``path`` (and its journal files) aside; the new name, or None
    when nothing could be moved (then the caller works without a cache)."""
    import uuid

    target = path.with_name(f"{path.name}.corrupt-{int(time.time())}-{uuid.uuid4().hex[:8]}")
    moved: Path | None = None
    for suffix in ("", *_SIDE_FILES):
        source = path.with_name(path.name + suffix)
        try:
            os.replace(source, target.with_name(target.name + suffix))
        except FileNotFoundError:
            continue
        except OSError:
            if not suffix:
                return None
            continue
        if not suffix:
            moved = target
    return moved


def open_backend(base: Path) -> SQLiteCache:
    """The guarded SQLite backend for the cache named ``base`` (requests-cache adds
    ``.sqlite``). Raises :class:`CacheCorrupt` (after nothing was changed) when the file is
    unusable, and sqlite3 errors that the caller treats the same way."""
    reason = check_file(sqlite_path(base))
    if reason is not None:
        raise CacheCorrupt(f"the HTTP cache {sqlite_path(base)} {reason}")
    backend: SQLiteCache = _guarded_backend_class()(base)
    return backend


def serializer() -> Any:
    """JSON entries behind a checksum: data, never code, and a damaged entry reads as a
    miss (requests-cache treats a ValueError from ``loads`` as "not cached")."""
    from requests_cache.serializers.pipeline import SerializerPipeline, Stage
    from requests_cache.serializers.preconf import json_preconf_stage

    def dumps(text: str) -> bytes:
        data = text.encode("utf-8")
        return _CHECKSUM + hashlib.sha256(data).hexdigest().encode() + b"\n" + data

    def loads(blob: Any) -> str:
        data = bytes(blob)
        head, _, body = data.partition(b"\n")
        if not head.startswith(_CHECKSUM) or (
                head[len(_CHECKSUM):] != hashlib.sha256(body).hexdigest().encode()):
            raise ValueError("cache entry fails its checksum")
        return body.decode("utf-8")

    return SerializerPipeline(
        [json_preconf_stage,
         Stage(dumps=lambda obj: json.dumps(obj, separators=(",", ":")), loads=json.loads),
         Stage(dumps=dumps, loads=loads)],
        name="mcpscan-json",
        is_binary=True,
    )


def _guarded_backend_class() -> Any:
    from requests_cache.backends.base import BaseCache
    from requests_cache.backends.sqlite import SQLiteCache, SQLiteDict

    class GuardedDict(SQLiteDict):
        @contextlib.contextmanager
        def _acquire_sqlite_lock(self) -> Iterator[None]:
            with self._lock:
                con = self._connection
                if con is None:
                    raise CacheCorrupt("the HTTP cache connection is closed")
                give_up = time.monotonic() + LOCK_WAIT_SECONDS
                while True:
                    try:
                        con.execute("BEGIN IMMEDIATE")
                        self._active_transaction = True
                        break
                    except sqlite3.OperationalError as exc:
                        text = str(exc).lower()
                        if "locked" not in text and "busy" not in text:
                            raise CacheCorrupt(f"the HTTP cache cannot be written ({exc})"
                                               ) from None
                        if time.monotonic() > give_up:
                            raise CacheBusy("the HTTP cache was locked by another process for "
                                            f"over {LOCK_WAIT_SECONDS:g}s") from None
                        time.sleep(0.01)
                try:
                    yield
                    con.commit()
                except sqlite3.OperationalError:
                    con.rollback()
                finally:
                    self._active_transaction = False

    class GuardedCache(SQLiteCache):
        def __init__(self, db_path: Path) -> None:
            BaseCache.__init__(self, cache_name=str(db_path))
            common: dict[str, Any] = {"busy_timeout": BUSY_TIMEOUT_MS}
            self.responses = GuardedDict(db_path, table_name="responses",
                                         serializer=serializer(), **common)
            self.redirects = GuardedDict(db_path, table_name="redirects",
                                         lock=self.responses._lock, serializer=None, **common)

    return GuardedCache
