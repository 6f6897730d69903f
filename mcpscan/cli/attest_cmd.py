"""``mcpscan keygen``, ``mcpscan verify-attestation`` and the writer behind ``scan --attest``.

Exit codes of verify-attestation: 0 verified, 1 the attestation does not hold (with the
precise reason), 2 an input cannot be read. securesystemslib and cryptography are imported
only when one of these runs.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from mcpscan.cli import output
from mcpscan.cli.exit_codes import for_error
from mcpscan.cli.options import FLAG
from mcpscan.fileio import atomic_write_text


def write_attestation(result_json: str, subjects: Sequence[Path], key: Path, out: Path) -> None:
    """Sign the JSON report ``result_json`` (already redacted) as an in-toto statement about
    the scanned config files ``subjects`` with the private key ``key``; write the DSSE
    envelope to ``out``. Raises :class:`~mcpscan.attest.AttestationError` (exit 2)."""
    from mcpscan.attest import AttestationError, sign_report

    text = sign_report(result_json, subjects, key.expanduser(), cwd=Path.cwd())
    out = out.expanduser()
    if not out.parent.is_dir():
        raise AttestationError(f"cannot write {out}: directory {out.parent} does not exist")
    try:
        atomic_write_text(out, text)
    except OSError as exc:
        raise AttestationError(f"cannot write {out}: {exc.strerror}") from None


def keygen(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            metavar="PREFIX",
            help="Path prefix: the private key is written to PREFIX (mode 0600), the public "
            "key to PREFIX.pub.",
        ),
    ],
    algorithm: Annotated[
        str,
        typer.Option("--algorithm", metavar="ALGORITHM", help="Key type: ecdsa-p256 or ed25519."),
    ] = "ecdsa-p256",
    force: Annotated[
        bool, typer.Option("--force", metavar=FLAG, help="Replace existing key files.")
    ] = False,
) -> None:
    """Generate a key pair for signing attestations (scan --attest --attest-key PREFIX)."""
    from mcpscan.attest import AttestationError
    from mcpscan.attest.keys import generate_keypair, public_path

    prefix = out.expanduser()
    try:
        keyid = generate_keypair(prefix, algorithm, force=force)
    except AttestationError as exc:
        output.error(str(exc))
        raise typer.Exit(int(for_error(exc))) from None
    typer.echo(f"private key: {prefix} (keep it secret)")
    typer.echo(f"public key:  {public_path(prefix)}")
    typer.echo(f"key id:      {keyid}")


def verify_attestation(
    path: Annotated[
        Path, typer.Argument(metavar="PATH", help="The attestation (DSSE envelope) to verify.")
    ],
    key: Annotated[
        Path, typer.Option("--key", metavar="PUB", help="Public key file (PREFIX.pub).")
    ],
    subject: Annotated[
        list[Path] | None,
        typer.Option(
            "--subject",
            metavar="FILE",
            help="A scanned config file to check against the attestation (repeatable). "
            "Default: the subjects present at their recorded paths.",
        ),
    ] = None,
) -> None:
    """Verify a scan attestation: its signature, its statement and its subject files."""
    from mcpscan.attest import (
        AttestationError,
        AttestationInputError,
        VerificationFailure,
        verify_envelope,
    )

    try:
        try:
            text = path.expanduser().read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise AttestationInputError(f"{path}: cannot read attestation: {reason}") from None
        statement, checks = verify_envelope(
            text, key.expanduser(), [p.expanduser() for p in subject or ()], cwd=Path.cwd()
        )
    except AttestationError as exc:
        verdict = "verification failed" if isinstance(exc, VerificationFailure) else "error"
        output.note(f"{verdict}: {exc}")
        raise typer.Exit(int(for_error(exc))) from None
    predicate = statement.predicate
    lines = [f"attestation verified: signed by key {statement.keyid}"]
    if "verdict" in predicate:
        lines.append(f"  scan verdict: {predicate.get('verdict')}, score {predicate.get('score')}")
    for check in checks:
        if check.status == "match":
            moved = f" (as {check.file})" if check.file else ""
            lines.append(f"  subject {check.name}: sha256 matches{moved}")
        else:
            lines.append(f"  subject {check.name}: not present, not checked")
    sys.stdout.write("\n".join(lines) + "\n")


def register(app: typer.Typer) -> None:
    """Add ``keygen`` and ``verify-attestation`` to the mcpscan application."""
    app.command("keygen")(keygen)
    app.command("verify-attestation")(verify_attestation)
