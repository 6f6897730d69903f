"""Command-line entry point.

``mcpscan --version`` is answered before anything else is imported, so it stays fast.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        from mcpscan import __version__

        sys.stdout.write(f"mcpscan {__version__}\n")
        raise SystemExit(0)
    from mcpscan.cli.app import app

    try:
        app(args=args, prog_name="mcpscan")
    except Exception as exc:
        if os.environ.get("MCPSCAN_DEBUG") == "1":
            raise
        # The message of an unexpected error may quote a config value; print only its type.
        sys.stderr.write(
            f"mcpscan: internal error ({exc.__class__.__name__}); the scan is incomplete. "
            "Set MCPSCAN_DEBUG=1 to see the traceback.\n"
        )
        from mcpscan.cli.exit_codes import for_internal_error

        raise SystemExit(int(for_internal_error())) from None
