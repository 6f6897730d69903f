"""The one HTTP layer: pooled session, timeouts, retries, cached reads, offline mode.

Every network fact mcpscan uses passes through :class:`HttpClient`, so caching, retries and
"--offline opens no socket" hold everywhere. The HTTP cache is requests-cache (SQLite) in
the cache directory (:mod:`mcpscan.net.store`); ``--offline`` serves stale entries and turns
a miss into :class:`~mcpscan.errors.OfflineCacheMiss` instead of a request.

Registry documents that are large and read in a reduced form (npm packuments, PyPI project
pages and JSON documents) are kept in a :class:`~mcpscan.net.store.DocumentStore` instead
(:meth:`HttpClient.get_reduced`): the reduced form as JSON, with the answer's validators,
under the same TTL and offline rules. Reading a few
kilobytes of it beats re-parsing megabytes from the HTTP cache, and the raw bodies are not
written to SQLite at all.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mcpscan import __version__
from mcpscan.errors import NetworkError, OfflineCacheMiss, RegistryError
from mcpscan.net.store import HTTP_CACHE, DocumentStore
from mcpscan.redaction import CREDENTIAL_PARAMETERS, display_url, split_userinfo

if TYPE_CHECKING:  # pragma: no cover
    from types import TracebackType

    import requests
    from typing_extensions import Self
    from urllib3.connectionpool import ConnectionPool
    from urllib3.response import BaseHTTPResponse
    from urllib3.util.retry import Retry

T = TypeVar("T")
R = TypeVar("R")

USER_AGENT = f"mcpscan/{__version__} (+https://github.com/mcpscan/mcpscan)"
DEFAULT_TTL_SECONDS = 3600
MAX_BODY_BYTES = 64 * 1024 * 1024  # a packument larger than this is refused, not buffered


# Decoding a JSON body needs several times its size while it runs (the text, then every
# object before the caller trims it), and holds the GIL, so parallel decodes gain no time:
# above this size, at most two run at once, whatever the number of download threads.
LARGE_BODY_BYTES = 1 << 20
_large_decodes = threading.BoundedSemaphore(2)


def loads_json(content: bytes, *, object_hook: Callable[[dict[str, Any]], Any] | None = None
               ) -> Any:
    """:func:`json.loads` for a response body, with big bodies decoded two at a time."""
    if len(content) < LARGE_BODY_BYTES:
        return json.loads(content, object_hook=object_hook)
    with _large_decodes:
        return json.loads(content, object_hook=object_hook)


class NotFoundError(RegistryError):
    """The registry answered 404/410: the package or version does not exist there."""


@dataclass(frozen=True)
class HttpConfig:
    cache_dir: Path | None = None  # None: no on-disk cache (--no-cache)
    offline: bool = False
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.5
    ttl_seconds: int = DEFAULT_TTL_SECONDS
    max_workers: int = 16
    user_agent: str = USER_AGENT
    max_body_bytes: int = MAX_BODY_BYTES


@dataclass(frozen=True)
class HttpResponse:
    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes = field(repr=False)
    from_cache: bool = False

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", self.headers.get("content-type", ""))


class _OfflineAdapter:
    """Transport used in --offline mode: any request that reaches it is a cache miss."""

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:
        raise OfflineCacheMiss(f"--offline: {display_url(request.url or '')} is not in the cache")

    def close(self) -> None:
        return None


class HttpClient:
    """Thread-safe HTTP access with retries and caching. Create one per scan."""

    def __init__(self, config: HttpConfig | None = None) -> None:
        self.config = config or HttpConfig()
        self._lock = threading.Lock()
        self._network_requests = 0
        self._session: requests.Session | None = None
        # Range reads and explicit no-cache requests go through a session of their own:
        # requests-cache's cache_disabled() switches the cache off for every thread at once.
        self._plain: requests.Session | None = None

    # -- session -----------------------------------------------------------------------

    def _build_session(self, *, cached: bool = True) -> requests.Session:
        import requests
        from requests.adapters import HTTPAdapter

        cfg = self.config
        session: requests.Session
        if cfg.cache_dir is not None and cached:
            import requests_cache

            if cfg.offline:
                # Serving a stale entry is the point of --offline, not a warning.
                logging.getLogger("requests_cache").setLevel(logging.ERROR)
            cfg.cache_dir.mkdir(parents=True, exist_ok=True)
            session = requests_cache.CachedSession(
                str(cfg.cache_dir / HTTP_CACHE),
                backend="sqlite",
                expire_after=-1 if cfg.offline else cfg.ttl_seconds,
                # The same URL is fetched as a full and an abbreviated npm document.
                match_headers=["Accept"],
                # Never part of a cache key, and redacted from what the cache stores.
                ignored_parameters=CREDENTIAL_PARAMETERS,
                allowable_codes=(200, 404),
                # Offline: the transport below refuses every send, and an expired entry is
                # served as it is stored instead of being revalidated.
                stale_if_error=cfg.offline,
            )
        else:
            session = requests.Session()
        session.headers["User-Agent"] = cfg.user_agent
        if cfg.offline:
            offline = _OfflineAdapter()
            session.mount("http://", offline)  # type: ignore[arg-type]
            session.mount("https://", offline)  # type: ignore[arg-type]
        else:
            retry = _retry_class()(
                total=cfg.retries,
                connect=cfg.retries,
                read=cfg.retries,
                status=cfg.retries,
                backoff_factor=cfg.backoff,
                status_forcelist=(429, 500, 502, 503, 504),
                allowed_methods=frozenset({"GET", "HEAD"}),
                respect_retry_after_header=True,
                raise_on_status=False,
            )
            adapter = HTTPAdapter(
                pool_connections=cfg.max_workers,
                pool_maxsize=cfg.max_workers,
                max_retries=retry,
            )
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        return session

    @property
    def session(self) -> requests.Session:
        with self._lock:
            if self._session is None:
                self._session = self._build_session()
            return self._session

    @property
    def plain_session(self) -> requests.Session:
        with self._lock:
            if self._plain is None:
                self._plain = self._build_session(cached=False)
            return self._plain

    @property
    def network_requests(self) -> int:
        """Requests that were not answered from the cache (for tests and benchmarks)."""
        return self._network_requests

    def close(self) -> None:
        with self._lock:
            for sess in (self._session, self._plain):
                if sess is not None:
                    sess.close()
            self._session = self._plain = None

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def document_store(self, name: str, *, shape: str, immutable: bool = False
                       ) -> DocumentStore | None:
        """The store ``name`` under the cache directory; None with --no-cache. Entries are
        fresh for the TTL, at any age offline, and always when ``immutable`` (keys that
        name content by its digest)."""
        cfg = self.config
        if cfg.cache_dir is None:
            return None
        max_age = None if cfg.offline or immutable else float(cfg.ttl_seconds)
        return DocumentStore(cfg.cache_dir / name, shape=shape, max_age=max_age)

    # -- requests ----------------------------------------------------------------------

    def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        byte_range: tuple[int, int] | None = None,
        cache: bool = True,
    ) -> HttpResponse:
        """GET ``url``. Raises NetworkError for transport failures and 5xx/429 after retries,
        NotFoundError for 404/410, RegistryError for other non-2xx answers."""
        import requests

        req_headers = dict(headers or {})
        if byte_range is not None:
            req_headers["Range"] = f"bytes={byte_range[0]}-{byte_range[1]}"
        session = self.plain_session if byte_range is not None or not cache else self.session
        shown = display_url(url)
        # Credentials in the URL (a mirror from .npmrc or pip.conf) travel as a header, which
        # the cache neither keys on nor stores; the URL the cache records has none.
        plain, auth = _auth_from_url(url)
        try:
            resp = session.get(
                plain, headers=req_headers, auth=auth, timeout=self.config.timeout, stream=True
            )
            from_cache = bool(getattr(resp, "from_cache", False))
            if self.config.offline and resp.status_code == 504 and not from_cache:
                raise OfflineCacheMiss(f"--offline: {shown} is not in the cache")
            content = resp.content or b"" if from_cache else self._read_body(resp, shown)
        except OfflineCacheMiss:
            raise
        except requests.exceptions.Timeout:
            timeout = self.config.timeout
            raise NetworkError(f"timed out after {timeout:g}s fetching {shown}") from None
        except requests.exceptions.RetryError:
            raise NetworkError(f"gave up on {shown} after {self.config.retries} retries") from None
        except requests.exceptions.ConnectionError as exc:
            reason = _short_reason(exc)
            raise NetworkError(f"cannot reach {shown}: {reason}") from None
        except requests.exceptions.RequestException as exc:
            raise NetworkError(f"request to {shown} failed: {_short_reason(exc)}") from None
        if not from_cache:
            with self._lock:
                self._network_requests += 1
        status = resp.status_code
        if status in (404, 410):
            raise NotFoundError(f"{shown} answered {status} (not found)")
        if status == 429 or status >= 500:
            raise NetworkError(f"{shown} answered {status} after {self.config.retries} retries")
        if status >= 400:
            raise RegistryError(f"{shown} answered {status}")
        return HttpResponse(
            url=url,
            status=status,
            headers=dict(resp.headers),
            content=content,
            from_cache=from_cache,
        )

    def _read_body(self, resp: requests.Response, url: str) -> bytes:
        limit = self.config.max_body_bytes
        declared = resp.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            resp.close()
            raise RegistryError(f"{url} is {int(declared)} bytes, over the {limit}-byte limit")
        # BytesIO grows in place and hands over its buffer: a list of chunks joined at
        # the end would hold every body twice at its peak.
        buffer = io.BytesIO()
        size = 0
        for chunk in resp.iter_content(chunk_size=1 << 16):
            size += len(chunk)
            if size > limit:
                resp.close()
                raise RegistryError(f"{url} is over the {limit}-byte limit")
            buffer.write(chunk)
        body = buffer.getvalue()
        del buffer
        # A cached response replays its stored body; only fresh bodies can be short.
        if (
            declared
            and declared.isdigit()
            and not resp.headers.get("Content-Encoding")
            and len(body) != int(declared)
        ):
            raise NetworkError(f"{url}: truncated body ({len(body)} of {declared} bytes)")
        return body

    def get_json(self, url: str, *, headers: Mapping[str, str] | None = None) -> Any:
        """GET and decode a JSON document; a non-JSON answer is a RegistryError."""
        resp = self.get(url, headers=headers)
        shown = display_url(url)
        ctype = resp.content_type.lower()
        if "html" in ctype or "xml" in ctype:
            raise RegistryError(f"{shown}: expected JSON, got {ctype.split(';')[0] or 'no type'}")
        try:
            return loads_json(resp.content)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RegistryError(f"{shown}: invalid JSON ({exc.__class__.__name__})") from None

    def get_reduced(
        self,
        url: str,
        store: DocumentStore | None,
        *,
        reduce: Callable[[HttpResponse], T],
        encode: Callable[[T], Any],
        restore: Callable[[Any], T],
        missing: Callable[[], T] | None = None,
        headers: Mapping[str, str] | None = None,
        variant: str = "",
    ) -> T:
        """GET a document that is used in a reduced form, through ``store``.

        ``reduce`` turns the answer into the value returned; ``encode`` turns that value
        into JSON for the store and ``restore`` back (raising KeyError/TypeError/ValueError
        for a damaged payload, which is then fetched again). ``missing`` gives the value
        for a 404/410, so that "does not exist" is cached too; without it NotFoundError is
        raised. A fresh stored copy costs no request; a stale one is revalidated with its
        validators. Online, the raw body is kept out of the HTTP cache; offline, that cache
        is still read (it may hold answers from before the store existed).
        """
        damaged = (KeyError, TypeError, ValueError)
        stored = store.load(url, variant) if store is not None else None
        if stored is not None and stored.fresh:
            try:
                return restore(stored.payload)
            except damaged:
                stored = None
        ask = dict(headers or {})
        if stored is not None:
            ask.update(stored.validators())
        try:
            resp = self.get(url, headers=ask, cache=store is None or self.config.offline)
            if resp.status == 304 and stored is not None and store is not None:
                try:
                    value = restore(stored.payload)
                except damaged:
                    resp = self.get(url, headers=headers, cache=self.config.offline)
                else:
                    store.renew(url, stored, variant=variant)
                    return value
        except NotFoundError:
            if missing is None:
                raise
            value, resp_headers = missing(), {}
        else:
            value, resp_headers = reduce(resp), dict(resp.headers)
        if store is not None:
            store.save(url, encode(value), variant=variant, headers=resp_headers)
        return value

    # -- concurrency -------------------------------------------------------------------

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Apply ``fn`` to ``items`` concurrently (I/O bound), keeping order."""
        work = list(items)
        if len(work) <= 1:
            return [fn(x) for x in work]
        workers = min(self.config.max_workers, len(work))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mcpscan-http") as pool:
            return list(pool.map(fn, work))


def _auth_from_url(url: str) -> tuple[str, tuple[str, str] | None]:
    from urllib.parse import unquote

    plain, userinfo = split_userinfo(url)
    if userinfo is None:
        return url, None
    user, _, password = userinfo.partition(":")
    return plain, (unquote(user), unquote(password))


def _retry_class() -> type[Retry]:
    """urllib3's Retry, except that a host name that does not resolve fails at once: DNS
    answers are cached upstream, so retrying only delays the "unreachable" verdict."""
    from urllib3.exceptions import MaxRetryError, NameResolutionError
    from urllib3.util.retry import Retry

    class _Retry(Retry):
        def increment(
            self,
            method: str | None = None,
            url: str | None = None,
            response: BaseHTTPResponse | None = None,
            error: Exception | None = None,
            _pool: ConnectionPool | None = None,
            _stacktrace: TracebackType | None = None,
        ) -> Self:
            if isinstance(error, NameResolutionError):
                raise MaxRetryError(_pool, url or "", error)  # type: ignore[arg-type]
            return super().increment(method, url, response, error, _pool, _stacktrace)

    return _Retry


def _short_reason(exc: BaseException) -> str:
    """The innermost, shortest explanation of a transport failure (no URLs with secrets:
    registry URLs are configuration, not config-file values)."""
    text = str(exc)
    for marker in ("Caused by ", "Failed to establish a new connection: "):
        if marker in text:
            text = text.split(marker, 1)[1]
    return text.strip("()' ")[:200] or exc.__class__.__name__
