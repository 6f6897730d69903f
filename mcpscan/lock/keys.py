"""The signing key behind ``mcpscan approve --sign KEY``.

``KEY`` is, as for git's ``user.signingKey`` with ``gpg.format = ssh``:

- a private key file (OpenSSH or PEM; Ed25519, ECDSA or RSA). An encrypted key's
  passphrase comes from the program named by ``MCPSCAN_ASKPASS`` (run with the prompt as
  its argument, like ``SSH_ASKPASS``; its standard output is the passphrase), else from a
  prompt on the terminal;
- a public key file (``id_ed25519.pub``) or ``key::ssh-ed25519 AAAA…``: the key is used
  through ``ssh-agent`` (``SSH_AUTH_SOCK``), which must hold it.
"""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import (
    load_pem_private_key,
    load_ssh_private_key,
)

from mcpscan.lock.agent import AgentSigner
from mcpscan.lock.interface import SignatureError
from mcpscan.lock.sshsig import KeySigner, PrivateKey, Signer, parse_public_line

ASKPASS_ENV = "MCPSCAN_ASKPASS"
ASKPASS_TIMEOUT = 120.0
MAX_KEY_BYTES = 64 * 1024

Passphrase = Callable[[str], bytes | None]


def ask_passphrase(prompt: str) -> bytes | None:
    """The passphrase from ``$MCPSCAN_ASKPASS``, else the terminal; None when neither."""
    program = os.environ.get(ASKPASS_ENV)
    if program:
        try:
            # The user's own askpass program (as ssh runs SSH_ASKPASS), never scanned code.
            done = subprocess.run(
                [program, prompt],
                capture_output=True,
                timeout=ASKPASS_TIMEOUT,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SignatureError(
                f"{ASKPASS_ENV} program failed: {exc.__class__.__name__}"
            ) from None
        if done.returncode != 0:
            raise SignatureError(f"{ASKPASS_ENV} program exited with {done.returncode}")
        return done.stdout.rstrip(b"\r\n")
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(prompt).encode("utf-8")
    return None


def load_signer(spec: str, *, passphrase: Passphrase = ask_passphrase) -> Signer:
    if spec.startswith("key::"):
        return AgentSigner.for_key(parse_public_line(spec[len("key::") :]))
    path = Path(spec).expanduser()
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_KEY_BYTES + 1)
    except OSError as exc:
        raise SignatureError(f"cannot read signing key: {exc.strerror}", file=str(path)) from None
    if len(data) > MAX_KEY_BYTES:
        raise SignatureError("not a key file (too large)", file=str(path))
    if b"PRIVATE KEY-----" not in data:
        try:
            blob = parse_public_line(data.decode("ascii").strip())
        except (UnicodeDecodeError, SignatureError):
            raise SignatureError("not an SSH private or public key file", file=str(path)) from None
        return AgentSigner.for_key(blob)
    return KeySigner(_private_key(data, str(path), passphrase))


def _private_key(data: bytes, where: str, passphrase: Passphrase) -> PrivateKey:
    load = load_ssh_private_key if b"OPENSSH PRIVATE KEY" in data else load_pem_private_key
    try:
        key = load(data, None)
    except TypeError:  # encrypted: "Password was not given but private key is encrypted"
        secret = passphrase(f"Enter passphrase for {where}: ")
        if not secret:
            raise SignatureError(
                f"the key is encrypted: give its passphrase (terminal or {ASKPASS_ENV}) or "
                "add it to ssh-agent and pass its .pub file",
                file=where,
            ) from None
        try:
            key = load(data, secret)
        except ValueError:
            raise SignatureError("wrong passphrase for the key", file=where) from None
        except UnsupportedAlgorithm as exc:
            raise SignatureError(f"cannot decrypt the key: {exc}", file=where) from None
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise SignatureError(f"cannot read the private key: {exc}", file=where) from None
    if not isinstance(
        key, (ed25519.Ed25519PrivateKey, ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)
    ):
        raise SignatureError("unsupported key type (use an Ed25519 or ECDSA key)", file=where)
    return key
