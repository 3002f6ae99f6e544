"""One pass over a batch's run folders, run by run, accumulating per point what the
report draws: daily adoption and GMV (mean and 95% interval over replicates), and
merchant concentration (HHI, mean Lorenz curve). Memory holds one run's columns at a
time plus a few arrays per point."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from scipy import stats

from ..metrics import clip_interval, hhi, lorenz_curve
from .source import BatchFolder

__all__ = ["CURVES", "LORENZ_GRID", "PointStreams", "stream_runs", "mean_interval"]

CURVES: dict[str, str] = {
    "aware_users": "aware users (cumulative)",
    "senders": "senders (cumulative)",
    "gmv_cum_rmb": "GMV, cumulative (RMB)",
}
"""Daily curves the report draws: column -> axis label. ``gmv_cum_rmb`` is the running
sum of the series ``gmv_rmb``."""

LORENZ_GRID = np.linspace(0.0, 1.0, 101)
"""Shares of merchants (ascending by GMV) at which Lorenz curves are averaged."""


def mean_interval(n: np.ndarray, s: np.ndarray, ss: np.ndarray, level: float = 0.95
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and two-sided Student-t interval from counts, sums and sums of squares.

    Parameters
    ----------
    n : ndarray of float64
        Observations per cell (any shape).
    s, ss : ndarray of float64, same shape
        Sum and sum of squares of the observations.
    level : float, default 0.95

    Returns
    -------
    mean, lo, hi : ndarray of float64, same shape
        NaN bounds where ``n < 2``; NaN mean where ``n == 0``.
    """
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s / n
        var = np.clip((ss - n * mean * mean) / (n - 1), 0.0, None)
        tq = stats.t.ppf(0.5 + level / 2, np.where(n >= 2, n - 1, 1))
        half = np.where(n >= 2, tq * np.sqrt(var / n), np.nan)
    return mean, mean - half, mean + half


@dataclass(eq=False)
class PointStreams:
    """Accumulated sums of one point's runs.

    Attributes
    ----------
    dates : ndarray of datetime64[ns], shape (n_steps,)
    n : int
        Runs read.
    curve_sum, curve_sq : dict of str to ndarray of float64, shape (n_steps,)
        Per :data:`CURVES` column, sum and sum of squares over runs, by step.
    lorenz_sum : ndarray of float64, shape (len(LORENZ_GRID),)
        Sum over runs with some GMV of the Lorenz curve of merchant GMV at
        :data:`LORENZ_GRID`.
    lorenz_n : int
        Runs with some GMV (a run without sales has no Lorenz curve).
    hhi_sum, hhi_sq : float
        Sum and sum of squares of the HHI of merchant GMV over runs with some GMV.
    hhi_n : int
        Runs with some GMV (HHI is undefined, NaN, without: such runs are left out).
    """

    dates: np.ndarray
    n: int = 0
    curve_sum: dict[str, np.ndarray] = field(default_factory=dict)
    curve_sq: dict[str, np.ndarray] = field(default_factory=dict)
    lorenz_sum: np.ndarray = field(default_factory=lambda: np.zeros(LORENZ_GRID.size))
    lorenz_n: int = 0
    hhi_sum: float = 0.0
    hhi_sq: float = 0.0
    hhi_n: int = 0

    def curve(self, column: str) -> pd.DataFrame:
        """Mean and 95% interval of one curve by date: columns ``date``, ``mean``,
        ``lo``, ``hi``; ``lo`` clipped at 0 (every :data:`CURVES` column is a count or
        money, so a t-interval reaching below 0 claims what cannot happen)."""
        n = np.full(self.dates.size, float(self.n))
        m, lo, hi = mean_interval(n, self.curve_sum[column], self.curve_sq[column])
        lo = np.maximum(lo, 0.0)  # NaN (fewer than two runs) stays NaN
        return pd.DataFrame({"date": self.dates, "mean": m, "lo": lo, "hi": hi})

    def lorenz(self) -> np.ndarray:
        """Mean Lorenz curve at :data:`LORENZ_GRID` over runs with some GMV, float64 of
        shape (101,) (NaN if no run sold anything)."""
        return self.lorenz_sum / self.lorenz_n if self.lorenz_n else np.full(LORENZ_GRID.size, np.nan)

    def hhi_interval(self) -> tuple[float, float, float]:
        """Mean HHI over the runs with some GMV and its 95% interval, clipped to [0, 1]
        (NaN mean without such a run, NaN bounds with fewer than two)."""
        m, lo, hi = mean_interval(np.array(float(self.hhi_n)), np.array(self.hhi_sum),
                                  np.array(self.hhi_sq))
        lo, hi = clip_interval("hhi", float(lo), float(hi))
        return float(m), lo, hi


def _run_columns(folder) -> tuple[pd.DataFrame, np.ndarray]:
    series = pq.read_table(folder / "series.parquet",
                           columns=["date", "aware_users", "senders", "gmv_rmb"]).to_pandas()
    merchants = pq.read_table(folder / "merchants.parquet", columns=["gmv", "joined_step"])
    joined = merchants.column("joined_step").to_numpy()
    gmv = merchants.column("gmv").to_numpy()[joined >= 0]  # merchants that were on the platform
    return series, gmv


def stream_runs(batch: BatchFolder, points: Iterable[int] | None = None) -> dict[int, PointStreams]:
    """Read every ``ok`` run's series and merchants, one run at a time, in plan order.

    Parameters
    ----------
    batch : BatchFolder
    points : iterable of int, optional
        Only these points (default: all).

    Returns
    -------
    dict of int to PointStreams
        Keyed by point index; points without an ``ok`` run are absent.

    Notes
    -----
    Cost: one read of two small Parquet tables per run; memory O(points x steps).
    HHI counts merchants that were ever on the platform, as the run summary does, and
    only runs with some GMV (``hhi_n``).
    """
    keep = None if points is None else {int(p) for p in points}
    ok = batch.runs[batch.runs["status"] == "ok"]
    out: dict[int, PointStreams] = {}
    for point, run_id in zip(ok["point"].to_numpy(), ok["run_id"].to_numpy()):
        point = int(point)
        if keep is not None and point not in keep:
            continue
        series, gmv = _run_columns(batch.run_folder(str(run_id)))
        values = {
            "aware_users": series["aware_users"].to_numpy(np.float64),
            "senders": series["senders"].to_numpy(np.float64),
            "gmv_cum_rmb": np.cumsum(series["gmv_rmb"].to_numpy(np.float64)),
        }
        acc = out.get(point)
        if acc is None:
            steps = len(series)
            acc = out[point] = PointStreams(dates=series["date"].to_numpy())
            for c in CURVES:
                acc.curve_sum[c] = np.zeros(steps)
                acc.curve_sq[c] = np.zeros(steps)
        for c, v in values.items():
            acc.curve_sum[c] += v
            acc.curve_sq[c] += v * v
        if gmv.sum() > 0:  # without sales there is no Lorenz curve
            x, y = lorenz_curve(gmv)
            acc.lorenz_sum += np.interp(LORENZ_GRID, x, y)
            acc.lorenz_n += 1
        h = hhi(gmv)
        if not np.isnan(h):  # undefined without sales
            acc.hhi_sum += h
            acc.hhi_sq += h * h
            acc.hhi_n += 1
        acc.n += 1
    return out
