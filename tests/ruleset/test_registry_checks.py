"""Each registry-fact check fires on its case and stays quiet on its near misses.

Graphs, nodes and facts are built by hand, so these tests depend on no registry client or
resolver: only on what the checks make of the facts they are given.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from mcpscan.coverage import Stages, ledger_for, registry_gaps
from mcpscan.ledger import describe_registry_gap, registry_gap_summary
from mcpscan.models import (
    Connector,
    Decision,
    Graph,
    Launch,
    PackageFacts,
    PackageRef,
    ResolutionProblem,
    ResolvedPackage,
    Severity,
    VersionKind,
)
from mcpscan.ruleset import ConnectorFacts, Policy
from mcpscan.ruleset.registry_checks import _known_names, lookalike_of

from .builders import connector, engine, hits, npm

TODAY = date(2026, 11, 25)
OLD = "2024-01-10T08:00:00Z"  # well outside every cooldown and the young-package window


def node(
    name: str,
    version: str = "1.0.0",
    *,
    eco: str = "npm",
    decided_by: Decision = Decision.RANGE,
    **fact_fields: Any,
) -> ResolvedPackage:
    """A node whose registry facts are all known and unremarkable unless overridden."""
    base: dict[str, Any] = {
        "published": OLD,
        "package_created": OLD,
        "maintainers": ("alice", "bob"),
        "previous_maintainers": ("alice", "bob"),
        "repository": f"https://github.com/acme/{name.split('/')[-1]}",
        "install_scripts": (),
        "has_install_script": False if eco == "npm" else None,
        "pth_files": () if eco == "pypi" else None,
        "metadata_source": "pep658" if eco == "pypi" else None,
    }
    base.update(fact_fields)
    purl_name = name.replace("@", "%40")
    return ResolvedPackage(
        ecosystem=eco,
        name=name,
        version=version,
        purl=f"pkg:{eco}/{purl_name}@{version}",
        decided_by=decided_by,
        facts=PackageFacts(**base),
    )


def graph(
    root: ResolvedPackage, *deps: ResolvedPackage, problems: tuple[ResolutionProblem, ...] = ()
) -> Graph:
    return Graph(roots=(root.purl,), nodes=(root, *deps), problems=problems)


def scan_facts(
    g: Graph | None,
    *,
    conn: Connector | None = None,
    packages: tuple[PackageRef, ...] = (),
    today: date = TODAY,
) -> ConnectorFacts:
    return ConnectorFacts(
        conn or connector(), Launch("npx", packages=packages), graph=g, today=today
    )


def run(check: str, g: Graph | None, policy: Policy | None = None, **kw: Any) -> list[Any]:
    return hits(check, scan_facts(g, **kw), policy)


def a_clean_root(**fact_fields: Any) -> ResolvedPackage:
    return node("clean-server", decided_by=Decision.PINNED, **fact_fields)


# --- every check: a graph with nothing remarkable is quiet ---------------------------------


@pytest.mark.parametrize(
    "check",
    ["install_script", "fresh_release", "low_reputation", "deprecated_or_yanked", "unresolvable"],
)
def test_clean_graph_is_quiet(check: str) -> None:
    g = graph(a_clean_root(), node("dep-a"), node("dep-b", eco="pypi"))
    assert run(check, g) == []


@pytest.mark.parametrize(
    "check",
    [
        "install_script",
        "fresh_release",
        "low_reputation",
        "deprecated_or_yanked",
        "unresolvable",
        "ownership_mismatch",
    ],
)
def test_no_graph_no_registry_hits(check: str) -> None:
    # Resolution did not run for this connector: nothing to judge (the scan reports that
    # separately as checks not run or as incomplete).
    conn = connector(server_name="io.github.acme/x")
    assert run(check, None, conn=conn) == []


# --- SC07 install-script ----------------------------------------------------------------


def test_sc07_install_script_on_the_launched_package_is_high() -> None:
    root = a_clean_root(install_scripts=("preinstall", "postinstall"), has_install_script=True)
    [hit] = run("install_script", graph(root))
    assert hit.severity is Severity.HIGH
    assert hit.message.startswith("the launched package clean-server@1.0.0 runs code")
    assert hit.evidence == "scripts: preinstall, postinstall"
    assert hit.component == root.purl


def test_sc07_install_script_on_a_dependency_keeps_the_rule_default() -> None:
    dep = node("native-dep", install_scripts=("install",), has_install_script=True)
    [hit] = run("install_script", graph(a_clean_root(), dep))
    assert hit.severity is None  # the rule's own medium
    assert hit.message.startswith("a dependency native-dep@1.0.0")
    assert hit.component == dep.purl


def test_sc07_dependency_finding_is_medium_and_root_finding_high_through_the_engine() -> None:
    root = a_clean_root(install_scripts=("postinstall",))
    dep = node("native-dep", has_install_script=True)
    evaluation = engine().evaluate(
        [scan_facts(graph(root, dep))], today=TODAY, available=frozenset({"config", "registry"})
    )
    sc07 = {
        f.component: f.severity for f in evaluation.connectors[0].findings if f.rule_id == "SC07"
    }
    assert sc07 == {root.purl: Severity.HIGH, dep.purl: Severity.MEDIUM}
    assert evaluation.verdict == "fail"  # high on the launched package blocks


def test_sc07_has_install_script_flag_alone_fires() -> None:
    # binding.gyp without scripts: the registry's hasInstallScript is the only sign.
    root = a_clean_root(has_install_script=True)
    [hit] = run("install_script", graph(root))
    assert hit.evidence == "hasInstallScript"
    assert hit.severity is Severity.HIGH


def test_sc07_scripts_and_flag_on_one_package_are_one_finding() -> None:
    root = a_clean_root(install_scripts=("postinstall",), has_install_script=True)
    assert len(run("install_script", graph(root))) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"install_scripts": (), "has_install_script": False},
        # Scripts that do not run on install from a registry ("prepare", "test") never reach
        # install_scripts; a node with the flag false and none listed is quiet.
        {"has_install_script": False, "pth_files": None},
    ],
)
def test_sc07_npm_package_without_install_code_is_quiet(fields: dict[str, Any]) -> None:
    assert run("install_script", graph(a_clean_root(**fields))) == []


def test_sc07_pth_file_in_a_wheel_is_high_even_on_a_dependency() -> None:
    dep = node("litellm", "1.82.8", eco="pypi", pth_files=("litellm_init.pth",))
    root = node("mcp-server-x", eco="pypi", decided_by=Decision.LATEST)
    [hit] = run("install_script", graph(root, dep))
    assert hit.severity is Severity.HIGH
    assert ".pth files that run at every Python start" in hit.message
    assert hit.evidence == "wheel RECORD: litellm_init.pth"
    assert hit.component == dep.purl


def test_sc07_wheel_without_pth_files_is_quiet() -> None:
    root = node("mcp-server-x", eco="pypi", pth_files=())
    assert run("install_script", graph(root)) == []


def test_sc07_sdist_only_root_is_high_and_dependency_medium() -> None:
    root = node("mcp-server-x", eco="pypi", sdist_only=True, pth_files=None)
    dep = node("old-dep", eco="pypi", sdist_only=True, pth_files=None)
    found = {h.component: h for h in run("install_script", graph(root, dep))}
    assert set(found) == {root.purl, dep.purl}  # and no "unknown": an sdist has no RECORD
    assert found[root.purl].severity is Severity.HIGH
    assert found[dep.purl].severity is None
    assert found[root.purl].evidence == "sdist only"
    assert "builds from source" in found[root.purl].message


def gaps_of(g: Graph) -> dict[str, tuple[str, tuple[str, ...]]]:
    """The registry gaps of a graph: fact -> (rule, purls)."""
    return {gap.fact: (gap.check, gap.packages) for gap in registry_gaps(g, None)}


def test_sc07_unread_install_facts_are_a_registry_gap_not_a_finding() -> None:
    # A lockfile entry (npm: no manifest read) and a wheel whose RECORD could not be read.
    locked = node("locked-dep", has_install_script=None, decided_by=Decision.LOCKFILE)
    unread = node("unread-wheel", eco="pypi", pth_files=None)
    g = graph(a_clean_root(), locked, unread)
    assert run("install_script", g) == []
    assert gaps_of(g)["install scripts"] == ("SC07", (locked.purl, unread.purl))


# --- SC08 fresh-release -------------------------------------------------------------------


@pytest.mark.parametrize(
    "published",
    [
        "2026-11-24T10:00:00Z",  # yesterday
        "2026-11-20T00:00:00+00:00",
        "2026-11-18T12:00:00Z",  # 6.5 days before the scan day: still inside 7 days
        "2026-11-18T00:00:01Z",  # the last second inside the window
        "2026-11-24T10:00:00",  # no zone: taken as UTC
        "2026-11-30T00:00:00Z",  # a clock ahead of ours: as fresh as it gets
    ],
)
def test_sc08_fires_within_the_cooldown(published: str) -> None:
    root = a_clean_root(published=published)
    [hit] = run("fresh_release", graph(root))
    assert hit.severity is None  # the rule's medium
    assert "within the 7-day cooldown" in hit.message
    assert hit.evidence == f"published {published}"
    assert hit.component == root.purl
    assert " -" not in hit.message  # a future time is not a negative age


@pytest.mark.parametrize("published", ["2026-11-17T23:59:59Z", "2026-11-18T00:00:00Z", OLD])
def test_sc08_quiet_just_outside_the_cooldown(published: str) -> None:
    assert run("fresh_release", graph(a_clean_root(published=published))) == []


def test_sc08_dependency_inside_the_cooldown_fires_too() -> None:
    dep = node("fresh-dep", published="2026-11-23T00:00:00Z")
    [hit] = run("fresh_release", graph(a_clean_root(), dep))
    assert hit.component == dep.purl


def test_sc08_respects_the_policy_cooldown() -> None:
    g = graph(a_clean_root(published="2026-11-14T12:00:00Z"))  # 10.5 days before
    assert run("fresh_release", g) == []
    [hit] = run("fresh_release", g, Policy(cooldown_days=14))
    assert "within the 14-day cooldown" in hit.message
    assert (
        run(
            "fresh_release",
            graph(a_clean_root(published="2026-11-25T06:00:00Z")),
            Policy(cooldown_days=0),
        )
        == []
    )


@pytest.mark.parametrize("published", [None, "", "last tuesday"])
def test_sc08_unknown_publish_time_is_a_registry_gap_not_a_finding(published: str | None) -> None:
    # Missing or unreadable: the cooldown cannot be checked, which the ledger says.
    root = a_clean_root(published=published)
    assert run("fresh_release", graph(root)) == []
    assert gaps_of(graph(root))["a publish time"] == ("SC08", (root.purl,))


def test_sc08_unknown_publish_times_of_dependencies_are_one_gap() -> None:
    deps = [node(f"dep-{i:02d}", published=None) for i in range(12)]
    g = graph(a_clean_root(), *deps)
    assert run("fresh_release", g) == []
    rule, purls = gaps_of(g)["a publish time"]
    assert (rule, len(purls)) == ("SC08", 12)


# --- SC09 low-reputation ------------------------------------------------------------------


def test_sc09_young_package_fires() -> None:
    root = a_clean_root(package_created="2026-10-26T00:00:00Z")
    [hit] = run("low_reputation", graph(root))
    assert hit.message == "clean-server was first published 30 days ago"
    assert hit.severity is None
    assert hit.evidence == "created 2026-10-26T00:00:00Z"


def test_sc09_package_created_long_ago_is_not_young() -> None:
    assert run("low_reputation", graph(a_clean_root(package_created="2026-08-01T00:00:00Z"))) == []


def test_sc09_single_maintainer_fires_and_two_do_not() -> None:
    [hit] = run(
        "low_reputation", graph(a_clean_root(maintainers=("solo",), previous_maintainers=("solo",)))
    )
    assert hit.evidence == "maintainers: 1"
    assert "single maintainer" in hit.message
    assert run("low_reputation", graph(a_clean_root())) == []


def test_sc09_maintainer_change_is_medium_and_names_who_was_added() -> None:
    root = a_clean_root(maintainers=("alice", "mallory"), previous_maintainers=("alice", "bob"))
    [hit] = run("low_reputation", graph(root))
    assert hit.severity is Severity.MEDIUM
    assert hit.evidence == "maintainer change"
    assert "(added: mallory)" in hit.message


@pytest.mark.parametrize(
    "previous", [("bob", "alice"), None], ids=["same-set-other-order", "previous-unknown"]
)
def test_sc09_no_maintainer_change(previous: tuple[str, ...] | None) -> None:
    root = a_clean_root(maintainers=("alice", "bob"), previous_maintainers=previous)
    assert run("low_reputation", graph(root)) == []


def test_sc09_no_repository_fires() -> None:
    [hit] = run("low_reputation", graph(a_clean_root(repository=None)))
    assert hit.evidence == "repository: none"
    assert hit.severity is None


def test_sc09_unknown_maintainers_are_a_registry_gap_never_fine() -> None:
    root = a_clean_root(maintainers=None, previous_maintainers=None)
    assert run("low_reputation", graph(root)) == []
    assert gaps_of(graph(root)) == {"maintainers": ("SC09", (root.purl,))}


def test_sc09_node_without_any_registry_facts_is_all_unknown() -> None:
    # A lockfile entry: the registry was not asked, so nothing is claimed about it, and
    # nothing is taken as fine either.
    root = ResolvedPackage("npm", "locked", "1.0.0", "pkg:npm/locked@1.0.0", Decision.LOCKFILE)
    assert run("low_reputation", graph(root)) == []
    assert {fact for fact, (rule, _) in gaps_of(graph(root)).items() if rule == "SC09"} == {
        "a creation date",
        "maintainers",
        "a source repository",
    }


def test_an_image_has_no_maintainers_or_creation_date_to_miss() -> None:
    # The OCI distribution API serves neither: for an image they are not registry gaps,
    # while an npm package from a mirror that strips them still is one.
    image = ResolvedPackage(
        "oci",
        "ghcr.io/acme/weather",
        "sha256:" + "a" * 64,
        "pkg:oci/weather@sha256%3A" + "a" * 64,
        Decision.PINNED,
        facts=PackageFacts(published=OLD, repository="https://github.com/acme/weather"),
    )
    npm = node("server", maintainers=None, package_created=None)
    assert gaps_of(graph(image)) == {}
    assert set(gaps_of(graph(npm))) == {"maintainers", "a creation date"}


def test_registry_gaps_cap_the_score_but_are_no_findings_through_the_engine() -> None:
    # Seven launched packages from a mirror that lists no maintainers: no finding per
    # package, one gap naming all seven, and no clean 100 for any of them.
    roots = [node(f"server-{i}", maintainers=None, previous_maintainers=None) for i in range(7)]
    facts = []
    for root in roots:
        g = graph(root)
        ledger = ledger_for(
            Launch("npx", packages=(npm(root.name),)), Stages(resolution=True), graph=g
        )
        facts.append(dataclasses.replace(scan_facts(g), coverage=ledger))
    evaluation = engine().evaluate(facts, today=TODAY, available=frozenset({"config", "registry"}))
    assert evaluation.findings == ()
    assert {c.score for c in evaluation.connectors} == {99}
    assert evaluation.verdict == "pass"
    ledgers = [f.coverage for f in facts]
    assert registry_gap_summary(ledgers) == (("maintainers", 7),)
    assert describe_registry_gap("maintainers", 7) == (
        "the registry did not provide maintainers for 7 packages"
    )


def test_sc09_judges_the_launched_packages_only() -> None:
    dep = node("dep", maintainers=("solo",), repository=None, package_created="2026-11-01")
    assert run("low_reputation", graph(a_clean_root(), dep)) == []


# --- SC10 lookalike-name ------------------------------------------------------------------

GENUINE = sorted({(eco, k.name) for eco, names in _known_names().items() for k in names})


@pytest.mark.parametrize(("eco", "name"), GENUINE)
def test_sc10_genuine_names_do_not_fire(eco: str, name: str) -> None:
    assert lookalike_of(eco, name) is None


@pytest.mark.parametrize(
    ("eco", "name", "genuine"),
    [
        # typosquats (edit distance)
        ("npm", "mcp-remotes", "mcp-remote"),
        ("npm", "supergatewey", "supergateway"),
        ("pypi", "mcp-server-fecth", "mcp-server-fetch"),
        ("pypi", "fastmcp2", "fastmcp"),
        # homoglyphs: digits, separators, rn for m, Cyrillic letters
        ("npm", "mcp-rem0te", "mcp-remote"),
        ("npm", "mcp_remote", "mcp-remote"),
        ("npm", "rncp-remote", "mcp-remote"),
        ("npm", "mcp-r\u0435mote", "mcp-remote"),  # Cyrillic ie
        (
            "npm",
            "@m\u043edelcontextprotocol/server-filesystem",  # Cyrillic o in the scope
            "@modelcontextprotocol/server-filesystem",
        ),
        ("pypi", "mcp-server-tim3", "mcp-server-time"),
        # scope confusion: the vendor's package name under another scope
        (
            "npm",
            "@modelcontextprotcol/server-filesystem",
            "@modelcontextprotocol/server-filesystem",
        ),
        ("npm", "@mcp-official/server-filesystem", "@modelcontextprotocol/server-filesystem"),
        ("npm", "@mcp-official/server-fi1esystem", "@modelcontextprotocol/server-filesystem"),
        ("npm", "@sentri/mcp-server", "@sentry/mcp-server"),
        # dropped scope: the bare name, or the scope folded into the name
        ("npm", "server-filesystem", "@modelcontextprotocol/server-filesystem"),
        (
            "npm",
            "modelcontextprotocol-server-filesystem",
            "@modelcontextprotocol/server-filesystem",
        ),
        ("npm", "playwright-mcp", "@playwright/mcp"),
        ("npm", "sentry-mcp-server", "@sentry/mcp-server"),
    ],
)
def test_sc10_lookalikes_fire(eco: str, name: str, genuine: str) -> None:
    assert lookalike_of(eco, name) == genuine


@pytest.mark.parametrize(
    ("eco", "name"),
    [
        # the vendor's own scope: whatever it publishes there is its own
        ("npm", "@modelcontextprotocol/server-filesystems"),
        ("npm", "@modelcontextprotocol/server-brand-new"),
        ("npm", "@playwright/mcp-extra"),
        # another vendor's package with a generic name ("mcp-server" names no vendor)
        ("npm", "@hubspot/mcp-server"),
        ("npm", "mcp-server"),
        ("npm", "@other/mcp"),
        # the same PyPI project, spelled another way (PEP 503 normalisation)
        ("pypi", "mcp_server_fetch"),
        ("pypi", "MCP-Server-Fetch"),
        ("pypi", "awslabs.core-mcp-server"),
        # unrelated and short names
        ("npm", "express"),
        ("npm", "@acme/internal-tool"),
        ("pypi", "requests"),
        ("pypi", "mcpx"),
        ("npm", "mcp-server-git"),  # a PyPI name: not confused across ecosystems
    ],
)
def test_sc10_near_misses_do_not_fire(eco: str, name: str) -> None:
    assert lookalike_of(eco, name) is None


def test_sc10_check_names_the_spec_role_and_purl() -> None:
    ref = dataclasses.replace(npm("mcp-rem0te", role="proxy"), purl="pkg:npm/mcp-rem0te")
    [hit] = run("lookalike_name", None, packages=(ref,))
    assert hit.message.startswith("proxy package mcp-rem0te looks like the well-known mcp-remote")
    assert hit.evidence == "mcp-rem0te ~ mcp-remote"
    assert hit.component == "pkg:npm/mcp-rem0te"


def test_sc10_an_alias_is_judged_by_the_package_it_installs() -> None:
    # "mcp-remote@npm:mcp-rem0te" installs mcp-rem0te under the genuine folder name.
    disguised = PackageRef(
        "npm",
        "mcp-remote",
        None,
        VersionKind.UNSPECIFIED,
        "pkg:npm/mcp-rem0te",
        alias_of="mcp-rem0te",
    )
    [hit] = run("lookalike_name", None, packages=(disguised,))
    assert hit.evidence == "mcp-rem0te ~ mcp-remote"
    honest = PackageRef(
        "npm", "remote", None, VersionKind.UNSPECIFIED, "pkg:npm/mcp-remote", alias_of="mcp-remote"
    )
    assert run("lookalike_name", None, packages=(honest,)) == []


def _not_found(ref: PackageRef) -> Graph:
    missing = ResolutionProblem(
        ref.ecosystem, ref.alias_of or ref.name, "", "not-found", "not on the registry"
    )
    return Graph(problems=(missing,))


@pytest.mark.parametrize(
    ("eco", "name", "meant"),
    [
        # the vendor's own scope is not skipped when the name does not exist there
        (
            "npm",
            "@modelcontextprotocol/server-filesystm",
            "@modelcontextprotocol/server-filesystem",
        ),
        ("npm", "@modelcontextprotocol/server-githbu", "@modelcontextprotocol/server-github"),
        ("npm", "@playwright/mcpp", "@playwright/mcp"),
        # a name anyone could still register
        ("npm", "mcp-remot", "mcp-remote"),
        ("npm", "@mcp-official/server-filesystem", "@modelcontextprotocol/server-filesystem"),
        ("pypi", "mcp-server-fecth", "mcp-server-fetch"),
        ("pypi", "MCP_Server_Tme", "mcp-server-time"),
    ],
)
def test_sc10_a_near_miss_that_does_not_exist_says_did_you_mean(
    eco: str, name: str, meant: str
) -> None:
    ref = dataclasses.replace(npm(name), ecosystem=eco, purl=f"pkg:{eco}/{name}")
    [hit] = run("lookalike_name", _not_found(ref), packages=(ref,))
    assert hit.message == (
        f"server package {name} does not exist on the registry: did you mean {meant}?"
    )
    assert hit.evidence == f"{name} ~ {meant} (not on the registry)"
    assert hit.remediation.startswith(f"Use {meant},")
    assert hit.component == ref.purl


@pytest.mark.parametrize(
    ("eco", "name"),
    [
        ("npm", "@modelcontextprotocol/server-brand-new-thing"),  # more than two edits away
        ("npm", "ghost-mcp-server"),
        ("npm", "@playwright/mcp-extra-tool"),
        ("pypi", "mcpx"),  # too short to guess at
    ],
)
def test_sc10_a_missing_name_far_from_every_known_one_gets_no_guess(eco: str, name: str) -> None:
    ref = dataclasses.replace(npm(name), ecosystem=eco, purl=f"pkg:{eco}/{name}")
    assert run("lookalike_name", _not_found(ref), packages=(ref,)) == []


def test_sc10_a_vendor_scope_name_that_exists_is_still_the_vendors() -> None:
    # Only a name the registry says does not exist gets the guess: one that resolved is
    # whatever the vendor published under its own scope.
    ref = npm("@modelcontextprotocol/server-filesystm")
    assert run("lookalike_name", graph(a_clean_root()), packages=(ref,)) == []
    assert run("lookalike_name", None, packages=(ref,)) == []


def test_sc10_did_you_mean_and_sc13_through_the_engine() -> None:
    ref = npm("@modelcontextprotocol/server-filesystm")
    facts = scan_facts(_not_found(ref), packages=(ref,))
    evaluation = engine().evaluate(
        [facts], today=TODAY, available=frozenset({"config", "registry"})
    )
    by_rule = {f.rule_id: f for f in evaluation.connectors[0].findings}
    assert "did you mean @modelcontextprotocol/server-filesystem?" in by_rule["SC10"].message
    assert by_rule["SC10"].severity is Severity.HIGH
    assert "does not exist" in by_rule["SC13"].message


def test_sc10_ignores_other_ecosystems() -> None:
    image = PackageRef("oci", "mcp-rem0te", "1", VersionKind.TAG, "pkg:oci/mcp-rem0te")
    assert run("lookalike_name", None, packages=(image,)) == []


# --- SC11 deprecated-or-yanked ------------------------------------------------------------


def test_sc11_deprecated_version_fires_with_the_reason_on_one_line() -> None:
    dep = node("old-dep", deprecated="Use v2 instead.\n   Security fix in 2.0.1")
    [hit] = run("deprecated_or_yanked", graph(a_clean_root(), dep))
    assert hit.message == "old-dep@1.0.0 is deprecated on the registry"
    assert hit.evidence == "Use v2 instead. Security fix in 2.0.1"
    assert hit.component == dep.purl


@pytest.mark.parametrize(
    ("reason", "evidence"),
    [("broken wheel", "broken wheel"), ("", "yanked (no reason given)")],
)
def test_sc11_yanked_fires_with_or_without_a_reason(reason: str, evidence: str) -> None:
    root = node("mcp-server-x", eco="pypi", yanked=reason)
    [hit] = run("deprecated_or_yanked", graph(root))
    assert hit.message == "mcp-server-x@1.0.0 was yanked from the registry"
    assert hit.evidence == evidence


def test_sc11_not_deprecated_nor_yanked_is_quiet() -> None:
    g = graph(a_clean_root(deprecated=None, yanked=None), node("dep", deprecated=None))
    assert run("deprecated_or_yanked", g) == []


# --- SC13 unresolvable --------------------------------------------------------------------

ROOT = a_clean_root()


def problem(reason: str, path: tuple[str, ...] = (ROOT.purl,), **kw: Any) -> ResolutionProblem:
    fields: dict[str, Any] = {
        "ecosystem": "npm",
        "name": "ghost",
        "spec": "^1.0",
        "message": "npm package ghost does not exist on the registry",
    }
    fields.update(kw)
    return ResolutionProblem(reason=reason, path=path, **fields)


@pytest.mark.parametrize(
    ("reason", "why"),
    [
        ("not-found", "does not exist on the registry"),
        ("no-matching-version", "has no version matching the request"),
        ("no-metadata", "has no metadata mcpscan could read without building it"),
    ],
)
def test_sc13_fires_fail_closed_with_the_path(reason: str, why: str) -> None:
    path = (ROOT.purl, "pkg:npm/mid@2.0.0")
    [hit] = run("unresolvable", graph(ROOT, problems=(problem(reason, path),)))
    assert hit.message == f"npm package ghost (^1.0) {why}"
    assert hit.evidence == f"required via {ROOT.purl} > pkg:npm/mid@2.0.0"
    assert hit.severity is None  # the rule's high


def test_sc13_root_problem_without_path_gives_the_registry_message() -> None:
    missing = problem("not-found", (), spec="")
    [hit] = run("unresolvable", Graph(problems=(missing,)))
    assert hit.message == "npm package ghost (any version) does not exist on the registry"
    assert hit.evidence == missing.message


def test_sc13_unreachable_registry_is_not_a_finding() -> None:
    # That is an incomplete scan (exit 3), reported by the scanner, not a verdict.
    g = graph(ROOT, problems=(problem("unreachable", message="timed out"),))
    assert run("unresolvable", g) == []


def test_sc13_makes_the_verdict_fail() -> None:
    g = Graph(problems=(problem("not-found", ()),))
    evaluation = engine().evaluate(
        [scan_facts(g)], today=TODAY, available=frozenset({"config", "registry"})
    )
    [finding] = [f for f in evaluation.connectors[0].findings if f.rule_id == "SC13"]
    assert finding.severity is Severity.HIGH
    assert evaluation.verdict == "fail"


# --- SC14 ownership-mismatch --------------------------------------------------------------

SERVER = "io.github.acme/weather"


def owned(**kw: Any) -> Connector:
    return connector(server_name=kw.pop("server_name", SERVER), **kw)


def test_sc14_mcp_name_mismatch_fires() -> None:
    root = a_clean_root(
        mcp_name="io.github.mallory/weather", repository="https://github.com/acme/weather"
    )
    [hit] = run("ownership_mismatch", graph(root), conn=owned())
    assert hit.message == (
        f"clean-server@1.0.0 says it belongs to io.github.mallory/weather, not to {SERVER}"
    )
    assert hit.evidence == "mcpName in package.json = io.github.mallory/weather"
    assert hit.severity is None  # the rule's high


def test_sc14_matching_marker_and_owner_are_quiet() -> None:
    root = a_clean_root(mcp_name=SERVER, repository="git+https://github.com/Acme/weather.git")
    conn = owned(repository="https://github.com/ACME/weather")  # owners are case-insensitive
    assert run("ownership_mismatch", graph(root), conn=conn) == []


def test_sc14_missing_marker_is_medium() -> None:
    root = node(
        "mcp-server-weather",
        eco="pypi",
        mcp_name=None,
        repository="https://github.com/acme/weather",
    )
    [hit] = run("ownership_mismatch", graph(root), conn=owned())
    assert hit.severity is Severity.MEDIUM
    assert hit.evidence == "marker: missing"
    assert "mcp-name: in README" in hit.message


def test_sc14_namespace_owner_vs_server_json_repository() -> None:
    root = a_clean_root(mcp_name=SERVER, repository="https://github.com/acme/weather")
    conn = owned(repository="https://github.com/mallory/weather")
    [hit] = run("ownership_mismatch", graph(root), conn=conn)
    assert hit.evidence == "repository owner mallory"
    assert hit.component is None


def test_sc14_namespace_owner_vs_package_repository() -> None:
    root = a_clean_root(mcp_name=SERVER, repository="git+ssh://git@github.com/mallory/w.git")
    [hit] = run("ownership_mismatch", graph(root), conn=owned())
    assert hit.evidence == "package repository owner mallory"
    assert hit.component == root.purl


def test_sc14_non_github_namespace_has_no_owner_to_compare() -> None:
    root = a_clean_root(
        mcp_name="com.example/weather", repository="https://github.com/someone/weather"
    )
    conn = owned(server_name="com.example/weather", repository="https://github.com/other/weather")
    assert run("ownership_mismatch", graph(root), conn=conn) == []


def test_sc14_needs_a_server_name() -> None:
    root = a_clean_root(
        mcp_name="io.github.mallory/weather", repository="https://github.com/mallory/weather"
    )
    assert run("ownership_mismatch", graph(root)) == []


def test_sc14_judges_the_launched_packages_only() -> None:
    dep = node("dep", mcp_name=None, repository="https://github.com/mallory/dep")
    root = a_clean_root(mcp_name=SERVER, repository="https://github.com/acme/weather")
    assert run("ownership_mismatch", graph(root, dep), conn=owned()) == []
