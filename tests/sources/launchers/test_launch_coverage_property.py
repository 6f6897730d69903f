"""Property (issue 10): ANY argv yields an analysed launch or a finding, never neither.

"Analysed" means the launch names registry packages or remote endpoints that the later
stages check, with nothing left opaque, local or downloaded. Everything else must raise
one of EX01-EX04, and every "cannot be analysed" gap in the coverage ledger must be
explained by such a finding.
"""

from __future__ import annotations

import shlex
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcpscan.coverage import RESOLVABLE, Stages, ledger_for, unexplained_gaps
from mcpscan.models import Connector, Launch, SourceLocation
from mcpscan.ruleset import ConnectorFacts, Engine, Policy, load_catalogue
from mcpscan.sources.launchers import unwrap

ENGINE = Engine(load_catalogue(), Policy())
FULL = Stages(resolution=True, advisories=True, provenance=True, inspection=True)
EX = {"EX01", "EX02", "EX03", "EX04"}
WORDS = [
    "npx",
    "-y",
    "--yes",
    "-p",
    "-c",
    "uvx",
    "--from",
    "uv",
    "run",
    "tool",
    "pipx",
    "docker",
    "podman",
    "run",
    "-i",
    "--rm",
    "node",
    "python",
    "python3",
    "-m",
    "bash",
    "sh",
    "zsh",
    "-lc",
    "-l",
    "cmd",
    "/c",
    "/d",
    "powershell",
    "pwsh",
    "-Command",
    "-File",
    "env",
    "A=1",
    "deno",
    "bunx",
    "pnpm",
    "dlx",
    "yarn",
    "npm",
    "exec",
    "mcp-remote",
    "supergateway",
    "--stdio",
    "mcp-proxy",
    "https://x.example/sse",
    "http://x.example/i.sh",
    "pkg",
    "pkg@1.0.0",
    "@scope/pkg@^1",
    "mcp-server-time==1.0",
    "ghcr.io/o/i:1",
    "./x.sh",
    "x.py",
    "file:./p",
    "${env:X}",
    "$X",
    "",
    "-",
    "--",
    "&&",
    "||",
    "|",
    ";",
    "&",
    "curl",
    "wget",
    "-O-",
    "iex",
    "iwr",
    "cd",
    "/srv",
    "exec",
    "eval",
    "<(",
    ")",
    "$(",
    "`",
    "'",
    '"',
    "if",
    "then",
    "fi",
    "#",
]
word = st.one_of(
    st.sampled_from(WORDS),
    st.text(alphabet="abc-./:@=$&|;<>()'\"` ~\\", max_size=10),
)


def _analysed(launch: Launch) -> bool:
    checkable = [p for p in launch.packages if p.ecosystem in RESOLVABLE]
    return bool(checkable or launch.remotes) and not (
        launch.opaque or launch.local or launch.downloads or len(checkable) < len(launch.packages)
    )


def _check(command: str, args: list[str]) -> None:
    conn = Connector(
        name="c",
        source=SourceLocation(".mcp.json", 1, "claude-code"),
        transport="stdio",
        command=command,
        args=tuple(args),
    )
    launch = unwrap(conn)
    ledger = ledger_for(launch, FULL, advisories=(), content=())
    facts = ConnectorFacts(conn, launch, coverage=ledger)
    [result] = ENGINE.evaluate([facts], today=date(2026, 12, 1)).connectors
    ids = {f.rule_id for f in result.findings}
    assert _analysed(launch) or ids & EX, (command, args, launch)
    assert unexplained_gaps(ledger, ids, incomplete=False) == (), (command, args, ledger)
    if not ledger.complete:
        assert result.score < 100


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(word, max_size=8))
def test_any_argv_is_analysed_or_flagged(argv: list[str]) -> None:
    _check(argv[0] if argv else "", argv[1:])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["sh", "bash", "zsh", "dash"]), st.lists(word, min_size=1, max_size=8))
def test_any_shell_script_is_analysed_or_flagged(shell: str, words: list[str]) -> None:
    _check(shell, ["-c", " ".join(words)])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(word, min_size=1, max_size=8))
def test_any_command_string_is_analysed_or_flagged(words: list[str]) -> None:
    _check(" ".join(shlex.quote(w) if " " in w else w for w in words), [])
