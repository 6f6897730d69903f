"""Read what a wheel or sdist declares, as data, without installing or extracting it.

A wheel is a zip whose central directory sits at its end, so its ``.dist-info/METADATA`` and
the list of files it would install can be read with two or three HTTP range requests instead
of downloading a package that may be tens of megabytes. A server that ignores ``Range``
answers with the whole file, which is then read the same way from memory. Nothing is written
to disk and no member is executed; every size read is bounded, so a hostile archive costs at
most the limits below.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, cast

from mcpscan.errors import RegistryError
from mcpscan.net.http import NotFoundError

if TYPE_CHECKING:  # pragma: no cover
    from mcpscan.net.http import HttpClient, HttpResponse

TAIL_BYTES = 64 * 1024  # one request covers EOCD + central directory of most wheels
MIN_FETCH = 64 * 1024  # read-ahead, so a member's header and data come in one request
MAX_MEMBER_BYTES = 16 * 1024 * 1024  # METADATA / RECORD / PKG-INFO larger than this: refused
MAX_SDIST_SCAN_BYTES = 256 * 1024 * 1024  # decompressed bytes scanned for an sdist's PKG-INFO
MAX_RANGE_REQUESTS = 32  # a central directory that needs more reads than this is refused

_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


class ArchiveError(RegistryError):
    """An artifact is not a readable wheel/sdist (corrupt, hostile, or over a limit)."""


class IntegrityError(RegistryError):
    """The downloaded bytes do not match the digest the index published for them."""


@dataclass(frozen=True)
class WheelContents:
    """What mcpscan needs from a wheel: its core metadata and the .pth files it installs."""

    metadata: bytes
    pth_files: tuple[str, ...]
    via: str  # "range" (HTTP range requests) or "download" (whole file)


def read_remote_wheel(
    client: HttpClient,
    url: str,
    *,
    project: str,
    size: int | None = None,
    sha256: str | None = None,
) -> WheelContents:
    """METADATA and .pth members of the wheel at ``url``, with range requests when possible.

    ``size`` (from the index) lets the first request be an explicit range; without it a
    suffix range is sent. A ``200`` answer means the server ignored ``Range``: the body is
    the whole wheel and, when ``sha256`` is known, it must match.
    """
    try:
        remote = _RangeFile.open(client, url, size)
    except (ArchiveError, NotFoundError):
        raise
    except RegistryError:
        # e.g. 416 for a size the index got wrong: the plain download still works.
        return read_wheel_bytes(_download(client, url, sha256), project=project)
    via = "range" if remote.honoured_range else "download"
    if remote.whole is not None:
        if sha256 is not None:
            _check_digest(remote.whole, sha256, url)
        return read_wheel_bytes(remote.whole, project=project, via=via)
    with remote:
        return _read_wheel(cast(IO[bytes], remote), project=project, via=via, url=url)


def read_wheel_bytes(data: bytes, *, project: str, via: str = "download") -> WheelContents:
    return _read_wheel(io.BytesIO(data), project=project, via=via, url=None)


def download_sdist_pkg_info(
    client: HttpClient, url: str, filename: str, *, sha256: str | None = None
) -> bytes:
    """The PKG-INFO of an sdist, read from the downloaded archive as data (never built)."""
    return read_sdist_pkg_info(_download(client, url, sha256), filename)


def read_sdist_pkg_info(data: bytes, filename: str) -> bytes:
    """The top-level ``<name>-<version>/PKG-INFO`` of a .tar.gz/.tar.bz2/.tar.xz/.zip sdist."""
    if filename.lower().endswith(".zip"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    if _is_top_pkg_info(info.filename):
                        return _read_zip_member(archive, info, filename)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise ArchiveError(f"{filename}: not a readable zip ({exc})") from None
        raise ArchiveError(f"{filename}: no PKG-INFO at the top of the archive")
    return _tar_pkg_info(data, filename)


# -- zip reading ---------------------------------------------------------------------------


def _read_wheel(fileobj: IO[bytes], *, project: str, via: str, url: str | None) -> WheelContents:
    label = url or "wheel"
    try:
        with zipfile.ZipFile(fileobj) as archive:
            infos = archive.infolist()
            names = [info.filename for info in infos]
            dist_info = _dist_info_dir(names, project, label)
            by_name = {info.filename: info for info in infos}
            metadata = _read_zip_member(archive, by_name[f"{dist_info}/METADATA"], label)
            record_info = by_name.get(f"{dist_info}/RECORD")
            record = _read_zip_member(archive, record_info, label) if record_info else b""
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
        raise ArchiveError(f"{label}: not a readable wheel ({exc})") from None
    except OSError as exc:
        raise ArchiveError(f"{label}: unreadable wheel ({exc})") from None
    # pip installs what the archive holds, not what RECORD claims, so both count: a .pth
    # left out of RECORD still lands in site-packages (litellm 1.82.8 shipped
    # litellm_init.pth, run at every interpreter start).
    pth = {name for name in names if name.lower().endswith(".pth")}
    pth.update(_record_paths(record, lambda p: p.lower().endswith(".pth")))
    return WheelContents(metadata=metadata, pth_files=tuple(sorted(pth)), via=via)


def _dist_info_dir(names: list[str], project: str, label: str) -> str:
    from packaging.utils import canonicalize_name

    found = sorted(
        {n.split("/", 1)[0] for n in names if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)}
    )
    if len(found) == 1:
        return found[0]
    matching = [
        d for d in found if canonicalize_name(d[: -len(".dist-info")].split("-", 1)[0]) == project
    ]
    if len(matching) == 1:
        return matching[0]
    if not found:
        raise ArchiveError(f"{label}: no .dist-info/METADATA in the wheel")
    raise ArchiveError(f"{label}: {len(found)} .dist-info directories, none clearly {project}")


def _read_zip_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> bytes:
    if info.file_size > MAX_MEMBER_BYTES:
        raise ArchiveError(
            f"{label}: {info.filename} declares {info.file_size} bytes (limit {MAX_MEMBER_BYTES})"
        )
    with archive.open(info) as member:
        data = member.read(MAX_MEMBER_BYTES + 1)
    if len(data) > MAX_MEMBER_BYTES:
        raise ArchiveError(f"{label}: {info.filename} is over {MAX_MEMBER_BYTES} bytes")
    return data


def _record_paths(record: bytes, wanted: Callable[[str], bool]) -> set[str]:
    import csv

    text = record.decode("utf-8", errors="replace")
    paths: set[str] = set()
    for row in csv.reader(io.StringIO(text)):
        if row and wanted(row[0]):
            paths.add(row[0])
    return paths


# -- sdist reading -------------------------------------------------------------------------


def _is_top_pkg_info(name: str) -> bool:
    parts = name.strip("/").split("/")
    return len(parts) == 2 and parts[1] == "PKG-INFO"


def _tar_pkg_info(data: bytes, filename: str) -> bytes:
    import tarfile

    stream = _LimitedReader(_decompressor(data, filename), MAX_SDIST_SCAN_BYTES, filename)
    try:
        # Stream mode reads members in order and never seeks: nothing but headers and the
        # one member asked for are decoded, and nothing is written anywhere.
        with tarfile.open(fileobj=stream, mode="r|") as archive:
            for member in archive:
                if not (member.isfile() and _is_top_pkg_info(member.name)):
                    continue
                if member.size > MAX_MEMBER_BYTES:
                    raise ArchiveError(f"{filename}: PKG-INFO declares {member.size} bytes")
                handle = archive.extractfile(member)
                if handle is None:
                    break
                return handle.read(MAX_MEMBER_BYTES)
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        raise ArchiveError(f"{filename}: not a readable sdist ({exc})") from None
    raise ArchiveError(f"{filename}: no PKG-INFO at the top of the archive")


def _decompressor(data: bytes, filename: str) -> io.BufferedIOBase:
    raw = io.BytesIO(data)
    if data[:2] == b"\x1f\x8b":
        import gzip

        return gzip.GzipFile(fileobj=raw)
    if data[:3] == b"BZh":
        import bz2

        return bz2.BZ2File(raw)
    if data[:6] == b"\xfd7zXZ\x00":
        import lzma

        return lzma.LZMAFile(raw)
    if filename.lower().endswith(".tar"):
        return raw
    raise ArchiveError(f"{filename}: unknown sdist compression")


class _LimitedReader(io.RawIOBase):
    """Stops a decompression bomb: reading past ``limit`` bytes is an ArchiveError."""

    def __init__(self, inner: io.BufferedIOBase, limit: int, label: str) -> None:
        self._inner = inner
        self._left = limit
        self._label = label

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        chunk = self._inner.read(len(buffer))
        self._left -= len(chunk)
        if self._left < 0:
            raise ArchiveError(
                f"{self._label}: expands past {MAX_SDIST_SCAN_BYTES} bytes before PKG-INFO"
            )
        buffer[: len(chunk)] = chunk
        return len(chunk)


# -- HTTP ----------------------------------------------------------------------------------


def _download(client: HttpClient, url: str, sha256: str | None) -> bytes:
    # Artifacts are immutable and read once: the facts taken from them are cached instead.
    data = client.get(url, cache=False).content
    if sha256 is not None:
        _check_digest(data, sha256, url)
    return data


def _check_digest(data: bytes, sha256: str, url: str) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256.lower():
        raise IntegrityError(f"{url}: sha256 {actual} does not match the index's {sha256.lower()}")


class _RangeFile(io.RawIOBase):
    """A seekable view of a remote file that fetches the byte ranges zipfile reads."""

    def __init__(self, client: HttpClient, url: str, size: int) -> None:
        self._client = client
        self._url = url
        self._size = size
        self._pos = 0
        self._chunks: list[tuple[int, bytes]] = []
        self._requests = 0
        self.whole: bytes | None = None
        self.honoured_range = False

    @classmethod
    def open(cls, client: HttpClient, url: str, size: int | None) -> _RangeFile:
        if size is not None and size > 0:
            resp = _get_range(client, url, f"bytes={max(0, size - TAIL_BYTES)}-{size - 1}")
        else:
            resp = _get_range(client, url, f"bytes=-{TAIL_BYTES}")
        if resp.status != 206:
            total = len(resp.content)
            if size is not None and size > 0 and total != size:
                raise ArchiveError(f"{url}: {total} bytes served, the index says {size}")
            whole = cls(client, url, total)
            whole.whole = resp.content
            return whole
        first, total = _content_range(resp, url)
        if size is not None and size > 0 and total != size:
            raise ArchiveError(f"{url}: server reports {total} bytes, the index says {size}")
        remote = cls(client, url, total)
        remote.honoured_range = True
        remote._requests = 1
        remote._chunks.append((first, resp.content))
        if first == 0 and len(resp.content) == total:
            remote.whole = resp.content  # a small wheel arrives whole: its digest is checkable
        return remote

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self._size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if pos < 0:
            raise OSError("seek before the start of the file")
        self._pos = pos
        return pos

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        want = min(len(buffer), self._size - self._pos)
        if want <= 0:
            return 0
        data = self._slice(self._pos, want)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def _slice(self, start: int, length: int) -> bytes:
        for chunk_start, chunk in self._chunks:
            if chunk_start <= start and start + length <= chunk_start + len(chunk):
                offset = start - chunk_start
                return chunk[offset : offset + length]
        end = min(self._size, start + max(length, MIN_FETCH)) - 1
        if self._requests >= MAX_RANGE_REQUESTS:
            raise ArchiveError(f"{self._url}: needs more than {MAX_RANGE_REQUESTS} range reads")
        resp = _get_range(self._client, self._url, f"bytes={start}-{end}")
        self._requests += 1
        if resp.status == 206:
            got_start, _ = _content_range(resp, self._url)
            if got_start != start:
                raise ArchiveError(f"{self._url}: asked for byte {start}, got {got_start}")
            self._chunks.append((start, resp.content))
            data = resp.content[:length]
        else:
            # The server stopped honouring Range mid-way: the body is the whole file.
            self._chunks = [(0, resp.content)]
            data = resp.content[start : start + length]
        if len(data) < length:
            raise ArchiveError(f"{self._url}: short range read at byte {start}")
        return data


def _get_range(client: HttpClient, url: str, value: str) -> HttpResponse:
    # A plain header, not HttpClient's byte_range: that switches the shared cached session's
    # cache off for every thread while it runs. A 206 is never stored, and the one cached
    # answer for the URL would be a whole 200 file, which is handled as such.
    return client.get(url, headers={"Range": value})


def _content_range(resp: HttpResponse, url: str) -> tuple[int, int]:
    header = next((v for k, v in resp.headers.items() if k.lower() == "content-range"), "")
    match = _CONTENT_RANGE.match(header.strip())
    if match is None or match.group(3) == "*":
        raise ArchiveError(f"{url}: partial answer without a usable Content-Range")
    first, last, total = int(match.group(1)), int(match.group(2)), int(match.group(3))
    if last - first + 1 != len(resp.content) or last >= total:
        raise ArchiveError(f"{url}: Content-Range {header!r} does not match the body")
    return first, total
