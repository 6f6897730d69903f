"""Each provenance check fires on its case and stays quiet on its near misses."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from mcpscan.models import (
    Decision,
    Graph,
    Launch,
    PackageFacts,
    ProvenanceResult,
    ProvenanceState,
    ProxyHop,
    ResolvedPackage,
    Severity,
    VersionKind,
)
from mcpscan.provenance.interface import NOT_PROVIDED
from mcpscan.ruleset import ConnectorFacts, Policy, RuleOverride

from .builders import connector, engine, hits, npm

V, A, BAD = ProvenanceState.VERIFIED, ProvenanceState.ABSENT, ProvenanceState.INVALID
REPO = "https://github.com/acme/server"


def pkg(
    name: str = "server", version: str = "1.0.0", *, eco: str = "npm", repository: str | None = REPO
) -> ResolvedPackage:
    return ResolvedPackage(
        eco,
        name,
        version,
        f"pkg:{eco}/{name}@{version}",
        Decision.PINNED,
        facts=PackageFacts(repository=repository),
    )


def result(
    node: ResolvedPackage, state: ProvenanceState = V, kind: str = "npm-provenance", **kw: Any
) -> ProvenanceResult:
    if state is V and kind in ("npm-provenance", "pep740"):
        kw.setdefault("source_repository", REPO)
        kw.setdefault("workflow", f"{REPO}/.github/workflows/release.yml@refs/tags/v1")
    return ProvenanceResult(node.purl, kind, state, kw.pop("reason", "why"), **kw)


def make(
    nodes: list[ResolvedPackage],
    results: list[ProvenanceResult] | None,
    *,
    roots: int = 1,
    server_repo: str | None = None,
    launch: Launch | None = None,
) -> ConnectorFacts:
    graph = Graph(roots=tuple(n.purl for n in nodes[:roots]), nodes=tuple(nodes))
    return ConnectorFacts(
        connector(repository=server_repo),
        launch or Launch("npx"),
        graph=graph,
        provenance=None if results is None else tuple(results),
    )


# --- SC02 -----------------------------------------------------------------------------------


def test_missing_fires_on_absent_root_with_the_reason() -> None:
    root = pkg()
    f = make([root], [result(root, A, reason=NOT_PROVIDED)])
    [hit] = hits("provenance_missing", f)
    assert hit.component == root.purl
    assert NOT_PROVIDED in hit.evidence
    assert hit.severity is None  # the rule's medium


def test_missing_is_high_when_policy_requires_provenance() -> None:
    root = pkg()
    f = make([root], [result(root, A, reason=NOT_PROVIDED)])
    [hit] = hits("provenance_missing", f, Policy(require_provenance=True))
    assert hit.severity is Severity.HIGH


@pytest.mark.parametrize("kind", ["npm-provenance", "pep740"])
def test_missing_quiet_when_root_has_verified_build_provenance(kind: str) -> None:
    root, dep = pkg(), pkg("dep")
    f = make([root, dep], [result(root, A, "npm-publish"), result(root, V, kind), result(dep, A)])
    assert hits("provenance_missing", f) == []  # the dependency is not a launched package


def test_registry_signature_alone_is_still_missing() -> None:
    root = pkg()
    f = make([root], [result(root, V, "npm-registry-signature"), result(root, V, "npm-publish")])
    assert len(hits("provenance_missing", f)) == 1


def test_root_without_any_result_is_missing() -> None:
    root = pkg()
    [hit] = hits("provenance_missing", make([root], []))
    assert "no provenance result" in hit.evidence


def test_missing_quiet_when_provenance_was_not_checked() -> None:
    assert hits("provenance_missing", make([pkg()], None)) == []


# --- SC03 / SC12 ----------------------------------------------------------------------------


def test_invalid_fires_on_any_node_with_reason() -> None:
    root, dep = pkg(), pkg("dep")
    f = make(
        [root, dep],
        [
            result(root, V),
            result(dep, BAD, "npm-registry-signature", reason="signature does not verify"),
        ],
    )
    [hit] = hits("provenance_invalid", f)
    assert hit.component == dep.purl
    assert hit.evidence == "signature does not verify"
    assert "dep@1.0.0" in hit.message


def test_invalid_quiet_on_absent_and_integrity_results() -> None:
    root = pkg()
    f = make([root], [result(root, A), result(root, BAD, "integrity", reason="digest differs")])
    assert hits("provenance_invalid", f) == []
    [hit] = hits("integrity_mismatch", f)
    assert hit.evidence == "digest differs"


def test_integrity_quiet_on_other_invalid_kinds() -> None:
    root = pkg()
    f = make([root], [result(root, BAD, "pep740"), result(root, V, "integrity")])
    assert hits("integrity_mismatch", f) == []


# --- SC04 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "declared",
    [
        "git+https://github.com/acme/server.git",
        "https://GitHub.com/Acme/Server",
        "git@github.com:acme/server.git",
        "github:acme/server",
        "git://github.com/acme/server",
        "https://github.com/acme/server/tree/main/packages/server#readme",
        "github.com/acme/server/",
    ],
)
def test_source_match_after_normalisation_is_quiet(declared: str) -> None:
    root = pkg(repository=declared)
    f = make([root], [result(root)], server_repo=declared)
    assert hits("source_mismatch", f) == []


def test_source_mismatch_against_declared_repository() -> None:
    root = pkg(repository="https://github.com/acme/server-impostor")
    [hit] = hits("source_mismatch", make([root], [result(root)]))
    assert "declared repository" in hit.message
    assert REPO in hit.evidence


def test_source_mismatch_against_server_json_only_for_roots() -> None:
    root, dep = pkg(), pkg("dep")
    f = make(
        [root, dep], [result(root), result(dep)], server_repo="https://github.com/other/server"
    )
    [hit] = hits("source_mismatch", f)
    assert hit.component == root.purl
    assert "server.json" in hit.message


def test_source_mismatch_ignores_unverified_results_and_unknown_repos() -> None:
    root = pkg(repository="https://github.com/x/y")
    forged = result(root, BAD, source_repository=REPO)
    assert hits("source_mismatch", make([root], [forged])) == []
    no_repo = pkg(repository=None)
    assert hits("source_mismatch", make([no_repo], [result(no_repo)])) == []


@pytest.mark.parametrize(
    ("patterns", "fires"),
    [
        (("https://github.com/acme/*",), False),
        (("github.com/acme/server",), False),
        (("*/.github/workflows/release.yml@*",), False),
        (("https://github.com/other/*",), True),
        (("https://github.com/acme/serv",), True),
    ],
)
def test_trusted_publishers(patterns: tuple[str, ...], fires: bool) -> None:
    root = pkg()
    found = hits(
        "source_mismatch", make([root], [result(root)]), Policy(trusted_publishers=patterns)
    )
    assert bool(found) is fires
    if fires:
        assert "not a trusted publisher" in found[0].message


def test_trusted_publishers_match_a_signer_without_repository() -> None:
    root = pkg(eco="pypi", repository=None)
    google = result(
        root,
        V,
        "pep740",
        source_repository=None,
        workflow=None,
        signer="919436158236-compute@developer.gserviceaccount.com",
    )
    f = make([root], [google])
    assert hits("source_mismatch", f, Policy(trusted_publishers=("*@developer.*",))) == []
    assert len(hits("source_mismatch", f, Policy(trusted_publishers=("github.com/*",)))) == 1


# --- PX01 -----------------------------------------------------------------------------------


def _proxy_launch(requested: str = "0.1.16") -> Launch:
    ref = npm("mcp-remote", requested, VersionKind.EXACT, role="proxy")
    return Launch("npx", packages=(ref,), proxies=(ProxyHop("mcp-remote", ref, "client"),))


def test_unverified_proxy_fires_without_verified_provenance() -> None:
    proxy = pkg("mcp-remote", "0.1.16")
    f = make(
        [proxy],
        [result(proxy, V, "npm-registry-signature"), result(proxy, A)],
        launch=_proxy_launch(),
    )
    [hit] = hits("unverified_proxy", f)
    assert hit.component == proxy.purl
    assert "mcp-remote@0.1.16" in hit.message


def test_verified_proxy_is_quiet() -> None:
    proxy = pkg("mcp-remote", "0.1.16")
    f = make([proxy], [result(proxy)], launch=_proxy_launch())
    assert hits("unverified_proxy", f) == []


def test_proxy_matched_by_exact_version_not_by_name_alone() -> None:
    old, new = pkg("mcp-remote", "0.1.15"), pkg("mcp-remote", "0.1.16")
    f = make([old, new], [result(old), result(new, A)], roots=2, launch=_proxy_launch())
    [hit] = hits("unverified_proxy", f)
    assert hit.component == new.purl


def test_unresolved_and_binary_proxies_fire() -> None:
    launch = _proxy_launch()
    assert len(hits("unverified_proxy", make([pkg()], [], launch=launch))) == 1
    binary = Launch("binary", proxies=(ProxyHop("mcp-proxy", None, "client"),))
    [hit] = hits("unverified_proxy", make([pkg()], [], launch=binary))
    assert "not a registry package" in hit.message


def test_pypi_proxy_matched_by_normalised_name() -> None:
    proxy = pkg("mcp-proxy", "0.8.0", eco="pypi")
    ref = dataclasses.replace(
        npm("x"), ecosystem="pypi", name="MCP_Proxy", purl="pkg:pypi/mcp-proxy"
    )
    launch = Launch("uvx", packages=(ref,), proxies=(ProxyHop("mcp-proxy", ref, "client"),))
    assert (
        hits("unverified_proxy", make([proxy], [result(proxy, V, "pep740")], launch=launch)) == []
    )


# --- through the engine ---------------------------------------------------------------------


def test_engine_runs_the_provenance_rules() -> None:
    root = pkg(repository="https://github.com/evil/server")
    f = make(
        [root],
        [
            result(root, V),
            result(root, BAD, "integrity", reason="sha mismatch"),
            result(root, BAD, "npm-registry-signature", reason="bad sig"),
        ],
    )
    evaluation = engine().evaluate(
        [f], today=date(2026, 11, 25), available=frozenset({"config", "provenance"})
    )
    ids = sorted(
        {
            x.rule_id
            for x in evaluation.findings
            if x.rule_id in ("SC02", "SC03", "SC04", "SC12", "PX01")
        }
    )
    assert ids == ["SC03", "SC04", "SC12"]


def _proxy_findings(policy: Policy | None = None) -> dict[str, list[Any]]:
    proxy = pkg("mcp-remote", "0.1.16")
    f = make(
        [proxy],
        [result(proxy, V, "npm-registry-signature"), result(proxy, A)],
        launch=_proxy_launch(),
    )
    evaluation = engine(policy).evaluate(
        [f], today=date(2026, 11, 25), available=frozenset({"config", "provenance"})
    )
    found: dict[str, list[Any]] = {}
    for x in evaluation.findings:
        found.setdefault(x.rule_id, []).append(x)
    return found


def test_an_unverified_proxy_is_one_px01_finding_not_px01_and_sc02() -> None:
    found = _proxy_findings()
    [px01] = found["PX01"]
    assert px01.severity is Severity.HIGH
    assert "no verified build provenance; it sees every token" in px01.message
    assert "SC02" not in found


def test_sc02_takes_the_proxy_back_when_the_policy_turns_px01_off() -> None:
    found = _proxy_findings(Policy(rule_overrides=(RuleOverride("PX01", enabled=False),)))
    assert "PX01" not in found
    [sc02] = found["SC02"]
    assert sc02.component == "pkg:npm/mcp-remote@0.1.16"


def test_sc02_still_fires_for_the_server_behind_a_proxy() -> None:
    server, proxy = pkg("server"), pkg("mcp-remote", "0.1.16")
    f = make(
        [server, proxy], [result(server, A), result(proxy, A)], roots=2, launch=_proxy_launch()
    )
    [hit] = hits("provenance_missing", f)
    assert hit.component == server.purl
