"""The users' response to stimuli: a saturating function of a decaying stimulus stock and
a habit (``[population.response]``, :class:`~sim.scenario.behaviour_config.ResponseConfig`).

Per user two stocks with lazy exponential decay: the value and the step of its last
update are stored, and the decay since then is applied when the stock is read or added
to, so a step costs only what its stimuli touch (never a pass over every user). With the
response off nothing is stored and the multiplier is 1.

    s(t) = s(t0) * 2 ** (-(t - t0) * step_days / novelty_half_life_days)   (same for h)
    multiplier(t) = max_multiplier * I / (I + half_saturation),   I = s(t) + h(t)
"""

from __future__ import annotations

import numpy as np

from ..scenario.behaviour_config import ResponseConfig

__all__ = ["Response", "DecayingStock", "saturation"]


def saturation(interest: np.ndarray, half: float) -> np.ndarray:
    """Michaelis-Menten response ``I / (I + half)`` of interest ``I >= 0`` (float64, any
    shape), in [0, 1): decreasing returns, 1/2 at ``I = half``."""
    return interest / (interest + half)


class DecayingStock:
    """A per-user stock (float64, shape (n_users,)) that decays by ``factor`` per step,
    lazily: ``value`` at the step ``since`` (int64) of its last update."""

    def __init__(self, n_users: int, factor: float) -> None:
        self.factor = float(factor)
        self.value = np.zeros(n_users, dtype=np.float64)
        self.since = np.zeros(n_users, dtype=np.int64)

    def at(self, users: np.ndarray, step: int) -> np.ndarray:
        """The stock of ``users`` (int64, (k,)) at ``step``, float64 (k,); nothing stored."""
        return self.value[users] * self.factor ** (step - self.since[users])

    def add(self, users: np.ndarray, amount: np.ndarray | float, step: int) -> None:
        """Add ``amount`` (scalar or float64 (k,)) to the stock of ``users`` (int64 (k,),
        may repeat: amounts add up) at ``step``, after decaying them to ``step``."""
        users = np.asarray(users, dtype=np.int64)
        if users.size == 0:
            return
        u = np.unique(users)
        self.value[u] = self.at(u, step)
        self.since[u] = step
        np.add.at(self.value, users, amount)


class Response:
    """The stimulus and habit stocks of every user and the response they give.

    Parameters
    ----------
    cfg : ResponseConfig
    n_users : int
    step_days : float
        Length of a step in days (the half-lives are in days).
    """

    def __init__(self, cfg: ResponseConfig, n_users: int, step_days: float = 1.0) -> None:
        self.cfg = cfg
        self.enabled = bool(cfg.enabled)
        n = n_users if self.enabled else 0
        self.stimulus = DecayingStock(n, 0.5 ** (step_days / cfg.novelty_half_life_days))
        self.habit = DecayingStock(n, 0.5 ** (step_days / cfg.habit_half_life_days))

    @classmethod
    def off(cls) -> Response:
        """A response that is switched off (multiplier 1, nothing stored)."""
        return cls(ResponseConfig(), 0)

    def stimulate(self, users: np.ndarray, weight: np.ndarray | float, step: int) -> None:
        """Users met a stimulus of ``weight`` (scalar or float64 (k,)) at ``step``; no-op when off
        or for a zero weight."""
        if self.enabled and np.any(weight):
            self.stimulus.add(users, weight, step)

    def sent(self, users: np.ndarray, step: int) -> None:
        """``users`` (int64 (k,)) sent a gift at ``step``: their habit grows by ``habit_gain``."""
        if self.enabled and self.cfg.habit_gain > 0:
            self.habit.add(users, self.cfg.habit_gain, step)

    def interest(self, users: np.ndarray, step: int) -> np.ndarray:
        """Stimulus plus habit of ``users`` (int64 (k,)) at ``step``, float64 (k,)."""
        return self.stimulus.at(users, step) + self.habit.at(users, step)

    def multiplier(self, users: np.ndarray, step: int) -> np.ndarray | float:
        """Multiplier of the chance to send for ``users`` (int64 (k,)) at ``step``: float64
        (k,), ``max_multiplier * I / (I + half_saturation)``; the scalar 1.0 when off."""
        if not self.enabled:
            return 1.0
        users = np.asarray(users, dtype=np.int64)
        return self.cfg.max_multiplier * saturation(self.interest(users, step), self.cfg.half_saturation)
