"""What Mesa's DataCollector costs a run: the default WeChat scenario's 58 steps with
``model.datacollector`` collecting every step (giftsim's ``SeriesCollector``), against the
same runs with collecting switched off, and one ``collect`` call of the SeriesCollector
against Mesa's own ``DataCollector`` with the same reporters.

    python benchmarks/mesa_collect.py [--runs 9]

Model-only time (``GiftModel.run()`` after the model is built), seeds 0..runs-1, the two
variants alternated; medians. Reading the collected table once at the end
(``get_model_vars_dataframe()``, which fills in the values from the recorder) is timed too.
"""

from __future__ import annotations

import argparse
import time
import timeit

from common import WECHAT, load_average, md_table, median, write


def _run(sc, seed: int, collect: bool) -> tuple[float, float]:
    from sim.model import GiftModel

    model = GiftModel(sc, seed=seed)
    if not collect:
        model.datacollector.collect = lambda m: None
    t0 = time.perf_counter()
    model.run()
    t1 = time.perf_counter()
    if collect:
        model.datacollector.get_model_vars_dataframe()
    return t1 - t0, time.perf_counter() - t1


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args(argv)
    load0 = load_average()
    import mesa

    from sim import load_scenario
    from sim.model import GiftModel

    sc = load_scenario(WECHAT)
    _run(sc, 0, True)  # reads the edge list once
    on, off, read = [], [], []
    for seed in range(args.runs):
        t, r = _run(sc, seed, True)
        on.append(t)
        read.append(r)
        off.append(_run(sc, seed, False)[0])
    model = GiftModel(sc, seed=0)
    model.run()
    mesa_dc = mesa.DataCollector(model_reporters=model.datacollector.own_reporters)
    ours = timeit.timeit(lambda: model.datacollector.collect(model), number=20_000) / 20_000
    theirs = timeit.timeit(lambda: mesa_dc.collect(model), number=2_000) / 2_000
    row = {"runs": args.runs, "steps": model.n_steps, "model_s_collecting": median(on), "model_s_not": median(off),
           "read_table_s": median(read), "collect_us_series_collector": ours * 1e6,
           "collect_us_mesa_datacollector": theirs * 1e6}
    table = md_table(
        ["run (58 steps)", "model only s, collecting", "not collecting", "reading the table s",
         "collect, SeriesCollector µs", "collect, mesa.DataCollector µs"],
        [["wechat_gift_launch", row["model_s_collecting"], row["model_s_not"], row["read_table_s"],
          row["collect_us_series_collector"], row["collect_us_mesa_datacollector"]]])
    md = write("mesa_collect", [row], table, load_before=load0)
    print(md.read_text())
    return row


if __name__ == "__main__":
    main()
