"""Re-record the npm fixtures in tests/fixtures/npm/ from the real registry.

For each root below it resolves the tree with mcpscan, runs the real npm
(``npm install --package-lock-only --ignore-scripts``) in a scratch directory for the
expected (name, version) set, and stores, per package, the registry's packument reduced to:

* the versions either tool installs, the dist-tag targets and a handful of the newest
  versions (so the latest-preference and range logic still has choices to make);
* the fields resolution and the reputation facts read (no READMEs).

Dropping other versions cannot change what is picked: a pick is the highest satisfying
version or the ``latest`` tag, and both are kept. Run from the repository root:

    python scripts/record_npm_fixtures.py [--registry URL]

``--semver`` instead rebuilds tests/fixtures/npm/semver_cases.json: node-semver's own answers
(the copy bundled with the installed npm) for a table of ranges x versions, which
tests/resolve/test_semver.py holds mcpscan's implementation to.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcpscan.models import PackageRef, VersionKind  # noqa: E402
from mcpscan.net.http import HttpClient, HttpConfig  # noqa: E402
from mcpscan.registry.npm import NpmRegistry  # noqa: E402
from mcpscan.resolve.npm import NpmResolver  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "npm"
ROOTS = {"server-memory": "@modelcontextprotocol/server-memory", "mcp-remote": "mcp-remote@0.1.16"}
EXTRA_VERSIONS = 4  # newest versions kept beyond the ones installed
VERSION_FIELDS = (
    "name",
    "version",
    "dependencies",
    "optionalDependencies",
    "peerDependencies",
    "peerDependenciesMeta",
    "bundleDependencies",
    "bundledDependencies",
    "os",
    "cpu",
    "libc",
    "engines",
    "deprecated",
    "dist",
    "scripts",
    "hasInstallScript",
    "gypfile",
    "license",
    "repository",
    "homepage",
    "mcpName",
    "maintainers",
    "_npmUser",
)
DIST_FIELDS = ("integrity", "shasum", "tarball", "unpackedSize", "fileCount")


def npm_lock_set(spec: str, registry: str) -> set[tuple[str, str]]:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed to record the expected sets")
    with tempfile.TemporaryDirectory() as scratch:
        Path(scratch, "package.json").write_text("{}")
        subprocess.run(
            [
                npm,
                "install",
                "--package-lock-only",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                f"--registry={registry}/",
                spec,
            ],
            cwd=scratch,
            check=True,
            capture_output=True,
            timeout=600,
        )
        lock = json.loads(Path(scratch, "package-lock.json").read_text())
    found = set()
    for key, entry in lock["packages"].items():
        if key and not entry.get("inBundle") and not entry.get("link"):
            found.add((entry.get("name") or key.rsplit("node_modules/", 1)[1], entry["version"]))
    return found


def split(spec: str) -> tuple[str, str | None]:
    at = spec.find("@", 1)
    return (spec, None) if at < 0 else (spec[:at], spec[at + 1 :])


def reduce(doc: dict[str, Any], keep: set[str]) -> dict[str, Any]:
    versions = {}
    for version, manifest in doc["versions"].items():
        if version in keep:
            slim = {k: manifest[k] for k in VERSION_FIELDS if k in manifest}
            slim["dist"] = {k: v for k, v in manifest.get("dist", {}).items() if k in DIST_FIELDS}
            versions[version] = slim
    time = {
        k: v
        for k, v in doc.get("time", {}).items()
        if k in versions or k in ("created", "modified")
    }
    out = {
        "name": doc["name"],
        "dist-tags": doc.get("dist-tags", {}),
        "versions": versions,
        "time": time,
    }
    for key in ("maintainers", "repository", "license"):
        if key in doc:
            out[key] = doc[key]
    return out


SEMVER_RANGES = [
    "",
    "*",
    "x",
    "X",
    "1",
    "1.x",
    "1.2",
    "1.2.x",
    "1.2.*",
    "^1.2.3",
    "^0.2.3",
    "^0.0.3",
    "^1.2.3-beta.2",
    "^0.0.3-beta",
    "~1.2.3",
    "~1.2",
    "~1",
    "~>1.2.3",
    "~ 1.2.3",
    "^ 1.2.3",
    "~1.2.3-beta.2",
    ">=1.2.3",
    "> 1.2.3",
    ">1.2",
    ">1",
    "<1.2",
    "<=1.2",
    "<=1.2.x",
    "<1",
    "<=1",
    "=1.2.3",
    "v1.2.3",
    "=v1.2.3",
    "1.2.3 - 2.3.4",
    "1.2 - 2.3.4",
    "1.2.3 - 2.3",
    "1.2.3 - 2",
    "1.2.3-beta - 2.3.4-rc.1",
    ">=1.2.3 <2.0.0 || >=3",
    "1.x || >=2.5.0 || 5.0.0 - 7.2.3",
    ">=0.0.0",
    ">=0.0.0-0",
    "^1.2.3+build",
    "1.2.3+build",
    ">1.2.3-alpha.3",
    "<1.2.3-alpha.3",
    "1.2.3-alpha.3",
    ">= 1.2.3 < 2",
    "~0.0.1",
    "^0.0",
    "^0.x",
    "^0",
    "x.1",
    "1.x.2",
    ">x",
    "<x",
    ">=x",
    "foo",
    "1.2.3 foo",
    "latest",
    "^1.2.3 || foo",
    "||",
    "1 ||",
    "<0.0.0-0",
    "<0.0.0-0 || ^1",
    ">=01.2.3",
    "1.2.3beta",
    "~v1.2",
    "^v1.2.3",
    " ^1.2.3 ",
    ">=1.2.3-0",
    "^2.0.0-rc.1",
    "~2.0.0-rc.1",
    "2.0.0-rc.1 - 2.0.0",
    "^1.0.0-0",
    ">= 2.1.2 < 3.0.0",
    ">=1 <=2",
    "1.2.3 - *",
    "* - 2",
    ">=1.2.7 <1.3.0",
    "1.2.7 || >=1.2.9 <2.0.0",
    "~1.2.1 >=1.2.3",
    "^1.x",
    "^1.2.x",
    "~1.x",
    "<=1.2.3-beta",
    "*.1.2",
    "1.2.3-beta+sha",
    "=1.2",
    "=*",
    ">=*",
    "<*",
    "1.2.3 - 2.3.4 || 5",
    "^0.0.0",
    "^0.0.0-0",
    ">=1.0.0-beta.2 <1.0.0-beta.10",
    "~1.0.0-0 || 2.x",
]
SEMVER_VERSIONS = [
    "0.0.0",
    "0.0.1",
    "0.0.3",
    "0.0.4",
    "0.0.3-beta",
    "0.0.3-beta.4",
    "0.2.3",
    "0.2.9",
    "0.3.0",
    "1.0.0",
    "1.0.0-0",
    "1.0.0-beta.2",
    "1.0.0-beta.5",
    "1.0.0-beta.10",
    "1.2.0",
    "1.2.2",
    "1.2.3",
    "1.2.3-alpha.3",
    "1.2.3-alpha.7",
    "1.2.3-beta.2",
    "1.2.3-beta.4",
    "1.2.4-beta",
    "1.2.4",
    "1.2.9",
    "1.3.0",
    "1.3.0-0",
    "1.9.9",
    "2.0.0",
    "2.0.0-rc.1",
    "2.0.0-rc.2",
    "2.0.0-rc.10",
    "2.3.4",
    "2.3.5",
    "2.3.4-pre",
    "2.4.0",
    "3.0.0",
    "5.0.0",
    "7.2.3",
    "7.2.4",
    "v1.2.3",
    "=1.2.3",
    " 1.2.3 ",
    "1.2.3+build.5",
    "01.2.3",
    "1.2",
    "1.2.3beta",
    "1.2.3-01",
    "not",
    "99999999999999999999.0.0",
]
SEMVER_JS = """
const semver = require(process.argv[1])
const [ranges, versions] = JSON.parse(process.argv[2])
const modes = {loose: {loose: true}, strict: {loose: false},
               include_prerelease: {loose: true, includePrerelease: true}}
const satisfies = {}
for (const [mode, opts] of Object.entries(modes)) {
  satisfies[mode] = {}
  for (const r of ranges) {
    satisfies[mode][r] = versions.filter(v => semver.satisfies(v, r, opts))
  }
}
const valid = {}, clean = {}, validRange = {}
for (const v of versions) {
  valid[v] = [semver.valid(v, true), semver.valid(v, false)]
  clean[v] = semver.clean(v, true)
}
for (const r of ranges) validRange[r] = [semver.validRange(r, true) !== null,
                                         semver.validRange(r, false) !== null]
const sorted = versions.filter(v => semver.valid(v, true))
  .sort((a, b) => semver.compare(a, b, true))
console.log(JSON.stringify({semver: semver.SEMVER_SPEC_VERSION, versions, satisfies, valid,
                            clean, valid_range: validRange, sorted}))
"""


def record_semver() -> None:
    npm = shutil.which("npm")
    node = shutil.which("node")
    if npm is None or node is None:
        raise SystemExit("node and npm are needed to record node-semver's answers")
    semver_dir = Path(npm).resolve().parent.parent / "node_modules" / "semver"
    result = subprocess.run(
        [node, "-e", SEMVER_JS, str(semver_dir), json.dumps([SEMVER_RANGES, SEMVER_VERSIONS])],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    data = json.loads(result.stdout)
    version = json.loads((semver_dir / "package.json").read_text())["version"]
    data["source"] = f"node-semver {version} (bundled with npm), via scripts/record_npm_fixtures.py"
    (OUT / "semver_cases.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"recorded node-semver {version} answers")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--registry", default="https://registry.npmjs.org")
    parser.add_argument("--semver", action="store_true", help="only re-record semver_cases.json")
    args = parser.parse_args()
    if args.semver:
        record_semver()
        return
    registry_dir = OUT / "registry"
    shutil.rmtree(registry_dir, ignore_errors=True)
    registry_dir.mkdir(parents=True)
    expected: dict[str, list[str]] = {}
    keep: dict[str, set[str]] = {}
    with HttpClient(HttpConfig(cache_dir=None)) as client:
        registry = NpmRegistry(client, args.registry)
        resolver = NpmResolver(registry, platform=None)
        for label, spec in ROOTS.items():
            name, version = split(spec)
            kind = VersionKind.EXACT if version else VersionKind.UNSPECIFIED
            graph = resolver.resolve([PackageRef("npm", name, version, kind, purl="")])
            ours = {(n.name, n.version) for n in graph.nodes}
            theirs = npm_lock_set(spec, args.registry)
            if ours != theirs:
                print(
                    f"warning: {spec}: mcpscan and npm differ: {sorted(ours ^ theirs)}",
                    file=sys.stderr,
                )
            expected[label] = sorted(f"{n}@{v}" for n, v in theirs)
            for pkg_name, pkg_version in ours | theirs:
                keep.setdefault(pkg_name, set()).add(pkg_version)
        for name, versions in sorted(keep.items()):
            raw = client.get(registry.url_for(name), headers={"Accept": "application/json"})
            doc = json.loads(raw.content)
            newest = sorted(doc["versions"], key=lambda v: doc.get("time", {}).get(v, ""))
            wanted = versions | set(doc.get("dist-tags", {}).values())
            wanted |= set(newest[-EXTRA_VERSIONS:])
            path = registry_dir / name.replace("/", "%2F")
            path.write_text(json.dumps(reduce(doc, wanted), indent=1, sort_keys=True) + "\n")
    (OUT / "expected.json").write_text(
        json.dumps({"roots": ROOTS, "npm_sets": expected}, indent=1, sort_keys=True) + "\n"
    )
    total = sum(p.stat().st_size for p in registry_dir.iterdir())
    print(f"recorded {len(keep)} packuments, {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
