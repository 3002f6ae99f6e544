"""Benchmark: the explorer's whole-graph raster view (sim.viz.raster_view.GraphRaster) at 10^5
and 10^6 users: compiling datashader's loops, the friendship layer of a window (once per
window and size), a frame (the users' states over a cached layer), a zoomed window, hover
lookups, and the memory the pictures take.

    python benchmarks/raster_speed.py [--repeat 5] [--size 800]

Graphs are Watts-Strogatz rings (numpy generator, seeded) drawn as their ring (user i at
angle 2 pi i / n, radius uniform in [0.3, 0.45]): most friendships are short, as in a force
layout, and 0.2% are rewired across the ring. One case puts the users at uniform random
positions instead: every friendship is a long line, the worst case for the friendship layer.
Each case runs in a fresh process (its own peak memory); medians over ``--repeat`` frames.
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc
from pathlib import Path

import numpy as np
from common import in_subprocess, load_average, md_table, median, peak_rss_mb, write

CASES = {
    "1e5-k6-ring": (100_000, 6, "ring"),
    "1e6-k6-ring": (1_000_000, 6, "ring"),
    "1e6-k20-ring": (1_000_000, 20, "ring"),
    "1e6-k10-random": (1_000_000, 10, "random"),
}


def _graph_and_xy(n: int, k: int, layout: str):
    from sim.graph import clean_edges, to_csr
    from sim.graph.fast import watts_strogatz_edges

    rng = np.random.default_rng(n + k)
    u, v = watts_strogatz_edges(n, k, 0.002, rng=rng)
    e = clean_edges(u, v, n_users=n, relabel=False)
    g = to_csr(e, np.ones(e.a.size))
    if layout == "ring":
        a = 2.0 * np.pi * np.arange(n) / n
        r = 0.3 + 0.15 * rng.random(n)
        xy = np.column_stack([0.5 + r * np.cos(a), 0.5 + r * np.sin(a)])
    else:
        xy = rng.random((n, 2))
    return g, xy


def one(case: str, repeat: int, size: int) -> dict:
    from sim.viz.raster_view import EDGE_CHUNK, GraphRaster

    n, k, layout = CASES[case]
    g, xy = _graph_and_xy(n, k, layout)
    rss_graph = peak_rss_mb()
    t0 = time.perf_counter()
    r = GraphRaster(g, xy)
    t_init = time.perf_counter() - t0
    t_warm = r.warm_up()
    rng = np.random.default_rng(1)
    states = rng.integers(0, 6, n).astype(np.int8)
    tracemalloc.start()
    first = r.render(states, None, size, size)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    frames = [r.render(rng.integers(0, 6, n).astype(np.int8), None, size, size).seconds for _ in range(repeat)]
    x0, x1, y0, y1 = r.full(size, size)
    w = (x1 - x0) / 16
    window = (0.85 - w / 2, 0.85 + w / 2, 0.5 - w / 2, 0.5 + w / 2)  # a 16x zoom on the ring's right side
    zoom_first = r.render(states, window, size, size)
    zoom_frames = [r.render(states, window, size, size).seconds for _ in range(repeat)]
    t1 = time.perf_counter()
    r.nearest(0.85, 0.5, 1e-3)
    t_tree = time.perf_counter() - t1
    pts = rng.random((200, 2))
    t2 = time.perf_counter()
    for x, y in pts:
        r.nearest(float(x), float(y), 1e-3)
    t_hover = (time.perf_counter() - t2) / len(pts)
    return {
        "case": case, "users": n, "friendships": g.n_friendships, "layout": layout, "size_px": size,
        "seconds_init": t_init, "seconds_compile": t_warm, "seconds_first_full": first.seconds,
        "seconds_frame_full": median(frames), "seconds_first_zoom16": zoom_first.seconds,
        "seconds_frame_zoom16": median(zoom_frames), "users_in_zoom16": zoom_first.users_drawn,
        "seconds_kdtree": t_tree, "ms_hover": t_hover * 1000, "image_kb_full": len(first.image) / 1024,
        "traced_peak_mb_first_full": traced_peak / 2**20, "rss_after_graph_mb": rss_graph,
        "peak_rss_mb": peak_rss_mb(), "edge_chunk": EDGE_CHUNK,
        "unchunked_segment_columns_mb": 32 * g.n_friendships / 2**20,
    }


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--size", type=int, default=800)
    ap.add_argument("--cases", nargs="*", default=list(CASES))
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one, args.repeat, args.size)))
        return {}
    load0 = load_average()
    rows = [in_subprocess(Path(__file__), ["--one", c, "--repeat", str(args.repeat), "--size", str(args.size)])
            for c in args.cases]
    table = md_table(
        ["case", "users", "friendships", "compile s", "first full view s", "frame s", "first 16x zoom s",
         "16x frame s", "k-d tree s", "hover ms", "WebP KB", "traced peak MB (first view)", "RSS after graph MB",
         "peak RSS MB"],
        [[r["case"], r["users"], r["friendships"], r["seconds_compile"], r["seconds_first_full"],
          r["seconds_frame_full"], r["seconds_first_zoom16"], r["seconds_frame_zoom16"], r["seconds_kdtree"],
          r["ms_hover"], r["image_kb_full"], r["traced_peak_mb_first_full"], r["rss_after_graph_mb"],
          r["peak_rss_mb"]] for r in rows],
    )
    md = write("raster_speed", rows, table, load_before=load0)
    print(md.read_text())
    return {"rows": rows}


if __name__ == "__main__":
    main()
