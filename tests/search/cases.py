"""Searches for the engine's tests: run functions with outcomes known in closed form
(picklable, for worker processes), the specs built on them and on the real model, and a
command-line entry point (``python -m tests.search.cases KIND OUT WORKERS``) for the
stop-and-resume tests."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

from sim.batch.spec import Uncertainty
from sim.experiments import Direction
from sim.search import Constraint, Lever, Objective, RobustnessMeasure, SearchBudget, SearchSpec

from ..conftest import small_scenario

FILE = Path("/nonexistent/search.toml")
"""The search file a constructed spec names (nothing reads it)."""


def zdt1(scenario, seed: int) -> dict[str, float]:
    """ZDT1 (Zitzler, Deb and Thiele 2000) of two levers x1 = policy.commercial_share,
    x2 = policy.push.reach (both in [0, 1]), with g = 1 + x2 (ZDT1's 1 + 9 x2 for one variable
    made milder, so that a budget of 256 trials converges from any seed): f1 = x1,
    f2 = g (1 - sqrt(f1 / g)), both minimised; the Pareto front is x2 = 0, f2 = 1 - sqrt(f1),
    f1 in [0, 1]."""
    x1, x2 = scenario.policy.commercial_share, scenario.policy.push.reach
    g = 1.0 + x2
    return {"f1": x1, "f2": g * (1.0 - math.sqrt(x1 / g))}


def drawn(scenario, seed: int) -> dict[str, float]:
    """Outcomes of one lever x = policy.commercial_share under a draw u = gifts.send_probability,
    with replicate noise from the seed: gain = u x - x^2 + noise (maximised: best x = u / 2),
    cost = x + 0.1 u; an undefined ``gap`` (None) when x > 0.9."""
    x, u = scenario.policy.commercial_share, scenario.gifts.send_probability
    noise = np.random.default_rng(seed).normal(0.0, 0.01)
    return {"gain": u * x - x * x + noise, "cost": x + 0.1 * u, "gap": None if x > 0.9 else 1.0 - x}


class Crash:
    """A run function that raises ``error`` from its ``after``-th call on (in this process),
    else runs :func:`zdt1`: a search stopped in the middle of a generation."""

    def __init__(self, after: int, error: type[BaseException] = RuntimeError) -> None:
        self.after, self.error, self.calls = after, error, 0

    def __call__(self, scenario, seed: int) -> dict[str, float]:
        self.calls += 1
        if self.calls >= self.after:
            raise self.error("stopped")
        return zdt1(scenario, seed)


def zdt_spec(*, sampler: str = "nsga2", population: int = 32, generations: int = 8, seed: int = 7,
             name: str = "zdt") -> SearchSpec:
    """ZDT1 over two levers, no uncertainty, one replicate."""
    return SearchSpec(name=name, description="ZDT1", path=FILE, scenario=small_scenario(), seed=seed,
                      levers=(Lever("policy.commercial_share", "range", 0.0, 1.0),
                              Lever("policy.push.reach", "range", 0.0, 1.0)),
                      objectives=(Objective("f1", Direction.MINIMIZE), Objective("f2", Direction.MINIMIZE)),
                      budget=SearchBudget(sampler, population, generations, 1, 2))


def drawn_spec(robustness: RobustnessMeasure, *, constraints: tuple = (), generations: int = 2) -> SearchSpec:
    """One lever under four draws of gifts.send_probability, two replicates: :func:`drawn`."""
    return SearchSpec(name="drawn", description="", path=FILE, scenario=small_scenario(), seed=3,
                      levers=(Lever("policy.commercial_share", "range", 0.0, 1.0),),
                      objectives=(Objective("gain", Direction.MAXIMIZE), Objective("cost", Direction.MINIMIZE)),
                      constraints=constraints,
                      uncertainty=Uncertainty(ranges={"gifts.send_probability": [0.2, 1.0]}, draws=4),
                      robustness=robustness, budget=SearchBudget("nsga2", 6, generations, 2, 3))


def real_spec(generations: int = 3) -> SearchSpec:
    """The real model on a 300-user graph: commercial share, push on/off and its reach (only
    when on); GMV up, muted share down (at most 0.5); two behaviour draws x two replicates."""
    base = small_scenario(graph={"kind": "holme_kim", "n": 300, "m": 4, "p": 0.3, "seed": 11})
    return SearchSpec(name="real", description="", path=FILE, scenario=base, seed=5,
                      levers=(Lever("policy.commercial_share", "range", 0.0, 0.4),
                              Lever("policy.push.enabled", "choice", choices=(False, True)),
                              Lever("policy.push.reach", "range", 0.05, 0.5, when=(("policy.push.enabled", True),))),
                      objectives=(Objective("gmv_rmb", Direction.MAXIMIZE), Objective("muted_share", Direction.MINIMIZE)),
                      constraints=(Constraint("muted_share", high=0.5),),
                      uncertainty=Uncertainty(ranges={"gifts.send_probability": [0.3, 0.6]}, draws=2),
                      budget=SearchBudget("nsga2", 4, generations, 2, 2))


def main(argv: list[str]) -> int:
    """``KIND OUT WORKERS``: run the real search into OUT through the command line's
    :func:`sim.cli.optimize_cmd.run_search`; exit 130 with its message when interrupted."""
    from sim.cli.common import ExitCode, Interrupted, fail
    from sim.cli.optimize_cmd import run_search
    from sim.experiments import ProcessPoolEvaluator

    kind, out, workers = argv
    assert kind == "real"
    try:
        return run_search(real_spec(), Path(out), ProcessPoolEvaluator(int(workers)))
    except Interrupted as err:
        return fail(str(err), ExitCode.INTERRUPTED)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


def two_rules(scenario, seed: int) -> dict[str, float]:
    """Outcomes of the allocation rule alone (a lever with two choices, so a sampler proposes
    each policy many times): ``equal`` gives gain 1, muted share 0.8 or 1.0 at random;
    ``head_boost`` gains 2, muted share 0.9 or 1.0: neither dominates the other, and the muted
    share's replicate noise makes a 95% interval of two runs far wider than [0, 1]."""
    head = scenario.policy.allocation.rule == "head_boost"
    coin = np.random.default_rng(seed).integers(2)
    return {"gain": 2.0 if head else 1.0, "muted_share": 1.0 if coin else (0.9 if head else 0.8)}


def rules_spec() -> SearchSpec:
    """The allocation rule between ``equal`` and ``head_boost``: gain up, muted share down;
    8 trials of two possible policies, no uncertainty, two final replicates."""
    return SearchSpec(name="rules", description="", path=FILE, scenario=small_scenario(), seed=5,
                      levers=(Lever("policy.allocation.rule", "choice", choices=("equal", "head_boost")),),
                      objectives=(Objective("gain", Direction.MAXIMIZE), Objective("muted_share", Direction.MINIMIZE)),
                      budget=SearchBudget("nsga2", 4, 2, 1, 2))
