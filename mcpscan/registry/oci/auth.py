"""Registry authentication: the Docker token spec and the user's stored credentials.

A registry that wants a token answers 401 with ``WWW-Authenticate: Bearer realm=…,
service=…,scope=…``; the client asks the realm for a token (anonymously, or with the user's
stored credentials for that registry as Basic auth) and repeats the request with it.

Credentials are read only from the files docker and podman store them in
(``auths.<host>.auth``, base64 ``user:password``): a credential helper (``credsStore``,
``credHelpers``) is a program, and mcpscan never runs one. Credentials and tokens live in
memory only; every one is added to the redaction boundary the moment it is read, they travel
only in ``Authorization`` headers (which the HTTP cache neither keys on nor stores), and
only over HTTPS or to a loopback host.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from mcpscan.fileio import FileReadError, read_bounded
from mcpscan.models import Sensitive
from mcpscan.redaction import Redactor, remember
from mcpscan.registry.oci.interface import AuthenticationFailed, RegistryRefused

_PARAM = re.compile(r'([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))')
_MAX_CREDENTIAL_FILE = 1024 * 1024
_MAX_TOKEN_BYTES = 64 * 1024
_HUB_KEYS = ("docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com")


@dataclass(frozen=True)
class Challenge:
    """A parsed ``WWW-Authenticate`` header."""

    scheme: str  # "bearer" or "basic"
    params: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, header: str) -> Challenge | None:
        scheme, _, rest = header.strip().partition(" ")
        if not scheme:
            return None
        params = {m.group(1).lower(): m.group(2) or m.group(3) or "" for m in _PARAM.finditer(rest)}
        return cls(scheme.lower(), params)


@dataclass(frozen=True)
class StoredLogin:
    """One registry login read from a credentials file (the values stay wrapped)."""

    user: Sensitive
    password: Sensitive
    source: str  # the file it came from, for messages

    def basic(self) -> str:
        raw = f"{self.user.reveal()}:{self.password.reveal()}".encode()
        return "Basic " + base64.b64encode(raw).decode()


def credential_files(env: Mapping[str, str], home: Path) -> tuple[Path, ...]:
    """Where docker and podman keep logins, in the order they are consulted."""
    docker_dir = Path(env["DOCKER_CONFIG"]) if env.get("DOCKER_CONFIG") else home / ".docker"
    files = [docker_dir / "config.json"]
    if env.get("REGISTRY_AUTH_FILE"):
        files.append(Path(env["REGISTRY_AUTH_FILE"]))
    if env.get("XDG_RUNTIME_DIR"):
        files.append(Path(env["XDG_RUNTIME_DIR"]) / "containers" / "auth.json")
    config_home = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
    files.append(config_home / "containers" / "auth.json")
    return tuple(dict.fromkeys(files))


def _key_host(key: str) -> str:
    """An ``auths`` key (``https://index.docker.io/v1/``, ``ghcr.io``, ``quay.io/org``) as
    ``host[/path]`` in the terms of a normalised repository."""
    text = key.strip()
    if "://" in text:
        parts = urlsplit(text)
        text = parts.netloc + (parts.path if parts.path not in ("", "/", "/v1/", "/v2/") else "")
    text = text.rstrip("/").lower()
    host, sep, path = text.partition("/")
    if host in _HUB_KEYS:
        host = "docker.io"
    return host + (sep + path if path and path not in ("v1", "v2") else "")


class Credentials:
    """The user's stored registry logins, read once, lazily."""

    def __init__(self, files: tuple[Path, ...], redactor: Redactor | None = None) -> None:
        self._files = files
        self._lock = threading.Lock()
        self._logins: dict[str, StoredLogin] | None = None
        self._helpers: set[str] = set()
        self.notes: list[str] = []
        self._redactor = redactor if redactor is not None else Redactor()

    @classmethod
    def none(cls) -> Credentials:
        return cls(())

    def _load(self) -> dict[str, StoredLogin]:
        with self._lock:
            if self._logins is None:
                logins: dict[str, StoredLogin] = {}
                for path in self._files:
                    self._read(path, logins)
                remember(self._redactor)
                self._logins = logins
            return self._logins

    def _read(self, path: Path, logins: dict[str, StoredLogin]) -> None:
        try:
            data = json.loads(read_bounded(path, limit=_MAX_CREDENTIAL_FILE))
        except FileReadError as exc:
            if exc.reason != "does not exist":
                self.notes.append(f"registry credentials in {path} not read: it {exc.reason}")
            return
        except (UnicodeDecodeError, ValueError, RecursionError):
            self.notes.append(f"registry credentials in {path} not read: not valid JSON")
            return
        if not isinstance(data, dict):
            return
        for name in ("credsStore", "credHelpers"):
            if data.get(name):
                helpers = data[name]
                self._helpers.update(
                    _key_host(k) for k in (helpers if isinstance(helpers, dict) else {"*": 1})
                )
        auths = data.get("auths")
        if not isinstance(auths, dict):
            return
        for key, entry in auths.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("auth"), str):
                continue
            try:
                raw = base64.b64decode(entry["auth"], validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                self.notes.append(f"a registry login in {path} is not base64 user:password")
                continue
            user, sep, password = raw.partition(":")
            if not sep:
                continue
            login = StoredLogin(Sensitive(user), Sensitive(password), str(path))
            self._redactor.add(login.password)
            self._redactor.add(Sensitive(entry["auth"]))
            self._redactor.add(Sensitive(login.basic().removeprefix("Basic ")))
            logins.setdefault(_key_host(str(key)), login)

    def for_repository(self, repository: str) -> StoredLogin | None:
        """The login for ``host/path``: the longest ``auths`` key that is the host or a
        leading part of the repository (podman allows ``quay.io/org`` keys)."""
        logins = self._load()
        best: tuple[int, StoredLogin] | None = None
        for key, login in logins.items():
            if (repository == key or repository.startswith(key + "/")) and (
                best is None or len(key) > best[0]
            ):
                best = (len(key), login)
        return best[1] if best else None

    def in_helper(self, host: str) -> bool:
        """A credential helper holds logins for ``host`` (which mcpscan does not run)."""
        self._load()
        return host in self._helpers or "*" in self._helpers

    @property
    def redactor(self) -> Redactor:
        return self._redactor


class Tokens:
    """The ``Authorization`` value that worked for each repository, in memory only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, str] = {}

    def get(self, repository: str) -> str | None:
        with self._lock:
            return self._values.get(repository)

    def put(self, repository: str, authorization: str) -> None:
        with self._lock:
            self._values[repository] = authorization

    def forget(self, repository: str) -> None:
        with self._lock:
            self._values.pop(repository, None)


def read_token(body: bytes, realm: str, redactor: Redactor) -> str:
    """The token in a token service's answer, added to the redaction boundary."""
    if len(body) > _MAX_TOKEN_BYTES:
        raise AuthenticationFailed(f"the token service {realm} sent an oversized answer")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise AuthenticationFailed(f"the token service {realm} did not answer JSON") from None
    token = (data.get("token") or data.get("access_token")) if isinstance(data, dict) else None
    if not isinstance(token, str) or not token or any(c in token for c in "\r\n"):
        raise AuthenticationFailed(f"the token service {realm} gave no token")
    redactor.add(Sensitive(token))
    remember(redactor)
    return token


def token_url(challenge: Challenge, repository_path: str, plain_ok: Callable[[str], bool]) -> str:
    """The realm URL to ask for a pull token, checked: an ``http`` realm is refused unless
    its own host may be reached over plain HTTP (loopback, ``--insecure-registry``)."""
    realm = challenge.params.get("realm", "")
    parts = urlsplit(realm)
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        raise AuthenticationFailed("the registry's token realm is not a usable URL")
    if parts.scheme == "http" and not plain_ok(parts.netloc):
        raise RegistryRefused(
            f"the registry sends mcpscan to a plain-HTTP token service ({parts.netloc}); "
            "refused (only loopback and --insecure-registry hosts may use HTTP)"
        )
    query: list[tuple[str, str]] = []
    if challenge.params.get("service"):
        query.append(("service", challenge.params["service"]))
    query.append(("scope", challenge.params.get("scope") or f"repository:{repository_path}:pull"))
    joiner = "&" if parts.query else "?"
    return realm + joiner + urlencode(query)


def environment_files() -> tuple[Path, ...]:
    """:func:`credential_files` of this process's user."""
    return credential_files(dict(os.environ), Path.home())
