"""Batch throughput: runs per minute of the default scenario with 1 and 2 local worker
processes and a Dask LocalCluster, on this machine. Run on demand, never by pytest::

    .venv/bin/python benchmarks/batch_throughput.py            # about 6 minutes on 2 cores
    .venv/bin/python benchmarks/batch_throughput.py --small 20 --large 60 --repeat 1

Each executor runs (best of ``--repeat`` timings) two batches of the default scenario (``scenarios/
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

Recorded beside them: the 1-minute load average, and the parallel capacity before and
after (the work two CPU-bound Python processes do together over the work of one alone:
2.0 on an idle 2-core machine). On a shared machine, wall rates and scaling efficiency
are only comparable between runs made at the same capacity.

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


def _spin(seconds: float) -> int:
    """Pure-Python work done in ``seconds`` of wall time (loop iterations)."""
    n = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for _ in range(10_000):
            n += 1
    return n


def parallel_capacity(seconds: float = 3.0) -> float:
    """How many cores' worth of CPU two processes get right now: the work of two
    CPU-bound processes running together over the work of one alone (2.0 on an idle
    2-core machine; less when other programs share it)."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    with ctx.Pool(2) as pool:
        pool.map(_spin, [0.2, 0.2])  # start-up out of the way
        alone = pool.apply(_spin, (seconds,))
        together = sum(pool.map(_spin, [seconds, seconds], chunksize=1))
    return together / alone


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


def _best(batch: Path, out: Path, kwargs: dict, repeat: int) -> tuple[float, float]:
    """The fastest of ``repeat`` timings (wall, CPU): the one least disturbed by other load."""
    return min(_timed(batch, out, kwargs) for _ in range(repeat))


def measure(small: int, large: int, repeat: int = 3) -> dict:
    """Time every executor on a small and a large batch (best of ``repeat``); return
    the results as data."""
    rows = []
    load_before = os.getloadavg()
    capacity_before = parallel_capacity()
    with tempfile.TemporaryDirectory(prefix="giftsim-bench-") as tmp:
        tmp = Path(tmp)
        files = {n: _batch_file(tmp, n) for n in (small, large)}
        for label, kwargs, workers in EXECUTORS:
            t_small, cpu_small = _best(files[small], tmp / "out", kwargs, repeat)
            t_large, cpu_large = _best(files[large], tmp / "out", kwargs, repeat)
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
        "repeat": repeat,
        "load_average_1min": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)},
        "parallel_capacity": {"before": round(capacity_before, 2), "after": round(parallel_capacity(), 2)},
        "results": rows,
    }


def markdown(data: dict) -> str:
    """The results as a markdown table."""
    lines = [
        (f"Default scenario (`{data['scenario']}`), {data['machine']['affinity']} cores, best of "
         f"{data['repeat']} timings per batch, "
         f"Python {data['machine']['python']}, {data['when']}; 1-minute load average "
         f"{data['load_average_1min']['before']} before, {data['load_average_1min']['after']} after; "
         f"two CPU-bound processes got {data['parallel_capacity']['before']} and "
         f"{data['parallel_capacity']['after']} cores' worth before and after (2.0 when idle)."),
        "",
        ("| executor | runs/min (end to end, large batch) | runs/min (marginal) | fixed cost (s) "
         "| scaling efficiency | CPU s per run (all processes) | fixed CPU s | small batch (s) | large batch (s) |"),
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
    parser.add_argument("--small", type=int, default=60, help="runs in the small batch (default 60)")
    parser.add_argument("--large", type=int, default=180, help="runs in the large batch (default 180)")
    parser.add_argument("--repeat", type=int, default=3, help="timings per batch; the fastest counts (default 3)")
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the JSON and markdown")
    args = parser.parse_args()
    if not 0 < args.small < args.large:
        parser.error("need 0 < --small < --large")
    if args.repeat < 1:
        parser.error("need --repeat >= 1")
    data = measure(args.small, args.large, args.repeat)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "batch_throughput.json").write_text(json.dumps(data, indent=2) + "\n")
    table = markdown(data)
    (args.out / "batch_throughput.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
