"""Time budgets for the tests that prove a hostile input cannot hang a scan.

The budgets are the ones a user would expect on an idle machine. ``MCPSCAN_TEST_SLOWDOWN``
(a factor, default 1) stretches the upper bounds when the suite shares a loaded machine, so
that a slow box is not mistaken for a hang; CI runs with the default.
"""

from __future__ import annotations

import os


def budget(seconds: float) -> float:
    """``seconds`` scaled by ``MCPSCAN_TEST_SLOWDOWN``."""
    try:
        factor = float(os.environ.get("MCPSCAN_TEST_SLOWDOWN", "1"))
    except ValueError:
        factor = 1.0
    return seconds * max(factor, 1.0)
