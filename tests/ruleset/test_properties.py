"""Properties: the engine never raises, scores stay in range, secrets never leak."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mcpscan.models import (
    Connector,
    ContainerFacts,
    Launch,
    PackageRef,
    ProxyHop,
    Remote,
    SecretArg,
    Sensitive,
    Setting,
    Severity,
    SourceLocation,
    ValueKind,
    VersionKind,
)
from mcpscan.ruleset import ConnectorFacts, Evaluation, Policy, RuleOverride, Waiver

from .builders import CATALOGUE, engine

TODAY = date(2026, 11, 25)
text = st.text(max_size=40)
names = (
    st.sampled_from(
        [
            "GITHUB_PERSONAL_ACCESS_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "API_KEY",
            "Authorization",
            "DEBUG",
            "PATH",
            "KUBECONFIG",
            "",
        ]
    )
    | text
)
option_keys = (
    st.sampled_from(
        [
            "trust",
            "autoApprove",
            "alwaysAllow",
            "GOOSE_MODE",
            "sandboxEnabled",
            "default_tools_approval_mode",
            "includeTools",
        ]
    )
    | text
)
hosts = st.sampled_from(["localhost", "127.0.0.1", "::1", "0.0.0.0", "example.com", ""]) | text


def settings_of(origin: str) -> st.SearchStrategy[Setting]:
    return st.builds(
        Setting,
        name=names,
        value=st.builds(Sensitive, text),
        kind=st.sampled_from(ValueKind),
        origin=st.just(origin),
        secret=st.booleans(),
    )


package_refs = st.builds(
    PackageRef,
    ecosystem=st.sampled_from(["npm", "pypi", "oci", "git", "url"]),
    name=text,
    requested=st.none() | text,
    version_kind=st.sampled_from(VersionKind),
    purl=text,
    spec=text,
    role=st.sampled_from(["server", "proxy", "tool"]),
)
remotes = st.builds(
    Remote,
    display_url=text,
    scheme=st.sampled_from(["http", "https", "ws", "wss", ""]),
    host=hosts,
    port=st.none() | st.integers(0, 65535),
    loopback=st.booleans(),
    transport=st.sampled_from(["http", "sse", "ws"]),
    via=text,
    has_userinfo=st.booleans(),
    secret_query_keys=st.lists(text, max_size=3).map(tuple),
    allow_http=st.booleans(),
)
hops = st.builds(
    ProxyHop,
    kind=text,
    package=st.none() | package_refs,
    mode=text,
    listen_host=st.none() | hosts,
    allow_origin=st.none() | text,
    pass_environment=st.booleans(),
    token_store=st.none() | text,
)
containers = st.builds(
    ContainerFacts,
    image=text,
    privileged=st.booleans(),
    host_network=st.booleans(),
    host_pid=st.booleans(),
    cap_add=st.lists(text, max_size=2).map(tuple),
    mounts=st.lists(
        st.sampled_from(["/", "~", "/var/run/docker.sock", "/home/x/y"]) | text, max_size=3
    ).map(tuple),
    security_opts=st.lists(st.sampled_from(["seccomp=unconfined"]) | text, max_size=2).map(tuple),
    env_literals=st.lists(names, max_size=2).map(tuple),
)
connector_facts = st.builds(
    ConnectorFacts,
    connector=st.builds(
        Connector,
        name=text,
        source=st.builds(
            SourceLocation,
            file=text,
            line=st.integers(1, 10_000),
            client=st.sampled_from(["goose", "vscode", "codex", "cline"]) | text,
        ),
        transport=st.sampled_from(["stdio", "http", "sse"]),
        env=st.lists(settings_of("env"), max_size=3).map(tuple),
        headers=st.lists(settings_of("header"), max_size=2).map(tuple),
        url=st.none() | st.builds(Sensitive, text),
        options=st.lists(
            st.tuples(option_keys, text | st.sampled_from(["true", "auto", "approve"])), max_size=3
        ).map(tuple),
        declared_packages=st.lists(package_refs, max_size=2).map(tuple),
    ),
    launch=st.builds(
        Launch,
        launcher=text,
        packages=st.lists(package_refs, max_size=3).map(tuple),
        proxies=st.lists(hops, max_size=2).map(tuple),
        remotes=st.lists(remotes, max_size=2).map(tuple),
        container=st.none() | containers,
        path_args=st.lists(
            st.sampled_from(["/", "~", "$HOME", "/Users/a", "./x"]) | text, max_size=3
        ).map(tuple),
        secret_args=st.lists(
            st.builds(
                SecretArg, flag=text, index=st.integers(0, 20), value=st.builds(Sensitive, text)
            ),
            max_size=2,
        ).map(tuple),
    ),
)
waivers = st.builds(
    Waiver,
    rule=st.sampled_from(sorted(CATALOGUE.ids)),
    reason=st.just("r"),
    approver=st.just("a"),
    expires=st.dates(TODAY - timedelta(days=30), TODAY + timedelta(30)),
    target=st.sampled_from(["*", "a*", "pkg:npm/*"]) | text,
    advisory=st.none() | text,
)
policies = st.builds(
    Policy,
    fail_on=st.sampled_from(Severity),
    min_score=st.integers(0, 100),
    rule_overrides=st.lists(
        st.builds(
            RuleOverride,
            rule=st.sampled_from(sorted(CATALOGUE.ids)),
            severity=st.none() | st.sampled_from(Severity),
            enabled=st.none() | st.booleans(),
        ),
        max_size=4,
        unique_by=lambda o: o.rule,
    ).map(tuple),
    waivers=st.lists(waivers, max_size=3).map(tuple),
)


def check_invariants(ev: Evaluation, policy: Policy) -> None:
    assert 0 <= ev.score <= 100
    assert ev.verdict in ("pass", "fail")
    for c in ev.connectors:
        assert 0 <= c.score <= 100
        assert c.verdict in ("pass", "fail")
        unwaived = [f for f in c.findings if not f.waived]
        assert c.score == max(0, 100 - sum(f.severity.weight for f in unwaived))
        if any(f.severity >= policy.fail_on for f in unwaived):
            assert c.verdict == "fail"
        if c.verdict == "fail":
            assert ev.verdict == "fail"
    assert ev.score == min((c.score for c in ev.connectors), default=100)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=st.lists(connector_facts, max_size=4), policy=policies)
def test_engine_never_raises_and_scores_stay_in_range(
    facts: list[ConnectorFacts], policy: Policy
) -> None:
    ev = engine(policy).evaluate(facts, today=TODAY)
    check_invariants(ev, policy)
    assert len(ev.connectors) == len(facts)


# --- no secret in any finding --------------------------------------------------------------

CANARY_FORMATS = [
    "ghp_{c}0000000000000000000000",
    "Bearer {c}",
    "sk-proj-{c}",
    "{c}",
    "xoxb-{c}",
    "AKIA{c}",
]


def finding_text(ev: Evaluation) -> str:
    parts = [repr(ev)]
    for f in ev.findings:
        parts += [str(getattr(f, fld.name)) for fld in dataclasses.fields(f)]
        parts += [fw.title for fw in f.frameworks]
    return "\n".join(parts)


@settings(max_examples=100, deadline=None)
@given(
    canary=st.text("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=16, max_size=24),
    fmt=st.sampled_from(CANARY_FORMATS),
    name=names,
    base=connector_facts,
)
def test_no_secret_value_in_any_finding(
    canary: str, fmt: str, name: str, base: ConnectorFacts
) -> None:
    # The canary must only be reachable through Sensitive values (repr hides those).
    assume(canary not in repr(base))
    assume(canary not in name)  # names are shown in findings by design; only values are secret
    secret = Sensitive(fmt.format(c=canary))
    conn = dataclasses.replace(
        base.connector,
        env=(Setting(name, secret, ValueKind.LITERAL, "env", True), *base.connector.env),
        headers=(Setting("Authorization", secret, ValueKind.LITERAL, "header"),),
        url=secret,
    )
    launch = dataclasses.replace(base.launch, secret_args=(SecretArg("--oauth2Bearer", 1, secret),))
    other = ConnectorFacts(dataclasses.replace(conn, name="second"), launch)
    ev = engine().evaluate([ConnectorFacts(conn, launch), other], today=TODAY)
    rules = {f.rule_id for f in ev.findings}
    assert "ID01" in rules
    assert "ID02" in rules
    assert canary not in finding_text(ev)  # ... and never shown
