"""Writing files whole or not at all: the one atomic writer.

Every file mcpscan writes (reports, locks, attestations, the cache, advisory databases and
their indexes) goes through :func:`atomic_replace`: the content is written to a temporary
file in the target's own directory (``os.replace`` is atomic only within one file system),
flushed to disk, then renamed over the target. A reader, a concurrent scan or a run that
fails half-way sees the old file or the new one, never half of one, and the temporary file
is removed on every failure path, including an interrupt.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

TEMP_PREFIX = ".mcpscan-"
PRIVATE = 0o600  # owner only: keys, and cache contents (they may come from a private mirror)


@contextlib.contextmanager
def atomic_replace(path: Path, *, durable: bool = True, mode: int | None = None
                   ) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends without an exception,
    what was written there replaces ``path``. Any exception (or interrupt) in the block, or
    while replacing, removes the temporary file and propagates.

    ``durable``: fsync the file before the rename, so that a crash cannot leave ``path``
    empty. Cache entries pass False: a lost entry only costs a request, and every cache
    reader treats an unreadable entry as a miss.
    ``mode``: the file's permissions, set before anything is written to it; None gives the
    mode any new file gets under the umask (reports, locks and attestations are meant to be
    read by others).
    Raises OSError when the directory cannot be written.
    """
    fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=str(path.parent))
    os.close(fd)
    tmp = Path(name)
    replaced = False
    try:
        os.chmod(tmp, 0o666 & ~_umask() if mode is None else mode)
        yield tmp
        if durable:
            _fsync(tmp)
        os.replace(tmp, path)
        replaced = True
    finally:
        if not replaced:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True,
                       mode: int | None = None) -> None:
    """Write ``data`` to ``path`` through :func:`atomic_replace`. Raises OSError."""
    with atomic_replace(path, durable=durable, mode=mode) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: Path, text: str, *, durable: bool = True,
                      mode: int | None = None) -> None:
    """Write ``text`` (UTF-8, newlines as given) through :func:`atomic_replace`."""
    atomic_write_bytes(path, text.encode("utf-8"), durable=durable, mode=mode)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _umask() -> int:
    # The umask can only be read by setting it; set it straight back.
    umask = os.umask(0)
    os.umask(umask)
    return umask
