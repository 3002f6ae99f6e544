"""What the exact speed-ups of issue 14 save per step, measured in one process.

    python benchmarks/exact_speedups.py [--users 1000000] [--warm 20] [--steps 200] [--block 5]

One model of the default scenario on a Barabási-Albert graph (``long_run.scenario``, to
2027-12-31) runs ``--warm`` steps, then ``--steps`` more in blocks of ``--block`` that
alternate between the code as it is ("new") and with the speed-ups swapped for the numpy
calls they replace ("old": ``Generator.poisson`` for :func:`sim.model.fast_random.poisson`,
``np.unique(..., return_index=True)`` for :func:`sim.model.arrays.first_occurrence`).
Both give identical draws and state, so the two halves run the same trajectory; the
CPU time of each step (``time.process_time``, less sensitive than wall time to the other
sessions on this machine) is compared by medians. Prints one line; writes
``benchmarks/out/exact_speedups.{json,md}``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import load_average, md_table, median, write
from long_run import scenario


def old_poisson(rng: np.random.Generator, lam: float, size: int) -> np.ndarray:
    """The former call."""
    return rng.poisson(lam, size)


def old_first_occurrence(values: np.ndarray) -> np.ndarray:
    """The former call."""
    return np.unique(values, return_index=True)[1]


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--warm", type=int, default=20)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--block", type=int, default=5)
    args = ap.parse_args(argv)
    import sim.model.population as population
    import sim.model.steps.traffic as traffic
    from sim.model import GiftModel

    new = (traffic.fast_random.poisson, population.first_occurrence)
    old = (old_poisson, old_first_occurrence)
    load0 = load_average()
    model = GiftModel(scenario(args.users, "2027-12-31", "default", []), seed=1)
    for _ in range(args.warm):
        model.step()
    cpu: dict[str, list[float]] = {"new": [], "old": []}
    for i in range(args.steps):
        name = "new" if (i // args.block) % 2 else "old"
        traffic.fast_random.poisson, population.first_occurrence = new if name == "new" else old
        c = time.process_time()
        model.step()
        cpu[name].append(time.process_time() - c)
    traffic.fast_random.poisson, population.first_occurrence = new
    med = {k: 1e3 * median(v) for k, v in cpu.items()}
    ratio = med["new"] / med["old"]
    print(f"{args.users:,} users, steps {args.warm}-{args.warm + args.steps}: CPU per step {med['old']:.1f} ms "
          f"(numpy calls) -> {med['new']:.1f} ms (speed-ups), ratio {ratio:.2f}; load {load0}-{load_average()}")
    rows = [{"users": args.users, "steps": args.steps, "old_ms": med["old"], "new_ms": med["new"], "ratio": ratio}]
    table = md_table(["users", "steps timed", "CPU ms per step, numpy calls", "CPU ms per step, speed-ups", "ratio"],
                     [[r["users"], r["steps"], r["old_ms"], r["new_ms"], r["ratio"]] for r in rows])
    write("exact_speedups", rows, table, load_before=load0)
    return rows[0]


if __name__ == "__main__":
    main()
