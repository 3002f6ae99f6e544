"""Benchmark: the full gift model at 10^4, 10^5 and 10^6 users (Barabási-Albert, m = 5,
mean degree about 10; 58 days of the WeChat launch scenario). Each size runs in a fresh
process so that peak memory (max RSS) is its own. Writes JSON and a markdown table.

    python benchmarks/scale.py [--sizes 10000 100000 1000000] [--out benchmarks/out]

Not part of the test suite: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one(n: int, seed: int) -> dict:
    """Run one size in this process and return its measurements."""
    t0 = time.perf_counter()
    import numpy as np

    from sim import load_scenario
    from sim.graph import build_graph
    from sim.model import GiftModel
    from sim.runner import collect
    from sim.scenario import with_overrides

    t_import = time.perf_counter() - t0
    sc = with_overrides(load_scenario(ROOT / "scenarios" / "wechat_gift_launch.toml"), [
        ("graph", {"kind": "barabasi_albert", "n": n, "m": 5, "engine": "numpy"}),
        # merchant pool scaled with the population: 34 merchants per 4,039 users by default
        ("merchants.brand.count", max(4, n // 1000)),
        ("merchants.sme.count", max(20, n // 200)),
        ("merchants.white_label.count", max(10, n // 400)),
    ])
    t1 = time.perf_counter()
    graph = build_graph(sc.graph, rng=np.random.default_rng(seed))
    t_graph = time.perf_counter() - t1
    t2 = time.perf_counter()
    model = GiftModel(sc, seed=seed, graph=graph)
    t_init = time.perf_counter() - t2
    t3 = time.perf_counter()
    model.run()
    t_steps = time.perf_counter() - t3
    t4 = time.perf_counter()
    result = collect(model)
    t_collect = time.perf_counter() - t4
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "users": n, "friendships": graph.n_friendships, "days": sc.time.days,
        "merchants": model.merchant_table.n_merchants,
        "seconds_graph": round(t_graph, 3), "seconds_init": round(t_init, 3),
        "seconds_steps": round(t_steps, 3), "seconds_collect": round(t_collect, 3),
        "seconds_total": round(t_graph + t_init + t_steps + t_collect, 3),
        "seconds_import": round(t_import, 3), "peak_rss_mb": round(rss_mb, 1),
        "gifts_sent": result.summary["gifts_sent"], "adoption_share": result.summary["adoption_share"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out"))
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.seed)))
        return
    rows = []
    for n in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n), "--seed", str(args.seed)],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(rows[-1], flush=True)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = {"python": platform.python_version(), "machine": platform.machine(), "cpus": __import__("os").cpu_count()}
    (out_dir / "scale.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    lines = ["| users | friendships | graph s | steps s | total s | peak RSS MB | gifts |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['users']:,} | {r['friendships']:,} | {r['seconds_graph']} | {r['seconds_steps']} | "
                     f"{r['seconds_total']} | {r['peak_rss_mb']} | {r['gifts_sent']:,} |")
    (out_dir / "scale.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
