"""Test-only run functions with outcomes known in closed form (picklable, for worker processes)."""

from __future__ import annotations

import math


def zdt1(scenario, seed: int) -> dict[str, float]:
    """ZDT1 of two levers x1 = policy.commercial_share, x2 = policy.push.reach (both in [0, 1]):
    f1 = x1, g = 1 + 9 x2, f2 = g (1 - sqrt(f1 / g)); the Pareto front is x2 = 0,
    f2 = 1 - sqrt(f1)."""
    x1, x2 = scenario.policy.commercial_share, scenario.policy.push.reach
    g = 1.0 + 9.0 * x2
    return {"f1": x1, "f2": g * (1.0 - math.sqrt(x1 / g))}
