"""Benchmark 4: the vectorised engine against the per-agent Mesa reference model
(:mod:`sim.reference`) on the same rules and graph, as a time ratio.

    python benchmarks/reference.py [--sizes 10000 100000] [--engine-runs 7] [--reference-runs 2]

Scenarios: the default WeChat scenario on a Barabási-Albert graph (m = 5) of each size
with the merchant pool scaled with the population (``common.scale_scenario``), and the
default scenario itself on the ego-Facebook graph (4,039 users). Both models get the
same graph object; the default scenario has no push, induced sharing, chat entry or cash
gifts, so both run exactly the rules the reference implements. Set-up (users, traits,
merchants, friend lists) and the 58 steps are timed apart; seeds 0.. for each model;
medians over runs. Both models' mean gifts sent are shown as a sanity check (they agree
statistically: ``tests/reference/test_reference.py``).

A second table bounds the ratio any numpy engine of these rules could reach: the time
per step a 200x ratio allows, against the engine's cost per step with the same merchants
and only 100 users (the Python and numpy calls a step makes whatever the population) plus
numpy's bulk cost of the two draws every user needs each day (activity, and commercial
impressions for the active ones).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import WECHAT, load_average, md_table, median, scale_scenario, write


def _time(make, runs: int) -> tuple[list[float], list[float], list[float]]:
    inits, steps, gifts = [], [], []
    for seed in range(runs):
        t0 = time.perf_counter()
        m = make(seed)
        t1 = time.perf_counter()
        m.run()
        t2 = time.perf_counter()
        inits.append(t1 - t0)
        steps.append(t2 - t1)
        gifts.append(m.outcomes()["gifts_sent"] if hasattr(m, "outcomes") else len(m.ledger))
    return inits, steps, gifts


def bench(name: str, sc, graph, engine_runs: int, reference_runs: int) -> dict:
    from sim.model import GiftModel
    from sim.reference import ReferenceModel

    e_init, e_steps, e_gifts = _time(lambda s: GiftModel(sc, seed=s, graph=graph), engine_runs)
    r_init, r_steps, r_gifts = _time(lambda s: ReferenceModel(sc, seed=s, graph=graph), reference_runs)
    e_total = median([a + b for a, b in zip(e_init, e_steps)])
    r_total = median([a + b for a, b in zip(r_init, r_steps)])
    return {
        "scenario": name, "users": graph.n_users, "friendships": graph.n_friendships,
        "merchants": sc.merchants.brand.count + sc.merchants.sme.count + sc.merchants.white_label.count,
        "engine_runs": engine_runs, "reference_runs": reference_runs,
        "engine_setup_s": median(e_init), "engine_steps_s": median(e_steps), "engine_total_s": e_total,
        "reference_setup_s": median(r_init), "reference_steps_s": median(r_steps), "reference_total_s": r_total,
        "ratio_steps": median(r_steps) / median(e_steps), "ratio_total": r_total / e_total,
        "engine_mean_gifts": float(np.mean(e_gifts)), "reference_mean_gifts": float(np.mean(r_gifts)),
    }


def floor(sc, graph, ref_steps_s: float, repeat: int = 200) -> dict:
    """What a 200x ratio allows per step on ``graph``, against the cost per step no
    numpy engine of these rules can avoid (see the module docstring)."""
    import timeit

    from sim.graph import build_graph
    from sim.model import GiftModel
    from sim.scenario import with_overrides

    small = with_overrides(sc, [("graph", {"kind": "barabasi_albert", "n": 100, "m": 5})])
    g100 = build_graph(small.graph, rng=np.random.default_rng(1))
    fixed = []
    for seed in range(5):
        m = GiftModel(small, seed=seed, graph=g100)
        t0 = time.perf_counter()
        m.run()
        fixed.append((time.perf_counter() - t0) / m.n_steps)
    rng = np.random.default_rng(0)
    n = graph.n_users
    k = int(GiftModel(sc, seed=0, graph=graph).population.activity.sum())  # expected active users
    lam = sc.population.feed_impressions * sc.policy.commercial_share
    activity = timeit.timeit(lambda: rng.random(n), number=repeat) / repeat
    impressions = timeit.timeit(lambda: rng.poisson(lam, k), number=repeat) / repeat
    budget = ref_steps_s / sc.time.n_steps / 200
    lower = median(fixed) + activity + impressions
    return {"users": n, "reference_step_us": ref_steps_s / sc.time.n_steps * 1e6, "budget_200x_us": budget * 1e6,
            "engine_fixed_step_us": median(fixed) * 1e6, "activity_draw_us": activity * 1e6,
            "impression_draw_us": impressions * 1e6, "engine_lower_bound_us": lower * 1e6,
            "ratio_ceiling": ref_steps_s / sc.time.n_steps / lower}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--engine-runs", type=int, default=7)
    ap.add_argument("--reference-runs", type=int, default=2)
    args = ap.parse_args(argv)
    load0 = load_average()
    from sim import load_scenario
    from sim.graph import build_graph

    rows, floors = [], []
    for n in args.sizes:
        sc = scale_scenario(n)
        graph = build_graph(sc.graph, rng=np.random.default_rng(1))
        rows.append(bench(f"wechat_gift_launch on BA {n:,}, m = 5", sc, graph, args.engine_runs, args.reference_runs))
        floors.append(floor(sc, graph, rows[-1]["reference_steps_s"]))
        print(rows[-1], floors[-1], flush=True)
    sc = load_scenario(WECHAT)
    graph = build_graph(sc.graph, rng=np.random.default_rng(1))
    rows.append(bench("wechat_gift_launch (ego-Facebook)", sc, graph, args.engine_runs, args.reference_runs))
    print(rows[-1], flush=True)
    table = md_table(
        ["scenario", "users", "engine set-up s", "engine 58 steps s", "reference set-up s", "reference 58 steps s",
         "ratio (steps)", "ratio (set-up + steps)", "mean gifts: engine / reference"],
        [[r["scenario"], r["users"], r["engine_setup_s"], r["engine_steps_s"], r["reference_setup_s"],
          r["reference_steps_s"], r["ratio_steps"], r["ratio_total"],
          f"{r['engine_mean_gifts']:,.0f} / {r['reference_mean_gifts']:,.0f}"] for r in rows],
    )
    table += ["", *md_table(
        ["users", "reference µs per step", "200x allows µs per step", "engine with 100 users µs per step",
         "activity draw µs", "impression draw µs", "numpy lower bound µs", "ratio ceiling"],
        [[f["users"], f["reference_step_us"], f["budget_200x_us"], f["engine_fixed_step_us"],
          f["activity_draw_us"], f["impression_draw_us"], f["engine_lower_bound_us"], f["ratio_ceiling"]]
         for f in floors],
    )]
    md = write("reference", rows, table, {"floors": floors}, load_before=load0)
    print(md.read_text())
    return {"rows": rows, "floors": floors}


if __name__ == "__main__":
    main()
