"""Registry authentication against a real registry behind a loopback token server: the
Docker token spec, stored docker/podman logins, and no credential in any output or cache."""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcpscan.ecosystems.oci import parse_reference
from mcpscan.images import Platform
from mcpscan.net.http import HttpClient, HttpConfig
from mcpscan.redaction import scrub_traceback
from mcpscan.registry.oci.auth import Challenge, Credentials, credential_files, token_url
from mcpscan.registry.oci.client import DistributionClient
from mcpscan.registry.oci.image import resolve_image
from mcpscan.registry.oci.interface import (
    AuthenticationFailed,
    ImageNotFound,
    RegistryRefused,
)
from tests.support.oci_registry import LocalRegistry, TokenServer, build_image

PASSWORD = "s3cr3t-registry-pw"
AMD64 = Platform("linux", "amd64")


@pytest.fixture
def private(
    oci_token_registry: tuple[LocalRegistry, TokenServer],
) -> Iterator[tuple[LocalRegistry, TokenServer, str]]:
    """An image on the token registry, which refuses anonymous callers for the test."""
    registry, tokens = oci_token_registry
    registry.auth = tokens.push_headers("team/private", "alice")
    image = build_image(labels={"private": "yes"})
    registry.push_image("team/private", image, "1.0")
    tokens.anonymous = False
    tokens.requests.clear()
    try:
        yield registry, tokens, image.digest
    finally:
        tokens.anonymous = True


def _docker_config(tmp_path: Path, host: str, password: str = PASSWORD) -> Path:
    path = tmp_path / "docker" / "config.json"
    path.parent.mkdir(parents=True)
    auth = base64.b64encode(f"alice:{password}".encode()).decode()
    path.write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    return path


def test_anonymous_pull_tokens_are_fetched_from_the_realm(
    oci_token_registry: tuple[LocalRegistry, TokenServer], tmp_path: Path
) -> None:
    registry, tokens = oci_token_registry
    registry.auth = tokens.push_headers("team/public", "alice")
    image = build_image(labels={"public": "yes"})
    registry.push_image("team/public", image, "1.0")
    tokens.requests.clear()
    with HttpClient(HttpConfig(cache_dir=None, retries=0)) as http:
        facts = resolve_image(
            DistributionClient(http), parse_reference(f"{registry.host}/team/public:1.0"), AMD64
        )
    assert facts.digest == image.digest
    # One token for the repository, reused for the manifest and the config blob.
    assert len(tokens.requests) == 1
    assert "Authorization" not in tokens.requests[0]


def test_stored_docker_logins_are_used_and_never_shown_or_cached(
    private: tuple[LocalRegistry, TokenServer, str], tmp_path: Path
) -> None:
    registry, tokens, pinned = private
    ref = parse_reference(f"{registry.host}/team/private:1.0")
    with (
        HttpClient(HttpConfig(cache_dir=None, retries=0)) as http,
        pytest.raises(ImageNotFound, match="does not exist, or needs a login"),
    ):
        resolve_image(DistributionClient(http), ref, AMD64)
    config = _docker_config(tmp_path, registry.host)
    cache = tmp_path / "cache"
    with HttpClient(HttpConfig(cache_dir=cache, retries=0)) as http:
        client = DistributionClient(http, credentials=Credentials((config,)))
        facts = resolve_image(client, ref, AMD64)
    assert facts.digest == pinned
    sent = [r.get("Authorization", "") for r in tokens.requests]
    expected = "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    assert expected in sent
    # Nothing in the cache holds the password, the login or a token.
    stored = b"".join(p.read_bytes() for p in cache.rglob("*") if p.is_file())
    assert stored  # the manifests were cached
    assert tokens.issued
    for secret in (PASSWORD, expected.split()[1], "Bearer", *tokens.issued):
        assert secret.encode() not in stored
    # And whatever is printed far from the scan (a traceback) is scrubbed of it.
    shown = scrub_traceback(f"boom {PASSWORD} {expected} {tokens.issued[-1]}")
    assert PASSWORD not in shown
    assert tokens.issued[-1] not in shown


def test_a_refused_login_is_an_authentication_failure_that_does_not_name_it(
    private: tuple[LocalRegistry, TokenServer, str], tmp_path: Path
) -> None:
    registry, _, _ = private
    config = _docker_config(tmp_path, f"http://{registry.host}/v2/", password="wrong-pw-123")
    with HttpClient(HttpConfig(cache_dir=None, retries=0)) as http:
        client = DistributionClient(http, credentials=Credentials((config,)))
        with pytest.raises(AuthenticationFailed, match="refused the stored login") as err:
            resolve_image(client, parse_reference(f"{registry.host}/team/private:1.0"), AMD64)
    assert "wrong-pw-123" not in str(err.value)


def test_login_files_docker_podman_and_their_keys(tmp_path: Path) -> None:
    env = {
        "DOCKER_CONFIG": str(tmp_path / "d"),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "REGISTRY_AUTH_FILE": str(tmp_path / "auth.json"),
    }
    files = credential_files(env, tmp_path / "home")
    assert files == (
        tmp_path / "d" / "config.json",
        tmp_path / "auth.json",
        tmp_path / "run" / "containers" / "auth.json",
        tmp_path / "home" / ".config" / "containers" / "auth.json",
    )

    def auth(user: str) -> dict[str, str]:
        return {"auth": base64.b64encode(f"{user}:pw-{user}".encode()).decode()}

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "config.json").write_text(
        json.dumps(
            {
                "auths": {"https://index.docker.io/v1/": auth("hub")},
                "credHelpers": {"gcr.io": "gcr"},
            }
        )
    )
    (tmp_path / "run" / "containers").mkdir(parents=True)
    (tmp_path / "run" / "containers" / "auth.json").write_text(
        json.dumps({"auths": {"quay.io": auth("quay"), "quay.io/team": auth("team")}})
    )
    creds = Credentials(files)
    hub = creds.for_repository("docker.io/library/python")
    assert hub is not None
    assert hub.user.reveal() == "hub"
    team = creds.for_repository("quay.io/team/img")
    other = creds.for_repository("quay.io/else/img")
    assert team is not None
    assert team.user.reveal() == "team"
    assert other is not None
    assert other.user.reveal() == "quay"
    assert creds.for_repository("quay.io.evil.com/team/img") is None
    assert creds.for_repository("gcr.io/p/img") is None
    assert creds.in_helper("gcr.io")
    # The values are never shown by the objects that hold them.
    assert "pw-hub" not in repr(hub)
    assert "pw-hub" not in str(hub.password)


def test_a_credential_helper_is_never_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "helper-ran"
    helper = tmp_path / "bin" / "docker-credential-evil"
    helper.parent.mkdir()
    helper.write_text(f'#!/bin/sh\ntouch {marker}\necho \'{{"Username":"x","Secret":"y"}}\'\n')
    helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{helper.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"credsStore": "evil", "auths": {"ghcr.io": {}}}))
    creds = Credentials((config,))
    assert creds.for_repository("ghcr.io/o/img") is None
    assert creds.in_helper("ghcr.io")
    assert not marker.exists()


def test_plain_http_only_to_loopback_or_named_insecure_registries() -> None:
    with HttpClient(HttpConfig(cache_dir=None)) as http:
        client = DistributionClient(http)
        assert client.base_url("registry.example.com") == "https://registry.example.com/v2/"
        assert client.base_url("docker.io") == "https://registry-1.docker.io/v2/"
        assert client.base_url("localhost:5000") == "http://localhost:5000/v2/"
        assert client.base_url("127.0.0.1:5000") == "http://127.0.0.1:5000/v2/"
        assert client.base_url("[::1]:5000") == "http://[::1]:5000/v2/"
        assert client.base_url("10.0.0.1:5000") == "https://10.0.0.1:5000/v2/"
        named = DistributionClient(http, insecure=("registry.lan:5000",))
        assert named.base_url("registry.lan:5000") == "http://registry.lan:5000/v2/"
        assert named.base_url("registry.lan") == "https://registry.lan/v2/"
        # A login is never sent over plain HTTP to another machine, even an insecure one.
        with pytest.raises(RegistryRefused, match="never sent over plain HTTP"):
            named._never_plain("registry.lan:5000", "registry.lan:5000/x")
        named._never_plain("127.0.0.1:5000", "127.0.0.1:5000/x")  # loopback: allowed
    # A registry may not send the client to a plain-HTTP token service elsewhere.
    challenge = Challenge.parse('Bearer realm="http://evil.example/token",service="s"')
    assert challenge is not None
    with pytest.raises(RegistryRefused, match="plain-HTTP token service"):
        token_url(challenge, "o/img", client.plain_http)
    secure = Challenge.parse('Bearer realm="https://auth.example/token",service="reg",scope="x"')
    assert secure is not None
    assert token_url(secure, "o/img", client.plain_http) == (
        "https://auth.example/token?service=reg&scope=x"
    )


def test_an_unreadable_login_file_is_a_note_and_the_pull_is_anonymous(tmp_path: Path) -> None:
    broken = tmp_path / "config.json"
    broken.write_text('{"auths": {"ghcr.io": {"auth": "not base64!"}}, ')
    fifo = tmp_path / "auth.json"
    os.mkfifo(fifo)
    creds = Credentials((broken, fifo, tmp_path / "missing.json"))
    assert creds.for_repository("ghcr.io/o/img") is None
    assert creds.notes == [
        f"registry credentials in {broken} not read: not valid JSON",
        f"registry credentials in {fifo} not read: it is a FIFO (named pipe)",
    ]
