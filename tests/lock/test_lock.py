"""Approve, then compare: each kind of drift is detected and named; secrets never leak."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

import pytest

from mcpscan.lock import (
    Lock,
    LockError,
    approval_facts,
    approve,
    find_lock,
    load_lock,
    save_lock,
)
from mcpscan.lock.store import dumps
from mcpscan.models import ConnectorResult, Graph, ProvenanceResult, ScanResult
from mcpscan.ruleset import ConnectorFacts, Engine, Policy, load_catalogue
from tests.lock.support import (
    DIGEST,
    PKG,
    REPO,
    TODAY,
    fake_run_scan,
    graph,
    provenance,
    server,
    with_facts,
    write_config,
)

LOCK_FACTS = frozenset({"config", "lock"})


def scan(
    cwd: Path,
    servers: Mapping[str, object],
    g: Graph | None = None,
    p: tuple[ProvenanceResult, ...] | None = None,
) -> ScanResult:
    config = write_config(cwd, servers)
    return fake_run_scan(cwd, with_facts(g, p))([str(config)])


def approved_lock(tmp_path: Path, result: ScanResult) -> Lock:
    lock = approve(
        Lock(path=str(tmp_path / "mcpscan.lock")),
        result.connectors,
        owner="platform",
        approver="sec-team",
        note="reviewed",
        today=TODAY,
    )
    save_lock(lock, tmp_path / "mcpscan.lock")
    return load_lock(tmp_path / "mcpscan.lock")


def gv_findings(lock: Lock | None, result: ScanResult, policy: Policy | None = None) -> list[str]:
    """Rule id and message of every GV01/GV02 finding the engine reports."""
    facts = [
        ConnectorFacts(
            connector=c.connector,
            launch=c.launch,
            graph=c.graph,
            provenance=c.provenance,
            approval=approval_facts(
                lock,
                c.connector,
                c.launch,
                c.graph,
                c.provenance,
                base_dir=Path(result.targets[0]).parent,
            ),
        )
        for c in result.connectors
    ]
    evaluation = Engine(load_catalogue(), policy or Policy()).evaluate(
        facts, today=TODAY, available=LOCK_FACTS
    )
    return [
        f"{f.rule_id} {f.message} | {f.evidence}"
        for f in evaluation.findings
        if f.rule_id in ("GV01", "GV02")
    ]


def test_approve_then_scan_is_clean(tmp_path: Path) -> None:
    first = scan(tmp_path, {"memory": server()}, graph(), provenance())
    lock = approved_lock(tmp_path, first)
    again = scan(tmp_path, {"memory": server()}, graph(), provenance())
    assert gv_findings(lock, again) == []
    (entry,) = lock.entries
    assert (entry.client, entry.file, entry.name) == ("claude-code", ".mcp.json", "memory")
    assert (entry.owner, entry.approver, entry.note, entry.approved) == (
        "platform",
        "sec-team",
        "reviewed",
        TODAY,
    )
    (pkg,) = entry.packages
    assert pkg.version == "2025.8.4"
    assert pkg.digests == (f"sha512:{DIGEST}",)
    assert pkg.maintainers == ("alice", "bob")
    assert pkg.provenance_repository == REPO


# The approved config names a range, so a new release changes what runs without any edit
# to the config: the rug-pull case the lock exists for.
RANGE = "^2025.8.0"
DRIFTS = {
    "version bump": (
        {"memory": server(RANGE)},
        graph("2025.9.0"),
        provenance("2025.9.0"),
        "version",
        "2025.8.4 -> 2025.9.0",
    ),
    "new arg": (
        {"memory": server(RANGE, extra_args=("--allow-write",))},
        graph(),
        provenance(),
        "args",
        "--allow-write",
    ),
    "new env name": (
        {"memory": server(RANGE, env={"EXTRA_TOKEN": "ghp_" + "x" * 36})},
        graph(),
        provenance(),
        "env",
        "+EXTRA_TOKEN",
    ),
    "digest change": (
        {"memory": server(RANGE)},
        graph(digest="cd" * 64),
        provenance(),
        "digest",
        "sha512:" + "cd" * 64,
    ),
    "maintainer change": (
        {"memory": server(RANGE)},
        graph(maintainers=("alice", "mallory")),
        provenance(),
        "maintainers",
        "+mallory -bob",
    ),
    "provenance identity change": (
        {"memory": server(RANGE)},
        graph(),
        provenance(repo="https://github.com/evil/fork"),
        "provenance",
        "https://github.com/evil/fork",
    ),
}


@pytest.mark.parametrize("case", sorted(DRIFTS))
def test_each_kind_of_drift_is_detected_and_named(tmp_path: Path, case: str) -> None:
    approved = scan(tmp_path, {"memory": server(RANGE)}, graph(), provenance())
    lock = approved_lock(tmp_path, approved)
    servers, g, p, kind, detail = DRIFTS[case]
    result = scan(tmp_path, servers, g, p)

    facts = approval_facts(lock, result.connectors[0].connector, result.connectors[0].launch, g, p)
    assert [c.kind for c in facts.changes] == [kind]
    assert detail in facts.changes[0].describe()

    (finding,) = gv_findings(lock, result)
    assert finding.startswith("GV02 memory changed since it was approved: " + kind)
    assert detail in finding
    assert "approved by sec-team on 2026-11-25" in finding


def test_drift_never_shows_a_secret_value(tmp_path: Path) -> None:
    secret = "ghp_" + "s" * 36
    lock = approved_lock(tmp_path, scan(tmp_path, {"memory": server()}, graph()))
    result = scan(
        tmp_path,
        {"memory": server(extra_args=("--token", secret), env={"GITHUB_TOKEN": secret})},
        graph(),
    )
    (finding,) = gv_findings(lock, result)
    assert secret not in finding
    assert "<redacted" in finding


def test_lock_never_holds_a_secret_value(tmp_path: Path) -> None:
    token = "ghp_" + "t" * 36
    servers = {
        "memory": server(extra_args=("--token", token), env={"GITHUB_TOKEN": token}),
        "docker": {
            "command": "docker",
            "args": [
                "run",
                "-e",
                "API_TOKEN=opaque-value-1234",
                "--api-key=s3cr3t-v4lue",
                "mcp/x:1.0",
            ],
        },
        "remote": {
            "type": "http",
            "url": f"https://mcp.example.com/mcp?api_key={token}",
            "headers": {"Authorization": f"Bearer {token}"},
        },
    }
    lock = approved_lock(tmp_path, scan(tmp_path, servers))
    text = (tmp_path / "mcpscan.lock").read_text(encoding="utf-8")
    assert token not in text
    assert "opaque-value-1234" not in text
    assert "s3cr3t-v4lue" not in text
    assert '"API_TOKEN=<redacted' in text
    assert "GITHUB_TOKEN" in text
    assert "Authorization" in text
    remote = next(e for e in lock.entries if e.name == "remote")
    assert remote.config.url is not None
    assert remote.config.url.startswith("https://mcp.example.com/mcp?api_key=<redacted sha256:")


# The forms of issue 11 that used to reach the lock in clear: a header line in one argument,
# URL user-info inside a flag value or a bare argument, a proxy's inner command string.
ISSUE_11 = {
    "header": [
        "-y",
        "mcp-remote@0.1.29",
        "https://h.example.com/mcp",
        "--header=Authorization: Bearer {c}",
    ],
    "registry": ["--registry=https://user:{c}@npm.corp/", "-y", "s@1.0.0"],
    "index": ["--index-url=https://user:{c}@pypi.corp/simple", "s==1.0"],
    "db": ["-y", "s@1.0.0", "--db=postgres://u:{c}@host/db"],
    "bare": ["-y", "s@1.0.0", "postgresql://admin:{c}@db:5432/app"],
    "stdio": ["-y", "supergateway@3.4.0", "--stdio", "npx -y pkg@1.0.0 --api-key {c}"],
    "command": ["-y", "s@1.0.0"],
}


def _issue_11_servers(canary: str) -> dict[str, object]:
    servers: dict[str, object] = {
        name: {
            "command": "uvx" if name == "index" else "npx",
            "args": [a.format(c=canary) for a in args],
        }
        for name, args in ISSUE_11.items()
    }
    servers["command"] = {"command": f"env API_TOKEN={canary} npx", "args": ["-y", "s@1.0.0"]}
    return servers


def test_lock_holds_no_secret_in_any_argument_form(tmp_path: Path) -> None:
    canary = "CanaryPw9x7Q"
    lock = approved_lock(tmp_path, scan(tmp_path, _issue_11_servers(canary)))
    text = (tmp_path / "mcpscan.lock").read_text(encoding="utf-8")
    assert canary not in text
    by_name = {e.name: e.config for e in lock.entries}
    assert (
        by_name["header"].args[3]
        == "--header=Authorization: Bearer <redacted sha256:"
        + (by_name["header"].args[3].rsplit("sha256:", 1)[1])
    )
    assert by_name["db"].args[2].startswith("--db=postgres://<redacted sha256:")
    assert by_name["db"].args[2].endswith("@host/db")
    assert by_name["index"].args[0].startswith("--index-url=https://<redacted sha256:")
    assert by_name["stdio"].args[3].startswith("npx -y pkg@1.0.0 --api-key <redacted sha256:")
    assert by_name["bare"].args[2].startswith("postgresql://<redacted sha256:")
    assert by_name["registry"].args[0].endswith("@npm.corp/")
    assert by_name["command"].command is not None
    assert "<redacted sha256:" in by_name["command"].command


def test_a_rotated_secret_is_reported_as_such_without_either_value(tmp_path: Path) -> None:
    old, new = "CanaryOld9x7Q", "CanaryNew4k2Z"
    lock = approved_lock(tmp_path, scan(tmp_path, _issue_11_servers(old)))
    result = scan(tmp_path, _issue_11_servers(new))
    findings = gv_findings(lock, result)
    assert len(findings) == len(ISSUE_11)
    for finding in findings:
        assert "changed since it was approved: secret" in finding, finding
        assert "a secret value changed" in finding
        assert old not in finding
        assert new not in finding
    # The policy can say a rotation in place needs no new approval ...
    assert gv_findings(lock, result, Policy(rotation_requires_approval=False)) == []
    # ... but a secret that moved, or anything else that changed, still does.
    moved = scan(
        tmp_path,
        {"db": {"command": "npx", "args": ["-y", "s@1.0.0", f"--dsn=postgres://u:{new}@host/db"]}},
    )
    (finding,) = gv_findings(lock, moved, Policy(rotation_requires_approval=False))
    assert "changed since it was approved: args" in finding
    assert new not in finding


def test_a_rotated_url_secret_is_drift_without_showing_it(tmp_path: Path) -> None:
    old, new = "ghp_" + "a" * 36, "ghp_" + "b" * 36
    url = "https://mcp.example.com/mcp?api_key={}"
    lock = approved_lock(tmp_path, scan(tmp_path, {"r": {"type": "http", "url": url.format(old)}}))
    result = scan(tmp_path, {"r": {"type": "http", "url": url.format(new)}})
    (finding,) = gv_findings(lock, result)
    assert "GV02 r changed since it was approved: secret" in finding
    assert "the URL: a secret value changed" in finding
    assert old not in finding
    assert new not in finding


def test_unapproved_connector_is_gv01(tmp_path: Path) -> None:
    lock = approved_lock(tmp_path, scan(tmp_path, {"memory": server()}))
    result = scan(tmp_path, {"memory": server(), "shadow": server("2025.9.0")})
    findings = gv_findings(lock, result)
    assert len(findings) == 1
    assert findings[0].startswith("GV01 shadow is not recorded in the approval lock")
    assert "claude-code:.mcp.json#shadow" in findings[0]


def test_require_approval_without_lock_flags_every_connector(tmp_path: Path) -> None:
    result = scan(tmp_path, {"a": server(), "b": server()})
    findings = gv_findings(None, result, Policy(require_approval=True))
    assert [f.split(" ", 2)[:2] for f in findings] == [["GV01", "a"], ["GV01", "b"]]
    assert all("there is no mcpscan.lock" in f for f in findings)


def test_without_lock_facts_the_rules_do_not_run(tmp_path: Path) -> None:
    result = scan(tmp_path, {"a": server()})
    c = result.connectors[0]
    evaluation = Engine(load_catalogue(), Policy()).evaluate(
        [ConnectorFacts(connector=c.connector, launch=c.launch)], today=TODAY
    )
    assert not [f for f in evaluation.findings if f.rule_id.startswith("GV0")]
    assert ("lock", ("GV01", "GV02", "GV04", "GV05", "GV06")) in evaluation.not_evaluated


def test_what_this_scan_did_not_establish_is_unchecked_not_drift(tmp_path: Path) -> None:
    lock = approved_lock(tmp_path, scan(tmp_path, {"memory": server()}, graph(), provenance()))
    # Same config, but resolution off and provenance not checked.
    result = scan(tmp_path, {"memory": server()})
    c = result.connectors[0]
    facts = approval_facts(lock, c.connector, c.launch, None, None)
    assert facts.changes == ()
    assert any("provenance" in u for u in facts.unchecked)
    assert any("maintainers" in u for u in facts.unchecked)
    assert gv_findings(lock, result) == []


def test_lock_file_is_stable_and_reapproval_touches_only_its_entry(tmp_path: Path) -> None:
    servers = {"b": server(), "a": server(), "c": server()}
    lock = approved_lock(tmp_path, scan(tmp_path, servers, graph()))
    before = (tmp_path / "mcpscan.lock").read_text(encoding="utf-8")
    assert [e.name for e in lock.entries] == ["a", "b", "c"]
    assert dumps(lock) == before  # read back and written again: identical bytes

    servers["b"] = server(extra_args=("--verbose",))
    result = scan(tmp_path, servers, graph())
    only_b = dataclasses.replace(
        result, connectors=tuple(c for c in result.connectors if c.connector.name == "b")
    )
    updated = approve(
        lock, only_b.connectors, owner="platform", approver="sec-team", note="reviewed", today=TODAY
    )
    after = dumps(updated)
    changed = [
        (x, y) for x, y in zip(before.splitlines(), after.splitlines(), strict=True) if x != y
    ]
    # The fingerprint and the args of "b": nothing else moves.
    assert len(changed) == 2
    assert all('"--verbose"' in y or y.startswith("fingerprint") for _, y in changed)


def test_find_lock_beside_policy_then_cwd(tmp_path: Path) -> None:
    policy_dir = tmp_path / "policy"
    cwd = tmp_path / "cwd"
    policy_dir.mkdir()
    cwd.mkdir()
    policy = policy_dir / "mcpscan.toml"
    assert find_lock(cwd, policy) is None
    (cwd / "mcpscan.lock").write_text("version = 1\n", encoding="utf-8")
    assert find_lock(cwd, policy) == cwd / "mcpscan.lock"
    (policy_dir / "mcpscan.lock").write_text("version = 1\n", encoding="utf-8")
    assert find_lock(cwd, policy) == policy_dir / "mcpscan.lock"


# (line to replace, its replacement, expected message, text of the line the error names)
BROKEN = {
    "bad fingerprint": (
        'fingerprint = "sha256:',
        'fingerprint = "oops"\n',
        "fingerprint",
        'fingerprint = "oops"',
    ),
    "empty approver": ("approver = ", 'approver = ""\n', "approver", 'approver = ""'),
    "bad date": (
        "approved = ",
        'approved = "last tuesday"\n',
        "approved must be a date",
        "approved = ",
    ),
    "unknown key": ("owner = ", 'owner = "x"\nowned = "y"\n', "unknown key 'owned'", 'owned = "y"'),
    "args not a list": ("args = ", 'args = "npx"\n', "args must be a list", 'args = "npx"'),
    "bad TOML": ("name = ", 'name = "memory\n', "invalid TOML", 'name = "memory'),
    "missing owner": ("owner = ", "", "missing 'owner'", "[[connector]]"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_hand_edited_broken_entry_names_file_and_line(tmp_path: Path, case: str) -> None:
    approved_lock(tmp_path, scan(tmp_path, {"memory": server()}, graph()))
    path = tmp_path / "mcpscan.lock"
    prefix, replacement, message, named = BROKEN[case]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if line.startswith(prefix))
    lines[number] = replacement
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(LockError) as caught:
        load_lock(path)
    err = caught.value
    assert err.file == str(path)
    assert message in err.message
    assert err.line is not None
    assert path.read_text(encoding="utf-8").splitlines()[err.line - 1].startswith(named)
    assert str(err).startswith(f"{path}:{err.line}: ")


def test_duplicate_entry_is_an_error(tmp_path: Path) -> None:
    approved_lock(tmp_path, scan(tmp_path, {"memory": server()}))
    path = tmp_path / "mcpscan.lock"
    text = path.read_text(encoding="utf-8")
    entry = text[text.index("[[connector]]") :]
    path.write_text(text + "\n" + entry, encoding="utf-8")
    with pytest.raises(LockError, match="listed twice"):
        load_lock(path)


def test_only_connector_results_are_needed(tmp_path: Path) -> None:
    # approve() takes the results of any scan; its input type is the public model.
    result = scan(tmp_path, {"memory": server()})
    assert all(isinstance(c, ConnectorResult) for c in result.connectors)
    lock = approve(
        Lock(path=str(tmp_path / "x.lock")), result.connectors, owner="o", approver="a", today=TODAY
    )
    assert lock.entries[0].packages[0].name == PKG
    assert lock.entries[0].packages[0].version == "2025.8.4"  # pinned, not resolved


def test_a_rotated_env_or_header_secret_is_reported_without_either_value(tmp_path: Path) -> None:
    old, new = "ghp_" + "o1" * 18, "ghp_" + "n2" * 18
    remote = {"type": "http", "url": "https://mcp.example.com/mcp"}

    def servers(token: str) -> dict[str, object]:
        return {
            "memory": server(env={"GITHUB_TOKEN": token}),
            "remote": {**remote, "headers": {"Authorization": f"Bearer {token}"}},
        }

    lock = approved_lock(tmp_path, scan(tmp_path, servers(old)))
    text = (tmp_path / "mcpscan.lock").read_text(encoding="utf-8")
    assert old not in text
    assert 'secrets = ["env GITHUB_TOKEN <redacted sha256:' in text
    findings = gv_findings(lock, scan(tmp_path, servers(new)))
    assert len(findings) == 2
    assert any("env GITHUB_TOKEN: a secret value changed" in f for f in findings)
    assert any("header Authorization: a secret value changed" in f for f in findings)
    assert not any(old in f or new in f for f in findings)
    assert (
        gv_findings(lock, scan(tmp_path, servers(new)), Policy(rotation_requires_approval=False))
        == []
    )
    # Unchanged values are no drift; a lock without literal secrets keeps its fingerprint.
    assert gv_findings(lock, scan(tmp_path, servers(old))) == []
