"""Container images as graph nodes: what ``docker run`` (or ``podman run``) would pull.

Each launched image reference is resolved with :mod:`mcpscan.registry.oci` for the target
platform into one node (ecosystem ``oci``, version = the digest the reference names today),
so reports, the lock and drift treat it as they treat a package. Images have no dependency
edges: what is inside them is not read here.

Fail closed: an image, tag, digest or platform that does not exist is a ``not-found``
problem (SC13); bytes that do not match their digest are ``integrity-mismatch`` (SC12, through
:func:`mcpscan.provenance.integrity.problem_results`); a
registry that cannot be reached, refuses the login, or may only be reached over plain HTTP
is ``unreachable`` (the scan is incomplete, never a pass).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence

from mcpscan.ecosystems.oci import oci_purl, parse_reference
from mcpscan.errors import NetworkError
from mcpscan.images import ImageFacts, Platform
from mcpscan.models import (
    Decision,
    Digest,
    Graph,
    PackageFacts,
    PackageRef,
    ResolutionProblem,
    ResolvedPackage,
    VersionKind,
)
from mcpscan.registry.oci.image import resolve_image
from mcpscan.registry.oci.interface import (
    AuthenticationFailed,
    ImageNotFound,
    InvalidContent,
    OciError,
    OciRegistry,
    RegistryRefused,
)
from mcpscan.resolve.interface import Resolver

SERVER_NAME_LABEL = "io.modelcontextprotocol.server.name"
SOURCE_LABEL = "org.opencontainers.image.source"
LICENSE_LABEL = "org.opencontainers.image.licenses"

_DECISIONS = {
    VersionKind.DIGEST: Decision.PINNED,
    VersionKind.LATEST: Decision.LATEST,
}


class OciResolver(Resolver):
    """Resolves image references against their registries for one platform."""

    ecosystem = "oci"

    def __init__(self, registry: OciRegistry, platform: Platform) -> None:
        self.registry = registry
        self.platform = platform
        self._lock = threading.Lock()
        self._memo: dict[str, ImageFacts | ResolutionProblem] = {}

    def resolve(self, roots: Sequence[PackageRef]) -> Graph:
        nodes: dict[str, ResolvedPackage] = {}
        problems: list[ResolutionProblem] = []
        for ref in roots:
            found = self._image(ref)
            if isinstance(found, ResolutionProblem):
                problems.append(found)
                continue
            node = image_node(ref, found)
            nodes.setdefault(node.purl, node)
        return Graph(roots=tuple(nodes), nodes=tuple(nodes.values()), problems=tuple(problems))

    def _image(self, ref: PackageRef) -> ImageFacts | ResolutionProblem:
        spec = ref.spec or ref.name
        with self._lock:
            known = self._memo.get(spec)
        if known is not None:
            return known
        image = parse_reference(spec)
        requested = ref.requested or "latest"
        found: ImageFacts | ResolutionProblem
        try:
            if not image.valid_path:
                raise ImageNotFound(f"{spec!r} is not a valid image reference")
            found = resolve_image(self.registry, image, self.platform)
        except ImageNotFound as exc:
            found = _problem(ref, requested, "not-found", exc)
        except InvalidContent as exc:
            found = _problem(ref, requested, "integrity-mismatch", exc)
        except (NetworkError, RegistryRefused, AuthenticationFailed) as exc:
            found = _problem(ref, requested, "unreachable", exc)
        except OciError as exc:
            found = _problem(ref, requested, "not-an-image", exc)
        with self._lock:
            self._memo[spec] = found
        return found


def _problem(ref: PackageRef, requested: str, reason: str, exc: Exception) -> ResolutionProblem:
    return ResolutionProblem("oci", ref.name, requested, reason, str(exc))


def image_node(ref: PackageRef, facts: ImageFacts) -> ResolvedPackage:
    """The graph node of the image ``ref`` resolved to ``facts``."""
    parsed = dataclasses.replace(parse_reference(ref.spec or ref.name), digest=facts.digest)
    algorithm, _, value = facts.digest.partition(":")
    decided = _DECISIONS.get(ref.version_kind, Decision.DIST_TAG)
    return ResolvedPackage(
        ecosystem="oci",
        name=ref.name,
        version=facts.digest,
        purl=oci_purl(parsed),
        decided_by=decided,
        requested=ref.requested or "latest",
        digests=(Digest(algorithm, value),),
        facts=PackageFacts(
            published=facts.created,
            repository=facts.label(SOURCE_LABEL),
            license=facts.label(LICENSE_LABEL),
            mcp_name=facts.label(SERVER_NAME_LABEL),
            image=facts,
        ),
    )
