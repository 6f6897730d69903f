from __future__ import annotations

import dataclasses
import datetime as _dt
import itertools

import pytest

from mcpscan.advisories.service import (
    AdvisoryReport,
    build_advisory_service,
    connector_advisories,
    packages_for,
)
from mcpscan.models import (
    Decision,
    Edge,
    Finding,
    Graph,
    Launch,
    PackageRef,
    ResolvedPackage,
    Severity,
    VersionKind,
)
from mcpscan.net.http import HttpClient, HttpConfig
from mcpscan.ruleset import ConnectorFacts, Policy
from mcpscan.ruleset.policy import Waiver
from tests.ruleset.builders import connector, engine, npm

from .osv_support import FIXTURES

TODAY = _dt.date(2026, 1, 15)
ALL = frozenset({"config", "registry", "advisories"})


def node(name: str, version: str, eco: str = "npm") -> ResolvedPackage:
    purl = f"pkg:{eco}/{name.replace('@', '%40')}@{version}"
    return ResolvedPackage(eco, name, version, purl, Decision.RANGE)


def graph(*chain: ResolvedPackage, extra: tuple[ResolvedPackage, ...] = ()) -> Graph:
    """``chain[0]`` is the root, each node depends on the next."""
    edges = tuple(Edge(a.purl, b.purl, f"^{b.version}") for a, b in itertools.pairwise(chain))
    return Graph(roots=(chain[0].purl,), nodes=(*chain, *extra), edges=edges)


def report_for(g: Graph | None, launch: Launch) -> AdvisoryReport:
    service = build_advisory_service(
        HttpClient(HttpConfig(cache_dir=None)), databases=[FIXTURES], offline=True, cache_dir=None
    )
    return service.check(packages_for(g, launch))


def findings(g: Graph | None, launch: Launch, policy: Policy | None = None) -> list[Finding]:
    hits = connector_advisories(g, launch, report_for(g, launch))
    facts = ConnectorFacts(connector("srv"), launch, graph=g, today=TODAY, advisories=hits)
    ev = engine(policy).evaluate([facts], today=TODAY, available=ALL)
    return [f for f in ev.findings if f.rule_id in ("SC05", "SC06")]


def test_transitive_hit_carries_its_path() -> None:
    root, mid, sdk = (
        node("my-server", "1.0.0"),
        node("helper", "2.0.0"),
        node("@modelcontextprotocol/sdk", "1.23.0"),
    )
    g = graph(root, mid, sdk)
    launch = Launch("npx", packages=(npm("my-server", "1.0.0", VersionKind.EXACT),))
    (hit,) = connector_advisories(g, launch, report_for(g, launch))
    assert hit.advisory.id == "GHSA-w48q-cv73-mx4w"
    assert hit.path == ("my-server@1.0.0", "helper@2.0.0", "@modelcontextprotocol/sdk@1.23.0")
    assert hit.purl == sdk.purl
    (finding,) = findings(g, launch)
    assert finding.rule_id == "SC05"
    assert finding.severity is Severity.HIGH  # CVSS:4.0 7.x
    assert "GHSA-w48q-cv73-mx4w (CVE-2025-66414)" in finding.message
    assert "upgrade @modelcontextprotocol/sdk to 1.24.0 or later" in finding.message
    assert finding.evidence.startswith(
        "path: my-server@1.0.0 > helper@2.0.0 > @modelcontextprotocol/sdk@1.23.0"
    )
    assert finding.component == sdk.purl


def test_fixed_sdk_is_clean() -> None:
    g = graph(node("my-server", "1.0.0"), node("@modelcontextprotocol/sdk", "1.24.0"))
    assert findings(g, Launch("npx")) == []


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.0.4", None),
        ("0.0.5", Severity.CRITICAL),
        ("0.1.15", Severity.CRITICAL),
        ("0.1.16", None),
    ],
)
def test_mcp_remote_versions(version: str, expected: Severity | None) -> None:
    g = graph(node("mcp-remote", version))
    launch = Launch("npx", packages=(npm("mcp-remote", version, VersionKind.EXACT, role="proxy"),))
    found = findings(g, launch)
    if expected is None:
        assert found == []
    else:
        (f,) = found
        assert (f.rule_id, f.severity) == ("SC05", expected)
        assert "GHSA-6xpm-ggf7-wc3p" in f.message
        assert "CVE-2025-6514" in f.message
        assert "CVSS:3.1 9.6" in f.evidence


@pytest.mark.parametrize("version", ["1.0.16", "1.0.18"])
def test_postmark_malicious_even_when_the_registry_404s(version: str) -> None:
    # Resolution found nothing (the package was taken down): no graph node at all.
    launch = Launch("npx", packages=(npm("postmark-mcp", version, VersionKind.EXACT),))
    (f,) = findings(None, launch)
    assert (f.rule_id, f.severity) == ("SC06", Severity.CRITICAL)
    assert f"postmark-mcp@{version} is known to be malicious, MAL-2025-47604" in f.message
    assert f.component == f"pkg:npm/postmark-mcp@{version}"


def test_postmark_pinned_clean_version() -> None:
    launch = Launch("npx", packages=(npm("postmark-mcp", "1.0.15", VersionKind.EXACT),))
    assert findings(None, launch) == []


def test_unpinned_unresolvable_launch_matches_any_malicious_record() -> None:
    launch = Launch("npx", packages=(npm("postmark-mcp"),))
    (f,) = findings(None, launch)
    assert f.rule_id == "SC06"
    assert "no version pinned or resolvable" in f.message
    # A vulnerability record needs a version: mcp-remote by name alone is not SC05.
    assert findings(None, Launch("npx", packages=(npm("mcp-remote"),))) == []


def test_unpinned_but_resolved_launch_uses_the_resolved_version() -> None:
    g = graph(node("postmark-mcp", "1.0.15"))
    launch = Launch("npx", packages=(npm("postmark-mcp"),))
    assert packages_for(g, launch) == [("npm", "postmark-mcp", "1.0.15")]
    assert findings(g, launch) == []


def test_pypi_launch_three_then_two_then_none() -> None:
    def pypi(version: str) -> Launch:
        ref = PackageRef(
            "pypi", "mcp", f"=={version}", VersionKind.EXACT, f"pkg:pypi/mcp@{version}"
        )
        return Launch("uvx", packages=(ref,))

    def ids(version: str) -> set[str]:
        g = graph(node("mcp", version, "pypi"))
        return {
            f.message.split(" is affected by ")[1].split(" ")[0] for f in findings(g, pypi(version))
        }

    assert ids("1.9.3") == {"GHSA-3qhf-m339-9g5v", "GHSA-j975-95f5-7wqh", "GHSA-9h52-p55h-vw2f"}
    assert ids("1.9.4") == {"GHSA-j975-95f5-7wqh", "GHSA-9h52-p55h-vw2f"}
    assert ids("1.23.0") == set()
    # Not in the graph (unresolvable) but pinned: still looked up by its version.
    assert len(findings(None, pypi("1.9.3"))) == 3


def test_lodash_and_lodash_es_one_record_each() -> None:
    g = graph(
        node("app", "1.0.0"), node("lodash", "4.17.20"), extra=(node("lodash-es", "4.17.20"),)
    )
    found = findings(g, Launch("npx"))
    assert sorted(f.component or "" for f in found) == [
        "pkg:npm/lodash-es@4.17.20",
        "pkg:npm/lodash@4.17.20",
    ]
    assert all("GHSA-35jh-r3h4-6jhm" in f.message for f in found)
    # lodash-es is not reachable through an edge: its path is itself.
    es = next(f for f in found if "lodash-es" in (f.component or ""))
    assert es.evidence.startswith("path: lodash-es@4.17.20;")


@pytest.mark.parametrize("named", ["GHSA-6xpm-ggf7-wc3p", "CVE-2025-6514"])
def test_waiver_naming_the_advisory(named: str) -> None:
    g = graph(node("mcp-remote", "0.1.15"))
    waiver = Waiver(
        rule="SC05",
        reason="patched fork",
        approver="sec",
        expires=_dt.date(2026, 6, 1),
        target="mcp-remote",
        advisory=named,
    )
    (f,) = findings(g, Launch("npx"), Policy(waivers=(waiver,)))
    assert f.waived
    other = dataclasses.replace(waiver, advisory="GHSA-w48q-cv73-mx4w")
    (g2,) = findings(g, Launch("npx"), Policy(waivers=(other,)))
    assert not g2.waived


def test_advisories_not_checked_yield_nothing() -> None:
    facts = ConnectorFacts(
        connector("srv"), Launch("npx"), graph=graph(node("mcp-remote", "0.1.0"))
    )
    ev = engine().evaluate([facts], today=TODAY, available=ALL)
    assert [f for f in ev.findings if f.rule_id in ("SC05", "SC06")] == []
