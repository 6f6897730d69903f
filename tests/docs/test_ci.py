"""The GitHub Action's shell steps, run under bash against a stub `mcpscan`, and the
pre-commit hook definition."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
EXPR = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def step(name: str) -> dict[str, Any]:
    return next(s for s in STEPS if s.get("name") == name)


@dataclass
class Harness:
    tmp: Path
    bin: Path

    def stub(self, name: str, exit_code: int = 0) -> Path:
        """A command on PATH that records its arguments, one per line, and exits."""
        record = self.tmp / f"{name}.args"
        script = self.bin / name
        script.write_text(
            f'#!/bin/bash\nprintf "%s\\n" "$@" > "{record}"\nexit {exit_code}\n',
            encoding="utf-8",
        )
        script.chmod(0o755)
        return record

    def run(
        self,
        s: dict[str, Any],
        inputs: dict[str, str] | None = None,
        outputs: dict[str, str] | None = None,
    ) -> tuple[int, str, dict[str, str]]:
        """Run one step as a composite action would: expressions in ``env`` evaluated,
        the script under ``bash --noprofile --norc -eo pipefail``."""
        values = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()} | (
            inputs or {}
        )
        context = {f"inputs.{k}": v for k, v in values.items()}
        context["github.action_path"] = str(REPO)
        context |= {f"steps.{k}": v for k, v in (outputs or {}).items()}
        # Only the stubs and the system's own tools: a real mcpscan installed in the test's
        # environment must not stand in for a missing one.
        system = os.pathsep.join(
            d
            for d in os.environ["PATH"].split(os.pathsep)
            if d and not (Path(d) / "mcpscan").exists()
        )
        env = {"PATH": f"{self.bin}{os.pathsep}{system}", "HOME": str(self.tmp)}
        github_output = self.tmp / "github_output"
        github_output.write_text("", encoding="utf-8")
        env["GITHUB_OUTPUT"] = str(github_output)
        for key, value in (s.get("env") or {}).items():
            env[key] = EXPR.sub(lambda m: context[m.group(1)], str(value))
        assert s["shell"] == "bash"
        script = self.tmp / "step.sh"
        script.write_text(s["run"], encoding="utf-8")
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            env=env,
            cwd=self.tmp,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        produced = dict(
            line.split("=", 1) for line in github_output.read_text("utf-8").splitlines() if line
        )
        return proc.returncode, proc.stdout + proc.stderr, produced


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    return Harness(tmp_path, bin_dir)


def test_run_scripts_never_expand_expressions_inline() -> None:
    # Inputs must reach scripts as env vars: `${{ inputs.x }}` inside `run:` is injection.
    for s in STEPS:
        if "run" in s:
            assert "${{" not in s["run"], s["name"]


def test_install_step_installs_hashed_requirements_then_the_action_checkout(
    harness: Harness,
) -> None:
    record = harness.tmp / "python.calls"
    script = harness.bin / "python"
    # One line per call, so both pip invocations are seen.
    script.write_text(f'#!/bin/bash\necho "$*" >> "{record}"\n', encoding="utf-8")
    script.chmod(0o755)
    code, _, _ = harness.run(step("Install mcpscan"))
    assert code == 0
    deps, own = record.read_text(encoding="utf-8").splitlines()
    assert deps.startswith("-m pip install ")
    assert "--require-hashes" in deps.split()
    assert "--no-deps" in deps.split()
    assert deps.split()[-2:] == ["-r", str(REPO / "requirements" / "action.txt")]
    # mcpscan itself: built from the checkout with the hashed build backend, fetching nothing.
    assert {"--no-deps", "--no-build-isolation", "--no-index"} <= set(own.split())
    assert own.split()[-1] == str(REPO)


REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def _hashed_requirements() -> dict[str, list[str]]:
    """Each pinned name of requirements/action.txt with its hashes."""
    text = (REPO / "requirements" / "action.txt").read_text(encoding="utf-8")
    found: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        match = REQUIREMENT.match(line)
        if match:
            current = found.setdefault(match.group(1).lower().replace("_", "-"), [])
        current += re.findall(r"--hash=sha256:([0-9a-f]{64})", line)
    return found


def test_the_hashed_requirements_cover_every_dependency() -> None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pinned = _hashed_requirements()
    assert pinned
    assert all(pinned.values()), "every pinned requirement carries a hash"
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = [Requirement(r) for r in project["project"]["dependencies"]]
    wanted += [Requirement(r) for r in project["build-system"]["requires"]]
    for req in wanted:
        assert str(canonicalize_name(req.name)) in pinned, f"{req.name} is not pinned"


def test_every_action_is_pinned_by_commit_sha() -> None:
    uses = [str(s["uses"]) for s in STEPS if "uses" in s]
    assert uses
    for ref in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), ref
    # The tag each SHA was taken from is named beside it, for the next update.
    text = (REPO / "action.yml").read_text(encoding="utf-8")
    for ref in uses:
        assert re.search(re.escape(ref) + r" # v\d+\.\d+\.\d+", text), ref


def test_scan_step_passes_inputs_as_arguments(harness: Harness) -> None:
    record = harness.stub("mcpscan", exit_code=1)
    code, _, produced = harness.run(
        step("Scan MCP connectors"),
        {
            "targets": ".mcp.json 'odd name'.json",
            "policy": "org/mcpscan.toml",
            "lock": "mcpscan.lock",
            "fail-on": "medium",
            "args": "--offline --no-resolve",
        },
    )
    # The step itself succeeds so the SARIF upload runs; the code is handed on.
    assert code == 0
    assert produced == {"exit-code": "1"}
    assert record.read_text(encoding="utf-8").splitlines() == [
        "scan",
        "--sarif",
        "mcpscan.sarif",
        "--policy",
        "org/mcpscan.toml",
        "--lock",
        "mcpscan.lock",
        "--fail-on",
        "medium",
        "--offline",
        "--no-resolve",
        "--",
        ".mcp.json",
        "'odd",
        "name'.json",
    ]


def test_scan_step_with_defaults(harness: Harness) -> None:
    record = harness.stub("mcpscan")
    code, _, produced = harness.run(step("Scan MCP connectors"))
    assert (code, produced) == (0, {"exit-code": "0"})
    assert record.read_text(encoding="utf-8").splitlines() == [
        "scan",
        "--sarif",
        "mcpscan.sarif",
        "--",
        ".",
    ]


def test_a_target_cannot_inject_shell(harness: Harness) -> None:
    record = harness.stub("mcpscan")
    marker = harness.tmp / "pwned"
    code, _, _ = harness.run(
        step("Scan MCP connectors"), {"targets": f"$(touch {marker}) `touch {marker}`"}
    )
    assert code == 0
    assert not marker.exists()
    assert "$(touch" in record.read_text(encoding="utf-8")


@pytest.mark.parametrize("exit_code", [0, 1, 2, 3, 4])
def test_scan_exit_code_propagates_to_the_job(harness: Harness, exit_code: int) -> None:
    harness.stub("mcpscan", exit_code=exit_code)
    _, _, produced = harness.run(step("Scan MCP connectors"))
    code, output, _ = harness.run(
        step("Fail on the verdict"), outputs={"scan.outputs.exit-code": produced["exit-code"]}
    )
    assert code == exit_code
    if exit_code:
        assert "::error title=mcpscan::" in output


def test_missing_mcpscan_fails_the_job(harness: Harness) -> None:
    _, _, produced = harness.run(step("Scan MCP connectors"))  # no stub: command not found
    assert produced == {"exit-code": "127"}
    code, output, _ = harness.run(
        step("Fail on the verdict"), outputs={"scan.outputs.exit-code": "127"}
    )
    assert code == 2
    assert "did not run" in output
    code, _, _ = harness.run(step("Fail on the verdict"), outputs={"scan.outputs.exit-code": ""})
    assert code == 2


def test_sarif_is_uploaded_even_when_the_verdict_fails() -> None:
    upload = next(
        s for s in STEPS if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")
    )
    assert "always()" in upload["if"]
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif }}"
    names = [s.get("name") for s in STEPS]
    assert names.index(upload["name"]) < names.index("Fail on the verdict")
    assert ACTION["runs"]["using"] == "composite"


HOOKS = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("path", "matched"),
    [
        (".mcp.json", True),
        ("sub/dir/.mcp.json", True),
        (".vscode/mcp.json", True),
        (".cursor/mcp.json", True),
        (".kiro/settings/mcp.json", True),
        ("claude_desktop_config.json", True),
        ("x/cline_mcp_settings.json", True),
        ("mcp_config.json", True),
        (".copilot/mcp-config.json", True),
        ("server.json", True),
        ("packages/api/server.json", True),
        (".codex/config.toml", True),
        (".vscode/settings.json", True),
        (".gemini/settings.json", True),
        ("opencode.jsonc", True),
        (".continue/config.yaml", True),
        (".continue/mcpServers/sqlite.yaml", True),
        ("config.toml", False),
        ("settings.json", False),
        ("package.json", False),
        ("tsconfig.json", False),
        ("notmcp.json", False),
        ("myserver.json", False),
        ("server.json5", False),
        ("mcp.json.bak", False),
        (".continue/mcpServers/a/b.yaml", False),
    ],
)
def test_pre_commit_hook_matches_mcp_config_names_only(path: str, matched: bool) -> None:
    from mcpscan.cli.precommit import offered

    (hook,) = HOOKS
    assert (re.search(hook["files"], path) is not None) == matched
    assert offered(path) == matched


def test_pre_commit_pattern_is_the_entrys_pattern() -> None:
    from mcpscan.cli.precommit import HOOK_FILES

    (hook,) = HOOKS
    assert hook["files"].strip() == HOOK_FILES.strip()


def test_pre_commit_pattern_offers_every_project_config() -> None:
    from mcpscan.sources.loader import CONTINUE_BLOCKS, PROJECT_FILES

    (hook,) = HOOKS
    for name, _shared in PROJECT_FILES:
        assert re.search(hook["files"], f"repo/{name}"), name
    assert re.search(hook["files"], f"{CONTINUE_BLOCKS}/db.json")


def test_pre_commit_hook_definition() -> None:
    (hook,) = HOOKS
    assert hook["id"] == "mcpscan"
    assert hook["entry"] == "mcpscan-pre-commit"
    assert hook["pass_filenames"] is True
    assert hook["language"] == "python"
    project = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'mcpscan-pre-commit = "mcpscan.cli.precommit:main"' in project
