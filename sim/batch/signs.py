"""Comparisons of a batch's points against its first point (the reference) with the
probability of their sign, and the robustness flags of those comparisons.

A comparison's unit is a parameter draw (a batch with uncertainty) or, without one, a
replicate: for each unit, the outcome's mean over that unit's runs at a point minus at the
reference. The mean of those differences, their 95% interval (percentiles over units: it
covers parameter uncertainty and replicate noise) and the share of units in which the
difference is positive answer "does this point give more than the reference, and how sure
is that". A robustness end runs under the first base condition's values and seeds (draw 0's, or
the point's own) with one parameter at an end of its range; it *flips* a comparison when
the mean difference under it has the other sign than the mean difference of those paired
base runs (condition 0).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["main_runs", "unit_means", "sign_comparisons", "robustness_flags", "flips_text", "sign_sentence",
           "COMPARISON_COLUMNS",
           "ROBUSTNESS_COLUMNS"]

COMPARISON_COLUMNS = ("point", "point_name", "reference", "outcome", "unit", "n", "mean", "lo", "hi", "p_higher",
                      "p_lower", "flips_at")
"""Columns of ``comparisons.parquet`` (see :func:`sign_comparisons`)."""

ROBUSTNESS_COLUMNS = ("point", "point_name", "outcome", "parameter", "end", "value", "base", "diff", "flips")
"""Columns of ``robustness.parquet`` (see :func:`robustness_flags`)."""


def main_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``runs.parquet`` that are base runs (a draw, or the point itself): all of
    them in a batch without robustness ends (no ``robustness_key`` column)."""
    if "robustness_key" not in runs:
        return runs
    return runs[runs["robustness_key"] == ""]


def _unit(runs: pd.DataFrame) -> str:
    return "draw" if "draw" in runs and (runs["draw"] >= 0).any() else "replicate"


def unit_means(runs: pd.DataFrame, outcome: str, points: np.ndarray) -> tuple[np.ndarray, str]:
    """Mean of ``outcome`` over each unit's ``ok`` base runs at each point.

    Parameters
    ----------
    runs : pandas.DataFrame
        ``runs.parquet`` rows.
    outcome : str
    points : ndarray of int64, shape (P,)
        The points, in the order of the result's rows.

    Returns
    -------
    means : ndarray of float64, shape (P, U)
        NaN where a unit has no run at a point defining the outcome.
    unit : {"draw", "replicate"}
    """
    base = main_runs(runs)
    unit = _unit(base)
    ok = base[base["status"] == "ok"]
    table = ok.groupby(["point", unit])[outcome].mean().unstack(unit)
    units = np.sort(base[unit].unique())
    table = table.reindex(index=points, columns=units)
    return table.to_numpy(dtype=np.float64), unit


def _names(runs: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    first = runs.drop_duplicates("point").sort_values("point")
    return first["point"].to_numpy(dtype=np.int64), first["point_name"].astype(str).tolist()


def sign_comparisons(runs: pd.DataFrame, outcomes: list[str], level: float = 0.95) -> pd.DataFrame:
    """Each point against the first point (the reference), for each outcome.

    Parameters
    ----------
    runs : pandas.DataFrame
        ``runs.parquet`` (``ok`` base runs are used; NaN outcome values are left out).
    outcomes : list of str
    level : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        One row per (point other than the reference, outcome), outcome-major, with the
        columns :data:`COMPARISON_COLUMNS`: ``unit`` ("draw" or "replicate"), ``n`` (int64:
        units with the outcome defined at both points), ``mean`` (mean per-unit
        difference), ``lo``, ``hi`` (percentile interval of the per-unit differences at
        ``level``; NaN with fewer than 2 units), ``p_higher`` and ``p_lower`` (share of
        units whose difference is > 0 and < 0; NaN with none), ``flips_at`` ("", filled by
        :func:`robustness_flags`'s caller).
    """
    points, names = _names(runs)
    q = [(1 - level) / 2, 1 - (1 - level) / 2]
    frames = []
    for o in outcomes:
        m, unit = unit_means(runs, o, points)
        d = m[1:] - m[:1]
        valid = ~np.isnan(d)
        n = valid.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, np.nansum(d, axis=1) / np.maximum(n, 1), np.nan)
            p_hi = np.where(n > 0, (d > 0).sum(axis=1) / np.maximum(n, 1), np.nan)
            p_lo = np.where(n > 0, (d < 0).sum(axis=1) / np.maximum(n, 1), np.nan)
        bounds = np.full((len(d), 2), np.nan)
        for j in np.flatnonzero(n >= 2):
            bounds[j] = np.quantile(d[j][valid[j]], q)
        frames.append(pd.DataFrame({
            "point": points[1:], "point_name": names[1:], "reference": names[0] if names else "",
            "outcome": o, "unit": unit, "n": n.astype(np.int64), "mean": mean, "lo": bounds[:, 0],
            "hi": bounds[:, 1], "p_higher": p_hi, "p_lower": p_lo, "flips_at": "",
        }))
    if not frames or not len(points):
        return pd.DataFrame({c: [] for c in COMPARISON_COLUMNS})
    return pd.concat(frames, ignore_index=True)[list(COMPARISON_COLUMNS)]


def _end_values(runs: pd.DataFrame, ends: pd.DataFrame) -> list[Any]:
    """The value each robustness end's runs used (its key's column at its first run)."""
    out = []
    for key, c in zip(ends["robustness_key"], ends["condition"]):
        rows = runs.loc[runs["condition"] == c, key] if key in runs else pd.Series([], dtype=object)
        out.append(rows.iloc[0] if len(rows) else None)
    return out


def _condition_means(ok: pd.DataFrame, outcome: str, conditions: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Mean of ``outcome`` over the ``ok`` runs of each (condition, point): shape (C, P)."""
    m = ok.groupby(["condition", "point"])[outcome].mean().unstack("point")
    return m.reindex(index=conditions, columns=points).to_numpy(dtype=np.float64)


def robustness_flags(runs: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """For each comparison (point other than the first, outcome) and each robustness end in
    ``runs``: the mean difference (point minus reference, over the end's ``ok`` runs) and
    whether it flips the sign of the paired base runs' mean difference (condition 0: the
    same values but the end's key, and the same seeds).

    A comparison whose base mean difference is 0 or undefined has no sign to flip; an end
    where the difference is undefined flips nothing; a difference of 0 against a nonzero
    base counts as a flip (the answer no longer holds).

    Returns
    -------
    pandas.DataFrame
        One row per (outcome, robustness end, point other than the reference), with the
        columns :data:`ROBUSTNESS_COLUMNS`: ``parameter`` (the dotted key), ``end`` ("low"
        or "high"), ``value`` (the value the runs used, as text), ``base``, ``diff``
        (float64), ``flips`` (bool). Empty when ``runs`` has no robustness ends.
    """
    if "robustness_key" not in runs or not (runs["robustness_key"] != "").any():
        return pd.DataFrame({c: [] for c in ROBUSTNESS_COLUMNS})
    points, names = _names(runs)
    ends = (runs.loc[runs["robustness_key"] != "", ["condition", "robustness_key", "robustness_end"]]
            .drop_duplicates("condition").sort_values("condition"))
    values = [str(v) for v in _end_values(runs, ends)]
    ok = runs[runs["status"] == "ok"]
    frames = []
    for o in outcomes:
        m = _condition_means(ok, o, np.concatenate([[0], ends["condition"].to_numpy()]), points)
        diff = m[1:, 1:] - m[1:, :1]  # (ends, points - 1)
        base = m[0, 1:] - m[0, 0]
        flips = (~np.isnan(diff)) & (~np.isnan(base)) & (base != 0) & (np.sign(diff) != np.sign(base))
        k = len(ends)
        frames.append(pd.DataFrame({
            "point": np.tile(points[1:], k), "point_name": np.tile(np.array(names[1:], dtype=object), k),
            "outcome": o, "parameter": np.repeat(ends["robustness_key"].to_numpy(), len(points) - 1),
            "end": np.repeat(ends["robustness_end"].to_numpy(), len(points) - 1),
            "value": np.repeat(np.array(values, dtype=object), len(points) - 1),
            "base": np.tile(base, k), "diff": diff.reshape(-1), "flips": flips.reshape(-1),
        }))
    return pd.concat(frames, ignore_index=True)[list(ROBUSTNESS_COLUMNS)]


def sign_sentence(row: Any) -> str:
    """``"higher in 100% of draws"`` (or ``lower``, or ``equal``: the most frequent of the
    three; ``"-"`` when undefined) for one row of :func:`sign_comparisons`: the probability
    of the difference's sign over the comparison's units."""
    hi, lo, unit = float(row["p_higher"]), float(row["p_lower"]), str(row["unit"])
    if np.isnan(hi):
        return "-"
    word, p = max((("higher", hi), ("lower", lo), ("equal", 1.0 - hi - lo)), key=lambda wp: wp[1])
    return f"{word} in {p:.0%} of {unit}s"


def flips_text(robust: pd.DataFrame, point: int, outcome: str) -> str:
    """The robustness ends that flip one comparison, as ``key = value, ...`` ("" if none)."""
    if not len(robust):
        return ""
    hit = robust[(robust["point"] == point) & (robust["outcome"] == outcome) & robust["flips"]]
    return ", ".join(f"{k} = {v}" for k, v in zip(hit["parameter"], hit["value"]))
