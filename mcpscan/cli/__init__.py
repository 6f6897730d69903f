"""Command-line entry point.

``mcpscan --version`` (``-V``) is answered before anything else is imported, so it stays fast.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):
        from mcpscan import __version__

        sys.stdout.write(f"mcpscan {__version__}\n")
        raise SystemExit(0)
    _keep_mmap_threshold()
    from mcpscan.cli.app import app

    try:
        app(args=args, prog_name="mcpscan")
    except Exception as exc:
        if os.environ.get("MCPSCAN_DEBUG") == "1":
            # The traceback, through the redaction boundary: a message or a source line
            # in it may quote a config value.
            import traceback

            from mcpscan.redaction import scrub_traceback

            sys.stderr.write(scrub_traceback("".join(traceback.format_exception(exc))))
        else:
            # The message of an unexpected error may quote a config value; print only its
            # type.
            sys.stderr.write(
                f"mcpscan: internal error ({exc.__class__.__name__}); the scan is incomplete. "
                "Set MCPSCAN_DEBUG=1 to see the traceback.\n"
            )
        from mcpscan.cli.exit_codes import for_internal_error

        raise SystemExit(int(for_internal_error())) from None


def _keep_mmap_threshold() -> None:
    """Keep glibc from raising its mmap threshold as big response bodies are freed.

    Process-wide, so done once here at start-up rather than by a library object. Packuments
    and project pages are single buffers of megabytes. glibc serves such a block with mmap
    and returns it on free, but then raises the threshold to that size, so the next big
    bodies come from the per-thread heaps and fragment them: a cold scan kept ~80 MB more
    resident for nothing (benchmarks/README.md, peak RSS). A fixed threshold (mallopt
    M_MMAP_THRESHOLD) stops that; elsewhere than on Linux this does nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter runs on
    except (OSError, AttributeError):
        return
    m_mmap_threshold = -3
    mallopt(m_mmap_threshold, 256 * 1024)
