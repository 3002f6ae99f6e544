"""Sub-step 2: who opens the app in this step."""

from __future__ import annotations

import numpy as np

from ..population import Population

__all__ = ["draw_activity"]


def draw_activity(population: Population, rng: np.random.Generator) -> np.ndarray:
    """Each user is active with probability ``activity`` (one uniform draw per user).

    Returns
    -------
    ndarray of bool, shape (n_users,)
    """
    return rng.random(population.n_users) < population.activity
