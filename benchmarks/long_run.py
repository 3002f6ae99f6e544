"""Benchmark: a three-year gift run at 10^6 users through the public path (issue 14).

    python benchmarks/long_run.py [--users 1000000] [--end 2027-12-31] [--repeat 3]
                                  [--merchants default|scaled] [--seed 1] [--set key=json ...]

The default WeChat scenario, 2024-12-19 to ``--end`` (1,108 daily steps to 2027-12-31),
on a Barabási-Albert graph (``m = 5``, numpy engine) of ``--users`` users; otherwise the
scenario as shipped (``--merchants scaled`` scales the merchant pool with the users as
``common.scale_scenario`` does; ``--set`` adds overrides, e.g. ``--set
'population.budget_period="month"'`` once other mechanisms exist). Each run is a fresh
process calling ``sim.run(scenario, seed)``, which builds the graph, runs every step and
collects the tables and summary, so its wall time is what a user waits for and its peak
resident memory (Linux ``VmHWM``) is its own. The graph-and-set-up part is the time to
the first step's end minus one median step.

Prints one line per run, then the medians; writes ``benchmarks/out/long_run.{json,md}``.
Goals (issue 14): under 60 s and under 2 GB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

from common import WECHAT, in_subprocess, load_average, md_table, median, peak_rss_mb, scale_scenario, write

GOAL_S, GOAL_MB = 60.0, 2048.0


def scenario(n: int, end: str, merchants: str, sets: list[str]):
    """The benchmarked scenario: the default one on a BA graph of ``n`` users to ``end``."""
    from sim import load_scenario
    from sim.scenario import with_overrides

    base = scale_scenario(n) if merchants == "scaled" else load_scenario(WECHAT)
    over: list[tuple[str, object]] = [
        ("graph", {"kind": "barabasi_albert", "n": n, "m": 5, "engine": "numpy"}),
        ("time.end", dt.date.fromisoformat(end)),
    ]
    for item in sets:
        key, _, value = item.partition("=")
        over.append((key, json.loads(value)))
    return with_overrides(base, over)


def one(n: int, end: str, merchants: str, seed: int, sets: list[str]) -> dict:
    """One run in this process: wall times, peak memory, a few outcomes."""
    t0 = time.perf_counter()
    import sim

    sc = scenario(n, end, merchants, sets)
    t_import = time.perf_counter() - t0
    rss_import = peak_rss_mb()
    marks: list[float] = []
    t1, c1 = time.perf_counter(), time.process_time()
    result = sim.run(sc, seed, on_step=lambda done, total: marks.append(time.perf_counter()))
    t_total, c_total = time.perf_counter() - t1, time.process_time() - c1
    steps = [b - a for a, b in zip(marks, marks[1:], strict=False)]
    step_med = median(steps) if steps else 0.0
    t_setup = marks[0] - t1 - step_med
    return {
        "users": n, "end": end, "steps": len(marks), "merchants": merchants, "seed": seed,
        "seconds_import": t_import, "seconds_total": t_total, "cpu_seconds_total": c_total,
        "seconds_graph_setup": t_setup, "seconds_steps": marks[-1] - marks[0] + step_med,
        "seconds_collect": t1 + t_total - marks[-1], "ms_per_step_median": 1e3 * step_med,
        "peak_rss_mb": peak_rss_mb(), "rss_after_import_mb": rss_import,
        "gifts_sent": int(result.summary["gifts_sent"]),
        "adoption_share": float(result.summary["adoption_share"]),
    }


def line(i: int, r: dict) -> str:
    """One run's line."""
    return (f"run {i}: {r['users']:,} users, {r['steps']} steps to {r['end']}: total {r['seconds_total']:.1f} s "
            f"(graph+set-up {r['seconds_graph_setup']:.1f}, steps {r['seconds_steps']:.1f}, "
            f"{r['ms_per_step_median']:.1f} ms/step, tables {r['seconds_collect']:.2f}), "
            f"CPU {r['cpu_seconds_total']:.1f} s, peak RSS {r['peak_rss_mb']:.0f} MB, "
            f"gifts {r['gifts_sent']:,}, load {r['load']}")


def table(runs: list[dict], med: dict) -> list[str]:
    """The markdown table of the runs and their medians."""
    cols = ["users", "steps", "merchants", "seconds_graph_setup", "seconds_steps", "ms_per_step_median",
            "seconds_collect", "seconds_total", "cpu_seconds_total", "peak_rss_mb", "gifts_sent", "load"]
    out = md_table(["users", "steps", "merchants", "graph + set-up s", "steps s", "ms per step", "tables s",
                    "total s", "CPU s", "peak RSS MB", "gifts sent", "load"], [[r[c] for c in cols] for r in runs])
    return out + ["", f"Medians: total {med['seconds_total']:.1f} s (CPU {med['cpu_seconds_total']:.1f} s), "
                      f"peak RSS {med['peak_rss_mb']:.0f} MB."]


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--end", default="2027-12-31", help="time.end, ISO date (start stays 2024-12-19)")
    ap.add_argument("--repeat", type=int, default=3, help="fresh processes; medians reported")
    ap.add_argument("--merchants", choices=("default", "scaled"), default="default")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=JSON", help="extra scenario override")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.users, args.end, args.merchants, args.seed, args.set)))
        return {}
    child = ["--one", "--users", str(args.users), "--end", args.end, "--merchants", args.merchants,
             "--seed", str(args.seed), *[x for s in args.set for x in ("--set", s)]]
    load0 = load_average()
    runs = []
    for i in range(args.repeat):
        la = load_average()
        runs.append({**in_subprocess(Path(__file__), child), "load": la})
        print(line(i + 1, runs[-1]), flush=True)
    med = {k: median([r[k] for r in runs]) for k, v in runs[0].items() if isinstance(v, float)}
    ok = med["seconds_total"] < GOAL_S and med["peak_rss_mb"] < GOAL_MB
    print(f"median of {len(runs)}: total {med['seconds_total']:.1f} s (CPU {med['cpu_seconds_total']:.1f} s), "
          f"peak RSS {med['peak_rss_mb']:.0f} MB (goal < {GOAL_S:.0f} s and < {GOAL_MB:.0f} MB: "
          f"{'met' if ok else 'NOT met'}), load {load0}-{load_average()}", flush=True)
    write("long_run", runs, table(runs, med), {"medians": med, "goal_met": ok}, load_before=load0)
    return {"runs": runs, "medians": med}


if __name__ == "__main__":
    main()
