"""Figures of a policy search's report (matplotlib object API, no pyplot state): the Pareto
front for each pair of objectives and the convergence by generation."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..search.folder import SearchFolder
from .layout import grid_shape

__all__ = ["objective_pairs", "axis_label", "pareto_figure", "convergence_figure", "PARETO_COLOUR"]

PANEL_W, PANEL_H = 4.8, 3.6  # inches per panel
PARETO_COLOUR = "#d62828"
GREY = "#9e9e9e"


def objective_pairs(search: SearchFolder) -> list[tuple[str, str]]:
    """Every pair of objectives ``(x, y)``, in file order (none with a single objective)."""
    return list(combinations([o for o, _ in search.objectives], 2))


def axis_label(outcome: str, direction: str) -> str:
    """``outcome (higher is better)`` or ``(lower is better)``."""
    return f"{outcome} ({'higher' if direction == 'max' else 'lower'} is better)"


def _panels(n: int) -> tuple[Figure, list]:
    rows, cols = grid_shape(n, 3)
    fig = Figure(figsize=(PANEL_W * cols, PANEL_H * rows + 0.5), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[:n]:
        ax.grid(True, alpha=0.3, linewidth=0.6)
        ax.tick_params(labelsize=8)
    return fig, list(axes[:n])


def _pareto_points(search: SearchFolder) -> pd.DataFrame:
    """The Pareto policies with the values to draw: re-evaluated ones and their intervals when
    ``pareto.parquet`` exists, else (a running search) the Pareto trials' search values."""
    outs = [o for o, _ in search.objectives]
    if len(search.pareto):
        p = search.pareto
        cols = {o: p[f"reevaluated:{o}"] for o in outs}
        cols |= {f"low:{o}": p[f"low:{o}"] for o in outs} | {f"high:{o}": p[f"high:{o}"] for o in outs}
        return pd.DataFrame({"trial": p["trial"], **cols, "within_noise": p["within_noise"].astype(bool),
                             "dominated": p["dominated_on_reevaluation"].astype(bool)})
    t = search.trials[search.trials["pareto"].astype(bool)]
    cols = {o: t[o] for o in outs} | {f"{k}:{o}": t[o] for o in outs for k in ("low", "high")}
    return pd.DataFrame({"trial": t["trial"], **cols, "within_noise": False, "dominated": False})


def _pareto_panel(ax, search: SearchFolder, pts: pd.DataFrame, x: str, y: str) -> None:
    trials = search.trials
    feas = trials["feasible"].astype(bool)
    ax.scatter(trials.loc[feas, x], trials.loc[feas, y], s=14, color=GREY, alpha=0.7, linewidths=0,
               label="feasible trial (search value)")
    ax.scatter(trials.loc[~feas, x], trials.loc[~feas, y], s=16, facecolors="none", edgecolors=GREY,
               linewidths=0.8, label="infeasible trial")
    xerr = np.vstack([pts[x] - pts[f"low:{x}"], pts[f"high:{x}"] - pts[x]]).clip(min=0)
    yerr = np.vstack([pts[y] - pts[f"low:{y}"], pts[f"high:{y}"] - pts[y]]).clip(min=0)
    ax.errorbar(pts[x], pts[y], xerr=xerr, yerr=yerr, fmt="none", ecolor=PARETO_COLOUR, elinewidth=0.7,
                alpha=0.6, capsize=2)
    kept = ~pts["dominated"]
    ax.scatter(pts.loc[kept, x], pts.loc[kept, y], s=34, color=PARETO_COLOUR, zorder=3,
               label="Pareto policy (re-evaluated, 95% interval)")
    ax.scatter(pts.loc[~kept, x], pts.loc[~kept, y], s=38, marker="v", color=PARETO_COLOUR, zorder=3,
               label="dominated on re-evaluation")
    noise = pts["within_noise"]
    ax.scatter(pts.loc[noise, x], pts.loc[noise, y], s=120, facecolors="none", edgecolors="black",
               linewidths=1.0, zorder=4, label="within noise of another Pareto policy")
    for t, xv, yv in zip(pts["trial"], pts[x], pts[y]):
        ax.annotate(str(int(t)), (xv, yv), xytext=(4, 4), textcoords="offset points", fontsize=7)


def pareto_figure(search: SearchFolder) -> Figure:
    """The Pareto front for each pair of objectives: every trial's search value (feasible grey,
    infeasible hollow), the Pareto policies (red, labelled with their trial number) at their
    re-evaluated values with 95% intervals as error bars, policies dominated on re-evaluation as
    triangles, and those whose place is within noise ringed. With one objective: the objective
    against the trial number.

    Returns
    -------
    matplotlib.figure.Figure
    """
    directions = dict(search.objectives)
    pairs = objective_pairs(search)
    pts = _pareto_points(search)
    if not pairs:
        (o, d), = search.objectives
        fig, (ax,) = _panels(1)
        t = search.trials
        feas = t["feasible"].astype(bool)
        ax.scatter(t.loc[feas, "trial"], t.loc[feas, o], s=14, color=GREY, label="feasible trial")
        ax.scatter(t.loc[~feas, "trial"], t.loc[~feas, o], s=16, facecolors="none", edgecolors=GREY,
                   label="infeasible trial")
        ax.scatter(pts["trial"], pts[o], s=34, color=PARETO_COLOUR, zorder=3, label="best policy")
        ax.set_xlabel("trial", fontsize=8)
        ax.set_ylabel(axis_label(o, d), fontsize=8)
        ax.legend(fontsize=7, frameon=False)
        return fig
    fig, axes = _panels(len(pairs))
    for ax, (x, y) in zip(axes, pairs):
        _pareto_panel(ax, search, pts, x, y)
        ax.set_xlabel(axis_label(x, directions[x]), fontsize=8)
        ax.set_ylabel(axis_label(y, directions[y]), fontsize=8)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=7, frameon=False)
    fig.suptitle(f"{search.name}: the Pareto front for each pair of objectives", fontsize=11)
    return fig


def convergence_figure(search: SearchFolder) -> Figure:
    """Convergence by generation (``generations.parquet``): the best feasible value of each
    objective so far, one panel each, and the normalised hypervolume of the feasible front so
    far (a gap where it is NaN: no feasible trial yet).

    Returns
    -------
    matplotlib.figure.Figure
    """
    g = search.generations
    objectives = search.objectives
    fig, axes = _panels(len(objectives) + 1)
    for ax, (o, d) in zip(axes, objectives):
        ax.plot(g["generation"], g[f"best:{o}"], marker="o", markersize=3, color="#1f77b4")
        ax.set_title(f"best {o} so far ({'max' if d == 'max' else 'min'})", fontsize=9)
        ax.set_xlabel("generation", fontsize=8)
    ax = axes[-1]
    ax.plot(g["generation"], g["hypervolume"], marker="o", markersize=3, color=PARETO_COLOUR)
    ax.set_title("hypervolume of the feasible front (normalised)", fontsize=9)
    ax.set_xlabel("generation", fontsize=8)
    fig.suptitle(f"{search.name}: convergence by generation", fontsize=11)
    return fig
