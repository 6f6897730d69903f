"""Record the PyPI fixtures under tests/fixtures/pypi from a real index.

Run from the repository root (network needed):

    python scripts/record_pypi_fixtures.py [--index-url https://pypi.org/simple] [ROOT]

It asks pip (``install --dry-run --ignore-installed --report``, wheels only so nothing is
built) what it would install for ROOT (default ``mcp-server-time``) on this interpreter, then
saves, for every project in that tree, trimmed real responses:

- ``simple/<name>.json``   the PEP 691 page, only the chosen version, any newer ones and the
                           two before it, file URLs rewritten to ``../../files/<filename>``;
- ``simple/<name>.html``   the PEP 503 page, same trimming (for a few projects);
- ``pypi/<name>.json``     the JSON API document, releases trimmed the same way (plus the
                           first release, which dates the project) and the description
                           shortened (an ``mcp-name:`` line is kept);
- ``metadata/<file>.metadata`` each chosen wheel's real ``.dist-info/METADATA``, read with
                           mcpscan's own range-request reader;
- ``files/<wheel>``        a few small real wheels, for the range-reading tests;
- ``expected.json``        pip's answer: the (name, version, filename) set and its
                           marker environment.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mcpscan.net.http import HttpClient, HttpConfig  # noqa: E402
from mcpscan.registry.pypi import SIMPLE_ACCEPT, PypiRegistry, derive_json_url  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "pypi"
KEEP_OLDER = 2
DESCRIPTION_CHARS = 1500
HTML_PROJECTS = ("mcp-server-time", "tzlocal")
WHEEL_PROJECTS = ("mcp-server-time", "tzlocal")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default="mcp-server-time")
    parser.add_argument("--index-url", default="https://pypi.org/simple")
    args = parser.parse_args()
    index_url = args.index_url.rstrip("/")
    json_url = derive_json_url(index_url)
    report = _pip_report(args.root, index_url)
    chosen = {
        _canonical(item["metadata"]["name"]): (
            item["metadata"]["version"],
            item["download_info"]["url"].rsplit("/", 1)[-1],
        )
        for item in report["install"]
    }
    client = HttpClient(HttpConfig(cache_dir=None))
    registry = PypiRegistry(client, index_url, json_url)
    for sub in ("simple", "pypi", "metadata", "files"):
        (OUT / sub).mkdir(parents=True, exist_ok=True)
    for name, (version, filename) in sorted(chosen.items()):
        page = client.get(f"{index_url}/{name}/", headers={"Accept": SIMPLE_ACCEPT})
        doc = json.loads(page.content)
        kept = _kept_versions(doc.get("versions", []), version)
        doc["versions"] = [v for v in doc.get("versions", []) if v in kept]
        doc["files"] = [_relative(f) for f in doc["files"] if _file_version(f, name) in kept]
        _write_json(OUT / "simple" / f"{name}.json", doc)
        if name in HTML_PROJECTS:
            html = client.get(f"{index_url}/{name}/", headers={"Accept": "text/html"}).content
            (OUT / "simple" / f"{name}.html").write_text(
                _trim_html(html.decode(), {f["filename"] for f in doc["files"]}), "utf-8"
            )
        if json_url:
            project = client.get_json(f"{json_url}/{name}/json")
            _write_json(OUT / "pypi" / f"{name}.json", _trim_document(project, kept))
        for file in registry.index(name).files:
            if file.filename == filename or (
                file.kind == "wheel"
                and str(file.version) != version
                and file.version_text in kept
                and _newer(file.version_text, version)
            ):
                contents = registry.wheel_contents(file)
                (OUT / "metadata" / f"{file.filename}.metadata").write_bytes(contents.metadata)
                if name in WHEEL_PROJECTS and file.filename == filename:
                    wheel = client.get(file.url, cache=False).content
                    (OUT / "files" / file.filename).write_bytes(wheel)
    _write_json(
        OUT / "expected.json",
        {
            "root": args.root,
            "environment": report["environment"],
            "install": sorted([n, v, f] for n, (v, f) in chosen.items()),
        },
    )
    print(f"recorded {len(chosen)} projects into {OUT}")
    return 0


def _pip_report(root: str, index_url: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--isolated",
                "--dry-run",
                "--ignore-installed",
                "--only-binary=:all:",
                "--quiet",
                "--index-url",
                index_url,
                "--report",
                str(report),
                root,
            ],
            check=True,
            # Only the index given here: no pip.conf, no PIP_* (find-links, extra indexes).
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith("PIP_")},
                "PIP_CONFIG_FILE": os.devnull,
            },
        )
        data: dict[str, Any] = json.loads(report.read_text())
        return data


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _kept_versions(versions: list[str], chosen: str) -> set[str]:
    from packaging.version import InvalidVersion, Version

    parsed = []
    for text in versions:
        try:
            parsed.append((Version(text), text))
        except InvalidVersion:
            continue
    parsed.sort()
    target = Version(chosen)
    older = [t for v, t in parsed if v < target][-KEEP_OLDER:]
    return {t for v, t in parsed if v >= target} | set(older)


def _newer(text: str, chosen: str) -> bool:
    from packaging.version import Version

    return Version(text) > Version(chosen)


def _file_version(entry: dict[str, Any], project: str) -> str | None:
    filename = entry["filename"]
    if filename.endswith(".whl"):
        return str(filename.split("-")[1])
    for suffix in (".tar.gz", ".zip", ".tar.bz2"):
        if filename.endswith(suffix):
            return str(filename[: -len(suffix)].rpartition("-")[2])
    return None


def _relative(entry: dict[str, Any]) -> dict[str, Any]:
    return {**entry, "url": f"../../files/{entry['filename']}"}


def _trim_html(html: str, keep: set[str]) -> str:
    lines = []
    for line in html.splitlines():
        match = re.search(r'<a href="([^"#]+)(#[^"]*)?"', line)
        if match is None:
            lines.append(line)
            continue
        filename = match.group(1).rsplit("/", 1)[-1]
        if filename in keep:
            lines.append(line.replace(match.group(1), f"../../files/{filename}"))
    return "\n".join(lines) + "\n"


def _trim_document(doc: dict[str, Any], kept: set[str]) -> dict[str, Any]:
    info = dict(doc["info"])
    description = info.get("description") or ""
    if len(description) > DESCRIPTION_CHARS:
        marker = re.search(r".*mcp-name:.*", description)
        short = description[:DESCRIPTION_CHARS]
        if marker and marker.group(0) not in short:
            short += "\n" + marker.group(0)
        info["description"] = short + "\n[trimmed by record_pypi_fixtures.py]"
    # The first release stays too: it dates the project (package_created).
    dated = [
        (f.get("upload_time_iso_8601") or "", v)
        for v, files in doc.get("releases", {}).items()
        for f in files
    ]
    first = {min(dated)[1]} if dated else set()
    releases = {v: files for v, files in doc.get("releases", {}).items() if v in kept | first}
    return {**doc, "info": info, "releases": releases}


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
