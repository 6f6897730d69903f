"""A real OCI registry on 127.0.0.1 for the tests: Debian's ``docker-registry`` (the CNCF
distribution registry), started on a free port with a temporary storage directory and a
generated config, plus what the tests need to fill it: images built in Python (layers,
config, manifest, multi-arch index, labels) and pushed with the distribution API.

:class:`TokenServer` is a small loopback token service (the Docker token spec) for a second
registry instance configured with ``auth: token:``; its tokens are JWTs signed with a key and
certificate generated here with ``cryptography``.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import io
import json
import shutil
import socket
import subprocess
import tarfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def find_registry() -> str | None:
    """The distribution registry binary, if this machine has it."""
    return shutil.which("docker-registry") or (
        "/usr/bin/docker-registry" if Path("/usr/bin/docker-registry").exists() else None
    )


MISSING = (
    "docker-registry (Debian's distribution registry) is not installed: the OCI registry "
    "tests need it (apt-get install docker-registry; .ci/run installs it as root)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def digest(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()


# -- images built in Python ---------------------------------------------------------------


def layer(files: Mapping[str, bytes]) -> bytes:
    """A gzipped tar layer holding ``files`` (deterministic bytes)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(content))
    return gzip.compress(raw.getvalue(), mtime=0)


@dataclass(frozen=True)
class Image:
    """One single-platform image: its config, layers and manifest, as bytes."""

    config: bytes
    layers: tuple[bytes, ...]
    manifest: bytes
    media_type: str

    @property
    def digest(self) -> str:
        return digest(self.manifest)

    @property
    def config_digest(self) -> str:
        return digest(self.config)


def build_image(
    *,
    os: str = "linux",
    architecture: str = "amd64",
    variant: str = "",
    labels: Mapping[str, str] | None = None,
    user: str | None = None,
    entrypoint: Sequence[str] = ("/server",),
    cmd: Sequence[str] = (),
    exposed: Sequence[str] = (),
    created: str = "2025-01-02T03:04:05Z",
    files: Mapping[str, bytes] | None = None,
    docker: bool = False,
) -> Image:
    """A runnable-looking image (OCI, or Docker schema 2 with ``docker``)."""
    blob = layer(files or {"server": f"#!/bin/sh\n# {architecture}\n".encode()})
    diff_id = digest(gzip.decompress(blob))
    inner: dict[str, Any] = {"Entrypoint": list(entrypoint), "Labels": dict(labels or {})}
    if cmd:
        inner["Cmd"] = list(cmd)
    if user is not None:
        inner["User"] = user
    if exposed:
        inner["ExposedPorts"] = {p: {} for p in exposed}
    config_doc: dict[str, Any] = {
        "architecture": architecture,
        "os": os,
        "created": created,
        "config": inner,
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }
    if variant:
        config_doc["variant"] = variant
    config = json.dumps(config_doc, sort_keys=True).encode()
    media = DOCKER_MANIFEST if docker else OCI_MANIFEST
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": media,
            "config": {
                "mediaType": DOCKER_CONFIG if docker else OCI_CONFIG,
                "digest": digest(config),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": DOCKER_LAYER if docker else OCI_LAYER,
                    "digest": digest(blob),
                    "size": len(blob),
                }
            ],
        },
        sort_keys=True,
    ).encode()
    return Image(config, (blob,), manifest, media)


def build_index(images: Sequence[tuple[Image, str]], *, attestation: bool = False) -> bytes:
    """An OCI image index over ``images`` (each with its ``os/arch[/variant]``); with
    ``attestation`` an ``unknown/unknown`` entry as buildx writes one."""
    entries = []
    for image, plat in images:
        parts = plat.split("/")
        platform = {"os": parts[0], "architecture": parts[1]}
        if len(parts) > 2:
            platform["variant"] = parts[2]
        entries.append(
            {
                "mediaType": image.media_type,
                "digest": image.digest,
                "size": len(image.manifest),
                "platform": platform,
            }
        )
    if attestation:
        first = images[0][0]
        entries.append(
            {
                "mediaType": OCI_MANIFEST,
                "digest": first.digest,
                "size": len(first.manifest),
                "platform": {"os": "unknown", "architecture": "unknown"},
                "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
            }
        )
    return json.dumps(
        {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}, sort_keys=True
    ).encode()


# -- the registry process ----------------------------------------------------------------


@dataclass
class LocalRegistry:
    """One running ``docker-registry``; ``push_*`` fill it through the distribution API."""

    port: int
    storage: Path
    process: subprocess.Popen[bytes]
    auth: Mapping[str, str] = field(default_factory=dict)  # headers for pushing

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def push_blob(self, repository: str, content: bytes) -> str:
        found = digest(content)
        start = requests.post(
            f"{self.url}/v2/{repository}/blobs/uploads/", headers=dict(self.auth), timeout=10
        )
        assert start.status_code == 202, start.text
        location = start.headers["Location"]
        if location.startswith("/"):
            location = self.url + location
        sep = "&" if "?" in location else "?"
        done = requests.put(
            f"{location}{sep}digest={found}",
            data=content,
            headers={**self.auth, "Content-Type": "application/octet-stream"},
            timeout=10,
        )
        assert done.status_code == 201, done.text
        return found

    def push_manifest(self, repository: str, reference: str, body: bytes, media: str) -> str:
        resp = requests.put(
            f"{self.url}/v2/{repository}/manifests/{reference}",
            data=body,
            headers={**self.auth, "Content-Type": media},
            timeout=10,
        )
        assert resp.status_code == 201, resp.text
        return digest(body)

    def push_image(self, repository: str, image: Image, tag: str | None = None) -> str:
        for blob in (image.config, *image.layers):
            self.push_blob(repository, blob)
        return self.push_manifest(repository, tag or image.digest, image.manifest, image.media_type)

    def push_index(
        self, repository: str, tag: str, images: Sequence[tuple[Image, str]], **kw: bool
    ) -> str:
        for image, _ in images:
            self.push_image(repository, image)
        return self.push_manifest(repository, tag, build_index(images, **kw), OCI_INDEX)

    def blob_path(self, found: str) -> Path:
        hexdigest = found.split(":", 1)[1]
        return self.storage / "docker/registry/v2/blobs/sha256" / hexdigest[:2] / hexdigest / "data"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start_registry(
    binary: str, workdir: Path, *, token: TokenServer | None = None
) -> LocalRegistry:
    """Start ``docker-registry`` on a free loopback port and wait until it answers."""
    storage = workdir / "storage"
    storage.mkdir(parents=True)
    config: dict[str, Any] = {
        "version": 0.1,
        "log": {"level": "error", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(storage)}, "delete": {"enabled": True}},
        "http": {"addr": "", "secret": "mcpscan-tests"},
    }
    if token is not None:
        config["auth"] = {
            "token": {
                "realm": f"{token.url}/token",
                "service": token.service,
                "issuer": token.issuer,
                "rootcertbundle": str(token.cert_path),
            }
        }
    for _ in range(5):
        port = free_port()
        config["http"]["addr"] = f"127.0.0.1:{port}"
        path = workdir / "config.yml"
        path.write_text(json.dumps(config))  # JSON is YAML
        log = (workdir / "registry.log").open("ab")
        process = subprocess.Popen([binary, "serve", str(path)], stdout=log, stderr=log)
        log.close()
        registry = LocalRegistry(port, storage, process)
        if _wait_ready(registry):
            return registry
        registry.stop()
    raise RuntimeError(
        f"docker-registry did not start: {(workdir / 'registry.log').read_text()[-2000:]}"
    )


def _wait_ready(registry: LocalRegistry) -> bool:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if registry.process.poll() is not None:
            return False
        try:
            resp = requests.get(f"{registry.url}/v2/", timeout=1)
            if resp.status_code in (200, 401):
                return True
        except requests.RequestException:
            pass
        time.sleep(0.05)
    return False


# -- a token server ------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer:
    """The Docker token spec on 127.0.0.1: ``GET /token?service=&scope=`` answers a JWT the
    registry accepts. With ``users``, a token is only given for Basic auth of one of them
    (pushes always need a user); anonymous callers get pull-only tokens unless
    ``anonymous`` is False."""

    service = "mcpscan-test-registry"
    issuer = "mcpscan-test-issuer"

    def __init__(self, workdir: Path, users: Mapping[str, str], *, anonymous: bool) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self.users = dict(users)
        self.anonymous = anonymous
        self.requests: list[dict[str, str]] = []  # the headers of every token request
        self.issued: list[str] = []  # every token given out
        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mcpscan test token issuer")])
        now = dt.datetime.now(dt.timezone.utc)
        self._cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.cert_path = workdir / "token-cert.pem"
        self.cert_path.write_bytes(self._cert.public_bytes(serialization.Encoding.PEM))
        self._der = self._cert.public_bytes(serialization.Encoding.DER)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server._answer(self)

            def log_message(self, *args: object) -> None:
                return None

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def token(self, subject: str, access: list[dict[str, Any]]) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        now = int(time.time())
        header = {"typ": "JWT", "alg": "ES256", "x5c": [base64.b64encode(self._der).decode()]}
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.service,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": f"{now}-{len(self.requests)}",
            "access": access,
        }
        signing = _b64url(json.dumps(header).encode()) + "." + _b64url(json.dumps(claims).encode())
        der = self._key.sign(signing.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return signing + "." + _b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = parse_qs(parts.query)
        self.requests.append(dict(handler.headers.items()))
        user = self._user(handler.headers.get("Authorization", ""))
        if parts.path != "/token" or query.get("service") != [self.service]:
            return self._send(handler, 400, {"error": "bad request"})
        if user is None or (user == "" and not self.anonymous):
            return self._send(handler, 401, {"error": "unauthorized"})
        access = []
        for scope in query.get("scope", []):
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            wanted = actions.split(",")
            allowed = [a for a in wanted if a == "pull" or (a in ("push", "*") and user)]
            access.append({"type": kind, "name": name, "actions": allowed})
        token = self.token(user or "anonymous", access)
        self.issued.append(token)
        self._send(handler, 200, {"token": token})

    def _user(self, header: str) -> str | None:
        """ "" for an anonymous caller, the user for good credentials, None for bad ones."""
        if not header:
            return ""
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        user, _, password = base64.b64decode(value).decode().partition(":")
        return user if self.users.get(user) == password else None

    def _send(self, handler: BaseHTTPRequestHandler, status: int, doc: dict[str, Any]) -> None:
        body = json.dumps(doc).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def push_headers(self, repository: str, user: str) -> dict[str, str]:
        token = self.token(
            user, [{"type": "repository", "name": repository, "actions": ["pull", "push"]}]
        )
        return {"Authorization": f"Bearer {token}"}

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def serve(tmp: Path) -> Iterator[LocalRegistry]:
    """One plain registry for a test session (the conftest fixture)."""
    binary = find_registry()
    if binary is None:
        return
    registry = start_registry(binary, tmp)
    try:
        yield registry
    finally:
        registry.stop()
