"""Batch throughput: runs per minute of the default scenario with 1 and 2 local worker
processes and a Dask LocalCluster, on this machine. Run on demand, never by pytest::

    .venv/bin/python benchmarks/batch_throughput.py            # about 3 minutes on 2 cores
    .venv/bin/python benchmarks/batch_throughput.py --small 20 --large 60

Each executor runs two batches of the default scenario (``scenarios/
wechat_gift_launch.toml``, SNAP ego-Facebook graph, 58 days), of ``--small`` and
``--large`` runs, end to end through :func:`sim.batch.run_batch` (planning, workers or
cluster start-up, every run simulated and written, tables consolidated). Reported:

- end-to-end runs per minute of the large batch;
- marginal runs per minute, ``(large - small) / (t_large - t_small)``: the steady
  rate with the fixed start-up cost taken out;
- fixed cost (s): what start-up and consolidation add, ``t_small - small / marginal``;
- scaling efficiency of N workers: marginal rate / (N x the 1-worker marginal rate);
- CPU seconds per run of all processes (parent, workers, Dask scheduler and nannies;
  descendants counted when reaped), marginal like the rate, and the fixed CPU cost:
  unlike wall time, they do not depend on what else the machine is running.

The 1-minute load average before and after is recorded: on a shared machine, wall
rates are only comparable between runs made under the same load.

Writes ``benchmarks/out/batch_throughput.json`` and ``.md`` (a markdown table).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "wechat_gift_launch.toml"
OUT = ROOT / "benchmarks" / "out"

EXECUTORS = [
    ("local, 1 worker", {"workers": 1}, 1),
    ("local, 2 workers", {"workers": 2}, 2),
    ("Dask LocalCluster, 2 workers", {"dask_local": 2}, 2),
]


def _batch_file(folder: Path, runs: int) -> Path:
    path = folder / f"bench_{runs}.toml"
    path.write_text(f'name = "bench_{runs}"\nbase = "{SCENARIO}"\nreplicates = {runs}\nseed = 1\n')
    return path


def _cpu_seconds() -> float:
    """User + system CPU of this process and of its finished, reaped descendants."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(batch: Path, out: Path, kwargs: dict) -> tuple[float, float]:
    """Wall seconds and CPU seconds (parent and workers) of one batch."""
    from sim.batch import run_batch

    if out.exists():
        shutil.rmtree(out)
    cpu = _cpu_seconds()
    start = time.perf_counter()
    outcome = run_batch(batch, out=out, **kwargs)
    seconds = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu
    if outcome.failed or outcome.completed != len(outcome.plan.runs):
        raise RuntimeError(f"{batch}: {outcome.failed} failed, {outcome.completed} completed")
    return seconds, cpu


def measure(small: int, large: int) -> dict:
    """Time every executor on a small and a large batch; return the results as data."""
    rows = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="giftsim-bench-") as tmp:
        tmp = Path(tmp)
        files = {n: _batch_file(tmp, n) for n in (small, large)}
        for label, kwargs, workers in EXECUTORS:
            t_small, cpu_small = _timed(files[small], tmp / "out", kwargs)
            t_large, cpu_large = _timed(files[large], tmp / "out", kwargs)
            marginal = (large - small) / (t_large - t_small) * 60.0
            rows.append({
                "executor": label, "workers": workers,
                "small_runs": small, "small_seconds": round(t_small, 3),
                "large_runs": large, "large_seconds": round(t_large, 3),
                "runs_per_minute": round(large / t_large * 60.0, 1),
                "marginal_runs_per_minute": round(marginal, 1),
                "fixed_seconds": round(t_small - small / marginal * 60.0, 2),
                "cpu_seconds_per_run": round((cpu_large - cpu_small) / (large - small), 4),
                "fixed_cpu_seconds": round(cpu_small - small * (cpu_large - cpu_small) / (large - small), 2),
            })
            print(f"{label}: {rows[-1]['runs_per_minute']} runs/min end to end, "
                  f"{rows[-1]['marginal_runs_per_minute']} marginal", flush=True)
    base = rows[0]["marginal_runs_per_minute"]
    for r in rows:
        r["scaling_efficiency"] = round(r["marginal_runs_per_minute"] / (r["workers"] * base), 3)
    from sim.results import versions

    return {
        "scenario": str(SCENARIO.relative_to(ROOT)),
        "machine": {"cpus": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)),
                    "platform": platform.platform(), "python": platform.python_version()},
        "versions": versions(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "load_average_1min": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)},
        "results": rows,
    }


def markdown(data: dict) -> str:
    """The results as a markdown table."""
    lines = [
        f"Default scenario (`{data['scenario']}`), {data['machine']['affinity']} cores, "
        f"Python {data['machine']['python']}, {data['when']}; 1-minute load average "
        f"{data['load_average_1min']['before']} before, {data['load_average_1min']['after']} after.",
        "",
        "| executor | runs/min (end to end, large batch) | runs/min (marginal) | fixed cost (s) "
        "| scaling efficiency | CPU s per run (all processes) | fixed CPU s | small batch (s) | large batch (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in data["results"]:
        lines.append(
            f"| {r['executor']} | {r['runs_per_minute']:.0f} | {r['marginal_runs_per_minute']:.0f} | "
            f"{r['fixed_seconds']:.1f} | {r['scaling_efficiency']:.2f} | "
            f"{r['cpu_seconds_per_run']:.3f} | {r['fixed_cpu_seconds']:.1f} | "
            f"{r['small_seconds']:.1f} ({r['small_runs']} runs) | {r['large_seconds']:.1f} ({r['large_runs']} runs) |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=100, help="runs in the small batch (default 100)")
    parser.add_argument("--large", type=int, default=300, help="runs in the large batch (default 300)")
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the JSON and markdown")
    args = parser.parse_args()
    if not 0 < args.small < args.large:
        parser.error("need 0 < --small < --large")
    data = measure(args.small, args.large)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "batch_throughput.json").write_text(json.dumps(data, indent=2) + "\n")
    table = markdown(data)
    (args.out / "batch_throughput.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
