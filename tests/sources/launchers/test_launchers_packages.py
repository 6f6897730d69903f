"""Package arguments: npm specs as the launchers read them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcpscan.models import VersionKind
from mcpscan.sources.launchers import format_npm_spec, parse_npm_spec
from tests.support.launchers import SHA40


@pytest.mark.parametrize(
    ("spec", "kind", "name", "version", "version_kind"),
    [
        ("@scope/name@1.2.3", "registry", "@scope/name", "1.2.3", VersionKind.EXACT),
        ("name@v1.2.3", "registry", "name", "v1.2.3", VersionKind.EXACT),
        ("name@=1.2.3", "registry", "name", "=1.2.3", VersionKind.EXACT),
        (
            "name@1.2.3-beta.1+build.5",
            "registry",
            "name",
            "1.2.3-beta.1+build.5",
            VersionKind.EXACT,
        ),
        ("name@^1", "registry", "name", "^1", VersionKind.RANGE),
        ("name@~1.2", "registry", "name", "~1.2", VersionKind.RANGE),
        ("name@>=1 <2", "registry", "name", ">=1 <2", VersionKind.RANGE),
        ("name@>= 1.0.0", "registry", "name", ">= 1.0.0", VersionKind.RANGE),
        ("name@1.x", "registry", "name", "1.x", VersionKind.RANGE),
        ("name@*", "registry", "name", "*", VersionKind.RANGE),
        ("name@1.2", "registry", "name", "1.2", VersionKind.RANGE),
        ("name@1.2.3 - 2.0.0", "registry", "name", "1.2.3 - 2.0.0", VersionKind.RANGE),
        ("name@^1 || ^2", "registry", "name", "^1 || ^2", VersionKind.RANGE),
        ("name@latest", "registry", "name", "latest", VersionKind.LATEST),
        ("name@next", "registry", "name", "next", VersionKind.TAG),
        ("@scope/name@beta", "registry", "@scope/name", "beta", VersionKind.TAG),
        ("name", "registry", "name", None, VersionKind.UNSPECIFIED),
        ("@scope/name", "registry", "@scope/name", None, VersionKind.UNSPECIFIED),
        ("name@", "registry", "name", "", VersionKind.UNSPECIFIED),
        ("npm:bar@1.0.0", "registry", "bar", "1.0.0", VersionKind.EXACT),
        ("foo@npm:@s/bar@^2", "alias", "@s/bar", "^2", VersionKind.RANGE),
        ("github:owner/repo#" + SHA40, "git", "github:owner/repo", SHA40, VersionKind.URL),
        ("owner/repo", "git", "owner/repo", None, VersionKind.URL),
        ("owner/repo#main", "git", "owner/repo", "main", VersionKind.URL),
        (
            "git+https://github.com/o/r.git#" + SHA40,
            "git",
            "git+https://github.com/o/r.git",
            SHA40,
            VersionKind.URL,
        ),
        (
            "git+ssh://git@github.com/o/r.git#main",
            "git",
            "git+ssh://git@github.com/o/r.git",
            "main",
            VersionKind.URL,
        ),
        ("git@github.com:o/r.git", "git", "git@github.com:o/r.git", None, VersionKind.URL),
        ("https://github.com/o/r#v1", "git", "https://github.com/o/r", "v1", VersionKind.URL),
        (
            "https://example.com/pkg-1.0.0.tgz",
            "url",
            "https://example.com/pkg-1.0.0.tgz",
            None,
            VersionKind.URL,
        ),
        ("./local-dir", "file", "./local-dir", None, VersionKind.URL),
        ("file:../x", "file", "file:../x", None, VersionKind.URL),
    ],
)
def test_parse_npm_spec(
    spec: str, kind: str, name: str, version: str | None, version_kind: VersionKind
) -> None:
    parsed = parse_npm_spec(spec)
    assert (parsed.kind, parsed.name, parsed.version) == (kind, name, version)
    if kind in ("registry", "alias"):
        assert parsed.version_kind is version_kind
    assert format_npm_spec(parsed) == spec


def test_parse_npm_spec_alias_keeps_alias_name() -> None:
    parsed = parse_npm_spec("foo@npm:bar@1.0.0")
    assert parsed.alias == "foo"
    assert parsed.version_kind is VersionKind.EXACT


def test_npm_spec_validity() -> None:
    assert parse_npm_spec("ok-name@1.0.0").valid_name
    assert not parse_npm_spec("bad name").valid_name
    assert not parse_npm_spec("name@not a tag!").valid_version
    assert parse_npm_spec("name@next").valid_version


@st.composite
def npm_specs(draw: st.DrawFn) -> tuple[str, VersionKind]:
    word = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,12}", fullmatch=True)
    name = draw(word)
    if draw(st.booleans()):
        name = f"@{draw(word)}/{name}"
    num = st.integers(min_value=0, max_value=999).map(str)
    major, minor, patch = draw(num), draw(num), draw(num)
    pre = draw(st.sampled_from(["", "-beta.1", "-rc.0", "-alpha"]))
    version, kind = draw(
        st.sampled_from(
            [
                (None, VersionKind.UNSPECIFIED),
                (f"{major}.{minor}.{patch}{pre}", VersionKind.EXACT),
                (f"v{major}.{minor}.{patch}", VersionKind.EXACT),
                (f"^{major}.{minor}", VersionKind.RANGE),
                (f"~{major}", VersionKind.RANGE),
                (f">={major} <{minor}", VersionKind.RANGE),
                (f"{major}.x", VersionKind.RANGE),
                ("*", VersionKind.RANGE),
                ("latest", VersionKind.LATEST),
                ("next", VersionKind.TAG),
                ("canary-build", VersionKind.TAG),
            ]
        )
    )
    spec = name if version is None else f"{name}@{version}"
    form = draw(st.sampled_from(["plain", "prefix", "alias"]))
    if form == "prefix":
        spec = "npm:" + spec
    elif form == "alias":
        spec = f"{draw(word)}@npm:{spec}"
    return spec, kind


@given(npm_specs())
def test_npm_spec_round_trip(case: tuple[str, VersionKind]) -> None:
    spec, kind = case
    parsed = parse_npm_spec(spec)
    assert format_npm_spec(parsed) == spec
    assert parsed.version_kind is kind
    assert parsed.kind in ("registry", "alias")
    assert parsed.valid_name
