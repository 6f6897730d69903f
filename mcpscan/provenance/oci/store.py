"""The scan's OCI registry client as an :class:`~mcpscan.provenance.oci.material.ImageStore`,
and where an image node's attachments are read.

The client (:mod:`mcpscan.registry.oci`) already checks every manifest and blob against its
digest and falls back to the ``sha256-<hex>`` tag when a registry has no referrers API; what
it reports as bad content becomes an invalid attachment here, what it could not reach (or
was refused) stays an error that makes the image's provenance "not checked".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mcpscan.models import ResolvedPackage
from mcpscan.provenance.interface import ProvenanceUnavailable
from mcpscan.provenance.oci.material import AttachmentInvalid
from mcpscan.provenance.oci.verifier import ImageSubject

if TYPE_CHECKING:  # pragma: no cover
    from mcpscan.registry.oci.interface import OciRegistry


@dataclass(frozen=True)
class RegistryStore:
    """One repository of ``registry``, read as discovery needs it."""

    registry: OciRegistry
    repository: str  # host/path

    def manifest(self, reference: str) -> bytes | None:
        from mcpscan.registry.oci.interface import ImageNotFound

        try:
            return self.registry.manifest(self.repository, reference).content
        except ImageNotFound:
            return None
        except Exception as exc:
            raise _translated(exc) from None

    def blob(self, digest: str, max_bytes: int) -> bytes:
        from mcpscan.registry.oci.interface import ImageNotFound

        try:
            return self.registry.blob(self.repository, digest, limit=max_bytes)
        except ImageNotFound:
            raise AttachmentInvalid(f"the registry does not serve the blob {digest}") from None
        except Exception as exc:
            raise _translated(exc) from None

    def referrers(self, digest: str) -> bytes | None:
        try:
            found = self.registry.referrers(self.repository, digest)
        except Exception as exc:
            raise _translated(exc) from None
        entries = [
            {"mediaType": d.media_type, "digest": d.digest, "size": d.size}
            | ({"artifactType": d.artifact_type} if d.artifact_type else {})
            for d in found
        ]
        return json.dumps({"schemaVersion": 2, "manifests": entries}).encode()


def _translated(exc: Exception) -> Exception:
    """Bad content is an invalid attachment; a refused login, a registry mcpscan will not
    reach, or the network stay what they are (the check did not happen)."""
    from mcpscan.registry.oci.interface import (
        AuthenticationFailed,
        OciError,
        RegistryRefused,
    )

    if isinstance(exc, OciError) and not isinstance(exc, AuthenticationFailed | RegistryRefused):
        return AttachmentInvalid(exc.message)
    return exc


def registry_locator(registry: OciRegistry) -> Callable[[ResolvedPackage], ImageSubject]:
    """Where the attachments of an image node are: its repository on ``registry``, for
    the digest it pins (an index for a multi-arch image) and its platform manifest."""

    def locate(node: ResolvedPackage) -> ImageSubject:
        image = node.facts.image
        if image is None:
            raise ProvenanceUnavailable(f"the image {node.name} was not resolved")
        digests = tuple(dict.fromkeys(d for d in (image.digest, image.manifest_digest) if d))
        return ImageSubject(RegistryStore(registry, image.repository), digests)

    return locate
