"""Where the shipped rule catalogue is (a leaf: the catalogue and the pattern loader both
need it, and neither may import the other)."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable


def default_rules_dir() -> Traversable:
    """The shipped catalogue: inside an installed wheel, else the repository's ``rules/``."""
    packaged = resources.files("mcpscan") / "_rules"
    if packaged.is_dir():
        return packaged
    import mcpscan

    return Path(mcpscan.__file__).resolve().parent.parent / "rules"
