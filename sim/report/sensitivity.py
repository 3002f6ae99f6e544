"""Sensitivity indices of a sampled batch (SALib): Sobol first-order and total indices,
or Morris elementary effects, of each outcome to each sampled parameter, ranked."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..experiments.seeds import analysis_seed
from .source import BatchFolder

__all__ = [
    "SENSITIVITY_METHODS", "point_means", "ranking_summary", "sensitivity"]

SENSITIVITY_METHODS = ("sobol", "morris")
"""Sample methods whose designs SALib can analyse (a Latin hypercube has no indices)."""


def point_means(batch: BatchFolder, outcome: str) -> np.ndarray:
    """An outcome averaged over each point's ``ok`` replicates in which it is defined
    (not NaN), in plan order.

    Returns
    -------
    ndarray of float64, shape (n_points,)
        NaN for a point without an ``ok`` run, or whose ``ok`` runs all leave the
        outcome undefined (see :data:`sim.metrics.SUMMARY_KEYS`).
    """
    ok = batch.runs[batch.runs["status"] == "ok"]
    means = ok.groupby("point")[outcome].mean()  # pandas skips NaN: the defined runs
    return means.reindex(range(len(batch.points))).to_numpy(dtype=np.float64)


def _missing_reason(batch: BatchFolder, outcome: str, y: np.ndarray) -> str:
    """Why ``y`` (from :func:`point_means`) has NaN: points with no successful run, and
    points whose successful runs all leave the outcome undefined."""
    with_ok = set(batch.runs.loc[batch.runs["status"] == "ok", "point"].astype(int))
    missing = np.flatnonzero(np.isnan(y))
    no_run = sum(1 for p in missing if int(p) not in with_ok)
    undefined = missing.size - no_run
    parts = []
    if undefined:
        parts.append(f"undefined in {undefined} of {y.size} design point(s) (NaN in every successful "
                     "run there, e.g. a rate with nothing to divide)")
    if no_run:
        parts.append(f"{no_run} design point(s) have no successful run")
    return f"{outcome}: " + "; ".join(parts) + "; SALib needs a value at every design point"


def sensitivity(batch: BatchFolder) -> tuple[pd.DataFrame, list[str]]:
    """Indices of each outcome to each sampled parameter, ranked within each outcome.

    Parameters
    ----------
    batch : BatchFolder
        A batch with ``[sample] method = "sobol"`` or ``"morris"``.

    Returns
    -------
    table : pandas.DataFrame
        One row per (outcome, parameter), sorted by outcome (batch order) then rank.
        Sobol: ``outcome``, ``rank`` (1 = most influential, by total index),
        ``parameter``, ``ST``, ``ST_conf``, ``S1``, ``S1_conf`` (conf: half-width of the
        95% bootstrap interval). Morris: ``outcome``, ``rank`` (by mu*), ``parameter``,
        ``mu_star``, ``mu_star_conf``, ``mu``, ``sigma``.
    skipped : list of str
        One line per outcome that could not be analysed, with the reason: undefined
        (NaN in every successful run) at some design points, a point with no successful
        run, or no variance across the design.

    Raises
    ------
    ValueError
        If the batch is not sampled with a method in :data:`SENSITIVITY_METHODS`.

    Notes
    -----
    Outcomes are averaged over replicates at each design point before the analysis (over
    the replicates in which the outcome is defined), so replicate noise shrinks with more
    replicates. SALib needs a value at every design point: an outcome undefined in every
    successful run of some point is skipped. Bootstrap intervals (Sobol) and Morris'
    resampling use a generator seeded from the batch's master seed.
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    method = (batch.sample or {}).get("method")
    if method not in SENSITIVITY_METHODS or batch.problem is None or batch.sample_matrix is None:
        raise ValueError(f"{batch.folder}: sensitivity needs a [sample] batch with method "
                         f"{' or '.join(SENSITIVITY_METHODS)}; this batch has {method!r}")
    problem = {**batch.problem, "bounds": [list(b) for b in batch.problem["bounds"]]}
    names = list(problem["names"])
    seed = analysis_seed(batch.seed)
    frames, skipped = [], []
    for outcome in batch.outcomes:
        y = point_means(batch, outcome)
        if np.isnan(y).any():
            skipped.append(_missing_reason(batch, outcome, y))
            continue
        if np.ptp(y) == 0:
            skipped.append(f"{outcome}: the same value ({y[0]:.6g}) at every design point")
            continue
        if method == "sobol":
            si = sobol_analyze.analyze(problem, y, calc_second_order=bool(batch.sample.get("second_order")),
                                       conf_level=0.95, seed=seed)
            df = pd.DataFrame({"parameter": names, "ST": si["ST"], "ST_conf": si["ST_conf"],
                               "S1": si["S1"], "S1_conf": si["S1_conf"]})
            key = "ST"
        else:
            si = morris_analyze.analyze(problem, batch.sample_matrix, y, conf_level=0.95,
                                        num_levels=int(batch.sample.get("levels", 4)), seed=seed)
            df = pd.DataFrame({"parameter": names, "mu_star": si["mu_star"],
                               "mu_star_conf": si["mu_star_conf"], "mu": si["mu"],
                               "sigma": si["sigma"]})
            key = "mu_star"
        df = df.sort_values(key, ascending=False, kind="stable").reset_index(drop=True)
        df.insert(0, "rank", np.arange(1, len(df) + 1))
        df.insert(0, "outcome", outcome)
        frames.append(df)
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return table, skipped


def ranking_summary(table: pd.DataFrame, method: str) -> pd.DataFrame:
    """Per outcome: the most influential parameter and whether the indices can be trusted.

    Returns
    -------
    pandas.DataFrame
        ``outcome``, ``most influential``, ``settled`` (the top parameter's index minus its
        95% half-width exceeds the runner-up's plus its half-width), ``consistent``
        (Sobol: no total index above 1 and no first-order index below 0 beyond their
        intervals, which a design too small for the outcome's noise produces; Morris:
        always true).
    """
    key, conf = ("ST", "ST_conf") if method == "sobol" else ("mu_star", "mu_star_conf")
    rows = []
    for outcome, g in table.groupby("outcome", sort=False):
        g = g.sort_values("rank")
        top = g.iloc[0]
        settled = len(g) < 2 or bool(top[key] - top[conf] > g.iloc[1][key] + g.iloc[1][conf])
        consistent = True
        if method == "sobol":
            consistent = bool(((g["ST"] - g["ST_conf"]) <= 1).all() and ((g["S1"] + g["S1_conf"]) >= 0).all())
        rows.append({"outcome": outcome, "most influential": top["parameter"],
                     "settled": settled, "consistent": consistent})
    return pd.DataFrame(rows)
