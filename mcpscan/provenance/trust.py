"""Trust anchors: the Sigstore trusted root and npm's registry keys.

Both are targets of the Sigstore public-good TUF repository (``trusted_root.json`` and
``registry.npmjs.org/keys.json``). A verbatim copy of each, and of the TUF root metadata
that anchors the repository, is pinned in ``mcpscan/provenance/data/`` (origins in
``data/SOURCES.md``). When the scan is online the copies are refreshed through TUF with the
``tuf`` library's :class:`~tuf.ngclient.Updater`, starting from the pinned TUF root, so a
refreshed anchor is one the Sigstore root keys vouch for; the refreshed copy is cached and
used by later offline scans. A refresh that cannot reach the repository falls back to the
cached or pinned copy and says so in the anchor's :class:`AnchorSource`: that is a note, not
an incomplete scan, because the pinned anchors are what the package was released with.

Like other Sigstore clients, mcpscan does not walk the TUF repository on every run: copies a
refresh verified less than :data:`REFRESH_INTERVAL` ago are used as they are (``tuf-cache``,
with the time of that refresh), and after a refresh that failed the next attempt waits
:data:`RETRY_INTERVAL`, the failure still stated. Both need a cache directory; without one
every online scan refreshes. The anchors' digests and refresh times are part of every kept
provenance verdict's key (:mod:`mcpscan.provenance.verdicts`), so a refresh that changes an
anchor re-verifies everything.

Nothing here ever takes an anchor from the data being checked (a registry's keys endpoint,
a bundle's own certificates).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mcpscan.errors import McpscanError
from mcpscan.models import TrustAnchor

if TYPE_CHECKING:  # pragma: no cover
    from mcpscan.net.http import HttpClient

PUBLIC_GOOD_TUF_URL = "https://tuf-repo-cdn.sigstore.dev"
NPM_KEYS_TARGET = "registry.npmjs.org/keys.json"
TRUSTED_ROOT_TARGET = "trusted_root.json"
_TUF_ROOT_FILE = "sigstore-tuf-root.json"
REFRESH_FAILED = "TUF refresh from"  # how the note of a failed refresh starts

# target -> (pinned file, what the pinned copy is)
_PINNED = {
    NPM_KEYS_TARGET: (
        "npm-registry-keys.json",
        "Sigstore TUF target registry.npmjs.org/keys.json pinned in mcpscan "
        "(sigstore/root-signing 6625c650, 2025-01-16)",
    ),
    TRUSTED_ROOT_TARGET: (
        "sigstore-trusted-root.json",
        "Sigstore public-good trusted_root.json pinned in mcpscan "
        "(sigstore/root-signing c9bda74a, 2025-09-22)",
    ),
}
# When the pinned copies were taken: a cached TUF copy older than this is not preferred.
_PINNED_AT = "2025-12-01T00:00:00+00:00"
# How long copies a refresh verified are used without asking the repository again, and how
# long a failed refresh stands before the next attempt (seconds).
REFRESH_INTERVAL = 24 * 3600.0
RETRY_INTERVAL = 3600.0
_LAST_FAILURE = "last-failure.json"


@dataclass(frozen=True)
class AnchorSource:
    """Where a trust anchor came from, as the report states it."""

    kind: str  # "pinned" | "tuf" (refreshed in this run) | "tuf-cache" | "user"
    description: str
    sha256: str
    refreshed: str | None = None  # ISO 8601 time of the TUF refresh that produced it
    note: str = ""  # why no fresh copy is used, when one was wanted

    @property
    def fresh(self) -> bool:
        """Refreshed through TUF in this run, or named by the user: as current as it gets."""
        return self.kind in ("tuf", "user")

    def as_anchor(self, name: str) -> TrustAnchor:
        return TrustAnchor(
            name=name,
            source=self.kind,
            description=self.description,
            sha256=self.sha256,
            refreshed=self.refreshed,
            note=self.note or None,
        )


@dataclass(frozen=True)
class Anchor:
    content: bytes
    source: AnchorSource


def pinned_anchor(target: str) -> Anchor:
    """The copy of ``target`` shipped in the package."""
    name, description = _PINNED[target]
    path = Path(str(resources.files("mcpscan.provenance") / "data" / name))
    content = path.read_bytes()
    return Anchor(content, AnchorSource("pinned", description, _sha256(content)))


def user_anchor(path: Path, what: str) -> Anchor:
    """An anchor the user named (a file); raises TrustAnchorError when it cannot be read."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise TrustAnchorError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    return Anchor(content, AnchorSource("user", f"{what} {path}", _sha256(content)))


class TrustAnchorError(McpscanError):
    """A trust anchor the user named cannot be read."""


class TrustStore:
    """The anchors of one scan: refreshed through TUF at most once, lazily."""

    def __init__(
        self,
        client: HttpClient | None = None,
        *,
        tuf_url: str | None = PUBLIC_GOOD_TUF_URL,
        cache_dir: Path | None = None,
        offline: bool = False,
        tuf_root: bytes | None = None,
        refresh_interval: float = REFRESH_INTERVAL,
        retry_interval: float = RETRY_INTERVAL,
    ) -> None:
        """``tuf_root``: the TUF root metadata that starts the chain (default: the pinned
        root of the Sigstore public-good repository); ``refresh_interval`` and
        ``retry_interval``: see the module docstring (0: refresh on every scan)."""
        self.client = client
        self.refresh_interval = refresh_interval
        self.retry_interval = retry_interval
        self.tuf_root = tuf_root
        self.tuf_url = tuf_url.rstrip("/") if tuf_url else None
        self.cache_dir = cache_dir
        self.offline = offline
        self._lock = threading.Lock()
        self._anchors: dict[str, Anchor] | None = None

    def anchor(self, target: str) -> Anchor:
        with self._lock:
            if self._anchors is None:
                self._anchors = self._load()
            return self._anchors[target]

    # -- loading -----------------------------------------------------------------------

    def _load(self) -> dict[str, Anchor]:
        if self.offline:
            why = "not refreshed: --offline"
        elif self.tuf_url is None or self.client is None:
            why = "not refreshed: TUF refresh is disabled"
        else:
            recent = self._recently_refreshed()
            if recent is not None:
                return recent
            failed = self._recent_failure()
            if failed is not None:
                why = failed
            else:
                try:
                    return self._refresh(self.client, self.tuf_url)
                except (McpscanError, OSError, ValueError) as exc:
                    reason = _reason(exc)
                except Exception as exc:  # tuf raises its own hierarchy, and RuntimeError
                    reason = _reason(exc)
                why = f"{REFRESH_FAILED} {self.tuf_url} failed ({reason})"
                self._record_failure(reason)
        return {target: self._fallback(target, why) for target in _PINNED}

    def _recently_refreshed(self) -> dict[str, Anchor] | None:
        """The cached copies, when a refresh verified every one of them less than
        ``refresh_interval`` ago (a damaged copy, or one from the future: refresh)."""
        found: dict[str, Anchor] = {}
        for target in _PINNED:
            cached = self._cached(target)
            if cached is None or cached.source.kind != "tuf-cache":
                return None
            age = _age(cached.source.refreshed)
            if age is None or age >= self.refresh_interval:
                return None
            s = cached.source
            note = f"not refreshed: the copy TUF verified at {s.refreshed} is recent enough"
            found[target] = Anchor(
                cached.content,
                AnchorSource(s.kind, s.description, s.sha256, s.refreshed, note),
            )
        return found

    def _recent_failure(self) -> str | None:
        """The note of a refresh that failed less than ``retry_interval`` ago."""
        directory = self._tuf_dir(self.tuf_url or "")
        if directory is None:
            return None
        try:
            record = json.loads((directory / _LAST_FAILURE).read_bytes())
            at, reason = str(record["at"]), str(record["reason"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        age = _age(at)
        if age is None or age >= self.retry_interval:
            return None
        return f"{REFRESH_FAILED} {self.tuf_url} failed at {at} ({reason}); not retried yet"

    def _record_failure(self, reason: str) -> None:
        directory = self._tuf_dir(self.tuf_url or "")
        if directory is None or self.retry_interval <= 0:
            return
        from mcpscan.fileio import atomic_write_text

        try:
            directory.mkdir(parents=True, exist_ok=True)
            record = {"at": _now(), "reason": reason}
            atomic_write_text(directory / _LAST_FAILURE, json.dumps(record), durable=False)
        except OSError:
            pass  # not recorded: the next scan tries again

    def _fallback(self, target: str, why: str) -> Anchor:
        cached = self._cached(target)
        chosen = cached if cached is not None else pinned_anchor(target)
        source = chosen.source
        used = "the copy cached from an earlier TUF refresh" if cached else "the pinned copy"
        note = f"{why}; using {used}"
        return Anchor(
            chosen.content,
            AnchorSource(source.kind, source.description, source.sha256, source.refreshed, note),
        )

    def _refresh(self, client: HttpClient, url: str) -> dict[str, Anchor]:
        from tuf.ngclient.config import UpdaterConfig
        from tuf.ngclient.updater import Updater

        with tempfile.TemporaryDirectory(prefix="mcpscan-tuf-") as scratch:
            base = self._tuf_dir(url) or Path(scratch)
            metadata = base / "metadata"
            targets = base / "targets"
            metadata.mkdir(parents=True, exist_ok=True)
            targets.mkdir(parents=True, exist_ok=True)
            # The pinned TUF root starts the chain unless an earlier refresh already
            # walked it forward (a newer root.json in the metadata directory).
            bootstrap = (
                None if (metadata / "root.json").exists() else (self.tuf_root or _pinned_tuf_root())
            )
            updater = Updater(
                metadata_dir=str(metadata),
                metadata_base_url=url,
                target_dir=str(targets),
                target_base_url=f"{url}/targets/",
                fetcher=_ClientFetcher(client),
                config=UpdaterConfig(app_user_agent="mcpscan"),
                bootstrap=bootstrap,
            )
            updater.refresh()
            now = _now()
            found: dict[str, Anchor] = {}
            for target in _PINNED:
                info = updater.get_targetinfo(target)
                if info is None:
                    raise ValueError(f"the TUF repository has no target {target}")
                path = updater.find_cached_target(info) or updater.download_target(info)
                content = Path(path).read_bytes()
                source = AnchorSource(
                    "tuf",
                    f"Sigstore TUF target {target} from {url}",
                    _sha256(content),
                    refreshed=now,
                )
                found[target] = self._store(target, content, source)
            if self.cache_dir is not None:
                (base / _LAST_FAILURE).unlink(missing_ok=True)
            return found

    # -- cache ---------------------------------------------------------------------------

    def _tuf_dir(self, url: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / "trust" / quote(url, safe="")

    def _store(self, target: str, content: bytes, source: AnchorSource) -> Anchor:
        directory = self._tuf_dir(self.tuf_url or "")
        if directory is not None:
            from mcpscan.fileio import atomic_write_text

            anchors = directory / "anchors"
            anchors.mkdir(parents=True, exist_ok=True)
            path = anchors / quote(target, safe="")
            # Verbatim: the copy is checked against its sha256 when it is read back.
            atomic_write_text(path, content.decode("utf-8"))
            meta = {
                "sha256": source.sha256,
                "refreshed": source.refreshed,
                "description": source.description,
            }
            atomic_write_text(path.with_name(path.name + ".meta.json"), json.dumps(meta))
        return Anchor(content, source)

    def _cached(self, target: str) -> Anchor | None:
        directory = self._tuf_dir(self.tuf_url or PUBLIC_GOOD_TUF_URL)
        if directory is None:
            return None
        path = directory / "anchors" / quote(target, safe="")
        try:
            content = path.read_bytes()
            meta = json.loads(path.with_name(path.name + ".meta.json").read_bytes())
        except (OSError, ValueError):
            return None
        # A damaged or hand-edited copy is not the one TUF verified.
        if not isinstance(meta, dict) or meta.get("sha256") != _sha256(content):
            return None
        refreshed = str(meta.get("refreshed") or "")
        if refreshed < _PINNED_AT:
            return None  # the package's own copy is newer
        return Anchor(
            content,
            AnchorSource(
                "tuf-cache",
                str(meta.get("description") or target),
                _sha256(content),
                refreshed=refreshed,
            ),
        )


class _ClientFetcher:
    """tuf's fetcher interface over mcpscan's HTTP client (timeouts, size caps, no cache)."""

    def __new__(cls, client: HttpClient) -> Any:
        from tuf.api.exceptions import DownloadHTTPError
        from tuf.ngclient.fetcher import FetcherInterface

        from mcpscan.net.http import NotFoundError

        class Fetcher(FetcherInterface):
            def _fetch(self, url: str) -> Iterator[bytes]:
                try:
                    response = client.get(url, cache=False)
                except NotFoundError as exc:
                    # TUF walks root versions until the repository answers 404.
                    raise DownloadHTTPError(exc.message, 404) from None
                return iter((response.content,))

        return Fetcher()


def _pinned_tuf_root() -> bytes:
    return (resources.files("mcpscan.provenance") / "data" / _TUF_ROOT_FILE).read_bytes()


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _age(when: str | None) -> float | None:
    """Seconds since the ISO 8601 time ``when``; None when unreadable or in the future."""
    try:
        then = datetime.fromisoformat(when or "")
    except ValueError:
        return None
    if then.tzinfo is None:
        return None
    age = time.time() - then.timestamp()
    return age if age >= 0 else None


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, McpscanError):
        return exc.message
    text = str(exc) or exc.__class__.__name__
    cause = exc.__cause__ or exc.__context__
    if cause is not None and str(cause):
        text = f"{text}: {cause}"
    return text[:300]


__all__ = [
    "NPM_KEYS_TARGET",
    "PUBLIC_GOOD_TUF_URL",
    "REFRESH_INTERVAL",
    "RETRY_INTERVAL",
    "TRUSTED_ROOT_TARGET",
    "Anchor",
    "AnchorSource",
    "TrustAnchorError",
    "TrustStore",
    "pinned_anchor",
    "user_anchor",
]
