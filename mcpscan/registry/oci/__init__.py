"""OCI registries: the distribution API client (:mod:`.client`), its authentication
(:mod:`.auth`), and resolving an image reference to the image a pull would fetch
(:mod:`.image`). What they share (descriptors, manifests, errors) is in :mod:`.interface`."""
