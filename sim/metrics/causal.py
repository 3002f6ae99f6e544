"""The causal effect of receiving a gift on giving, from paired runs with common random numbers.

One seed, two runs of the gift model: the run as is, and the same run in which the gifts
sent on day ``d`` to a random set of users are withheld (never seen by their recipient;
they expire at their deadline and are refunded, :meth:`sim.model.GiftModel.withhold`).
The treated users are the selected users who were sent a gift on day d (with
``first_only``, only those who had been sent none before day d). Their giving rate on days
d+1 .. d+N in the run as is, over their rate in the withheld run, estimates the causal
effect of receiving (a first) gift on giving within N days, for the recipients of day d.

Why the pair is exact up to day d: both runs are built from the same seed (the same graph,
population, merchants and dynamics generator), and nothing differs until a withheld gift
would have been opened (the day after it was sent, at the earliest): every draw before that
is the same draw in both. The users are selected with a generator of their own
(``SeedSequence(seed, spawn_key=(PAIRED_SELECTION_KEY,))``), so selecting draws nothing
from the run's generators. After day d the runs share the generator but not its use: a
withheld gift is not opened, so the accept draws, and every draw after them, fall
differently. The estimate is then a difference between two worlds that agree on
everything before the intervention: no confounding by who receives gifts (the treated are
the same users in both), only the sampling noise of what happens after, which the pairs
over several seeds average out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..experiments.seeds import seed_streams
from ..model import GiftModel
from ..model.model import run_graph
from ..model.states import GiftOutcome
from ..scenario.schema import Scenario
from .lift import LIFT_WINDOW_DAYS

__all__ = ["PAIRED_SELECTION_KEY", "PairedEffect", "PairedRuns", "paired_runs", "paired_gift_effect",
           "paired_gift_effects", "pooled_ratio", "selected_users"]

PAIRED_SELECTION_KEY = 2**32 - 14
"""The spawn key of the selection's own ``SeedSequence`` child of the run's seed (never one
of the run's streams, which are its first children)."""


@dataclass(frozen=True)
class PairedEffect:
    """One pair of runs (:func:`paired_gift_effect`).

    Attributes
    ----------
    seed, day, window_days : int
    treated : int
        Selected users sent a gift on ``day`` (their gifts of that day withheld in the second run).
    withheld : int
        Gifts withheld.
    gave_delivered, gave_withheld : int
        Treated users who sent a gift on days day+1 .. day+window_days, in the run as is and
        in the withheld run.
    """

    seed: int
    day: int
    window_days: int
    treated: int
    withheld: int
    gave_delivered: int
    gave_withheld: int

    @property
    def rate_delivered(self) -> float:
        """Giving rate of the treated when their gifts were delivered (NaN without treated)."""
        return self.gave_delivered / self.treated if self.treated else math.nan

    @property
    def rate_withheld(self) -> float:
        """Giving rate of the same users when their gifts were withheld (NaN without treated)."""
        return self.gave_withheld / self.treated if self.treated else math.nan

    @property
    def ratio(self) -> float:
        """rate_delivered / rate_withheld: the causal lift (NaN if nobody gave when withheld)."""
        return self.gave_delivered / self.gave_withheld if self.gave_withheld else math.nan


def selected_users(seed: int, n_users: int, share: float) -> np.ndarray:
    """The users whose gifts of the chosen day are withheld: each with probability
    ``share``, from the selection's own stream. bool of shape (n_users,)."""
    ss = np.random.SeedSequence(seed, spawn_key=(PAIRED_SELECTION_KEY,))
    return np.random.default_rng(ss).random(n_users) < share


def _gave(model: GiftModel, users: np.ndarray, first_step: int, last_step: int) -> int:
    """How many of ``users`` (bool mask) sent a gift in steps first_step .. last_step."""
    led = model.ledger
    step, sender = led.column("step_sent"), led.column("sender")
    inside = (step >= first_step) & (step <= last_step)
    return int(users[np.unique(sender[inside])].sum())


def _check(scenario: Scenario, day: int, window_days: int, share: float) -> int:
    """Steps per day, after checking the arguments (ValueError naming the argument); the
    window of ``window_days`` days after ``day`` must end inside the run."""
    spd = scenario.time.steps_per_day
    n_days = scenario.time.n_steps // spd
    if scenario.mode.kind != "gift":
        raise ValueError(f"paired runs need a gift-mode scenario, got mode {scenario.mode.kind!r}")
    if not 0.0 < share <= 1.0:
        raise ValueError(f"share must be in (0, 1], got {share}")
    if not 0 <= day <= n_days - 1 - window_days:
        raise ValueError(f"day must be in 0..{n_days - 1 - window_days} so that its {window_days}-day window "
                         f"ends inside the run's {n_days} days, got {day}")
    return spd


@dataclass(frozen=True, eq=False)
class PairedRuns:
    """The two finished runs of a pair (:func:`paired_runs`).

    Attributes
    ----------
    delivered, withheld : GiftModel
        The run as is, and the run with the chosen gifts withheld.
    treated : ndarray of bool, shape (n_users,)
        Selected users sent a gift on the day (their gifts of that day withheld).
    withheld_ids : ndarray of int64
        The gifts withheld (ids of the withheld run's ledger).
    """

    delivered: GiftModel
    withheld: GiftModel
    treated: np.ndarray
    withheld_ids: np.ndarray


def paired_runs(scenario: Scenario, seed: int, *, day: int, share: float = 0.5,
                first_only: bool = True) -> PairedRuns:
    """Run ``scenario`` twice from ``seed``: as is, and with the gifts sent on ``day`` to a
    random ``share`` of the users withheld (see the module doc).

    Parameters
    ----------
    scenario : Scenario
        A gift-mode scenario.
    seed : int
    day : int
        The day of the intervention (0 = the run's first day).
    share : float, default 0.5
        Probability that a user is selected (:func:`selected_users`), in (0, 1].
    first_only : bool, default True
        Treat only users sent no gift before ``day`` (the effect of a FIRST gift received);
        gifts to other selected users are delivered.

    Returns
    -------
    PairedRuns

    Raises
    ------
    ValueError
        If the scenario is not in gift mode, ``day`` is not a day of the run or ``share``
        is out of range.
    """
    spd = _check(scenario, day, 0, share)
    graph = run_graph(scenario, seed_streams(seed))
    runs = [GiftModel(scenario, seed=seed, graph=graph) for _ in range(2)]
    chosen = selected_users(seed, graph.n_users, share)
    lo, hi = day * spd, (day + 1) * spd - 1
    for m in runs:
        while m.step_index < lo:
            m.step()
    led = runs[1].ledger
    received_before = np.zeros(graph.n_users, dtype=bool)
    rec = led.column("recipient")
    received_before[rec[rec >= 0]] = True  # a group gift's unclaimed unit (-1) was received by nobody
    eligible = chosen & ~received_before if first_only else chosen
    treated = np.zeros(graph.n_users, dtype=bool)
    withheld = []
    for t in range(lo, hi + 1):
        for m in runs:
            m.step()
        rec = led.column("recipient")
        ids = np.flatnonzero((led.column("step_sent") == t) & (rec >= 0) & eligible[rec]
                             & (led.column("outcome") == GiftOutcome.PENDING) & ~led.column("seen"))
        runs[1].withhold(ids)
        treated[rec[ids]] = True
        withheld.append(ids)
    for m in runs:
        m.run()
    return PairedRuns(delivered=runs[0], withheld=runs[1], treated=treated, withheld_ids=np.concatenate(withheld))


def paired_gift_effect(scenario: Scenario, seed: int, *, day: int, window_days: int = LIFT_WINDOW_DAYS,
                       share: float = 0.5, first_only: bool = True) -> PairedEffect:
    """The causal effect of receiving on giving from one pair of runs (:func:`paired_runs`):
    the treated users' giving on days day+1 .. day+window_days in both runs.

    Parameters
    ----------
    scenario, seed, day, share, first_only
        As :func:`paired_runs`.
    window_days : int, default 30
        N; day + window_days must be a day of the run.

    Returns
    -------
    PairedEffect

    Raises
    ------
    ValueError
        If the scenario is not in gift mode, or ``day``, ``window_days`` or ``share`` are out of range.
    """
    if window_days < 1:
        raise ValueError(f"window_days must be >= 1, got {window_days}")
    spd = _check(scenario, day, window_days, share)
    pair = paired_runs(scenario, seed, day=day, share=share, first_only=first_only)
    first, last = (day + 1) * spd, (day + 1 + window_days) * spd - 1
    return PairedEffect(seed=int(seed), day=day, window_days=window_days, treated=int(pair.treated.sum()),
                        withheld=int(pair.withheld_ids.size),
                        gave_delivered=_gave(pair.delivered, pair.treated, first, last),
                        gave_withheld=_gave(pair.withheld, pair.treated, first, last))


def paired_gift_effects(scenario: Scenario, seeds: Iterable[int], *, day: int, window_days: int = LIFT_WINDOW_DAYS,
                        share: float = 0.5, first_only: bool = True) -> pd.DataFrame:
    """:func:`paired_gift_effect` for each seed: one row per seed with the
    :class:`PairedEffect` fields and ``rate_delivered``, ``rate_withheld``, ``ratio``
    (:func:`pooled_ratio` pools them)."""
    rows = []
    for seed in seeds:
        e = paired_gift_effect(scenario, seed, day=day, window_days=window_days, share=share, first_only=first_only)
        rows.append({**e.__dict__, "rate_delivered": e.rate_delivered, "rate_withheld": e.rate_withheld,
                     "ratio": e.ratio})
    return pd.DataFrame(rows)


def pooled_ratio(effects: pd.DataFrame) -> float:
    """The causal lift pooled over pairs: sum of ``gave_delivered`` / sum of
    ``gave_withheld`` (each pair's treated are the same users in both runs); NaN if nobody
    gave in the withheld runs."""
    den = int(effects["gave_withheld"].sum())
    return float(effects["gave_delivered"].sum() / den) if den else math.nan
