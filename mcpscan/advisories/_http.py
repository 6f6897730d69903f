"""JSON POST for the advisory query endpoints (OSV ``querybatch``, npm's bulk advisories).

:class:`~mcpscan.net.http.HttpClient` only GETs, and its transport retries idempotent methods
only. These POSTs are read-only queries, so they are retried here on 429/5xx and transport
errors with the client's own retry count and backoff, through its uncached session (a POST
answer is not a cacheable fact).
"""

from __future__ import annotations

import json
import time
from typing import Any

from mcpscan.errors import NetworkError, OfflineCacheMiss, RegistryError
from mcpscan.net.http import HttpClient, NotFoundError
from mcpscan.redaction import display_url


def post_json(client: HttpClient, url: str, payload: object) -> Any:
    import requests

    shown = display_url(url)
    cfg = client.config
    if cfg.offline:
        raise OfflineCacheMiss(f"--offline: not querying {shown}")
    session = client.plain_session
    policy = cfg.retry_policy
    attempts = max(cfg.retries, 0) + 1
    failure: NetworkError | None = None
    pause = 0.0  # before the next attempt: backoff, or what a 429/5xx asked for (capped)
    waited = 0.0
    # The whole exchange, retries included, is bounded by the request's deadline (and the
    # scan's --timeout).
    with client.bounded(shown) as end:
        for attempt in range(attempts):
            if attempt:
                time.sleep(max(0.0, min(pause, end - time.monotonic())))
                waited += pause
            pause = cfg.backoff * 2**attempt
            try:
                resp = session.post(
                    url,
                    json=payload,
                    stream=True,
                    timeout=min(cfg.timeout, max(0.001, end - time.monotonic())),
                )
            except requests.exceptions.Timeout:
                failure = NetworkError(f"timed out after {cfg.timeout:g}s querying {shown}")
                continue
            except requests.exceptions.RequestException as exc:
                reason = str(exc).split("Caused by ", 1)[-1].strip("()' ")[:200]
                failure = NetworkError(f"cannot reach {shown}: {reason or exc.__class__.__name__}")
                if "NameResolutionError" in reason or "Name or service not known" in reason:
                    break  # the host does not resolve: asking again only delays the answer
                continue
            status = resp.status_code
            if status == 429 or status >= 500:
                resp.close()
                failure = NetworkError(f"{shown} answered {status} after {attempt + 1} attempts")
                if attempt + 1 < attempts:
                    pause = policy.wait(
                        status=status,
                        headers=resp.headers,
                        attempt=attempt,
                        waited=waited,
                        deadline=end,
                        shown=shown,
                    )
                continue
            if status in (404, 405, 410):
                resp.close()
                raise NotFoundError(f"{shown} answered {status} (no such endpoint)")
            if status >= 400:
                resp.close()
                raise RegistryError(f"{shown} answered {status}")
            body = _read(resp, shown, cfg.max_body_bytes)
            try:
                return json.loads(body)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise RegistryError(f"{shown}: invalid JSON ({exc.__class__.__name__})") from None
            except RecursionError:
                raise RegistryError(f"{shown}: JSON nested too deeply to be read") from None
    assert failure is not None
    raise failure


def _read(resp: Any, shown: str, limit: int) -> bytes:
    import requests

    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in resp.iter_content(chunk_size=1 << 16):
            size += len(chunk)
            if size > limit:
                raise RegistryError(f"{shown}: answer over the {limit}-byte limit")
            chunks.append(chunk)
    except (OSError, requests.exceptions.RequestException) as exc:
        raise NetworkError(f"{shown}: connection lost reading the answer ({exc})") from None
    finally:
        resp.close()
    return b"".join(chunks)
