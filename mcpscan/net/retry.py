"""How long to wait before asking again, with every wait capped.

A server decides how long a client waits when it answers 429/503 with ``Retry-After``; a
hostile or broken one says ``Retry-After: 100000``. mcpscan waits at most
``max_retry_after`` for any one answer and ``max_retry_wait`` in all for one request, and
never past the request's deadline; beyond that it gives up at once with a message saying
what the server asked for.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from mcpscan.errors import DeadlineExceeded, NetworkError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 3
    backoff: float = 0.5  # seconds before the first retry; doubled each time
    max_retry_after: float = 30.0  # the longest Retry-After obeyed
    max_retry_wait: float = 60.0  # all the waits of one request together

    def wait(
        self,
        *,
        status: int,
        headers: Mapping[str, str],
        attempt: int,
        waited: float,
        deadline: float,
        shown: str,
    ) -> float:
        """Seconds to sleep before retry number ``attempt + 1`` of a request that has
        already slept ``waited``. Raises NetworkError when retrying is not worth it."""
        asked = retry_after(headers)
        if asked is not None and asked > self.max_retry_after:
            raise NetworkError(
                f"{shown} answered {status} and asked to be retried in {_seconds(asked)}; "
                f"mcpscan waits at most {_seconds(self.max_retry_after)}, so it gave up"
            )
        pause = asked if asked is not None else self.backoff * 2**attempt
        if waited + pause > self.max_retry_wait:
            raise NetworkError(
                f"{shown} answered {status} {attempt + 1} times; retrying again would make "
                f"mcpscan wait over {_seconds(self.max_retry_wait)} in all, so it gave up"
            )
        if time.monotonic() + pause >= deadline:
            raise DeadlineExceeded(
                f"{shown} answered {status}; waiting {_seconds(pause)} to retry would pass "
                "the request's time limit"
            )
        return pause


def retry_after(headers: Mapping[str, str]) -> float | None:
    """The wait a ``Retry-After`` header asks for, in seconds (delta or HTTP date); None
    when there is none or it cannot be read."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _seconds(value: float) -> str:
    return f"{value:.0f}s" if value >= 10 else f"{value:g}s"
