"""npm semver semantics: documented cases, node-semver's own recorded answers, properties."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcpscan.ecosystems.npm import semver

CASES = json.loads(
    (Path(__file__).parents[2] / "fixtures" / "npm" / "semver_cases.json").read_text()
)

# (range, version, satisfies) as npm documents them (node-semver README, npm docs).
DOCUMENTED = [
    # caret: changes that do not modify the left-most non-zero element
    ("^1.2.3", "1.9.9", True),
    ("^1.2.3", "2.0.0", False),
    ("^1.2.3", "1.2.2", False),
    ("^0.2.3", "0.2.9", True),
    ("^0.2.3", "0.3.0", False),
    ("^0.0.3", "0.0.3", True),
    ("^0.0.3", "0.0.4", False),
    ("^1.x", "1.99.0", True),
    ("^0.x", "0.9.0", True),
    ("^0.x", "1.0.0", False),
    ("^0.0", "0.0.9", True),
    ("^0.0", "0.1.0", False),
    # tilde: patch-level changes if a minor is given, minor-level if not
    ("~1.2.3", "1.2.9", True),
    ("~1.2.3", "1.3.0", False),
    ("~1.2", "1.2.0", True),
    ("~1", "1.9.0", True),
    ("~1", "2.0.0", False),
    ("~>1.2.3", "1.2.5", True),
    ("~0.2.3", "0.2.4", True),
    ("~0.2.3", "0.3.0", False),
    # x-ranges and partial versions
    ("*", "9.9.9", True),
    ("", "1.0.0", True),
    ("1.x", "1.5.0", True),
    ("1.x", "2.0.0", False),
    ("1.2.x", "1.2.7", True),
    ("1", "1.3.0", True),
    ("1.2", "1.3.0", False),
    (">1", "2.0.0", True),
    (">1", "1.9.9", False),
    ("<=1.2", "1.2.9", True),
    ("<=1.2", "1.3.0", False),
    (">x", "1.0.0", False),
    # hyphen ranges: inclusive, partial upper bounds take the whole tuple
    ("1.2.3 - 2.3.4", "2.3.4", True),
    ("1.2.3 - 2.3.4", "2.3.5", False),
    ("1.2 - 2.3.4", "1.2.0", True),
    ("1.2.3 - 2.3", "2.3.9", True),
    ("1.2.3 - 2", "2.9.9", True),
    ("1.2.3 - 2", "3.0.0", False),
    # unions and intersections
    (">=1.2.7 <1.3.0", "1.2.8", True),
    (">=1.2.7 <1.3.0", "1.3.0", False),
    ("1.2.7 || >=1.2.9 <2.0.0", "1.2.8", False),
    ("1.2.7 || >=1.2.9 <2.0.0", "1.4.6", True),
    # prereleases only on the same [major, minor, patch] tuple as a prerelease comparator
    (">1.2.3-alpha.3", "1.2.3-alpha.7", True),
    (">1.2.3-alpha.3", "3.4.5-alpha.9", False),
    (">1.2.3-alpha.3", "3.4.5", True),
    ("^1.2.3-beta.2", "1.2.3-beta.4", True),
    ("^1.2.3-beta.2", "1.2.4-beta.2", False),
    ("*", "1.0.0-rc.1", False),
    ("^1.0.0", "1.1.0-beta", False),
    ("1.2.3-beta.2", "1.2.3-beta.2", True),
    # coercion of a leading v / = and spaces (loose, as npm calls it)
    ("v1.2.3", "1.2.3", True),
    ("=1.2.3", "1.2.3", True),
    (">= 1.2.3", "1.2.4", True),
    ("^ 1.2.3", "1.3.0", True),
    ("1.2.3", "v1.2.3", True),
    ("1.2.3", "=1.2.3", True),
    # build metadata is ignored
    ("1.2.3+build", "1.2.3", True),
    ("1.2.3", "1.2.3+build.5", True),
    # invalid ranges and versions satisfy nothing
    ("foo", "1.0.0", False),
    ("1.2.3", "not-a-version", False),
    ("x.1", "1.1.0", False),
]


@pytest.mark.parametrize(("rng", "version", "expected"), DOCUMENTED)
def test_documented_semantics(rng: str, version: str, expected: bool) -> None:
    assert semver.satisfies(version, rng) is expected


def test_include_prerelease_admits_prereleases_in_range() -> None:
    assert semver.satisfies("1.5.0-beta.1", "^1.2.3", include_prerelease=True)
    assert not semver.satisfies("1.5.0-beta.1", "^1.2.3")
    assert not semver.satisfies("2.0.0-0", "^1.2.3", include_prerelease=True)


@pytest.mark.parametrize("mode", ["loose", "strict", "include_prerelease"])
def test_matches_node_semver_answers(mode: str) -> None:
    """Every range x version pair agrees with node-semver's recorded answer."""
    loose = mode != "strict"
    inc = mode == "include_prerelease"
    mismatches = []
    for rng, satisfying in CASES["satisfies"][mode].items():
        for version in CASES["versions"]:
            ours = semver.satisfies(version, rng, loose=loose, include_prerelease=inc)
            if ours != (version in satisfying):
                mismatches.append((rng, version, version in satisfying))
    assert mismatches == []
    assert len(CASES["satisfies"][mode]) > 90


def test_valid_clean_and_valid_range_match_node_semver() -> None:
    for version, (loose, strict) in CASES["valid"].items():
        assert semver.valid(version, loose=True) == loose, version
        assert semver.valid(version, loose=False) == strict, version
    for version, cleaned in CASES["clean"].items():
        assert semver.clean(version) == cleaned, version
    for rng, (loose, strict) in CASES["valid_range"].items():
        assert semver.valid_range(rng, loose=True) is loose, rng
        assert semver.valid_range(rng, loose=False) is strict, rng


def test_ordering_matches_node_semver() -> None:
    ordered = CASES["sorted"]
    for a, b in itertools.pairwise(ordered):
        assert semver.compare(semver.parse(a), semver.parse(b)) <= 0, (a, b)
    ours = sorted(ordered, key=lambda v: semver.parse(v).sort_key)
    assert [str(semver.parse(v)) for v in ours] == [str(semver.parse(v)) for v in ordered]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1.0.0-alpha", "1.0.0-alpha.1"),
        ("1.0.0-alpha.1", "1.0.0-alpha.beta"),
        ("1.0.0-alpha.beta", "1.0.0-beta"),
        ("1.0.0-beta.2", "1.0.0-beta.11"),
        ("1.0.0-rc.1", "1.0.0"),
        ("1.9.0", "1.10.0"),
    ],
)
def test_semver_org_precedence(a: str, b: str) -> None:
    assert semver.compare(semver.parse(a), semver.parse(b)) == -1
    assert semver.parse(a).sort_key < semver.parse(b).sort_key


def test_max_satisfying_skips_invalid_and_prereleases() -> None:
    versions = ["1.0.0", "1.5.0", "1.6.0-beta", "2.0.0", "garbage"]
    assert semver.max_satisfying(versions, "^1") == "1.5.0"
    assert semver.max_satisfying(versions, ">=3") is None
    assert semver.max_satisfying(versions, "not a range") is None


def test_parse_errors_are_value_errors() -> None:
    with pytest.raises(semver.InvalidVersion):
        semver.parse("1.2")
    with pytest.raises(semver.InvalidRange):
        semver.parse_range("foo")
    with pytest.raises(semver.InvalidVersion):
        semver.parse("1." * 200)


_ids = st.integers(min_value=0, max_value=50)


@given(_ids, _ids, _ids, _ids, _ids, _ids)
def test_compare_is_consistent_with_sort_key(
    a: int, b: int, c: int, x: int, y: int, z: int
) -> None:
    v1, v2 = semver.Version(a, b, c), semver.Version(x, y, z, ("rc", z))
    assert (semver.compare(v1, v2) < 0) == (v1.sort_key < v2.sort_key)
    assert semver.compare(v1, v1) == 0


@given(_ids, _ids, _ids)
def test_caret_and_tilde_contain_their_base(major: int, minor: int, patch: int) -> None:
    base = f"{major}.{minor}.{patch}"
    assert semver.satisfies(base, f"^{base}")
    assert semver.satisfies(base, f"~{base}")
    assert not semver.satisfies(f"{major + 1}.0.0", f"~{base}")
    assert semver.satisfies(base, f"{base} - {base}")
