"""Writing files whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory, so a
    reader (or a failed run) never sees half a file. The file gets the mode any new file
    would get (mkstemp's 0600 is for secrets, and these are reports, locks, attestations).
    Raises OSError; the temporary file is removed on failure."""
    fd, tmp = tempfile.mkstemp(prefix=".mcpscan-", dir=str(path.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise
