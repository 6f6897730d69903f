"""Local signing keys: PEM files written by ``mcpscan keygen`` and read back for signing
and verification. Error messages name the file, never its contents."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mcpscan.attest.interface import AttestationError, AttestationInputError
from mcpscan.fileio import atomic_write_bytes

if TYPE_CHECKING:
    from securesystemslib.signer import CryptoSigner, SSlibKey

ALGORITHMS = ("ecdsa-p256", "ed25519")


def public_path(prefix: Path) -> Path:
    return prefix.with_name(prefix.name + ".pub")


def generate_keypair(prefix: Path, algorithm: str = "ecdsa-p256", *, force: bool = False) -> str:
    """Write PREFIX (private key, PKCS#8 PEM, mode 0600) and PREFIX.pub (SubjectPublicKeyInfo
    PEM); return the key id.

    Neither file is overwritten unless ``force``: a lost private key cannot be recovered.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519
    from securesystemslib.signer import CryptoSigner

    private: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    if algorithm == "ecdsa-p256":
        private = ec.generate_private_key(ec.SECP256R1())
    elif algorithm == "ed25519":
        private = ed25519.Ed25519PrivateKey.generate()
    else:
        raise AttestationError(
            f"unknown key algorithm {algorithm!r} (choose from {', '.join(ALGORITHMS)})"
        )
    pub = public_path(prefix)
    for path in (prefix, pub):
        if path.exists() and not force:
            raise AttestationError(f"{path} exists (use --force to replace it)")
        if not path.parent.is_dir():
            raise AttestationError(f"cannot write {path}: directory {path.parent} does not exist")
    signer = CryptoSigner(private)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write(prefix, signer.private_bytes, 0o600)
    _write(pub, public_pem, 0o644)
    keyid: str = signer.public_key.keyid
    return keyid


def _write(path: Path, data: bytes, mode: int) -> None:
    try:
        # The temporary file has its final mode before the key is written to it.
        atomic_write_bytes(path, data, mode=mode)
    except OSError as exc:
        raise AttestationError(f"cannot write key: {exc.strerror}", file=str(path)) from None


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise AttestationInputError(
            f"cannot read {what}: {exc.strerror or 'unreadable'}", file=str(path)
        ) from None


def load_signer(path: Path) -> CryptoSigner:
    """The signer for a private key file (PKCS#8 PEM, unencrypted, ECDSA or Ed25519)."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from securesystemslib.signer import CryptoSigner

    data = _read(path, "private key")
    try:
        key = load_pem_private_key(data, password=None)
    except TypeError:
        raise AttestationInputError(
            "the private key is encrypted; mcpscan reads unencrypted keys only", file=str(path)
        ) from None
    except ValueError:
        raise AttestationInputError("not a PEM private key", file=str(path)) from None
    try:
        return CryptoSigner(key)
    except ValueError:
        raise AttestationInputError(
            "unsupported key type (use an ECDSA P-256/P-384/P-521, Ed25519 or RSA key)",
            file=str(path),
        ) from None


def load_public_key(path: Path) -> SSlibKey:
    """The verification key for a public key file (SubjectPublicKeyInfo PEM)."""
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    from securesystemslib.signer import SSlibKey

    data = _read(path, "public key")
    try:
        key = load_pem_public_key(data)
    except ValueError:
        hint = " (this looks like a private key: pass the .pub file)" if b"PRIVATE" in data else ""
        raise AttestationInputError(f"not a PEM public key{hint}", file=str(path)) from None
    try:
        return SSlibKey.from_crypto(key)
    except ValueError:
        raise AttestationInputError("unsupported public key type", file=str(path)) from None
