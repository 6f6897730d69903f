"""What is attached to an image digest, found the ways cosign and the OCI 1.1 spec attach it.

Three places are read for each digest, and all of them every time (an attacker who can
write one of them must not hide what another holds):

1. the referrers API ``GET /v2/<name>/referrers/<digest>`` (OCI distribution 1.1), or, on a
   registry without it, the fallback tag ``sha256-<hex>`` holding the same index;
2. cosign's signature tag ``sha256-<hex>.sig`` (simple-signing layers with annotations);
3. cosign's attestation tag ``sha256-<hex>.att`` (DSSE envelope layers).

Everything is fetched through an :class:`ImageStore` (the registry client of the scan, or
recorded bytes in tests) and is bounded: at most :data:`MAX_REFERRERS` referrers and
:data:`MAX_LAYERS` layers a manifest, manifests and blobs under their size caps. Content
fetched by digest is checked against that digest, so a registry cannot swap it; what a
mutable tag holds is only trusted once its signature verifies. A manifest that cannot be
read becomes a :class:`Broken` item (present but bad: INVALID later, never absent).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from mcpscan.errors import ProvenanceError

SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
DSSE_ENVELOPE = "application/vnd.dsse.envelope.v1+json"
COSIGN_SIG_ARTIFACT = "application/vnd.dev.cosign.artifact.sig.v1+json"
BUNDLE_TYPES = (
    "application/vnd.dev.sigstore.bundle.v0.3+json",
    "application/vnd.dev.sigstore.bundle+json",
)
ANNOTATION_SIGNATURE = "dev.cosignproject.cosign/signature"
ANNOTATION_CERTIFICATE = "dev.sigstore.cosign/certificate"
ANNOTATION_CHAIN = "dev.sigstore.cosign/chain"
ANNOTATION_BUNDLE = "dev.sigstore.cosign/bundle"

MAX_REFERRERS = 32
MAX_LAYERS = 8
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_SIGNATURE_BYTES = 1024 * 1024  # a simple-signing payload or a Sigstore bundle
MAX_ATTESTATION_BYTES = 16 * 1024 * 1024  # a DSSE envelope may hold a whole SBOM

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


class AttachmentInvalid(ProvenanceError):
    """The registry served something that is not what was asked for (bytes that do not
    match their digest, a listed blob it does not serve): present and bad."""


class ImageStore(Protocol):
    """Read access to one repository of a registry (what discovery needs of a client).

    ``manifest`` and ``referrers`` return None for a 404; :class:`AttachmentInvalid` says
    the answer is bad; every method raises :class:`mcpscan.errors.NetworkError` when the
    registry cannot be reached, which makes the scan incomplete rather than the image
    "unsigned".
    """

    def manifest(self, reference: str) -> bytes | None:
        """The raw manifest (or index) at a tag or digest, at most MAX_MANIFEST_BYTES."""

    def blob(self, digest: str, max_bytes: int) -> bytes:
        """The raw blob, at most ``max_bytes``."""

    def referrers(self, digest: str) -> bytes | None:
        """The referrers index of ``digest``; None when the registry has no referrers API."""


@dataclass(frozen=True)
class SimpleSigning:
    """One cosign signature: the signed payload and the layer's annotations."""

    where: str  # where it was found, for messages
    payload: bytes = field(repr=False)
    signature: str  # base64, as in the annotation
    certificate: str | None = None  # PEM leaf (keyless)
    chain: str | None = None  # PEM intermediates, never trusted
    rekor_bundle: str | None = None  # the legacy cosign Rekor bundle JSON


@dataclass(frozen=True)
class Envelope:
    """One cosign attestation: a DSSE envelope from an ``.att`` layer."""

    where: str
    envelope: bytes = field(repr=False)
    certificate: str | None = None
    chain: str | None = None
    rekor_bundle: str | None = None


@dataclass(frozen=True)
class BundleItem:
    """A Sigstore bundle attached as a referrer (cosign's new bundle format)."""

    where: str
    bundle: bytes = field(repr=False)


@dataclass(frozen=True)
class Broken:
    """Attached material that cannot be read (wrong digest, malformed, over a limit)."""

    where: str
    reason: str


Item = SimpleSigning | Envelope | BundleItem | Broken


@dataclass(frozen=True)
class Material:
    """Everything found for one digest."""

    digest: str
    items: tuple[Item, ...] = ()
    notes: tuple[str, ...] = ()  # what was seen but is not verified (other artifact types)
    places: tuple[str, ...] = ()  # where was looked, for the "absent" reason


def tag_for(digest: str, suffix: str = "") -> str:
    """``sha256:<hex>`` -> ``sha256-<hex>`` + suffix (cosign's and OCI 1.1's tag schema)."""
    return digest.replace(":", "-", 1) + suffix


def discover(store: ImageStore, digest: str) -> Material:
    """Every signature, attestation and bundle attached to ``digest``."""
    if not _DIGEST.match(digest):
        return Material(digest, (Broken(digest, f"{digest!r} is not a sha256 digest"),))
    items: list[Item] = []
    notes: list[str] = []
    places = [f"the referrers API (or its fallback tag {tag_for(digest)})"]
    try:
        raw = store.referrers(digest)
        if raw is None:  # no referrers API: OCI 1.1's fallback tag holds the same index
            raw = store.manifest(tag_for(digest))
    except AttachmentInvalid as exc:
        items.append(Broken("the referrers index", exc.message))
        raw = None
    if raw is not None:
        _from_referrers(store, digest, raw, items, notes)
    for suffix, kind in ((".sig", _SIGNATURES), (".att", _ATTESTATIONS)):
        tag = tag_for(digest, suffix)
        places.append(f"the tag {tag}")
        try:
            raw_tag = store.manifest(tag)
        except AttachmentInvalid as exc:
            items.append(Broken(tag, exc.message))
            continue
        if raw_tag is not None:
            items.extend(_layer_items(store, tag, _json(raw_tag), kind))
    return Material(digest, tuple(items), tuple(notes), tuple(places))


def _from_referrers(
    store: ImageStore, digest: str, raw: bytes, items: list[Item], notes: list[str]
) -> None:
    index = _json(raw)
    manifests = index.get("manifests") if isinstance(index, dict) else None
    if not isinstance(manifests, list):
        items.append(Broken("the referrers index", "it is not an OCI image index"))
        return
    if len(manifests) > MAX_REFERRERS:
        notes.append(f"{len(manifests)} referrers; only the first {MAX_REFERRERS} were read")
    for descriptor in manifests[:MAX_REFERRERS]:
        if not isinstance(descriptor, dict):
            items.append(Broken("the referrers index", "a descriptor is not an object"))
            continue
        ref_digest = str(descriptor.get("digest", ""))
        kind = str(descriptor.get("artifactType") or "")
        where = f"the referrer {ref_digest[:19]}"
        if not (kind.startswith(BUNDLE_TYPES) or kind == COSIGN_SIG_ARTIFACT):
            if kind:
                notes.append(f"a referrer of type {kind} is not verified by mcpscan")
            continue
        manifest = _by_digest(store, ref_digest, where)
        if isinstance(manifest, Broken):
            items.append(manifest)
            continue
        subject = manifest.get("subject")
        named = str(subject.get("digest", "")) if isinstance(subject, dict) else ""
        if named != digest:
            items.append(Broken(where, f"its subject is {named or 'missing'}, not {digest}"))
        elif kind == COSIGN_SIG_ARTIFACT:
            items.extend(_layer_items(store, where, manifest, _SIGNATURES))
        else:
            items.extend(_layer_items(store, where, manifest, _BUNDLES))


@dataclass(frozen=True)
class _LayerKind:
    """Which layers of a manifest hold one kind of item, and how each is read."""

    wanted: Callable[[str], bool]  # of the layer's media type
    limit: int  # the blob's size cap
    item: Callable[[str, Mapping[str, Any], bytes], Item]  # (where, layer, blob)
    none_found: str  # why a manifest without such a layer is Broken


def _layer_items(store: ImageStore, where: str, manifest: Any, kind: _LayerKind) -> list[Item]:
    """An item for each layer of ``kind`` (its blob read within the kind's cap), a Broken
    one for each that cannot be read, and a Broken one when there is none."""
    found: list[Item] = []
    for layer, note in _layers(manifest, where):
        if note is not None:
            found.append(note)
        elif kind.wanted(str(layer.get("mediaType", ""))):
            blob = _blob(store, layer, kind.limit, where)
            found.append(blob if isinstance(blob, Broken) else kind.item(where, layer, blob))
    return found or [Broken(where, kind.none_found)]


def _simple_signing(where: str, layer: Mapping[str, Any], payload: bytes) -> Item:
    signature = _annotations(layer).get(ANNOTATION_SIGNATURE)
    if not signature:
        return Broken(where, f"a layer has no {ANNOTATION_SIGNATURE} annotation")
    return SimpleSigning(where, payload, signature, *_cosign_notes(layer))


def _cosign_notes(layer: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """The certificate, chain and Rekor bundle cosign annotates a layer with."""
    notes = _annotations(layer)
    return (
        notes.get(ANNOTATION_CERTIFICATE) or None,
        notes.get(ANNOTATION_CHAIN) or None,
        notes.get(ANNOTATION_BUNDLE) or None,
    )


_SIGNATURES = _LayerKind(
    lambda media_type: media_type == SIMPLE_SIGNING,
    MAX_SIGNATURE_BYTES,
    _simple_signing,
    "it holds no simple-signing layer",
)
_ATTESTATIONS = _LayerKind(
    lambda media_type: media_type == DSSE_ENVELOPE,
    MAX_ATTESTATION_BYTES,
    lambda where, layer, envelope: Envelope(where, envelope, *_cosign_notes(layer)),
    "it holds no DSSE envelope layer",
)
_BUNDLES = _LayerKind(
    lambda media_type: media_type.startswith(BUNDLE_TYPES),
    MAX_ATTESTATION_BYTES,
    lambda where, _layer, bundle: BundleItem(where, bundle),
    "it holds no Sigstore bundle layer",
)


def _layers(manifest: Any, where: str) -> list[tuple[dict[str, Any], Broken | None]]:
    layers = manifest.get("layers") if isinstance(manifest, dict) else None
    if not isinstance(layers, list):
        return [({}, Broken(where, "the manifest has no layers list"))]
    found: list[tuple[dict[str, Any], Broken | None]] = []
    for layer in layers[:MAX_LAYERS]:
        if isinstance(layer, dict):
            found.append((layer, None))
        else:
            found.append(({}, Broken(where, "a layer descriptor is not an object")))
    return found


def _by_digest(store: ImageStore, digest: str, where: str) -> dict[str, Any] | Broken:
    if not _DIGEST.match(digest):
        return Broken(where, f"{digest!r} is not a sha256 digest")
    try:
        raw = store.manifest(digest)
    except AttachmentInvalid as exc:
        return Broken(where, exc.message)
    if raw is None:
        return Broken(where, "the registry lists it but does not serve it")
    if hashlib.sha256(raw).hexdigest() != digest.split(":", 1)[1]:
        return Broken(where, "the registry served a manifest that does not match its digest")
    doc = _json(raw)
    return doc if isinstance(doc, dict) else Broken(where, "the manifest is not a JSON object")


def _blob(store: ImageStore, layer: Mapping[str, Any], limit: int, where: str) -> bytes | Broken:
    digest = str(layer.get("digest", ""))
    if not _DIGEST.match(digest):
        return Broken(where, f"a layer digest {digest[:80]!r} is not a sha256 digest")
    size = layer.get("size")
    if isinstance(size, int) and size > limit:
        return Broken(where, f"a layer of {size} bytes is over the {limit}-byte limit")
    try:
        raw = store.blob(digest, limit)
    except AttachmentInvalid as exc:
        return Broken(where, exc.message)
    if hashlib.sha256(raw).hexdigest() != digest.split(":", 1)[1]:
        return Broken(where, f"the blob {digest[:19]} does not match its digest")
    return raw


def _annotations(layer: Mapping[str, Any]) -> dict[str, str]:
    notes = layer.get("annotations")
    if not isinstance(notes, dict):
        return {}
    return {str(k): v for k, v in notes.items() if isinstance(v, str)}


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
