"""PyPI requirement arguments and purls, read once for launchers and command-line specs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.utils import canonicalize_name

from mcpscan.ecosystems.pypi.purl import parse_pypi_purl, pypi_purl
from mcpscan.ecosystems.pypi.spec import is_local, parse_requirement, valid_name
from mcpscan.models import VersionKind
from mcpscan.sources.launchers import package_ref
from mcpscan.sources.specs import is_spec


@pytest.mark.parametrize(
    ("spec", "name", "requested", "kind", "pinned"),
    [
        ("mcp-server-fetch", "mcp-server-fetch", None, VersionKind.UNSPECIFIED, None),
        ("mcp==1.2.0", "mcp", "==1.2.0", VersionKind.EXACT, "1.2.0"),
        ("mcp===1.2.0", "mcp", "===1.2.0", VersionKind.EXACT, "1.2.0"),
        ("mcp==1.*", "mcp", "==1.*", VersionKind.RANGE, None),
        ("mcp[cli]>=1,<2", "mcp", ">=1,<2", VersionKind.RANGE, None),
        ("mcp>=1; python_version>'3.8'", "mcp", ">=1", VersionKind.RANGE, None),
        ("mcp@1.2", "mcp", "1.2", VersionKind.EXACT, "1.2"),  # uv: == 1.2
        ("mcp@01.02", "mcp", "01.02", VersionKind.EXACT, "1.2"),  # normalised for the purl
        ("mcp@latest", "mcp", "latest", VersionKind.LATEST, None),
    ],
)
def test_parse_requirement(
    spec: str, name: str, requested: str | None, kind: VersionKind, pinned: str | None
) -> None:
    req = parse_requirement(spec)
    assert req is not None
    assert (req.name, req.requested, req.version_kind, req.pinned) == (
        name,
        requested,
        kind,
        pinned,
    )


def test_direct_url_requirement() -> None:
    req = parse_requirement("pkg @ https://example.com/pkg-1.0-py3-none-any.whl")
    assert req is not None
    assert (req.name, req.url) == ("pkg", "https://example.com/pkg-1.0-py3-none-any.whl")


@pytest.mark.parametrize("spec", ["", "not a requirement!", "==1.0", "mcp>=>1"])
def test_invalid_requirements(spec: str) -> None:
    assert parse_requirement(spec) is None


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("./pkg", True),
        ("C:\\pkg", True),
        ("dist/x.whl", True),
        ("mcp", False),
        ("https://example.com/x.whl", False),
    ],
)
def test_is_local(text: str, local: bool) -> None:
    assert is_local(text) is local


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("mcp", True),
        ("zope.interface", True),
        ("A_b-c", True),
        ("-x", False),
        ("x-", False),
        ("a b", False),
        ("", False),
    ],
)
def test_one_name_rule_for_launchers_and_cli_specs(name: str, ok: bool) -> None:
    assert valid_name(name) is ok
    assert is_spec(f"pypi:{name}") is ok


NAMES = st.from_regex(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,20}[A-Za-z0-9])?", fullmatch=True)
VERSIONS = st.builds(
    lambda a, b, post: f"{a}.{b}{post}",
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.sampled_from(["", ".post1", "rc2", ".dev3", "+local.1"]),
)


@given(NAMES, st.one_of(st.none(), VERSIONS))
@settings(max_examples=300, deadline=None)
def test_pypi_purl_round_trip(name: str, version: str | None) -> None:
    purl = pypi_purl(name, version)
    assert parse_pypi_purl(purl) == (canonicalize_name(name), version)


@given(NAMES, VERSIONS)
@settings(max_examples=200, deadline=None)
def test_launcher_pins_what_packaging_pins(name: str, version: str) -> None:
    ref = package_ref("pypi", f"{name}=={version}")
    assert ref is not None
    assert ref.version_kind is VersionKind.EXACT
    assert parse_pypi_purl(ref.purl) == (canonicalize_name(name), version)


def test_parse_pypi_purl_refuses_other_types() -> None:
    with pytest.raises(ValueError, match="not a PyPI purl"):
        parse_pypi_purl("pkg:npm/x@1.0.0")
