"""The sigstore-python path: which bundles it verifies, and its Verifier over a pinned root.

The choice of path is made from what a bundle is (:func:`bundle_shape`): certificate-backed
bundles whose log entries are ``dsse`` 0.0.1 go to sigstore-python 4.5.1, every other shape
to :mod:`mcpscan.provenance.sigstore_manual`, which requires the same evidence (inclusion
proof and signed checkpoint included), so no unsigned field can pick a weaker path.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcpscan.provenance.fulcio_identity import HasIssuer
from mcpscan.provenance.sigstore_manual import BundleVerificationError, VerifiedDsse, bundle_shape

if TYPE_CHECKING:  # pragma: no cover
    from sigstore.verify import Verifier


def sigstore_verifier(trusted_root: bytes) -> Verifier:
    """sigstore-python's Verifier over ``trusted_root`` (its public TrustedRoot API)."""
    from sigstore.models import TrustedRoot
    from sigstore.verify import Verifier

    fd, name = tempfile.mkstemp(suffix=".json", prefix="mcpscan-root-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(trusted_root)
        return Verifier(trusted_root=TrustedRoot.from_file(name))
    finally:
        Path(name).unlink(missing_ok=True)


def verify_with_sigstore(bundle: Mapping[str, Any], verifier: Verifier) -> VerifiedDsse:
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import Bundle

    try:
        loaded = Bundle.from_json(json.dumps(bundle))
        payload_type, payload = verifier.verify_dsse(loaded, HasIssuer())
    except (SigstoreError, ValueError) as exc:
        raise BundleVerificationError(f"sigstore verification failed: {exc}") from None
    # sigstore-python checked this time against the log; it is read back from the JSON.
    logged = bundle["verificationMaterial"]["tlogEntries"][0]["integratedTime"]
    return VerifiedDsse(
        payload_type=payload_type,
        payload=payload,
        integrated_time=datetime.fromtimestamp(int(logged), tz=timezone.utc),
        certificate=loaded.signing_certificate,
    )


def sigstore_python_supports(bundle: Mapping[str, Any]) -> bool:
    """sigstore-python 4.5.1 verifies certificate bundles whose log entries are dsse 0.0.1;
    everything else takes the manual path. Decided from what the bundle is, not from what it
    says it is: a missing checkpoint does not route a bundle to a path that would skip it,
    because the manual path requires it too."""
    shape = bundle_shape(bundle)
    return shape.certificate and shape.entry_kinds == (("dsse", "0.0.1"),)
