"""``mcpscan approve``, ``mcpscan diff`` and ``mcpscan policy init|check``.

``approve`` and ``diff`` need the facts of a scan; they get them from a ``run_scan``
function handed to :func:`register` (by default ``mcpscan.cli.app.run_scan`` with the
command's ``--policy``), so these commands never build the scan's seams themselves.
"""

from __future__ import annotations

import datetime as _dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from mcpscan.cli.exit_codes import ExitCode, for_error
from mcpscan.errors import McpscanError, UsageError

if TYPE_CHECKING:
    from mcpscan.models import ScanResult

RunScan = Callable[[list[str]], "ScanResult"]

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


def _fail(message: str, code: ExitCode) -> NoReturn:
    typer.echo(f"mcpscan: error: {message}", err=True)
    raise typer.Exit(int(code))


def _default_run_scan(policy: Path | None, resolve: bool, offline: bool) -> RunScan:
    """The application's own scan, with this command's options."""

    def run(targets: list[str]) -> ScanResult:
        from mcpscan.cli.app import ScanSettings, run_scan

        settings = ScanSettings(policy_path=policy, resolve=resolve, offline=offline)
        return run_scan(targets, settings).result

    return run


def _policy_path(policy: Path | None) -> Path | None:
    from mcpscan.ruleset.policy import find_policy

    return policy if policy is not None else find_policy(Path.cwd())


def _scan(run_scan: RunScan, targets: list[str]) -> ScanResult:
    result = run_scan(targets)
    if not result.connectors:
        where = ", ".join(targets) if targets else "any known client config location"
        _fail(f"nothing to scan: no MCP connector found in {where}", ExitCode.NOTHING_TO_SCAN)
    return result


def register(app: typer.Typer, run_scan: RunScan | None = None) -> None:
    """Add ``approve``, ``diff`` and the ``policy`` group to the mcpscan application."""

    def scan_fn(policy: Path | None, resolve: bool, offline: bool) -> RunScan:
        if run_scan is not None:
            return run_scan
        return _default_run_scan(policy, resolve, offline)

    @app.command("approve")
    def approve_cmd(
        targets: Annotated[
            list[str],
            typer.Argument(help="What to approve (as for `mcpscan scan`).", show_default=False),
        ],
        approver: Annotated[
            str,
            typer.Option("--approver", help="Who approves them (a principal of allowed_signers)."),
        ],
        owner: Annotated[
            str | None,
            typer.Option(
                "--owner",
                help="Who owns these connectors (default: the CODEOWNERS entry of each config).",
            ),
        ] = None,
        note: Annotated[str, typer.Option("--note", help="Why, ticket, scope...")] = "",
        sign: Annotated[
            str | None,
            typer.Option(
                "--sign",
                metavar="KEY",
                help="Sign the approval with this SSH key: a private key file, or a .pub file "
                "(or key::ssh-ed25519 AAAA...) of a key held by ssh-agent.",
            ),
        ] = None,
        add_signature: Annotated[
            str | None,
            typer.Option(
                "--add-signature",
                metavar="KEY",
                help="Co-sign the existing, unchanged entries as --approver with this key "
                "(for min_approvals).",
            ),
        ] = None,
        lock_path: Annotated[
            Path | None,
            typer.Option(
                "--lock", help="Lock file (default: mcpscan.lock beside the policy, else here)."
            ),
        ] = None,
        policy: Annotated[
            Path | None,
            typer.Option("--policy", envvar="MCPSCAN_POLICY", help="Policy file (mcpscan.toml)."),
        ] = None,
        resolve: Annotated[
            bool,
            typer.Option(
                "--resolve/--no-resolve",
                envvar="MCPSCAN_RESOLVE",
                help="Resolve versions, digests and maintainers from the registries.",
            ),
        ] = True,
        offline: Annotated[
            bool, typer.Option("--offline", envvar="MCPSCAN_OFFLINE", help="Cache only.")
        ] = False,
    ) -> None:
        """Record the scanned connectors in mcpscan.lock with their owner and approver,
        signed with --sign KEY; or co-sign existing entries with --add-signature KEY."""
        from mcpscan.lock import Lock, default_lock_path, load_lock, save_lock
        from mcpscan.lock.approving import Request, apply
        from mcpscan.lock.keys import load_signer
        from mcpscan.ruleset import Policy, load_policy

        try:
            if not approver.strip() or (owner is not None and not owner.strip()):
                raise UsageError("--owner and --approver must not be empty")
            if sign and add_signature:
                raise UsageError("use --sign KEY or --add-signature KEY, not both")
            policy_file = _policy_path(policy)
            rules = load_policy(policy_file) if policy_file else Policy()
            path = lock_path or default_lock_path(Path.cwd(), policy_file)
            lock = load_lock(path) if path.exists() else Lock(path=str(path))
            key = sign or add_signature
            signer = load_signer(key) if key else None
            result = _scan(scan_fn(policy, resolve, offline), list(targets))
            if result.incomplete:
                _fail(
                    "the scan is incomplete (see the diagnostics); an approval must record "
                    "what was fully established",
                    ExitCode.INCOMPLETE,
                )
            request = Request(
                approver=approver.strip(),
                owner=owner.strip() if owner else None,
                note=note.strip(),
                signer=signer,
                cosign=add_signature is not None,
            )
            updated = apply(lock, result.connectors, request, rules, today=_dt.date.today())
            save_lock(updated, path)
        except McpscanError as exc:
            _fail(str(exc), for_error(exc))
        names = ", ".join(r.connector.name for r in result.connectors)
        verb = "co-signed" if add_signature else "approved"
        signed = " (signed)" if signer is not None and not add_signature else ""
        typer.echo(f"{verb} {len(result.connectors)} connector(s) in {path}{signed}: {names}")

    @app.command("diff")
    def diff_cmd(
        targets: Annotated[
            list[str] | None,
            typer.Argument(help="What to compare (as for `mcpscan scan`).", show_default=False),
        ] = None,
        lock_path: Annotated[
            Path | None,
            typer.Option("--lock", help="Lock file (default: found beside the policy or here)."),
        ] = None,
        policy: Annotated[
            Path | None,
            typer.Option("--policy", envvar="MCPSCAN_POLICY", help="Policy file (mcpscan.toml)."),
        ] = None,
        resolve: Annotated[
            bool,
            typer.Option(
                "--resolve/--no-resolve",
                envvar="MCPSCAN_RESOLVE",
                help="Resolve versions, digests and maintainers from the registries.",
            ),
        ] = True,
        offline: Annotated[
            bool, typer.Option("--offline", envvar="MCPSCAN_OFFLINE", help="Cache only.")
        ] = False,
    ) -> None:
        """Print what changed since approval and every approval that does not hold
        (unverified, expired, self-approved, too few): exit 1 on any, 0 when none."""
        from mcpscan.lock import allowed_signers_for, approval_facts, find_lock, load_lock
        from mcpscan.lock.signing import ApprovalVerifier
        from mcpscan.ruleset import Policy, load_policy
        from mcpscan.ruleset.lock_checks import approval_problems

        try:
            policy_file = _policy_path(policy)
            rules = load_policy(policy_file) if policy_file else Policy()
            path = lock_path or find_lock(Path.cwd(), policy_file)
            if path is None:
                raise UsageError("no approval lock: pass --lock or run `mcpscan approve` first")
            lock = load_lock(path)
            verifier = ApprovalVerifier(
                today=_dt.date.today(),
                allowed_signers=allowed_signers_for(rules.allowed_signers),
                valid_days=rules.approval_valid_days,
                allow_self_approval=rules.allow_self_approval,
            )
            result = _scan(scan_fn(policy, resolve, offline), list(targets or []))
        except McpscanError as exc:
            _fail(str(exc), for_error(exc))
        lines: list[str] = []
        drift = False
        seen: set[str] = set()
        scanned_files: set[str] = set()
        for r in result.connectors:
            facts = approval_facts(
                lock, r.connector, r.launch, r.graph, r.provenance, verifier=verifier
            )
            seen.add(facts.key)
            scanned_files.add(facts.observed.file)
            if facts.entry is None:
                drift = True
                lines.append(f"+ {r.connector.name} ({facts.key}): not in the lock")
                continue
            if facts.changes:
                drift = True
                lines.append(f"~ {r.connector.name} ({facts.key}):")
                lines += [f"    {c.describe()}" for c in facts.changes]
            lines += [f"  {r.connector.name}: not compared: {u}" for u in facts.unchecked]
            problems = approval_problems(r.connector, r.launch, facts, rules)
            drift = drift or bool(problems)
            lines += [f"! {r.connector.name}: {p}" for p in problems]
        # An approved connector gone from a file that was scanned is drift too (only files
        # this run read: scanning one config says nothing about the others in the lock).
        for entry in lock.entries:
            if entry.key not in seen and entry.file in scanned_files:
                drift = True
                lines.append(f"- {entry.name} ({entry.key}): approved but no longer configured")
        if not drift:
            lines.append(f"no drift from {path}")
        sys.stdout.write("\n".join(lines) + "\n")
        if drift:
            raise typer.Exit(int(ExitCode.FAIL))
        if result.incomplete:
            typer.echo("mcpscan: scan incomplete: the comparison may be partial", err=True)
            raise typer.Exit(int(ExitCode.INCOMPLETE))

    policy_app = typer.Typer(help="Write or validate a policy file.", no_args_is_help=True)
    app.add_typer(policy_app, name="policy")

    @policy_app.command("init")
    def policy_init(
        path: Annotated[Path, typer.Argument(help="Where to write it.")] = Path("mcpscan.toml"),
        force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    ) -> None:
        """Write a commented mcpscan.toml with every key and its default."""
        if path.exists() and not force:
            _fail(f"{path} exists (use --force to replace it)", ExitCode.USAGE)
        try:
            path.write_text(POLICY_TEMPLATE, encoding="utf-8")
        except OSError as exc:
            _fail(f"cannot write {path}: {exc.strerror}", ExitCode.USAGE)
        typer.echo(f"wrote {path}; check it with `mcpscan policy check {path}`")

    @policy_app.command("check")
    def policy_check(
        path: Annotated[Path, typer.Argument(help="The policy file.")] = Path("mcpscan.toml"),
        rules_dir: Annotated[
            Path | None, typer.Option("--rules", help="Rule catalogue directory.")
        ] = None,
    ) -> None:
        """Validate a policy file: every problem with its file and line (exit 2), else 0."""
        from mcpscan.ruleset import load_catalogue
        from mcpscan.ruleset.policy import policy_problems

        try:
            problems = policy_problems(path, rule_ids=load_catalogue(rules_dir).ids)
        except McpscanError as exc:
            _fail(str(exc), for_error(exc))
        for problem in problems:
            typer.echo(f"mcpscan: error: {problem}", err=True)
        if problems:
            raise typer.Exit(int(ExitCode.USAGE))
        typer.echo(f"{path}: ok")
