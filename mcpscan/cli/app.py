"""The typer application: options, environment variables, choice of implementations.

Commands stay thin: they build the seams, call :class:`mcpscan.scan.Scanner`, render, and
hand the outcome to :mod:`mcpscan.cli.exit_codes`. Everything printed passes through the
scan's :class:`~mcpscan.redaction.Redactor`.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from mcpscan import __version__
from mcpscan.cli.attest_cmd import register as register_attest_commands
from mcpscan.cli.db_cmd import db_app
from mcpscan.cli.exit_codes import ExitCode, for_error, for_result
from mcpscan.cli.lock_cmd import register as register_lock_commands
from mcpscan.errors import McpscanError, UsageError
from mcpscan.fileio import atomic_write_text
from mcpscan.models import Diagnostic
from mcpscan.redaction import Redactor

if TYPE_CHECKING:
    from mcpscan.advisories.service import AdvisoryService
    from mcpscan.models import ScanResult
    from mcpscan.net.http import HttpClient
    from mcpscan.provenance.service import ProvenanceService
    from mcpscan.ruleset import Catalogue, Policy
    from mcpscan.scan import Resolution
    from mcpscan.sources.interface import LoadResult

if TYPE_CHECKING:
    from mcpscan.sources import LoadResult

app = typer.Typer(
    name="mcpscan",
    help="Scan MCP connectors for supply-chain risk before they are installed.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
rules_app = typer.Typer(help="Browse the rule catalogue.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(db_app, name="db")
register_attest_commands(app)
register_lock_commands(app)

# Kept literal so --help needs no import of the report package; a test checks it against
# mcpscan.report.formats().
FORMATS = ("table", "json", "sarif", "cyclonedx", "markdown", "html")
LIST_FORMATS = ("table", "json")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mcpscan {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """mcpscan: what would this connector run, who built it, and who approved it?"""


# -- helpers ------------------------------------------------------------------------------


def _fail(message: str, code: ExitCode, redactor: Redactor | None = None) -> NoReturn:
    text = redactor.scrub(message) if redactor else message
    typer.echo(f"mcpscan: error: {text}", err=True)
    raise typer.Exit(int(code))


def _system() -> str:
    return {"Darwin": "darwin", "Windows": "windows"}.get(platform.system(), "linux")


def _write_output(text: str, output: Path | None) -> None:
    """Write the report only once it is complete: a failed scan leaves no half file."""
    if output is None:
        sys.stdout.write(text)
        if not text.endswith("\n"):
            sys.stdout.write("\n")
        sys.stdout.flush()
        return
    output = output.expanduser()
    if output.parent and not output.parent.exists():
        raise UsageError(f"cannot write {output}: directory {output.parent} does not exist")
    try:
        atomic_write_text(output, text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None


def _render(
    fmt: str, result: ScanResult, *, catalogue: Catalogue, reproducible: bool, color: bool
) -> str:
    from mcpscan.report import get_renderer

    if fmt == "sarif":
        from mcpscan.report.sarif import SarifRenderer

        return SarifRenderer(catalogue=catalogue).render(result)
    if fmt == "cyclonedx":
        from mcpscan.report.cyclonedx import CycloneDxRenderer

        return CycloneDxRenderer(reproducible=reproducible).render(result)
    return get_renderer(fmt, color=color).render(result)


def _scrub_report(text: str, fmt: str, redactor: Redactor) -> str:
    """The report without any known secret.

    JSON is scrubbed value by value: replacing text in the whole document could hit a key
    ("file") or a literal (``true``) equal to a secret and leave invalid or off-schema JSON.
    """
    if fmt not in ("json", "sarif", "cyclonedx") or not len(redactor):
        return redactor.scrub(text)
    import json

    return json.dumps(_scrub_values(json.loads(text), redactor), indent=2) + "\n"


def _scrub_values(doc: object, redactor: Redactor) -> object:
    if isinstance(doc, str):
        return redactor.scrub(doc)
    if isinstance(doc, list):
        return [_scrub_values(item, redactor) for item in doc]
    if isinstance(doc, dict):
        return {key: _scrub_values(value, redactor) for key, value in doc.items()}
    return doc


def _use_color(output: Path | None, no_color: bool) -> bool:
    return output is None and not no_color and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _load(targets: list[str], cwd: Path) -> tuple[list[str], LoadResult]:
    """The targets asked for, or this user's discovered configs, and what they hold."""
    from mcpscan.sources import discover, load_discovered, load_targets

    if targets:
        return targets, load_targets(targets, cwd=cwd)
    found = discover(home=Path.home(), cwd=cwd, system=_system(), env=dict(os.environ))
    # load_discovered keeps the client and scope discovery established for each file.
    return [str(d.path) for d in found], load_discovered(found, cwd=cwd)


# -- scan ---------------------------------------------------------------------------------


@app.command()
def scan(
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            help="Config files, directories, server.json files or package specs "
            "(npm:name@1.2.3, pypi:name==1.0, oci:ref, pkg:npm/...). "
            "None: discover this user's client configs.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("-f", "--format", help=f"Report format: {', '.join(FORMATS)}.")
    ] = "table",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the report here (default stdout).")
    ] = None,
    policy_path: Annotated[
        Path | None,
        typer.Option("--policy", envvar="MCPSCAN_POLICY", help="Policy file (mcpscan.toml)."),
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            envvar="MCPSCAN_FAIL_ON",
            help="Fail when a finding is at or above this severity "
            "(critical, high, medium, low, info). Overrides the policy.",
        ),
    ] = None,
    rules_dir: Annotated[
        Path | None, typer.Option("--rules", help="Use this rule catalogue directory.")
    ] = None,
    allow_incomplete: Annotated[
        bool,
        typer.Option(
            "--allow-incomplete", help="Exit with the verdict even when some data was missing."
        ),
    ] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colours in the table.")] = False,
    quiet: Annotated[
        bool, typer.Option("-q", "--quiet", help="No diagnostics on stderr.")
    ] = False,
    resolve: Annotated[
        bool,
        typer.Option(
            "--resolve/--no-resolve",
            envvar="MCPSCAN_RESOLVE",
            help="Resolve what each launcher would install (needs the registries or the "
            "cache). --no-resolve judges the configuration alone.",
        ),
    ] = True,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            envvar="MCPSCAN_OFFLINE",
            help="Open no socket: registry data comes from the cache only; a miss makes the "
            "scan incomplete (exit 3).",
        ),
    ] = False,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir", envvar="MCPSCAN_CACHE_DIR", help="Cache directory (default: the "
            "platform's user cache directory)."
        ),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", envvar="MCPSCAN_NO_CACHE", help="Do not use the cache.")
    ] = False,
    npm_registry: Annotated[
        str | None,
        typer.Option(
            "--npm-registry",
            envvar="MCPSCAN_NPM_REGISTRY",
            help="npm registry URL (default: from .npmrc, else registry.npmjs.org).",
        ),
    ] = None,
    pypi_url: Annotated[
        str | None,
        typer.Option(
            "--pypi-url",
            envvar="MCPSCAN_PYPI_URL",
            help="PyPI simple index URL (default: PIP_INDEX_URL / pip config, else pypi.org).",
        ),
    ] = None,
    python_version: Annotated[
        str | None,
        typer.Option(
            "--python-version",
            envvar="MCPSCAN_PYTHON_VERSION",
            help="Target Python for PyPI markers and wheels (default: this interpreter).",
        ),
    ] = None,
    target_platform: Annotated[
        str | None,
        typer.Option(
            "--platform",
            envvar="MCPSCAN_PLATFORM",
            help="Target OS for markers and npm os filters: linux, darwin or win32 "
            "(default: this machine).",
        ),
    ] = None,
    advisories: Annotated[
        bool,
        typer.Option(
            "--advisories/--no-advisories",
            envvar="MCPSCAN_ADVISORIES",
            help="Check every package against advisory data (OSV, PyPI, npm).",
        ),
    ] = True,
    advisory_db: Annotated[
        list[Path] | None,
        typer.Option(
            "--advisory-db",
            help="Offline OSV data: a directory of OSV JSON files or an OSV ecosystem "
            "all.zip (repeatable). Only these are consulted when given.",
        ),
    ] = None,
    osv_url: Annotated[
        str | None,
        typer.Option("--osv-url", envvar="MCPSCAN_OSV_URL", help="OSV API base URL."),
    ] = None,
    sarif_path: Annotated[
        Path | None,
        typer.Option("--sarif", help="Also write a SARIF 2.1.0 report here (for code scanning)."),
    ] = None,
    sbom_path: Annotated[
        Path | None,
        typer.Option("--sbom", help="Also write a CycloneDX 1.6 SBOM here."),
    ] = None,
    reproducible: Annotated[
        bool,
        typer.Option(
            "--reproducible",
            help="CycloneDX without serial number and timestamp: equal scans, equal bytes.",
        ),
    ] = False,
    provenance: Annotated[
        bool,
        typer.Option(
            "--provenance/--no-provenance",
            envvar="MCPSCAN_PROVENANCE",
            help="Verify registry signatures and provenance attestations (npm, PEP 740).",
        ),
    ] = True,
    verify_artifacts: Annotated[
        bool,
        typer.Option(
            "--verify-artifacts",
            envvar="MCPSCAN_VERIFY_ARTIFACTS",
            help="Download each launched artifact (up to 100 MB; never run or unpacked) and "
            "check its digest against the registry, the lockfile and an MCPB fileSha256.",
        ),
    ] = False,
    lock_path: Annotated[
        Path | None,
        typer.Option(
            "--lock",
            envvar="MCPSCAN_LOCK",
            help="Approval lock (default: mcpscan.lock beside the policy or in the working "
            "directory). Unapproved connectors and drift are reported (GV01, GV02).",
        ),
    ] = None,
    attest_path: Annotated[
        Path | None,
        typer.Option(
            "--attest",
            help="Also write a signed in-toto attestation of the result (DSSE) here.",
        ),
    ] = None,
    attest_key: Annotated[
        Path | None,
        typer.Option(
            "--attest-key",
            envvar="MCPSCAN_ATTEST_KEY",
            help="Private key for --attest (from `mcpscan keygen`).",
        ),
    ] = None,
) -> None:
    """Scan MCP connectors and report a pass/fail verdict."""
    redactor: Redactor | None = None
    try:
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
        if attest_path is not None and attest_key is None:
            raise UsageError("--attest needs --attest-key (create one with `mcpscan keygen`)")
        run = run_scan(
            list(targets or []),
            ScanSettings(
                policy_path=policy_path,
                fail_on=fail_on,
                rules_dir=rules_dir,
                resolve=resolve,
                offline=offline,
                cache_dir=cache_dir,
                no_cache=no_cache,
                npm_registry=npm_registry,
                pypi_url=pypi_url,
                python_version=python_version,
                target_platform=target_platform,
                advisories=advisories,
                advisory_db=tuple(advisory_db or ()),
                osv_url=osv_url,
                lock_path=lock_path,
                provenance=provenance,
                verify_artifacts=verify_artifacts,
            ),
        )
        result, loaded, redactor, catalogue = run.result, run.loaded, run.redactor, run.catalogue
        wanted = list(result.targets)
        code = for_result(result, allow_incomplete=allow_incomplete)
        if code is ExitCode.USAGE:
            # Nothing could be read: no report (it would say "pass"), only why, even with -q.
            for diag in result.diagnostics:
                if diag.fatal:
                    typer.echo(redactor.scrub(f"mcpscan: error: {diag}"), err=True)
            raise typer.Exit(int(code))
        # Every report is rendered before any is written: a failure leaves no partial set.
        reports = [(fmt, output)]
        reports += [("sarif", sarif_path)] if sarif_path else []
        reports += [("cyclonedx", sbom_path)] if sbom_path else []
        texts = [
            (
                _scrub_report(
                    _render(name, result, catalogue=catalogue, reproducible=reproducible,
                            color=_use_color(output, no_color) and path is None),
                    name,
                    redactor,
                ),
                path,
            )
            for name, path in reports
        ]
        for text, path in texts:
            _write_output(text, path)
        if attest_path is not None and attest_key is not None:
            from mcpscan.cli.attest_cmd import write_attestation

            report = _scrub_report(
                _render("json", result, catalogue=catalogue, reproducible=True, color=False),
                "json",
                redactor,
            )
            write_attestation(
                report, [Path(f) for f in loaded.files_read], attest_key, attest_path
            )
        if not quiet:
            for diag in result.diagnostics:
                typer.echo(redactor.scrub(f"mcpscan: {diag}"), err=True)
        if code is ExitCode.NOTHING_TO_SCAN and not quiet:
            where = ", ".join(wanted) if wanted else "any known client config location"
            typer.echo(f"mcpscan: nothing to scan: no MCP connector found in {where}", err=True)
        if code is ExitCode.INCOMPLETE and not quiet:
            typer.echo(
                "mcpscan: scan incomplete: some inputs or registry data could not be read "
                "(use --allow-incomplete to exit with the verdict anyway)",
                err=True,
            )
        raise typer.Exit(int(code))
    except McpscanError as exc:
        _fail(str(exc), for_error(exc), redactor)


@dataclass(frozen=True)
class ScanSettings:
    """Everything that decides what a scan looks at, apart from the targets."""

    policy_path: Path | None = None
    fail_on: str | None = None
    rules_dir: Path | None = None
    resolve: bool = True
    offline: bool = False
    cache_dir: Path | None = None
    no_cache: bool = False
    npm_registry: str | None = None
    pypi_url: str | None = None
    python_version: str | None = None
    target_platform: str | None = None
    advisories: bool = True
    advisory_db: tuple[Path, ...] = ()
    osv_url: str | None = None
    lock_path: Path | None = None
    provenance: bool = True
    verify_artifacts: bool = False


@dataclass(frozen=True)
class ScanRun:
    result: ScanResult
    loaded: LoadResult
    redactor: Redactor  # every literal secret read, for scrubbing whatever is printed
    catalogue: Catalogue
    policy: Policy


def run_scan(targets: list[str], settings: ScanSettings | None = None) -> ScanRun:
    """Read the targets (or discover configs), build the seams the settings ask for, and
    scan. Raises McpscanError for usage and input errors; renders nothing."""
    from mcpscan.models import Severity
    from mcpscan.ruleset import Engine, Policy, find_policy, load_catalogue, load_policy
    from mcpscan.scan import Scanner, ScanOptions, redactor_for

    opts = settings or ScanSettings()
    cwd = Path.cwd()
    override = None
    if opts.fail_on is not None:
        try:
            override = Severity.parse(opts.fail_on)
        except ValueError as exc:
            raise UsageError(f"--fail-on: {exc}") from None
    catalogue = load_catalogue(opts.rules_dir)
    policy_file = opts.policy_path or find_policy(cwd)
    policy = load_policy(policy_file, rule_ids=catalogue.ids) if policy_file else Policy()
    if override is not None:
        policy = policy.with_overrides(fail_on=override)
    wanted, loaded = _load(targets, cwd)
    redactor = redactor_for(loaded)
    engine = Engine(catalogue, policy)
    resolution = None
    advisory_service = None
    provenance_service = None
    if opts.no_cache and opts.offline:
        raise UsageError("--offline needs the cache: drop --no-cache")
    if opts.verify_artifacts and not (opts.provenance and opts.resolve):
        raise UsageError("--verify-artifacts needs resolution and provenance checks: drop "
                         "--no-resolve and --no-provenance")
    cache = None if opts.no_cache else (opts.cache_dir or _default_cache_dir())
    if opts.resolve or opts.advisory_db:
        from mcpscan.net.http import HttpClient, HttpConfig

        client = HttpClient(HttpConfig(cache_dir=cache, offline=opts.offline))
        resolution, lock_diags = _resolution(
            cwd=cwd,
            targets=wanted,
            offline=opts.offline,
            cache_dir=cache,
            npm_registry=opts.npm_registry,
            pypi_url=opts.pypi_url,
            python_version=opts.python_version,
            target_platform=opts.target_platform,
            client=client,
        )
        loaded = _with_diagnostics(loaded, lock_diags)
        if opts.advisories:
            advisory_service = _advisory_service(
                client,
                resolution,
                databases=list(opts.advisory_db),
                offline=opts.offline,
                cache_dir=cache,
                osv_url=opts.osv_url,
                max_age_days=policy.advisory_db_max_age_days,
            )
        if opts.provenance and opts.resolve:
            provenance_service = _provenance_service(
                client, resolution, verify_artifacts=opts.verify_artifacts
            )
        if not opts.resolve:
            # --advisory-db with --no-resolve: the launched pinned packages are still
            # checked, but nothing is resolved.
            resolution = None
    from mcpscan.lock import allowed_signers_for, find_lock, load_lock

    lock_file = opts.lock_path or find_lock(cwd, policy_file)
    if opts.lock_path is not None and not opts.lock_path.exists():
        raise UsageError(f"--lock {opts.lock_path}: no such file")
    lock = load_lock(lock_file) if lock_file else None
    options = ScanOptions(
        today=_dt.date.today(),
        check_approval=lock is not None or policy.require_approval,
        lock=lock,
        allowed_signers=(
            allowed_signers_for(policy.allowed_signers) if lock is not None else None
        ),
    )
    scanner = Scanner(engine, options, resolution, advisory_service, provenance_service)
    result = scanner.scan(wanted, loaded)
    for cr in result.connectors:
        for sa in cr.launch.secret_args:
            redactor.add(sa.value)
    return ScanRun(result, loaded, redactor, catalogue, policy)


def _default_cache_dir() -> Path:
    from mcpscan.net.store import default_cache_dir

    return default_cache_dir()


def _resolution(
    *,
    cwd: Path,
    targets: list[str],
    offline: bool,
    cache_dir: Path | None,
    npm_registry: str | None,
    pypi_url: str | None,
    python_version: str | None,
    target_platform: str | None,
    client: HttpClient | None = None,
) -> tuple[Resolution, list[Diagnostic]]:
    """The registry clients and resolvers for this scan, and the lockfiles of the
    directories being scanned (which win over the registries for what they lock)."""
    from mcpscan.net.http import HttpClient, HttpConfig
    from mcpscan.registry.npm import NpmRegistry
    from mcpscan.registry.pypi import PypiRegistry
    from mcpscan.registry.settings import npm_registry_url, npm_scope_registries, pypi_index_url
    from mcpscan.resolve.environment import TargetEnvironment
    from mcpscan.resolve.lockfiles import LockfileError, find_lockfiles, read_lockfile
    from mcpscan.resolve.npm import NpmResolver, npm_arch
    from mcpscan.resolve.pypi import PypiResolver
    from mcpscan.scan import Resolution

    env = dict(os.environ)
    home = Path.home()
    if client is None:
        client = HttpClient(HttpConfig(cache_dir=cache_dir, offline=offline))
    npm = NpmRegistry(
        client,
        npm_registry or npm_registry_url(env, home, cwd),
        scope_registries=npm_scope_registries(env, home, cwd),
    )
    pypi = PypiRegistry(client, pypi_url or pypi_index_url(env, home))
    if target_platform is not None and target_platform not in ("linux", "darwin", "win32"):
        raise UsageError(f"--platform {target_platform!r}: choose linux, darwin or win32")
    if python_version or target_platform:
        target = TargetEnvironment(
            python_version=python_version or f"{sys.version_info[0]}.{sys.version_info[1]}",
            platform=target_platform or sys.platform,
            # Another OS is another machine (its usual CPU); another Python alone is not.
            machine="" if target_platform else platform.machine(),
        )
    else:
        target = TargetEnvironment.current()
    resolvers = {
        # npm's os/cpu filters follow the same machine the PyPI wheels are chosen for.
        "npm": NpmResolver(npm, platform=target_platform or sys.platform,
                           arch=npm_arch(target.machine)),
        "pypi": PypiResolver(pypi, target),
    }
    locks = []
    diags: list[Diagnostic] = []
    for t in targets:
        path = Path(t)
        if not path.is_dir():
            continue
        for lock_path in find_lockfiles(path):
            try:
                locks.append(read_lockfile(lock_path))
            except LockfileError as exc:
                diags.append(Diagnostic(str(lock_path), exc.line, exc.message))
    return Resolution(resolvers, locks), diags


def _advisory_service(
    client: HttpClient,
    resolution: Resolution,
    *,
    databases: list[Path],
    offline: bool,
    cache_dir: Path | None,
    osv_url: str | None,
    max_age_days: int,
) -> AdvisoryService:
    """OSV (online, or the given/cached offline databases), plus the PyPI and npm
    registries' own advisory data, reusing the resolution's registry clients."""
    from mcpscan.advisories.osv_api import DEFAULT_OSV_URL
    from mcpscan.advisories.service import build_advisory_service
    from mcpscan.resolve.npm import NpmResolver
    from mcpscan.resolve.pypi import PypiResolver

    for db in databases:
        if not db.exists():
            raise UsageError(f"--advisory-db {db}: no such file or directory")
    npm = resolution.resolvers.get("npm")
    pypi = resolution.resolvers.get("pypi")
    return build_advisory_service(
        client,
        databases=databases,
        offline=offline,
        cache_dir=cache_dir,
        osv_url=osv_url or DEFAULT_OSV_URL,
        pypi=pypi.registry if isinstance(pypi, PypiResolver) else None,
        npm_registry_url=npm.registry.base_url if isinstance(npm, NpmResolver) else None,
        max_age_days=max_age_days,
    )


def _provenance_service(
    client: HttpClient, resolution: Resolution, *, verify_artifacts: bool = False
) -> ProvenanceService:
    """npm registry signatures and attestations, PyPI's PEP 740 integrity API and artifact
    digests, from the registries the scan resolves against; verified offline against
    Sigstore's trust root."""
    from mcpscan.provenance.pypi import integrity_base_url
    from mcpscan.provenance.service import build_provenance_service
    from mcpscan.resolve.npm import NpmResolver
    from mcpscan.resolve.pypi import PypiResolver

    npm = resolution.resolvers.get("npm")
    pypi = resolution.resolvers.get("pypi")
    return build_provenance_service(
        client,
        npm_registry_url=npm.registry.base_url if isinstance(npm, NpmResolver) else None,
        pypi_integrity_url=integrity_base_url(pypi.registry)
        if isinstance(pypi, PypiResolver)
        else None,
        verify_artifacts=verify_artifacts,
        pypi_registry=pypi.registry if isinstance(pypi, PypiResolver) else None,
    )


def _with_diagnostics(loaded: LoadResult, extra: list[Diagnostic]) -> LoadResult:
    """Unreadable lockfiles are reported; resolution falls back to the registries."""
    if not extra:
        return loaded
    from dataclasses import replace

    return replace(loaded, diagnostics=(*loaded.diagnostics, *extra))


@app.command()
def sbom(
    targets: Annotated[
        list[str] | None,
        typer.Argument(help="What to scan (as for `mcpscan scan`).", show_default=False),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the SBOM here (default stdout).")
    ] = None,
    reproducible: Annotated[
        bool, typer.Option("--reproducible", help="No serial number or timestamp.")
    ] = False,
    offline: Annotated[
        bool, typer.Option("--offline", envvar="MCPSCAN_OFFLINE", help="Cache only.")
    ] = False,
    cache_dir: Annotated[
        Path | None, typer.Option("--cache-dir", envvar="MCPSCAN_CACHE_DIR", help="Cache.")
    ] = None,
    advisory_db: Annotated[
        list[Path] | None, typer.Option("--advisory-db", help="Offline OSV data.")
    ] = None,
    allow_incomplete: Annotated[
        bool, typer.Option("--allow-incomplete", help="Exit with the verdict anyway.")
    ] = False,
) -> None:
    """Short for `mcpscan scan -f cyclonedx`: a CycloneDX 1.6 SBOM of the connectors."""
    scan(
        targets=targets,
        fmt="cyclonedx",
        output=output,
        reproducible=reproducible,
        offline=offline,
        cache_dir=cache_dir,
        advisory_db=advisory_db,
        allow_incomplete=allow_incomplete,
    )


# -- discover -----------------------------------------------------------------------------


@app.command()
def discover(
    directory: Annotated[
        Path | None,
        typer.Argument(help="Project directory to include (default: the current directory)."),
    ] = None,
    fmt: Annotated[str, typer.Option("-f", "--format", help="table or json.")] = "table",
) -> None:
    """List the MCP client configs found on this machine and their connectors (no network)."""
    import json

    from mcpscan.scan import redactor_for
    from mcpscan.sources import discover as find_configs
    from mcpscan.sources import load_discovered

    if fmt not in ("table", "json"):
        _fail(f"unknown format {fmt!r} (choose from table, json)", ExitCode.USAGE)
    cwd = (directory or Path.cwd()).resolve()
    found = find_configs(home=Path.home(), cwd=cwd, system=_system(), env=dict(os.environ))
    rows = []
    redactor = Redactor()
    for d in found:
        loaded = load_discovered([d], cwd=cwd)
        redactor.merge(redactor_for(loaded))
        rows.append(
            {
                "path": str(d.path),
                "client": d.client,
                "scope": d.scope,
                "connectors": [
                    {"name": c.name, "line": c.source.line, "transport": c.transport}
                    for c in loaded.connectors
                ],
                "errors": [str(x) for x in loaded.diagnostics],
            }
        )
    if fmt == "json":
        text = _scrub_report(json.dumps({"configs": rows}, indent=2), fmt, redactor)
    else:
        from io import StringIO

        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        def cell(value: str) -> Text:
            # Config text is never rich markup ("[/]" in a name would crash the table) nor
            # terminal control sequences.
            return Text(re.sub(r"[\x00-\x1f\x7f-\x9f]", "?", value))

        table = Table(title="MCP client configs found", show_lines=False)
        for col in ("client", "scope", "path", "connectors"):
            # Fold, never cut: a long path shortened with "…" no longer names the file.
            table.add_column(col, overflow="fold")
        for r in rows:
            names = ", ".join(c["name"] for c in r["connectors"])  # type: ignore[index]
            # An unreadable config must not look like an empty one.
            errors = "; ".join(r["errors"])  # type: ignore[arg-type]
            table.add_row(
                cell(str(r["client"])),
                cell(str(r["scope"])),
                cell(str(r["path"])),
                cell(names or (f"(unreadable: {errors})" if errors else "(none)")),
            )
        buf = StringIO()
        Console(file=buf, width=120, force_terminal=False).print(table)
        text = redactor.scrub(buf.getvalue()) if rows else "No MCP client configs found.\n"
    sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))
    raise typer.Exit(0 if rows else int(ExitCode.NOTHING_TO_SCAN))


# -- rules --------------------------------------------------------------------------------


@rules_app.command("list")
def rules_list(
    fmt: Annotated[str, typer.Option("-f", "--format", help="table or json.")] = "table",
    rules_dir: Annotated[Path | None, typer.Option("--rules", help="Catalogue directory.")] = None,
) -> None:
    """List every rule with its severity and framework mappings."""
    import json

    from mcpscan.ruleset import load_catalogue

    if fmt not in LIST_FORMATS:
        _fail(f"unknown format {fmt!r} (choose from table, json)", ExitCode.USAGE)
    try:
        catalogue = load_catalogue(rules_dir)
    except McpscanError as exc:
        _fail(str(exc), for_error(exc))
    if fmt == "json":
        doc = [
            {
                "id": r.id,
                "slug": r.slug,
                "title": r.title,
                "severity": r.severity.label,
                "requires": r.requires,
                "frameworks": [f"{f.framework} {f.id}" for f in r.frameworks],
            }
            for r in catalogue.rules
        ]
        typer.echo(json.dumps(doc, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"mcpscan rules ({len(catalogue.rules)})")
    for col in ("id", "slug", "severity", "needs", "maps to"):
        table.add_column(col)
    for r in catalogue.rules:
        table.add_row(
            r.id, r.slug, r.severity.label, r.requires, ", ".join(f.id for f in r.frameworks)
        )
    Console(width=120, no_color=not sys.stdout.isatty()).print(table)


@rules_app.command("show")
def rules_show(
    rule_id: Annotated[str, typer.Argument(help="Rule id (e.g. SC01) or slug.")],
    rules_dir: Annotated[Path | None, typer.Option("--rules", help="Catalogue directory.")] = None,
) -> None:
    """Show one rule: what it tests, why, how to fix, and what it maps to."""
    from mcpscan.ruleset import load_catalogue

    try:
        catalogue = load_catalogue(rules_dir)
    except McpscanError as exc:
        _fail(str(exc), for_error(exc))
    wanted = rule_id.strip()
    rule = next(
        (r for r in catalogue.rules if wanted.upper() == r.id or wanted.lower() == r.slug), None
    )
    if rule is None:
        _fail(f"no rule {wanted!r} (see `mcpscan rules list`)", ExitCode.USAGE)
    lines = [
        f"{rule.id} {rule.slug}: {rule.title}",
        f"severity: {rule.severity.label}    needs: {rule.requires} data"
        + ("" if rule.enabled else "    (disabled by default)"),
        "",
        "Why:",
        f"  {rule.rationale}",
        "",
        "Fix:",
        f"  {rule.remediation}",
        "",
        "Maps to:",
        *(f"  {f.framework} {f.id} {f.title} ({f.version})" for f in rule.frameworks),
    ]
    typer.echo("\n".join(lines))
