"""Signatures and attestations of container images (cosign, Sigstore bundles, in-toto).

* :mod:`.material` finds what is attached to an image digest: the OCI referrers API (or its
  ``sha256-<hex>`` fallback tag) and cosign's ``sha256-<hex>.sig`` / ``.att`` tags, over any
  :class:`~.material.ImageStore` (the OCI registry client, or recorded bytes in tests).
* :mod:`.cosign` verifies cosign's simple-signing signatures (keyless, with the Rekor bundle
  annotation, or with a cosign public key the user named).
* :mod:`.statements` reads in-toto statements: the subject digest, SLSA provenance and the
  packages an SPDX or CycloneDX SBOM lists.
* :mod:`.verifier` is the provenance seam for images (:class:`~.verifier.OciProvenance`).
"""
