"""``mcpscan policy init|check``: write or validate a policy file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mcpscan.cli import output
from mcpscan.cli.exit_codes import for_problems
from mcpscan.cli.options import FLAG, RulesDirOpt
from mcpscan.errors import UsageError

policy_app = typer.Typer(help="Write or validate a policy file.", no_args_is_help=True)

POLICY_TEMPLATE = """\
# mcpscan policy (mcpscan.toml). `mcpscan scan` reads it from the working directory, or
# from --policy PATH. Validate it with `mcpscan policy check`. Every key is optional: a
# key left out keeps the default shown.

# Lowest severity that fails the scan: critical, high, medium, low or info.
fail_on = "high"

# Fail when any connector's score (100 minus the weights of its findings: critical 50,
# high 25, medium 10, low 3) is below this, 0 to 100.
min_score = 0

# A release younger than this many days is reported as fresh (SC08).
cooldown_days = 7

# An offline advisory database older than this many days is reported as stale.
advisory_db_max_age_days = 7

# true: a package without verified provenance is a high finding (SC02), not medium.
require_provenance = false

# true: every connector must be in the approval lock (mcpscan.lock, see `mcpscan approve`),
# even when there is no lock yet (GV01).
require_approval = false

# false: a literal secret rotated in place (same argument, same URL part, new value) is
# not approval drift; `mcpscan diff` still lists "a secret value changed". true (the
# default): a rotation is GV02 like any other change to an approved connector.
rotation_requires_approval = true

# Provenance identities accepted as the publisher: source repositories or workflow globs,
# e.g. "https://github.com/modelcontextprotocol/*".
trusted_publishers = []

# Registries packages may come from (http(s) URLs); empty allows any.
allowed_registries = []

# Approvals (mcpscan approve --sign KEY). The allowed-signers file (git's
# gpg.ssh.allowedSignersFile format) names the SSH key of each approver; relative to this file.
# allowed_signers = "allowed_signers"
# true: an unsigned approval is not an approval (GV04).
require_signed_approvals = false
# Re-review period: an approval older than this many days has expired (GV05); 0 makes every
# approval due at once. Leave it out for approvals that do not expire by age.
# approval_valid_days = 180
# false: an approver who is also the connector's owner is a self-approval (GV06).
allow_self_approval = false
# Approvals by different people each connector needs (more with mcpscan approve
# --add-signature KEY); fewer is GV04.
min_approvals = 1
# [[min_approvals_for]]
# target = "*"                  # connector name, package name or purl; glob
# holding = "broad-credential"  # optional: "literal-secret", "broad-credential" or "credential"
# count = 2

# Signing keys of npm registries of your own (a company registry that signs with its own
# key). Without an entry, every npm registry (mirrors included) is checked against npm's
# keys pinned in mcpscan and refreshed through Sigstore's TUF repository, never against
# the keys the registry itself serves. Paths are relative to this file.
# [npm]
# keys = { "https://npm.corp.example" = "npm-corp-keys.json" }

# Per-rule overrides: change a rule's severity or turn it off. One table per rule id.
# [rules.SC08]
# severity = "low"     # critical, high, medium, low or info
# enabled = true

# Waivers: an approved exception to one rule. rule, reason, approver and expires are
# required; an expired waiver stops applying and is reported (GV03).
# [[waivers]]
# rule = "SC05"                      # the rule id
# target = "@scope/package"          # connector name, package name or purl; glob; default "*"
# advisory = "GHSA-xxxx-xxxx-xxxx"   # only this advisory (SC05/SC06)
# reason = "not reachable: the vulnerable function is never called"
# owner = "platform-team"
# approver = "security@example.com"
# expires = 2026-12-31               # YYYY-MM-DD
"""


@policy_app.command("init")
def policy_init(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="Where to write it.")] = Path(
        "mcpscan.toml"
    ),
    force: Annotated[
        bool, typer.Option("--force", metavar=FLAG, help="Replace an existing file.")
    ] = False,
) -> None:
    """Write a commented mcpscan.toml with every key and its default."""
    with output.errors_exit():
        if path.exists() and not force:
            raise UsageError(f"{path} exists (use --force to replace it)")
        try:
            path.write_text(POLICY_TEMPLATE, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    typer.echo(f"wrote {path}; check it with `mcpscan policy check {path}`")


@policy_app.command("check")
def policy_check(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="The policy file.")] = Path(
        "mcpscan.toml"
    ),
    rules_dir: RulesDirOpt = None,
) -> None:
    """Validate a policy file: every problem with its file and line (exit 2), else 0."""
    from mcpscan.ruleset import load_catalogue
    from mcpscan.ruleset.policy import policy_problems

    with output.errors_exit():
        problems = policy_problems(path, rule_ids=load_catalogue(rules_dir).ids)
    for problem in problems:
        output.error(str(problem))
    if problems:
        raise typer.Exit(int(for_problems(problems)))
    typer.echo(f"{path}: ok")
