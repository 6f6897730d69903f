"""OCI image references (``[registry/]path[:tag][@digest]``) and their purls, read once for
the launchers and for ``oci:`` specs and ``pkg:oci``/``pkg:docker`` purls on the command line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from mcpscan.ecosystems.purl import build

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_PATH_RE = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_DIGEST_RE = re.compile(r"^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$")
DOCKER_HUB = "docker.io"
_DOCKER_HUB_ALIASES = (DOCKER_HUB, "index.docker.io", "registry-1.docker.io")


@dataclass(frozen=True)
class ImageRef:
    """An image reference split into its parts. ``repository`` is the name as written
    (registry included); ``host`` and ``path`` are normalised (Docker Hub's ``library/``)."""

    repository: str
    registry: str | None
    path: str
    tag: str | None
    digest: str | None  # what follows "@", valid or not

    @property
    def valid_path(self) -> bool:
        return bool(_PATH_RE.match(self.path))

    @property
    def valid_digest(self) -> bool:
        return self.digest is not None and bool(_DIGEST_RE.match(self.digest))

    @property
    def host(self) -> str:
        host = (self.registry or DOCKER_HUB).lower()
        return DOCKER_HUB if host in _DOCKER_HUB_ALIASES else host

    @property
    def full_path(self) -> str:
        """The repository path on its registry (``library/x`` for an official Hub image)."""
        if self.host == DOCKER_HUB and "/" not in self.path:
            return f"library/{self.path}"
        return self.path


def parse_reference(text: str) -> ImageRef:
    """Split ``text``; never raises (check ``valid_path`` and ``valid_digest``)."""
    ref = text.strip()
    name_part, at, digest = ref.partition("@")
    slash, colon = name_part.rfind("/"), name_part.rfind(":")
    tag: str | None = None
    repo = name_part
    if colon > slash:
        repo, tag = name_part[:colon], name_part[colon + 1 :]
    first, sep, remainder = repo.partition("/")
    registry: str | None = None
    path = repo
    # The first component names a registry when it looks like a host (docker's rule).
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder
    return ImageRef(repo, registry, path, tag, digest if at else None)


def oci_purl(ref: ImageRef) -> str:
    """``pkg:oci/name@sha256:...?repository_url=host/path&tag=...``; the version only when
    the digest is valid (a malformed digest pins nothing)."""
    full = ref.full_path
    qualifiers = {"repository_url": f"{ref.host}/{full}".lower()}
    if ref.tag:
        qualifiers["tag"] = ref.tag
    version = ref.digest if ref.valid_digest else None
    return build("oci", full.rsplit("/", 1)[-1].lower(), version=version, qualifiers=qualifiers)


def reference_from_purl(
    kind: str, namespace: str, name: str, version: str | None, qualifiers: Mapping[str, str]
) -> str:
    """The image reference a ``pkg:oci`` or ``pkg:docker`` purl names."""
    repository = qualifiers.get("repository_url", "").rstrip("/")
    if "://" in repository:
        repository = repository.split("://", 1)[1]
    path = f"{namespace}/{name}" if namespace else name
    if kind == "oci":
        # purl-spec: repository_url is the whole repository ("ghcr.io/org/img"); accept the
        # registry-and-namespace form ("ghcr.io/org") too.
        if repository and repository.rsplit("/", 1)[-1] == name:
            base = repository
        else:
            base = f"{repository}/{path}" if repository else path
        tag = qualifiers.get("tag")
    else:
        base = f"{repository}/{path}" if repository else path
        tag = None
    if version and version.lower().startswith("sha256:"):
        return f"{base}@{version}"
    if version:
        return f"{base}:{version}"
    return f"{base}:{tag}" if tag else base
