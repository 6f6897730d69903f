"""Moved to :mod:`mcpscan.redaction` (the one place that recognises and redacts credentials).

Kept only so that branches written against the old name still import; new code imports
:mod:`mcpscan.redaction`.
"""

from mcpscan.redaction import (
    Redactor,
    SecretMatch,
    classify,
    is_placeholder,
    is_secret_name,
    marker,
    shannon_entropy,
    value_kind,
)

__all__ = [
    "Redactor",
    "SecretMatch",
    "classify",
    "is_placeholder",
    "is_secret_name",
    "marker",
    "shannon_entropy",
    "value_kind",
]
