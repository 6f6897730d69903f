"""npm purls: ``pkg:npm/%40scope/name@1.2.3`` (the scope is the purl namespace)."""

from __future__ import annotations

from functools import lru_cache

from mcpscan.ecosystems.purl import build


# The resolver asks for the purl of every node and edge it emits.
@lru_cache(maxsize=65536)
def npm_purl(name: str, version: str | None = None) -> str:
    """The purl of npm package ``name`` (``@scope/name`` or ``name``) at ``version``."""
    scope, slash, bare = name.rpartition("/")
    return build("npm", bare if slash else name, namespace=scope or None, version=version)


def parse_npm_purl(purl: str) -> tuple[str, str | None]:
    """``pkg:npm/%40scope/name@1.2.3`` -> (``@scope/name``, ``1.2.3``); ValueError when
    ``purl`` is not an npm purl."""
    from packageurl import PackageURL

    parsed = PackageURL.from_string(purl)
    if str(parsed.type).lower() != "npm":
        raise ValueError(f"not an npm purl: {purl!r}")
    namespace = str(parsed.namespace) if parsed.namespace else ""
    if namespace and not namespace.startswith("@"):
        namespace = "@" + namespace
    name = f"{namespace}/{parsed.name}" if namespace else str(parsed.name)
    return name, str(parsed.version) if parsed.version else None
