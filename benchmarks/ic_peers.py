"""Benchmark 3: the independent-cascade mode, as a user runs it, against cynetdiff and NDlib.

    python benchmarks/ic_peers.py [--cascades 1000 300] [--ndlib-cascades 5]

On Barabási-Albert graphs of 100,000 and 1,000,000 users (m = 5, the scenario's
``graph`` table with the numpy generator, built once per size) with p = 0.05 per
friendship and 50 seeds, each cascade is run by:

- giftsim, the mode (the public path): a scenario with ``mode = { kind =
  "independent_cascade", p = 0.05, seeds = 50 }``; per cascade
  ``sim.model.make_model(scenario, seed=i, graph=graph)`` (set-up, timed apart: the
  population arrays, calendar and recorder, and the 50 seeds the run's generator draws),
  then ``model.step()`` until ``model.running`` is false, as ``sim.run`` does (timed: the
  headline per-cascade time). ``sim.runner.collect`` (the run's tables and summary, O(users)
  once per run) is timed apart on every tenth cascade;
- giftsim, the bare loop: :func:`sim.model.ic.simulate_ic` on the CSR arrays from the
  same seeds (the validation's replicates; no model bookkeeping);
- cynetdiff (compiled C++): ``IndependentCascadeModel`` on the same CSR arrays (set-up:
  converting them to ``array('I')`` and building the model, once); per cascade
  ``set_seeds``, ``reset_model`` and ``advance_until_completion`` from the mode's seeds;
- NDlib (pure Python over networkx): ``IndependentCascadesModel`` with the threshold p on
  every edge (set-up: the networkx graph and the per-edge configuration); per cascade
  ``reset(seeds)`` and ``iteration`` until nobody is infected. NDlib needs seconds per
  cascade, so it runs only at 100,000 users and on the first ``--ndlib-cascades`` seed
  sets, which makes its mean size a rough check only.

The three timed giftsim/cynetdiff runs of a seed set follow each other in one process, in
an order that rotates from one cascade to the next, after three warm-up cascades each
(not timed), so that the machine's load affects all alike. The table gives medians (and
means) per cascade and the ratio of the medians. Final sizes are checked to agree:
paired t-test on the same seed sets (mode - cynetdiff) and, for NDlib, the paired mean
difference against its standard error.

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


def _scenario(n: int):
    from sim.scenario import validate_scenario

    return validate_scenario({
        "name": f"ic_peers_{n}",
        "graph": {"kind": "barabasi_albert", "n": n, "m": M, "engine": "numpy"},
        "mode": {"kind": "independent_cascade", "p": P, "seeds": SEEDS},
        "time": {"start": "2025-01-01", "end": "2025-12-31"},  # up to 365 generations
    }, "<ic_peers>")


def _graph(scenario, seed: int):
    from sim.graph import build_graph

    t0 = time.perf_counter()
    g = build_graph(scenario.graph, rng=np.random.default_rng(seed))
    return g, time.perf_counter() - t0


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


def _ndlib(csr, seed: int):
    import ndlib.models.epidemics as ep
    import ndlib.models.ModelConfig as mc

    t0 = time.perf_counter()
    g = csr.to_networkx()
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


def _ms(xs: list[float]) -> tuple[float, float]:
    """Median and mean of times in seconds, as ms."""
    return 1e3 * float(np.median(xs)), 1e3 * float(np.mean(xs))


def bench_size(n: int, cascades: int, nd_cascades: int, seed: int) -> dict:
    from sim.model import make_model
    from sim.model.ic import simulate_ic
    from sim.runner import collect

    ss = np.random.SeedSequence([seed, n])
    g_ss, run_ss, loop_ss, cyn_ss = ss.spawn(4)
    scenario = _scenario(n)
    g, t_graph = _graph(scenario, int(g_ss.generate_state(1)[0]))
    run_seeds = [int(x) for x in np.random.default_rng(run_ss).integers(0, 2**31, size=cascades + 3)]
    loop_rng = np.random.default_rng(loop_ss)
    cyn, t_cyn_setup = _cynetdiff(g, np.random.default_rng(cyn_ss))
    load0 = load_average()
    times: dict[str, list[float]] = {"setup": [], "mode": [], "loop": [], "cyn": [], "tables": []}
    sizes: dict[str, list[int]] = {"mode": [], "loop": [], "cyn": []}
    generations, seed_sets = [], []
    for i, run_seed in enumerate(run_seeds):
        t0 = time.perf_counter()
        model = make_model(scenario, seed=run_seed, graph=g)
        t_setup = time.perf_counter() - t0
        seeds = model.frontier.copy()  # the 50 seeds the run drew

        def mode(model=model) -> int:
            while model.running:
                model.step()
            return model.n_adopted

        def loop(seeds=seeds) -> int:
            return simulate_ic(g.indptr, g.indices, seeds, P, loop_rng).size

        def cyn_cascade(seeds=seeds) -> int:
            return _cyn_cascade(cyn, seeds)

        jobs = [("mode", mode), ("loop", loop), ("cyn", cyn_cascade)]
        for name, job in jobs[i % 3:] + jobs[:i % 3]:  # rotate the order
            t0 = time.perf_counter()
            size = job()
            dt = time.perf_counter() - t0
            if i >= 3:  # the first three are warm-up
                times[name].append(dt)
                sizes[name].append(size)
        if i >= 3:
            times["setup"].append(t_setup)
            generations.append(model.step_index)
            seed_sets.append(seeds)
            if i % 10 == 3:
                t0 = time.perf_counter()
                collect(model)
                times["tables"].append(time.perf_counter() - t0)
    mode_n, loop_n, cyn_n = (np.array(sizes[k]) for k in ("mode", "loop", "cyn"))
    paired = stats.ttest_rel(mode_n, cyn_n)
    (mode_med, mode_mean), (loop_med, loop_mean), (cyn_med, cyn_mean) = (_ms(times[k]) for k in ("mode", "loop", "cyn"))
    row = {
        "users": n, "friendships": g.n_friendships, "p": P, "seeds": SEEDS, "cascades": cascades,
        "mode_median_ms": mode_med, "mode_ms": mode_mean,
        "simulate_ic_median_ms": loop_med, "simulate_ic_ms": loop_mean,
        "cynetdiff_median_ms": cyn_med, "cynetdiff_ms": cyn_mean,
        "ratio_mode_to_cynetdiff": mode_med / cyn_med, "ratio_mode_to_cynetdiff_means": mode_mean / cyn_mean,
        "ratio_simulate_ic_to_cynetdiff": loop_med / cyn_med,
        "mode_setup_median_ms": _ms(times["setup"])[0], "tables_median_ms": _ms(times["tables"])[0],
        "graph_s": t_graph, "cynetdiff_setup_s": t_cyn_setup,
        "median_generations": float(np.median(generations)),
        "mode_mean_size": float(mode_n.mean()), "simulate_ic_mean_size": float(loop_n.mean()),
        "cynetdiff_mean_size": float(cyn_n.mean()),
        "mode_sd_size": float(mode_n.std(ddof=1)), "cynetdiff_sd_size": float(cyn_n.std(ddof=1)),
        "paired_t": float(paired.statistic), "paired_p": float(paired.pvalue),
        "load_before": load0, "load_after": load_average(),
    }
    if nd_cascades and importlib.util.find_spec("ndlib") is None:
        print("NDlib is not installed (pip install -e .[bench]): its column is left out", flush=True)
        nd_cascades = 0
    if nd_cascades:
        nd, t_nd_setup = _ndlib(g, seed)
        nd_t, nd_n = [], []
        for s in seed_sets[:nd_cascades]:
            t0 = time.perf_counter()
            nd_n.append(_nd_cascade(nd, s))
            nd_t.append(time.perf_counter() - t0)
        nd_n = np.array(nd_n)
        diff = mode_n[:nd_cascades] - nd_n
        se = float(diff.std(ddof=1) / np.sqrt(nd_cascades)) if nd_cascades > 1 else float("nan")
        row.update({
            "ndlib_cascades": nd_cascades, "ndlib_ms": 1e3 * float(np.mean(nd_t)), "ndlib_setup_s": t_nd_setup,
            "ratio_ndlib_to_mode": 1e3 * float(np.mean(nd_t)) / mode_mean,
            "ndlib_mean_size": float(nd_n.mean()), "mode_mean_size_same_sets": float(mode_n[:nd_cascades].mean()),
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
        ["users", "cascades (median generations)", "mode: steps, ms/cascade", "cynetdiff ms/cascade",
         "mode / cynetdiff", "simulate_ic ms/cascade (/ cynetdiff)", "mode: set-up ms", "mode: tables ms",
         "mean final size: mode / cynetdiff", "paired t (mode - cynetdiff), p", "load average"],
        [[r["users"], f"{r['cascades']:,} ({r['median_generations']:.0f})",
          f"**{r['mode_median_ms']:.2f}** ({r['mode_ms']:.2f})",
          f"**{r['cynetdiff_median_ms']:.2f}** ({r['cynetdiff_ms']:.2f})",
          f"**{r['ratio_mode_to_cynetdiff']:.2f}** ({r['ratio_mode_to_cynetdiff_means']:.2f})",
          f"{r['simulate_ic_median_ms']:.2f} ({r['ratio_simulate_ic_to_cynetdiff']:.2f})",
          r["mode_setup_median_ms"], r["tables_median_ms"],
          f"{r['mode_mean_size']:,.0f} / {r['cynetdiff_mean_size']:,.0f}",
          f"{r['paired_t']:+.2f}, {r['paired_p']:.2f}", f"{r['load_before']:.1f}-{r['load_after']:.1f}"]
         for r in rows],
    )
    table += ["", "Times are medians per cascade (means in brackets). Once per graph (s):", ""]
    table += md_table(["users", "graph (build_graph)", "cynetdiff (arrays + model)",
                       "NDlib (networkx graph + per-edge config)"],
                      [[r["users"], r["graph_s"], r["cynetdiff_setup_s"], r.get("ndlib_setup_s", "not run")]
                       for r in rows])
    nd = [r for r in rows if "ndlib_ms" in r]
    if nd:
        table += ["", "NDlib, on the first seed sets only:", ""]
        table += md_table(["users", "cascades", "NDlib ms/cascade", "NDlib / mode (means)",
                           "mean final size: NDlib / mode on the same sets", "paired difference (SE)"],
                          [[r["users"], r["ndlib_cascades"], r["ndlib_ms"], r["ratio_ndlib_to_mode"],
                            f"{r['ndlib_mean_size']:,.0f} / {r['mode_mean_size_same_sets']:,.0f}",
                            f"{r['ndlib_paired_diff']:+,.0f} ({r['ndlib_paired_se']:,.0f})"] for r in nd])
    md = write("ic_peers", rows, table, load_before=load0)
    print(md.read_text())
    return {"rows": rows}


if __name__ == "__main__":
    main()
