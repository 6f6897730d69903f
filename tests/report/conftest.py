"""ScanResults built by hand, so the report tests depend on no parser or rule engine."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mcpscan.coverage import Stages, done, ledger_for, not_run
from mcpscan.models import (
    CheckFamily,
    Connector,
    ConnectorResult,
    ContainerFacts,
    CoverageLedger,
    Diagnostic,
    Finding,
    Framework,
    GapCause,
    Launch,
    PackageRef,
    ProxyHop,
    Remote,
    ScanResult,
    SecretArg,
    Sensitive,
    Setting,
    Severity,
    SourceLocation,
    ValueKind,
    VersionKind,
)

# Values that must never reach any report. Each is distinctive so a substring search for it
# cannot match ordinary report text by accident.
CANARY_ENV = "ghp_CanaryEnvValue0123456789abcdefABCDEF99"
CANARY_HEADER = "Bearer sk-ant-CanaryHeaderValue-0123456789"
CANARY_URL_PASSWORD = "CanaryUrlPassw0rd"
CANARY_URL_QUERY = "CanaryQueryTok3n"
CANARY_ARG = "xoxb-CanaryArgValue-0123456789"
CANARY_SPEC_TOKEN = "CanarySpecTok3n"
CANARY_INDIRECTION = "${env:CANARY_INDIRECT_NAME}"
CANARIES = (
    CANARY_ENV,
    CANARY_HEADER,
    "sk-ant-CanaryHeaderValue",
    CANARY_URL_PASSWORD,
    CANARY_URL_QUERY,
    CANARY_ARG,
    CANARY_SPEC_TOKEN,
    CANARY_INDIRECTION,
)

ASI04 = Framework("OWASP-ASI", "ASI04", "Agentic Supply Chain Vulnerabilities", "2026")
MCP04 = Framework("OWASP-MCP", "MCP04", "Software Supply Chain Attacks", "2025-beta")


def loc(file: str, line: int, client: str = "claude-code") -> SourceLocation:
    return SourceLocation(
        file=file, line=line, client=client, key=f"/mcpServers/{line}", scope="project"
    )


def finding(
    rule_id: str,
    slug: str,
    severity: Severity,
    connector: str,
    where: SourceLocation,
    *,
    waived_by: str | None = None,
    component: str | None = None,
) -> Finding:
    return Finding(
        rule_id=rule_id,
        slug=slug,
        severity=severity,
        message=f"{slug} in {connector}",
        connector=connector,
        location=where,
        evidence=f"evidence for {rule_id}",
        component=component,
        frameworks=(ASI04, MCP04),
        remediation=f"fix {slug}",
        waived_by=waived_by,
    )


def github_connector() -> ConnectorResult:
    where = loc(".mcp.json", 3)
    pkg = PackageRef(
        ecosystem="npm",
        name="@modelcontextprotocol/server-github",
        requested=None,
        version_kind=VersionKind.UNSPECIFIED,
        purl="pkg:npm/%40modelcontextprotocol/server-github",
        spec="@modelcontextprotocol/server-github",
    )
    conn = Connector(
        name="github",
        source=where,
        transport="stdio",
        command="/usr/local/bin/npx",
        args=("-y", "@modelcontextprotocol/server-github", "--token", CANARY_ARG),
        env=(
            Setting("GITHUB_PERSONAL_ACCESS_TOKEN", Sensitive(CANARY_ENV), ValueKind.LITERAL),
            Setting("GITHUB_HOST", Sensitive(CANARY_INDIRECTION), ValueKind.INDIRECTION),
            Setting("EMPTY_ONE", Sensitive(""), ValueKind.EMPTY),
        ),
        options=(("autoApprove", "read_file"),),
    )
    launch = Launch(
        launcher="npx",
        packages=(pkg,),
        auto_install=True,
        secret_args=(SecretArg("--token", 3, Sensitive(CANARY_ARG)),),
    )
    findings = (
        finding(
            "SC08",
            "fresh-release",
            Severity.MEDIUM,
            "github",
            where,
            waived_by="waiver-7: vendor release reviewed",
            component=pkg.purl,
        ),
        finding("ID01", "literal-secret", Severity.HIGH, "github", where),
        finding("SC01", "unpinned-launch", Severity.HIGH, "github", where, component=pkg.purl),
    )
    ledger = ledger_for(
        launch,
        Stages(resolution=True, advisories=True, provenance=True, inspection=True),
        advisories=(),
        content=(),
    )
    return ConnectorResult(conn, launch, findings, score=50, verdict="fail", coverage=ledger)


def linear_connector() -> ConnectorResult:
    where = loc("claude_desktop_config.json", 12, client="claude-desktop")
    proxy_pkg = PackageRef(
        ecosystem="npm",
        name="mcp-remote",
        requested="0.1.15",
        version_kind=VersionKind.EXACT,
        purl="pkg:npm/mcp-remote@0.1.15",
        spec="mcp-remote@0.1.15",
        role="proxy",
    )
    tarball = PackageRef(
        ecosystem="url",
        name="helper",
        requested=f"https://bot:{CANARY_SPEC_TOKEN}@example.com/helper.tgz",
        version_kind=VersionKind.URL,
        purl="pkg:generic/helper",
        spec=f"https://bot:{CANARY_SPEC_TOKEN}@example.com/helper.tgz?sig={CANARY_SPEC_TOKEN}",
        role="tool",
    )
    raw_url = f"https://user:{CANARY_URL_PASSWORD}@mcp.linear.app/sse?token={CANARY_URL_QUERY}"
    conn = Connector(
        name="linear",
        source=where,
        transport="stdio",
        command="npx",
        args=("-y", "mcp-remote@0.1.15", raw_url, "--header", f"Authorization:{CANARY_HEADER}"),
        headers=(
            Setting(
                "Authorization",
                Sensitive(CANARY_HEADER),
                ValueKind.LITERAL,
                origin="header",
                secret=True,
            ),
        ),
        url=Sensitive(raw_url),
    )
    launch = Launch(
        launcher="npx",
        packages=(proxy_pkg, tarball),
        proxies=(
            ProxyHop(
                kind="mcp-remote",
                package=proxy_pkg,
                mode="client",
                flags=("--header",),
                token_store="~/.mcp-auth",
            ),
        ),
        remotes=(
            Remote(
                display_url="https://mcp.linear.app/sse?token=***",
                scheme="https",
                host="mcp.linear.app",
                port=None,
                loopback=False,
                transport="sse",
                via="mcp-remote",
                has_userinfo=True,
                secret_query_keys=("token",),
            ),
        ),
        auto_install=True,
        notes=(f"could not read {raw_url}",),
    )
    findings = (
        finding(
            "SC05",
            "known-vulnerability",
            Severity.CRITICAL,
            "linear",
            where,
            component=proxy_pkg.purl,
        ),
        finding("PX04", "proxy-token-store", Severity.LOW, "linear", where),
    )
    # The user turned advisories off: a gap every report must show.
    ledger = CoverageLedger(
        tuple(
            not_run(family, GapCause.DISABLED, "disabled by the user (--no-advisories)")
            if family is CheckFamily.ADVISORIES
            else done(family, "checked")
            for family in CheckFamily
        )
    )
    return ConnectorResult(conn, launch, findings, score=47, verdict="fail", coverage=ledger)


def docker_connector() -> ConnectorResult:
    where = loc(".vscode/mcp.json", 20, client="vscode")
    image = PackageRef(
        ecosystem="oci",
        name="ghcr.io/github/github-mcp-server",
        requested="sha256:" + "a" * 64,
        version_kind=VersionKind.DIGEST,
        purl="pkg:oci/github-mcp-server@sha256%3A" + "a" * 64,
        spec="ghcr.io/github/github-mcp-server@sha256:" + "a" * 64,
    )
    conn = Connector(
        name="gh-docker",
        source=where,
        transport="stdio",
        command="docker",
        args=("run", "-i", "--rm", image.spec),
        enabled=False,
    )
    launch = Launch(
        launcher="docker",
        packages=(image,),
        container=ContainerFacts(
            image=image.spec,
            privileged=True,
            mounts=("/",),
            cap_add=("SYS_ADMIN",),
            env_literals=("GITHUB_TOKEN",),
        ),
    )
    return ConnectorResult(conn, launch, (), score=100, verdict="pass")


def fail_result() -> ScanResult:
    return ScanResult(
        targets=(".mcp.json", "claude_desktop_config.json", ".vscode/mcp.json"),
        connectors=(github_connector(), linear_connector(), docker_connector()),
        diagnostics=(
            Diagnostic(".vscode/mcp.json", 7, "entry 'broken' has neither command nor url"),
            Diagnostic("bad.json", None, "not JSON", fatal=True),
        ),
        checks_not_run=("provenance (SC02, SC03): --offline and no cached attestations",),
        verdict="fail",
        score=47,
        fail_on=Severity.HIGH,
        min_score=70,
        expired_waivers=("waiver-3 (SC01 on slack, expired 2025-01-01)",),
        unused_waivers=("waiver-9 (SC10 on notion)",),
        incomplete=True,
    )


def pass_result() -> ScanResult:
    return ScanResult(
        targets=(".vscode/mcp.json",),
        connectors=(docker_connector(),),
        diagnostics=(),
        checks_not_run=(),
        verdict="pass",
        score=100,
        fail_on=Severity.HIGH,
        min_score=70,
    )


def empty_result() -> ScanResult:
    return ScanResult(
        targets=(),
        connectors=(),
        diagnostics=(),
        checks_not_run=(),
        verdict="pass",
        score=100,
        fail_on=Severity.CRITICAL,
        min_score=0,
    )


RESULTS = {"empty": empty_result, "pass": pass_result, "fail": fail_result}


@pytest.fixture(params=sorted(RESULTS))
def any_result(request: pytest.FixtureRequest) -> ScanResult:
    return RESULTS[request.param]()


@pytest.fixture
def failing() -> ScanResult:
    return fail_result()


@pytest.fixture
def passing() -> ScanResult:
    return pass_result()


@pytest.fixture
def empty() -> ScanResult:
    return empty_result()


@pytest.fixture
def canaries() -> tuple[str, ...]:
    return CANARIES


@pytest.fixture
def builders() -> dict[str, Callable[[], ScanResult]]:
    """The result builders themselves, for tests that need two equal but distinct results."""
    return RESULTS
