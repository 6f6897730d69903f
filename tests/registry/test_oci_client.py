"""The OCI distribution client against a real registry (docker-registry on 127.0.0.1):
tag -> digest, index -> platform, config facts, digest verification, cache and offline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcpscan.ecosystems.oci import parse_reference
from mcpscan.errors import OfflineCacheMiss
from mcpscan.images import Platform
from mcpscan.net.http import HttpClient, HttpConfig
from mcpscan.registry.oci.client import DistributionClient
from mcpscan.registry.oci.image import resolve_image, select_platform
from mcpscan.registry.oci.interface import (
    DOCKER_MANIFEST,
    OCI_INDEX,
    Descriptor,
    ImageNotFound,
    InvalidContent,
    OciError,
)
from tests.support.oci_registry import (
    OCI_MANIFEST,
    LocalRegistry,
    build_image,
    build_index,
    digest,
)
from tests.support.registry_server import RegistryServer, Route

AMD64 = Platform("linux", "amd64")
ARM64 = Platform("linux", "arm64")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[DistributionClient]:
    with HttpClient(HttpConfig(cache_dir=tmp_path / "cache", retries=0)) as http:
        yield DistributionClient(http)


def _ref(registry: LocalRegistry, name: str) -> str:
    return f"{registry.host}/{name}"


def test_a_tag_resolves_to_the_digest_of_the_manifest_it_names(
    oci_registry_server: LocalRegistry, client: DistributionClient
) -> None:
    image = build_image(labels={"org.opencontainers.image.source": "https://github.com/o/r"})
    oci_registry_server.push_image("client/tagged", image, "1.0")
    facts = resolve_image(
        client, parse_reference(_ref(oci_registry_server, "client/tagged:1.0")), AMD64
    )
    assert facts.digest == image.digest == facts.manifest_digest
    assert facts.config_digest == image.config_digest
    assert facts.tag == "1.0"
    assert facts.repository == f"{oci_registry_server.host}/client/tagged"
    assert facts.pinned_reference == f"{oci_registry_server.host}/client/tagged@{image.digest}"
    assert facts.platform == AMD64  # from the config of a single-platform image


def test_an_index_gives_the_manifest_of_each_platform(
    oci_registry_server: LocalRegistry, client: DistributionClient
) -> None:
    amd = build_image(architecture="amd64", labels={"arch": "amd"})
    arm = build_image(architecture="arm64", variant="v8", labels={"arch": "arm"})
    index = oci_registry_server.push_index(
        "client/multi", "2.0", [(amd, "linux/amd64"), (arm, "linux/arm64/v8")], attestation=True
    )
    ref = parse_reference(_ref(oci_registry_server, "client/multi:2.0"))
    on_amd = resolve_image(client, ref, AMD64)
    on_arm = resolve_image(client, ref, ARM64)  # no variant asked: v8 is arm64's default
    assert on_amd.digest == on_arm.digest == index
    assert on_amd.media_type == OCI_INDEX
    assert (on_amd.manifest_digest, on_arm.manifest_digest) == (amd.digest, arm.digest)
    assert (on_amd.label("arch"), on_arm.label("arch")) == ("amd", "arm")
    assert on_arm.platform == Platform("linux", "arm64", "v8")
    # The buildx attestation entry (unknown/unknown) is not a platform.
    assert on_amd.platforms == (AMD64, Platform("linux", "arm64", "v8"))
    with pytest.raises(ImageNotFound, match=r"no image for linux/s390x \(it offers: linux/amd64"):
        resolve_image(client, ref, Platform("linux", "s390x"))
    # Pinned by the index digest, the same image comes back.
    pinned = parse_reference(_ref(oci_registry_server, f"client/multi@{index}"))
    assert resolve_image(client, pinned, ARM64).manifest_digest == arm.digest


def test_the_config_gives_labels_user_entrypoint_ports_and_creation_time(
    oci_registry_server: LocalRegistry, client: DistributionClient
) -> None:
    image = build_image(
        labels={"io.modelcontextprotocol.server.name": "io.github.o/srv", "b": "2"},
        user="1000:1000",
        entrypoint=("/bin/srv", "--stdio"),
        cmd=("serve",),
        exposed=("8080/tcp",),
        created="2026-11-30T10:00:00Z",
        docker=True,
    )
    oci_registry_server.push_image("client/config", image, "latest")
    facts = resolve_image(
        client, parse_reference(_ref(oci_registry_server, "client/config")), AMD64
    )
    assert facts.media_type == DOCKER_MANIFEST
    assert facts.labels == (("b", "2"), ("io.modelcontextprotocol.server.name", "io.github.o/srv"))
    assert (facts.user, facts.runs_as_root) == ("1000:1000", False)
    assert facts.entrypoint == ("/bin/srv", "--stdio")
    assert facts.cmd == ("serve",)
    assert facts.exposed_ports == ("8080/tcp",)
    assert facts.created == "2026-11-30T10:00:00Z"
    assert facts.tag == "latest"  # no tag written: docker's default


@pytest.mark.parametrize(
    ("user", "root"), [(None, True), ("root", True), ("0:0", True), ("app", False)]
)
def test_runs_as_root_follows_the_config_user(
    oci_registry_server: LocalRegistry, client: DistributionClient, user: str | None, root: bool
) -> None:
    image = build_image(user=user, labels={"user": str(user)})
    oci_registry_server.push_image("client/users", image, f"u-{user}".replace(":", "-"))
    ref = parse_reference(_ref(oci_registry_server, f"client/users@{image.digest}"))
    assert resolve_image(client, ref, AMD64).runs_as_root is root


def test_a_made_up_digest_tag_or_repository_does_not_exist(
    oci_registry_server: LocalRegistry, client: DistributionClient
) -> None:
    oci_registry_server.push_image("client/real", build_image(), "1")
    made_up = "sha256:" + "ab" * 32
    for ref in (f"client/real@{made_up}", "client/real:no-such-tag", "client/never-pushed:1"):
        with pytest.raises(ImageNotFound, match="does not exist"):
            resolve_image(client, parse_reference(_ref(oci_registry_server, ref)), AMD64)


def _flip_one_byte(path: Path) -> bytes:
    original = path.read_bytes()
    path.write_bytes(original[:-1] + bytes([original[-1] ^ 0x01]))
    return original


def test_a_tampered_config_blob_is_invalid_never_a_pass(
    oci_registry_server: LocalRegistry, client: DistributionClient
) -> None:
    image = build_image(labels={"tamper": "config"})
    oci_registry_server.push_image("client/tampered", image, "1")
    blob = oci_registry_server.blob_path(image.config_digest)
    original = _flip_one_byte(blob)
    try:
        with pytest.raises(InvalidContent, match=f"not {image.config_digest}"):
            resolve_image(
                client, parse_reference(_ref(oci_registry_server, "client/tampered:1")), AMD64
            )
    finally:
        blob.write_bytes(original)
    assert (
        resolve_image(
            client, parse_reference(_ref(oci_registry_server, "client/tampered:1")), AMD64
        ).config_digest
        == image.config_digest
    )


def test_a_tampered_manifest_is_invalid_by_tag_and_by_digest(
    oci_registry_server: LocalRegistry, tmp_path: Path
) -> None:
    image = build_image(labels={"tamper": "manifest"})
    oci_registry_server.push_image("client/tampered-manifest", image, "1")
    blob = oci_registry_server.blob_path(image.digest)
    original = blob.read_bytes()
    # Still a manifest the registry serves: one hex digit of the layer digest changed.
    layer_hex = json.loads(image.manifest)["layers"][0]["digest"].split(":")[1]
    swapped = layer_hex[:-1] + ("0" if layer_hex[-1] != "0" else "1")
    blob.write_bytes(original.replace(layer_hex.encode(), swapped.encode()))
    try:
        with HttpClient(HttpConfig(cache_dir=None, retries=0)) as http:
            client = DistributionClient(http)
            with pytest.raises(InvalidContent, match="the registry says the tag is"):
                client.manifest(f"{oci_registry_server.host}/client/tampered-manifest", "1")
            with pytest.raises(InvalidContent, match=f"not {image.digest}"):
                client.manifest(
                    f"{oci_registry_server.host}/client/tampered-manifest", image.digest
                )
    finally:
        blob.write_bytes(original)


def test_manifests_are_cached_by_digest_and_offline_reads_only_the_cache(
    oci_registry_server: LocalRegistry, tmp_path: Path
) -> None:
    amd, arm = build_image(labels={"c": "1"}), build_image(architecture="arm64", labels={"c": "2"})
    oci_registry_server.push_index(
        "client/cached", "1", [(amd, "linux/amd64"), (arm, "linux/arm64")]
    )
    ref = parse_reference(_ref(oci_registry_server, "client/cached:1"))
    cache = tmp_path / "cache"
    with HttpClient(HttpConfig(cache_dir=cache)) as http:
        online = resolve_image(DistributionClient(http), ref, AMD64)
        assert http.network_requests == 3  # index, manifest, config
    with HttpClient(HttpConfig(cache_dir=cache)) as http:
        assert resolve_image(DistributionClient(http), ref, AMD64) == online
        assert http.network_requests == 0  # the tag is fresh for the TTL; the rest by digest
    with HttpClient(HttpConfig(cache_dir=cache, offline=True)) as http:
        assert resolve_image(DistributionClient(http), ref, AMD64) == online
        with pytest.raises(OfflineCacheMiss):
            resolve_image(DistributionClient(http), ref, ARM64)  # never fetched
    # A damaged cache entry is a miss, not a pass: its bytes are verified again.
    for entry in (cache / "oci-content").iterdir():
        record = json.loads(entry.read_text())
        record["payload"] = (
            {**record["payload"], "content": "e30="}  # "{}"
            if isinstance(record["payload"], dict)
            else "e30="
        )
        entry.write_text(json.dumps(record))
    with HttpClient(HttpConfig(cache_dir=cache)) as http:
        assert resolve_image(DistributionClient(http), ref, AMD64) == online
        assert http.network_requests == 3  # index, manifest and config fetched again


def test_referrers_fall_back_to_the_digest_tag(
    oci_registry_server: LocalRegistry, client: DistributionClient
) -> None:
    image = build_image(labels={"referred": "yes"})
    subject = oci_registry_server.push_image("client/referred", image, "1")
    repository = f"{oci_registry_server.host}/client/referred"
    assert client.referrers(repository, subject) == ()  # no referrers API, no fallback tag
    empty = b"{}"
    oci_registry_server.push_blob("client/referred", empty)
    artifact = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "config": {
                "mediaType": "application/vnd.oci.empty.v1+json",
                "digest": digest(empty),
                "size": 2,
            },
            "layers": [],
            "subject": {"mediaType": OCI_MANIFEST, "digest": subject, "size": len(image.manifest)},
        }
    ).encode()
    referrer = oci_registry_server.push_manifest(
        "client/referred", digest(artifact), artifact, OCI_MANIFEST
    )
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": OCI_MANIFEST,
                    "digest": referrer,
                    "size": len(artifact),
                    "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                }
            ],
        }
    ).encode()
    oci_registry_server.push_manifest(
        "client/referred", "sha256-" + subject.split(":")[1], index, OCI_INDEX
    )
    with HttpClient(HttpConfig(cache_dir=None)) as http:
        found = DistributionClient(http).referrers(repository, subject)
        assert [(d.digest, d.artifact_type) for d in found] == [
            (referrer, "application/vnd.dev.sigstore.bundle.v0.3+json")
        ]
        fetched = DistributionClient(http).manifest(repository, referrer)
        assert fetched.subject is not None
        assert fetched.subject.digest == subject
        assert fetched.artifact_type == "application/vnd.dev.sigstore.bundle.v0.3+json"
        assert DistributionClient(http).tag(repository, "1").digest == subject


def test_platform_selection_follows_containerd_variants() -> None:
    def entry(plat: str) -> Descriptor:
        return Descriptor(OCI_MANIFEST, "sha256:" + "0" * 64, 1, Platform.parse(plat))

    entries = (entry("linux/arm/v6"), entry("linux/arm/v7"), entry("linux/arm64"))
    assert select_platform(entries, Platform.parse("linux/arm64/v8")) is entries[2]
    assert select_platform(entries, Platform("linux", "arm")) is entries[1]  # v7 default
    assert select_platform(entries, Platform.parse("linux/arm/v6")) is entries[0]
    assert select_platform(entries, Platform.parse("linux/arm/v5")) is None
    with pytest.raises(ValueError, match="OS/ARCH or"):
        Platform.parse("linux")


# -- a hostile registry on 127.0.0.1 (the replay server) ---------------------------------


@pytest.fixture
def hostile(
    registry_server: RegistryServer,
) -> Iterator[tuple[RegistryServer, DistributionClient, str]]:
    host = registry_server.url.split("://", 1)[1].rstrip("/")
    with HttpClient(HttpConfig(cache_dir=None, retries=0)) as http:
        yield registry_server, DistributionClient(http), f"{host}/evil/img"


def test_a_registry_that_lies_about_the_tag_digest_is_invalid(
    hostile: tuple[RegistryServer, DistributionClient, str],
) -> None:
    server, client, repository = hostile
    body = build_image().manifest
    server.add(
        "/v2/evil/img/manifests/1",
        Route(
            body, content_type=OCI_MANIFEST, headers={"Docker-Content-Digest": "sha256:" + "1" * 64}
        ),
    )
    with pytest.raises(InvalidContent, match="the registry says the tag is sha256:1111"):
        client.manifest(repository, "1")


def test_oversized_schema1_and_non_image_manifests_are_refused(
    hostile: tuple[RegistryServer, DistributionClient, str],
) -> None:
    server, client, repository = hostile
    server.add("/v2/evil/img/manifests/big", Route(b"{" + b" " * (5 * 1024 * 1024) + b"}"))
    with pytest.raises(Exception, match="over the 4194304-byte limit"):
        client.manifest(repository, "big")
    server.add("/v2/evil/img/manifests/old", Route(b'{"schemaVersion": 1, "fsLayers": []}'))
    with pytest.raises(OciError, match="schema 1"):
        client.manifest(repository, "old")
    server.add(
        "/v2/evil/img/manifests/helm",
        Route(b'{"schemaVersion": 2, "mediaType": "application/vnd.cncf.helm.chart"}'),
    )
    with pytest.raises(OciError, match="not an image manifest or index"):
        client.manifest(repository, "helm")
    # An index whose entry is a different size than the manifest it names.
    child = build_image()
    index = build_index([(child, "linux/amd64")]).replace(
        f'"size": {len(child.manifest)}'.encode(), f'"size": {len(child.manifest) + 1}'.encode()
    )
    server.add("/v2/evil/img/manifests/idx", Route(index, content_type=OCI_INDEX))
    server.add(
        f"/v2/evil/img/manifests/{child.digest}", Route(child.manifest, content_type=OCI_MANIFEST)
    )
    with pytest.raises(InvalidContent, match="the index says"):
        resolve_image(client, parse_reference(f"{repository}:idx"), AMD64)


def test_an_index_that_lists_an_image_under_another_platform_is_invalid(
    hostile: tuple[RegistryServer, DistributionClient, str],
) -> None:
    server, client, repository = hostile
    arm = build_image(architecture="arm64")
    server.add(
        "/v2/evil/img/manifests/lie",
        Route(build_index([(arm, "linux/amd64")]), content_type=OCI_INDEX),
    )
    server.add(
        f"/v2/evil/img/manifests/{arm.digest}", Route(arm.manifest, content_type=OCI_MANIFEST)
    )
    server.add(
        f"/v2/evil/img/blobs/{arm.config_digest}",
        Route(arm.config, content_type="application/octet-stream"),
    )
    with pytest.raises(InvalidContent, match="its config says linux/arm64"):
        resolve_image(client, parse_reference(f"{repository}:lie"), AMD64)
