"""The one definition of the options and arguments that several commands take.

The report options (format, output ...) are the ``…Opt`` aliases, used by every command that
writes a report; the catalogue, policy and cache options are also taken by the commands that
only read them. The scan options, which a command that scans gets as one
:class:`~mcpscan.wiring.ScanSettings`, are in :mod:`mcpscan.cli.scan_options`.
Every option reads an ``MCPSCAN_…`` environment variable, which ``--help`` lists, and has a
metavar naming what it takes (``FILE``, ``URL``; none for a flag).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

# Kept literal so --help needs no import of the report package; tests/cli/test_cli_options.py
# checks it against mcpscan.report.formats().
FORMATS = ("table", "json", "sarif", "cyclonedx", "markdown", "html")
LIST_FORMATS = ("table", "json")

REPORT_PANEL = "Report options"

# The metavar of an option that takes no value: typer would print "<bool>" for it.
FLAG = ""


def opt(*decls: str, envvar: str, help: str, metavar: str) -> Any:
    """A typer option with its variable and metavar, both always named."""
    return typer.Option(*decls, envvar=envvar, help=help, metavar=metavar)


# Also taken by the commands that only read the catalogue (rules, policy check).
RulesDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--rules",
        envvar="MCPSCAN_RULES",
        metavar="DIR",
        help="Use this rule catalogue directory (default: the bundled rules).",
    ),
]
PolicyOpt = Annotated[
    Path | None,
    opt("--policy", envvar="MCPSCAN_POLICY", metavar="FILE", help="Policy file (mcpscan.toml)."),
]

CacheDirOpt = Annotated[
    Path | None,
    opt(
        "--cache-dir",
        envvar="MCPSCAN_CACHE_DIR",
        metavar="DIR",
        help="Cache directory (default: the platform's user cache directory).",
    ),
]
# The lock that diff and approvals read (approve's --lock says where it writes one).
FoundLockOpt = Annotated[
    Path | None,
    opt(
        "--lock",
        envvar="MCPSCAN_LOCK",
        metavar="FILE",
        help="Lock file (default: found beside the policy or here).",
    ),
]
# The listing commands (discover, rules list, approvals) print a table or JSON. They read no
# variable: MCPSCAN_FORMAT names a report format (sarif, html...) these do not have.
ListFormatOpt = Annotated[
    str, typer.Option("-f", "--format", metavar="FORMAT", help="table or json.")
]


# -- report options -------------------------------------------------------------------------


def _report(*decls: str, envvar: str, help: str, metavar: str) -> Any:
    return typer.Option(
        *decls, envvar=envvar, help=help, metavar=metavar, rich_help_panel=REPORT_PANEL
    )


FormatOpt = Annotated[
    str,
    _report(
        "-f",
        "--format",
        envvar="MCPSCAN_FORMAT",
        metavar="FORMAT",
        help=f"Report format: {', '.join(FORMATS)}.",
    ),
]
OutputOpt = Annotated[
    Path | None,
    _report(
        "-o",
        "--output",
        envvar="MCPSCAN_OUTPUT",
        metavar="FILE",
        help="Write the report here (default stdout). Report files are written only when "
        "the scan succeeded: complete (exit 0 or 1), or with --allow-incomplete.",
    ),
]
ReproducibleOpt = Annotated[
    bool,
    _report(
        "--reproducible",
        envvar="MCPSCAN_REPRODUCIBLE",
        metavar=FLAG,
        help="CycloneDX without serial number and timestamp: equal scans, equal bytes.",
    ),
]
NoColorOpt = Annotated[
    bool,
    _report(
        "--no-color",
        envvar="MCPSCAN_NO_COLOR",
        metavar=FLAG,
        help="No colours in the table.",
    ),
]
SarifOpt = Annotated[
    Path | None,
    _report(
        "--sarif",
        envvar="MCPSCAN_SARIF",
        metavar="FILE",
        help="Also write a SARIF 2.1.0 report here (for code scanning).",
    ),
]
SbomOpt = Annotated[
    Path | None,
    _report(
        "--sbom",
        envvar="MCPSCAN_SBOM",
        metavar="FILE",
        help="Also write a CycloneDX 1.6 SBOM here.",
    ),
]
AttestOpt = Annotated[
    Path | None,
    _report(
        "--attest",
        envvar="MCPSCAN_ATTEST",
        metavar="FILE",
        help="Also write a signed in-toto attestation of the result (DSSE) here.",
    ),
]
AttestKeyOpt = Annotated[
    Path | None,
    _report(
        "--attest-key",
        envvar="MCPSCAN_ATTEST_KEY",
        metavar="KEY",
        help="Private key for --attest (from `mcpscan keygen`).",
    ),
]


def target_argument(help: str) -> Any:
    """The TARGET arguments of a command (``help`` says what they are to it)."""
    return typer.Argument(metavar="TARGET", help=help, show_default=False)


TargetsArg = Annotated[
    list[str] | None,
    target_argument(
        "Config files, directories, server.json files or package specs "
        "(npm:name@1.2.3, pypi:name==1.0, oci:ref, pkg:npm/...). "
        "None: discover this user's client configs."
    ),
]
