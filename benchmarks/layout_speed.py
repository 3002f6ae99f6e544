"""Benchmark: the explorer's graph layout (``sim.viz.layout.graph_layout``) at 4,039, 10^5
and 10^6 users, computed and then loaded from its disk cache.

    python benchmarks/layout_speed.py [--sizes 4039 100000 1000000] [--repeat 1] [--facebook]

Generated Barabási-Albert graphs (m = 5, numpy generator, seeded), each laid out in a fresh
process (its peak memory is its own) with an empty temporary cache: the public path, i.e.
the adjacency, the cache key, networkit's PivotMDS per component, the force steps, the cache
write; then the same call again (a cache hit). ``--facebook`` adds the 4,039-user SNAP
Facebook graph of ``data/``. Also reported: friends' mean distance against random pairs'
(the layout's quality check in tests/viz/test_layout.py). Medians over ``--repeat``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from common import ROOT, in_subprocess, load_average, md_table, median, peak_rss_mb, write


def _graph(n: int, seed: int):
    from sim.graph.csr import clean_edges, to_csr
    from sim.graph.fast import barabasi_albert_edges

    if n == 0:  # the Facebook graph
        from sim.graph import read_edgelist

        e = read_edgelist(ROOT / "data" / "facebook_combined.txt.gz")
    else:
        u, v = barabasi_albert_edges(n, 5, rng=np.random.default_rng(seed))
        e = clean_edges(u, v, n_users=n, relabel=False)
    return to_csr(e, np.ones(e.a.size, dtype=np.float32))


def _ratio(g, xy) -> float:
    rows = g.row_of_entry
    keep = rows < g.indices
    friends = float(np.linalg.norm(xy[rows[keep]] - xy[g.indices[keep]], axis=1).mean())
    rng = np.random.default_rng(0)
    i, j = rng.integers(0, g.n_users, 100_000), rng.integers(0, g.n_users, 100_000)
    return float(np.linalg.norm(xy[i] - xy[j], axis=1).mean()) / friends


def one(n: int, seed: int) -> dict:
    import networkit  # noqa: F401  (imports out of the timings)

    from sim.viz.layout import graph_layout

    g = _graph(n, seed)
    rss0 = peak_rss_mb()
    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        lay = graph_layout(g, seed=0, cache=Path(cache), progress=False)
        t_compute = time.perf_counter() - t0
        t1 = time.perf_counter()
        hit = graph_layout(g, seed=0, cache=Path(cache), progress=False)
        t_hit = time.perf_counter() - t1
    assert hit.cached and not lay.cached
    return {"graph": "Facebook" if n == 0 else "Barabási-Albert m=5", "users": g.n_users,
            "friendships": g.n_friendships, "seconds_compute": t_compute, "seconds_cache_hit": t_hit,
            "peak_rss_mb": peak_rss_mb(), "rss_before_layout_mb": rss0, "friend_distance_ratio": _ratio(g, lay.xy)}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[4039, 100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--facebook", action="store_true")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one is not None:
        print(json.dumps(one(args.one, args.seed)))
        return {}
    load0 = load_average()
    rows = []
    for n in ([0] if args.facebook else []) + args.sizes:
        reps = [in_subprocess(Path(__file__), ["--one", str(n), "--seed", str(args.seed)]) for _ in range(args.repeat)]
        row = {k: (median([r[k] for r in reps]) if isinstance(reps[0][k], float) else reps[0][k]) for k in reps[0]}
        row["seconds_compute_all"] = [r["seconds_compute"] for r in reps]
        rows.append(row)
        print(f"{row['graph']} {row['users']:>10,} users: layout {row['seconds_compute']:.1f} s, "
              f"cache hit {row['seconds_cache_hit'] * 1000:.0f} ms, peak RSS {row['peak_rss_mb']:.0f} MB", flush=True)
    table = md_table(
        ["graph", "users", "friendships", "layout s", "cache hit s", "peak RSS MB", "RSS for the layout MB",
         "friends' distance ratio"],
        [[r["graph"], r["users"], r["friendships"], r["seconds_compute"], r["seconds_cache_hit"], r["peak_rss_mb"],
          r["peak_rss_mb"] - r["rss_before_layout_mb"], r["friend_distance_ratio"]] for r in rows])
    md = write("layout_speed", rows, table, load_before=load0)
    print(md.read_text())
    return {"rows": rows}


if __name__ == "__main__":
    main()
