"""The npm spec grammar: one reading of versions, ranges and tags, shared by the launchers,
the resolver and command-line package specs, and decided by node-semver (loose, as npm)."""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from mcpscan.ecosystems.npm import semver
from mcpscan.ecosystems.npm.purl import npm_purl, parse_npm_purl
from mcpscan.ecosystems.npm.spec import (
    parse_npm_spec,
    parse_spec,
    registry_kind,
    source_kind,
    split_name,
    valid_name,
    version_kind,
)
from mcpscan.models import VersionKind
from mcpscan.sources.launchers import package_ref
from mcpscan.sources.specs import is_spec

# Versions and ranges built from the characters they are written with (no ":", "/", "#" or
# "@", which would make the argument a git, URL or alias spec).
VERSIONS = st.text(alphabet="0123456789.-+xX*^~<>=| vabc", max_size=16)


def expected_kind(version: str) -> VersionKind:
    """What node-semver says ``version`` is, in the launchers' vocabulary."""
    text = version.strip()
    if not text:
        return VersionKind.UNSPECIFIED
    if text == "latest":
        return VersionKind.LATEST
    if semver.valid(text) is not None:
        return VersionKind.EXACT
    if semver.valid_range(text):
        return VersionKind.RANGE
    return VersionKind.TAG


@given(VERSIONS)
@settings(max_examples=400, deadline=None)
@example("01.2.3")
@example("1.2.3x")
@example("= 1.2.3")
@example("v1.2.3")
@example("1.2.3-beta.1+build.5")
@example(">= 1.0.0 <2")
@example("1.2.3 - 2")
def test_launcher_version_kind_agrees_with_semver(version: str) -> None:
    # "some-pkg@." or "some-pkg@./x" is a local path to npm (test_spec_agreement.py).
    assume(source_kind(version) is None)
    ref = package_ref("npm", f"some-pkg@{version}")
    assert ref is not None
    assert ref.version_kind is expected_kind(version)
    exact = semver.valid(version.strip()) if ref.version_kind is VersionKind.EXACT else None
    assert ref.purl == npm_purl("some-pkg", exact)


@given(VERSIONS)
@settings(max_examples=300, deadline=None)
def test_argument_and_dependency_readings_agree(version: str) -> None:
    """``npx pkg@<v>`` and ``"pkg": "<v>"`` in package.json mean the same to npm."""
    assume(source_kind(version) is None)  # "." or "./x" as a dependency is a local path
    dependency = parse_spec("pkg", version)
    kind = version_kind(version)
    if dependency.kind == "unsupported":
        assert registry_kind(version) == "invalid"
        assert kind is VersionKind.TAG
    elif dependency.kind == "version":
        assert kind is VersionKind.EXACT
    elif dependency.kind == "range":
        assert kind in (VersionKind.RANGE, VersionKind.UNSPECIFIED)
    else:
        assert kind in (VersionKind.TAG, VersionKind.LATEST)


@pytest.mark.parametrize(
    ("version", "kind"),
    [
        ("01.2.3", VersionKind.EXACT),  # loose: leading zeros
        ("1.2.3x", VersionKind.EXACT),  # loose: "x" is a prerelease
        ("= 1.2.3", VersionKind.EXACT),  # loose: "=" and spaces
        ("1.2", VersionKind.RANGE),
        ("next", VersionKind.TAG),
        ("latest", VersionKind.LATEST),
        ("", VersionKind.UNSPECIFIED),
        (None, VersionKind.UNSPECIFIED),
    ],
)
def test_version_kind(version: str | None, kind: VersionKind) -> None:
    assert version_kind(version) is kind


def test_exact_purl_is_the_normalised_version() -> None:
    ref = package_ref("npm", "pkg@=v01.2.3")
    assert ref is not None
    assert ref.purl == "pkg:npm/pkg@1.2.3"


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        ("github:o/r", "git"),
        ("o/r#v1", "git"),
        ("git+ssh://git@github.com/o/r.git", "git"),
        ("git@github.com:o/r.git", "git"),
        ("https://github.com/o/r", "git"),
        ("https://example.com/x.tgz", "url"),
        ("file:../x", "file"),
        ("file:///abs/x", "file"),
        ("./x", "file"),
        ("~/x", "file"),
        ("C:\\x", "file"),
        ("x.tgz", "file"),
        ("a/b/c", "file"),
        ("^1.2.3", None),
        ("npm:other@1", None),
        ("latest", None),
    ],
)
def test_source_kind(spec: str, kind: str | None) -> None:
    assert source_kind(spec) == kind


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        ("x.tgz", "file"),
        ("a/b/c", "file"),
        ("file:///abs/x", "file"),
        ("@scope/name@1.0.0", "registry"),
        # npa reads "name@<spec>" with the dependency grammar: "1/2" is GitHub shorthand.
        ("name@1/2", "git"),
        ("name@./dir", "file"),
        ("name@https://example.com/x.tgz", "url"),
    ],
)
def test_argument_forms(spec: str, kind: str) -> None:
    assert parse_npm_spec(spec).kind == kind


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("left-pad", True),
        ("@scope/name", True),
        ("JSONStream", True),  # a legacy upper-case name
        ("-rf", False),
        ("_private", False),
        (".hidden", False),
        ("@scope/", False),
        ("bad name", False),
        ("a;b", False),
        ("@s*/x", False),
        ("x" * 215, False),
    ],
)
def test_one_name_rule_for_launchers_and_cli_specs(name: str, ok: bool) -> None:
    assert valid_name(name) is ok
    parsed = parse_npm_spec(name)
    # ".hidden" as an argument is a local path, not a name at all.
    assert parsed.valid_name is ok or (parsed.kind == "file" and name.startswith("."))
    assert is_spec(f"npm:{name}") is ok


def test_split_name() -> None:
    assert split_name("@s/n@^1") == ("@s/n", "^1")
    assert split_name("n@npm:o@1") == ("n", "npm:o@1")
    assert split_name("@s/n") == ("@s/n", None)


WORD = st.from_regex(r"[a-z0-9][a-z0-9._~-]{0,20}", fullmatch=True)
NAMES = st.one_of(WORD, st.builds(lambda s, n: f"@{s}/{n}", WORD, WORD))
EXACT_VERSIONS = st.builds(
    lambda a, b, c, pre: f"{a}.{b}.{c}{pre}",
    *(st.integers(0, 10**6),) * 3,
    st.sampled_from(["", "-0", "-beta.1", "-rc.2.x-y"]),
)


@given(NAMES, st.one_of(st.none(), EXACT_VERSIONS))
@settings(max_examples=300, deadline=None)
def test_npm_purl_round_trip(name: str, version: str | None) -> None:
    purl = npm_purl(name, version)
    assert purl.startswith("pkg:npm/")
    assert parse_npm_purl(purl) == (name, version)


def test_parse_npm_purl_refuses_other_types() -> None:
    with pytest.raises(ValueError, match="not an npm purl"):
        parse_npm_purl("pkg:pypi/mcp@1.0.0")
