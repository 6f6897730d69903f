"""A hostile HTTP server on 127.0.0.1: it answers the way a broken or malicious registry does.

Unlike :mod:`tests.support.registry_server` (which replays recorded answers), this one writes
raw bytes on the socket, so it can do what a well-behaved server library never would: drip
its headers or body one byte at a time, stall after the request, send a body that never
ends, or ask for a retry in a day. Each behaviour is a :class:`Behaviour` bound to a path.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

Handler = Callable[[socket.socket], None]


@dataclass
class HostileServer:
    routes: dict[str, Handler] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def count(self, path: str) -> int:
        with self._lock:
            return self.hits.get(path, 0)

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(30)
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                request += chunk
            head = request.split(b"\r\n", 1)[0].decode("latin-1")
            parts = head.split(" ")
            path = parts[1] if len(parts) > 1 else "/"
            if parts[0] == "POST":
                length = 0
                for line in request.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = request.split(b"\r\n\r\n", 1)[1]
                while len(body) < length:
                    body += conn.recv(65536)
            with self._lock:
                self.hits[path] = self.hits.get(path, 0) + 1
            handler = self.routes.get(path.split("?", 1)[0], not_found)
            handler(conn)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()


def _response(
    status: str, body: bytes, headers: dict[str, str] | None = None, *, length: bool = True
) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Content-Type: application/json", "Connection: close"]
    if length:
        lines.append(f"Content-Length: {len(body)}")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def not_found(conn: socket.socket) -> None:
    conn.sendall(_response("404 Not Found", b'{"error":"Not found"}'))


def answer(body: bytes, status: str = "200 OK", headers: dict[str, str] | None = None) -> Handler:
    def handle(conn: socket.socket) -> None:
        conn.sendall(_response(status, body, headers))

    return handle


def retry_after(seconds: str, status: str = "429 Too Many Requests") -> Handler:
    return answer(b'{"error":"slow down"}', status, {"Retry-After": seconds})


def sequence(*handlers: Handler) -> Handler:
    """Each request gets the next handler; the last one repeats."""
    queue = list(handlers)
    lock = threading.Lock()

    def handle(conn: socket.socket) -> None:
        with lock:
            current = queue.pop(0) if len(queue) > 1 else queue[0]
        current(conn)

    return handle


def drip_body(total: int = 10_000, every: float = 0.2) -> Handler:
    """Honest headers, then the body one byte every ``every`` seconds."""

    def handle(conn: socket.socket) -> None:
        conn.sendall(
            _response("200 OK", b"", length=False).replace(
                b"\r\n\r\n", f"\r\nContent-Length: {total}\r\n\r\n".encode(), 1
            )
        )
        for _ in range(total):
            conn.sendall(b" ")
            time.sleep(every)

    return handle


def drip_headers(every: float = 0.2) -> Handler:
    """A status line, then header bytes one at a time, forever."""

    def handle(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while True:
            conn.sendall(b"a")
            time.sleep(every)

    return handle


def stall(seconds: float = 600) -> Handler:
    """Read the request, then say nothing."""

    def handle(conn: socket.socket) -> None:
        time.sleep(seconds)

    return handle


def endless(chunk: int = 1 << 16, *, chunked: bool = True) -> Handler:
    """A body that never ends, as fast as the client reads it."""

    def handle(conn: socket.socket) -> None:
        if chunked:
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            piece = f"{chunk:x}\r\n".encode() + b"[" * chunk + b"\r\n"
        else:
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
            )
            piece = b"[" * chunk
        while True:
            conn.sendall(piece)

    return handle


def running() -> Iterator[HostileServer]:
    server = HostileServer()
    try:
        yield server
    finally:
        server.stop()
