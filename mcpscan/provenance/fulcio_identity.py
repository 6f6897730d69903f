"""The signing identity in a Fulcio certificate: who built an attested artifact.

Fulcio writes the certificate's extensions from the OIDC token of the CI job, so they are
the identity; the SLSA predicate (what the build says about itself) only fills what old
certificates lack.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from cryptography import x509

# Fulcio certificate extensions (github.com/sigstore/fulcio docs/oid-info.md). The 1.1-1.6
# ones hold raw strings; 1.8 onwards hold DER UTF8Strings.
_OID_ISSUER_V1 = "1.3.6.1.4.1.57264.1.1"
_OID_GH_SHA_V1 = "1.3.6.1.4.1.57264.1.3"
_OID_GH_REPOSITORY_V1 = "1.3.6.1.4.1.57264.1.5"
_OID_GH_REF_V1 = "1.3.6.1.4.1.57264.1.6"
_OID_ISSUER = "1.3.6.1.4.1.57264.1.8"
_OID_BUILD_SIGNER = "1.3.6.1.4.1.57264.1.9"
_OID_SOURCE_REPOSITORY = "1.3.6.1.4.1.57264.1.12"
_OID_SOURCE_DIGEST = "1.3.6.1.4.1.57264.1.13"
_OID_SOURCE_REF = "1.3.6.1.4.1.57264.1.14"
_GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


class HasIssuer:
    """Identity policy for sigstore-python: npm applies none, so any Fulcio identity is
    accepted here and reported instead; only a certificate naming no OIDC issuer fails,
    because then nothing could be reported."""

    def verify(self, cert: x509.Certificate) -> None:
        from sigstore.errors import VerificationError

        if not _extension(cert, _OID_ISSUER) and not _extension(cert, _OID_ISSUER_V1):
            raise VerificationError("the certificate names no OIDC issuer")


class SignerIdentity(TypedDict, total=False):
    """The identity fields of a :class:`~mcpscan.models.ProvenanceResult`, by name (a
    certificate gives them all; a key the user named, only what the build claims)."""

    source_repository: str | None
    workflow: str | None
    ref: str | None
    commit: str | None
    issuer: str | None
    signer: str | None


def certificate_identity(cert: x509.Certificate, statement: Mapping[str, Any]) -> SignerIdentity:
    issuer = _extension(cert, _OID_ISSUER) or _extension(cert, _OID_ISSUER_V1)
    signer = _san(cert)
    repository = _extension(cert, _OID_SOURCE_REPOSITORY)
    if repository is None and issuer == _GITHUB_ISSUER:
        legacy = _extension(cert, _OID_GH_REPOSITORY_V1)
        repository = f"https://github.com/{legacy}" if legacy else None
    ref = _extension(cert, _OID_SOURCE_REF) or _extension(cert, _OID_GH_REF_V1)
    commit = _extension(cert, _OID_SOURCE_DIGEST) or _extension(cert, _OID_GH_SHA_V1)
    workflow = _extension(cert, _OID_BUILD_SIGNER) or signer
    claimed = predicate_identity(statement)
    return {
        "source_repository": repository or claimed.get("repository"),
        "workflow": workflow or claimed.get("workflow"),
        "ref": ref or claimed.get("ref"),
        "commit": commit or claimed.get("commit"),
        "issuer": issuer,
        "signer": signer,
    }


def predicate_identity(statement: Mapping[str, Any]) -> dict[str, str]:
    """What the build claims about itself (SLSA v1 or v0.2), for certificates too old to
    carry the source extensions."""
    predicate = _dict(statement.get("predicate"))
    found: dict[str, str] = {}
    workflow = _dict(
        _dict(_dict(predicate.get("buildDefinition")).get("externalParameters")).get("workflow")
    )
    if workflow:
        found.update({k: str(workflow[k]) for k in ("repository", "ref") if workflow.get(k)})
        deps = _dict(predicate.get("buildDefinition")).get("resolvedDependencies")
        if isinstance(deps, list) and deps:
            commit = _dict(_dict(deps[0]).get("digest")).get("gitCommit")
            if commit:
                found["commit"] = str(commit)
    source = _dict(_dict(predicate.get("invocation")).get("configSource"))
    if source:
        uri = str(source.get("uri", ""))
        repo, _, ref = uri.removeprefix("git+").partition("@")
        found.setdefault("repository", repo)
        if ref:
            found.setdefault("ref", ref)
        sha1 = _dict(source.get("digest")).get("sha1")
        if sha1:
            found.setdefault("commit", str(sha1))
        if source.get("entryPoint"):
            found["workflow"] = str(source["entryPoint"])
    return {k: v for k, v in found.items() if v}


def _extension(cert: x509.Certificate, oid: str) -> str | None:
    try:
        ext = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(oid))
    except x509.ExtensionNotFound:
        return None
    value = ext.value
    raw = value.value if isinstance(value, x509.UnrecognizedExtension) else b""
    if not raw:
        return None
    # 1.8 onwards wrap the string in a DER UTF8String; 1.1-1.6 are the bare bytes.
    if oid.rsplit(".", 1)[-1] not in {"1", "2", "3", "4", "5", "6"} and raw[0] == 0x0C:
        raw = _der_content(raw)
    try:
        return raw.decode() or None
    except UnicodeDecodeError:
        return None


def _der_content(raw: bytes) -> bytes:
    length = raw[1]
    if length < 0x80:
        return raw[2 : 2 + length]
    count = length & 0x7F
    size = int.from_bytes(raw[2 : 2 + count], "big")
    return raw[2 + count : 2 + count + size]


def _san(cert: x509.Certificate) -> str | None:
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    for kind in (x509.UniformResourceIdentifier, x509.RFC822Name):
        found = names.get_values_for_type(kind)
        if found:
            return str(found[0])
    return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
