"""Plots of an ABC posterior (matplotlib, PNG): weighted marginal histograms and the
pairwise scatter of the particles."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..results.atomic import write_bytes_atomic
from .abc_summary import weighted_quantile

__all__ = ["posterior_plots", "PLOT_FILES"]

PLOT_FILES = ("marginals.png", "pairs.png")
"""What :func:`posterior_plots` writes into ``plots/`` (``pairs.png`` only with two or more keys)."""

_DPI = 110


def _png(fig: Figure) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, bbox_inches="tight")
    return buf.getvalue()


def _edges(lo: float, hi: float, log: bool, bins: int = 30) -> np.ndarray:
    return np.geomspace(lo, hi, bins + 1) if log and lo > 0 else np.linspace(lo, hi, bins + 1)


def marginals_figure(posterior: pd.DataFrame, parameters: Mapping[str, tuple[float, float]],
                     priors: Mapping[str, str]) -> Figure:
    """One panel per key: the weighted histogram of the particles over the prior's range
    (log axis for a loguniform prior), the weighted median (solid) and 5%/95% (dashed)."""
    keys = list(parameters)
    cols = min(3, len(keys))
    rows = math.ceil(len(keys) / cols)
    fig = Figure(figsize=(3.6 * cols, 2.8 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel())
    w = posterior["weight"].to_numpy(float)
    for ax, key in zip(axes, keys):
        lo, hi = parameters[key]
        log = priors.get(key) == "loguniform"
        x = posterior[key].to_numpy(float)
        ax.hist(x, bins=_edges(lo, hi, log), weights=w, color="#4c72b0", alpha=0.85)
        for q, style in ((0.5, "-"), (0.05, "--"), (0.95, "--")):
            ax.axvline(weighted_quantile(x, w, q), color="k", linestyle=style, linewidth=1)
        if log and lo > 0:
            ax.set_xscale("log")
        ax.set_xlim(lo, hi)
        ax.set_xlabel(key, fontsize=8)
        ax.set_ylabel("posterior weight", fontsize=8)
    for ax in axes[len(keys):]:
        ax.set_visible(False)
    return fig


def pairs_figure(posterior: pd.DataFrame, parameters: Mapping[str, tuple[float, float]],
                 priors: Mapping[str, str]) -> Figure:
    """Lower triangle of pairwise scatters of the particles over the priors' ranges, each
    point's area proportional to its weight."""
    keys = list(parameters)
    n = len(keys) - 1
    fig = Figure(figsize=(2.6 * n + 0.6, 2.6 * n + 0.4), layout="constrained")
    axes = fig.subplots(n, n, squeeze=False)
    w = posterior["weight"].to_numpy(float)
    size = 4 + 60 * w / max(float(w.max()), 1e-300)
    for i in range(n):
        for j in range(n):
            ax = axes[i][j]
            if j > i:
                ax.set_visible(False)
                continue
            kx, ky = keys[j], keys[i + 1]
            ax.scatter(posterior[kx], posterior[ky], s=size, alpha=0.5, color="#4c72b0", linewidths=0)
            for key, set_scale, set_lim in ((kx, ax.set_xscale, ax.set_xlim), (ky, ax.set_yscale, ax.set_ylim)):
                if priors.get(key) == "loguniform" and parameters[key][0] > 0:
                    set_scale("log")
                set_lim(*parameters[key])
            if i == n - 1:
                ax.set_xlabel(kx, fontsize=8)
            if j == 0:
                ax.set_ylabel(ky, fontsize=8)
    return fig


def posterior_plots(posterior: pd.DataFrame, parameters: Mapping[str, tuple[float, float]],
                    priors: Mapping[str, str], folder: Path) -> list[Path]:
    """Write ``folder/plots/marginals.png`` and, with two or more keys, ``pairs.png``;
    returns the files written.

    Parameters
    ----------
    posterior : pandas.DataFrame
        A column per key of ``parameters`` and ``weight``.
    parameters : mapping of str to (low, high)
        The priors' bounds (the axes' ranges).
    priors : mapping of str to str
        ``"loguniform"`` keys get a log axis.
    folder : Path
        The calibration's folder.
    """
    out = Path(folder) / "plots"
    out.mkdir(parents=True, exist_ok=True)
    files = [write_bytes_atomic(out / "marginals.png", _png(marginals_figure(posterior, parameters, priors)))]
    if len(parameters) >= 2:
        files.append(write_bytes_atomic(out / "pairs.png", _png(pairs_figure(posterior, parameters, priors))))
    return files
