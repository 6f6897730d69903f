"""PyPI resolution as pip would do it: :class:`PypiResolver` (:mod:`.resolver`) drives
resolvelib through a provider (:mod:`.provider`) over the candidates (:mod:`.candidates`) a
session fetches (:mod:`.session`), and builds the graph (:mod:`.graph`)."""

from mcpscan.resolve.pypi.resolver import PypiResolver

__all__ = ["PypiResolver"]
