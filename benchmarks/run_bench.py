"""Benchmark and fidelity harness: mcpscan against npm and pip on real MCP servers.

Run from the repository root with the project installed:

    python benchmarks/run_bench.py [--out benchmarks/results.json]

It needs the real registries (or the mirrors configured for npm/pip) and the reference
package managers `npm` and `pip`; mcpscan itself needs neither. Everything is measured in
one session on one machine, and speeds are reported as ratios against the package managers
so that numbers from different machines stay comparable.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

NPM_ROOTS = (
    "@modelcontextprotocol/server-filesystem",
    "@modelcontextprotocol/server-memory",
    "@playwright/mcp",
    "@upstash/context7-mcp",
    "@supabase/mcp-server-supabase",
    "mcp-remote",
    "supergateway",
)
PYPI_ROOTS = ("mcp-server-fetch", "mcp-server-git", "mcp-server-time")


def _run(cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
         check: bool = True) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if check and proc.returncode not in (0, 1):
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-4000:])
        raise SystemExit(f"{' '.join(cmd[:4])}… exited {proc.returncode}")
    return elapsed, proc


def _config(n_copies: int = 1) -> dict[str, Any]:
    servers: dict[str, Any] = {}
    for i in range(n_copies):
        suffix = f"-{i}" if n_copies > 1 else ""
        for name in NPM_ROOTS:
            servers[f"{name.split('/')[-1]}{suffix}"] = {"command": "npx", "args": ["-y", name]}
        for name in PYPI_ROOTS:
            servers[f"{name}{suffix}"] = {"command": "uvx", "args": [name]}
    return {"mcpServers": servers}


def _mcpscan(config: Path, cache: Path, *extra: str) -> tuple[float, int, dict[str, Any]]:
    """Wall time, peak RSS (KiB) of the child, and the JSON report."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    elapsed, proc = _run(
        [sys.executable, "-m", "mcpscan", "scan", str(config), "-f", "json", "-q",
         "--cache-dir", str(cache), "--allow-incomplete", *extra]
    )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before), json.loads(proc.stdout)


def _mcpscan_sets(report: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
    """(name, version) sets per launched root package name."""
    sets: dict[str, set[tuple[str, str]]] = {}
    for conn in report["connectors"]:
        graph = conn.get("graph") or {}
        nodes = {(n["ecosystem"], n["name"], n["version"]) for n in graph.get("nodes", [])}
        for pkg in conn.get("packages", []):
            if pkg["role"] == "server":
                sets.setdefault(pkg["name"], set()).update(
                    (name.lower() if eco == "pypi" else name, ver) for eco, name, ver in nodes
                )
    return sets


def _npm_set(root: str, workdir: Path) -> tuple[float, set[tuple[str, str]]]:
    d = workdir / ("npm-" + root.replace("/", "__").replace("@", ""))
    d.mkdir(parents=True)
    (d / "package.json").write_text(json.dumps({"name": "bench", "version": "1.0.0"}))
    elapsed, _ = _run(["npm", "install", "--package-lock-only", "--ignore-scripts",
                       "--no-audit", "--no-fund", root], cwd=d)
    lock = json.loads((d / "package-lock.json").read_text())
    found: set[tuple[str, str]] = set()
    for path, meta in lock.get("packages", {}).items():
        if not path or meta.get("dev") or "version" not in meta:
            continue
        name = meta.get("name") or path.rsplit("node_modules/", 1)[-1]
        found.add((name, meta["version"]))
    return elapsed, found


def _pip_set(roots: tuple[str, ...], workdir: Path) -> tuple[float, set[tuple[str, str]]]:
    report = workdir / f"pip-{'-'.join(roots)[:60]}.json"
    elapsed, _ = _run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
                       "--quiet", "--report", str(report), *roots])
    data = json.loads(report.read_text())
    found = {(i["metadata"]["name"].lower().replace("_", "-"), i["metadata"]["version"])
             for i in data.get("install", [])}
    return elapsed, found


def _compare(ours: set[tuple[str, str]], ref: set[tuple[str, str]]) -> dict[str, Any]:
    same = ours & ref
    union = ours | ref
    return {
        "identical_nodes": len(same),
        "reference_nodes": len(ref),
        "mcpscan_nodes": len(ours),
        "identity_pct": round(100.0 * len(same) / len(union), 2) if union else 100.0,
        "only_reference": sorted(f"{n}@{v}" for n, v in ref - ours),
        "only_mcpscan": sorted(f"{n}@{v}" for n, v in ours - ref),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results.json"))
    ap.add_argument("--skip-scaling", action="store_true")
    args = ap.parse_args()
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": {"python": platform.python_version(), "system": platform.platform(),
                    "cpus": os.cpu_count()},
    }
    with tempfile.TemporaryDirectory(prefix="mcpscan-bench-") as tmp:
        work = Path(tmp)
        config = work / "mcp.json"
        config.write_text(json.dumps(_config(), indent=2))
        cache = work / "cache"

        t_version, _ = _run([sys.executable, "-m", "mcpscan", "--version"])
        cold, cold_rss, report = _mcpscan(config, cache)
        warm, _, _ = _mcpscan(config, cache)
        offline, _, _ = _mcpscan(config, cache, "--offline")

        # Reference package managers resolving the same roots together (speed), then one
        # root at a time (fidelity, since mcpscan resolves each connector on its own).
        npm_dir = work / "npm-all"
        npm_dir.mkdir()
        (npm_dir / "package.json").write_text(json.dumps({"name": "bench", "version": "1.0.0"}))
        npm_cache = work / "npm-cache"
        npm_env = {**os.environ, "npm_config_cache": str(npm_cache)}
        t_npm, _ = _run(["npm", "install", "--package-lock-only", "--ignore-scripts",
                         "--no-audit", "--no-fund", *NPM_ROOTS], cwd=npm_dir, env=npm_env)
        pip_env = {**os.environ, "PIP_NO_CACHE_DIR": "1"}
        t_pip, _ = _run([sys.executable, "-m", "pip", "install", "--dry-run",
                         "--ignore-installed", "--quiet", *PYPI_ROOTS], env=pip_env)

        ours = _mcpscan_sets(report)
        fidelity: dict[str, Any] = {}
        total_same = total_union = 0
        for root in NPM_ROOTS:
            _, ref = _npm_set(root, work)
            fidelity[root] = _compare(ours.get(root, set()), ref)
        for root in PYPI_ROOTS:
            _, ref = _pip_set((root,), work)
            fidelity[root] = _compare(ours.get(root, set()), ref)
        for entry in fidelity.values():
            total_same += entry["identical_nodes"]
            total_union += (entry["mcpscan_nodes"] + entry["reference_nodes"]
                            - entry["identical_nodes"])

        scaling: dict[str, float] = {}
        if not args.skip_scaling:
            for n in (1, 10, 50):
                cfg = work / f"mcp-{n}.json"
                # n connectors drawn round-robin from the same 10 packages: shared deps.
                full = _config(max(1, (n + 9) // 10))["mcpServers"]
                cfg.write_text(json.dumps({"mcpServers": dict(list(full.items())[:n])}))
                scaling[str(n)], _, _ = _mcpscan(cfg, work / f"cache-{n}")

        results.update(
            {
                "mcpscan_version_s": round(t_version, 3),
                "cold_scan_s": round(cold, 2),
                "warm_scan_s": round(warm, 3),
                "offline_scan_s": round(offline, 3),
                "peak_rss_mb": round(cold_rss / 1024, 1),
                "npm_lock_only_s": round(t_npm, 2),
                "pip_dry_run_s": round(t_pip, 2),
                "cold_vs_package_managers": round(cold / (t_npm + t_pip), 3),
                "graph_nodes": sum(len((c.get("graph") or {}).get("nodes", []))
                                   for c in report["connectors"]),
                "fidelity_overall_pct": round(100.0 * total_same / total_union, 2)
                if total_union else 100.0,
                "fidelity": fidelity,
                "scaling_cold_s": scaling,
            }
        )
        shutil.rmtree(npm_cache, ignore_errors=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    summary = {k: v for k, v in results.items() if k not in ("fidelity",)}
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
