"""Benchmark 3: the independent-cascade mode against cynetdiff and NDlib, per cascade.

    python benchmarks/ic_peers.py [--cascades 1000 300] [--ndlib-cascades 5]

On Barabási-Albert graphs of 100,000 and 1,000,000 users (m = 5, numpy generator, one
seeded graph per size) with p = 0.05 per friendship and 50 seeds, every library runs
cascades from the same seed sets (drawn once per size). Per-cascade wall time excludes
graph construction and each library's one-off set-up, which is reported apart:

- giftsim: :func:`sim.model.ic.simulate_ic` on the CSR arrays (set-up: the CSR build from
  clean edges, which a run has anyway);
- cynetdiff (compiled C++): ``IndependentCascadeModel`` on the same CSR arrays (set-up:
  converting them to ``array('I')`` and building the model); per cascade ``set_seeds``,
  ``reset_model`` and ``advance_until_completion``;
- NDlib (pure Python over networkx): ``IndependentCascadesModel`` with the threshold p on
  every edge (set-up: the networkx graph and the per-edge configuration); per cascade
  ``reset(seeds)`` and ``iteration`` until nobody is infected. NDlib needs seconds per
  cascade, so it runs only at 100,000 users and on the first ``--ndlib-cascades`` seed
  sets, which makes its mean size a rough check only.

giftsim and cynetdiff alternate cascade by cascade (after three warm-up cascades each,
not timed), so that the machine's load affects both alike; the ratio is of mean times
measured in this one run. Final sizes are checked to agree: paired t-test on the same
seed sets (giftsim - cynetdiff) and, for NDlib, the paired mean difference against its
standard error.

NDlib and ``six`` (which NDlib imports without declaring it) come with the ``bench``
extra: ``pip install -e .[bench]``.
"""

from __future__ import annotations

import argparse
import array
import importlib.util
import time

import numpy as np
from common import load_average, md_table, write
from scipy import stats

SIZES = (100_000, 1_000_000)
P = 0.05
SEEDS = 50
M = 5


def _graph(n: int, seed: int):
    from sim.graph.csr import clean_edges, to_csr
    from sim.graph.fast import barabasi_albert_edges

    u, v = barabasi_albert_edges(n, M, rng=np.random.default_rng(seed))
    edges = clean_edges(u, v, n_users=n, relabel=False)
    t0 = time.perf_counter()
    g = to_csr(edges, np.ones(edges.a.size))
    return edges, g, time.perf_counter() - t0


def _cynetdiff(g, rng):
    from cynetdiff.models import IndependentCascadeModel

    t0 = time.perf_counter()
    model = IndependentCascadeModel(
        array.array("I", g.indptr[:-1].astype(np.uint32).tobytes()),
        array.array("I", g.indices.astype(np.uint32).tobytes()),
        activation_prob=P, rng=rng,
    )
    return model, time.perf_counter() - t0


def _cyn_cascade(model, seeds) -> int:
    model.set_seeds([int(x) for x in seeds])
    model.reset_model()
    model.advance_until_completion()
    return int(model.get_num_activated_nodes())


def _ndlib(edges, n: int, seed: int):
    import ndlib.models.epidemics as ep
    import ndlib.models.ModelConfig as mc
    import networkx as nx

    t0 = time.perf_counter()
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(edges.a.tolist(), edges.b.tolist()))
    model = ep.IndependentCascadesModel(g, seed=seed)  # NDlib seeds numpy's global generator
    cfg = mc.Configuration()
    for e in g.edges():
        cfg.add_edge_configuration("threshold", e, P)
    cfg.add_model_initial_configuration("Infected", [0])
    model.set_initial_status(cfg)
    return model, time.perf_counter() - t0


def _nd_cascade(model, seeds) -> int:
    model.reset([int(x) for x in seeds])
    while True:
        r = model.iteration(node_status=False)
        if model.actual_iteration > 1 and r["node_count"][1] == 0:
            return int(r["node_count"][2])


def bench_size(n: int, cascades: int, nd_cascades: int, seed: int) -> dict:
    from sim.model.ic import simulate_ic

    ss = np.random.SeedSequence([seed, n])
    g_ss, s_ss, ours_ss, cyn_ss = ss.spawn(4)
    edges, g, t_csr = _graph(n, int(g_ss.generate_state(1)[0]))
    srng = np.random.default_rng(s_ss)
    seed_sets = [np.sort(srng.choice(n, size=SEEDS, replace=False)) for _ in range(cascades + 3)]
    rng = np.random.default_rng(ours_ss)
    cyn, t_cyn_setup = _cynetdiff(g, np.random.default_rng(cyn_ss))
    for s in seed_sets[:3]:  # warm-up, not timed
        simulate_ic(g.indptr, g.indices, s, P, rng)
        _cyn_cascade(cyn, s)
    ours_t, cyn_t, ours_n, cyn_n = [], [], [], []
    for s in seed_sets[3:]:
        t0 = time.perf_counter()
        ours_n.append(simulate_ic(g.indptr, g.indices, s, P, rng).size)
        t1 = time.perf_counter()
        cyn_n.append(_cyn_cascade(cyn, s))
        t2 = time.perf_counter()
        ours_t.append(t1 - t0)
        cyn_t.append(t2 - t1)
    ours_n, cyn_n = np.array(ours_n), np.array(cyn_n)
    paired = stats.ttest_rel(ours_n, cyn_n)
    row = {
        "users": n, "friendships": g.n_friendships, "p": P, "seeds": SEEDS, "cascades": cascades,
        "giftsim_ms": 1e3 * float(np.mean(ours_t)), "giftsim_median_ms": 1e3 * float(np.median(ours_t)),
        "cynetdiff_ms": 1e3 * float(np.mean(cyn_t)), "cynetdiff_median_ms": 1e3 * float(np.median(cyn_t)),
        "ratio_giftsim_to_cynetdiff": float(np.mean(ours_t) / np.mean(cyn_t)),
        "ratio_medians": float(np.median(ours_t) / np.median(cyn_t)),
        "giftsim_setup_s": t_csr, "cynetdiff_setup_s": t_cyn_setup,
        "giftsim_mean_size": float(ours_n.mean()), "cynetdiff_mean_size": float(cyn_n.mean()),
        "giftsim_sd_size": float(ours_n.std(ddof=1)), "cynetdiff_sd_size": float(cyn_n.std(ddof=1)),
        "paired_t": float(paired.statistic), "paired_p": float(paired.pvalue),
    }
    if nd_cascades and importlib.util.find_spec("ndlib") is None:
        print("NDlib is not installed (pip install -e .[bench]): its column is left out", flush=True)
        nd_cascades = 0
    if nd_cascades:
        nd, t_nd_setup = _ndlib(edges, n, seed)
        nd_t, nd_n = [], []
        for s in seed_sets[3:3 + nd_cascades]:
            t0 = time.perf_counter()
            nd_n.append(_nd_cascade(nd, s))
            nd_t.append(time.perf_counter() - t0)
        nd_n = np.array(nd_n)
        diff = ours_n[:nd_cascades] - nd_n
        se = float(diff.std(ddof=1) / np.sqrt(nd_cascades)) if nd_cascades > 1 else float("nan")
        row.update({
            "ndlib_cascades": nd_cascades, "ndlib_ms": 1e3 * float(np.mean(nd_t)), "ndlib_setup_s": t_nd_setup,
            "ratio_ndlib_to_giftsim": float(np.mean(nd_t) / np.mean(ours_t)),
            "ndlib_mean_size": float(nd_n.mean()), "giftsim_mean_size_same_sets": float(ours_n[:nd_cascades].mean()),
            "ndlib_paired_diff": float(diff.mean()), "ndlib_paired_se": se,
        })
    return row


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    ap.add_argument("--cascades", type=int, nargs="+", default=[1000, 300], help="per size")
    ap.add_argument("--ndlib-cascades", type=int, default=5, help="at the smallest size only; 0 to skip")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args(argv)
    load0 = load_average()
    rows = []
    for i, n in enumerate(args.sizes):
        c = args.cascades[min(i, len(args.cascades) - 1)]
        row = bench_size(n, c, args.ndlib_cascades if i == 0 else 0, args.seed)
        rows.append(row)
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
    table = md_table(
        ["users", "cascades", "giftsim ms/cascade", "cynetdiff ms/cascade", "giftsim / cynetdiff",
         "NDlib ms/cascade (cascades)", "NDlib / giftsim", "mean final size: giftsim / cynetdiff / NDlib",
         "paired t (giftsim - cynetdiff), p"],
        [[r["users"], r["cascades"], r["giftsim_ms"], r["cynetdiff_ms"], r["ratio_giftsim_to_cynetdiff"],
          f"{r['ndlib_ms']:,.0f} ({r['ndlib_cascades']})" if "ndlib_ms" in r else "not run",
          f"{r['ratio_ndlib_to_giftsim']:,.0f}" if "ndlib_ms" in r else "",
          f"{r['giftsim_mean_size']:,.0f} / {r['cynetdiff_mean_size']:,.0f} / "
          + (f"{r['ndlib_mean_size']:,.0f} (giftsim {r['giftsim_mean_size_same_sets']:,.0f} on the same sets)"
             if "ndlib_ms" in r else "-"),
          f"{r['paired_t']:+.2f}, {r['paired_p']:.2f}"] for r in rows],
    )
    table += ["", "Set-up, once per graph (s):", ""]
    table += md_table(["users", "giftsim (CSR from clean edges)", "cynetdiff (arrays + model)",
                       "NDlib (networkx graph + per-edge config)"],
                      [[r["users"], r["giftsim_setup_s"], r["cynetdiff_setup_s"], r.get("ndlib_setup_s", "not run")]
                       for r in rows])
    md = write("ic_peers", rows, table, load_before=load0)
    print(md.read_text())
    return {"rows": rows}


if __name__ == "__main__":
    main()
