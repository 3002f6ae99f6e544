"""The cases of a scenario discovery, read from a finished batch with uncertainty draws:
for two points A and B and an outcome Y, per parameter draw, Y's mean over the draw's
replicates at A and at B (the draws are paired: both points ran the same parameter values
with the same seeds), whether A loses to B, and the draw's uncertain parameter values.

Every refusal is a :class:`DiscoveryInputError` (a ValueError: ``giftsim`` exits 2) with one
message naming the folder and the option.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..batch.signs import main_runs, unit_means
from ..experiments import Direction
from ..metrics import RUN_OUTCOMES

__all__ = ["DiscoveryInputError", "DiscoveryCases", "MIN_DRAWS", "discovery_cases", "outcome_choices",
           "UNCERTAINTY_HINT"]

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
    policy, versus : str
        Point names A and B.
    outcome : str
        The outcome Y.
    direction : Direction
        Y's better direction (MAXIMIZE or MINIMIZE).
    threshold : float
        A loses when B beats it by more than this, in Y's units.
    draws : ndarray of int64, shape (D,)
        The draw numbers used (Y defined at both points).
    x : pandas.DataFrame, shape (D, K)
        Each draw's value of each uncertain parameter (columns: dotted keys).
    policy_mean, versus_mean : ndarray of float64, shape (D,)
        Y's mean over the draw's ``ok`` runs at A and at B.
    cases : ndarray of bool, shape (D,)
        Whether A loses to B in the draw.
    undefined : int
        Draws left out: Y undefined (or no ``ok`` run) at A or B.
    """

    folder: Path
    policy: str
    versus: str
    outcome: str
    direction: Direction
    threshold: float
    draws: np.ndarray
    x: pd.DataFrame
    policy_mean: np.ndarray
    versus_mean: np.ndarray
    cases: np.ndarray
    undefined: int

    @property
    def loss(self) -> np.ndarray:
        """How much B beats A in Y's better direction per draw (> 0: B better), float64 (D,)."""
        sign = 1.0 if self.direction is Direction.MAXIMIZE else -1.0
        return sign * (self.versus_mean - self.policy_mean)


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


def discovery_cases(folder: str | Path, policy: str, versus: str, outcome: str,
                    threshold: float = 0.0) -> DiscoveryCases:
    """Read the paired draws of a discovery from a finished batch folder.

    Parameters
    ----------
    folder : path-like
        ``results/<batch>`` of a batch with ``[uncertainty]`` draws.
    policy, versus : str
        Point names A and B (``point_name`` in ``runs.parquet``).
    outcome : str
        An outcome with a better direction (:func:`outcome_choices`).
    threshold : float, default 0
        A loses to B in a draw when B beats A by more than this in Y's better direction
        (Y's units; finite).

    Returns
    -------
    DiscoveryCases

    Raises
    ------
    DiscoveryInputError
        Not a batch folder; no uncertainty draws; an unknown point or outcome; A == B; a
        threshold that is not finite; fewer than :data:`MIN_DRAWS` draws with Y defined at
        both points; A losing in no draw, or in every draw (nothing to discover).
    """
    folder = Path(folder)
    if not math.isfinite(threshold):
        raise DiscoveryInputError(f"{folder}: --threshold {threshold} must be a finite number (in {outcome}'s units)")
    runs, keys = _read_runs(folder)
    a = _point(runs, policy, "--policy", folder)
    b = _point(runs, versus, "--versus", folder)
    if a == b:
        raise DiscoveryInputError(f"{folder}: --policy and --versus both name the point {policy!r}; compare two "
                                  "different points")
    direction = _check_outcome(runs, outcome, folder)
    means, _ = unit_means(runs[runs["draw"] >= 0], outcome, np.array([a, b], dtype=np.int64))
    all_draws = np.sort(runs.loc[runs["draw"] >= 0, "draw"].unique()).astype(np.int64)
    valid = ~np.isnan(means).any(axis=0)
    if valid.sum() < MIN_DRAWS:
        raise DiscoveryInputError(
            f"{folder}: PRIM needs at least {MIN_DRAWS} draws in which {outcome} is defined at both points; this "
            f"batch has {int(valid.sum())} (of {len(all_draws)} draws): set [uncertainty] draws = {MIN_DRAWS} or "
            "more in its batch file and run giftsim batch again")
    draws = all_draws[valid]
    sign = 1.0 if direction is Direction.MAXIMIZE else -1.0
    lost = sign * (means[1, valid] - means[0, valid]) > threshold
    cases = DiscoveryCases(folder, policy, versus, outcome, direction, float(threshold), draws,
                           _draw_values(runs, keys, draws), means[0, valid], means[1, valid], lost,
                           int((~valid).sum()))
    _check_something_to_discover(cases)
    return cases


def _check_something_to_discover(c: DiscoveryCases) -> None:
    n, k = len(c.cases), int(c.cases.sum())
    by = f" by more than {c.threshold:g}" if c.threshold else ""
    if k == 0:
        raise DiscoveryInputError(f"{c.folder}: {c.policy!r} loses to {c.versus!r} on {c.outcome}{by} in none of the "
                                  f"{n} draws: nothing to discover (no region where it loses)")
    if k == n:
        raise DiscoveryInputError(f"{c.folder}: {c.policy!r} loses to {c.versus!r} on {c.outcome}{by} in all {n} "
                                  "draws: nothing to discover (it loses everywhere in the uncertain ranges)")
