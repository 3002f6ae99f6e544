"""Benchmark: building the graph arrays of a large population without networkx, and their
memory per user and per friendship.

    python benchmarks/graph_io.py [--repeat 3]

- reading a 5,000,000-edge SNAP-style edge list (a Barabási-Albert graph of 10^6 users,
  m = 5, with node ids scattered over 0..10^9 and edges in random order, written once to
  ``benchmarks/out/edges_5m.txt``, about 99 MB) with :func:`sim.graph.io.read_edgelist`
  (parse, drop self-loops and duplicates, relabel), then the CSR arrays with tie strengths
  (:func:`sim.graph.csr.to_csr`);
- generating the same kind of graph in numpy (:func:`sim.graph.build_graph` with
  ``engine = "numpy"``: Batagelj-Brandes edges, clean-up, tie strengths, CSR).

Each measurement runs in a fresh process (peak RSS is its own); medians over
``--repeat``. Memory per friendship counts the arrays a run keeps: ``indices`` (int32)
and ``weights`` (float32) for both directions, and ``cum_weights`` (float64 per
direction) once friends are sampled.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from common import OUT, in_subprocess, load_average, md_table, median, peak_rss_mb, write

EDGES = OUT / "edges_5m.txt"


def make_file(path: Path = EDGES, n: int = 1_000_000, m: int = 5) -> Path:
    """Write the benchmark's edge list once (seeded)."""
    if path.exists():
        return path
    from sim.graph.fast import barabasi_albert_edges

    rng = np.random.default_rng(5_000_000)
    u, v = barabasi_albert_edges(n, m, rng=rng)
    ids = rng.choice(10**9, size=n, replace=False)
    order = rng.permutation(u.size)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    np.savetxt(tmp, np.c_[ids[u[order]], ids[v[order]]], fmt="%d")
    tmp.rename(path)
    return path


def one(task: str) -> dict:
    import sim.graph  # noqa: F401  (imports out of the timings)
    from sim.graph import build_graph
    from sim.graph.csr import to_csr
    from sim.graph.io import read_edgelist
    from sim.scenario.schema import Beta

    base = peak_rss_mb()
    if task == "read":
        t0 = time.perf_counter()
        edges = read_edgelist(EDGES)
        t_read = time.perf_counter() - t0
        rss_read = peak_rss_mb()
        t1 = time.perf_counter()
        tie = np.clip(Beta(a=2.0, b=5.0).sample(np.random.default_rng(1), edges.a.size), 1e-6, 1.0)
        g = to_csr(edges, tie)
        t_csr = time.perf_counter() - t1
        del edges, tie
    else:
        from common import scale_scenario

        sc = scale_scenario(1_000_000)
        t0 = time.perf_counter()
        g = build_graph(sc.graph, rng=np.random.default_rng(1))
        t_read, rss_read, t_csr = time.perf_counter() - t0, peak_rss_mb(), 0.0
    t2 = time.perf_counter()
    cw = g.cum_weights
    t_cw = time.perf_counter() - t2
    m = g.n_friendships
    return {
        "task": task, "users": g.n_users, "friendships": m, "seconds_parse_or_generate": t_read,
        "seconds_csr": t_csr, "seconds_cum_weights": t_cw, "seconds_total": t_read + t_csr + t_cw,
        "rss_base_mb": base, "peak_rss_first_phase_mb": rss_read, "peak_rss_mb": peak_rss_mb(),
        "peak_bytes_per_friendship": (peak_rss_mb() - base) * 2**20 / m,
        "kept_bytes_per_friendship": (g.indices.nbytes + g.weights.nbytes + cw.nbytes) / m,
        "kept_bytes_per_user": g.indptr.nbytes / g.n_users,
    }


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one)))
        return {}
    load0 = load_average()
    make_file()
    rows = []
    for task in ("read", "generate"):
        reps = [in_subprocess(Path(__file__), ["--one", task]) for _ in range(args.repeat)]
        rows.append({k: (median([r[k] for r in reps]) if isinstance(reps[0][k], float) else reps[0][k])
                     for k in reps[0]})
    names = {"read": "read 5M-edge list (ids up to 10^9) + CSR", "generate": "generate BA 10^6, m = 5 (numpy) + CSR"}
    table = md_table(
        ["task", "friendships", "parse / generate s", "CSR s", "cum. weights s", "total s", "peak RSS MB",
         "peak above base, bytes per friendship", "kept bytes per friendship", "kept bytes per user"],
        [[names[r["task"]], r["friendships"], r["seconds_parse_or_generate"], r["seconds_csr"],
          r["seconds_cum_weights"], r["seconds_total"], r["peak_rss_mb"], r["peak_bytes_per_friendship"],
          r["kept_bytes_per_friendship"], r["kept_bytes_per_user"]] for r in rows],
    )
    md = write("graph_io", rows, table, {"file": str(EDGES), "file_bytes": EDGES.stat().st_size},
               load_before=load0)
    print(md.read_text())
    return {"rows": rows}


if __name__ == "__main__":
    main()
