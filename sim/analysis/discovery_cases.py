"""The cases of a scenario discovery, read from a finished batch with uncertainty draws:
for a point A, one or more points B and one or more outcomes Y, per parameter draw, each
Y's mean over the draw's replicates at A and at each B (the draws are paired: every point
ran the same parameter values with the same seeds), whether A loses (a B better on the one
Y, or dominating A on several), and the draw's uncertain parameter values.

Every refusal is a :class:`DiscoveryInputError` (a ValueError: ``giftsim`` exits 2) with one
message naming the folder and the option.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..batch.signs import main_runs, unit_means
from ..experiments import Direction
from ..metrics import RUN_OUTCOMES

__all__ = ["DiscoveryInputError", "DiscoveryCases", "MIN_DRAWS", "discovery_cases", "outcome_choices",
           "UNCERTAINTY_HINT", "loses_text"]

MIN_DRAWS = 20
"""Fewest draws (with Y defined at both points) PRIM is run on: with the default smallest box
of 5% of the draws, a box then holds at least one draw."""

UNCERTAINTY_HINT = ('add to the batch file [uncertainty] ranges = { "KEY" = [low, high], ... } with draws = '
                    f"{MIN_DRAWS * 3} (at least {MIN_DRAWS}), or uncertainty = \"posterior\", and run giftsim batch "
                    "again")
"""How to give a batch uncertainty draws, for messages."""


class DiscoveryInputError(ValueError):
    """A scenario discovery cannot be made from what was given; the message names the folder
    and the option, and the allowed values."""


@dataclass(frozen=True, eq=False)
class DiscoveryCases:
    """The paired draws of a discovery.

    Attributes
    ----------
    folder : Path
        The batch folder.
    policy : str
        Point name A.
    versus : tuple of str
        Point names B (one or more): A loses in a draw when one of them beats it.
    outcomes : tuple of str
        The outcomes Y (one or more).
    directions : tuple of Direction
        Each outcome's better direction (MAXIMIZE or MINIMIZE).
    threshold : float
        With one outcome: A loses when a B beats it by more than this, in Y's units.
        With several, 0: A loses when a B is at least as good on every outcome and better
        on one (B dominates A in the draw).
    draws : ndarray of int64, shape (D,)
        The draw numbers used (every Y defined at every point).
    x : pandas.DataFrame, shape (D, K)
        Each draw's value of each uncertain parameter (columns: dotted keys).
    means : ndarray of float64, shape (len(outcomes), 1 + len(versus), D)
        Each outcome's mean over the draw's ``ok`` runs at A (row 0) and at each B.
    cases : ndarray of bool, shape (D,)
        Whether A loses in the draw.
    undefined : int
        Draws left out: some Y undefined (or no ``ok`` run) at some point.
    """

    folder: Path
    policy: str
    versus: tuple[str, ...]
    outcomes: tuple[str, ...]
    directions: tuple[Direction, ...]
    threshold: float
    draws: np.ndarray
    x: pd.DataFrame
    means: np.ndarray
    cases: np.ndarray
    undefined: int

    @property
    def versus_text(self) -> str:
        """The B points for sentences: ``B`` or ``B1 or B2``."""
        return " or ".join(self.versus)

    @property
    def outcome_text(self) -> str:
        """The outcomes for sentences: ``Y`` or ``Y1, Y2 and Y3``."""
        o = self.outcomes
        return o[0] if len(o) == 1 else ", ".join(o[:-1]) + " and " + o[-1]


def loses_text(versus: str, outcomes: str, n_outcomes: int) -> str:
    """``loses to B on Y``, or with several outcomes ``is dominated by B on Y1, Y2 and Y3``."""
    if n_outcomes == 1:
        return f"loses to {versus} on {outcomes}"
    return f"is dominated by {versus} on {outcomes}"


def outcome_choices(runs: pd.DataFrame) -> list[str]:
    """The outcomes a discovery may use: those of :data:`sim.metrics.RUN_OUTCOMES` with a
    better direction that are columns of ``runs``."""
    return [k for k, o in RUN_OUTCOMES.items() if o.direction is not Direction.INFO and k in runs]


def _read_runs(folder: Path) -> tuple[pd.DataFrame, list[str]]:
    """``runs.parquet`` and the draws' keys (``plan.json``)."""
    if not (folder / "runs.parquet").is_file() or not (folder / "plan.json").is_file():
        raise DiscoveryInputError(f"{folder}: not a finished batch folder (no runs.parquet or plan.json); make one "
                                  "with giftsim batch FILE and give its results folder")
    runs = pd.read_parquet(folder / "runs.parquet")
    plan = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    keys = list((plan.get("conditions") or {}).get("draw_keys") or [])
    if not keys or "draw" not in runs or not (runs["draw"] >= 0).any():
        raise DiscoveryInputError(f"{folder}: the batch has no uncertainty draws, and scenario discovery looks for "
                                  f"the region of the uncertain parameters where a point loses; {UNCERTAINTY_HINT}")
    return main_runs(runs), keys


def _point(runs: pd.DataFrame, name: str, option: str, folder: Path) -> int:
    names = runs.drop_duplicates("point").sort_values("point")
    hit = names.loc[names["point_name"].astype(str) == name, "point"]
    if not len(hit):
        allowed = ", ".join(repr(str(n)) for n in names["point_name"])
        raise DiscoveryInputError(f"{folder}: {option} {name!r} is not a point of this batch; its points: {allowed}")
    return int(hit.iloc[0])


def _check_outcome(runs: pd.DataFrame, outcome: str, folder: Path) -> Direction:
    allowed = outcome_choices(runs)
    if outcome not in allowed:
        raise DiscoveryInputError(f"{folder}: --outcome {outcome!r} is not an outcome with a better direction; "
                                  f"allowed: {', '.join(allowed)}")
    return RUN_OUTCOMES[outcome].direction


def _draw_values(runs: pd.DataFrame, keys: list[str], draws: np.ndarray) -> pd.DataFrame:
    """Each draw's values of ``keys`` (the same at every point: read from the draw's first run)."""
    first = runs[runs["draw"] >= 0].drop_duplicates("draw").set_index("draw")
    x = first.loc[draws, keys].reset_index(drop=True)
    for k in keys:
        x[k] = pd.to_numeric(x[k])
        if x[k].dtype.kind not in "if":
            x[k] = x[k].astype(np.float64)
    return x


def discovery_cases(folder: str | Path, policy: str, versus: str | Sequence[str], outcome: str | Sequence[str],
                    threshold: float = 0.0) -> DiscoveryCases:
    """Read the paired draws of a discovery from a finished batch folder.

    Parameters
    ----------
    folder : path-like
        ``results/<batch>`` of a batch with ``[uncertainty]`` draws.
    policy : str
        Point name A (``point_name`` in ``runs.parquet``).
    versus : str or sequence of str
        Point names B: A loses in a draw when any of them beats it.
    outcome : str or sequence of str
        Outcomes with a better direction (:func:`outcome_choices`). With one, a B beats A
        when it is better by more than ``threshold``; with several, when it is at least as
        good on every one and better on one (Pareto dominance of the draw's means).
    threshold : float, default 0
        One outcome only: A loses to B in a draw when B beats A by more than this in Y's
        better direction (Y's units; finite).

    Returns
    -------
    DiscoveryCases

    Raises
    ------
    DiscoveryInputError
        Not a batch folder; no uncertainty draws; an unknown point or outcome; A among the
        B points; a threshold that is not finite, or not 0 with several outcomes; fewer than
        :data:`MIN_DRAWS` draws with every Y defined at every point; A losing in no draw, or
        in every draw (nothing to discover).
    """
    folder = Path(folder)
    versus = (versus,) if isinstance(versus, str) else tuple(dict.fromkeys(versus))
    outcomes = (outcome,) if isinstance(outcome, str) else tuple(dict.fromkeys(outcome))
    if not versus or not outcomes:
        raise DiscoveryInputError(f"{folder}: give at least one --versus point and one --outcome")
    if not math.isfinite(threshold):
        raise DiscoveryInputError(f"{folder}: --threshold {threshold} must be a finite number (in {outcomes[0]}'s "
                                  "units)")
    if threshold and len(outcomes) > 1:
        raise DiscoveryInputError(f"{folder}: --threshold is in one outcome's units and applies to one --outcome; "
                                  f"with several ({', '.join(outcomes)}) A loses where a --versus point is at least "
                                  "as good on every outcome and better on one: leave --threshold out")
    runs, keys = _read_runs(folder)
    a = _point(runs, policy, "--policy", folder)
    bs = [_point(runs, b, "--versus", folder) for b in versus]
    if a in bs:
        raise DiscoveryInputError(f"{folder}: --policy and --versus both name the point {policy!r}; compare two "
                                  "different points")
    directions = tuple(_check_outcome(runs, o, folder) for o in outcomes)
    drawn = runs[runs["draw"] >= 0]
    points = np.array([a, *bs], dtype=np.int64)
    means = np.stack([unit_means(drawn, o, points)[0] for o in outcomes])  # (outcomes, points, draws)
    all_draws = np.sort(drawn["draw"].unique()).astype(np.int64)
    valid = ~np.isnan(means).any(axis=(0, 1))
    if valid.sum() < MIN_DRAWS:
        raise DiscoveryInputError(
            f"{folder}: PRIM needs at least {MIN_DRAWS} draws in which {', '.join(outcomes)} is defined at every "
            f"point compared; this batch has {int(valid.sum())} (of {len(all_draws)} draws): set [uncertainty] "
            f"draws = {MIN_DRAWS} or more in its batch file and run giftsim batch again")
    means = means[:, :, valid]
    sign = np.array([1.0 if d is Direction.MAXIMIZE else -1.0 for d in directions])[:, None, None]
    gain = sign * (means[:, 1:, :] - means[:, :1, :])  # how much each B beats A, (outcomes, B, draws)
    if len(outcomes) == 1:
        beaten = gain[0] > threshold
    else:
        beaten = (gain >= 0).all(axis=0) & (gain > 0).any(axis=0)
    draws = all_draws[valid]
    cases = DiscoveryCases(folder, policy, versus, outcomes, directions, float(threshold), draws,
                           _draw_values(runs, keys, draws), means, beaten.any(axis=0), int((~valid).sum()))
    _check_something_to_discover(cases)
    return cases


def _check_something_to_discover(c: DiscoveryCases) -> None:
    n, k = len(c.cases), int(c.cases.sum())
    by = f" by more than {c.threshold:g}" if c.threshold else ""
    lose = f"{c.policy!r} {loses_text(' or '.join(map(repr, c.versus)), c.outcome_text, len(c.outcomes))}{by}"
    if k == 0:
        raise DiscoveryInputError(f"{c.folder}: {lose} in none of the {n} draws: nothing to discover (no region where "
                                  "it loses)")
    if k == n:
        raise DiscoveryInputError(f"{c.folder}: {lose} in all {n} "
                                  "draws: nothing to discover (it loses everywhere in the uncertain ranges)")
