"""Sign with a key held by ``ssh-agent`` (the agent protocol, draft-miller-ssh-agent).

Two requests are used: list the identities (to find the key) and sign. The private key
never leaves the agent; the agent may ask the user to confirm (``ssh-add -c``), so the
sign request waits up to :data:`SIGN_TIMEOUT` seconds.
"""

from __future__ import annotations

import os
import socket
import struct
from dataclasses import dataclass

from mcpscan.lock.interface import SignatureError
from mcpscan.lock.sshsig import Reader, fingerprint, key_type, ssh_string

REQUEST_IDENTITIES = 11
IDENTITIES_ANSWER = 12
SIGN_REQUEST = 13
SIGN_RESPONSE = 14
FAILURE = 5
RSA_SHA2_512 = 4  # sign-request flag: rsa-sha2-512 rather than ssh-rsa

MAX_MESSAGE = 256 * 1024
CONNECT_TIMEOUT = 5.0
SIGN_TIMEOUT = 60.0


def _socket_path(path: str | None) -> str:
    found = path or os.environ.get("SSH_AUTH_SOCK")
    if not found:
        raise SignatureError(
            "no ssh-agent: SSH_AUTH_SOCK is not set (start ssh-agent and ssh-add the key, "
            "or pass the private key file to --sign)"
        )
    return found


def _request(path: str, kind: int, payload: bytes, timeout: float) -> tuple[int, bytes]:
    if not hasattr(socket, "AF_UNIX"):
        raise SignatureError("ssh-agent sockets are not available on this platform")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(CONNECT_TIMEOUT)
            sock.connect(path)
            sock.settimeout(timeout)
            body = bytes([kind]) + payload
            sock.sendall(struct.pack(">I", len(body)) + body)
            length = struct.unpack(">I", _read(sock, 4))[0]
            if not 1 <= length <= MAX_MESSAGE:
                raise SignatureError(f"ssh-agent sent a message of {length} bytes")
            answer = _read(sock, length)
    except TimeoutError:
        raise SignatureError("ssh-agent did not answer in time") from None
    except OSError as exc:
        raise SignatureError(f"cannot talk to ssh-agent at {path}: {exc.strerror}") from None
    return answer[0], answer[1:]


def _read(sock: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise SignatureError("ssh-agent closed the connection")
        out += chunk
    return out


def identities(path: str | None = None) -> tuple[tuple[bytes, str], ...]:
    """The (public key blob, comment) of each key the agent holds."""
    kind, payload = _request(_socket_path(path), REQUEST_IDENTITIES, b"", CONNECT_TIMEOUT)
    if kind != IDENTITIES_ANSWER:
        raise SignatureError("ssh-agent refused to list its keys")
    reader = Reader(payload, "ssh-agent answer")
    count = reader.uint32()
    if count > 4096:
        raise SignatureError("ssh-agent listed an implausible number of keys")
    found = []
    for _ in range(count):
        blob = reader.string()
        comment = reader.string().decode("utf-8", "replace")
        found.append((blob, comment))
    return tuple(found)


@dataclass(frozen=True)
class AgentSigner:
    """A key held by the agent at ``socket_path`` (default ``$SSH_AUTH_SOCK``)."""

    public_blob: bytes
    socket_path: str | None = None

    @classmethod
    def for_key(cls, blob: bytes, socket_path: str | None = None) -> AgentSigner:
        """The agent's key ``blob``; :class:`SignatureError` when the agent lacks it."""
        path = _socket_path(socket_path)
        if blob not in {b for b, _ in identities(path)}:
            raise SignatureError(
                f"ssh-agent does not hold key {fingerprint(blob)} (add it with ssh-add)"
            )
        return cls(blob, path)

    def sign(self, data: bytes) -> bytes:
        flags = RSA_SHA2_512 if key_type(self.public_blob) == "ssh-rsa" else 0
        payload = ssh_string(self.public_blob) + ssh_string(data) + struct.pack(">I", flags)
        kind, answer = _request(_socket_path(self.socket_path), SIGN_REQUEST, payload, SIGN_TIMEOUT)
        if kind != SIGN_RESPONSE:
            raise SignatureError(
                f"ssh-agent refused to sign with key {fingerprint(self.public_blob)}"
            )
        reader = Reader(answer, "ssh-agent signature")
        signature = reader.string()
        reader.end()
        return signature
