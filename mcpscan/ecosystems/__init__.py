"""The package ecosystems' grammars, each written once: npm (spec, semver, purl), PyPI
(spec, purl) and OCI image references. Pure string functions; no I/O.

Import the submodules directly (``from mcpscan.ecosystems.npm import semver``): this package
imports nothing, so that a grammar costs only what it uses.
"""
