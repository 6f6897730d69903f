"""The document-store path of :meth:`mcpscan.net.http.HttpClient.get_reduced`: a fresh
stored copy, else the registry asked (revalidating a stale copy), the answer reduced and
stored."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from mcpscan.errors import NotFoundError
from mcpscan.net.store import DocumentStore


class Answer(Protocol):
    """What is read of an HTTP answer here (:class:`mcpscan.net.http.HttpResponse`)."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


T = TypeVar("T")
A = TypeVar("A", bound=Answer)


def reduced(
    get: Callable[..., A],
    offline: bool,
    url: str,
    store: DocumentStore | None,
    reduce: Callable[[A], T],
    encode: Callable[[T], Any],
    restore: Callable[[Any], T],
    missing: Callable[[], T] | None,
    headers: Mapping[str, str] | None,
    variant: str,
) -> tuple[T, float]:
    """:meth:`HttpClient.get_reduced`, and when the value returned was stored (for the
    evidence it stands for: :mod:`mcpscan.net.evidence`)."""
    damaged = (KeyError, TypeError, ValueError)
    stored = store.load(url, variant) if store is not None else None
    if stored is not None and stored.fresh:
        try:
            value = restore(stored.payload)
        except damaged:
            stored = None
        else:
            return value, stored.stored_at
    ask = dict(headers or {})
    if stored is not None:
        ask.update(stored.validators())
    try:
        resp = get(url, headers=ask, cache=store is None or offline)
        if resp.status == 304 and stored is not None and store is not None:
            try:
                value = restore(stored.payload)
            except damaged:
                resp = get(url, headers=headers, cache=offline)
            else:
                store.renew(url, stored, variant=variant)
                return value, time.time()
    except NotFoundError:
        if missing is None:
            raise
        value, resp_headers = missing(), {}
    else:
        value, resp_headers = reduce(resp), dict(resp.headers)
    if store is not None:
        store.save(url, encode(value), variant=variant, headers=resp_headers)
    return value, time.time()
