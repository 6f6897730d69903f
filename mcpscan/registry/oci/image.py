"""An image reference -> the image a pull on the target platform would fetch, and what
its config says (:class:`~mcpscan.images.ImageFacts`).

Each step is checked: every manifest and the config blob against its digest and declared
size, an index entry's media type against the manifest it names, and the config's own OS
and architecture against the platform the index listed it under.
"""

from __future__ import annotations

import json
from typing import Any

from mcpscan.ecosystems.oci import ImageRef
from mcpscan.images import ImageFacts, Platform
from mcpscan.registry.oci.interface import (
    IMAGE_CONFIG_TYPES,
    INDEX_TYPES,
    MANIFEST_TYPES,
    MAX_CONFIG_BYTES,
    Descriptor,
    ImageNotFound,
    InvalidContent,
    Manifest,
    OciError,
    OciRegistry,
    verify,
)

_MAX_DEPTH = 2  # an index of indexes, at most
_MAX_LABELS = 200
_MAX_TEXT = 1000
_MAX_WORDS = 100


def repository_of(ref: ImageRef) -> str:
    """``host/path`` as the client names repositories (``docker.io/library/python``)."""
    return f"{ref.host}/{ref.full_path}".lower()


def resolve_image(registry: OciRegistry, ref: ImageRef, platform: Platform) -> ImageFacts:
    """Resolve ``ref`` for ``platform``. Raises ImageNotFound (no such repository, tag,
    digest or platform), InvalidContent (bytes or documents that do not check out),
    OciError and NetworkError."""
    repository = repository_of(ref)
    reference = ref.digest or ref.tag or "latest"
    top = registry.manifest(repository, reference)
    shown = f"{repository}@{reference}" if ref.digest else f"{repository}:{reference}"
    chosen: Manifest = top
    picked: Descriptor | None = None
    offered: tuple[Platform, ...] = ()
    for _ in range(_MAX_DEPTH + 1):
        if not chosen.is_index:
            break
        entries = chosen.manifests
        offered = tuple(
            sorted({e.platform for e in entries if e.platform and _is_image_platform(e)})
        )
        picked = select_platform(entries, platform)
        if picked is None:
            listing = ", ".join(str(p) for p in offered) or "none"
            raise ImageNotFound(f"{shown} has no image for {platform} (it offers: {listing})")
        child = registry.manifest(repository, picked.digest)
        _check_entry(child, picked, shown)
        chosen = child
    else:
        raise InvalidContent(f"{shown}: image indexes nested more than {_MAX_DEPTH} deep")
    config = chosen.config
    if config.media_type not in IMAGE_CONFIG_TYPES:
        raise OciError(
            f"{shown} is not a container image (its config is {config.media_type[:80]!r})"
        )
    if config.size > MAX_CONFIG_BYTES:
        raise OciError(f"{shown}: the image config is {config.size} bytes, over the limit")
    blob = registry.blob(repository, config.digest, limit=MAX_CONFIG_BYTES)
    verify(blob, config.digest, f"{shown}: image config", size=config.size)
    document = _config_document(blob, shown)
    own = _config_platform(document)
    if picked is not None and picked.platform is not None and own is not None:
        listed = picked.platform
        if (own.os, own.architecture) != (listed.os, listed.architecture):
            raise InvalidContent(
                f"{shown}: the index lists the image under {listed}, but its config says {own}"
            )
    return _facts(
        document,
        repository=repository,
        top=top,
        manifest=chosen,
        config=config,
        platform=picked.platform if picked is not None else own,
        offered=offered,
        tag=None if ref.digest else reference,
    )


def _is_image_platform(entry: Descriptor) -> bool:
    # buildx stores attestation manifests in the index under "unknown/unknown".
    return entry.platform is not None and entry.platform.os not in ("", "unknown")


def select_platform(entries: tuple[Descriptor, ...], wanted: Platform) -> Descriptor | None:
    """The index entry a pull for ``wanted`` takes (containerd's matcher: the same OS and
    architecture, the variant with its defaults, the first such entry)."""
    same = [
        e
        for e in entries
        if e.platform is not None
        and _is_image_platform(e)
        and (e.platform.os, e.platform.architecture) == (wanted.os, wanted.architecture)
    ]
    exact = [
        e for e in same if e.platform and e.platform.normalised_variant == wanted.normalised_variant
    ]
    if exact:
        return exact[0]
    return same[0] if same and not wanted.variant else None


def _check_entry(child: Manifest, entry: Descriptor, shown: str) -> None:
    if len(child.content) != entry.size:
        raise InvalidContent(
            f"{shown}: the manifest {entry.digest} is {len(child.content)} bytes; the index "
            f"says {entry.size}"
        )
    if entry.media_type and entry.media_type != child.media_type:
        raise InvalidContent(
            f"{shown}: the index calls {entry.digest} a {entry.media_type}, but it is a "
            f"{child.media_type}"
        )
    if child.media_type not in INDEX_TYPES | MANIFEST_TYPES:  # pragma: no cover - checked on read
        raise InvalidContent(f"{shown}: {entry.digest} is not an image manifest")


def _config_document(blob: bytes, shown: str) -> dict[str, Any]:
    try:
        data = json.loads(blob)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidContent(f"{shown}: the image config is not JSON") from None
    if not isinstance(data, dict):
        raise InvalidContent(f"{shown}: the image config is not an object")
    return data


def _config_platform(document: dict[str, Any]) -> Platform | None:
    os_name, arch = document.get("os"), document.get("architecture")
    if not isinstance(os_name, str) or not isinstance(arch, str) or not os_name:
        return None
    variant = document.get("variant")
    return Platform(
        os_name.lower(), arch.lower(), variant.lower() if isinstance(variant, str) else ""
    )


def _text(value: Any) -> str | None:
    return value[:_MAX_TEXT] if isinstance(value, str) else None


def _words(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value[:_MAX_TEXT],)
    if not isinstance(value, list):
        return ()
    return tuple(w[:_MAX_TEXT] for w in value[:_MAX_WORDS] if isinstance(w, str))


def _facts(
    document: dict[str, Any],
    *,
    repository: str,
    top: Manifest,
    manifest: Manifest,
    config: Descriptor,
    platform: Platform | None,
    offered: tuple[Platform, ...],
    tag: str | None,
) -> ImageFacts:
    inner = document.get("config")
    inner = inner if isinstance(inner, dict) else {}
    labels = inner.get("Labels")
    pairs = (
        tuple(
            sorted(
                (str(k)[:_MAX_TEXT], v[:_MAX_TEXT])
                for k, v in list(labels.items())[:_MAX_LABELS]
                if isinstance(v, str)
            )
        )
        if isinstance(labels, dict)
        else ()
    )
    ports = inner.get("ExposedPorts")
    user = inner.get("User")
    return ImageFacts(
        repository=repository,
        digest=top.digest,
        media_type=top.media_type,
        platform=platform,
        manifest_digest=manifest.digest,
        config_digest=config.digest,
        tag=tag,
        platforms=offered,
        created=_text(document.get("created")),
        user=user[:_MAX_TEXT] if isinstance(user, str) else "",
        entrypoint=_words(inner.get("Entrypoint")),
        cmd=_words(inner.get("Cmd")),
        exposed_ports=tuple(sorted(str(p)[:64] for p in ports))[:_MAX_WORDS]
        if isinstance(ports, dict)
        else (),
        labels=pairs,
    )
