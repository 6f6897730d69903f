"""npm manifest confusion: the ``package.json`` inside a tarball against the registry's word.

The npm registry stores the manifest a publisher sends beside the tarball and never checks
it against the ``package.json`` inside, which is what npm actually installs from. A
publisher can so show a registry document without install scripts while the tarball runs a
``preinstall``. :func:`compare` lists every difference in what decides an install: name,
version, install-time scripts (and the ``node-gyp rebuild`` npm runs for a ``binding.gyp``),
the other scripts, the dependency maps and ``bin``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mcpscan.inspect.archive import ArchiveListing

INSTALL_SCRIPTS = ("preinstall", "install", "postinstall")
DEPENDENCY_FIELDS = ("dependencies", "optionalDependencies", "peerDependencies")
_SHOWN = 80  # characters of a script or value shown in a reason


@dataclass(frozen=True)
class Mismatch:
    field: str  # "name", "version", "scripts.preinstall", "dependencies", "bin", ...
    detail: str  # what differs, registry versus tarball
    hidden_install: bool = False  # code that runs at install and the registry does not show


def is_manifest(name: str) -> bool:
    """The tarball's root ``package.json``: npm strips the first path component
    (``package/`` by convention, but any name is accepted)."""
    parts = name.replace("\\", "/").lstrip("./").split("/")
    return len(parts) == 2 and parts[1] == "package.json"


def is_root_file(name: str, filename: str) -> bool:
    parts = name.replace("\\", "/").lstrip("./").split("/")
    return len(parts) == 2 and parts[1] == filename


def wanted(name: str) -> bool:
    """The members :func:`compare` needs from the archive."""
    return is_manifest(name) or is_root_file(name, "binding.gyp")


def tarball_manifest(listing: ArchiveListing) -> Mapping[str, Any] | str:
    """The installed ``package.json`` (the last copy, as an unpacker leaves it), or why
    there is none to compare."""
    found = [data for name, data in listing.members.items() if is_manifest(name)]
    if not found:
        return "the tarball has no package.json at its root"
    try:
        doc = json.loads(found[-1])
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return "the tarball's package.json is not valid JSON"
    if not isinstance(doc, dict):
        return "the tarball's package.json is not a JSON object"
    return doc


def has_binding_gyp(listing: ArchiveListing) -> bool:
    return any(is_root_file(name, "binding.gyp") for name in listing.members)


def compare(
    registry: Mapping[str, Any], tarball: Mapping[str, Any], *, binding_gyp: bool = False
) -> list[Mismatch]:
    """Every install-relevant difference between the registry's version document and the
    tarball's ``package.json``."""
    found: list[Mismatch] = []
    for key in ("name", "version"):
        if registry.get(key) != tarball.get(key):
            found.append(
                Mismatch(
                    key,
                    f"the registry says {_show(registry.get(key))}, the "
                    f"tarball says {_show(tarball.get(key))}",
                )
            )
    reg_scripts, tar_scripts = _strings(registry.get("scripts")), _strings(tarball.get("scripts"))
    for script in INSTALL_SCRIPTS:
        theirs, ours = reg_scripts.get(script), tar_scripts.get(script)
        if ours and ours != theirs:
            shown = "does not list it" if not theirs else f"lists {_show(theirs)}"
            found.append(
                Mismatch(
                    f"scripts.{script}",
                    f"the tarball runs {_show(ours)} at install; the registry document {shown}",
                    hidden_install=True,
                )
            )
        elif theirs and not ours:
            found.append(
                Mismatch(
                    f"scripts.{script}",
                    f"the registry lists {_show(theirs)}, the tarball has no such script",
                )
            )
    if binding_gyp and not (tar_scripts.get("install") or tar_scripts.get("preinstall")):
        registry_builds = (
            registry.get("gypfile") is True
            or registry.get("hasInstallScript") is True
            or bool(reg_scripts.get("install"))
        )
        if not registry_builds:
            found.append(
                Mismatch(
                    "binding.gyp",
                    "the tarball has a binding.gyp, so npm runs "
                    "`node-gyp rebuild` at install; the registry document shows "
                    "no install step",
                    hidden_install=True,
                )
            )
    others = sorted((set(reg_scripts) | set(tar_scripts)) - set(INSTALL_SCRIPTS))
    changed = [s for s in others if reg_scripts.get(s) != tar_scripts.get(s)]
    if changed:
        found.append(Mismatch("scripts", "scripts differ: " + ", ".join(changed)))
    for key in DEPENDENCY_FIELDS:
        diff = _map_diff(_strings(registry.get(key)), _strings(tarball.get(key)))
        if diff:
            found.append(Mismatch(key, diff))
    reg_bin = _bin(registry.get("bin"), registry.get("name"))
    tar_bin = _bin(tarball.get("bin"), tarball.get("name"))
    diff = _map_diff(reg_bin, tar_bin)
    if diff:
        found.append(Mismatch("bin", diff))
    return found


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


def _bin(value: Any, name: Any) -> dict[str, str]:
    """``bin`` as npm reads it: a string is one command named after the package."""
    if isinstance(value, str):
        command = str(name or "").rsplit("/", 1)[-1]
        return {command: value.removeprefix("./")}
    return {k: v.removeprefix("./") for k, v in _strings(value).items()}


def _map_diff(registry: Mapping[str, str], tarball: Mapping[str, str]) -> str:
    added = sorted(set(tarball) - set(registry))
    removed = sorted(set(registry) - set(tarball))
    changed = sorted(k for k in set(registry) & set(tarball) if registry[k] != tarball[k])
    parts = []
    if added:
        parts.append(
            "only in the tarball: " + ", ".join(f"{k} {_show(tarball[k])}" for k in added[:5])
        )
    if removed:
        parts.append("only in the registry document: " + ", ".join(removed[:5]))
    if changed:
        parts.append(
            "different: "
            + ", ".join(f"{k} ({_show(registry[k])} vs {_show(tarball[k])})" for k in changed[:5])
        )
    return "; ".join(parts)


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    text = value if isinstance(value, str) else json.dumps(value)
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "…")
