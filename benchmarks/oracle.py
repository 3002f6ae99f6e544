"""The oracle comparison of ``tests/reference/test_reference.py`` as tables: engine against the
per-agent reference on every tested outcome, and against two deliberately wrong
references (send probability x 1.1, acceptance probability x 0.9).

    python benchmarks/oracle.py [--replicates 60]

Same scenario, graph, seeds, test (Welch's t) and level (family-wise 0.001, Bonferroni
over 15 outcomes) as the test; this only prints what the test asserts.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import load_average, md_table, write


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replicates", type=int, default=60)
    args = ap.parse_args(argv)
    load0 = load_average()
    from sim.graph import build_graph
    from sim.reference import ReferenceModel, compare, replicate
    from sim.reference.oracle import TESTED_OUTCOMES, altered_rules, oracle_scenario

    n = args.replicates
    sc = oracle_scenario()
    graph = build_graph(sc.graph, rng=np.random.default_rng(11))
    t0 = time.perf_counter()
    engine = replicate(sc, graph, list(range(n)), reference=False)
    t_engine = time.perf_counter() - t0
    variants = {"reference (the same rules)": (sc, ReferenceModel, None, 10_000)}
    for i, (name, (s, cls, moved)) in enumerate(altered_rules(sc).items()):
        variants[f"altered reference: {name}"] = (s, cls, moved, 20_000 + 10_000 * i)
    rows, tables, seconds = [], [], {"engine": t_engine}
    for label, (s, cls, moved, first) in variants.items():
        t0 = time.perf_counter()
        ref = replicate(s, graph, list(range(first, first + n)), reference=True, model_class=cls)
        seconds[label] = time.perf_counter() - t0
        comp = compare(engine, ref, TESTED_OUTCOMES, family_alpha=0.001)
        rejected = [c.outcome for c in comp if not c.agrees]
        rows.append({"variant": label, "rejected": rejected, "should_move": moved,
                     "comparisons": [c.__dict__ for c in comp]})
        tables += [f"**{label}**: {len(rejected)} of {len(comp)} outcomes differ"
                   + (f" ({', '.join(rejected)})" if rejected else ""), ""]
        tables += md_table(["outcome", "engine mean ± sd", "reference mean ± sd", "Welch t", "p", "verdict"],
                           [[c.outcome, f"{c.engine_mean:,.1f} ± {c.engine_sd:,.1f}",
                             f"{c.reference_mean:,.1f} ± {c.reference_sd:,.1f}", f"{c.t:+.2f}", f"{c.p:.2g}",
                             "agree" if c.agrees else "DIFFER"] for c in comp])
        tables.append("")
        print(f"{label}: rejected {rejected}", flush=True)
    tables.insert(0, f"{n} replicates per model; per-outcome level {0.001 / len(TESTED_OUTCOMES):.1e}; "
                     f"time: engine {t_engine:.1f} s, "
                     + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items() if k != "engine") + "\n")
    md = write("oracle", rows, tables, {"seconds": seconds}, load_before=load0)
    print(md.read_text())
    return {"rows": rows}


if __name__ == "__main__":
    main()
