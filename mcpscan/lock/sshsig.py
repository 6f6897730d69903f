"""OpenSSH signatures (``SSHSIG``, OpenSSH ``PROTOCOL.sshsig``), written and checked.

The format is what ``ssh-keygen -Y sign`` writes and ``ssh-keygen -Y verify`` and git
(``gpg.format = ssh``) check: a blob holding the signer's public key, a namespace, the hash
algorithm and the signature, armored between ``-----BEGIN SSH SIGNATURE-----`` lines. The
signature is not over the message itself but over::

    "SSHSIG" || string(namespace) || string("") || string(hash_alg) || string(H(message))

so a signature made for one namespace (``git``, ``file``) never verifies for another.

Keys: Ed25519, ECDSA (nistp256/384/521) and RSA (``rsa-sha2-512``). Security-key types
(``sk-…``) and certificates are not supported; they fail as :class:`SignatureError`.
The signer is an object with ``public_blob`` and ``sign(data) -> ssh signature blob``: a
private key (:class:`KeySigner`) or an ssh-agent key (``mcpscan.lock.agent``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_ssh_public_key,
)

from mcpscan.lock.interface import SignatureError

MAGIC = b"SSHSIG"
VERSION = 1
BEGIN = "-----BEGIN SSH SIGNATURE-----"
END = "-----END SSH SIGNATURE-----"
HASH_ALGORITHMS = {"sha512": hashlib.sha512, "sha256": hashlib.sha256}
# ssh-keygen writes 70 base64 characters a line; any wrapping is read.
_WRAP = 70
# A signature blob is a few hundred bytes (RSA-8192 about 2 KiB): anything far larger is
# not a signature, and is refused before decoding.
MAX_ARMORED = 16 * 1024

_EC_CURVES: dict[str, tuple[type[ec.EllipticCurve], hashes.HashAlgorithm]] = {
    "nistp256": (ec.SECP256R1, hashes.SHA256()),
    "nistp384": (ec.SECP384R1, hashes.SHA384()),
    "nistp521": (ec.SECP521R1, hashes.SHA512()),
}
_CURVE_NAMES = {"secp256r1": "nistp256", "secp384r1": "nistp384", "secp521r1": "nistp521"}

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class Signer(Protocol):
    @property
    def public_blob(self) -> bytes:
        """The signer's public key in SSH wire form."""

    def sign(self, data: bytes) -> bytes:
        """An SSH signature blob (string algorithm, string signature) over ``data``."""


# -- SSH wire encoding ------------------------------------------------------------------------


def ssh_string(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


def _mpint(value: int) -> bytes:
    if value == 0:
        return ssh_string(b"")
    raw = value.to_bytes((value.bit_length() + 8) // 8, "big")  # leading 0 keeps it positive
    return ssh_string(raw)


class Reader:
    """Reads SSH wire fields from ``data``; running past the end is a :class:`SignatureError`."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.pos = 0
        self.what = what

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise SignatureError(f"{self.what} is truncated")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def uint32(self) -> int:
        value: int = struct.unpack(">I", self.take(4))[0]
        return value

    def string(self) -> bytes:
        return self.take(self.uint32())

    def text(self) -> str:
        try:
            return self.string().decode("ascii")
        except UnicodeDecodeError:
            raise SignatureError(f"{self.what} holds a name that is not ASCII") from None

    def mpint(self) -> int:
        raw = self.string()
        if raw and raw[0] & 0x80:
            raise SignatureError(f"{self.what} holds a negative number")
        return int.from_bytes(raw, "big")

    def end(self) -> None:
        if self.pos != len(self.data):
            raise SignatureError(f"{self.what} has trailing data")


# -- public keys ----------------------------------------------------------------------------


def key_type(blob: bytes) -> str:
    return Reader(blob, "public key").text()


def public_key_from_blob(blob: bytes) -> PublicKey:
    kind = key_type(blob)
    if kind.startswith("sk-") or "-cert-" in kind:
        raise SignatureError(f"key type {kind} is not supported (use an Ed25519 or ECDSA key)")
    try:
        key = load_ssh_public_key(kind.encode("ascii") + b" " + base64.b64encode(blob))
    except (ValueError, TypeError) as exc:
        raise SignatureError(f"cannot read the {kind} public key: {exc}") from None
    if not isinstance(key, (ed25519.Ed25519PublicKey, ec.EllipticCurvePublicKey, rsa.RSAPublicKey)):
        raise SignatureError(f"key type {kind} is not supported (use an Ed25519 or ECDSA key)")
    return key


def public_blob(key: PublicKey) -> bytes:
    line = key.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH)
    return base64.b64decode(line.split()[1])


def public_line(blob: bytes) -> str:
    """``ssh-ed25519 AAAA…``: the form allowed-signers files and ``.pub`` files use."""
    return f"{key_type(blob)} {base64.b64encode(blob).decode('ascii')}"


def fingerprint(blob: bytes) -> str:
    """``SHA256:…`` as ``ssh-keygen -l`` prints it."""
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")
    return f"SHA256:{digest}"


def parse_public_line(line: str) -> bytes:
    """The wire blob of ``"ssh-ed25519 AAAA… [comment]"``; the type must match the blob."""
    parts = line.split()
    if len(parts) < 2:
        raise SignatureError("a public key is '<type> <base64> [comment]'")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("the public key is not valid base64") from None
    if key_type(blob) != parts[0]:
        raise SignatureError(f"the public key says {parts[0]} but holds {key_type(blob)}")
    public_key_from_blob(blob)  # fails on a key that cannot be used
    return blob


# -- private keys ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KeySigner:
    """Signs with a private key held in memory (from a key file)."""

    key: PrivateKey

    @property
    def public_blob(self) -> bytes:
        return public_blob(self.key.public_key())

    def sign(self, data: bytes) -> bytes:
        key = self.key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return ssh_string(b"ssh-ed25519") + ssh_string(key.sign(data))
        if isinstance(key, ec.EllipticCurvePrivateKey):
            curve = _CURVE_NAMES[key.curve.name]
            r, s = decode_dss_signature(key.sign(data, ec.ECDSA(_EC_CURVES[curve][1])))
            return ssh_string(f"ecdsa-sha2-{curve}".encode()) + ssh_string(_mpint(r) + _mpint(s))
        raw = key.sign(data, padding.PKCS1v15(), hashes.SHA512())
        return ssh_string(b"rsa-sha2-512") + ssh_string(raw)


def _check_raw(key: PublicKey, blob: bytes, data: bytes) -> None:
    """Check an SSH signature blob made by ``key`` over ``data``."""
    reader = Reader(blob, "signature")
    algorithm = reader.text()
    raw = reader.string()
    reader.end()
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            if algorithm != "ssh-ed25519":
                raise SignatureError(f"an Ed25519 key cannot make a {algorithm} signature")
            key.verify(raw, data)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            curve = _CURVE_NAMES.get(key.curve.name)
            if curve is None or algorithm != f"ecdsa-sha2-{curve}":
                raise SignatureError(f"an ECDSA {key.curve.name} key cannot make {algorithm}")
            inner = Reader(raw, "ECDSA signature")
            r, s = inner.mpint(), inner.mpint()
            inner.end()
            key.verify(encode_dss_signature(r, s), data, ec.ECDSA(_EC_CURVES[curve][1]))
        else:
            chosen = {"rsa-sha2-512": hashes.SHA512(), "rsa-sha2-256": hashes.SHA256()}
            if algorithm not in chosen:  # ssh-rsa (SHA-1) is refused, as OpenSSH does
                raise SignatureError(f"RSA signature algorithm {algorithm} is not accepted")
            key.verify(raw, data, padding.PKCS1v15(), chosen[algorithm])
    except InvalidSignature:
        raise SignatureError("the signature does not match the message") from None


# -- SSHSIG ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SshSig:
    """A parsed SSHSIG blob."""

    public_blob: bytes
    namespace: str
    hash_algorithm: str
    signature: bytes  # the SSH signature blob

    @property
    def key_fingerprint(self) -> str:
        return fingerprint(self.public_blob)


def signed_data(message: bytes, namespace: str, hash_algorithm: str) -> bytes:
    """What the key actually signs for ``message`` (PROTOCOL.sshsig, "Signed Data")."""
    digest = HASH_ALGORITHMS[hash_algorithm](message).digest()
    return (
        MAGIC
        + ssh_string(namespace.encode("utf-8"))
        + ssh_string(b"")
        + ssh_string(hash_algorithm.encode("ascii"))
        + ssh_string(digest)
    )


def sign(message: bytes, signer: Signer, namespace: str, hash_algorithm: str = "sha512") -> str:
    """The armored SSHSIG of ``message`` (what ``ssh-keygen -Y sign -n NAMESPACE`` writes)."""
    if not namespace:
        raise SignatureError("a signature needs a namespace")
    blob = signer.public_blob
    public_key_from_blob(blob)  # refuse unsupported key types before asking the signer
    signature = signer.sign(signed_data(message, namespace, hash_algorithm))
    sig = SshSig(blob, namespace, hash_algorithm, signature)
    # Check what the signer returned (an agent may answer with another key's signature).
    verify(message, armor(sig), namespace)
    return armor(sig)


def armor(sig: SshSig) -> str:
    blob = (
        MAGIC
        + struct.pack(">I", VERSION)
        + ssh_string(sig.public_blob)
        + ssh_string(sig.namespace.encode("utf-8"))
        + ssh_string(b"")
        + ssh_string(sig.hash_algorithm.encode("ascii"))
        + ssh_string(sig.signature)
    )
    text = base64.b64encode(blob).decode("ascii")
    lines = [text[i : i + _WRAP] for i in range(0, len(text), _WRAP)]
    return "\n".join([BEGIN, *lines, END]) + "\n"


def dearmor(text: str) -> SshSig:
    if len(text) > MAX_ARMORED:
        raise SignatureError("the signature is far too large to be an SSH signature")
    body = text.strip()
    if not body.startswith(BEGIN) or not body.endswith(END):
        raise SignatureError(f"a signature must be enclosed in {BEGIN} / {END}")
    inner = "".join(body[len(BEGIN) : -len(END)].split())
    try:
        blob = base64.b64decode(inner, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("the signature is not valid base64") from None
    reader = Reader(blob, "signature")
    if reader.take(len(MAGIC)) != MAGIC:
        raise SignatureError("not an SSH signature (no SSHSIG preamble)")
    version = reader.uint32()
    if version != VERSION:
        raise SignatureError(f"unsupported SSH signature version {version}")
    public = reader.string()
    try:
        namespace = reader.string().decode("utf-8")
    except UnicodeDecodeError:
        raise SignatureError("the signature's namespace is not UTF-8") from None
    reader.string()  # reserved
    hash_algorithm = reader.text()
    signature = reader.string()
    reader.end()
    return SshSig(public, namespace, hash_algorithm, signature)


def verify(message: bytes, armored: str, namespace: str) -> SshSig:
    """Check that ``armored`` is a valid signature of ``message`` in ``namespace`` by the key
    it names, and return it; who that key belongs to is the caller's question (an
    allowed-signers file). Raises :class:`SignatureError` saying what is wrong."""
    sig = dearmor(armored)
    if sig.namespace != namespace:
        raise SignatureError(f"the signature is for namespace {sig.namespace!r}, not {namespace!r}")
    if sig.hash_algorithm not in HASH_ALGORITHMS:
        raise SignatureError(f"unsupported signature hash algorithm {sig.hash_algorithm!r}")
    key = public_key_from_blob(sig.public_blob)
    inner_algorithm = Reader(sig.signature, "signature").text()
    if isinstance(key, rsa.RSAPublicKey) and inner_algorithm == "ssh-rsa":
        raise SignatureError("RSA signatures must use rsa-sha2-512 or rsa-sha2-256, not ssh-rsa")
    _check_raw(key, sig.signature, signed_data(message, namespace, sig.hash_algorithm))
    return sig
