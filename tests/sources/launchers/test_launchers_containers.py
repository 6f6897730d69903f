"""Container runners: docker/podman run, the image and its hardening flags."""

from __future__ import annotations

import pytest

from mcpscan.models import VersionKind
from tests.support.launchers import GHP, SHA256, SK, only, run, secrets_of


@pytest.mark.parametrize(
    ("image", "name", "requested", "kind", "sha", "repository_url"),
    [
        (
            "ghcr.io/github/github-mcp-server",
            "ghcr.io/github/github-mcp-server",
            None,
            VersionKind.LATEST,
            None,
            "ghcr.io/github/github-mcp-server",
        ),
        (
            "mcp/fetch:latest",
            "mcp/fetch",
            "latest",
            VersionKind.LATEST,
            None,
            "docker.io/mcp/fetch",
        ),
        ("ubuntu:24.04", "ubuntu", "24.04", VersionKind.TAG, None, "docker.io/library/ubuntu"),
        (
            f"ghcr.io/o/img@sha256:{SHA256}",
            "ghcr.io/o/img",
            f"sha256:{SHA256}",
            VersionKind.DIGEST,
            SHA256,
            "ghcr.io/o/img",
        ),
        (
            f"ghcr.io/o/img:1.0@sha256:{SHA256}",
            "ghcr.io/o/img",
            f"sha256:{SHA256}",
            VersionKind.DIGEST,
            SHA256,
            "ghcr.io/o/img",
        ),
        (
            "localhost:5000/img:tag",
            "localhost:5000/img",
            "tag",
            VersionKind.TAG,
            None,
            "localhost:5000/img",
        ),
        (
            "localhost:5000/img",
            "localhost:5000/img",
            None,
            VersionKind.LATEST,
            None,
            "localhost:5000/img",
        ),
        (
            "registry.example.com:8443/team/img:2",
            "registry.example.com:8443/team/img",
            "2",
            VersionKind.TAG,
            None,
            "registry.example.com:8443/team/img",
        ),
    ],
)
def test_docker_images(
    image: str,
    name: str,
    requested: str | None,
    kind: VersionKind,
    sha: str | None,
    repository_url: str,
) -> None:
    launch = run("docker", "run", "-i", "--rm", image)
    assert launch.launcher == "docker"
    ref = only(launch)
    assert (ref.ecosystem, ref.name, ref.requested, ref.version_kind, ref.sha256) == (
        "oci",
        name,
        requested,
        kind,
        sha,
    )
    assert ref.purl.startswith("pkg:oci/")
    assert f"repository_url={repository_url}" in ref.purl
    if kind is VersionKind.DIGEST:
        assert f"@sha256:{SHA256}" in ref.purl
    assert launch.container is not None
    assert launch.container.image == image


def test_malformed_digest_does_not_pin() -> None:
    launch = run("docker", "run", "img@sha256:abc")
    assert only(launch).version_kind is VersionKind.TAG
    assert any("malformed" in n for n in launch.notes)


def test_docker_github_example_from_reference() -> None:
    launch = run(
        "docker",
        "run",
        "-i",
        "--rm",
        "-e",
        "GITHUB_PERSONAL_ACCESS_TOKEN",
        "ghcr.io/github/github-mcp-server",
        env={"GITHUB_PERSONAL_ACCESS_TOKEN": GHP},
    )
    assert launch.container is not None
    assert launch.container.env_literals == ()
    assert launch.secret_args == ()
    assert launch.auto_install


def test_docker_hardening_flags() -> None:
    launch = run(
        "docker",
        "run",
        "-it",
        "--rm",
        "--privileged",
        "--network=host",
        "--pid",
        "host",
        "--cap-add",
        "SYS_ADMIN",
        "--cap-add=NET_ADMIN",
        "--security-opt",
        "seccomp=unconfined",
        "-v",
        "/:/host:ro",
        "--volume=${HOME}/.ssh:/root/.ssh",
        "-v",
        "named-vol:/data",
        "--mount",
        "type=bind,source=/var/run/docker.sock,target=/var/run/docker.sock",
        "--mount",
        "type=volume,source=cache,target=/cache",
        "-e",
        f"API_TOKEN={GHP}",
        "-eDEBUG=1",
        "--env=MY_SECRET=hunter2hunter2",
        "--name",
        "srv",
        "-p",
        "8080:80",
        "-w",
        "/app",
        "-u",
        "1000",
        "--entrypoint",
        "/bin/sh",
        "ghcr.io/o/img:1",
        "--root",
        "/projects",
        SK,
    )
    facts = launch.container
    assert facts is not None
    assert (facts.privileged, facts.host_network, facts.host_pid) == (True, True, True)
    assert facts.cap_add == ("SYS_ADMIN", "NET_ADMIN")
    assert facts.security_opts == ("seccomp=unconfined",)
    assert facts.mounts == ("/", "${HOME}/.ssh", "/var/run/docker.sock")
    assert facts.env_literals == ("API_TOKEN", "DEBUG", "MY_SECRET")
    assert only(launch).name == "ghcr.io/o/img"
    found = secrets_of(launch)
    assert ("-e", 23, GHP) in found
    assert ("--env", 25, "hunter2hunter2") in found
    assert ("", 39, SK) in found
    assert len(found) == 3
    # Arguments after the image are paths inside the container, not on the host.
    assert launch.path_args == ()
    assert "docker run overrides the image's entrypoint" in launch.notes


def test_docker_unknown_option_is_noted() -> None:
    launch = run("docker", "run", "--frobnicate", "img")
    assert any("unknown option --frobnicate" in n for n in launch.notes)
    assert only(launch).name == "img"


@pytest.mark.parametrize(
    "argv",
    [
        ("podman", "run", "-i", "img:1"),
        ("docker", "container", "run", "img:1"),
        ("docker", "--context", "remote", "run", "img:1"),
    ],
)
def test_container_forms(argv: tuple[str, ...]) -> None:
    launch = run(argv[0], *argv[1:])
    assert launch.launcher == argv[0]
    assert (only(launch).name, only(launch).requested) == ("img", "1")


def test_docker_pull_never_does_not_auto_install() -> None:
    assert not run("docker", "run", "--pull=never", "img").auto_install


def test_docker_other_subcommand() -> None:
    launch = run("docker", "exec", "-i", "ctr", "server")
    assert launch.packages == ()
    assert launch.container is None
    assert any("subcommand" in n for n in launch.opaque)
