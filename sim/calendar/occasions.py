"""The calendar of a run: dates, gifting occasions and the staged rollout, per step."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ..scenario.schema import Occasion, RolloutConfig, TimeConfig
from .yearly import birthday_index

__all__ = ["Calendar", "occasion_lift", "rollout_share"]


def _day_offsets(time: TimeConfig) -> np.ndarray:
    """Days since ``time.start`` at the start of each step, float64 of shape (n_steps,)."""
    return np.arange(time.n_steps, dtype=np.float64) * (time.step_hours / 24.0)


def _bumps(days: np.ndarray, start: dt.date, occasions: list[Occasion]) -> np.ndarray:
    """Bump of each occasion on each day, float64 of shape (k, n_occasions), in [0, 1]."""
    out = np.zeros((days.shape[0], len(occasions)), dtype=np.float64)
    for j, occ in enumerate(occasions):
        x = np.floor(days) - (occ.date - start).days  # calendar days from the occasion
        before = np.clip(1.0 + x / (occ.lead_days + 1), 0.0, 1.0)
        after = np.clip(1.0 - x / (occ.lag_days + 1), 0.0, 1.0)
        out[:, j] = np.where(x <= 0, before, after)
    return out


def occasion_lift(days: np.ndarray, start: dt.date, occasions: list[Occasion]) -> np.ndarray:
    """Gifting-intent multiplier on each day: 1 + the sum of each occasion's lift times its bump.

    The bump of an occasion is 1 on its date and falls linearly to 0 over ``lead_days + 1``
    days before it and ``lag_days + 1`` days after it.

    Parameters
    ----------
    days : ndarray of float64, shape (k,)
        Days since ``start`` (fractional for sub-daily steps; the calendar day counts).
    start : datetime.date
    occasions : list of Occasion

    Returns
    -------
    ndarray of float64, shape (k,), values >= 1
    """
    lifts = np.array([o.lift for o in occasions], dtype=np.float64)
    return 1.0 + _bumps(days, start, occasions) @ lifts if occasions else np.ones_like(days)


def rollout_share(days: np.ndarray, start: dt.date, rollout: RolloutConfig) -> np.ndarray:
    """Share of users who see the gift button on each day (linear between schedule points).

    Returns
    -------
    ndarray of float64, shape (k,), values in [0, 1], non-decreasing in ``days``
    """
    xs = np.array([(p.date - start).days for p in rollout.schedule], dtype=np.float64)
    ys = np.array([p.share for p in rollout.schedule], dtype=np.float64)
    return np.interp(np.floor(days), xs, ys)


def _month_starts(dates: np.ndarray, steps_per_day: int) -> np.ndarray:
    """True at the first step of each month's first day but the run's first step, bool (k,)."""
    first_day = dates == dates.astype("datetime64[M]").astype("datetime64[D]")
    out = first_day & (np.arange(dates.shape[0]) % steps_per_day == 0)
    out[:1] = False
    return out


@dataclass(frozen=True)
class Calendar:
    """Per-step calendar arrays.

    Attributes
    ----------
    dates : ndarray of datetime64[D], shape (n_steps,)
    lift : ndarray of float64, shape (n_steps,)
        Occasion multiplier of gifting intent (>= 1).
    rollout : ndarray of float64, shape (n_steps,)
        Share of users in the staged rollout, in [0, 1].
    occasion : tuple of str, length n_steps
        Name of the occasion whose window covers the step ("" if none).
    steps_per_day : int
    month_start : ndarray of bool, shape (n_steps,)
        The first step of the first day of a calendar month, the run's first step excepted
        (monthly budgets are renewed there).
    birthday : ndarray of int16, shape (n_steps,)
        Day of a common year (0-364) of each step's date, -1 on 29 February
        (:func:`sim.calendar.birthday_index`).
    """

    dates: np.ndarray
    lift: np.ndarray
    rollout: np.ndarray
    occasion: tuple[str, ...]
    steps_per_day: int
    month_start: np.ndarray | None = None
    birthday: np.ndarray | None = None

    @classmethod
    def build(cls, time: TimeConfig, rollout: RolloutConfig, occasions: list[Occasion]) -> Calendar:
        """The calendar of a run: each step's date, occasion lift (its strongest occasion's
        name) and staged-rollout share, from the scenario's ``time``, ``rollout`` and
        ``occasions`` tables; arrays of shape (n_steps,)."""
        days = _day_offsets(time)
        dates = np.datetime64(time.start, "D") + np.floor(days).astype("timedelta64[D]")
        names = [""] * days.shape[0]
        if occasions:
            bumps = _bumps(days, time.start, occasions)
            best = bumps.argmax(axis=1)
            for i in np.flatnonzero(bumps.max(axis=1) > 0):
                names[i] = occasions[best[i]].name
        return cls(
            dates=dates,
            lift=occasion_lift(days, time.start, occasions),
            rollout=rollout_share(days, time.start, rollout),
            occasion=tuple(names),
            steps_per_day=time.steps_per_day,
            month_start=_month_starts(dates, time.steps_per_day),
            birthday=birthday_index(dates),
        )
