"""CODEOWNERS as GitHub reads it: the default owner of `mcpscan approve`."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpscan.lock.codeowners import default_owner, parse_codeowners

RULES = """\
# comment
*                       @org/everyone
*.js                    @js-owner
/build/logs/            @logs
docs/*                  docs@example.com
apps/                   @apps
/apps/github
**/secrets/**           @sec
config\\#1.json         @hash
.vscode/mcp.json        @org/platform   @alice # two owners
"""


@pytest.mark.parametrize(
    ("path", "owners"),
    [
        ("README.md", ("@org/everyone",)),
        ("src/app.js", ("@js-owner",)),
        ("build/logs/x/y.log", ("@logs",)),
        ("sub/build/logs/y.log", ("@org/everyone",)),  # anchored at the root
        ("docs/getting-started.md", ("docs@example.com",)),
        ("docs/build-app/troubleshooting.md", ("@org/everyone",)),  # * stays in one level
        ("x/apps/main.py", ("@apps",)),
        ("apps/github/readme.md", ()),  # a rule with no owners leaves it unowned
        ("a/secrets/b/c.txt", ("@sec",)),
        ("config#1.json", ("@hash",)),
        (".vscode/mcp.json", ("@org/platform", "@alice")),
    ],
)
def test_last_matching_rule_wins(path: str, owners: tuple[str, ...]) -> None:
    found = parse_codeowners(RULES, "CODEOWNERS").owners_of(path)
    assert found is not None
    assert found[0] == owners


def test_default_owner_from_the_repository(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".github").mkdir()
    (tmp_path / "CODEOWNERS").write_text("* @root-file\n")  # .github/ comes first
    (tmp_path / ".github" / "CODEOWNERS").write_text("* @org/all\n/.vscode/ @org/platform\n")
    (tmp_path / ".vscode").mkdir()
    config = tmp_path / ".vscode" / "mcp.json"
    config.write_text("{}")
    owner = default_owner(config)
    assert owner == ("@org/platform", f"{tmp_path / '.github' / 'CODEOWNERS'}:2")
    other = tmp_path / ".mcp.json"
    other.write_text("{}")
    assert default_owner(other) == ("@org/all", f"{tmp_path / '.github' / 'CODEOWNERS'}:1")


def test_no_repository_or_no_rule_gives_no_default(tmp_path: Path) -> None:
    config = tmp_path / ".mcp.json"
    config.write_text("{}")
    assert default_owner(config) is None
    (tmp_path / ".git").mkdir()
    assert default_owner(config) is None
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "CODEOWNERS").write_text("*.md @writers\n")
    assert default_owner(config) is None
