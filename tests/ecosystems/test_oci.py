"""OCI image references and their purls."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packageurl import PackageURL

from mcpscan.ecosystems.oci import oci_purl, parse_reference, reference_from_purl
from mcpscan.sources.specs import is_spec

SHA256 = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("text", "registry", "path", "tag", "digest", "host", "full"),
    [
        ("alpine", None, "alpine", None, None, "docker.io", "library/alpine"),
        ("alpine:3.19", None, "alpine", "3.19", None, "docker.io", "library/alpine"),
        ("org/img", None, "org/img", None, None, "docker.io", "org/img"),
        ("ghcr.io/o/i:v1", "ghcr.io", "o/i", "v1", None, "ghcr.io", "o/i"),
        ("localhost:5000/i", "localhost:5000", "i", None, None, "localhost:5000", "i"),
        (
            f"index.docker.io/x@{SHA256}",
            "index.docker.io",
            "x",
            None,
            SHA256,
            "docker.io",
            "library/x",
        ),
    ],
)
def test_parse_reference(
    text: str,
    registry: str | None,
    path: str,
    tag: str | None,
    digest: str | None,
    host: str,
    full: str,
) -> None:
    ref = parse_reference(text)
    assert (ref.registry, ref.path, ref.tag, ref.digest) == (registry, path, tag, digest)
    assert (ref.host, ref.full_path) == (host, full)
    assert ref.valid_path


def test_malformed_digest_and_path() -> None:
    assert not parse_reference("img@sha256:xyz").valid_digest
    assert not parse_reference("Bad/Path").valid_path
    assert parse_reference("img@sha512:" + "b" * 128).valid_digest


def test_cli_specs_use_the_same_digest_rule() -> None:
    assert is_spec(f"oci:img@{SHA256}")
    assert is_spec("oci:img@sha512:" + "b" * 128)
    assert not is_spec("oci:img@sha256:xyz")


COMPONENT = st.from_regex(r"[a-z0-9]+(?:[._-][a-z0-9]+){0,2}", fullmatch=True)
REGISTRIES = st.sampled_from([None, "ghcr.io", "quay.io", "registry.example.com:5000"])
TAGS = st.one_of(st.none(), st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True))
DIGESTS = st.one_of(st.none(), st.from_regex(r"sha256:[0-9a-f]{64}", fullmatch=True))


@given(REGISTRIES, st.lists(COMPONENT, min_size=1, max_size=3), TAGS, DIGESTS)
@settings(max_examples=300, deadline=None)
def test_oci_purl_round_trip(
    registry: str | None, parts: list[str], tag: str | None, digest: str | None
) -> None:
    """reference -> purl -> reference names the same image (registry, path, tag, digest)."""
    text = "/".join(([registry] if registry else []) + parts)
    text += f":{tag}" if tag else ""
    text += f"@{digest}" if digest else ""
    ref = parse_reference(text)
    purl = PackageURL.from_string(oci_purl(ref))
    back = parse_reference(
        reference_from_purl(
            "oci", str(purl.namespace or ""), str(purl.name), purl.version, dict(purl.qualifiers)
        )
    )
    assert (back.host, back.full_path, back.digest) == (ref.host, ref.full_path, ref.digest)
    if digest is None:
        assert back.tag == ref.tag
