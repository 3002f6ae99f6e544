"""Benchmark 1: the default WeChat scenario on the Facebook graph, time per run.

    python benchmarks/facebook.py [--runs 9]

``sim.run(scenario, seed)`` end to end (model set-up, 58 steps, collecting the tables and
the summary) for seeds 0..runs-1, in one process. The first run also parses the edge list
(cached per process afterwards, as in a batch worker), so it is reported apart; the
median is over the rest. The same runs with the per-agent reference model
(:mod:`sim.reference`) are in ``benchmarks/reference.py``.
"""

from __future__ import annotations

import argparse
import time

from common import WECHAT, load_average, md_table, median, write


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args(argv)
    load0 = load_average()
    from sim import load_scenario, run

    sc = load_scenario(WECHAT)
    times, steps, gifts = [], [], []
    for seed in range(args.runs):
        t0 = time.perf_counter()
        r = run(sc, seed)
        times.append(time.perf_counter() - t0)
        steps.append(r.wall_seconds)
        gifts.append(r.summary["gifts_sent"])
    row = {
        "users": 4039, "friendships": 88234, "days": sc.time.days, "runs": args.runs,
        "first_run_s": times[0], "median_run_s": median(times[1:]), "min_run_s": min(times[1:]),
        "max_run_s": max(times[1:]), "median_model_s": median(steps[1:]),
        "runs_per_minute": 60.0 / median(times[1:]), "mean_gifts": sum(gifts) / len(gifts),
    }
    table = md_table(
        ["scenario", "first run s (reads graph)", "median run s", "min-max s", "model only s", "runs/min (1 core)"],
        [["wechat_gift_launch (ego-Facebook, 4,039 users, 58 days)", row["first_run_s"], row["median_run_s"],
          f"{row['min_run_s']:.3f}-{row['max_run_s']:.3f}", row["median_model_s"], row["runs_per_minute"]]],
    )
    md = write("facebook", [row], table, load_before=load0)
    print(md.read_text())
    return row


if __name__ == "__main__":
    main()
