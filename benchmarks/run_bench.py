"""Benchmark and fidelity harness: mcpscan against npm and pip on real MCP servers.

Run from the repository root (the project importable: installed, or ``PYTHONPATH=.``):

    python benchmarks/run_bench.py [--out benchmarks/results.json] [--repeat 3]

It needs the registries (or the mirrors configured for npm/pip) and the reference package
managers ``npm`` and ``pip``; mcpscan itself needs neither. Everything is measured in one
session on one machine, and speeds are also reported as ratios against the package managers
so that numbers from different machines stay comparable. See benchmarks/README.md for the
method and the recorded results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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
# The proxies are launched as they are in real configs: with the endpoint they reach.
EXTRA_ARGS = {
    "mcp-remote": ["https://mcp.example.com/mcp"],
    "supergateway": ["--sse", "https://mcp.example.com/sse"],
}
PYPI_INDEX = "https://pypi.org/simple"
# Node's names for this machine, as npm's os/cpu/libc checks see it.
NODE_OS = {"linux": "linux", "darwin": "darwin", "win32": "win32"}.get(sys.platform, sys.platform)
NODE_CPU = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(
    platform.machine().lower(), platform.machine().lower()
)
NODE_LIBC = (
    ("glibc" if platform.libc_ver()[0] == "glibc" else "musl") if NODE_OS == "linux" else None
)


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def run(
    cmd: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    ok: Sequence[int] = (0, 1),
) -> Run:
    """Run ``cmd``; wall time and the peak RSS of that process (wait4, not the children's
    running maximum, which would mix in earlier npm/pip runs)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd), cwd=cwd, env=dict(env) if env is not None else None, stdout=out, stderr=err
        )
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = Run(
            elapsed,
            usage.ru_maxrss / 1024,
            proc.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
        )
    if result.returncode not in ok:
        sys.stderr.write(result.stdout[-2000:] + result.stderr[-4000:])
        raise SystemExit(f"{' '.join(cmd[:4])}… exited {result.returncode}")
    return result


def median_of(repeat: int, once: Callable[[], Run]) -> tuple[Run, list[float]]:
    """The run with the median time of ``repeat`` runs, and every time."""
    runs = sorted((once() for _ in range(repeat)), key=lambda r: r.seconds)
    return runs[len(runs) // 2], [round(r.seconds, 3) for r in runs]


# -- mcpscan ---------------------------------------------------------------------------------


def mcpscan_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCPSCAN_")}
    # An installed package has compiled bytecode; a checkout under PYTHONDONTWRITEBYTECODE
    # would compile every module on every run and time the compiler instead.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["MCPSCAN_PYPI_URL"] = PYPI_INDEX
    return env


def config(n_connectors: int | None = None) -> dict[str, Any]:
    """The 10 servers; with ``n_connectors``, that many connectors drawn round-robin from
    them (so they share every dependency)."""
    base: list[tuple[str, dict[str, Any]]] = []
    for name in NPM_ROOTS:
        base.append(
            (
                name.split("/")[-1],
                {"command": "npx", "args": ["-y", name, *EXTRA_ARGS.get(name, [])]},
            )
        )
    for name in PYPI_ROOTS:
        base.append((name, {"command": "uvx", "args": [name]}))
    if n_connectors is None:
        return {"mcpServers": dict(base)}
    servers = {}
    for i in range(n_connectors):
        key, entry = base[i % len(base)]
        servers[f"{key}-{i}"] = entry
    return {"mcpServers": servers}


# Advisory lookups (OSV, npm and PyPI advisory endpoints) and provenance checks (registry
# signatures, attestations) are stages that neither `npm install --package-lock-only
# --no-audit` nor `pip install --dry-run` performs: the like-for-like runs leave them out, so
# both sides do the same work. The default scan, with every stage, is timed separately.
RESOLUTION_ONLY = ("--no-advisories", "--no-provenance")


def mcpscan(cfg: Path, cache: Path, *extra: str, stages: Sequence[str] = RESOLUTION_ONLY) -> Run:
    return run(
        [
            sys.executable,
            "-m",
            "mcpscan",
            "scan",
            str(cfg),
            "-f",
            "json",
            "-q",
            "--cache-dir",
            str(cache),
            "--allow-incomplete",
            *stages,
            *extra,
        ],
        env=mcpscan_env(),
    )


def mcpscan_sets(report: Mapping[str, Any]) -> dict[str, set[tuple[str, str]]]:
    """(name, version) of every graph node, per launched package (server or proxy)."""
    sets: dict[str, set[tuple[str, str]]] = {}
    for conn in report["connectors"]:
        graph = conn.get("graph") or {}
        nodes = {(n["ecosystem"], n["name"], n["version"]) for n in graph.get("nodes", [])}
        for pkg in conn.get("packages", []):
            if pkg["name"] in NPM_ROOTS or pkg["name"] in PYPI_ROOTS:
                sets.setdefault(pkg["name"], set()).update(
                    (_pep503(name) if eco == "pypi" else name, ver) for eco, name, ver in nodes
                )
    return sets


def _pep503(name: str) -> str:
    return "-".join(name.lower().replace("_", "-").replace(".", "-").split("-"))


# -- the reference package managers ------------------------------------------------------------


def npm_env(cache: Path) -> dict[str, str]:
    return {**os.environ, "npm_config_cache": str(cache), "npm_config_update_notifier": "false"}


def npm_lock(roots: Sequence[str], workdir: Path, cache: Path) -> tuple[Run, dict[str, Any]]:
    workdir.mkdir(parents=True)
    (workdir / "package.json").write_text(json.dumps({"name": "bench", "version": "1.0.0"}))
    result = run(
        [
            "npm",
            "install",
            "--package-lock-only",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            *roots,
        ],
        cwd=workdir,
        env=npm_env(cache),
        ok=(0,),
    )
    return result, json.loads((workdir / "package-lock.json").read_text())


def _platform_ok(meta: Mapping[str, Any]) -> bool:
    """npm-install-checks: would npm install this lock entry on this machine?"""

    def check(value: str | None, allowed: Any) -> bool:
        if not allowed:
            return True
        items = [allowed] if isinstance(allowed, str) else list(allowed)
        if value is None:
            return False
        negated = [i[1:] for i in items if i.startswith("!")]
        plain = [i for i in items if not i.startswith("!")]
        if value in negated:
            return False
        return not plain or value in plain or "any" in plain

    return (
        check(NODE_OS, meta.get("os"))
        and check(NODE_CPU, meta.get("cpu"))
        and (not meta.get("libc") or check(NODE_LIBC, meta.get("libc")))
    )


def npm_set(lock: Mapping[str, Any]) -> tuple[set[tuple[str, str]], list[str]]:
    """The (name, version) pairs npm would put on disk here, and the lock entries left out
    because they are optional packages for another platform (package-lock.json lists every
    platform's; an install skips the others, and so does mcpscan's resolver)."""
    found: set[tuple[str, str]] = set()
    skipped: list[str] = []
    packages = lock.get("packages", {})
    dropped_paths = [
        path
        for path, meta in packages.items()
        if path and meta.get("optional") and not _platform_ok(meta)
    ]
    for path, meta in packages.items():
        if not path or meta.get("dev") or "version" not in meta or meta.get("link"):
            continue
        name = meta.get("name") or path.rsplit("node_modules/", 1)[-1]
        if any(path == d or path.startswith(d + "/") for d in dropped_paths):
            skipped.append(f"{name}@{meta['version']}")
            continue
        found.add((name, meta["version"]))
    return found, sorted(skipped)


def pip_env() -> dict[str, str]:
    """pip reading no config file and no PIP_* variable of this machine: the same index
    mcpscan uses, no extra local indexes, find-links or constraints."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_CACHE_DIR"] = "1"
    if "PIP_CERT" in os.environ:
        env["PIP_CERT"] = os.environ["PIP_CERT"]
    return env


def pip_report(roots: Sequence[str], workdir: Path) -> tuple[Run, set[tuple[str, str]]]:
    report = workdir / f"pip-{'-'.join(roots)[:80]}.json"
    result = run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--index-url",
            PYPI_INDEX,
            "--report",
            str(report),
            *roots,
        ],
        env=pip_env(),
        ok=(0,),
    )
    data = json.loads(report.read_text())
    found = {
        (_pep503(i["metadata"]["name"]), i["metadata"]["version"]) for i in data.get("install", [])
    }
    return result, found


# -- comparison --------------------------------------------------------------------------------


def compare(ours: set[tuple[str, str]], ref: set[tuple[str, str]]) -> dict[str, Any]:
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


def unique_nodes(report: Mapping[str, Any]) -> int:
    return len(
        {n["purl"] for c in report["connectors"] for n in (c.get("graph") or {}).get("nodes", [])}
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results.json"))
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per measure (median)")
    ap.add_argument("--skip-scaling", action="store_true")
    args = ap.parse_args()
    repeat = max(1, args.repeat)
    npm_version = run(["npm", "--version"], ok=(0,)).stdout.strip()
    node_version = run(["node", "--version"], ok=(0,)).stdout.strip()
    pip_version = run(
        [sys.executable, "-m", "pip", "--version"], env=pip_env(), ok=(0,)
    ).stdout.split()[1]
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": {
            "python": platform.python_version(),
            "system": platform.platform(),
            "cpus": os.cpu_count(),
            "node": node_version,
            "npm": npm_version,
            "pip": pip_version,
            "target": f"{NODE_OS}/{NODE_CPU}/{NODE_LIBC}",
        },
        "repeat": repeat,
    }
    with tempfile.TemporaryDirectory(prefix="mcpscan-bench-") as tmp:
        work = Path(tmp)
        cfg = work / "mcp.json"
        cfg.write_text(json.dumps(config(), indent=2))

        # 1. Fidelity, one root at a time (mcpscan resolves each connector on its own).
        # These runs also bring every document into the registry mirrors' own caches, so
        # the timed runs below all start from the same upstream state.
        fidelity: dict[str, Any] = {}
        npm_skipped: dict[str, list[str]] = {}
        for root in NPM_ROOTS:
            _, lock = npm_lock(
                [root], work / ("npm-" + root.replace("/", "__")), work / "npm-cache-fidelity"
            )
            ref, skipped = npm_set(lock)
            fidelity[root] = {"reference": ref}
            npm_skipped[root] = skipped
        for root in PYPI_ROOTS:
            _, ref = pip_report((root,), work)
            fidelity[root] = {"reference": ref}

        # 2. Cold: empty local caches on every side, all roots in one run.
        counter = iter(range(10_000))

        def cold_mcpscan() -> Run:
            return mcpscan(cfg, work / f"cache-cold-{next(counter)}")

        def cold_npm() -> Run:
            n = next(counter)
            return npm_lock(NPM_ROOTS, work / f"npm-all-{n}", work / f"npm-cache-{n}")[0]

        def cold_pip() -> Run:
            return pip_report(PYPI_ROOTS, work)[0]

        cold, cold_times = median_of(repeat, cold_mcpscan)
        npm_all, npm_times = median_of(repeat, cold_npm)
        pip_all, pip_times = median_of(repeat, cold_pip)

        # 3. Warm and offline rescans of one populated cache; --version.
        cache = work / "cache"
        first = mcpscan(cfg, cache)
        report = json.loads(first.stdout)
        warm, warm_times = median_of(repeat, lambda: mcpscan(cfg, cache))
        offline, offline_times = median_of(repeat, lambda: mcpscan(cfg, cache, "--offline"))
        version, version_times = median_of(
            repeat,
            lambda: run([sys.executable, "-m", "mcpscan", "--version"], env=mcpscan_env(), ok=(0,)),
        )
        same_offline = json.loads(offline.stdout) == report
        # Every stage, as `mcpscan scan` runs by default, on the same (resolution-warm) cache.
        mcpscan(cfg, cache, stages=())
        all_warm, all_warm_times = median_of(repeat, lambda: mcpscan(cfg, cache, stages=()))
        all_offline, all_offline_times = median_of(
            repeat, lambda: mcpscan(cfg, cache, "--offline", stages=())
        )

        ours = mcpscan_sets(report)
        total_same = total_union = 0
        for root, entry in fidelity.items():
            cmp = compare(ours.get(root, set()), entry.pop("reference"))
            if root in npm_skipped:
                cmp["reference_other_platform_skipped"] = npm_skipped[root]
            entry.update(cmp)
            total_same += cmp["identical_nodes"]
            total_union += cmp["mcpscan_nodes"] + cmp["reference_nodes"] - cmp["identical_nodes"]

        # 4. Growth: 1, 10 and 50 connectors sharing the same packages, each cold.
        scaling: dict[str, Any] = {}
        if not args.skip_scaling:
            for n in (1, 10, 50):
                cfg_n = work / f"mcp-{n}.json"
                cfg_n.write_text(json.dumps(config(n)))
                scan = mcpscan(cfg_n, work / f"cache-scale-{n}")
                scaling[str(n)] = {
                    "cold_s": round(scan.seconds, 2),
                    "peak_rss_mb": round(scan.peak_rss_mb, 1),
                    "unique_packages": unique_nodes(json.loads(scan.stdout)),
                }

        results.update(
            {
                "mcpscan_version_s": round(version.seconds, 3),
                "cold_scan_s": round(cold.seconds, 2),
                "warm_scan_s": round(warm.seconds, 3),
                "offline_scan_s": round(offline.seconds, 3),
                "offline_report_equals_warm": same_offline,
                "peak_rss_mb_cold": round(cold.peak_rss_mb, 1),
                "peak_rss_mb_warm": round(warm.peak_rss_mb, 1),
                "npm_lock_only_s": round(npm_all.seconds, 2),
                "pip_dry_run_s": round(pip_all.seconds, 2),
                "cold_vs_package_managers": round(
                    cold.seconds / (npm_all.seconds + pip_all.seconds), 3
                ),
                "all_stages_warm_scan_s": round(all_warm.seconds, 3),
                "all_stages_offline_scan_s": round(all_offline.seconds, 3),
                "times_s": {
                    "cold": cold_times,
                    "npm": npm_times,
                    "pip": pip_times,
                    "warm": warm_times,
                    "offline": offline_times,
                    "version": version_times,
                    "all_stages_warm": all_warm_times,
                    "all_stages_offline": all_offline_times,
                },
                "graph_nodes": sum(
                    len((c.get("graph") or {}).get("nodes", [])) for c in report["connectors"]
                ),
                "unique_packages": unique_nodes(report),
                "fidelity_overall_pct": round(100.0 * total_same / total_union, 2)
                if total_union
                else 100.0,
                "fidelity": fidelity,
                "scaling_cold": scaling,
            }
        )
        shutil.rmtree(work, ignore_errors=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    summary = {k: v for k, v in results.items() if k != "fidelity"}
    summary["fidelity_pct"] = {k: v["identity_pct"] for k, v in results["fidelity"].items()}
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
