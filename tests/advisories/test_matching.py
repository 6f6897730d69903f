from __future__ import annotations

from typing import Any

import pytest

from mcpscan.advisories import matching
from mcpscan.advisories.interface import Query
from mcpscan.models import CvssScore, Severity

from .osv_support import records

RECORDS = records()


def affected_ids(ecosystem: str, name: str, version: str | None) -> set[str]:
    q = matching.make_query(ecosystem, name, version)
    return {
        m.advisory.id
        for r in RECORDS.values()
        if (m := matching.match_record(r, q, source="test")) is not None
    }


@pytest.mark.parametrize(
    ("eco", "name", "version", "expected"),
    [
        ("npm", "mcp-remote", "0.0.4", set()),
        ("npm", "mcp-remote", "0.0.5", {"GHSA-6xpm-ggf7-wc3p"}),
        ("npm", "mcp-remote", "0.1.0", {"GHSA-6xpm-ggf7-wc3p"}),
        ("npm", "mcp-remote", "0.1.15", {"GHSA-6xpm-ggf7-wc3p"}),
        ("npm", "mcp-remote", "0.1.16", set()),
        ("npm", "postmark-mcp", "1.0.15", set()),
        ("npm", "postmark-mcp", "1.0.16", {"MAL-2025-47604"}),
        ("npm", "postmark-mcp", "1.0.18", {"MAL-2025-47604"}),
        ("npm", "postmark-mcp", None, {"MAL-2025-47604"}),
        (
            "pypi",
            "mcp",
            "1.9.3",
            {"GHSA-3qhf-m339-9g5v", "GHSA-j975-95f5-7wqh", "GHSA-9h52-p55h-vw2f"},
        ),
        ("pypi", "mcp", "1.9.4", {"GHSA-j975-95f5-7wqh", "GHSA-9h52-p55h-vw2f"}),
        ("pypi", "mcp", "1.23.0", set()),
        ("PyPI", "MCP", "1.9.4", {"GHSA-j975-95f5-7wqh", "GHSA-9h52-p55h-vw2f"}),
        ("npm", "@modelcontextprotocol/sdk", "1.23.0", {"GHSA-w48q-cv73-mx4w"}),
        ("npm", "@modelcontextprotocol/sdk", "1.23.9", {"GHSA-w48q-cv73-mx4w"}),
        ("npm", "@modelcontextprotocol/sdk", "1.24.0", set()),
        ("npm", "lodash", "4.17.20", {"GHSA-35jh-r3h4-6jhm"}),
        ("npm", "lodash-es", "4.17.20", {"GHSA-35jh-r3h4-6jhm"}),
        ("npm", "lodash-es", "4.17.21", set()),
        ("pypi", "requests", "2.2.1", set()),
        ("pypi", "requests", "2.30.0", {"GHSA-j8r2-6x86-q33q"}),
        # An npm package is not a PyPI one of the same name.
        ("pypi", "lodash", "4.17.20", set()),
    ],
)
def test_real_records_match_per_ecosystem(
    eco: str, name: str, version: str | None, expected: set[str]
) -> None:
    assert affected_ids(eco, name, version) == expected


def _record(*ranges: dict[str, Any], versions: list[str] | None = None, **extra: Any) -> Any:
    entry: dict[str, Any] = {"package": {"ecosystem": "npm", "name": "pkg"}, "ranges": list(ranges)}
    if versions is not None:
        entry["versions"] = versions
    return {"id": "TEST-1", "affected": [entry], **extra}


def _hit(record: Any, version: str, eco: str = "npm") -> bool:
    if eco != "npm":
        record["affected"][0]["package"]["ecosystem"] = "PyPI"
    q = matching.make_query(eco, "pkg", version)
    return matching.match_record(record, q, source="t") is not None


def test_last_affected_is_inclusive() -> None:
    rec = _record(
        {"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"last_affected": "1.2.0"}]}
    )
    assert _hit(rec, "1.2.0")
    assert not _hit(rec, "1.2.1")
    assert not _hit(rec, "0.9.9")


def test_limit_bounds_the_range() -> None:
    rec = _record({"type": "SEMVER", "events": [{"introduced": "0"}, {"limit": "2.0.0"}]})
    assert _hit(rec, "1.9.9")
    assert not _hit(rec, "2.0.0")


def test_reintroduced_ranges_are_walked_in_version_order() -> None:
    rec = _record(
        {
            "type": "ECOSYSTEM",
            "events": [
                {"introduced": "2.0.0"},
                {"fixed": "2.5.0"},
                {"introduced": "1.0.0"},
                {"fixed": "1.5.0"},
            ],
        }
    )
    assert [_hit(rec, v) for v in ("0.9.0", "1.0.0", "1.7.0", "2.1.0", "2.5.0")] == [
        False,
        True,
        False,
        True,
        False,
    ]


def test_npm_prereleases_order_before_their_release() -> None:
    rec = _record({"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.0.0"}]})
    assert _hit(rec, "2.0.0-beta.1")
    assert not _hit(rec, "2.0.0")


def test_pep440_ordering_and_versions_list() -> None:
    rec = _record({"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.10.0"}]})
    assert _hit(rec, "1.9.0", "pypi")
    assert _hit(rec, "1.10.0rc1", "pypi")  # a string comparison would call 1.9 > 1.10
    assert not _hit(rec, "1.10.0", "pypi")
    listed = _record(versions=["1.0"])
    assert _hit(listed, "1.0.0", "pypi")  # PEP 440: one version
    assert not _hit(listed, "1.0.1", "pypi")


def test_git_ranges_are_not_versions() -> None:
    rec = _record({"type": "GIT", "repo": "x", "events": [{"introduced": "0"}]})
    assert not _hit(rec, "1.0.0")


def test_withdrawn_records_are_ignored() -> None:
    rec = _record(
        {"type": "SEMVER", "events": [{"introduced": "0"}]}, withdrawn="2024-01-01T00:00:00Z"
    )
    assert not _hit(rec, "1.0.0")


def test_fixed_version_is_the_next_fix_above_the_version() -> None:
    rec = RECORDS["GHSA-9h52-p55h-vw2f"]
    m = matching.match_record(rec, Query("pypi", "mcp", "1.9.3"), source="t")
    assert m is not None
    assert m.fixed == ("1.23.0",)
    multi = _record(
        {
            "type": "ECOSYSTEM",
            "events": [
                {"introduced": "1.0.0"},
                {"fixed": "1.5.0"},
                {"introduced": "2.0.0"},
                {"fixed": "2.5.0"},
            ],
        }
    )
    m2 = matching.match_record(multi, Query("npm", "pkg", "2.1.0"), source="t")
    assert m2 is not None
    assert m2.fixed == ("2.5.0",)


def test_cvss_v3_and_v4_severities_are_computed() -> None:
    mcp_remote = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H"
    assert matching.severity_of(RECORDS["GHSA-6xpm-ggf7-wc3p"]) == (
        Severity.CRITICAL,
        "CVSS:3.1 9.6",
        CvssScore("3.1", 9.6, mcp_remote),
    )
    severity, basis, rated = matching.severity_of(RECORDS["GHSA-j975-95f5-7wqh"])
    assert (severity, basis) == (Severity.HIGH, "CVSS:4.0 8.7")
    assert rated is not None
    assert (rated.version, rated.score, rated.method) == ("4.0", 8.7, "CVSSv4")
    assert rated.vector.startswith("CVSS:4.0/AV:N/AC:L/AT:N/")
    # AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N scores 6.1: medium, as GitHub's MODERATE says.
    assert matching.severity_of(RECORDS["GHSA-j8r2-6x86-q33q"])[:2] == (
        Severity.MEDIUM,
        "CVSS:3.1 6.1",
    )
    assert matching.severity_of(RECORDS["MAL-2025-47604"]) == (None, "", None)
    advisory = matching.advisory(RECORDS["GHSA-6xpm-ggf7-wc3p"], source="t")
    assert advisory.cvss == CvssScore("3.1", 9.6, mcp_remote)
    assert advisory.cvss.method == "CVSSv31"


def test_database_severity_when_the_vector_is_unreadable() -> None:
    rec = dict(
        RECORDS["GHSA-35jh-r3h4-6jhm"], severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/junk"}]
    )
    assert matching.severity_of(rec) == (Severity.HIGH, "database severity HIGH", None)


def test_malicious_records() -> None:
    assert matching.advisory(RECORDS["MAL-2025-47604"], source="t").malicious
    assert not matching.advisory(RECORDS["GHSA-6xpm-ggf7-wc3p"], source="t").malicious
    assert matching.is_malicious({"id": "GHSA-xxxx", "summary": "Malware in evil-pkg"})
