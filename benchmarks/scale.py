"""Benchmark 2: the full gift model at 10^4, 10^5 and 10^6 users: wall time and peak
memory, and how both grow with users.

    python benchmarks/scale.py [--sizes 10000 100000 1000000] [--repeat 3]

The default WeChat scenario (58 days) on a Barabási-Albert graph (m = 5, mean degree
about 10) with the merchant pool scaled with the population (``common.scale_scenario``).
Each run is a fresh process, so that its peak memory (max RSS) is its own; times and
memory are medians over ``--repeat`` processes per size. Growth exponents are least-
squares slopes of log(cost) on log(users), over all sizes and between neighbours.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from common import in_subprocess, load_average, md_table, median, peak_rss_mb, scale_scenario, write


def _nbytes(*arrays) -> int:
    return int(sum(a.nbytes for a in arrays))


def one(n: int, seed: int) -> dict:
    """One run of ``n`` users in this process: phase times, peak memory, array sizes."""
    t0 = time.perf_counter()
    from dataclasses import fields

    from sim.graph import build_graph
    from sim.model import GiftModel
    from sim.runner import collect

    sc = scale_scenario(n)
    t_import = time.perf_counter() - t0
    rss_base = peak_rss_mb()
    t1 = time.perf_counter()
    graph = build_graph(sc.graph, rng=np.random.default_rng(seed))
    t_graph = time.perf_counter() - t1
    rss_graph = peak_rss_mb()
    t2 = time.perf_counter()
    model = GiftModel(sc, seed=seed, graph=graph)
    t_init = time.perf_counter() - t2
    t3 = time.perf_counter()
    model.run()
    t_steps = time.perf_counter() - t3
    t4 = time.perf_counter()
    result = collect(model)
    t_collect = time.perf_counter() - t4
    g, pop = graph, model.population
    led = model.ledger
    return {
        "users": n, "friendships": g.n_friendships, "days": sc.time.days,
        "merchants": model.merchant_table.n_merchants, "seed": seed,
        "seconds_import": t_import, "seconds_graph": t_graph, "seconds_init": t_init,
        "seconds_steps": t_steps, "seconds_collect": t_collect,
        "seconds_total": t_graph + t_init + t_steps + t_collect,
        "peak_rss_mb": peak_rss_mb(), "rss_after_import_mb": rss_base, "peak_rss_after_graph_mb": rss_graph,
        "bytes_graph_per_user": _nbytes(g.indptr) / n,
        "bytes_graph_per_friendship": _nbytes(g.indices, g.weights, g.cum_weights) / g.n_friendships,
        "bytes_population_per_user": sum(getattr(pop, f.name).nbytes for f in fields(pop)) / n,
        "bytes_ledger_per_gift": sum(led._cols[k].itemsize for k in led._cols),
        "gifts_sent": int(result.summary["gifts_sent"]), "adoption_share": float(result.summary["adoption_share"]),
    }


def exponent(x: list[float], y: list[float]) -> float:
    """Least-squares slope of log y on log x."""
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one, args.seed)))
        return {}
    load0 = load_average()
    rows = []
    for n in args.sizes:
        reps = [in_subprocess(Path(__file__), ["--one", str(n), "--seed", str(args.seed)]) for _ in range(args.repeat)]
        row = {k: (median([r[k] for r in reps]) if isinstance(reps[0][k], float) else reps[0][k]) for k in reps[0]}
        row["seconds_total_all"] = [r["seconds_total"] for r in reps]
        row["seconds_with_import"] = row["seconds_total"] + row["seconds_import"]
        rows.append(row)
        print(f"{n:>10,} users: total {row['seconds_total']:.2f} s (graph {row['seconds_graph']:.2f}, "
              f"steps {row['seconds_steps']:.2f}), peak RSS {row['peak_rss_mb']:.0f} MB", flush=True)
    users = [r["users"] for r in rows]
    growth = {}
    if len(rows) > 1:
        for key in ("seconds_total", "seconds_steps", "seconds_graph", "peak_rss_mb"):
            growth[key] = exponent(users, [r[key] for r in rows])
            growth[key + "_pairs"] = [exponent(users[i:i + 2], [r[key] for r in rows[i:i + 2]])
                                      for i in range(len(rows) - 1)]
        above = [r["peak_rss_mb"] - r["rss_after_import_mb"] for r in rows]
        growth["rss_above_imports"] = exponent(users, above)
        growth["rss_above_imports_pairs"] = [exponent(users[i:i + 2], above[i:i + 2]) for i in range(len(rows) - 1)]
    table = md_table(
        ["users", "friendships", "merchants", "graph s", "set-up s", "58 steps s", "collect s", "total s",
         "peak RSS MB", "RSS above imports MB", "gifts sent"],
        [[r["users"], r["friendships"], r["merchants"], r["seconds_graph"], r["seconds_init"], r["seconds_steps"],
          r["seconds_collect"], r["seconds_total"], r["peak_rss_mb"], r["peak_rss_mb"] - r["rss_after_import_mb"],
          r["gifts_sent"]] for r in rows],
    )
    if growth:
        table += ["", "Growth exponents (slope of log cost on log users; all sizes, then between neighbours):", ""]
        table += md_table(["cost", "all sizes", "between neighbours"], [
            [k, growth[k], ", ".join(f"{x:.2f}" for x in growth[k + "_pairs"])]
            for k in ("seconds_total", "seconds_steps", "seconds_graph", "peak_rss_mb", "rss_above_imports")])
    md = write("scale", rows, table, {"growth": growth}, load_before=load0)
    print(md.read_text())
    return {"rows": rows, "growth": growth}


if __name__ == "__main__":
    main()
