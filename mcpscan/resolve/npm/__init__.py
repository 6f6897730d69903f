"""npm resolution as ``npm install`` would do it: :class:`NpmResolver` (:mod:`.resolver`)
runs a simulated install (:mod:`.build`) that picks versions (:mod:`.pick`), places them in
a tree (:mod:`.tree`, :mod:`.placement`) for a target machine (:mod:`.target`), and turns the
tree into a graph (:mod:`.graph`)."""

from mcpscan.resolve.npm.resolver import NpmResolver
from mcpscan.resolve.npm.target import npm_arch

__all__ = ["NpmResolver", "npm_arch"]
