"""The report's figures, drawn with matplotlib's object API (``Figure``, Agg canvas; no
pyplot state), each returned as a ``Figure`` to be saved as PNG."""

from __future__ import annotations

import io

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from .layout import Layout, grid_shape, short_key
from .source import BatchFolder
from .streams import CURVES, LORENZ_GRID, PointStreams, mean_interval

__all__ = ["png_bytes", "outcome_figure", "curve_figure", "lorenz_figure", "hhi_figure",
           "sampled_curve_figure", "sampled_scatter_figure", "sensitivity_figure"]

PANEL_W, PANEL_H = 4.4, 3.1  # inches per panel
DPI = 110


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes (Agg, 110 dpi, tight bounding box)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    return buf.getvalue()


def _grid(n: int, max_cols: int = 3, sharex: bool = False, sharey: bool = False) -> tuple[Figure, list]:
    rows, cols = grid_shape(n, max_cols)
    fig = Figure(figsize=(PANEL_W * cols, PANEL_H * rows + 0.4), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, sharex=sharex, sharey=sharey).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[:n]:
        ax.grid(True, alpha=0.3, linewidth=0.6)
        ax.tick_params(labelsize=8)
    return fig, list(axes[:n])


def _date_axis(ax) -> None:
    loc = mdates.AutoDateLocator(minticks=3, maxticks=6)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))


def _thousands(y: float, _pos: int) -> str:
    return f"{y:,.0f}" if abs(y) >= 1000 else f"{y:g}"


def outcome_figure(batch: BatchFolder, layout: Layout, comp: pd.DataFrame, outcomes: list[str]) -> Figure:
    """Mean and 95% interval of each outcome per point: one panel per outcome; the
    numeric swept key on the x axis with one line per panel group, else one row per
    point.

    Parameters
    ----------
    batch : BatchFolder
    layout : Layout
    comp : pandas.DataFrame
        The comparison table (``point``, ``<outcome>_mean``, ``_lo``, ``_hi``).
    outcomes : list of str

    Returns
    -------
    matplotlib.figure.Figure
    """
    from ..metrics import SUMMARY_KEYS

    fig, axes = _grid(len(outcomes))
    comp = comp.set_index("point")
    for ax, o in zip(axes, outcomes):
        ax.set_title(o, fontsize=10)
        ax.set_xlabel("") if layout.x_key else ax.set_xlabel(SUMMARY_KEYS.get(o, o), fontsize=7)
        _point_plot(ax, batch, layout, comp[f"{o}_mean"], comp[f"{o}_lo"], comp[f"{o}_hi"])
    if layout.x_key is not None:
        for ax in axes:
            ax.set_xlabel(short_key(layout.x_key), fontsize=8)
        _panel_legend(fig, layout)
    fig.suptitle(f"{batch.name}: outcome means with 95% intervals over replicates", fontsize=11)
    return fig


def _panel_legend(fig: Figure, layout: Layout) -> None:
    if len(layout.panels) > 1:
        handles = [fig.axes[0].plot([], [], marker="o", color=layout.panel_colors[t], label=t)[0]
                   for t, _ in layout.panels]
        fig.legend(handles=handles, loc="outside lower center", ncols=min(4, len(handles)), fontsize=8)


def _point_plot(ax, batch: BatchFolder, layout: Layout, mean: pd.Series, lo: pd.Series, hi: pd.Series) -> None:
    if layout.x_key is not None:
        for title, members in layout.panels:
            members = [i for i in members if i in mean.index]
            x = np.array([layout.x_value(batch, i) for i in members])
            order = np.argsort(x, kind="stable")
            m = mean.reindex(members).to_numpy()[order]
            err = np.vstack([m - lo.reindex(members).to_numpy()[order], hi.reindex(members).to_numpy()[order] - m])
            ax.errorbar(x[order], m, yerr=np.nan_to_num(err), marker="o", markersize=3.5, capsize=2.5,
                        linewidth=1.2, color=layout.panel_colors[title], label=title)
    else:
        members = [i for _, ms in layout.panels for i in ms if i in mean.index]
        y = np.arange(len(members))[::-1]
        m = mean.reindex(members).to_numpy()
        err = np.vstack([m - lo.reindex(members).to_numpy(), hi.reindex(members).to_numpy() - m])
        ax.errorbar(m, y, xerr=np.nan_to_num(err), fmt="o", markersize=4, capsize=2.5,
                    color="#1f77b4")
        ax.set_yticks(y, [batch.points.loc[i, "name"] for i in members], fontsize=7)
        ax.set_ylim(-0.8, len(members) - 0.2)


def _wide_single(fig: Figure, n_panels: int) -> None:
    # one panel of curves gets the width of a page column, not a third of it
    if n_panels == 1:
        fig.set_size_inches(PANEL_W * 1.7, PANEL_H * 1.6 + 0.4)


def _curve_legend(ax, drawn: int) -> None:
    # up to 8 entries inside the axes; more (up to layout.MAX_CURVES) in columns below them
    if drawn <= 8:
        ax.legend(fontsize=7, loc="upper left", frameon=False)
    else:
        ax.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=3 if drawn > 12 else 2,
                  frameon=False, handlelength=1.2, columnspacing=1.0)


def _sample_note(layout: Layout, streams: dict, batch: BatchFolder) -> tuple[dict[str, list[int]], str]:
    """The points drawn per panel (at most :data:`~sim.report.layout.MAX_CURVES`) and a note for the title
    when some were left out."""
    drawn = {t: layout.curve_members(batch, [i for i in ms if i in streams]) for t, ms in layout.panels}
    total = sum(len([i for i in ms if i in streams]) for _, ms in layout.panels)
    shown = sum(len(v) for v in drawn.values())
    along = f" in {short_key(layout.x_key)}" if layout.x_key else ""
    note = f"\n{shown} of {total} points drawn (evenly spaced{along}); every point is in the tables" \
        if shown < total else ""
    return drawn, note


def curve_figure(batch: BatchFolder, layout: Layout, streams: dict[int, PointStreams], column: str) -> Figure:
    """One daily curve: mean over replicates with its 95% band (clipped at 0: every
    curve is a count or money), one line per point, one panel per group of points
    (shared y axis). A panel of more than :data:`~sim.report.layout.MAX_CURVES` points draws an evenly
    spaced sample of them (the title says how many).

    Parameters
    ----------
    batch : BatchFolder
    layout : Layout
    streams : dict of int to PointStreams
        From :func:`sim.report.streams.stream_runs`.
    column : str
        A key of :data:`sim.report.streams.CURVES`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = _grid(len(layout.panels), sharey=True)
    _wide_single(fig, len(layout.panels))
    drawn, note = _sample_note(layout, streams, batch)
    # points on different calendars (e.g. 2014 and 2024) share an axis of days since start
    by_day = len({s.dates[0] for s in streams.values() if s.dates.size}) > 1
    for ax, (title, _) in zip(axes, layout.panels):
        for i in drawn[title]:
            c = streams[i].curve(column)
            x = (pd.to_datetime(c["date"]) - pd.to_datetime(c["date"].iloc[0])).dt.days + 1 if by_day else c["date"]
            ax.plot(x, c["mean"], color=layout.colors[i], linewidth=1.4, label=layout.labels[i])
            ax.fill_between(x, c["lo"], c["hi"], color=layout.colors[i], alpha=0.18, linewidth=0)
        ax.set_title("" if len(layout.panels) == 1 else title, fontsize=10)
        ax.set_ylabel(CURVES[column], fontsize=8)
        if by_day:
            ax.set_xlabel("day since each scenario's start", fontsize=8)
        else:
            _date_axis(ax)
        _curve_legend(ax, len(drawn[title]))
    fig.suptitle(f"{batch.name}: {CURVES[column]} by day, mean and 95% band over replicates{note}", fontsize=11)
    return fig


def lorenz_figure(batch: BatchFolder, layout: Layout, streams: dict[int, PointStreams]) -> Figure:
    """Mean Lorenz curve of merchant GMV per point (over the replicates that sold
    anything), one panel per group of points, with the line of equality; at most
    :data:`~sim.report.layout.MAX_CURVES` points per panel (an evenly spaced sample, the title says so).

    Parameters
    ----------
    batch : BatchFolder
    layout : Layout
    streams : dict of int to PointStreams

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = _grid(len(layout.panels))
    _wide_single(fig, len(layout.panels))
    drawn, note = _sample_note(layout, streams, batch)
    for ax, (title, _) in zip(axes, layout.panels):
        ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=0.9, label="equality")
        for i in drawn[title]:
            if streams[i].lorenz_n:
                ax.plot(LORENZ_GRID, streams[i].lorenz(), color=layout.colors[i], linewidth=1.4,
                        label=f"{layout.labels[i]} (n={streams[i].lorenz_n})")
        ax.set_title("" if len(layout.panels) == 1 else title, fontsize=10)
        ax.set_xlabel("share of merchants (ascending GMV)", fontsize=8)
        ax.set_ylabel("share of GMV", fontsize=8)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        _curve_legend(ax, len(drawn[title]) + 1)
    fig.suptitle(f"{batch.name}: Lorenz curves of merchant GMV (mean over replicates){note}", fontsize=11)
    return fig


def hhi_figure(batch: BatchFolder, layout: Layout, hhi: pd.DataFrame) -> Figure:
    """HHI of merchant GMV per point with its 95% interval.

    Parameters
    ----------
    batch : BatchFolder
    layout : Layout
    hhi : pandas.DataFrame
        Index ``point``; columns ``mean``, ``lo``, ``hi`` (HHI in [0, 1]).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (ax,) = _grid(1)
    rows = sum(len(m) for _, m in layout.panels)
    fig.set_size_inches(PANEL_W * 1.5, PANEL_H * 1.3 if layout.x_key else 1.2 + 0.3 * rows)
    _point_plot(ax, batch, layout, hhi["mean"], hhi["lo"], hhi["hi"])
    ax.set_title(f"{batch.name}: HHI of merchant GMV, mean and 95% interval", fontsize=10)
    if layout.x_key is not None:
        ax.set_xlabel(short_key(layout.x_key), fontsize=8)
        ax.set_ylabel("HHI", fontsize=8)
        if len(layout.panels) > 1:
            ax.legend(fontsize=7, frameon=False)
    else:
        ax.set_xlabel("HHI", fontsize=8)
    return fig


def sampled_curve_figure(batch: BatchFolder, streams: dict[int, PointStreams]) -> Figure:
    """For a sampled batch: every design point's mean curve (grey, at most 400) and
    the mean over all runs with its 95% band, one panel per :data:`CURVES` column.

    Parameters
    ----------
    batch : BatchFolder
    streams : dict of int to PointStreams
        Non-empty.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = _grid(len(CURVES))
    pts = [streams[k] for k in sorted(streams)]
    for ax, column in zip(axes, CURVES):
        dates = pts[0].dates
        for s in pts[:400]:
            ax.plot(s.dates, s.curve_sum[column] / s.n, color="0.55", linewidth=0.4, alpha=0.35)
        n = np.full(dates.size, float(sum(s.n for s in pts)))
        m, lo, hi = mean_interval(n, sum(s.curve_sum[column] for s in pts), sum(s.curve_sq[column] for s in pts))
        ax.plot(dates, m, color="#d62728", linewidth=1.8, label="mean over all runs")
        ax.fill_between(dates, lo, hi, color="#d62728", alpha=0.25, linewidth=0)
        ax.set_ylabel(CURVES[column], fontsize=8)
        _date_axis(ax)
        ax.legend(fontsize=7, loc="upper left", frameon=False)
    fig.suptitle(f"{batch.name}: daily curves of the {len(pts)} design points (grey) and their mean",
                 fontsize=11)
    return fig


def sampled_scatter_figure(batch: BatchFolder, values: pd.Series, label: str) -> Figure:
    """For a sampled batch: a per-point value against each sampled parameter.

    Parameters
    ----------
    batch : BatchFolder
        With ``problem`` and ``sample_matrix``.
    values : pandas.Series
        Indexed by point (mean over replicates); missing points are not drawn.
    label : str
        Axis label of the value.

    Returns
    -------
    matplotlib.figure.Figure
    """
    names = list(batch.problem["names"])
    fig, axes = _grid(len(names))
    x = batch.sample_matrix
    v = values.reindex(range(x.shape[0])).to_numpy()
    for j, (ax, name) in enumerate(zip(axes, names)):
        ax.scatter(x[:, j], v, s=8, alpha=0.6, color="#1f77b4", linewidths=0)
        ax.set_xlabel(name, fontsize=8)
        ax.set_ylabel(label, fontsize=8)
    fig.suptitle(f"{batch.name}: {label} at each design point against each parameter", fontsize=11)
    return fig


def sensitivity_figure(table: pd.DataFrame, method: str, outcomes: list[str]) -> Figure:
    """Sensitivity indices per outcome as horizontal bars, most influential on top:
    Sobol total (ST) and first-order (S1) indices with 95% intervals, or Morris mu*.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`sim.report.sensitivity.sensitivity`.
    method : {"sobol", "morris"}
    outcomes : list of str
        Panel order (at most 12 drawn).

    Returns
    -------
    matplotlib.figure.Figure
    """
    outcomes = [o for o in outcomes if o in set(table["outcome"])][:12]
    fig, axes = _grid(len(outcomes))
    for ax, o in zip(axes, outcomes):
        t = table[table["outcome"] == o].sort_values("rank")
        y = np.arange(len(t))[::-1]
        if method == "sobol":
            ax.barh(y + 0.2, t["ST"], height=0.38, xerr=t["ST_conf"], color="#1f77b4", label="total ST",
                    error_kw={"elinewidth": 0.8, "capsize": 2})
            ax.barh(y - 0.2, t["S1"], height=0.38, xerr=t["S1_conf"], color="#ff7f0e", label="first-order S1",
                    error_kw={"elinewidth": 0.8, "capsize": 2})
            ax.axvline(0, color="0.3", linewidth=0.6)
        else:
            ax.barh(y, t["mu_star"], height=0.6, xerr=t["mu_star_conf"], color="#1f77b4", label="mu*",
                    error_kw={"elinewidth": 0.8, "capsize": 2})
        ax.set_yticks(y, [short_key(p) for p in t["parameter"]], fontsize=8)
        ax.set_title(o, fontsize=10)
    if outcomes:
        axes[0].legend(fontsize=7, loc="lower right", frameon=False)
    what = "Sobol indices (bars: total and first order, whiskers: 95% bootstrap)" if method == "sobol" \
        else "Morris mu* (mean absolute elementary effect, whiskers: 95% bootstrap)"
    fig.suptitle(f"Sensitivity of each outcome to each parameter: {what}", fontsize=11)
    return fig
