"""Charts of a finished batch (Altair / Vega-Lite), from the tables of
:func:`sim.batch.load_results`: outcomes side by side, daily curves with 95% bands,
outcome distributions, and parameter-to-outcome plots for sweeps.

Batches can be large (a Sobol batch has hundreds of points, tens of thousands of
point-days): every chart's data goes in through :func:`_data`, which inlines it without
Altair's 5,000-row limit (only these charts; the global data transformer is left alone),
and the curves draw at most :data:`MAX_CURVES` points, an evenly spaced sample, saying so
in the subtitle, so the browser stays responsive."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
from scipy import stats

from ..batch import BatchResults
from ..batch.signs import main_runs
from ..batch.tables import defined_count
from ..metrics import RUN_OUTCOMES, SUMMARY_KEYS
from ..model import SERIES

__all__ = ["ok_runs", "outcomes", "swept_params", "scattered_design", "curve_bands", "outcome_chart",
           "curve_chart", "distribution_chart", "param_chart", "curve_points", "series_range", "PALETTE",
           "MAX_CURVES", "outcome_axis_title"]

PALETTE = ["#1d3557", "#e63946", "#2a9d8f", "#f4a261", "#6a4c93", "#457b9d", "#e9c46a",
           "#8d99ae", "#bc4749", "#386641"]
_RUN_COLUMNS = {"run_id", "point", "point_name", "variant", "replicate", "seed", "status", "wall_seconds",
                "condition", "draw", "robustness_key", "robustness_end"}
W, H = 360, 200
MAX_CURVES = 20
"""Most points whose daily curves one chart draws; beyond, an evenly spaced sample."""
MAX_LEGEND = 20
"""Most points listed in a colour legend; beyond, the legend is left out (the chart's
axis or tooltip names the points)."""


def _data(df: pd.DataFrame) -> dict:
    """``df`` as inline Vega-Lite values, bypassing Altair's ``max_rows`` check (5,000 rows)
    for this chart only: a chart given a DataFrame of more rows fails to render."""
    return alt.to_values(df)


def ok_runs(res: BatchResults) -> pd.DataFrame:
    """Base runs that finished (``status == "ok"``; a batch's robustness ends are left out,
    see :func:`sim.batch.signs.main_runs`)."""
    runs = main_runs(res.runs)
    return runs[runs["status"] == "ok"].copy()


def outcomes(res: BatchResults) -> list[str]:
    """Outcomes the batch compares (its ``outcomes`` list), as found in the comparison table."""
    wanted = list((res.manifest.get("batch") or {}).get("outcomes") or [])
    have = [c[: -len("_mean")] for c in res.comparison.columns if c.endswith("_mean")]
    return [o for o in wanted if o in have] or have


def swept_params(res: BatchResults) -> list[str]:
    """Scenario keys whose value differs between points (the sweep or the variants); not
    a batch's uncertain or robustness keys, which differ within a point."""
    runs = main_runs(res.runs)
    cols = [c for c in runs.columns if c not in _RUN_COLUMNS and c not in SUMMARY_KEYS]
    if "condition" in runs:  # a batch with uncertainty or robustness: keep keys fixed within each point
        cols = [c for c in cols if (runs.groupby("point")[c].agg(lambda x: x.astype(str).nunique()) <= 1).all()]
    return [c for c in cols if runs[c].astype(str).nunique() > 1]


def scattered_design(res: BatchResults) -> bool:
    """Whether the points do not line up along one swept key: a ``[sample]`` design
    (latin, Sobol, Morris), or more than one thing varying (several swept keys, or a
    sweep across variants). Against one parameter, such points scatter: the other
    parameters move from one to the next."""
    if (res.manifest.get("batch") or {}).get("sample"):
        return True
    varied = len(swept_params(res))
    if "variant" in res.runs.columns and res.runs["variant"].astype(str).nunique() > 1:
        varied += 1
    return varied > 1


def series_range(series: str) -> tuple[float, float]:
    """The values a daily series can take, from its meaning in :data:`sim.model.SERIES`:
    ``[0, 1]`` for shares, ``[1, inf)`` for the occasion lift, ``[0, inf)`` for every
    count and amount of money (and for a series not listed there)."""
    meaning = SERIES.get(series, ("", ""))[1]
    if "[0, 1]" in meaning:
        return 0.0, 1.0
    if ">= 1" in meaning:
        return 1.0, np.inf
    return 0.0, np.inf


def outcome_axis_title(outcome: str) -> str:
    """The axis title of an outcome: its name, and which way is better as declared in
    :data:`sim.metrics.RUN_OUTCOMES` (``hhi (lower is better)``); the name alone for an
    outcome without a direction or not declared there."""
    o = RUN_OUTCOMES.get(outcome)
    phrase = o.direction.phrase if o is not None else ""
    return f"{outcome} ({phrase})" if phrase else outcome


def _colour(names: list[str]) -> alt.Color:
    legend = alt.Legend(orient="bottom", columns=1, labelLimit=600) if len(names) <= MAX_LEGEND else None
    return alt.Color("point_name:N", title="point", sort=names, legend=legend,
                     scale=alt.Scale(domain=names, range=(PALETTE * (len(names) // len(PALETTE) + 1))[: len(names)]))


def _points(res: BatchResults) -> list[str]:
    return list(res.runs.sort_values("point").drop_duplicates("point")["point_name"])


def _title(text: str, note: str) -> str | alt.TitleParams:
    """A chart title, with ``note`` (e.g. how many runs leave the outcome undefined) as
    its subtitle."""
    return alt.TitleParams(text, subtitle=note) if note else text


def outcome_chart(res: BatchResults, outcome: str) -> alt.Chart:
    """Mean and 95% interval of ``outcome`` for every point, side by side, over the runs
    in which it is defined (``defined`` in the tooltip; the title says when some runs
    leave it undefined). A point where no run defines it keeps its row, empty."""
    comp = res.comparison
    defined = [defined_count(row, outcome) for _, row in comp.iterrows()]
    df = pd.DataFrame({"point_name": comp["point_name"], "mean": comp[f"{outcome}_mean"],
                       "lo": comp[f"{outcome}_lo"], "hi": comp[f"{outcome}_hi"], "n": comp["n"],
                       "defined": defined})
    partial = int((df["defined"] < df["n"]).sum())
    note = (f"undefined in some or all runs at {partial} point(s): over the runs that define it"
            if partial else "")
    df = df[df["defined"] > 0]
    names = _points(res)
    base = alt.Chart(_data(df)).encode(alt.Y("point_name:N", title=None, sort=names, scale=alt.Scale(domain=names),
                                      axis=alt.Axis(labelLimit=320)))
    bars = base.mark_rule(strokeWidth=2, color="#6c757d").encode(alt.X("lo:Q", title=outcome_axis_title(outcome)),
                                                                 alt.X2("hi:Q"))
    dots = base.mark_point(filled=True, size=70).encode(
        alt.X("mean:Q"), _colour(names),
        tooltip=["point_name:N", alt.Tooltip("mean:Q", format=",.4g"), alt.Tooltip("lo:Q", format=",.4g"),
                 alt.Tooltip("hi:Q", format=",.4g"), "n:Q", alt.Tooltip("defined:Q", title="runs defining it")])
    return (bars + dots).properties(width=W, height=max(60, 28 * len(names)),
                                    title=_title(f"{outcome}: mean and 95% interval", note))


def curve_bands(res: BatchResults, series: str, level: float = 0.95) -> pd.DataFrame:
    """Per point and step: mean of ``series`` over replicates and its Student-t interval,
    clipped to the values the series can take (:func:`series_range`: GMV and counts
    never below 0, shares within [0, 1]).

    Returns
    -------
    pandas.DataFrame
        ``point_name``, ``step``, ``date``, ``n``, ``mean``, ``lo``, ``hi`` (bounds equal
        the mean with fewer than two runs).
    """
    ts = res.timeseries
    names = res.runs.drop_duplicates("point").set_index("point")["point_name"]
    g = ts.groupby(["point", "step"], sort=True)[series]
    df = g.agg(["mean", "std", "count"]).reset_index()
    dates = ts.drop_duplicates(["point", "step"]).set_index(["point", "step"])["date"]
    df["date"] = pd.to_datetime(dates.reindex(pd.MultiIndex.from_frame(df[["point", "step"]])).to_numpy())
    n = df["count"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t_crit = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
        half = np.where(n >= 2, t_crit * df["std"].fillna(0) / np.sqrt(n), 0.0)
    low, high = series_range(series)
    df["lo"] = np.maximum(df["mean"] - half, low)
    df["hi"] = np.minimum(df["mean"] + half, high)
    df["point_name"] = df["point"].map(names)
    return df.rename(columns={"count": "n"})[["point_name", "step", "date", "n", "mean", "lo", "hi"]]


def curve_points(res: BatchResults, limit: int = MAX_CURVES) -> list[str]:
    """The points whose curves are drawn: all of them up to ``limit``, else ``limit``
    points evenly spaced in plan order (first and last included)."""
    names = _points(res)
    if len(names) <= limit:
        return names
    picks = np.unique(np.round(np.linspace(0, len(names) - 1, limit)).astype(int))
    return [names[i] for i in picks]


def curve_chart(res: BatchResults, series: str) -> alt.Chart:
    """Daily ``series``: mean over replicates per point, with its 95% band; with more
    than :data:`MAX_CURVES` points, a sample of them (the subtitle says how many)."""
    df = curve_bands(res, series)
    every = _points(res)
    names = curve_points(res)
    note = ""
    if len(names) < len(every):
        df = df[df["point_name"].isin(names)]
        note = (f"{len(names)} of {len(every)} points drawn (evenly spaced sample); "
                "every point is in comparison.csv and the other tabs")
    x = alt.X("date:T", title=None, axis=alt.Axis(format="%b %d", labelAngle=0))
    data = _data(df)
    band = alt.Chart(data).mark_area(opacity=0.2).encode(x, alt.Y("lo:Q", title=series), alt.Y2("hi:Q"), _colour(names))
    line = alt.Chart(data).mark_line().encode(
        x, alt.Y("mean:Q"), _colour(names),
        tooltip=["point_name:N", "date:T", alt.Tooltip("mean:Q", format=",.4g"),
                 alt.Tooltip("lo:Q", format=",.4g"), alt.Tooltip("hi:Q", format=",.4g")])
    meaning = SERIES.get(series, ("", ""))[1]
    return (band + line).properties(width=2 * W, height=H + 40,
                                    title=_title(f"{series} ({meaning}): mean and 95% band", note))


def distribution_chart(res: BatchResults, outcome: str) -> alt.Chart:
    """Every run's ``outcome`` per point (dots), with the box of their quartiles; runs in
    which the outcome is undefined (NaN) are left out and counted in the title."""
    runs = ok_runs(res)
    names = _points(res)
    df = runs[["point_name", "replicate", outcome]].rename(columns={outcome: "value"})
    undefined = int(df["value"].isna().sum())
    df = df.dropna(subset=["value"])
    title = _title(f"{outcome}: every run", f"undefined in {undefined} of {len(runs)} runs, not shown"
                   if undefined else "")
    data = _data(df)
    box = alt.Chart(data).mark_boxplot(extent="min-max", opacity=0.35, size=18).encode(
        alt.Y("point_name:N", title=None, sort=names, scale=alt.Scale(domain=names), axis=alt.Axis(labelLimit=320)),
        alt.X("value:Q", title=outcome_axis_title(outcome)), _colour(names))
    dots = alt.Chart(data).mark_tick(thickness=2, size=16).encode(
        alt.Y("point_name:N", sort=names), alt.X("value:Q"), _colour(names),
        tooltip=["point_name:N", "replicate:Q", alt.Tooltip("value:Q", format=",.4g")])
    return (box + dots).properties(width=W, height=max(60, 28 * len(names)), title=title)


def param_chart(res: BatchResults, param: str, outcome: str) -> alt.Chart:
    """``outcome`` of every run against a swept parameter, with the mean over the runs in
    which the outcome is defined (NaN runs are left out and counted in the title): a line
    through the mean per value when only ``param`` varies; for a
    :func:`scattered_design` (sampled, or several keys varying) each point's mean as a
    mark, no line (joining means sorted by one parameter while the others move would
    draw a zig-zag that is no curve)."""
    runs = ok_runs(res)
    df = runs[[param, outcome, "point_name"]].rename(columns={param: "param", outcome: "value"})
    undefined = int(df["value"].isna().sum())
    df = df.dropna(subset=["value"])
    numeric = pd.api.types.is_numeric_dtype(df["param"]) and not pd.api.types.is_bool_dtype(df["param"])
    if not numeric:
        df["param"] = df["param"].astype(str)
    x = alt.X("param:Q" if numeric else "param:N", title=param,
              scale=alt.Scale(zero=False) if numeric else alt.Undefined)
    x_tip = "param:Q" if numeric else "param:N"
    data = _data(df)
    dots = alt.Chart(data).mark_circle(size=40, opacity=0.6, color="#457b9d").encode(
        x, alt.Y("value:Q", title=outcome_axis_title(outcome)),
        tooltip=["point_name:N", x_tip, alt.Tooltip("value:Q", format=",.4g")])
    if scattered_design(res):
        means = df.groupby("point_name", sort=False).agg(param=("param", "first"), value=("value", "mean"),
                                                         runs=("value", "size")).reset_index()
        mean = alt.Chart(_data(means)).mark_point(shape="diamond", filled=True, size=55, color="#e63946").encode(
            x, alt.Y("value:Q"), tooltip=["point_name:N", x_tip, alt.Tooltip("value:Q", format=",.4g", title="mean"),
                                          alt.Tooltip("runs:Q", title="runs defining it")])
        how = "diamonds: each point's mean; the other parameters vary between points"
    else:
        mean = alt.Chart(data).mark_line(point=True, color="#e63946").encode(x, alt.Y("mean(value):Q"))
        how = ""
    note = "; ".join(t for t in (how, f"undefined in {undefined} of {len(runs)} runs, not shown" if undefined
                                 else "") if t)
    return (dots + mean).properties(width=W, height=H, title=_title(f"{outcome} against {param}", note))
