"""npm provenance: registry signatures, the publish attestation and SLSA provenance.

Three results per package version, each fail closed:

* ``npm-registry-signature``: ``dist.signatures`` — ECDSA P-256 over
  ``name@version:integrity`` with a key from ``/-/npm/v1/keys``. A key's validity window is
  judged against the version's publish time, as npm itself does since the January 2025 key
  rotation (judging it against today rejects every package signed with the old key).
* ``npm-publish``: the registry's own DSSE attestation that it accepted the tarball, signed
  with the registry key named in ``publicKey.hint``; the window is judged against the
  transparency log's integrated time.
* ``npm-provenance``: the SLSA provenance signed by a Fulcio certificate of the CI job. The
  identity (repository, workflow, ref, commit, issuer) comes from the certificate, which
  Fulcio wrote from the OIDC token, with the predicate filling only what old certificates
  lack.

Bundles sigstore-python supports go through its Verifier; the shapes it rejects go through
:mod:`mcpscan.provenance.sigstore_manual`. A registry that serves none of this (mirrors)
yields ABSENT "the registry did not provide it", never VERIFIED.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mcpscan.errors import NetworkError, RegistryError
from mcpscan.models import ProvenanceResult, ProvenanceState, ResolvedPackage
from mcpscan.net.http import HttpClient, NotFoundError
from mcpscan.provenance.interface import (
    INTEGRITY_KIND,
    NOT_PROVIDED,
    ProvenanceUnavailable,
    ProvenanceVerifier,
    absent,
    invalid,
)
from mcpscan.provenance.sigstore_manual import (
    BundleVerificationError,
    TrustMaterial,
    VerifiedDsse,
    parse_time,
    verify_dsse_bundle,
)

if TYPE_CHECKING:  # pragma: no cover
    from sigstore.verify import Verifier

KIND_SIGNATURE = "npm-registry-signature"
KIND_PUBLISH = "npm-publish"
KIND_PROVENANCE = "npm-provenance"

PUBLISH_PREDICATE = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"
SLSA_PREFIX = "https://slsa.dev/provenance/"
_IN_TOTO_TYPE = "application/vnd.in-toto+json"
_USAGE_SIGNATURES = "npm:signatures"
_USAGE_ATTESTATIONS = "npm:attestations"

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


def default_trusted_root() -> Path:
    """The Sigstore production trusted root embedded in sigstore-python (offline use)."""
    store = resources.files("sigstore") / "_store" / "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev"
    return Path(str(store / "trusted_root.json"))


@dataclass(frozen=True)
class RegistryKey:
    keyid: str
    key: ec.EllipticCurvePublicKey = field(repr=False)
    usages: frozenset[str] | None = None  # None: the legacy shape, which names no usage
    start: datetime | None = None
    end: datetime | None = None

    def serves(self, usage: str) -> bool:
        return self.usages is None or usage in self.usages


def parse_registry_keys(doc: Any) -> tuple[RegistryKey, ...]:
    """Keys from ``/-/npm/v1/keys`` (``keyid``/``key``/``expires``) or from the Sigstore TUF
    target ``registry.npmjs.org/keys.json`` (``keyId``/``keyUsage``/``publicKey``)."""
    entries = doc.get("keys") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise ValueError("no 'keys' list")
    merged: dict[str, RegistryKey] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if "publicKey" in entry:  # TUF target: one entry per (key, usage)
            public = entry["publicKey"]
            keyid, raw = str(entry["keyId"]), public["rawBytes"]
            valid = public.get("validFor") or {}
            start, end = parse_time(valid.get("start")), parse_time(valid.get("end"))
            usages: frozenset[str] | None = frozenset({str(entry.get("keyUsage", ""))})
        else:
            keyid, raw = str(entry["keyid"]), entry["key"]
            start, end = None, parse_time(entry.get("expires"))
            usages = None
        key = serialization.load_der_public_key(base64.b64decode(raw, validate=True))
        if not isinstance(key, ec.EllipticCurvePublicKey):
            continue
        known = merged.get(f"{keyid}|{start}|{end}")
        if known is not None and known.usages is not None and usages is not None:
            usages = known.usages | usages
        merged[f"{keyid}|{start}|{end}"] = RegistryKey(keyid, key, usages, start, end)
    return tuple(merged.values())


class NpmProvenance(ProvenanceVerifier):
    """Verifies npm registry signatures and attestations of resolved npm packages."""

    ecosystem = "npm"

    def __init__(self, client: HttpClient, registry_base_url: str,
                 trusted_root_path: Path | None = None) -> None:
        self.client = client
        self.base_url = registry_base_url.rstrip("/")
        self.trusted_root_path = trusted_root_path or default_trusted_root()
        self._lock = threading.Lock()
        self._keys: tuple[RegistryKey, ...] | str | None = None  # str: why there are none
        self._trust: TrustMaterial | None = None
        self._verifier: Verifier | None = None

    # -- entry point -------------------------------------------------------------------

    def check(self, node: ResolvedPackage) -> tuple[ProvenanceResult, ...]:
        """Raises ProvenanceUnavailable when the registry cannot be reached."""
        if node.ecosystem != "npm":
            return ()
        results: list[ProvenanceResult] = []
        manifest = self._fetch_json(self._version_url(node), "the version document")
        integrity: str | None = None
        if isinstance(manifest, dict):
            dist = _dict(manifest.get("dist"))
            integrity = dist.get("integrity") if isinstance(dist.get("integrity"), str) else None
            results.extend(self._integrity_disagreement(node, integrity))
            results.append(self._registry_signature(node, dist, integrity))
        else:
            results.append(absent(node, KIND_SIGNATURE, f"{NOT_PROVIDED} ({manifest})"))
        expected = _node_sha512(node) or _sri_sha512(integrity)
        results.extend(self._attestations(node, expected))
        return tuple(results)

    # -- registry signatures -----------------------------------------------------------

    def _registry_signature(self, node: ResolvedPackage, dist: Mapping[str, Any],
                            integrity: str | None) -> ProvenanceResult:
        signatures = dist.get("signatures")
        if not isinstance(signatures, list) or not signatures:
            return absent(node, KIND_SIGNATURE, f"{NOT_PROVIDED} (no dist.signatures)")
        if integrity is None:
            return invalid(node, KIND_SIGNATURE,
                           "dist.signatures present but dist.integrity missing: nothing to check")
        keys = self._registry_keys()
        if isinstance(keys, str):
            return absent(node, KIND_SIGNATURE, keys)
        message = f"{node.name}@{node.version}:{integrity}".encode()
        published = parse_time(node.facts.published)
        signers: list[str] = []
        # npm requires every listed signature to verify, so one forged entry fails the set.
        for sig in signatures:
            keyid = str(sig.get("keyid", "")) if isinstance(sig, dict) else ""
            candidates = [k for k in keys if k.keyid == keyid and k.serves(_USAGE_SIGNATURES)]
            if not candidates:
                return invalid(node, KIND_SIGNATURE,
                               f"signed with key {keyid or '(none)'}, which the registry "
                               "does not publish")
            problem = _window_problem(candidates, published, "the version was published")
            if problem:
                return invalid(node, KIND_SIGNATURE, f"registry key {keyid}: {problem}")
            try:
                raw = base64.b64decode(str(sig.get("sig", "")), validate=True)
            except binascii.Error:
                return invalid(node, KIND_SIGNATURE, f"signature by {keyid} is not base64")
            if not any(_ecdsa_ok(k.key, raw, message) for k in candidates):
                return invalid(node, KIND_SIGNATURE,
                               f"registry signature by {keyid} does not verify over "
                               f"{node.name}@{node.version}:{integrity}")
            signers.append(keyid)
        return ProvenanceResult(
            purl=node.purl, kind=KIND_SIGNATURE, state=ProvenanceState.VERIFIED,
            reason=f"registry signature over {node.name}@{node.version}:<integrity> verified",
            signer=", ".join(signers),
        )

    def _registry_keys(self) -> tuple[RegistryKey, ...] | str:
        with self._lock:
            if self._keys is not None:
                return self._keys
        url = f"{self.base_url}/-/npm/v1/keys"
        doc = self._fetch_json(url, "its signing keys")
        if isinstance(doc, str):
            keys: tuple[RegistryKey, ...] | str = f"{NOT_PROVIDED} ({doc})"
        else:
            try:
                keys = parse_registry_keys(doc)
            except (KeyError, TypeError, ValueError, binascii.Error) as exc:
                keys = f"{NOT_PROVIDED} (unusable signing keys: {exc.__class__.__name__})"
            if not keys:
                keys = f"{NOT_PROVIDED} (no ECDSA signing keys)"
        with self._lock:
            self._keys = keys
        return keys

    # -- attestations ------------------------------------------------------------------

    def _attestations(self, node: ResolvedPackage,
                      expected_sha512: str | None) -> list[ProvenanceResult]:
        doc = self._fetch_json(self._attestations_url(node), "attestations")
        entries = doc.get("attestations") if isinstance(doc, dict) else None
        if not isinstance(entries, list):
            why = doc if isinstance(doc, str) else "no 'attestations' list"
            return [absent(node, KIND_PUBLISH, f"{NOT_PROVIDED} ({why})"),
                    absent(node, KIND_PROVENANCE, f"{NOT_PROVIDED} ({why})")]
        publish = [e for e in entries if isinstance(e, dict)
                   and e.get("predicateType") == PUBLISH_PREDICATE]
        slsa = [e for e in entries if isinstance(e, dict)
                and str(e.get("predicateType", "")).startswith(SLSA_PREFIX)]
        results = []
        if publish:
            results.append(self._publish(node, publish[0], expected_sha512))
        else:
            results.append(absent(node, KIND_PUBLISH,
                                  f"{NOT_PROVIDED} (no publish attestation)"))
        if slsa:
            results.append(self._provenance(node, slsa[0], expected_sha512))
        else:
            results.append(absent(node, KIND_PROVENANCE,
                                  f"{NOT_PROVIDED} (no SLSA provenance attestation)"))
        return results

    def _publish(self, node: ResolvedPackage, entry: Mapping[str, Any],
                 expected_sha512: str | None) -> ProvenanceResult:
        bundle = entry.get("bundle")
        if not isinstance(bundle, dict):
            return invalid(node, KIND_PUBLISH, "the publish attestation has no bundle")
        material = bundle.get("verificationMaterial")
        hint = material.get("publicKey", {}).get("hint") if isinstance(material, dict) else None
        if not isinstance(hint, str) or not hint:
            return invalid(node, KIND_PUBLISH, "the publish attestation names no registry key")
        envelope = bundle.get("dsseEnvelope")
        sigs = envelope.get("signatures") if isinstance(envelope, dict) else None
        sig_keyid = sigs[0].get("keyid") if isinstance(sigs, list) and sigs and isinstance(
            sigs[0], dict) else None
        if sig_keyid and sig_keyid != hint:
            return invalid(node, KIND_PUBLISH,
                           f"the envelope is signed by {sig_keyid} but names key {hint}")
        keys = self._registry_keys()
        if isinstance(keys, str):
            return absent(node, KIND_PUBLISH, keys)
        candidates = [k for k in keys if k.keyid == hint and k.serves(_USAGE_ATTESTATIONS)]
        if not candidates:
            return invalid(node, KIND_PUBLISH,
                           f"signed with key {hint}, which the registry does not publish "
                           "for attestations")
        trust = self._trust_material()
        verified: VerifiedDsse | None = None
        error = ""
        for key in candidates:
            try:
                verified = verify_dsse_bundle(bundle, trust, public_key=key.key)
            except BundleVerificationError as exc:
                error = exc.message
                continue
            problem = _window_problem([key], verified.integrated_time, "it was logged")
            if problem:
                return invalid(node, KIND_PUBLISH, f"registry key {hint}: {problem}")
            break
        if verified is None:
            return invalid(node, KIND_PUBLISH, f"publish attestation: {error}")
        statement, problem = _check_statement(node, verified, PUBLISH_PREDICATE,
                                              expected_sha512)
        if problem:
            return invalid(node, KIND_PUBLISH, f"publish attestation: {problem}")
        predicate = statement.get("predicate")
        if not isinstance(predicate, dict) or (predicate.get("name"), predicate.get(
                "version")) != (node.name, node.version):
            return invalid(node, KIND_PUBLISH,
                           "publish attestation: the predicate names another package version")
        return ProvenanceResult(
            purl=node.purl, kind=KIND_PUBLISH, state=ProvenanceState.VERIFIED,
            reason=f"publish attestation signed by registry key {hint}, logged in Rekor, "
                   "subject matches the tarball",
            signer=hint, predicate_type=PUBLISH_PREDICATE,
        )

    def _provenance(self, node: ResolvedPackage, entry: Mapping[str, Any],
                    expected_sha512: str | None) -> ProvenanceResult:
        predicate_type = str(entry.get("predicateType"))
        bundle = entry.get("bundle")
        if not isinstance(bundle, dict):
            return invalid(node, KIND_PROVENANCE, "the provenance attestation has no bundle")
        try:
            if _sigstore_python_supports(bundle):
                verified = self._verify_with_sigstore(bundle)
            else:
                verified = verify_dsse_bundle(bundle, self._trust_material())
        except BundleVerificationError as exc:
            return invalid(node, KIND_PROVENANCE, f"provenance attestation: {exc.message}")
        statement, problem = _check_statement(node, verified, predicate_type, expected_sha512)
        if problem:
            return invalid(node, KIND_PROVENANCE, f"provenance attestation: {problem}")
        assert verified.certificate is not None  # both paths require a Fulcio certificate
        identity = _identity(verified.certificate, statement)
        return ProvenanceResult(
            purl=node.purl, kind=KIND_PROVENANCE, state=ProvenanceState.VERIFIED,
            reason="SLSA provenance signed by a Fulcio certificate, logged in Rekor, "
                   "subject matches the tarball",
            predicate_type=predicate_type, **identity,
        )

    def _verify_with_sigstore(self, bundle: Mapping[str, Any]) -> VerifiedDsse:
        from sigstore.errors import Error as SigstoreError
        from sigstore.models import Bundle

        try:
            loaded = Bundle.from_json(json.dumps(bundle))
            payload_type, payload = self._sigstore_verifier().verify_dsse(loaded,
                                                                          _HasIssuer())
        except (SigstoreError, ValueError) as exc:
            raise BundleVerificationError(f"sigstore verification failed: {exc}") from None
        # sigstore-python checked this time against the log; it is read back from the JSON.
        logged = bundle["verificationMaterial"]["tlogEntries"][0]["integratedTime"]
        return VerifiedDsse(
            payload_type=payload_type, payload=payload,
            integrated_time=_utc(int(logged)),
            certificate=loaded.signing_certificate,
        )

    def _sigstore_verifier(self) -> Verifier:
        from sigstore.models import TrustedRoot
        from sigstore.verify import Verifier

        with self._lock:
            if self._verifier is None:
                root = TrustedRoot.from_file(str(self.trusted_root_path))
                self._verifier = Verifier(trusted_root=root)
            return self._verifier

    def _trust_material(self) -> TrustMaterial:
        with self._lock:
            if self._trust is None:
                self._trust = TrustMaterial.from_file(self.trusted_root_path)
            return self._trust

    # -- integrity ---------------------------------------------------------------------

    def _integrity_disagreement(self, node: ResolvedPackage,
                                integrity: str | None) -> list[ProvenanceResult]:
        ours, theirs = _node_sha512(node), _sri_sha512(integrity)
        if ours is None or theirs is None or ours == theirs:
            return []
        return [invalid(node, INTEGRITY_KIND,
                        f"the registry's dist.integrity (sha512 {theirs[:16]}…) differs from "
                        f"the resolved tarball digest (sha512 {ours[:16]}…)")]

    # -- fetching ----------------------------------------------------------------------

    def _version_url(self, node: ResolvedPackage) -> str:
        return f"{self.base_url}/{_encoded_name(node.name)}/{quote(node.version, safe='')}"

    def _attestations_url(self, node: ResolvedPackage) -> str:
        spec = f"{_encoded_name(node.name)}@{quote(node.version, safe='')}"
        return f"{self.base_url}/-/npm/v1/attestations/{spec}"

    def _fetch_json(self, url: str, what: str) -> Any:
        """The decoded document, or a string saying why the registry did not provide it."""
        try:
            return self.client.get_json(url)
        except NotFoundError:
            return f"{what}: not found"
        except NetworkError as exc:  # includes --offline cache misses
            raise ProvenanceUnavailable(f"npm {what}: {exc}") from None
        except RegistryError as exc:
            return f"{what}: {exc}"


class _HasIssuer:
    """Identity policy for sigstore-python: npm applies none, so any Fulcio identity is
    accepted here and reported instead; only a certificate naming no OIDC issuer fails,
    because then nothing could be reported."""

    def verify(self, cert: x509.Certificate) -> None:
        from sigstore.errors import VerificationError

        if not _extension(cert, _OID_ISSUER) and not _extension(cert, _OID_ISSUER_V1):
            raise VerificationError("the certificate names no OIDC issuer")


def _sigstore_python_supports(bundle: Mapping[str, Any]) -> bool:
    """sigstore-python 4.5.1 verifies certificate bundles whose log entries are dsse 0.0.1
    with an inclusion proof and checkpoint; everything else takes the manual path."""
    material = bundle.get("verificationMaterial")
    if not isinstance(material, dict) or not (
        "certificate" in material or "x509CertificateChain" in material
    ):
        return False
    entries = material.get("tlogEntries")
    if not isinstance(entries, list) or not entries:
        return False
    for entry in entries:
        kind = entry.get("kindVersion", {}) if isinstance(entry, dict) else {}
        proof = entry.get("inclusionProof") if isinstance(entry, dict) else None
        if (kind.get("kind"), kind.get("version")) != ("dsse", "0.0.1"):
            return False
        if not isinstance(proof, dict) or not proof.get("checkpoint"):
            return False
    return True


def _check_statement(node: ResolvedPackage, verified: VerifiedDsse, predicate_type: str,
                     expected_sha512: str | None) -> tuple[dict[str, Any], str]:
    """(7) The statement must name this package version and this tarball's sha512."""
    if verified.payload_type != _IN_TOTO_TYPE:
        return {}, f"payload type {verified.payload_type!r} is not an in-toto statement"
    try:
        statement = json.loads(verified.payload)
    except ValueError:
        return {}, "the signed statement is not JSON"
    if not isinstance(statement, dict):
        return {}, "the signed statement is not a JSON object"
    if statement.get("predicateType") != predicate_type:
        return statement, (f"the signed predicate type {statement.get('predicateType')!r} "
                           f"is not the declared {predicate_type!r}")
    if expected_sha512 is None:
        return statement, "no sha512 of the tarball is known to compare the subject with"
    purl = npm_purl(node.name, node.version)
    subjects = statement.get("subject")
    named = [s for s in subjects if isinstance(s, dict) and s.get("name") == purl] if isinstance(
        subjects, list) else []
    if not named:
        return statement, f"no subject names {purl}"
    for subject in named:
        digest = subject.get("digest")
        if isinstance(digest, dict) and str(digest.get("sha512", "")).lower() == expected_sha512:
            return statement, ""
    return statement, f"the subject's sha512 is not the tarball's ({expected_sha512[:16]}…)"


def _identity(cert: x509.Certificate, statement: Mapping[str, Any]) -> dict[str, str | None]:
    issuer = _extension(cert, _OID_ISSUER) or _extension(cert, _OID_ISSUER_V1)
    signer = _san(cert)
    repository = _extension(cert, _OID_SOURCE_REPOSITORY)
    if repository is None and issuer == _GITHUB_ISSUER:
        legacy = _extension(cert, _OID_GH_REPOSITORY_V1)
        repository = f"https://github.com/{legacy}" if legacy else None
    ref = _extension(cert, _OID_SOURCE_REF) or _extension(cert, _OID_GH_REF_V1)
    commit = _extension(cert, _OID_SOURCE_DIGEST) or _extension(cert, _OID_GH_SHA_V1)
    workflow = _extension(cert, _OID_BUILD_SIGNER) or signer
    claimed = _predicate_identity(statement)
    return {
        "source_repository": repository or claimed.get("repository"),
        "workflow": workflow or claimed.get("workflow"),
        "ref": ref or claimed.get("ref"),
        "commit": commit or claimed.get("commit"),
        "issuer": issuer,
        "signer": signer,
    }


def _predicate_identity(statement: Mapping[str, Any]) -> dict[str, str]:
    """What the build claims about itself (SLSA v1 or v0.2), for certificates too old to
    carry the source extensions."""
    predicate = _dict(statement.get("predicate"))
    found: dict[str, str] = {}
    workflow = _dict(_dict(_dict(predicate.get("buildDefinition")).get(
        "externalParameters")).get("workflow"))
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
        return raw[2:2 + length]
    count = length & 0x7F
    size = int.from_bytes(raw[2:2 + count], "big")
    return raw[2 + count:2 + count + size]


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


def _window_problem(keys: Sequence[RegistryKey], when: datetime | None, event: str) -> str:
    """Why none of ``keys`` was valid at ``when``; empty when one was."""
    if any(k.start is None and k.end is None for k in keys):
        return ""
    if when is None:
        return "the key has a validity window but the publish time is unknown"
    for key in keys:
        if (key.start is None or key.start <= when) and (key.end is None or when < key.end):
            return ""
    key = keys[0]
    if key.end is not None and when >= key.end:
        return f"expired {key.end.isoformat()}, before {event} ({when.isoformat()})"
    start = key.start.isoformat() if key.start else "?"
    return f"not valid until {start}, after {event} ({when.isoformat()})"


def npm_purl(name: str, version: str) -> str:
    """The purl npm puts in attestation subjects (scope ``@`` as ``%40``)."""
    return f"pkg:npm/{quote(name, safe='/')}@{version}"


def _encoded_name(name: str) -> str:
    if name.startswith("@") and "/" in name:
        scope, _, bare = name.partition("/")
        return f"{quote(scope, safe='@')}%2F{quote(bare, safe='')}"
    return quote(name, safe="")


def _node_sha512(node: ResolvedPackage) -> str | None:
    for digest in node.digests:
        if digest.algorithm == "sha512":
            return digest.value.lower()
    return None


def _sri_sha512(integrity: str | None) -> str | None:
    for token in (integrity or "").split():
        algo, _, b64 = token.partition("-")
        if algo.lower() == "sha512":
            try:
                return base64.b64decode(b64, validate=True).hex()
            except binascii.Error:
                return None
    return None


def _ecdsa_ok(key: ec.EllipticCurvePublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


