"""What one piece of work read through the HTTP layer, and how long the cache keeps it.

A provenance verdict may be reused by a later scan only while every answer it was made from
would still be served unchanged. :meth:`mcpscan.net.http.HttpClient.recording` collects,
for the calling thread, a digest of each answer read (status and body, or the stored
document) and the time until which the cache serves that same answer without asking again.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Evidence:
    """The answers read while recording; ``until`` is the earliest time at which one of
    them stops being served from the cache (``math.inf``: kept at any age)."""

    digests: list[str] = field(default_factory=list)
    until: float = math.inf

    def add(self, url: str, status: int, body: bytes, until: float) -> None:
        h = hashlib.sha256()
        h.update(f"{status} {url}\n".encode())
        h.update(body)
        self.digests.append(h.hexdigest())
        self.until = min(self.until, until)


class Recorder:
    """Per-thread :class:`Evidence` collection (the HTTP client's checks run in a pool)."""

    def __init__(self) -> None:
        self._local = threading.local()

    @contextlib.contextmanager
    def recording(self) -> Iterator[Evidence]:
        previous = getattr(self._local, "evidence", None)
        evidence = Evidence()
        self._local.evidence = evidence
        try:
            yield evidence
        finally:
            self._local.evidence = previous
            if previous is not None:  # nested: what the inner work read, the outer read too
                previous.digests.extend(evidence.digests)
                previous.until = min(previous.until, evidence.until)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Record nothing while the block runs (its caller records what it stands for)."""
        previous = getattr(self._local, "evidence", None)
        self._local.evidence = None
        try:
            yield
        finally:
            self._local.evidence = previous

    def add(self, url: str, status: int, body: bytes, until: float) -> None:
        evidence: Evidence | None = getattr(self._local, "evidence", None)
        if evidence is not None:
            evidence.add(url, status, body, until)


def kept_until(resp: Any, from_cache: bool, stored: bool, ttl: float, offline: bool) -> float:
    """Until when the HTTP layer answers this URL with this same response: at any age
    offline; until its expiry when it came from the cache; one TTL when it was just stored;
    never again when it was not stored."""
    if offline:
        return math.inf
    if from_cache:
        expires = getattr(resp, "expires", None)  # requests-cache's CachedResponse
        return math.inf if expires is None else float(expires.timestamp())
    return time.time() + ttl if stored else 0.0
