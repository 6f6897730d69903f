"""The node (and npm) that would run an ``npx`` launch, for npm's engine-aware choice.

npm-pick-manifest prefers, among the versions a range allows, those whose ``engines.node``
accepts the running node and whose ``engines.npm`` accepts the running npm
(npm-install-checks ``checkEngine``); npm passes ``process.version`` and its own version.
So the resolution depends on the machine's node: ``--node-version`` names it, else the
``node`` on PATH is asked (``node --version``, once per binary: the answer is kept in the
cache directory), else :data:`LTS_NODE` is assumed. The npm version is read from the
``package.json`` of the ``npm`` on PATH (npm is not run: starting it costs a node start-up);
without one, ``engines.npm`` is not checked (npm-pick-manifest without an npm version).

Only absolute PATH entries are searched (a relative one would find a ``node`` planted in the
scanned directory), the program runs without ``NODE_OPTIONS`` (which could make it load a
script) and with a time limit; what it prints is used only if it is a plain version.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mcpscan.net.store import DocumentStore

# The current LTS line (node 26, LTS since October 2026) at its newest release when this
# mcpscan was released.
LTS_NODE = "26.10.0"

_VERSION = re.compile(r"^v?(\d{1,4}\.\d{1,4}\.\d{1,6})$")
_WANTED = re.compile(r"^v?(\d{1,4})(?:\.(\d{1,4}))?(?:\.(\d{1,6}))?$")
_TIMEOUT_S = 5.0
_NODE_VERSIONS = "node-versions"


@dataclass(frozen=True)
class NodeRuntime:
    """The node and npm versions npm's engine checks use, and where they came from."""

    node: str
    npm: str | None
    source: str  # "--node-version", "node on PATH (/usr/bin/node)", "the current LTS"


def node_runtime(
    wanted: str | None,
    *,
    env: dict[str, str] | None = None,
    cache_dir: Path | None = None,
) -> NodeRuntime:
    """The runtime to resolve for: ``wanted`` (``--node-version``), else the node on PATH,
    else the current LTS. Raises ValueError for a ``wanted`` that is not a version."""
    path = (env if env is not None else os.environ).get("PATH", "")
    npm = _npm_on_path(path)
    if wanted is not None:
        match = _WANTED.fullmatch(wanted.strip())
        if match is None:
            raise ValueError(f"{wanted!r} is not a node version (expected X.Y.Z, X.Y or X)")
        version = ".".join(part or "0" for part in match.groups())
        return NodeRuntime(version, npm, "--node-version")
    found = _which("node", path)
    if found is not None:
        asked = _node_version(found, cache_dir)
        if asked is not None:
            return NodeRuntime(asked, npm, f"node on PATH ({found})")
    return NodeRuntime(LTS_NODE, npm, "the current LTS")


def _which(program: str, path: str) -> Path | None:
    for entry in path.split(os.pathsep):
        if not entry or not os.path.isabs(entry):
            continue
        candidate = Path(entry) / program
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _node_version(binary: Path, cache_dir: Path | None) -> str | None:
    try:
        real = binary.resolve()
        st = real.stat()
    except OSError:
        return None
    key = f"{real}:{st.st_size}:{st.st_mtime_ns}"
    store = (
        DocumentStore(cache_dir / _NODE_VERSIONS, shape="node-version-1", max_age=None)
        if cache_dir is not None
        else None
    )
    kept = store.load(key) if store is not None else None
    if kept is not None and isinstance(kept.payload, str) and _VERSION.fullmatch(kept.payload):
        return kept.payload
    try:
        done = subprocess.run(
            [str(real), "--version"],
            capture_output=True,
            timeout=_TIMEOUT_S,
            env={"PATH": os.defpath},
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION.fullmatch(done.stdout[:64].decode("ascii", "replace").strip())
    if done.returncode != 0 or match is None:
        return None
    if store is not None:
        store.save(key, match.group(1))
    return match.group(1)


def _npm_on_path(path: str) -> str | None:
    """The version in the ``package.json`` of the npm the ``npm`` on PATH runs."""
    found = _which("npm", path)
    if found is None:
        return None
    try:
        here = found.resolve().parent
    except OSError:
        return None
    for folder in (here, *here.parents[:3]):
        try:
            doc = json.loads((folder / "package.json").read_bytes()[: 1 << 20])
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and doc.get("name") == "npm":
            version = doc.get("version")
            match = _VERSION.fullmatch(version) if isinstance(version, str) else None
            return match.group(1) if match else None
    return None
