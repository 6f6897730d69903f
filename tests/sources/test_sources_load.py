"""load_targets: files, directories, specs, failures that do not stop the scan."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mcpscan.sources import SourceError, load_targets
from mcpscan.sources.loader import MAX_FILE_BYTES

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "configs"
EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"
SECRET = "ghp_EXAMPLEexampleEXAMPLEexample00000000"


def test_files_are_shown_relative_to_cwd_when_under_it() -> None:
    result = load_targets(["claude-code/.claude.json"], cwd=FIXTURES)
    assert result.files_read == ("claude-code/.claude.json",)
    assert {c.source.file for c in result.connectors} == {"claude-code/.claude.json"}
    absolute = str(FIXTURES / "claude-code" / ".claude.json")
    outside = load_targets([absolute], cwd=FIXTURES / "zed")
    assert outside.files_read == (absolute,)


def test_relative_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES.parent)
    result = load_targets(["windsurf/mcp_config.json", "cline"], cwd=Path("configs"))
    assert result.files_failed == ()
    assert result.files_read == ("windsurf/mcp_config.json",)
    assert [c.source.file for c in result.connectors] == ["windsurf/mcp_config.json"] * 2


def test_a_broken_file_does_not_stop_the_others() -> None:
    result = load_targets(
        ["malformed/missing-comma.json", "windsurf/mcp_config.json", "malformed/bad.yaml"],
        cwd=FIXTURES,
    )
    assert [c.name for c in result.connectors] == ["zapier", "old"]
    assert result.files_read == ("windsurf/mcp_config.json",)
    assert result.files_failed == ("malformed/missing-comma.json", "malformed/bad.yaml")
    fatal = [d for d in result.diagnostics if d.fatal]
    assert [(d.file, d.line) for d in fatal] == [
        ("malformed/missing-comma.json", 4),
        ("malformed/bad.yaml", 4),
    ]
    assert str(fatal[0]) == (
        "malformed/missing-comma.json:4: expected ',' or '}', found '\"' at line 4, column 5"
    )
    assert all(SECRET not in str(d) for d in result.diagnostics)


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "mcp.json"
    big.write_text('{"mcpServers": {}, "pad": "' + "x" * MAX_FILE_BYTES + '"}')
    result = load_targets(["mcp.json"], cwd=tmp_path)
    assert result.connectors == ()
    assert result.files_failed == ("mcp.json",)
    (diag,) = result.diagnostics
    assert diag.fatal
    assert diag.message == "this file is larger than 8 MiB; not read"


def test_unreadable_file(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = tmp_path / ".mcp.json"
    path.write_text("{}")
    path.chmod(0)
    result = load_targets([".mcp.json"], cwd=tmp_path)
    assert result.files_failed == (".mcp.json",)
    assert "cannot be read (permission denied)" in result.diagnostics[0].message


def test_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    result = load_targets(["pipe.json"], cwd=tmp_path)
    assert result.files_failed == ("pipe.json",)
    assert result.diagnostics[0].message == "this file is a FIFO (named pipe); not read"


def test_specs_and_files_mix_in_target_order() -> None:
    result = load_targets(
        ["npm:@scope/a@1.0.0", "windsurf/mcp_config.json", "pypi:b==2"], cwd=FIXTURES
    )
    assert [c.name for c in result.connectors] == [
        "npm:@scope/a@1.0.0",
        "zapier",
        "old",
        "pypi:b==2",
    ]
    assert result.files_read == ("windsurf/mcp_config.json",)


@pytest.mark.parametrize("target", ["no-such-file.json", "npm:", "left-pad"])
def test_target_that_is_neither_path_nor_spec_raises(tmp_path: Path, target: str) -> None:
    with pytest.raises(SourceError) as caught:
        load_targets(["windsurf/mcp_config.json", target], cwd=FIXTURES)
    assert f"'{target}'" in caught.value.message


def test_directory_target_reads_project_files_only(tmp_path: Path) -> None:
    project = tmp_path / "repo"
    shutil.copytree(FIXTURES / "vscode", project)
    shutil.copy(FIXTURES / "claude-code" / ".mcp.json", project / ".mcp.json")
    (project / ".continue" / "mcpServers").mkdir(parents=True)
    shutil.copy(
        FIXTURES / "continue" / ".continue" / "mcpServers" / "list.yaml",
        project / ".continue" / "mcpServers" / "list.yaml",
    )
    (project / ".zed").mkdir()
    (project / ".zed" / "settings.json").write_text('{"tab_size": 2}')  # no MCP: skipped
    (project / ".gemini").mkdir()
    (project / ".gemini" / "settings.json").write_text('{"mcpServers": {,}}')  # broken: reported
    nested = project / "sub" / "deep"
    nested.mkdir(parents=True)
    (nested / ".mcp.json").write_text('{"mcpServers": {"nested": {"command": "x"}}}')

    result = load_targets(["repo"], cwd=tmp_path)
    assert result.files_read == (
        "repo/.mcp.json",
        "repo/.vscode/mcp.json",
        "repo/.vscode/settings.json",
        "repo/.continue/mcpServers/list.yaml",
    )
    assert result.files_failed == ("repo/.gemini/settings.json",)
    names = [c.name for c in result.connectors]
    assert "nested" not in names  # no recursive walk
    assert names[:2] == ["airtable", "api-server"]
    assert {c.source.scope for c in result.connectors} == {"project"}
    clients = {c.source.file: c.source.client for c in result.connectors}
    assert clients == {
        "repo/.mcp.json": "claude-code",
        "repo/.vscode/mcp.json": "vscode",
        "repo/.vscode/settings.json": "vscode",
        "repo/.continue/mcpServers/list.yaml": "continue",
    }


def test_empty_directory_gives_nothing_and_no_error(tmp_path: Path) -> None:
    result = load_targets(["."], cwd=tmp_path)
    assert (result.connectors, result.diagnostics, result.files_read, result.files_failed) == (
        (),
        (),
        (),
        (),
    )


def test_same_file_twice_is_read_once(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "windsurf" / "mcp_config.json", tmp_path / "mcp.json")
    result = load_targets(["mcp.json", str(tmp_path / "mcp.json"), "."], cwd=tmp_path)
    assert result.files_read == ("mcp.json",)
    assert len(result.connectors) == 2


def test_examples_all_parse_cleanly() -> None:
    files = sorted(
        str(p.relative_to(EXAMPLES))
        for p in EXAMPLES.rglob("*")
        if p.is_file() and p.suffix in (".json", ".toml", ".yaml") and p.name != "mcpscan.toml"
    )
    assert len(files) >= 20
    result = load_targets(files, cwd=EXAMPLES)
    assert result.files_failed == ()
    assert [str(d) for d in result.diagnostics] == []
    per_file = {f: 0 for f in files}
    for c in result.connectors:
        per_file[c.source.file] += 1
    assert all(count >= 1 for count in per_file.values()), per_file
    clients = {c.source.client for c in result.connectors}
    assert clients >= {
        "claude-desktop",
        "claude-code",
        "vscode",
        "cursor",
        "codex",
        "zed",
        "continue",
        "goose",
        "opencode",
        "windsurf",
        "gemini",
        "cline",
        "copilot-cli",
        "kiro",
        "amazon-q",
        "jetbrains",
        "mcp-registry",
    }


def test_safe_example_is_pinned_and_uses_indirections() -> None:
    result = load_targets(["safe/.mcp.json"], cwd=EXAMPLES)
    assert len(result.connectors) == 4
    for connector in result.connectors:
        assert all(s.kind.value != "literal" for s in (*connector.env, *connector.headers))
        assert connector.options == ()
        if connector.url is not None:
            assert connector.url.reveal().startswith("https://")
        assert all("@latest" not in a for a in connector.args)
