"""OCI registries: the distribution API client (:mod:`.client`), its authentication
(:mod:`.auth`), and resolving an image reference to the image a pull would fetch
(:mod:`.image`)."""

from mcpscan.registry.oci.interface import (
    Descriptor,
    ImageNotFound,
    InvalidContent,
    Manifest,
    OciError,
    OciRegistry,
)

__all__ = ["Descriptor", "ImageNotFound", "InvalidContent", "Manifest", "OciError", "OciRegistry"]
