"""Where a 10^6-user gift run spends its time: wall time per sub-step of
``GiftModel.step`` and the functions with the most own time (cProfile).

    python benchmarks/profile_run.py [--users 1000000] [--repeat 3] [--end 2027-12-31] [--merchants default]
                                     [--set key=json ...]

The scaled default scenario (``common.scale_scenario``; 58 days; ``--end`` for a longer
run, ``--merchants default`` for the scenario's own merchant pool, ``--set`` for overrides, as ``long_run.py``).
Sub-step times are
medians over ``--repeat`` runs timed with ``perf_counter`` around each sub-step (cheap,
unlike a profiler), plus the run's tables and summary (``sim.run`` after the last step); the
cProfile table comes from one more run (through ``sim.run``, tables included) and inflates
Python-heavy code (merchant agents) relative to numpy calls.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import pstats
import time

import numpy as np
from common import load_average, md_table, median, scale_scenario, write

SUBSTEPS = ("begin_step", "draw_activity", "settle_gifts", "allocate_traffic", "birthday_gifts", "send_gifts",
            "group_gifts", "update_annoyance", "update_merchants", "record")


def timed_run(sc, graph, seed: int) -> dict[str, float]:
    from sim.model import GiftModel
    from sim.runner import collect

    model = GiftModel(sc, seed=seed, graph=graph)
    acc: dict[str, float] = collections.Counter()
    for name in SUBSTEPS:
        method = getattr(model, name)

        def wrapper(*a, _m=method, _n=name, **k):
            t0, c0 = time.perf_counter(), time.process_time()
            out = _m(*a, **k)
            acc[_n] += time.perf_counter() - t0
            acc["cpu " + _n] += time.process_time() - c0
            return out

        setattr(model, name, wrapper)
    t0, c0 = time.perf_counter(), time.process_time()
    model.run()
    acc["all steps"] = time.perf_counter() - t0
    acc["cpu all steps"] = time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    collect(model, wall_seconds=0.0)
    acc["tables and summary"] = time.perf_counter() - t0
    acc["cpu tables and summary"] = time.process_time() - c0
    return dict(acc)


def traffic_anatomy(n: int, repeat: int = 5) -> list[dict]:
    """The whole-population operations of ``allocate_traffic`` and ``draw_activity`` timed
    alone on arrays of a run's size (0.9 of users active, 0.5 impressions each)."""
    rng = np.random.default_rng(0)
    activity = np.full(n, 0.9)
    active = rng.random(n) < activity
    muted = np.zeros(n, dtype=bool)
    annoyance = np.zeros(n)
    users = np.flatnonzero(active)
    k = rng.poisson(0.5, users.size)
    ops = {
        "activity draw: rng.random(n) < activity": lambda: rng.random(n) < activity,
        "active, unmuted users: flatnonzero(active & ~muted)": lambda: np.flatnonzero(active & ~muted),
        "impressions: rng.poisson(0.5, active users)": lambda: rng.poisson(0.5, users.size),
        "annoyance[users] += k * ad_annoyance": lambda: annoyance.__setitem__(users, annoyance[users] + k * 0.01),
        "slot owners: cumsum(k)": lambda: np.cumsum(k),
        "mute check: ~muted & (annoyance >= threshold)": lambda: ~muted & (annoyance >= activity),
        "annoyance decay: annoyance *= factor": lambda: annoyance.__imul__(0.9),
    }
    out = []
    for name, fn in ops.items():
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        out.append({"operation": name, "ms": 1e3 * median(times)})
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--end", default=None, help="time.end, ISO date (default: the scenario's)")
    ap.add_argument("--merchants", choices=("default", "scaled"), default="scaled")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=JSON", help="extra scenario override")
    args = ap.parse_args(argv)
    load0 = load_average()
    from sim import run as sim_run
    from sim.graph import build_graph

    sc = scale_scenario(args.users)
    if args.end or args.merchants == "default" or args.set:
        from long_run import scenario

        sc = scenario(args.users, args.end or sc.time.end.isoformat(), args.merchants, args.set)
    graph = build_graph(sc.graph, rng=np.random.default_rng(1))
    _ = graph.cum_weights  # built lazily on the first gift; counted with the graph here
    runs = [timed_run(sc, graph, seed) for seed in range(1, args.repeat + 1)]
    sub = {k: median([r[k] for r in runs]) for k in runs[0]}
    total = sub["all steps"]
    prof = cProfile.Profile()
    prof.enable()
    sim_run(sc, 99, graph=graph)
    prof.disable()
    st = pstats.Stats(prof, stream=io.StringIO())
    top = sorted(st.stats.items(), key=lambda kv: -kv[1][2])[:15]  # by own time
    prof_total = sum(v[2] for v in st.stats.values())
    funcs = [{"function": f"{k[2]} ({k[0].split('/')[-1]}:{k[1]})", "calls": v[1], "own_s": v[2],
              "share": v[2] / prof_total} for k, v in top]
    rows = [{"substep": k, "seconds": v, "share": v / total, "per_step_ms": 1e3 * v / sc.time.n_steps,
             "cpu_seconds": sub["cpu " + k], "cpu_per_step_ms": 1e3 * sub["cpu " + k] / sc.time.n_steps}
            for k, v in sorted(sub.items(), key=lambda kv: -kv[1]) if not k.startswith("cpu ")]
    table = [f"{args.users:,} users, {graph.n_friendships:,} friendships, {sc.time.n_steps} steps; "
             f"medians of {args.repeat} runs", ""]
    table += md_table(["sub-step", "s per run", "share of steps", "ms per step", "CPU ms per step"],
                      [[r["substep"], r["seconds"], f"{100 * r['share']:.0f}%", r["per_step_ms"], r["cpu_per_step_ms"]]
                       for r in rows])
    table += ["", f"cProfile, own time (one run, {prof_total:.2f} s under the profiler):", ""]
    table += md_table(["function", "calls", "own s", "share"],
                      [[f["function"], f["calls"], f["own_s"], f"{100 * f['share']:.0f}%"] for f in funcs])
    anatomy = traffic_anatomy(args.users)
    table += ["", f"Whole-population operations per step, timed alone on {args.users:,} users (medians of 5):", ""]
    table += md_table(["operation", "ms per step"], [[a["operation"], a["ms"]] for a in anatomy])
    md = write("profile_run", rows, table, {"functions": funcs, "anatomy": anatomy}, load_before=load0)
    print(md.read_text())
    return {"rows": rows}


if __name__ == "__main__":
    main()
