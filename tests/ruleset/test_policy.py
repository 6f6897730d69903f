"""Policy file parsing, validation errors with lines, and the example policy."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from mcpscan.errors import PolicyError
from mcpscan.models import Severity
from mcpscan.ruleset import Policy, RuleOverride, find_policy, load_policy

from .builders import CATALOGUE

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "mcpscan.toml"

WAIVER = """
[[waivers]]
rule = "SC01"
target = "github"
reason = "vendor publishes latest only"
owner = "platform"
approver = "sec-lead"
expires = 2027-01-31
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mcpscan.toml"
    path.write_text(text)
    return path


def error_for(tmp_path: Path, text: str) -> PolicyError:
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as err:
        load_policy(path, rule_ids=CATALOGUE.ids)
    assert err.value.file == str(path)
    return err.value


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return lines[occurrence - 1]


def test_defaults() -> None:
    p = Policy()
    assert (p.fail_on, p.min_score, p.cooldown_days) == (Severity.HIGH, 0, 7)
    assert (p.require_provenance, p.require_approval, p.waivers) == (False, False, ())


def test_full_policy(tmp_path: Path) -> None:
    text = (
        """
fail_on = "medium"
min_score = 70
cooldown_days = 14
require_provenance = true
require_approval = true
trusted_publishers = ["https://github.com/modelcontextprotocol/*"]
allowed_registries = ["https://registry.npmjs.org"]

[rules.SC01]
severity = "critical"

[rules.SC09]
enabled = false
"""
        + WAIVER
        + """
[[waivers]]
rule = "SC05"
advisory = "GHSA-6xpm-ggf7-wc3p"
reason = "not reachable"
approver = "sec-lead"
expires = "2026-12-31"
"""
    )
    p = load_policy(write(tmp_path, text), rule_ids=CATALOGUE.ids)
    assert (p.fail_on, p.min_score, p.cooldown_days) == (Severity.MEDIUM, 70, 14)
    assert p.require_provenance
    assert p.require_approval
    assert p.trusted_publishers == ("https://github.com/modelcontextprotocol/*",)
    assert p.allowed_registries == ("https://registry.npmjs.org",)
    assert p.override_for("SC01") == RuleOverride("SC01", severity=Severity.CRITICAL)
    assert p.override_for("SC09") == RuleOverride("SC09", enabled=False)
    assert p.override_for("ID01") is None
    first, second = p.waivers
    assert (first.rule, first.target, first.owner, first.expires) == (
        "SC01",
        "github",
        "platform",
        date(2027, 1, 31),
    )
    assert first.line == line_of(text, "[[waivers]]")
    assert (second.target, second.advisory, second.expires) == (
        "*",
        "GHSA-6xpm-ggf7-wc3p",
        date(2026, 12, 31),
    )
    assert p.source == str(tmp_path / "mcpscan.toml")


def test_rule_ids_are_those_of_the_catalogue_given(tmp_path: Path) -> None:
    ids = CATALOGUE.ids
    assert load_policy(write(tmp_path, "[rules.SC01]\nenabled = false\n"), rule_ids=ids)
    with pytest.raises(PolicyError, match="unknown rule id 'XX99'"):
        load_policy(write(tmp_path, "[rules.XX99]\nenabled = false\n"), rule_ids=ids)
    # A catalogue given with --rules that drops SC01: overriding SC01 is now an error.
    with pytest.raises(PolicyError, match="unknown rule id 'SC01'"):
        load_policy(write(tmp_path, "[rules.SC01]\nenabled = false\n"), rule_ids={"SC02"})


@pytest.mark.parametrize(
    ("text", "needle", "message"),
    [
        ('fail_on = "high"\nfial_on = "low"\n', "fial_on", "unknown key 'fial_on'"),
        ('fail_on = "severe"\n', "fail_on", "unknown severity"),
        ("fail_on = 3\n", "fail_on", "must be a severity"),
        ("min_score = 101\n", "min_score", "between 0 and 100"),
        ("min_score = true\n", "min_score", "must be an integer"),
        ('min_score = "50"\n', "min_score", "must be an integer"),
        ("cooldown_days = -1\n", "cooldown_days", "between 0 and"),
        ('require_provenance = "yes"\n', "require_provenance", "true or false"),
        ('trusted_publishers = "x"\n', "trusted_publishers", "list of strings"),
        ("trusted_publishers = [1]\n", "trusted_publishers", "non-empty string"),
        ('allowed_registries = ["registry.npmjs.org"]\n', "allowed_registries", "http(s) URL"),
        ('\n[rules.XX99]\nseverity = "low"\n', "[rules.XX99]", "unknown rule id 'XX99'"),
        (
            '\n[rules.SC01]\nseverity = "low"\nenable = false\n',
            "enable =",
            "unknown key 'enable' in [rules.SC01]",
        ),
        ("\n[rules.SC01]\nenabled = 1\n", "enabled", "true or false"),
        ('\n[rules]\nSC01 = { severity = "bad" }\n', "SC01 =", "unknown severity"),
        ("fail_on = \n", "fail_on", "invalid TOML"),
    ],
)
def test_errors_name_the_line(tmp_path: Path, text: str, needle: str, message: str) -> None:
    err = error_for(tmp_path, text)
    assert message in str(err)
    assert err.line == line_of(text, needle)
    assert str(err).startswith(f"{err.file}:{err.line}: ")


@pytest.mark.parametrize("missing", ["approver", "expires", "reason", "rule"])
def test_waiver_missing_required_key(tmp_path: Path, missing: str) -> None:
    text = 'fail_on = "high"\n' + WAIVER + WAIVER.replace(f"\n{missing} =", "\n# removed =")
    err = error_for(tmp_path, text)
    assert f"waiver #2 is missing the required key '{missing}'" in str(err)
    assert err.line == line_of(text, "[[waivers]]", occurrence=2)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("expires = 2027-01-31", 'expires = "31/01/2027"', "expires must be a date"),
        ("expires = 2027-01-31", 'expires = "2027-02-30"', "expires must be a date"),
        ("expires = 2027-01-31", "expires = 2027-01-31T10:00:00", "not a date-time"),
        ('rule = "SC01"', 'rule = "SC99"', "unknown rule id 'SC99'"),
        ('approver = "sec-lead"', 'approver = ""', "approver must be a non-empty string"),
        ('owner = "platform"', 'owner = "platform"\nticket = "SEC-1"', "unknown key 'ticket'"),
    ],
)
def test_waiver_bad_values(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = WAIVER + WAIVER.replace(old, new)
    err = error_for(tmp_path, text)
    assert message in str(err)
    assert err.line == line_of(text, new.splitlines()[-1])


def test_multiline_strings_do_not_confuse_line_numbers(tmp_path: Path) -> None:
    text = '''
[[waivers]]
rule = "SC01"
reason = """
approver = "this is text, not a key"
expires = 2020-01-01
"""
expires = 2027-01-01
'''
    err = error_for(tmp_path, text)
    assert "missing the required key 'approver'" in str(err)
    assert err.line == 2


def test_unreadable_or_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not found"):
        load_policy(tmp_path / "absent.toml", rule_ids=CATALOGUE.ids)
    bad = tmp_path / "mcpscan.toml"
    bad.write_bytes(b"\xff\xfe fail_on")
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(bad, rule_ids=CATALOGUE.ids)


def test_find_policy(tmp_path: Path) -> None:
    assert find_policy(tmp_path) is None
    write(tmp_path, "")
    assert find_policy(tmp_path) == tmp_path / "mcpscan.toml"


def test_with_overrides_validates_min_score() -> None:
    assert Policy().with_overrides(fail_on=Severity.LOW).fail_on is Severity.LOW
    with pytest.raises(PolicyError):
        Policy().with_overrides(min_score=150)


def test_example_policy_has_one_active_and_one_expired_waiver() -> None:
    p = load_policy(EXAMPLE, rule_ids=CATALOGUE.ids)
    today = date(2026, 11, 25)
    assert [w.expired(today) for w in p.waivers] == [False, True]
    assert all(w.reason and w.approver and w.owner for w in p.waivers)
    assert p.override_for("SP03") is not None


def test_npm_keys_name_a_registrys_own_keys(tmp_path: Path) -> None:
    text = '[npm]\nkeys = { "https://npm.corp.example" = "keys/corp.json" }\n'
    policy = load_policy(write(tmp_path, text), rule_ids=CATALOGUE.ids)
    # Relative to the policy file, not to the working directory.
    assert policy.npm_keys == (("https://npm.corp.example", tmp_path / "keys" / "corp.json"),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[npm]\nkeys = { "npm.corp.example" = "k.json" }\n', "is not an http(s) registry URL"),
        ('[npm]\nkeys = ["k.json"]\n', "[npm] keys must be a table"),
        ("[npm]\nkey = {}\n", "unknown key 'key' in [npm]"),
    ],
)
def test_npm_keys_errors_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    err = error_for(tmp_path, text)
    assert message in err.message
    assert err.line == 2
