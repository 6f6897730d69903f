"""Record the real artifacts (npm tarballs, wheels) of launched root packages as fixtures.

The inspection tests read these real files through the loopback registry, so what the
scans find in them is what mcpscan finds in the packages people run. Each artifact is
downloaded from the registry (or mirror) named below and kept only if its digest equals the
one the recorded registry document already holds: the fixtures stay consistent with the
recorded packuments and index pages. Run from the repository root:

    python scripts/record_artifact_fixtures.py [--npm URL] [--pypi URL] NAME@VERSION ...

``npm:NAME@VERSION`` records an npm tarball into tests/fixtures/npm/tarballs/ (the packument
must be recorded in tests/fixtures/npm/registry/); ``pypi:FILENAME`` a wheel or sdist named
in a recorded tests/fixtures/pypi/simple page into tests/fixtures/pypi/files/.

``honest:npm:NAME@VERSION`` and ``honest:pypi:NAME==VERSION`` record the artifact of an
honest server of the benchmark set into tests/fixtures/inspect/honest/, with the registry's
digest at recording time in ``index.json``: the offline false-positive subset.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NPM = ROOT / "tests" / "fixtures" / "npm"
PYPI = ROOT / "tests" / "fixtures" / "pypi"
HONEST = ROOT / "tests" / "fixtures" / "inspect" / "honest"
LIMIT = 20 * 1024 * 1024  # fixtures stay small


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as resp:  # noqa: S310 - https URLs only
        body: bytes = resp.read(LIMIT + 1)
    if len(body) > LIMIT:
        raise SystemExit(f"{url} is over {LIMIT} bytes: not a fixture")
    return body


def record_npm(spec: str, registry: str) -> Path:
    name, _, version = spec.rpartition("@")
    doc = json.loads((NPM / "registry" / name.replace("/", "%2F")).read_text())
    dist = doc["versions"][version]["dist"]
    bare = name.rsplit("/", 1)[-1]
    url = f"{registry.rstrip('/')}/{name}/-/{bare}-{version}.tgz"
    body = fetch(url)
    want = base64.b64decode(dist["integrity"].removeprefix("sha512-"))
    if hashlib.sha512(body).digest() != want:
        raise SystemExit(f"{url}: sha512 differs from the recorded packument's dist.integrity")
    out = NPM / "tarballs" / f"{name.replace('/', '%2F')}-{version}.tgz"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(body)
    return out


def record_pypi(filename: str, index: str) -> Path:
    for page in (PYPI / "simple").glob("*.json"):
        for entry in json.loads(page.read_text())["files"]:
            if entry["filename"] != filename:
                continue
            url = entry["url"]
            if not url.startswith("https://"):
                url = f"{index.rstrip('/')}/{page.stem}/{url}"
            body = fetch(url)
            if hashlib.sha256(body).hexdigest() != entry["hashes"]["sha256"]:
                raise SystemExit(f"{filename}: sha256 differs from the recorded index page")
            out = PYPI / "files" / filename
            out.write_bytes(body)
            return out
    raise SystemExit(f"{filename} is on no recorded index page")


def record_honest(spec: str, npm: str, pypi: str) -> Path:
    kind, _, rest = spec.partition(":")
    if kind == "npm":
        name, _, version = rest.rpartition("@")
        doc = json.loads(fetch(f"{npm.rstrip('/')}/{name.replace('/', '%2F')}/{version}"))
        url = doc["dist"]["tarball"]
        digest = (
            "sha512",
            base64.b64decode(doc["dist"]["integrity"].removeprefix("sha512-")).hex(),
        )
        purl_name = name.replace("@", "%40")
        purl = f"pkg:npm/{purl_name}@{version}"
    else:
        name, _, version = rest.partition("==")
        # The mirror serves the project document, not the per-version one.
        where = f"{pypi.rstrip('/').removesuffix('/simple')}/pypi/{name}/json"
        doc = json.loads(fetch(where))
        files = doc["releases"][version]
        [entry] = [u for u in files if u["packagetype"] == "bdist_wheel"][:1] or [
            u for u in files if u["packagetype"] == "sdist"
        ][:1]
        url = urllib.parse.urljoin(where, entry["url"])  # a mirror's URLs may be relative
        digest = ("sha256", entry["digests"]["sha256"])
        purl = f"pkg:pypi/{name.lower()}@{version}"
    body = fetch(url)
    if hashlib.new(digest[0], body).hexdigest() != digest[1]:
        raise SystemExit(f"{url}: digest differs from the registry's")
    filename = url.rsplit("/", 1)[-1]
    HONEST.mkdir(parents=True, exist_ok=True)
    (HONEST / filename).write_bytes(body)
    index_path = HONEST / "index.json"
    index = json.loads(index_path.read_text()) if index_path.exists() else {}
    index[filename] = {"purl": purl, "label": f"{name}@{version}", "url": url, digest[0]: digest[1]}
    index_path.write_text(json.dumps(dict(sorted(index.items())), indent=2) + "\n")
    return HONEST / filename


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--npm", default="https://registry.npmjs.org")
    parser.add_argument("--pypi", default="https://pypi.org/simple")
    parser.add_argument("specs", nargs="+")
    args = parser.parse_args()
    for spec in args.specs:
        kind, _, rest = spec.partition(":")
        if kind == "honest":
            out = record_honest(rest, args.npm, args.pypi)
        elif kind == "npm":
            out = record_npm(rest, args.npm)
        else:
            out = record_pypi(rest, args.pypi)
        print(f"{spec} -> {out.relative_to(ROOT)} ({out.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
