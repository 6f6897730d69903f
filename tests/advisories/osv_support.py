"""The real OSV records of tests/fixtures/osv, packed into all.zip exports or served by an
OSV-API-shaped local server.

The fake server decides which records apply with its own small evaluator (PEP 440 versions
and introduced/fixed events only, which is all these records use), so the API tests do not
grade mcpscan's matcher with itself.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.support.registry_server import RegistryServer, Route

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "osv"


def records() -> dict[str, dict[str, Any]]:
    return {
        p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(FIXTURES.glob("*.json"))
    }


def ecosystems_of(record: dict[str, Any]) -> set[str]:
    return {a["package"]["ecosystem"] for a in record["affected"]}


def build_zip(
    path: Path, recs: Iterable[dict[str, Any]], extra: dict[str, bytes] | None = None
) -> Path:
    """An OSV export: one ``<ID>.json`` per record at the archive's root."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for rec in recs:
            zf.writestr(f"{rec['id']}.json", json.dumps(rec, indent=2))
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def build_exports(root: Path) -> list[Path]:
    """``root/npm/all.zip`` and ``root/PyPI/all.zip`` from the fixture records."""
    recs = list(records().values())
    return [
        build_zip(root / eco / "all.zip", [r for r in recs if eco in ecosystems_of(r)])
        for eco in ("npm", "PyPI")
    ]


def _norm(eco: str, name: str) -> str:
    return str(canonicalize_name(name)) if eco == "PyPI" else name


def _affected(record: dict[str, Any], eco: str, name: str, version: str | None) -> bool:
    for entry in record["affected"]:
        pkg = entry["package"]
        if pkg["ecosystem"] != eco or _norm(eco, pkg["name"]) != _norm(eco, name):
            continue
        if version is None:
            return True
        v = Version(version)
        for rng in entry.get("ranges", []):
            lo = hi = None
            for ev in rng["events"]:
                if "introduced" in ev:
                    lo = Version(ev["introduced"])
                if "fixed" in ev:
                    hi = Version(ev["fixed"])
            if (lo is None or v >= lo) and (hi is None or v < hi):
                return True
    return False


def serve_osv(server: RegistryServer, recs: dict[str, dict[str, Any]] | None = None) -> None:
    """``POST /v1/querybatch`` and ``GET /v1/vulns/{id}`` over ``recs``."""
    recs = records() if recs is None else recs

    def querybatch(body: bytes) -> bytes:
        results = []
        for q in json.loads(body)["queries"]:
            pkg = q["package"]
            vulns = [
                {"id": r["id"], "modified": r["modified"]}
                for r in recs.values()
                if _affected(r, pkg["ecosystem"], pkg["name"], q.get("version"))
            ]
            results.append({"vulns": vulns} if vulns else {})
        return json.dumps({"results": results}).encode()

    server.add("/v1/querybatch", Route(responder=querybatch))
    for rid, rec in recs.items():
        server.add(f"/v1/vulns/{rid}", json.dumps(rec))
