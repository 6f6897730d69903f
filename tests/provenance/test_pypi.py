"""PEP 740 verification of the real vectors, fetched from the local registry server.

Every fixture under tests/fixtures/provenance/pypi is a byte-for-byte copy of the
pypi-attestations 0.0.30 test assets (see /work/shared/vectors/pypi-pep740/README.md). Vectors
shipped only as a lone attestation are wrapped in an Integrity API provenance object here, with
the Trusted Publisher the README names, exactly as PyPI would serve them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mcpscan.models import Decision, Digest, PackageFacts, ProvenanceState, ResolvedPackage
from mcpscan.net.http import HttpClient, HttpConfig
from mcpscan.provenance.interface import NOT_PROVIDED, ProvenanceUnavailable
from mcpscan.provenance.pypi import INTEGRITY_ACCEPT, PypiProvenance, integrity_base_url
from mcpscan.registry.pypi import PypiRegistry
from tests.support.registry_server import RegistryServer, Route

VECTORS = Path(__file__).resolve().parents[1] / "fixtures" / "provenance" / "pypi"

GITHUB = {
    "kind": "GitHub",
    "repository": "trailofbits/pypi-attestations",
    "workflow": "release.yml",
    "environment": None,
}
GITLAB = {
    "kind": "GitLab",
    "repository": "facutuesca/gitlab-oidc-project",
    "workflow_filepath": ".gitlab-ci.yml",
    "environment": None,
}
MODELS = {
    "kind": "GitHub",
    "repository": "trailofbits/pypi-attestation-models",
    "workflow": "release.yml",
    "environment": None,
}


def sha256_of(filename: str) -> str:
    return hashlib.sha256((VECTORS / filename).read_bytes()).hexdigest()


def wrap(publisher: dict[str, Any], *attestation_files: str) -> bytes:
    """An Integrity API provenance object holding the given attestations."""
    attestations = [json.loads((VECTORS / f).read_bytes()) for f in attestation_files]
    return json.dumps(
        {
            "version": 1,
            "attestation_bundles": [{"publisher": publisher, "attestations": attestations}],
        }
    ).encode()


def node(
    server: RegistryServer, project: str, version: str, filename: str, sha256: str | None = None
) -> ResolvedPackage:
    digest = sha256 if sha256 is not None else sha256_of(filename)
    return ResolvedPackage(
        ecosystem="pypi",
        name=project,
        version=version,
        purl=f"pkg:pypi/{project}@{version}",
        decided_by=Decision.PINNED,
        digests=(Digest("sha256", digest),) if digest else (),
        facts=PackageFacts(artifact_url=f"{server.url}/packages/ab/cd/{filename}"),
    )


def serve_provenance(
    server: RegistryServer, project: str, version: str, filename: str, body: bytes, **route: Any
) -> str:
    path = f"/integrity/{project}/{version}/{filename}/provenance"
    server.add(path, Route(body=body, **route))
    return path


@dataclass(frozen=True)
class Case:
    project: str
    version: str
    filename: str
    body: Callable[[], bytes]
    expected: dict[str, str | None]


CASES = {
    "github": Case(
        "pypi-attestations",
        "0.0.19",
        "pypi_attestations-0.0.19.tar.gz",
        lambda: (VECTORS / "pypi_attestations-0.0.19.tar.gz.provenance").read_bytes(),
        {
            "source_repository": "https://github.com/trailofbits/pypi-attestations",
            "workflow": "https://github.com/trailofbits/pypi-attestations/.github/workflows/"
            "release.yml@refs/tags/v0.0.19",
            "ref": "refs/tags/v0.0.19",
            "commit": "08802efe1f8e5fec4ad842d6b8ce97656092ee72",
            "issuer": "https://token.actions.githubusercontent.com",
            "signer": "https://github.com/trailofbits/pypi-attestations/.github/workflows/"
            "release.yml@refs/tags/v0.0.19",
            "predicate_type": "https://docs.pypi.org/attestations/publish/v1",
        },
    ),
    "gitlab": Case(
        "gitlab-oidc-project",
        "0.0.3",
        "gitlab_oidc_project-0.0.3.tar.gz",
        lambda: wrap(GITLAB, "gitlab_oidc_project-0.0.3.tar.gz.publish.attestation"),
        {
            "source_repository": "https://gitlab.com/facutuesca/gitlab-oidc-project",
            "signer": "https://gitlab.com/facutuesca/gitlab-oidc-project//.gitlab-ci.yml"
            "@refs/heads/main",
            "issuer": "https://gitlab.com",
            "ref": "refs/heads/main",
        },
    ),
    "google": Case(
        "gcb-attestation-test",
        "0.0.0",
        "gcb_attestation_test-0.0.0.tar.gz",
        lambda: (VECTORS / "gcb_attestation_test-0.0.0.tar.gz.provenance").read_bytes(),
        {
            "source_repository": None,
            "workflow": None,
            "signer": "919436158236-compute@developer.gserviceaccount.com",
            "issuer": "https://accounts.google.com",
        },
    ),
    "circleci": Case(
        "circleci-sign-publish-example",
        "0.0.1.dev137",
        "circleci_sign_publish_example-0.0.1.dev137-py3-none-any.whl",
        lambda: (
            VECTORS / "circleci_sign_publish_example-0.0.1.dev137-py3-none-any.whl.provenance"
        ).read_bytes(),
        {
            "source_repository": "github.com/CircleCI-Public/sign-and-publish-examples",
            "ref": "refs/heads/pypi",
            "issuer": "https://oidc.circleci.com",
        },
    ),
    "github-models": Case(
        "pypi-attestation-models",
        "0.0.4a2",
        "pypi_attestation_models-0.0.4a2.tar.gz",
        lambda: wrap(MODELS, "pypi_attestation_models-0.0.4a2.tar.gz.attestation"),
        {
            "source_repository": "https://github.com/trailofbits/pypi-attestation-models",
            "ref": "refs/tags/v0.0.4a2",
        },
    ),
}


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(HttpConfig(cache_dir=None, retries=0, timeout=5))


def verifier(server: RegistryServer, client: HttpClient) -> PypiProvenance:
    return PypiProvenance(client, server.url)


@pytest.mark.parametrize("case", sorted(CASES))
def test_genuine_vectors_verify_offline(
    registry_server: RegistryServer, client: HttpClient, case: str
) -> None:
    c = CASES[case]
    project, version, filename, body, expected = (
        c.project,
        c.version,
        c.filename,
        c.body,
        c.expected,
    )
    path = serve_provenance(registry_server, project, version, filename, body())
    pkg = node(registry_server, project, version, filename)

    results = verifier(registry_server, client).check(pkg)

    assert [r.state for r in results] == [ProvenanceState.VERIFIED], results[0].reason
    result = results[0]
    assert result.kind == "pep740"
    assert result.purl == pkg.purl
    assert sha256_of(filename) in result.reason
    for field, value in expected.items():
        assert getattr(result, field) == value, field
    # The real fetch path ran: one request, with the Integrity API's media type.
    assert registry_server.count(path) == 1
    headers = next(h for p, h in registry_server.requests if p == path)
    assert headers["Accept"] == INTEGRITY_ACCEPT


def test_publish_and_slsa_attestations_each_give_a_result(
    registry_server: RegistryServer, client: HttpClient
) -> None:
    filename = "pypi_attestations-0.0.19.tar.gz"
    body = wrap(GITHUB, f"{filename}.publish.attestation", f"{filename}.slsa.attestation")
    serve_provenance(registry_server, "pypi-attestations", "0.0.19", filename, body)

    results = verifier(registry_server, client).check(
        node(registry_server, "pypi-attestations", "0.0.19", filename)
    )

    assert [r.state for r in results] == [ProvenanceState.VERIFIED] * 2
    assert [r.predicate_type for r in results] == [
        "https://docs.pypi.org/attestations/publish/v1",
        "https://slsa.dev/provenance/v1",
    ]


def test_sigstore_bundle_converted_to_attestation_verifies(
    registry_server: RegistryServer, client: HttpClient
) -> None:
    from pypi_attestations import Attestation
    from sigstore.models import Bundle

    filename = "pypi_attestation_models-0.0.4a2.tar.gz"
    bundle = Bundle.from_json((VECTORS / f"{filename}.sigstore").read_bytes())
    converted = json.loads(Attestation.from_bundle(bundle).model_dump_json())
    body = json.dumps(
        {"version": 1, "attestation_bundles": [{"publisher": MODELS, "attestations": [converted]}]}
    ).encode()
    serve_provenance(registry_server, "pypi-attestation-models", "0.0.4a2", filename, body)

    results = verifier(registry_server, client).check(
        node(registry_server, "pypi-attestation-models", "0.0.4a2", filename)
    )

    assert [r.state for r in results] == [ProvenanceState.VERIFIED]


def test_tampered_distribution_is_an_integrity_mismatch(
    registry_server: RegistryServer, client: HttpClient
) -> None:
    filename = "pypi_attestations-0.0.19.tar.gz"
    data = bytearray((VECTORS / filename).read_bytes())
    data[1000] ^= 0x01
    tampered = hashlib.sha256(bytes(data)).hexdigest()
    serve_provenance(
        registry_server,
        "pypi-attestations",
        "0.0.19",
        filename,
        (VECTORS / f"{filename}.provenance").read_bytes(),
    )

    results = verifier(registry_server, client).check(
        node(registry_server, "pypi-attestations", "0.0.19", filename, sha256=tampered)
    )

    by_kind = {r.kind: r for r in results}
    assert set(by_kind) == {"pep740", "integrity"}
    assert all(r.state is ProvenanceState.INVALID for r in results)
    assert tampered in by_kind["integrity"].reason
    assert sha256_of(filename) in by_kind["integrity"].reason


def _flip_signature(document: bytes) -> bytes:
    data = json.loads(document)
    envelope = data["attestation_bundles"][0]["attestations"][0]["envelope"]
    sig = bytearray(base64.b64decode(envelope["signature"]))
    sig[10] ^= 0x01
    envelope["signature"] = base64.b64encode(bytes(sig)).decode()
    return json.dumps(data).encode()


def _flip_subject_digest(document: bytes) -> bytes:
    data = json.loads(document)
    envelope = data["attestation_bundles"][0]["attestations"][0]["envelope"]
    statement = json.loads(base64.b64decode(envelope["statement"]))
    digest = statement["subject"][0]["digest"]["sha256"]
    statement["subject"][0]["digest"]["sha256"] = ("0" if digest[0] != "0" else "1") + digest[1:]
    envelope["statement"] = base64.b64encode(json.dumps(statement).encode()).decode()
    return json.dumps(data).encode()


def _swap_repository(document: bytes) -> bytes:
    data = json.loads(document)
    data["attestation_bundles"][0]["publisher"]["repository"] = "evil/pypi-attestations"
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (_flip_signature, "signature"),
        (_flip_subject_digest, "signature"),
        (_swap_repository, "https://github.com/evil/pypi-attestations"),
    ],
)
def test_tampered_provenance_is_invalid(
    registry_server: RegistryServer, client: HttpClient, tamper: Any, reason: str
) -> None:
    filename = "pypi_attestations-0.0.19.tar.gz"
    body = tamper((VECTORS / f"{filename}.provenance").read_bytes())
    serve_provenance(registry_server, "pypi-attestations", "0.0.19", filename, body)

    results = verifier(registry_server, client).check(
        node(registry_server, "pypi-attestations", "0.0.19", filename)
    )

    assert [(r.kind, r.state) for r in results] == [("pep740", ProvenanceState.INVALID)]
    assert "does not verify" in results[0].reason
    assert reason.lower() in results[0].reason.lower()


def test_staging_attestation_is_rejected_against_production(
    registry_server: RegistryServer, client: HttpClient
) -> None:
    from pypi_attestations import Attestation, Distribution
    from sigstore.verify import policy

    filename = "rfc8785-0.1.2-py3-none-any.whl"
    attestation_file = f"{filename}.publish.attestation"
    # The vector is genuine: it verifies against the staging instance it was signed on.
    staging_identity = policy.Identity(
        identity="william@yossarian.net", issuer="https://github.com/login/oauth"
    )
    Attestation.model_validate_json((VECTORS / attestation_file).read_bytes()).verify(
        staging_identity,
        Distribution(name=filename, digest=sha256_of(filename)),
        staging=True,
        offline=True,
    )
    publisher = {
        "kind": "GitHub",
        "repository": "trailofbits/rfc8785.py",
        "workflow": "release.yml",
        "environment": None,
    }
    serve_provenance(
        registry_server, "rfc8785", "0.1.2", filename, wrap(publisher, attestation_file)
    )

    results = verifier(registry_server, client).check(
        node(registry_server, "rfc8785", "0.1.2", filename)
    )

    assert [(r.kind, r.state) for r in results] == [("pep740", ProvenanceState.INVALID)]
    assert "timestamp" in results[0].reason or "chain" in results[0].reason


def test_registry_without_integrity_api_is_absent(
    registry_server: RegistryServer, client: HttpClient
) -> None:
    filename = "pypi_attestations-0.0.19.tar.gz"
    results = verifier(registry_server, client).check(
        node(registry_server, "pypi-attestations", "0.0.19", filename)
    )

    assert [(r.kind, r.state) for r in results] == [("pep740", ProvenanceState.ABSENT)]
    assert results[0].reason.startswith(NOT_PROVIDED)
    assert results[0].registry_gap  # the index serves no provenance at all


def test_mirror_answering_html_is_absent(
    registry_server: RegistryServer, client: HttpClient
) -> None:
    filename = "pypi_attestations-0.0.19.tar.gz"
    serve_provenance(
        registry_server,
        "pypi-attestations",
        "0.0.19",
        filename,
        b"<html>index</html>",
        content_type="text/html",
    )
    results = verifier(registry_server, client).check(
        node(registry_server, "pypi-attestations", "0.0.19", filename)
    )

    assert results[0].state is ProvenanceState.ABSENT
    assert results[0].reason.startswith(NOT_PROVIDED)
    assert results[0].registry_gap  # the index serves no provenance at all


def test_index_without_integrity_api_is_absent_without_a_request(
    registry_server: RegistryServer, client: HttpClient
) -> None:
    filename = "pypi_attestations-0.0.19.tar.gz"
    results = PypiProvenance(client, None).check(
        node(registry_server, "pypi-attestations", "0.0.19", filename)
    )

    assert results[0].state is ProvenanceState.ABSENT
    assert results[0].reason.startswith(NOT_PROVIDED)
    assert results[0].registry_gap  # the index serves no provenance at all
    assert registry_server.requests == []


def test_malformed_provenance_is_invalid(
    registry_server: RegistryServer, client: HttpClient
) -> None:
    filename = "pypi_attestations-0.0.19.tar.gz"
    serve_provenance(
        registry_server,
        "pypi-attestations",
        "0.0.19",
        filename,
        b'{"version": 1, "attestation_bundles": [{"publisher": {}}]}',
    )
    results = verifier(registry_server, client).check(
        node(registry_server, "pypi-attestations", "0.0.19", filename)
    )

    assert [(r.kind, r.state) for r in results] == [("pep740", ProvenanceState.INVALID)]
    assert "malformed" in results[0].reason


def test_missing_index_digest_is_not_verified(
    registry_server: RegistryServer, client: HttpClient
) -> None:
    filename = "pypi_attestations-0.0.19.tar.gz"
    serve_provenance(
        registry_server,
        "pypi-attestations",
        "0.0.19",
        filename,
        (VECTORS / f"{filename}.provenance").read_bytes(),
    )
    results = verifier(registry_server, client).check(
        node(registry_server, "pypi-attestations", "0.0.19", filename, sha256="")
    )

    assert [r.state for r in results] == [ProvenanceState.ABSENT]
    assert "no sha256" in results[0].reason


def test_unreachable_registry_raises_unavailable(
    registry_server: RegistryServer, client: HttpClient
) -> None:
    with socket.socket() as sock:  # a port nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    pkg = node(registry_server, "pypi-attestations", "0.0.19", "pypi_attestations-0.0.19.tar.gz")
    with pytest.raises(ProvenanceUnavailable, match=r"pypi_attestations-0\.0\.19\.tar\.gz"):
        PypiProvenance(client, f"http://127.0.0.1:{port}").check(pkg)


def test_node_without_chosen_file_is_absent(
    registry_server: RegistryServer, client: HttpClient
) -> None:
    pkg = ResolvedPackage(
        ecosystem="pypi", name="x", version="1", purl="pkg:pypi/x@1", decided_by=Decision.PINNED
    )
    results = verifier(registry_server, client).check(pkg)
    assert results[0].state is ProvenanceState.ABSENT
    assert registry_server.requests == []


@pytest.mark.parametrize(
    ("index", "json_url", "expected"),
    [
        ("https://pypi.org/simple", None, "https://pypi.org"),
        ("https://mirror.example/pypi/simple/", None, "https://mirror.example/pypi"),
        ("https://files.example/index", "https://files.example/pypi", "https://files.example"),
        ("https://files.example/index", "", None),
    ],
)
def test_integrity_base_url(index: str, json_url: str | None, expected: str | None) -> None:
    registry = PypiRegistry(HttpClient(HttpConfig(cache_dir=None)), index, json_url)
    assert integrity_base_url(registry) == expected


def test_integrity_api_saying_no_provenance_is_absent_not_a_registry_gap(
    registry_server: RegistryServer, client: HttpClient
) -> None:
    # PyPI's own answer for a file published without attestations (recorded from pypi.org
    # for pydantic_core-2.41.3.tar.gz, pydantic/pydantic-core#1842), for this file.
    filename = "pypi_attestations-0.0.19.tar.gz"
    body = json.dumps({"message": f"No provenance available for {filename}"}).encode()
    serve_provenance(registry_server, "pypi-attestations", "0.0.19", filename, body, status=404)
    [result] = verifier(registry_server, client).check(
        node(registry_server, "pypi-attestations", "0.0.19", filename)
    )
    assert (result.state, result.registry_gap) == (ProvenanceState.ABSENT, False)
    assert result.reason == f"none published (no PEP 740 provenance for {filename})"


@pytest.mark.parametrize(
    "body",
    [b"", b'{"error":"Not found"}', b"<html>404</html>", b"[" * 5000, b'{"message": 3}'],
)
def test_any_other_404_of_the_integrity_api_is_a_registry_gap(
    registry_server: RegistryServer, client: HttpClient, body: bytes
) -> None:
    filename = "pypi_attestations-0.0.19.tar.gz"
    serve_provenance(registry_server, "pypi-attestations", "0.0.19", filename, body, status=404)
    [result] = verifier(registry_server, client).check(
        node(registry_server, "pypi-attestations", "0.0.19", filename)
    )
    assert (result.state, result.registry_gap) == (ProvenanceState.ABSENT, True)
    assert result.reason.startswith(NOT_PROVIDED)


def test_a_genuine_attestation_outside_the_scans_trust_root_is_invalid(
    registry_server: RegistryServer, client: HttpClient
) -> None:
    # pypi-attestations' own check anchors in the root sigstore-python embeds or caches; the
    # scan's root (here the staging instance's, as --trusted-root would name it) must hold too.
    staging_root = VECTORS.parent / "npm" / "staging" / "trusted_root.json"
    c = CASES["github-models"]
    serve_provenance(registry_server, c.project, c.version, c.filename, c.body())
    pinned = PypiProvenance(client, registry_server.url, trusted_root_path=staging_root)

    results = pinned.check(node(registry_server, c.project, c.version, c.filename))

    assert [(r.kind, r.state) for r in results] == [("pep740", ProvenanceState.INVALID)]
    assert "not anchored in mcpscan's Sigstore trust root" in results[0].reason
    default_inputs = verifier(registry_server, client).verdict_inputs()
    assert pinned.verdict_inputs()["trusted_root"] != default_inputs["trusted_root"]
    assert pinned.trusted_root_source().kind == "user"
