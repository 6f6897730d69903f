"""The Sigstore trusted root a verifier checks against, and what each verification path
builds from it (sigstore-python's :class:`Verifier`, the manual path's
:class:`~mcpscan.provenance.sigstore_manual.TrustMaterial`), each built once."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from mcpscan.provenance.sigstore_manual import TrustMaterial
from mcpscan.provenance.sigstore_python import sigstore_verifier
from mcpscan.provenance.trust import TRUSTED_ROOT_TARGET, Anchor, TrustStore, user_anchor

if TYPE_CHECKING:  # pragma: no cover
    from sigstore.verify import Verifier


class SigstoreRoot:
    """The trusted root the user named (``path``), else the one of ``trust`` (refreshed
    through TUF when it may, else pinned)."""

    def __init__(self, trust: TrustStore, path: Path | None = None) -> None:
        self.trust = trust
        self.path = path
        self._lock = threading.Lock()
        self._material: TrustMaterial | None = None
        self._verifier: Verifier | None = None

    def anchor(self) -> Anchor:
        """Raises TrustAnchorError when the named file cannot be read."""
        if self.path is not None:
            return user_anchor(self.path, "Sigstore trusted root")
        return self.trust.anchor(TRUSTED_ROOT_TARGET)

    def material(self) -> TrustMaterial:
        with self._lock:
            if self._material is None:
                self._material = TrustMaterial.from_json(self.anchor().content)
            return self._material

    def verifier(self) -> Verifier:
        with self._lock:
            if self._verifier is None:
                self._verifier = sigstore_verifier(self.anchor().content)
            return self._verifier
