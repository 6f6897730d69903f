"""The OCI registry seam: manifests, blobs, referrers and tags of one image repository.

Everything returned has been checked against its digest: a manifest or blob whose bytes do
not hash to the digest asked for (or the one the registry claims) raises
:class:`InvalidContent`, which callers report as *invalid*, never as absent.
"""

from __future__ import annotations

import base64
import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mcpscan.errors import RegistryError
from mcpscan.images import Platform
from mcpscan.registry.interface import PackageNotFound

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
# What a client that pulls images accepts (docker and containerd send these four).
MANIFEST_ACCEPT = ", ".join((OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST))
IMAGE_CONFIG_TYPES = frozenset(
    {"application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json"}
)

MAX_MANIFEST_BYTES = 4 * 1024 * 1024  # docker's and containerd's own manifest limit
MAX_CONFIG_BYTES = 8 * 1024 * 1024
_ALGORITHMS = {"sha256": 64, "sha512": 128}


class OciError(RegistryError):
    """The registry answered, but not with a usable image."""


class ImageNotFound(PackageNotFound):
    """The repository, tag, digest or platform does not exist on the registry."""


class InvalidContent(OciError):
    """The registry sent bytes that do not match their digest or size, or a manifest that
    is not one: evidence that is present and bad (never "absent")."""


class RegistryRefused(OciError):
    """mcpscan will not talk to this registry as asked (plain HTTP to a remote host)."""


class AuthenticationFailed(OciError):
    """The registry refused the credentials or the token it was offered."""


def check_digest(digest: str) -> tuple[str, str]:
    """``(algorithm, hex)`` of a well-formed digest; raises OciError otherwise."""
    algorithm, sep, value = digest.partition(":")
    if not sep or _ALGORITHMS.get(algorithm) != len(value) or value.strip("0123456789abcdef"):
        raise OciError(f"{digest[:80]!r} is not a sha256 or sha512 digest")
    return algorithm, value


def digest_of(content: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm}:{hashlib.new(algorithm, content).hexdigest()}"


def verify(content: bytes, digest: str, what: str, size: int | None = None) -> None:
    """Raise InvalidContent unless ``content`` hashes to ``digest`` (and has ``size``)."""
    algorithm, _ = check_digest(digest)
    if size is not None and len(content) != size:
        raise InvalidContent(f"{what}: {len(content)} bytes where {size} were declared")
    actual = digest_of(content, algorithm)
    if actual != digest:
        raise InvalidContent(f"{what}: the registry sent bytes with digest {actual}, not {digest}")


@dataclass(frozen=True)
class Descriptor:
    """A reference to content: a manifest of an index, a config, a layer, a referrer."""

    media_type: str
    digest: str
    size: int
    platform: Platform | None = None
    artifact_type: str | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: Any, where: str) -> Descriptor:
        if not isinstance(data, dict):
            raise InvalidContent(f"{where}: a descriptor is not an object")
        digest, size = data.get("digest"), data.get("size")
        if not isinstance(digest, str) or not isinstance(size, int) or size < 0:
            raise InvalidContent(f"{where}: a descriptor lacks a digest or size")
        try:
            check_digest(digest)
        except OciError as exc:
            raise InvalidContent(f"{where}: {exc}") from None
        plat = data.get("platform")
        platform = None
        if isinstance(plat, dict) and isinstance(plat.get("os"), str):
            arch, variant = plat.get("architecture"), plat.get("variant")
            platform = Platform(
                plat["os"].lower(),
                arch.lower() if isinstance(arch, str) else "",
                variant.lower() if isinstance(variant, str) else "",
            )
        notes = data.get("annotations")
        annotations = (
            {str(k): str(v) for k, v in notes.items() if isinstance(v, str)}
            if isinstance(notes, dict)
            else {}
        )
        artifact = data.get("artifactType")
        return cls(
            media_type=str(data.get("mediaType") or ""),
            digest=digest,
            size=size,
            platform=platform,
            artifact_type=artifact if isinstance(artifact, str) else None,
            annotations=annotations,
        )


@dataclass(frozen=True)
class Manifest:
    """A manifest or index exactly as the registry sent it, verified against ``digest``."""

    repository: str  # host/path
    digest: str
    media_type: str
    content: bytes = field(repr=False)

    @property
    def document(self) -> dict[str, Any]:
        data = json.loads(self.content)
        assert isinstance(data, dict)  # checked when the manifest was read
        return data

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES

    @property
    def manifests(self) -> tuple[Descriptor, ...]:
        """An index's entries."""
        entries = self.document.get("manifests")
        where = f"{self.repository}@{self.digest}"
        return tuple(Descriptor.parse(e, where) for e in entries or () if e is not None)

    @property
    def config(self) -> Descriptor:
        return Descriptor.parse(self.document.get("config"), f"{self.repository}@{self.digest}")

    @property
    def layers(self) -> tuple[Descriptor, ...]:
        where = f"{self.repository}@{self.digest}"
        return tuple(Descriptor.parse(e, where) for e in self.document.get("layers") or ())

    @property
    def subject(self) -> Descriptor | None:
        found = self.document.get("subject")
        return None if found is None else Descriptor.parse(found, self.repository)

    @property
    def artifact_type(self) -> str | None:
        found = self.document.get("artifactType")
        return found if isinstance(found, str) else None

    def encode(self) -> dict[str, str]:
        """For the cache (data, never code): the bytes whole, so they are verified again."""
        return {"media_type": self.media_type, "content": base64.b64encode(self.content).decode()}

    @classmethod
    def restore(cls, repository: str, digest: str, payload: Any) -> Manifest:
        content = base64.b64decode(payload["content"], validate=True)
        verify(content, digest, "cached manifest")
        return cls(repository, digest, str(payload["media_type"]), content)


class OciRegistry(ABC):
    """The distribution API of the registries a scan reaches (one client for every host).

    ``repository`` is always ``host/path`` as :class:`~mcpscan.ecosystems.oci.ImageRef`
    normalises it (``docker.io/library/python``).
    """

    @abstractmethod
    def manifest(self, repository: str, reference: str) -> Manifest:
        """The manifest or index ``reference`` (a tag or a digest) names, verified: by
        digest against that digest; by tag against the digest the registry claims for it.
        Raises ImageNotFound, InvalidContent, NetworkError."""

    @abstractmethod
    def blob(self, repository: str, digest: str, *, limit: int) -> bytes:
        """The blob ``digest``, at most ``limit`` bytes, verified against the digest."""

    @abstractmethod
    def referrers(self, repository: str, digest: str) -> tuple[Descriptor, ...]:
        """The manifests whose ``subject`` is ``digest``: the referrers API, else the
        ``sha256-<hex>`` tag the OCI spec defines as its fallback (empty when neither
        holds any)."""

    def tag(self, repository: str, tag: str) -> Manifest:
        """The manifest a tag points to now (cosign's ``sha256-<hex>.sig`` tags...)."""
        return self.manifest(repository, tag)
