"""The shared scan options: ``scan``, ``sbom``, ``fix``, ``approve`` and ``diff`` take them.

A command gets them, and the run options (``--allow-incomplete``, ``-q``), with
:func:`scan_options`, which appends them to its signature and hands the command one
:class:`~mcpscan.wiring.ScanSettings` and one :class:`RunOptions`.
"""

from __future__ import annotations

import copy
import functools
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_args

from mcpscan.cli.options import FLAG, REPORT_PANEL, CacheDirOpt, PolicyOpt, RulesDirOpt
from mcpscan.cli.options import opt as _opt
from mcpscan.resolve.npm.node import LTS_NODE
from mcpscan.wiring import ScanSettings

_PANEL = "Scan options"
# What TargetEnvironment.current() targets when --python-version is not given.
_RUNNING_PYTHON = ".".join(str(part) for part in sys.version_info[:3])


@dataclass(frozen=True)
class _Shared:
    name: str  # the ScanSettings (or RunOptions) field it fills
    annotation: Any  # Annotated[type, typer.Option(...)]
    default: Any


def _in_panel(annotation: Any, panel: str) -> Any:
    """``annotation`` with its option listed under ``panel`` in --help."""
    base, info = get_args(annotation)
    info = copy.copy(info)
    info.rich_help_panel = panel
    return Annotated[base, info]


# The inspection options, one row each.
# fmt: off
_INSPECT_OPTIONS: tuple[_Shared, ...] = (
    _Shared("inspect", Annotated[bool, _opt(
        "--inspect/--no-inspect", envvar="MCPSCAN_INSPECT", metavar=FLAG,
        help="Read the launched packages' files as data (never run or unpacked): install "
        "hooks, start-up code, binaries. --no-inspect leaves a coverage gap.")], True),
    _Shared("inspect_all", Annotated[bool, _opt(
        "--inspect-all", envvar="MCPSCAN_INSPECT_ALL", metavar=FLAG,
        help="Inspect every package of the dependency graph, not only the launched ones.")],
        False),
    _Shared("inspect_max_mb", Annotated[float | None, _opt(
        "--inspect-max-mb", envvar="MCPSCAN_INSPECT_MAX_MB", metavar="MB",
        help="Largest artifact download inspected, in MB (default 100); a larger one is not "
        "read, a finding and a coverage gap.")], None),
    _Shared("inspect_entries", Annotated[int | None, _opt(
        "--inspect-entries", envvar="MCPSCAN_INSPECT_ENTRIES", metavar="N",
        help="Most archive entries read per artifact (default 50000).")], None),
    _Shared("inspect_timeout", Annotated[float | None, _opt(
        "--inspect-timeout", envvar="MCPSCAN_INSPECT_TIMEOUT", metavar="SECONDS",
        help="Seconds to read and analyse one artifact, after its download (default 30)."
    )], None),
)
# fmt: on

SCAN_OPTIONS: tuple[_Shared, ...] = (
    _Shared("policy_path", PolicyOpt, None),
    _Shared(
        "fail_on",
        Annotated[
            str | None,
            _opt(
                "--fail-on",
                envvar="MCPSCAN_FAIL_ON",
                metavar="SEVERITY",
                help="Fail when a finding is at or above this severity "
                "(critical, high, medium, low, info). Overrides the policy.",
            ),
        ],
        None,
    ),
    _Shared("rules_dir", RulesDirOpt, None),
    _Shared(
        "resolve",
        Annotated[
            bool,
            _opt(
                "--resolve/--no-resolve",
                envvar="MCPSCAN_RESOLVE",
                metavar=FLAG,
                help="Resolve what each launcher would install (needs the registries or the "
                "cache). --no-resolve judges the configuration alone.",
            ),
        ],
        True,
    ),
    _Shared(
        "offline",
        Annotated[
            bool,
            _opt(
                "--offline",
                envvar="MCPSCAN_OFFLINE",
                metavar=FLAG,
                help="Open no socket: registry data comes from the cache only; a miss makes "
                "the scan incomplete (exit 3).",
            ),
        ],
        False,
    ),
    _Shared("cache_dir", CacheDirOpt, None),
    _Shared(
        "no_cache",
        Annotated[
            bool,
            _opt(
                "--no-cache", envvar="MCPSCAN_NO_CACHE", metavar=FLAG, help="Do not use the cache."
            ),
        ],
        False,
    ),
    _Shared(
        "npm_registry",
        Annotated[
            str | None,
            _opt(
                "--npm-registry",
                envvar="MCPSCAN_NPM_REGISTRY",
                metavar="URL",
                help="npm registry URL (default: from .npmrc, else registry.npmjs.org).",
            ),
        ],
        None,
    ),
    _Shared(
        "pypi_url",
        Annotated[
            str | None,
            _opt(
                "--pypi-url",
                envvar="MCPSCAN_PYPI_URL",
                metavar="URL",
                help="PyPI simple index URL (default: PIP_INDEX_URL / pip config, else pypi.org).",
            ),
        ],
        None,
    ),
    _Shared(
        "python_version",
        Annotated[
            str | None,
            _opt(
                "--python-version",
                envvar="MCPSCAN_PYTHON_VERSION",
                metavar="X.Y",
                help="Target Python for PyPI markers, wheels and Requires-Python (default: "
                f"the Python running mcpscan, {_RUNNING_PYTHON}).",
            ),
        ],
        None,
    ),
    _Shared(
        "node_version",
        Annotated[
            str | None,
            _opt(
                "--node-version",
                envvar="MCPSCAN_NODE_VERSION",
                metavar="X.Y.Z",
                help="Node.js that would run npx launches: npm prefers versions whose "
                "engines accept it (default: the node on PATH, else the current LTS, "
                f"{LTS_NODE}).",
            ),
        ],
        None,
    ),
    _Shared(
        "target_platform",
        Annotated[
            str | None,
            _opt(
                "--platform",
                envvar="MCPSCAN_PLATFORM",
                metavar="PLATFORM",
                help="Target machine: linux, darwin or win32 for markers and npm os "
                "filters, or OS/ARCH or OS/ARCH/VARIANT (linux/arm64) to also choose the "
                "container image platform (default: this machine; images: linux on this CPU).",
            ),
        ],
        None,
    ),
    _Shared(
        "advisories",
        Annotated[
            bool,
            _opt(
                "--advisories/--no-advisories",
                envvar="MCPSCAN_ADVISORIES",
                metavar=FLAG,
                help="Check every package against advisory data (OSV, PyPI, npm).",
            ),
        ],
        True,
    ),
    _Shared(
        "advisory_db",
        Annotated[
            list[Path] | None,
            _opt(
                "--advisory-db",
                envvar="MCPSCAN_ADVISORY_DB",
                metavar="PATH",
                help="Offline OSV data: a directory of OSV JSON files, an OSV ecosystem "
                "all.zip, or a directory of ECOSYSTEM/all.zip exports (osv-scanner's layout) "
                "(repeatable; the variable takes a path list). Only these are consulted when "
                "given.",
            ),
        ],
        None,
    ),
    _Shared(
        "osv_url",
        Annotated[
            str | None,
            _opt("--osv-url", envvar="MCPSCAN_OSV_URL", metavar="URL", help="OSV API base URL."),
        ],
        None,
    ),
    _Shared(
        "provenance",
        Annotated[
            bool,
            _opt(
                "--provenance/--no-provenance",
                envvar="MCPSCAN_PROVENANCE",
                metavar=FLAG,
                help="Verify registry signatures and provenance attestations (npm, PEP 740).",
            ),
        ],
        True,
    ),
    _Shared(
        "verify_artifacts",
        Annotated[
            bool,
            _opt(
                "--verify-artifacts",
                envvar="MCPSCAN_VERIFY_ARTIFACTS",
                metavar=FLAG,
                help="Download each launched artifact (up to 100 MB; never run or unpacked) "
                "and check its digest against the registry, the lockfile and an MCPB "
                "fileSha256.",
            ),
        ],
        False,
    ),
    *_INSPECT_OPTIONS,
    _Shared(
        "npm_keys",
        Annotated[
            list[str] | None,
            _opt(
                "--npm-keys",
                envvar="MCPSCAN_NPM_KEYS",
                metavar="REGISTRY=FILE",
                # "\\[npm]": rich would read "[npm]" as markup and print nothing.
                help="Trust the signing keys in FILE (npm keys.json or /-/npm/v1/keys "
                "shape) for the npm registry REGISTRY (repeatable; adds to the policy's "
                "\\[npm] keys). Without it only npm's pinned keys are trusted.",
            ),
        ],
        None,
    ),
    _Shared(
        "insecure_registries",
        Annotated[
            list[str] | None,
            _opt(
                "--insecure-registry",
                envvar="MCPSCAN_INSECURE_REGISTRY",
                metavar="HOST",
                help="HOST[:PORT]: reach this container registry over plain HTTP "
                "(repeatable; the variable takes a space-separated list). Loopback "
                "registries always are; no login is ever sent over plain HTTP to another host.",
            ),
        ],
        None,
    ),
    _Shared(
        "cosign_keys",
        Annotated[
            list[Path] | None,
            _opt(
                "--cosign-key",
                envvar="MCPSCAN_COSIGN_KEY",
                metavar="FILE",
                help="A cosign public key (cosign.pub, PEM) whose signatures and "
                "attestations of container images are trusted, for images signed with "
                "`cosign sign --key` (repeatable; the variable takes a space-separated "
                "list). Keyless signatures need no key: they are checked against the "
                "pinned Sigstore root.",
            ),
        ],
        None,
    ),
    _Shared(
        "lock_path",
        Annotated[
            Path | None,
            _opt(
                "--lock",
                envvar="MCPSCAN_LOCK",
                metavar="FILE",
                help="Approval lock (default: mcpscan.lock beside the policy or in the "
                "working directory). Unapproved connectors and drift are reported "
                "(GV01, GV02).",
            ),
        ],
        None,
    ),
    _Shared(
        "timeout",
        Annotated[
            float | None,
            _opt(
                "--timeout",
                envvar="MCPSCAN_TIMEOUT",
                metavar="SECONDS",
                help="Seconds the scan may spend waiting on registries and advisory sources "
                "in all; past it, what is left is not asked, the scan is incomplete (exit 3) "
                "and the report names what was slow. Each request is also cut after 120 s.",
            ),
        ],
        None,
    ),
    _Shared(
        "recursive",
        Annotated[
            bool,
            _opt(
                "--recursive",
                envvar="MCPSCAN_RECURSIVE",
                metavar=FLAG,
                help="In a directory target, also read the project configs of nested "
                "projects (a monorepo's packages), skipping node_modules, .git and other "
                "vendored or build directories.",
            ),
        ],
        False,
    ),
)


# -- how a command that scans ends ----------------------------------------------------------


@dataclass(frozen=True)
class RunOptions:
    """What every command that scans does with an incomplete scan and with its notes."""

    allow_incomplete: bool = False
    quiet: bool = False


RUN_OPTIONS: tuple[_Shared, ...] = (
    _Shared(
        "allow_incomplete",
        Annotated[
            bool,
            _opt(
                "--allow-incomplete",
                envvar="MCPSCAN_ALLOW_INCOMPLETE",
                metavar=FLAG,
                help="Go on when some data was missing: exit with the verdict (approve: "
                "record what was established), after saying what was missing.",
            ),
        ],
        False,
    ),
    _Shared(
        "quiet",
        Annotated[
            bool,
            _opt(
                "-q",
                "--quiet",
                envvar="MCPSCAN_QUIET",
                metavar=FLAG,
                help="No diagnostics, notes or progress on stderr (errors still are).",
            ),
        ],
        False,
    ),
)


# -- the decorator ----------------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


def scan_options(*, without: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Give a typer command the shared scan options and run options (all but those named in
    ``without``, which the command defines itself with another meaning).

    The command declares ``settings: ScanSettings`` and ``run: RunOptions`` parameters
    instead of the options; the wrapper typer sees has the options in its signature and
    builds those two objects from them.
    """
    shared = tuple(o for o in SCAN_OPTIONS if o.name not in without)
    conduct = tuple(o for o in RUN_OPTIONS if o.name not in without)

    def decorate(command: F) -> F:
        own = inspect.signature(command, eval_str=True)
        for needed in ("settings", "run"):
            if needed not in own.parameters:
                raise TypeError(f"{command.__name__} needs a `{needed}` parameter")
        params = [p for p in own.parameters.values() if p.name not in ("settings", "run")]
        params += [
            inspect.Parameter(
                o.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_in_panel(o.annotation, panel),
                default=o.default,
            )
            for panel, group in ((REPORT_PANEL, conduct), (_PANEL, shared))
            for o in group
        ]

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {o.name: kwargs.pop(o.name, o.default) for o in shared}
            values["advisory_db"] = tuple(values.get("advisory_db") or ())
            values["npm_keys"] = tuple(values.get("npm_keys") or ())
            values["cosign_keys"] = tuple(values.get("cosign_keys") or ())
            values["insecure_registries"] = tuple(values.get("insecure_registries") or ())
            run = RunOptions(**{o.name: kwargs.pop(o.name, o.default) for o in conduct})
            return command(*args, settings=ScanSettings(**values), run=run, **kwargs)

        # typer reads the signature and the annotations of what it is given.
        wrapper.__signature__ = own.replace(parameters=params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        del wrapper.__wrapped__
        return wrapper  # type: ignore[return-value]

    return decorate
