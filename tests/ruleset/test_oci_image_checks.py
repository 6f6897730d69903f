"""The rules over a resolved container image's facts: SC14 against the image's label and
its ghcr.io owner, SP02 against its config User, SC01's exact digest pin."""

from __future__ import annotations

from mcpscan.images import ImageFacts, Platform
from mcpscan.models import (
    ContainerFacts,
    Decision,
    Digest,
    Graph,
    Launch,
    PackageFacts,
    PackageRef,
    ResolvedPackage,
    VersionKind,
)
from mcpscan.ruleset import ConnectorFacts

from .builders import connector, hits

DIGEST = "sha256:" + "ab" * 32


def image_node(repository: str, *, label: str | None, user: str = "") -> ResolvedPackage:
    image = ImageFacts(
        repository=repository,
        digest=DIGEST,
        media_type="application/vnd.oci.image.index.v1+json",
        platform=Platform("linux", "amd64"),
        manifest_digest="sha256:" + "cd" * 32,
        config_digest="sha256:" + "ef" * 32,
        tag="1.0",
        user=user,
        labels=(("io.modelcontextprotocol.server.name", label),) if label else (),
    )
    return ResolvedPackage(
        ecosystem="oci",
        name=repository,
        version=DIGEST,
        purl=f"pkg:oci/{repository.rsplit('/', 1)[-1]}@{DIGEST}",
        decided_by=Decision.DIST_TAG,
        digests=(Digest("sha256", "ab" * 32),),
        facts=PackageFacts(mcp_name=label, image=image),
    )


def image_facts(
    node: ResolvedPackage, *, server: str | None = None, user: str | None = None
) -> ConnectorFacts:
    ref = PackageRef(
        "oci", node.name, "1.0", VersionKind.TAG, "pkg:oci/x?tag=1.0", spec=f"{node.name}:1.0"
    )
    launch = Launch("docker", packages=(ref,), container=ContainerFacts(image=ref.spec, user=user))
    return ConnectorFacts(
        connector(server_name=server),
        launch,
        graph=Graph(roots=(node.purl,), nodes=(node,)),
    )


def test_sc14_compares_the_label_and_the_ghcr_owner_with_the_server_name() -> None:
    server = "io.github.acme/weather"
    ok = image_facts(image_node("ghcr.io/acme/weather", label=server), server=server)
    assert hits("ownership_mismatch", ok) == []
    other_owner = image_facts(image_node("ghcr.io/mallory/weather", label=server), server=server)
    (hit,) = hits("ownership_mismatch", other_owner)
    assert "published by the ghcr.io owner mallory, not by acme" in hit.message
    unlabelled = image_facts(image_node("ghcr.io/acme/weather", label=None), server=server)
    (hit,) = hits("ownership_mismatch", unlabelled)
    assert "image label io.modelcontextprotocol.server.name" in hit.message


def test_sp02_follows_the_image_user_unless_the_command_line_chooses_one() -> None:
    root = image_node("ghcr.io/acme/weather", label=None, user="")
    (hit,) = hits("privileged_container", image_facts(root))
    assert "runs as root" in hit.message
    assert hits("privileged_container", image_facts(root, user="1000")) == []
    (explicit,) = hits("privileged_container", image_facts(root, user="0:0"))
    assert "-u root" in explicit.message
    app = image_node("ghcr.io/acme/weather", label=None, user="app")
    assert hits("privileged_container", image_facts(app)) == []


def test_sc01_names_the_exact_pin_of_a_resolved_tag() -> None:
    node = image_node("ghcr.io/acme/weather", label=None)
    (hit,) = hits("unpinned_launch", image_facts(node))
    assert f"ghcr.io/acme/weather@{DIGEST}" in hit.remediation
