"""The CycloneDX SBOM: valid for every input, complete for a resolved graph, reproducible,
and free of secrets."""

from __future__ import annotations

import datetime as _dt
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from mcpscan import __version__
from mcpscan.advisories import matching
from mcpscan.models import (
    Advisory,
    AdvisoryHit,
    Connector,
    ConnectorResult,
    Decision,
    Digest,
    Edge,
    Graph,
    Launch,
    PackageFacts,
    PackageRef,
    ProvenanceResult,
    ProvenanceState,
    ProxyHop,
    Remote,
    ResolvedPackage,
    ScanResult,
    Sensitive,
    Setting,
    Severity,
    SourceLocation,
    ValueKind,
    VersionKind,
)
from mcpscan.report import RenderError, get_renderer
from mcpscan.report.cyclonedx import CycloneDxRenderer, connector_ref, render_bom
from mcpscan.ruleset import Engine, Policy, load_catalogue
from mcpscan.scan import Scanner, ScanOptions
from mcpscan.sources import load_targets
from tests.advisories.osv_support import records
from tests.report.conftest import CANARIES, RESULTS

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
EXAMPLE_FILES = sorted(
    p.relative_to(REPO).as_posix()
    for p in EXAMPLES.rglob("*")
    if p.is_file() and p.name not in {"README.md", "mcpscan.toml"}
)
TOKEN = "ghp_GraphCanaryToken0123456789abcdefABCD"

SHA512 = "ab" * 64
SHA256 = "cd" * 32
SHA1 = "ef" * 20


def validate(text: str) -> dict[str, Any]:
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, str(error)
    doc: dict[str, Any] = json.loads(text)
    assert doc["specVersion"] == "1.6"
    return doc


def scan_example(target: str) -> ScanResult:
    loaded = load_targets([target], cwd=REPO)
    scanner = Scanner(Engine(load_catalogue(), Policy()), ScanOptions(today=_dt.date(2026, 1, 15)))
    return scanner.scan([target], loaded)


# -- a resolved graph, built by hand ---------------------------------------------------------


def node(name: str, version: str, **facts: Any) -> ResolvedPackage:
    return ResolvedPackage(
        ecosystem="npm",
        name=name,
        version=version,
        purl=f"pkg:npm/{name.replace('@', '%40')}@{version}",
        decided_by=Decision.RANGE,
        requested="^" + version,
        digests=(Digest("sha512", SHA512), Digest("sha1", SHA1), Digest("sha256", "not-hex")),
        facts=PackageFacts(**facts),
    )


SERVER = node(
    "@acme/mcp-server",
    "1.4.0",
    license="MIT",
    repository=f"git+https://bot:{TOKEN}@github.com/acme/mcp-server.git",
    artifact_url="https://registry.npmjs.org/@acme/mcp-server/-/mcp-server-1.4.0.tgz",
    install_scripts=("postinstall",),
)
LIB = node("left-pad", "1.3.0", license="Apache-2.0 OR MIT")
ODD = node("odd-licence", "0.1.0", license="Some Custom Licence")
PROXY = node("mcp-remote", "0.1.15", license="BSD-3-Clause")
SERVER_REF = PackageRef(
    "npm",
    "@acme/mcp-server",
    "^1.4",
    VersionKind.RANGE,
    "pkg:npm/%40acme/mcp-server",
    spec="@acme/mcp-server@^1.4",
)
PROXY_REF = PackageRef(
    "npm",
    "mcp-remote",
    "0.1.15",
    VersionKind.EXACT,
    "pkg:npm/mcp-remote@0.1.15",
    spec="mcp-remote@0.1.15",
    role="proxy",
)
UNRESOLVED_PROXY = PackageRef(
    "pypi", "mcp-proxy", None, VersionKind.UNSPECIFIED, "pkg:pypi/mcp-proxy", role="proxy"
)
ADVISORY = Advisory(
    id="GHSA-aaaa-bbbb-cccc",
    aliases=("CVE-2025-0001", "GHSA-aaaa-bbbb-cccc"),
    summary="left-pad pads too much",
    severity=Severity.HIGH,
    severity_basis="CVSS:3.1 8.1",
    url="https://github.com/advisories/GHSA-aaaa-bbbb-cccc",
    sources=("osv",),
)
MALWARE = Advisory(id="MAL-2025-1", summary="malicious", malicious=True, sources=("osv",))


@dataclass(frozen=True)
class AdvisedResult(ConnectorResult):
    """A ConnectorResult as the advisories stage will produce it."""

    advisories: tuple[AdvisoryHit, ...] | None = None


def graph_connector(name: str, line: int, *, advisories: bool = False) -> ConnectorResult:
    where = SourceLocation(".mcp.json", line, "claude-code")
    raw_url = f"https://mcp.acme.dev/mcp?key={TOKEN}"
    conn = Connector(
        name=name,
        source=where,
        transport="stdio",
        command="npx",
        args=("-y", "mcp-remote@0.1.15", raw_url),
        env=(Setting("API_TOKEN", Sensitive(TOKEN), ValueKind.LITERAL),),
        url=Sensitive(raw_url),
    )
    launch = Launch(
        launcher="npx",
        packages=(SERVER_REF, PROXY_REF),
        proxies=(
            ProxyHop(kind="mcp-remote", package=PROXY_REF, mode="client"),
            ProxyHop(
                kind="mcp-proxy", package=UNRESOLVED_PROXY, mode="client", flags=("--headers",)
            ),
        ),
        remotes=(
            Remote(
                display_url="https://mcp.acme.dev/mcp?key=***",
                scheme="https",
                host="mcp.acme.dev",
                port=None,
                loopback=False,
                transport="http",
                via="mcp-remote",
                secret_query_keys=("key",),
            ),
            Remote(
                display_url="http://127.0.0.1:8080/sse",
                scheme="http",
                host="127.0.0.1",
                port=8080,
                loopback=True,
                transport="sse",
            ),
        ),
    )
    graph = Graph(
        roots=(SERVER.purl, PROXY.purl),
        nodes=(SERVER, LIB, ODD, PROXY),
        edges=(
            Edge(SERVER.purl, LIB.purl, "^1.3.0"),
            Edge(SERVER.purl, ODD.purl, "~0.1"),
            Edge(SERVER.purl, "pkg:npm/not-a-node@1.0.0", "^1"),
        ),
    )
    if not advisories:
        return ConnectorResult(conn, launch, (), 80, "pass", graph=graph)
    hits = (
        AdvisoryHit(ADVISORY, "npm", "left-pad", "1.3.0", purl=LIB.purl, fixed=("1.3.1",)),
        AdvisoryHit(MALWARE, "npm", "odd-licence", None),
    )
    return AdvisedResult(conn, launch, (), 40, "fail", graph=graph, advisories=hits)


def graph_result(*, advisories: bool = False) -> ScanResult:
    return ScanResult(
        targets=(".mcp.json",),
        connectors=(
            graph_connector("acme", 3, advisories=advisories),
            graph_connector("acme-again", 9),
        ),
        diagnostics=(),
        checks_not_run=(),
        verdict="pass",
        score=80,
        fail_on=Severity.HIGH,
        min_score=70,
    )


def by_ref(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["bom-ref"]: item for item in items}


def props(item: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in item.get("properties", []):
        out.setdefault(p["name"], []).append(p["value"])
    return out


def deps(doc: dict[str, Any]) -> dict[str, set[str]]:
    return {d["ref"]: set(d.get("dependsOn", [])) for d in doc["dependencies"]}


# -- validity --------------------------------------------------------------------------------


@pytest.mark.parametrize("target", EXAMPLE_FILES)
def test_every_example_gives_a_valid_sbom(target: str) -> None:
    result = scan_example(target)
    doc = validate(render_bom(result))
    apps = [c for c in doc.get("components", []) if c["type"] == "application"]
    expected = sorted(connector_ref(cr) for cr in result.connectors)
    assert sorted(c["bom-ref"] for c in apps) == expected
    refs = (
        {c["bom-ref"] for c in doc.get("components", [])}
        | {s["bom-ref"] for s in doc.get("services", [])}
        | {"mcpscan:scan"}
    )
    for parent, children in deps(doc).items():
        assert parent in refs
        assert children <= refs
    # Every launcher package of every connector is in the SBOM, resolved or not.
    purls = {c.get("purl") for c in doc.get("components", [])}
    for cr in result.connectors:
        for pkg in cr.launch.packages:
            assert pkg.purl in purls


def test_all_examples_at_once_give_a_valid_sbom() -> None:
    result = scan_example("examples")
    assert result.connectors
    validate(render_bom(result, reproducible=True))


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_hand_built_results_give_valid_sboms(name: str) -> None:
    validate(render_bom(RESULTS[name]()))


def test_registered_as_a_format() -> None:
    renderer = get_renderer("cyclonedx")
    assert isinstance(renderer, CycloneDxRenderer)
    assert renderer.name == "cyclonedx"
    assert renderer.reproducible is False
    validate(renderer.render(graph_result()))


def test_an_invalid_document_is_an_error_not_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    from cyclonedx.output.json import JsonV1Dot6

    bad = {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"name": "x"}]}
    monkeypatch.setattr(JsonV1Dot6, "output_as_string", lambda self, **kw: json.dumps(bad))
    with pytest.raises(RenderError, match=r"failed its schema at components/0"):
        CycloneDxRenderer().render(graph_result())


# -- contents --------------------------------------------------------------------------------


def test_resolved_packages_are_deduplicated_library_components() -> None:
    doc = validate(render_bom(graph_result()))
    comps = by_ref(doc["components"])
    libs = {r for r, c in comps.items() if c["type"] == "library"}
    # Two connectors share one graph: each package once, plus the unresolved proxy.
    assert libs == {SERVER.purl, LIB.purl, ODD.purl, PROXY.purl, UNRESOLVED_PROXY.purl}
    server = comps[SERVER.purl]
    assert (server["group"], server["name"], server["version"]) == ("@acme", "mcp-server", "1.4.0")
    assert server["purl"] == SERVER.purl
    # Malformed digests are dropped rather than failing the schema.
    assert {(h["alg"], h["content"]) for h in server["hashes"]} == {
        ("SHA-512", SHA512),
        ("SHA-1", SHA1),
    }
    assert server["licenses"] == [{"license": {"id": "MIT"}}]
    assert comps[LIB.purl]["licenses"] == [{"expression": "Apache-2.0 OR MIT"}]
    assert comps[ODD.purl]["licenses"] == [{"license": {"name": "Some Custom Licence"}}]
    refs = {(e["type"], e["url"]) for e in server["externalReferences"]}
    assert ("distribution", SERVER.facts.artifact_url) in refs
    vcs = next(url for kind, url in refs if kind == "vcs")
    assert vcs.startswith("git+https://github.com/acme/mcp-server")  # no user-info
    p = props(server)
    assert p["mcpscan:provenance"] == ["not-checked"]
    assert p["mcpscan:decided-by"] == ["range"]
    assert p["mcpscan:install-script"] == ["postinstall"]
    unresolved = props(comps[UNRESOLVED_PROXY.purl])
    assert unresolved["mcpscan:resolved"] == ["false"]
    assert unresolved["mcpscan:role"] == ["proxy"]


def test_dependency_graph_and_connector_applications() -> None:
    result = graph_result()
    doc = validate(render_bom(result))
    graph = deps(doc)
    assert graph[SERVER.purl] == {LIB.purl, ODD.purl}  # the dangling edge is dropped
    assert graph[LIB.purl] == set()
    acme = connector_ref(result.connectors[0])
    assert acme == "connector:acme@.mcp.json:3"
    app = by_ref(doc["components"])[acme]
    assert (app["type"], app["name"]) == ("application", "acme")
    assert props(app)["mcpscan:source-line"] == ["3"]
    assert props(app)["mcpscan:proxy"] == ["mcp-proxy", "mcp-remote"]
    services = [f"service:acme@.mcp.json:3#{i}" for i in (0, 1)]
    # Launcher root, resolved proxy (the same purl as its root), unresolved proxy, services.
    assert graph[acme] == {SERVER.purl, PROXY.purl, UNRESOLVED_PROXY.purl, *services}
    assert graph["mcpscan:scan"] == {acme, "connector:acme-again@.mcp.json:9"}
    assert doc["metadata"]["component"]["bom-ref"] == "mcpscan:scan"


def test_remotes_are_services_without_credentials() -> None:
    doc = validate(render_bom(graph_result()))
    services = by_ref(doc["services"])
    remote = services["service:acme@.mcp.json:3#0"]
    assert remote["endpoints"] == ["https://mcp.acme.dev/mcp?key=***"]
    assert remote["authenticated"] is True
    assert remote["x-trust-boundary"] is True
    assert props(remote)["mcpscan:transport"] == ["http"]
    assert props(remote)["mcpscan:via"] == ["mcp-remote"]
    local = services["service:acme@.mcp.json:3#1"]
    assert local["x-trust-boundary"] is False
    assert props(local)["mcpscan:transport"] == ["sse"]


def test_authenticated_only_with_credentials() -> None:
    cr = graph_connector("plain", 3)
    bare_remote = replace(cr.launch.remotes[1], via="config")
    launch = replace(cr.launch, proxies=(), remotes=(bare_remote,))
    conn = replace(cr.connector, env=())
    result = replace(graph_result(), connectors=(replace(cr, connector=conn, launch=launch),))
    (service,) = validate(render_bom(result))["services"]
    assert service["authenticated"] is False
    with_header = replace(
        conn,
        headers=(Setting("Authorization", Sensitive(TOKEN), ValueKind.LITERAL, origin="header"),),
    )
    result = replace(result, connectors=(replace(cr, connector=with_header, launch=launch),))
    (service,) = validate(render_bom(result))["services"]
    assert service["authenticated"] is True


def test_tool_metadata() -> None:
    doc = validate(render_bom(graph_result()))
    (tool,) = doc["metadata"]["tools"]["components"]
    assert (tool["type"], tool["name"], tool["version"]) == ("application", "mcpscan", __version__)
    assert list(doc)[:3] == ["$schema", "bomFormat", "specVersion"]


def test_advisories_become_vulnerabilities() -> None:
    doc = validate(render_bom(graph_result(advisories=True)))
    vulns = {v["id"]: v for v in doc["vulnerabilities"]}
    assert set(vulns) == {"GHSA-aaaa-bbbb-cccc", "MAL-2025-1"}
    ghsa = vulns["GHSA-aaaa-bbbb-cccc"]
    assert ghsa["affects"] == [{"ref": LIB.purl}]
    assert ghsa["ratings"] == [{"severity": "high"}]
    assert ghsa["source"]["url"] == "https://github.com/advisories/GHSA-aaaa-bbbb-cccc"
    assert [r["id"] for r in ghsa["references"]] == ["CVE-2025-0001"]
    assert "left-pad 1.3.1" in ghsa["recommendation"]
    mal = vulns["MAL-2025-1"]
    # No purl in the hit: matched by package name.
    assert mal["affects"] == [{"ref": ODD.purl}]
    assert mal["cwes"] == [506]
    assert mal["ratings"] == [{"severity": "unknown"}]


def test_no_advisory_data_no_vulnerabilities() -> None:
    assert "vulnerabilities" not in validate(render_bom(graph_result()))


# -- reproducibility and secrets -----------------------------------------------------------


@pytest.mark.parametrize("build", [graph_result, RESULTS["fail"], lambda: scan_example("examples")])
def test_reproducible_output_is_byte_identical(build: Any) -> None:
    first = CycloneDxRenderer(reproducible=True).render(build())
    second = CycloneDxRenderer(reproducible=True).render(build())
    assert first == second
    doc = validate(first)
    assert "serialNumber" not in doc
    assert "timestamp" not in doc["metadata"]


def test_default_output_has_serial_number_and_timestamp() -> None:
    first = validate(CycloneDxRenderer().render(graph_result()))
    second = validate(CycloneDxRenderer().render(graph_result()))
    assert first["serialNumber"].startswith("urn:uuid:")
    assert first["serialNumber"] != second["serialNumber"]
    assert "timestamp" in first["metadata"]


def test_no_secret_reaches_the_sbom() -> None:
    builds: list[Callable[[], ScanResult]] = [
        *RESULTS.values(),
        graph_result,
        lambda: graph_result(advisories=True),
    ]
    for build in builds:
        text = render_bom(build())
        for canary in (*CANARIES, TOKEN):
            assert canary not in text


@pytest.mark.parametrize("target", EXAMPLE_FILES)
def test_no_example_secret_reaches_the_sbom(target: str) -> None:
    from mcpscan.scan import redactor_for

    loaded = load_targets([target], cwd=REPO)
    result = scan_example(target)
    redactor = redactor_for(loaded, [cr.launch for cr in result.connectors])
    text = render_bom(result)
    assert redactor.scrub(text) == text


def test_large_graph_is_complete() -> None:
    nodes = tuple(node(f"pkg{i}", "1.0.0") for i in range(400))
    edges = tuple(
        Edge(nodes[i].purl, nodes[j].purl, "^1")
        for i in range(len(nodes))
        for j in (2 * i + 1, 2 * i + 2)
        if j < len(nodes)
    )
    cr = replace(
        graph_connector("big", 3), graph=Graph(roots=(nodes[0].purl,), nodes=nodes, edges=edges)
    )
    doc = validate(render_bom(replace(graph_result(), connectors=(cr,))))
    graph = deps(doc)
    assert sum(len(children) for children in graph.values()) >= len(edges)
    assert graph[nodes[0].purl] == {nodes[1].purl, nodes[2].purl}
    assert graph[nodes[199].purl] == {nodes[399].purl}


def test_importing_the_renderer_loads_no_cyclonedx() -> None:
    code = "import sys, mcpscan.report.cyclonedx; print('cyclonedx' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert out.stdout.strip() == "False"


def test_the_fast_uniqueness_check_still_rejects_duplicates() -> None:
    from mcpscan.report.cyclonedx import _schema_validator

    doc = json.loads(render_bom(graph_result(), reproducible=True))
    assert next(_schema_validator().iter_errors(doc), None) is None
    doc["components"].append(doc["components"][0])
    error = next(_schema_validator().iter_errors(doc))
    assert list(error.absolute_path) == ["components"]
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc)) is not None


def test_unparsable_endpoint_is_kept_as_a_property() -> None:
    cr = graph_connector("templated", 3)
    odd = replace(cr.launch.remotes[1], display_url="${API_BASE:-https://api.example.com}/mcp")
    result = replace(
        graph_result(), connectors=(replace(cr, launch=replace(cr.launch, remotes=(odd,))),)
    )
    (service,) = validate(render_bom(result))["services"]
    assert "endpoints" not in service
    assert props(service)["mcpscan:endpoint"] == ["${API_BASE:-https://api.example.com}/mcp"]


def test_image_attestations_are_identity_evidence() -> None:
    """A verified signature and SBOM attestation of an image are CycloneDX identity evidence
    (technique "attestation"), with the predicate type and signer as properties; SBOM
    children carry decided-by sbom."""
    digest = "sha256:" + SHA256
    image = ResolvedPackage(
        "oci",
        "ghcr.io/acme/server",
        digest,
        f"pkg:oci/server@sha256%3A{SHA256}?repository_url=ghcr.io/acme/server",
        Decision.PINNED,
    )
    inside = ResolvedPackage(
        "npm", "left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0", Decision.SBOM, "listed by the SBOM"
    )
    proofs = (
        ProvenanceResult(
            image.purl,
            "oci-signature",
            ProvenanceState.VERIFIED,
            "cosign signature verified",
            signer="https://github.com/acme/server/.github/workflows/release.yml@refs/tags/v1",
            issuer="https://token.actions.githubusercontent.com",
        ),
        ProvenanceResult(
            image.purl,
            "oci-sbom",
            ProvenanceState.VERIFIED,
            "SBOM verified",
            signer="cosign key cosign.pub",
            predicate_type="https://spdx.dev/Document",
        ),
        ProvenanceResult(image.purl, "oci-provenance", ProvenanceState.ABSENT, "none"),
    )
    conn = Connector(
        name="img", source=SourceLocation(".mcp.json", 2, "claude-code"), transport="stdio"
    )
    result = replace(
        graph_result(),
        connectors=(
            ConnectorResult(
                conn,
                Launch("docker"),
                (),
                100,
                "pass",
                graph=Graph(
                    roots=(image.purl,),
                    nodes=(image, inside),
                    edges=(Edge(image.purl, inside.purl, "sbom"),),
                ),
                provenance=proofs,
            ),
        ),
    )
    doc = validate(render_bom(result))
    components = by_ref(doc["components"])
    methods = components[image.purl]["evidence"]["identity"][0]["methods"]
    assert [m["technique"] for m in methods] == ["attestation", "attestation"]
    values = sorted(m["value"] for m in methods)
    assert values[0].startswith("oci-sbom https://spdx.dev/Document signed by cosign key")
    assert values[1].startswith("oci-signature signed by https://github.com/acme/server/")
    found = props(components[image.purl])
    assert found["mcpscan:provenance"] == ["verified"]
    assert found["mcpscan:provenance:oci-sbom:predicate-type"] == ["https://spdx.dev/Document"]
    assert props(components[inside.purl])["mcpscan:decided-by"] == ["sbom"]
    assert "evidence" not in components[inside.purl]


def test_ratings_carry_the_cvss_method_score_and_vector_of_real_records() -> None:
    # Real recorded OSV records: CVE-2025-6514 (CVSS 3.1, 9.6) and CVE-2025-53365 (CVSS 4.0).
    recorded = records()
    real = [
        matching.advisory(recorded[ident], source="OSV (offline)")
        for ident in ("GHSA-6xpm-ggf7-wc3p", "GHSA-j975-95f5-7wqh")
    ]
    result = graph_result(advisories=True)
    [index] = [i for i, cr in enumerate(result.connectors) if getattr(cr, "advisories", None)]
    hits = tuple(AdvisoryHit(a, "npm", "left-pad", "1.3.0", purl=LIB.purl) for a in real)
    connectors = list(result.connectors)
    connectors[index] = replace(connectors[index], advisories=hits)
    doc = validate(render_bom(replace(result, connectors=tuple(connectors))))
    vulns = {v["id"]: v for v in doc["vulnerabilities"]}
    assert vulns["GHSA-6xpm-ggf7-wc3p"]["ratings"] == [
        {
            "score": 9.6,
            "severity": "critical",
            "method": "CVSSv31",
            # cyclonedx-python-lib writes the vector without its "CVSS:3.1/" prefix: the
            # method names the version.
            "vector": "AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H",
        }
    ]
    [v4] = vulns["GHSA-j975-95f5-7wqh"]["ratings"]
    assert (v4["score"], v4["severity"], v4["method"]) == (8.7, "high", "CVSSv4")
    assert "CVSS:4.0/" + v4["vector"] == recorded["GHSA-j975-95f5-7wqh"]["severity"][0]["score"]
