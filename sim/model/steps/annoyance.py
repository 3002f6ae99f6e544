"""Sub-step 6: users past their annoyance threshold mute; annoyance fades."""

from __future__ import annotations

import numpy as np

from ..population import Population

__all__ = ["update_annoyance"]


def update_annoyance(population: Population, *, step: int, decay: float, step_days: float) -> int:
    """Users whose annoyance reached their threshold mute (``muted_step = step``); then
    every annoyance is multiplied by ``(1 - decay) ** step_days`` (``decay`` per day).

    Returns
    -------
    int
        Users who muted in this step.
    """
    pop = population
    newly = np.flatnonzero((pop.annoyance >= pop.mute_threshold) > pop.muted)  # past it and not muted
    pop.muted[newly] = True
    pop.muted_step[newly] = step
    pop.annoyance *= (1.0 - decay) ** step_days
    return int(newly.size)
