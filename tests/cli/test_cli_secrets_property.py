"""Property: canary secrets generated into every credential position, in every config format,
never leave — whatever the command and output — and each one is reported.

One example writes the same connectors as a Claude/Cursor JSON config, a VS Code config, a
Codex TOML, a Continue YAML and a Goose YAML, with a fresh canary in each position (env,
header, ``--flag=value``, ``--flag value``, ``-Hvalue``, ``KEY=value``, a header line in one
argument, URL user-info inside flag values and bare, URL query, proxy and shell inner
commands nested two deep, docker ``-e``). Then it runs ``scan`` to every format with
``--sarif``, ``--sbom`` and ``--attest``, ``approve``, ``diff`` after every secret was rotated,
``discover``, and a scan of a malformed twin of each file. No canary may appear in stdout,
stderr, any written file, the lock, the cache directory or the temporary directory (both are
pointed inside the example's own directory and walked), and every canary is ID01 or ID03.
"""

from __future__ import annotations

import json
import string
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mcpscan.cli.app import app

ALNUM = string.ascii_letters + string.digits

# position -> (rule it must be reported under, how the connector is written). "{c}" is the
# canary; "ghp_" positions need a recognisable format (no secret-sounding name holds them).
Spec = dict[str, Any]
POSITIONS: dict[str, tuple[str, Spec]] = {
    "env": ("ID01", {"command": "npx", "args": ["-y", "s@1.0.0"], "env": {"API_TOKEN": "{c}"}}),
    "flag-eq": ("ID01", {"command": "npx", "args": ["-y", "s@1.0.0", "--api-key={c}"]}),
    "flag-sep": ("ID01", {"command": "npx", "args": ["-y", "s@1.0.0", "--token", "{c}"]}),
    "glued": ("ID01", {"command": "npx", "args": ["-y", "s@1.0.0", "-HAuthorization: Bearer {c}"]}),
    "assign": ("ID01", {"command": "env", "args": ["API_TOKEN={c}", "npx", "-y", "s@1.0.0"]}),
    "header-arg": (
        "ID01",
        {
            "command": "npx",
            "args": [
                "-y",
                "mcp-remote@0.1.29",
                "https://h.example.com/mcp",
                "--header=Authorization: Bearer {c}",
            ],
        },
    ),
    "registry": (
        "ID03",
        {"command": "npx", "args": ["--registry=https://user:{c}@npm.corp/", "-y", "s@1.0.0"]},
    ),
    "index": (
        "ID03",
        {"command": "uvx", "args": ["--index-url=https://user:{c}@pypi.corp/simple", "s==1.0"]},
    ),
    "db-flag": (
        "ID03",
        {"command": "npx", "args": ["-y", "s@1.0.0", "--db=postgres://u:{c}@h/db"]},
    ),
    "db-bare": (
        "ID03",
        {"command": "npx", "args": ["-y", "s@1.0.0", "postgresql://admin:{c}@db:5432/app"]},
    ),
    "stdio": (
        "ID01",
        {
            "command": "npx",
            "args": ["-y", "supergateway@3.4.0", "--stdio", "npx -y pkg@1.0.0 --api-key {c}"],
        },
    ),
    "nested": (
        "ID03",
        {
            "command": "npx",
            "args": [
                "-y",
                "supergateway@3.4.0",
                "--stdio",
                "sh -c 'npx -y pkg@1.0.0 --registry=https://u:{c}@npm.corp/'",
            ],
        },
    ),
    "shell": ("ID01", {"command": "bash", "args": ["-c", "GITHUB_TOKEN=ghp_{c} npx -y s@1.0.0"]}),
    "docker": (
        "ID01",
        {
            "command": "docker",
            "args": ["run", "-i", "--rm", "-e", "API_KEY={c}", "ghcr.io/a/b@sha256:" + "a" * 64],
        },
    ),
    "query": ("ID03", {"url": "https://h.example.com/mcp?api_key={c}"}),
    "header": ("ID01", {"url": "https://h.example.com/mcp", "headers": {"X-Api-Key": "{c}"}}),
}
YAML_SKIPS = {"header"}  # Continue and Goose blocks written here carry no headers


def _fill(value: Any, canary: str) -> Any:
    if isinstance(value, str):
        return value.replace("{c}", canary)
    if isinstance(value, list):
        return [_fill(v, canary) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, canary) for k, v in value.items()}
    return value


def _servers(canaries: dict[str, str]) -> dict[str, Spec]:
    return {name: _fill(POSITIONS[name][1], canaries[name]) for name in POSITIONS}


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        pairs = ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + pairs + " }"
    return json.dumps(value)


def _codex(servers: dict[str, Spec]) -> str:
    lines = []
    for name, spec in servers.items():
        lines.append(f"[mcp_servers.{name}]")
        for key, value in spec.items():
            key = "http_headers" if key == "headers" else key
            lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


def _continue(servers: dict[str, Spec]) -> str:
    out = ["name: canaries", "version: 0.0.1", "schema: v1", "mcpServers:"]
    for name, spec in servers.items():
        if name in YAML_SKIPS:
            continue
        out.append(f"  - name: {name}")
        if "url" in spec:
            out += ["    type: streamable-http", f"    url: {json.dumps(spec['url'])}"]
            continue
        out.append(f"    command: {spec['command']}")
        out.append(f"    args: {json.dumps(spec['args'])}")
        if "env" in spec:
            out.append(f"    env: {json.dumps(spec['env'])}")
    return "\n".join(out) + "\n"


def _goose(servers: dict[str, Spec]) -> str:
    out = ["extensions:"]
    for name, spec in servers.items():
        if name in YAML_SKIPS:
            continue
        out += [f"  {name}:", f"    name: {name}", "    enabled: true"]
        if "url" in spec:
            out += ["    type: streamable_http", f"    uri: {json.dumps(spec['url'])}"]
            continue
        out += ["    type: stdio", f"    cmd: {spec['command']}"]
        out.append(f"    args: {json.dumps(spec['args'])}")
        out.append(f"    envs: {json.dumps(spec.get('env', {}))}")
    return "\n".join(out) + "\n"


def _vscode(servers: dict[str, Spec]) -> str:
    out = {}
    for name, spec in servers.items():
        out[name] = {"type": "http", **spec} if "url" in spec else {"type": "stdio", **spec}
    return json.dumps({"servers": out}, indent=2)


WRITERS: dict[str, Callable[[dict[str, Spec]], str]] = {
    "home/.cursor/mcp.json": lambda s: json.dumps({"mcpServers": s}, indent=2),
    "work/.vscode/mcp.json": _vscode,
    "work/codex/config.toml": _codex,
    "work/continue/config.yaml": _continue,
    "work/goose/config.yaml": _goose,
}
# Text that breaks each file after every secret in it (the error path).
BREAKERS = {".json": "\n{ oops", ".toml": "\n[mcp_servers.broken\n", ".yaml": "\n  - : [\n"}


def _write(root: Path, canaries: dict[str, str], *, broken: bool = False) -> list[Path]:
    written = []
    for rel, writer in WRITERS.items():
        path = root / rel
        if broken:
            path = path.with_name("broken-" + path.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = writer(_servers(canaries))
        path.write_text(text + (BREAKERS[path.suffix] if broken else ""), encoding="utf-8")
        written.append(path)
    return written


canary = st.text(ALNUM, min_size=28, max_size=32).map(lambda s: "Cq7" + s + "9z")
canary_sets = st.fixed_dictionaries({name: canary for name in POSITIONS}).filter(
    lambda d: len(set(d.values())) == len(d)
)


def _all_text_under(root: Path, skip: set[Path]) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for p in root.rglob("*") if p.is_file() and p not in skip]


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=canary_sets, second=canary_sets)
def test_no_canary_leaves_in_any_format_command_or_file(
    first: dict[str, str], second: dict[str, str]
) -> None:
    with tempfile.TemporaryDirectory() as raw, pytest.MonkeyPatch.context() as mp:
        root = Path(raw)
        (root / "home").mkdir()
        (root / "work").mkdir()
        (root / "tmp").mkdir()
        cache = root / "cache"
        for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "APPDATA", "USERPROFILE", "CODEX_HOME"):
            mp.delenv(var, raising=False)
        mp.setenv("HOME", str(root / "home"))
        mp.setenv("TMPDIR", str(root / "tmp"))
        mp.setenv("MCPSCAN_RESOLVE", "false")
        mp.setenv("MCPSCAN_CACHE_DIR", str(cache))
        mp.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
        mp.chdir(root / "work")
        runner = CliRunner()
        outputs: list[str] = []

        def cli(*args: str | Path) -> int:
            result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
            outputs.extend([result.stdout, result.stderr])
            return result.exit_code

        configs = _write(root, first)
        out = root / "out"
        out.mkdir()
        assert cli("keygen", "--out", root / "key") == 0
        common = ("--no-resolve", "--cache-dir", cache)
        code = cli(
            "scan",
            *configs,
            *common,
            "-f",
            "json",
            "-o",
            out / "r.json",
            "--sarif",
            out / "r.sarif",
            "--sbom",
            out / "r.cdx.json",
            "--attest",
            out / "r.att",
            "--attest-key",
            root / "key",
        )
        assert code == 1, outputs[-1]
        assert cli("scan", *configs, *common) == 1  # the table, on stdout
        for fmt in ("markdown", "html"):
            assert cli("scan", *configs, *common, "-f", fmt, "-o", out / f"r.{fmt}") == 1

        report = json.loads((out / "r.json").read_text(encoding="utf-8"))
        missed = []
        for conn in report["connectors"]:
            rule = POSITIONS[conn["name"]][0]
            if rule not in {f["rule_id"] for f in conn["findings"]}:
                missed.append((conn["source"]["file"], conn["name"], rule))
        assert missed == []
        expected = sum(
            len(POSITIONS) - (len(YAML_SKIPS) if p.suffix == ".yaml" else 0) for p in configs
        )
        assert len(report["connectors"]) == expected

        lock = root / "work" / "mcpscan.lock"
        assert (
            cli(
                "approve",
                *configs,
                "--no-resolve",
                "--owner",
                "o",
                "--approver",
                "a",
                "--lock",
                lock,
            )
            == 0
        )
        _write(root, second)  # every secret rotated in place
        cli("diff", *configs, "--no-resolve", "--lock", lock)
        assert "a secret value changed" in outputs[-2]
        assert cli("discover", "-f", "json") == 0
        assert cli("discover") == 0
        broken = _write(root, first, broken=True)
        for path in broken:
            assert cli("scan", path, *common, "-f", "json") in (2, 3)

        secrets = [*first.values(), *second.values()]
        inputs = set(configs) | set(broken)
        leaks = [
            str(path.relative_to(root))
            for path, data in _all_text_under(root, inputs)
            for s in secrets
            if s.encode() in data
        ]
        leaks += [f"output #{i}" for i, text in enumerate(outputs) for s in secrets if s in text]
        assert leaks == []
        assert lock.is_file()
        assert (out / "r.att").is_file()
