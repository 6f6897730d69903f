"""The OCI distribution API client: one for every registry host a scan reaches.

Transport: a registry on a loopback host is reached over plain HTTP, as docker does; any
other host over HTTPS only, unless the user names it with ``--insecure-registry``. Docker
Hub's API lives on ``registry-1.docker.io``.

Cache (the one on-disk cache, :mod:`mcpscan.net.store`): manifests and small blobs are
named by their digest, so they are kept forever (``oci-content``) and verified again when
read back; what a tag points to changes, so it is kept for the HTTP layer's TTL
(``oci-tags``), and at any age ``--offline``. Offline, nothing else is asked: a miss is
:class:`~mcpscan.errors.OfflineCacheMiss`. Bodies never go to the HTTP cache (they carry
tokens in their requests, and are stored here already).
"""

from __future__ import annotations

import base64
from collections.abc import Collection, Mapping
from urllib.parse import quote, urlsplit

from mcpscan.ecosystems.oci import DOCKER_HUB
from mcpscan.errors import RegistryError
from mcpscan.net.hosts import is_loopback
from mcpscan.net.http import HttpClient, HttpResponse, NotFoundError, loads_json
from mcpscan.net.store import OCI_CONTENT, OCI_TAGS
from mcpscan.redaction import Redactor
from mcpscan.registry.oci.auth import Challenge, Credentials, Tokens, read_token, token_url
from mcpscan.registry.oci.interface import (
    INDEX_TYPES,
    MANIFEST_ACCEPT,
    MANIFEST_TYPES,
    MAX_MANIFEST_BYTES,
    OCI_INDEX,
    OCI_MANIFEST,
    AuthenticationFailed,
    Descriptor,
    ImageNotFound,
    InvalidContent,
    Manifest,
    OciError,
    OciRegistry,
    RegistryRefused,
    check_digest,
    digest_of,
    verify,
)

_HUB_API = "registry-1.docker.io"
_DIGEST_HEADER = "docker-content-digest"
_CHALLENGE = frozenset({401})
_MAX_REFERRERS = 1000
_MAX_TOKEN_ANSWER = 64 * 1024
_MAX_CACHED_BLOB = 1024 * 1024
_ABSENT = "-"  # a tag the registry answered 404 for (no digest is spelled like this)


def _split(repository: str) -> tuple[str, str]:
    host, sep, path = repository.partition("/")
    if not sep or not path:
        raise OciError(f"{repository!r} names no repository on a registry")
    return host, path


class DistributionClient(OciRegistry):
    """Reads manifests, blobs, referrers and tags through :class:`HttpClient`."""

    def __init__(
        self,
        client: HttpClient,
        *,
        credentials: Credentials | None = None,
        insecure: Collection[str] = (),
        redactor: Redactor | None = None,
    ) -> None:
        self.http = client
        self.credentials = credentials if credentials is not None else Credentials.none()
        self.insecure = frozenset(h.lower() for h in insecure)
        self._redactor = redactor if redactor is not None else self.credentials.redactor
        self._tokens = Tokens()
        self._content = client.document_store(OCI_CONTENT, shape="oci-content-1", immutable=True)
        self._tags = client.document_store(OCI_TAGS, shape="oci-tag-1")

    @property
    def redactor(self) -> Redactor:
        """Every login and token this client has read or been given."""
        return self._redactor

    # -- addresses -------------------------------------------------------------------------

    def plain_http(self, host: str) -> bool:
        """Whether ``host`` (``name[:port]``) is reached over plain HTTP."""
        name = _hostname(host).lower()
        return is_loopback(name) or host.lower() in self.insecure or name in self.insecure

    def base_url(self, host: str) -> str:
        api = _HUB_API if host == DOCKER_HUB else host
        return f"{'http' if self.plain_http(host) else 'https'}://{api}/v2/"

    def _url(self, repository: str, kind: str, reference: str) -> str:
        host, path = _split(repository)
        return f"{self.base_url(host)}{path}/{kind}/{quote(reference, safe=':@')}"

    # -- requests --------------------------------------------------------------------------

    def _get(self, repository: str, url: str, *, accept: str, limit: int) -> HttpResponse:
        """GET with the registry's authentication: anonymous (or the value that worked
        before) first, then what its 401 challenge asks for, once."""
        host, path = _split(repository)
        headers = {"Accept": accept}
        known = self._tokens.get(repository)
        if known is not None:
            headers["Authorization"] = known
        resp = self._ask(url, headers, limit)
        if resp.status != 401:
            return resp
        self._tokens.forget(repository)
        login = self.credentials.for_repository(repository)
        headers["Authorization"] = self._answer(repository, host, path, resp)
        resp = self._ask(url, headers, limit)
        if resp.status == 401:
            raise self._denied(repository, host, refused=login is not None)
        self._tokens.put(repository, headers["Authorization"])
        return resp

    def _ask(self, url: str, headers: Mapping[str, str], limit: int) -> HttpResponse:
        return self.http.get(
            url, headers=headers, cache=False, limit=limit, answer_statuses=_CHALLENGE
        )

    def _answer(self, repository: str, host: str, path: str, resp: HttpResponse) -> str:
        """The ``Authorization`` value that answers the 401 ``resp``."""
        found = {k.lower(): v for k, v in resp.headers.items()}.get("www-authenticate", "")
        challenge = Challenge.parse(found)
        login = self.credentials.for_repository(repository)
        if challenge is None or challenge.scheme not in ("bearer", "basic"):
            raise AuthenticationFailed(
                f"{repository}: the registry asks for a kind of authentication mcpscan "
                "does not speak"
            )
        if challenge.scheme == "basic":
            if login is None:
                raise self._denied(repository, host)
            self._never_plain(host, repository)
            return login.basic()
        ask = token_url(challenge, path, self.plain_http)
        realm = ask.split("?", 1)[0]
        auth: dict[str, str] = {}
        if login is not None:
            self._never_plain(urlsplit(realm).netloc, repository)
            auth["Authorization"] = login.basic()
        answer = self.http.get(
            ask, headers=auth, cache=False, limit=_MAX_TOKEN_ANSWER, answer_statuses=_CHALLENGE
        )
        if answer.status == 401:
            raise self._denied(repository, host, refused=login is not None)
        return "Bearer " + read_token(answer.content, realm, self._redactor)

    def _never_plain(self, host: str, repository: str) -> None:
        """A login travels only over HTTPS or to this machine."""
        if self.plain_http(host) and not is_loopback(_hostname(host)):
            raise RegistryRefused(
                f"{repository}: the stored login for it is never sent over plain HTTP to {host}"
            )

    def _denied(self, repository: str, host: str, *, refused: bool = False) -> RegistryError:
        if refused:
            return AuthenticationFailed(
                f"{repository}: the registry refused the stored login for {host}"
            )
        hint = (
            " (a credential helper holds a login for it; mcpscan never runs one)"
            if self.credentials.in_helper(host)
            else ""
        )
        return ImageNotFound(f"{repository} does not exist, or needs a login{hint}")

    # -- the API -------------------------------------------------------------------------

    def manifest(self, repository: str, reference: str) -> Manifest:
        by_digest = reference.startswith(("sha256:", "sha512:"))
        if by_digest:
            check_digest(reference)
            cached = self._cached_manifest(repository, reference)
            if cached is not None:
                return cached
        shown = f"{repository}@{reference}" if by_digest else f"{repository}:{reference}"
        missing = f"{shown} does not exist on {_split(repository)[0]}"
        if not by_digest:
            digest = self._cached_tag(repository, reference)
            if digest == _ABSENT:
                raise ImageNotFound(missing)
            cached = self._cached_manifest(repository, digest) if digest else None
            if cached is not None:
                return cached
        url = self._url(repository, "manifests", reference)
        try:
            resp = self._get(repository, url, accept=MANIFEST_ACCEPT, limit=MAX_MANIFEST_BYTES)
        except NotFoundError:
            # A tag's absence is kept for the tag TTL too: cosign's sha256-<hex>.sig/.att
            # tags are asked for every image, and an offline rescan must know they were not
            # there rather than miss the cache.
            if not by_digest and self._tags is not None:
                self._tags.save(f"{repository}:{reference}", {"digest": _ABSENT})
            raise ImageNotFound(missing) from None
        content = resp.content
        claimed = {k.lower(): v for k, v in resp.headers.items()}.get(_DIGEST_HEADER, "").strip()
        if by_digest:
            verify(content, reference, shown)
            digest = reference
        else:
            algorithm = "sha512" if claimed.startswith("sha512:") else "sha256"
            digest = digest_of(content, algorithm)
            if claimed and claimed != digest:
                raise InvalidContent(
                    f"{shown}: the registry says the tag is {claimed[:80]}, but the manifest "
                    f"it sent is {digest}"
                )
        manifest = Manifest(repository, digest, _media_type(content, resp, shown), content)
        if self._content is not None:
            self._content.save(f"{repository}@{digest}", manifest.encode())
        if not by_digest and self._tags is not None:
            self._tags.save(f"{repository}:{reference}", {"digest": digest})
        return manifest

    def _cached_manifest(self, repository: str, digest: str) -> Manifest | None:
        stored = self._content.load(f"{repository}@{digest}") if self._content else None
        if stored is None:
            return None
        try:
            return Manifest.restore(repository, digest, stored.payload)
        except (KeyError, TypeError, ValueError, OciError):
            return None  # a damaged entry is a miss

    def _cached_tag(self, repository: str, tag: str) -> str | None:
        """The digest the tag pointed to when last asked, :data:`_ABSENT` when it did not
        exist, None when that is not known (or no longer fresh)."""
        stored = self._tags.load(f"{repository}:{tag}") if self._tags else None
        if stored is None or not stored.fresh or not isinstance(stored.payload, dict):
            return None
        digest = stored.payload.get("digest")
        return digest if isinstance(digest, str) else None

    def blob(self, repository: str, digest: str, *, limit: int) -> bytes:
        check_digest(digest)
        key = f"{repository}@{digest}"
        stored = self._content.load(key, "blob") if self._content else None
        if stored is not None and isinstance(stored.payload, str):
            try:
                content = base64.b64decode(stored.payload, validate=True)
                verify(content, digest, "cached blob")
                if len(content) <= limit:
                    return content
            except (ValueError, OciError):
                pass
        url = self._url(repository, "blobs", digest)
        try:
            resp = self._get(repository, url, accept="*/*", limit=limit)
        except NotFoundError:
            raise ImageNotFound(f"blob {digest} of {repository} does not exist") from None
        verify(resp.content, digest, f"blob {digest} of {repository}")
        if self._content is not None and len(resp.content) <= _MAX_CACHED_BLOB:
            self._content.save(key, base64.b64encode(resp.content).decode(), variant="blob")
        return resp.content

    def referrers(self, repository: str, digest: str) -> tuple[Descriptor, ...]:
        raw = self._referrers_api(repository, digest)
        if raw is None:
            # No referrers API: the tag the OCI spec names as its fallback.
            algorithm, hexdigest = check_digest(digest)
            try:
                fallback = self.manifest(repository, f"{algorithm}-{hexdigest}")
            except ImageNotFound:
                return ()
            if not fallback.is_index:
                raise InvalidContent(f"{repository}: the referrers tag of {digest} is not an index")
            raw = fallback.content
        return _descriptors(raw, f"{repository}@{digest}")

    def _referrers_api(self, repository: str, digest: str) -> bytes | None:
        """The referrers API's index for ``digest`` as sent (None: the registry has no
        referrers API). Kept for the TTL: referrers are added over time."""
        check_digest(digest)
        key = f"{repository}@{digest}"
        stored = self._tags.load(key, "referrers") if self._tags else None
        if stored is not None and stored.fresh and isinstance(stored.payload, dict):
            try:
                found = stored.payload.get("index")
                return None if found is None else base64.b64decode(found, validate=True)
            except (TypeError, ValueError):
                pass
        url = self._url(repository, "referrers", digest)
        content: bytes | None
        try:
            content = self._get(repository, url, accept=OCI_INDEX, limit=MAX_MANIFEST_BYTES).content
        except NotFoundError:
            content = None
        if self._tags is not None:
            payload = {"index": None if content is None else base64.b64encode(content).decode()}
            self._tags.save(key, payload, variant="referrers")
        return content


def _hostname(host: str) -> str:
    """``name`` of ``name[:port]`` (``[::1]:5000`` -> ``::1``)."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _media_type(content: bytes, resp: HttpResponse, shown: str) -> str:
    """What the manifest is: its own ``mediaType`` (covered by the digest), else the
    answer's Content-Type, else its shape; anything but an image manifest or index is
    refused."""
    try:
        data = loads_json(content)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidContent(f"{shown}: the manifest is not JSON") from None
    if not isinstance(data, dict) or data.get("schemaVersion") not in (1, 2):
        raise InvalidContent(f"{shown}: not an image manifest")
    if data.get("schemaVersion") == 1:
        raise OciError(f"{shown}: a Docker schema 1 manifest (deprecated); not supported")
    declared = data.get("mediaType")
    header = resp.content_type.split(";", 1)[0].strip().lower()
    kind = declared if isinstance(declared, str) and declared else header
    if kind not in INDEX_TYPES | MANIFEST_TYPES:
        kind = OCI_INDEX if "manifests" in data else OCI_MANIFEST if "config" in data else kind
    if kind not in INDEX_TYPES | MANIFEST_TYPES:
        raise OciError(f"{shown}: not an image manifest or index ({kind[:80] or 'no type'})")
    if (kind in INDEX_TYPES) != isinstance(data.get("manifests"), list) or (
        kind in MANIFEST_TYPES and not isinstance(data.get("config"), dict)
    ):
        raise InvalidContent(f"{shown}: a {kind} without the fields it must have")
    return kind


def _descriptors(content: bytes, where: str) -> tuple[Descriptor, ...]:
    try:
        data = loads_json(content)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidContent(f"{where}: the referrers answer is not JSON") from None
    entries = data.get("manifests") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise InvalidContent(f"{where}: the referrers answer is not an index")
    return tuple(Descriptor.parse(e, where) for e in entries[:_MAX_REFERRERS])
