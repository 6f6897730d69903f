"""The provenance seam for container images: cosign signatures, attestations, bundles.

:class:`OciProvenance` finds what is attached to the image's digests
(:func:`~mcpscan.provenance.oci.material.discover`) and gives one result per item found,
each VERIFIED, INVALID or UNKNOWN with its reason, and ABSENT results for what nothing
attached (a signature, SLSA provenance, an SBOM). Which verification path each item takes:

* a Sigstore bundle attached as a referrer: sigstore-python's :class:`Verifier` for
  certificate bundles with ``dsse`` 0.0.1 entries, the step-by-step verifier of
  :mod:`mcpscan.provenance.sigstore_manual` for the other shapes (public-key bundles with a
  named key);
* a cosign ``.sig`` signature or ``.att`` attestation: :mod:`mcpscan.provenance.oci.cosign`
  (keyless with the legacy Rekor bundle, or a named cosign key).

Every keyless path is anchored in the pinned Sigstore trusted root (or the one the user
named), never in a certificate or key found next to the image. A signature must sign the
digest it is attached to, and an attestation's subject must be that digest: one moved from
another image is INVALID, not absent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcpscan.errors import NetworkError, RegistryError
from mcpscan.models import ProvenanceResult, ProvenanceState, ResolvedPackage
from mcpscan.provenance.fulcio_identity import (
    SignerIdentity,
    certificate_identity,
    predicate_identity,
)
from mcpscan.provenance.interface import (
    ProvenanceUnavailable,
    ProvenanceVerifier,
    absent,
    invalid,
    unknown,
)
from mcpscan.provenance.oci.cosign import (
    NamedKey,
    Signed,
    UnnamedKey,
    signed_digest,
    verify_envelope,
    verify_simple_signing,
)
from mcpscan.provenance.oci.material import (
    Broken,
    BundleItem,
    Envelope,
    ImageStore,
    Item,
    Material,
    SimpleSigning,
    discover,
)
from mcpscan.provenance.oci.statements import (
    KIND_ATTESTATION,
    KIND_PROVENANCE,
    KIND_SBOM,
    KIND_SIGNATURE,
    Statement,
    read_statement,
    sbom_purls,
    slsa_summary,
)
from mcpscan.provenance.sigstore_manual import (
    BundleVerificationError,
    VerifiedDsse,
    verify_dsse_bundle,
)
from mcpscan.provenance.sigstore_python import (
    sigstore_python_supports,
    verify_with_sigstore,
)
from mcpscan.provenance.sigstore_root import SigstoreRoot
from mcpscan.provenance.trust import AnchorSource, TrustStore


@dataclass(frozen=True)
class ImageSubject:
    """Where an image's attachments are read, and the digests they may sign: the digest a
    client pulls first (an index, for a multi-arch image), then the platform manifest's."""

    store: ImageStore
    digests: tuple[str, ...]


Locate = Callable[[ResolvedPackage], ImageSubject]


@dataclass(frozen=True)
class ImageProvenance:
    results: tuple[ProvenanceResult, ...]
    sbom: tuple[str, ...] = ()  # purls listed by verified SBOM attestations


class OciProvenance(ProvenanceVerifier):
    """Verifies the signatures and attestations of resolved images (ecosystem ``oci``)."""

    ecosystem = "oci"

    def __init__(
        self,
        locate: Locate,
        *,
        trust: TrustStore | None = None,
        trusted_root_path: Path | None = None,
        keys: Sequence[NamedKey] = (),
    ) -> None:
        self.locate = locate
        self.root = SigstoreRoot(trust or TrustStore(None, tuf_url=None), trusted_root_path)
        self.keys = tuple(keys)
        self._lock = threading.Lock()
        self._seen: dict[str, ImageProvenance] = {}

    def trusted_root_source(self) -> AnchorSource:
        return self.root.anchor().source

    def check(self, node: ResolvedPackage) -> tuple[ProvenanceResult, ...]:
        return self.examine(node).results

    def examine(self, node: ResolvedPackage) -> ImageProvenance:
        """The results and SBOM packages of ``node`` (checked once per scan)."""
        with self._lock:
            if node.purl in self._seen:
                return self._seen[node.purl]
        subject = self.locate(node)
        try:
            found = [discover(subject.store, d) for d in subject.digests]
        except (NetworkError, RegistryError) as exc:
            raise ProvenanceUnavailable(
                f"image attachments of {node.name}: {exc.message}"
            ) from None
        result = self.verify_material(node, found)
        with self._lock:
            self._seen[node.purl] = result
        return result

    def verify_material(
        self, node: ResolvedPackage, materials: Sequence[Material]
    ) -> ImageProvenance:
        """The results for what was found (pure over the fetched bytes)."""
        results: list[ProvenanceResult] = []
        sbom: dict[str, None] = {}
        for material in materials:
            for item in material.items:
                result, statement = self._item(node, material.digest, item)
                results.append(result)
                if (
                    statement is not None
                    and result.state is ProvenanceState.VERIFIED
                    and result.kind == KIND_SBOM
                ):
                    sbom.update(dict.fromkeys(sbom_purls(statement)))
        places = "; ".join(
            f"{m.digest[:19]}: " + ", ".join(m.places) for m in materials if m.places
        )
        kinds = {r.kind for r in results}
        if KIND_SIGNATURE not in kinds:
            results.append(
                absent(
                    node,
                    KIND_SIGNATURE,
                    f"no cosign signature or Sigstore bundle is attached (looked at {places})",
                )
            )
        if KIND_PROVENANCE not in kinds:
            results.append(absent(node, KIND_PROVENANCE, "no SLSA provenance attestation"))
        if KIND_SBOM not in kinds:
            results.append(
                absent(
                    node,
                    KIND_SBOM,
                    "no SBOM attestation: the packages inside the image were not checked",
                )
            )
        return ImageProvenance(tuple(results), tuple(sbom))

    # -- one item ----------------------------------------------------------------------

    def _item(
        self, node: ResolvedPackage, digest: str, item: Item
    ) -> tuple[ProvenanceResult, Statement | None]:
        where = item.where
        # Until a statement is read, what an item is comes from where it was found.
        signature = isinstance(item, SimpleSigning) or where.endswith(".sig")
        default_kind = KIND_SIGNATURE if signature else KIND_ATTESTATION
        if isinstance(item, Broken):
            return invalid(node, default_kind, f"{where}: {item.reason}"), None
        try:
            if isinstance(item, SimpleSigning):
                return self._signature(node, digest, item), None
            return self._attestation(node, digest, item)
        except UnnamedKey as exc:
            return unknown(node, default_kind, f"{where}: {exc.message}"), None
        except BundleVerificationError as exc:
            return invalid(node, default_kind, f"{where}: {exc.message}"), None

    def _signature(
        self, node: ResolvedPackage, digest: str, item: SimpleSigning
    ) -> ProvenanceResult:
        signed = verify_simple_signing(item, self.root.material(), self.keys)
        named = signed_digest(signed.payload)
        if named != digest:
            raise BundleVerificationError(
                f"the signature is for {named}, not this image's {digest}"
            )
        how = "keyless (Fulcio certificate, Rekor entry)" if signed.certificate else signed.signer
        return self._verified(
            node, KIND_SIGNATURE, signed, None, f"cosign signature of {digest} verified: {how}"
        )

    def _attestation(
        self, node: ResolvedPackage, digest: str, item: Envelope | BundleItem
    ) -> tuple[ProvenanceResult, Statement | None]:
        if isinstance(item, Envelope):
            signed = verify_envelope(item, self.root.material(), self.keys)
            payload_type = _payload_type(item.envelope)
            how = "cosign attestation"
        else:
            signed, payload_type = self._bundle(item)
            how = "Sigstore bundle"
        statement = read_statement(payload_type, signed.payload, digest)
        kind = statement.kind
        detail = f" ({slsa_summary(statement)})" if kind == KIND_PROVENANCE else ""
        if kind == KIND_SBOM:
            detail = f" ({len(sbom_purls(statement))} packages)"
        reason = f"{how} {statement.predicate_type} about {digest} verified{detail}"
        return self._verified(node, kind, signed, statement, reason), statement

    def _bundle(self, item: BundleItem) -> tuple[Signed, str]:
        try:
            bundle = json.loads(item.bundle)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise BundleVerificationError("the Sigstore bundle is not JSON") from None
        if not isinstance(bundle, dict):
            raise BundleVerificationError("the Sigstore bundle is not a JSON object")
        if "dsseEnvelope" not in bundle:
            raise UnnamedKey("a message-signature bundle (not an attestation): not verified")
        verified: VerifiedDsse
        material = bundle.get("verificationMaterial")
        keyed = isinstance(material, dict) and "publicKey" in material
        if sigstore_python_supports(bundle):
            verified = verify_with_sigstore(bundle, self.root.verifier())
        elif not keyed:
            verified = verify_dsse_bundle(bundle, self.root.material())
        else:
            return self._keyed_bundle(bundle, item.where)
        signer = ""
        if verified.certificate is not None:
            signer = certificate_identity(verified.certificate, {}).get("signer") or ""
        return (
            Signed(
                verified.payload,
                signer,
                verified.certificate,
                verified.integrated_time,
                verified.gaps,
            ),
            verified.payload_type,
        )

    def _keyed_bundle(self, bundle: dict[str, Any], where: str) -> tuple[Signed, str]:
        """A public-key bundle (``cosign sign/attest --key`` in the new bundle format),
        checked with the named keys only; without a log entry (``--tlog-upload=false``)
        the DSSE signature alone, which the result says was not logged."""
        if not self.keys:
            raise UnnamedKey("a public-key bundle, and no cosign key was named (--cosign-key)")
        material = bundle.get("verificationMaterial")
        if not _d(material).get("tlogEntries"):
            envelope = json.dumps(bundle.get("dsseEnvelope")).encode()
            signed = verify_envelope(Envelope(where, envelope), self.root.material(), self.keys)
            return signed, _payload_type(envelope)
        error = "no named key"
        for named in self.keys:
            try:
                verified = verify_dsse_bundle(bundle, self.root.material(), public_key=named.key)
            except BundleVerificationError as exc:
                error = exc.message
                continue
            signed = Signed(
                verified.payload,
                f"cosign key {named.label}",
                None,
                verified.integrated_time,
                verified.gaps,
            )
            return signed, verified.payload_type
        raise BundleVerificationError(f"the bundle does not verify with a named key: {error}")

    def _verified(
        self,
        node: ResolvedPackage,
        kind: str,
        signed: Signed,
        statement: Statement | None,
        reason: str,
    ) -> ProvenanceResult:
        predicate = {"predicate": statement.predicate} if statement is not None else {}
        identity: SignerIdentity = {"signer": signed.signer or None}
        if signed.certificate is not None:
            identity = certificate_identity(signed.certificate, predicate)
        elif statement is not None and statement.kind == KIND_PROVENANCE:
            # Signed by a key the user named: what the build says about itself is as good
            # as that key (there is no certificate to say it instead).
            claimed = predicate_identity(predicate)
            identity["source_repository"] = claimed.get("repository")
            identity["workflow"] = claimed.get("workflow")
            identity["ref"] = claimed.get("ref")
            identity["commit"] = claimed.get("commit")
        gaps = f" (not checked: {'; '.join(signed.gaps)})" if signed.gaps else ""
        # The trust root anchors a certificate or a log entry; a key-signed signature that
        # was never logged is anchored in the named key alone (its reason names it).
        logged = signed.certificate is not None or signed.integrated_time is not None
        anchor = f", against {self.root.anchor().source.description}" if logged else ""
        return ProvenanceResult(
            purl=node.purl,
            kind=kind,
            state=ProvenanceState.VERIFIED,
            reason=f"{reason}{anchor}{gaps}",
            predicate_type=statement.predicate_type if statement is not None else None,
            **identity,
        )


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _payload_type(envelope: bytes) -> str:
    try:
        doc: Any = json.loads(envelope)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return ""
    return str(doc.get("payloadType", "")) if isinstance(doc, dict) else ""


__all__ = ["ImageProvenance", "ImageSubject", "OciProvenance"]
