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
import errno
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

TEMP_PREFIX = ".mcpscan-"
PRIVATE = 0o600  # owner only: keys, and cache contents (they may come from a private mirror)


@contextlib.contextmanager
def atomic_replace(path: Path, *, durable: bool = True, mode: int | None = None) -> Iterator[Path]:
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


def atomic_write_bytes(
    path: Path, data: bytes, *, durable: bool = True, mode: int | None = None
) -> None:
    """Write ``data`` to ``path`` through :func:`atomic_replace`. Raises OSError."""
    with atomic_replace(path, durable=durable, mode=mode) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(
    path: Path, text: str, *, durable: bool = True, mode: int | None = None
) -> None:
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


# -- reading ------------------------------------------------------------------------------

MAX_READ_BYTES = 8 * 1024 * 1024  # configs, policies, locks, lockfiles, keys


class FileReadError(OSError):
    """A file that cannot be read as data: missing, not a regular file (a FIFO would block
    the scan, a device never end), a dangling or looping link, unreadable, or too large.
    ``str(err)`` says which, without the path (callers name the file their own way)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


def file_problem(path: Path) -> str | None:
    """Why ``path`` is not a regular file that can be opened without blocking, or None.
    Looks at the file's type only (``stat``), never opens it."""
    import stat

    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            return "is a dangling symbolic link"
        return "does not exist"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symbolic link loop"
        if exc.errno == errno.EACCES:
            return "cannot be read (permission denied)"
        return f"cannot be read ({exc.strerror or type(exc).__name__})"
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return None
    kinds = (
        (stat.S_ISDIR, "is a directory"),
        (stat.S_ISFIFO, "is a FIFO (named pipe)"),
        (stat.S_ISSOCK, "is a socket"),
        (stat.S_ISCHR, "is a character device"),
        (stat.S_ISBLK, "is a block device"),
    )
    return next((text for test, text in kinds if test(mode)), "is not a regular file")


def read_bounded(path: Path, *, limit: int = MAX_READ_BYTES) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    The type is checked before the file is opened, and again on the open descriptor (the
    file may be swapped in between), which is opened non-blocking: a FIFO, device or socket
    is refused, never waited on. Raises :class:`FileReadError` naming the problem.
    """
    import stat

    problem = file_problem(path)
    if problem is not None:
        raise FileReadError(problem)
    try:
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FileReadError("is a symbolic link loop") from None
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise FileReadError("cannot be read (permission denied)") from None
        raise FileReadError(f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FileReadError("is not a regular file")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except FileReadError:
        raise
    except OSError as exc:
        raise FileReadError(f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    finally:
        os.close(fd)
    if size > limit:
        raise FileReadError(f"is larger than {_size(limit)}; not read")
    return b"".join(chunks)


def read_text(path: Path, *, what: str, error: Callable[..., Exception]) -> str:
    """The UTF-8 text of the small file ``path`` (a policy, a lock), read as
    :func:`read_bounded` does. A problem raises ``error(message, file=str(path))``:
    "<what> not found", or "cannot read <what>: ..." with the reason."""
    where = str(path)
    try:
        return read_bounded(path).decode("utf-8")
    except FileReadError as exc:
        if exc.reason == "does not exist":
            raise error(f"{what} not found", file=where) from None
        raise error(f"cannot read {what}: it {exc.reason}", file=where) from None
    except UnicodeDecodeError as exc:
        raise error(f"cannot read {what}: {exc.__class__.__name__}", file=where) from None


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"
