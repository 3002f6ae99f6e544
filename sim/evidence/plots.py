"""Plots of the evidence (matplotlib, Agg, small PNGs): each figure's model value against its
band, and a weighted posterior's marginals and pairs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["bands_plot", "marginals_plot", "pairs_plot", "predictive_plot"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path, dpi: int) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    _pyplot().close(fig)
    return path


def _axis_span(lo: float, hi: float, points: list[float]) -> tuple[float, float]:
    """An x range showing the band's finite edges and every finite point, with a margin."""
    xs = [v for v in (lo, hi, *points) if math.isfinite(v)]
    a, b = min(xs), max(xs)
    pad = (b - a) * 0.15 or max(abs(a) * 0.15, 0.05)
    return a - pad, b + pad


def bands_plot(table: pd.DataFrame, path: str | Path, *, dpi: int = 80) -> Path:
    """One panel per row of an evidence table (:data:`sim.evidence.table.TABLE_COLUMNS`):
    the band (shaded; an open side runs to the panel's edge), the published value (dashed)
    and the model's pooled value with its replicate range (marker and bar; green inside the
    band, red outside). Writes a PNG to ``path`` and returns it.

    Raises
    ------
    ValueError
        If ``table`` has no rows.
    """
    if table.empty:
        raise ValueError("bands_plot: the evidence table has no rows")
    plt = _pyplot()
    fig, axes = plt.subplots(len(table), 1, figsize=(7.0, 0.95 * len(table) + 0.4), squeeze=False)
    for ax, row in zip(axes[:, 0], table.itertuples(), strict=True):
        points = [row.value, row.low, row.high, row.target]
        x0, x1 = _axis_span(row.band_low, row.band_high, points)
        ax.axvspan(max(row.band_low, x0), min(row.band_high, x1), color="tab:blue", alpha=0.18, lw=0)
        if math.isfinite(row.target):
            ax.axvline(row.target, color="tab:blue", ls="--", lw=1)
        colour = "tab:green" if row.inside else "tab:red"
        if math.isfinite(row.value):
            err = [[max(row.value - row.low, 0)], [max(row.high - row.value, 0)]] if math.isfinite(
                row.low) else None
            ax.errorbar([row.value], [0], xerr=err, fmt="o", color=colour, capsize=3, ms=5)
        ax.set_xlim(x0, x1)
        ax.set_yticks([])
        ax.set_title(f"{row.name} ({row.scenario})", fontsize=8, loc="left")
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    return _save(fig, path, dpi)


def marginals_plot(posterior: pd.DataFrame, keys: list[str], path: str | Path, *, dpi: int = 80) -> Path:
    """Weighted histograms of each of ``keys`` in a posterior sample (column ``weight``
    the importance weights). Writes a PNG and returns its path."""
    plt = _pyplot()
    n = len(keys)
    fig, axes = plt.subplots(1, n, figsize=(2.6 * n, 2.4), squeeze=False)
    w = posterior["weight"].to_numpy(dtype=float)
    for ax, key in zip(axes[0], keys, strict=True):
        ax.hist(posterior[key].to_numpy(dtype=float), bins=20, weights=w, color="tab:blue", alpha=0.7)
        ax.set_title(key, fontsize=7)
        ax.tick_params(labelsize=6)
        ax.set_yticks([])
    fig.tight_layout()
    return _save(fig, path, dpi)


def pairs_plot(posterior: pd.DataFrame, keys: list[str], path: str | Path, *, dpi: int = 80) -> Path:
    """Scatter of every pair of ``keys`` in a posterior sample, point size by weight.
    Writes a PNG and returns its path.

    Raises
    ------
    ValueError
        With fewer than two keys.
    """
    if len(keys) < 2:
        raise ValueError(f"pairs_plot needs at least two parameters, got {keys}")
    plt = _pyplot()
    n = len(keys)
    fig, axes = plt.subplots(n, n, figsize=(1.9 * n, 1.9 * n), squeeze=False)
    w = posterior["weight"].to_numpy(dtype=float)
    size = 4 + 40 * w / w.max() if w.size and w.max() > 0 else np.full(w.size, 4.0)
    for i, yk in enumerate(keys):
        for j, xk in enumerate(keys):
            ax = axes[i, j]
            if i == j:
                ax.hist(posterior[xk].to_numpy(dtype=float), bins=15, weights=w, color="tab:blue", alpha=0.7)
            else:
                ax.scatter(posterior[xk], posterior[yk], s=size, alpha=0.5, color="tab:blue", lw=0)
            ax.tick_params(labelsize=5)
            if i == n - 1:
                ax.set_xlabel(xk, fontsize=6)
            if j == 0:
                ax.set_ylabel(yk, fontsize=6)
    fig.tight_layout()
    return _save(fig, path, dpi)


def predictive_plot(predictive: pd.DataFrame, path: str | Path, *, dpi: int = 80) -> Path:
    """The posterior predictive check as a band plot: per ``figure``, its ``median`` and
    ``lo``-``hi`` interval against ``band_low``-``band_high`` and the published ``value``.
    Writes a PNG and returns its path."""
    t = pd.DataFrame({
        "name": predictive["figure"], "scenario": "posterior predictive", "value": predictive["median"],
        "low": predictive["lo"], "high": predictive["hi"], "band_low": predictive["band_low"],
        "band_high": predictive["band_high"], "target": predictive["value"].astype(float),
        "inside": (predictive["median"] >= predictive["band_low"]) & (predictive["median"] <= predictive["band_high"]),
    })
    return bands_plot(t, path, dpi=dpi)
