"""What the search dashboard shows, computed from a :class:`sim.search.folder.SearchFolder`
without a browser: the interactive Pareto chart (Altair), the list of Pareto policies, a
policy's levers and values, and the explorer overrides that open a policy."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd

from ..search.folder import SearchFolder, format_value
from .controls import set_override

__all__ = ["PolicyRow", "pareto_policies", "policy_label", "chart_frame", "pareto_chart", "explorer_overrides",
           "clicked_trial", "PARETO_COLOUR", "CHOSEN_COLOUR"]

PARETO_COLOUR = "#d62828"
CHOSEN_COLOUR = "#1d4ed8"
GREY = "#9e9e9e"
W, H = 560, 420


@dataclass(frozen=True)
class PolicyRow:
    """One Pareto policy as the dashboard lists it.

    Attributes
    ----------
    trial : int
    levers : dict of str to str
        Each lever's value as text (``-`` where the lever did not apply).
    values : dict of str to str
        Each objective's re-evaluated value ``v [low, high]`` (the search value when the search
        has not re-evaluated its front yet).
    flags : str
        ``dominated on re-evaluation`` and/or ``within noise of <trials>``; empty if neither.
    openable : bool
        Whether the policy has explorer overrides (``pareto.parquet`` is written).
    """

    trial: int
    levers: dict[str, str]
    values: dict[str, str]
    flags: str
    openable: bool


def _interval(v: float, lo: float, hi: float) -> str:
    return f"{format_value(v)} [{format_value(lo)}, {format_value(hi)}]"


def pareto_policies(search: SearchFolder) -> list[PolicyRow]:
    """The Pareto policies, best first on the first objective (re-evaluated values when the
    search finished, else the running search's current front)."""
    reeval = len(search.pareto) > 0
    src = search.pareto if reeval else search.trials[search.trials["pareto"].astype(bool)]
    if len(src) and search.objectives:
        o, d = search.objectives[0]
        src = src.sort_values(f"reevaluated:{o}" if reeval else o, ascending=d == "min", kind="stable")
    out = []
    for _, r in src.iterrows():
        values = {o: _interval(r[f"reevaluated:{o}"], r[f"low:{o}"], r[f"high:{o}"]) if reeval else format_value(r[o])
                  for o, _ in search.objectives}
        flags = []
        if reeval and bool(r["dominated_on_reevaluation"]):
            flags.append("dominated on re-evaluation")
        if reeval and bool(r["within_noise"]):
            flags.append(f"within noise of {r['noise_peers']}")
        out.append(PolicyRow(int(r["trial"]), {k: format_value(r[k]) if k in r.index else "-"
                                               for k in search.lever_keys}, values, "; ".join(flags), reeval))
    return out


def policy_label(p: PolicyRow) -> str:
    """``trial 8: gmv_rmb 4,312 [...] · muted_share ...`` for the policy list."""
    return f"trial {p.trial}: " + " · ".join(f"{o} {v}" for o, v in p.values.items())


def chart_frame(search: SearchFolder, x: str, y: str) -> pd.DataFrame:
    """One row per trial with plain field names for Vega: ``trial``, ``generation``, ``kind``
    (``feasible``, ``infeasible`` or ``Pareto``), ``x``, ``y`` (search values; a Pareto
    policy's re-evaluated values when they exist), ``x_lo``/``x_hi``/``y_lo``/``y_hi`` (its
    95% interval, else equal to the value), ``noise`` (within noise), and text fields
    ``lever_<i>`` and ``value_<j>`` for the tooltip (levers and objectives in manifest order)."""
    t = search.trials
    kind = pd.Series("feasible", index=t.index).where(t["feasible"].astype(bool), "infeasible")
    kind = kind.where(~t["pareto"].astype(bool), "Pareto")
    df = pd.DataFrame({"trial": t["trial"].astype(int), "generation": t["generation"].astype(int), "kind": kind,
                       "x": t[x].astype(float), "y": t[y].astype(float), "noise": False})
    for a in ("x", "y"):
        df[f"{a}_lo"] = df[a]
        df[f"{a}_hi"] = df[a]
    for i, k in enumerate(search.lever_keys):
        df[f"lever_{i}"] = [format_value(v) for v in t[k]] if k in t else "-"
    for j, (o, _) in enumerate(search.objectives):
        df[f"value_{j}"] = [format_value(v) for v in t[o]]
    if len(search.pareto):
        p = search.pareto.set_index("trial")
        on = df["trial"].isin(p.index)
        idx = df.loc[on, "trial"]
        for a, o in (("x", x), ("y", y)):
            df.loc[on, a] = p.loc[idx, f"reevaluated:{o}"].to_numpy(dtype=float)
            df.loc[on, f"{a}_lo"] = p.loc[idx, f"low:{o}"].to_numpy(dtype=float)
            df.loc[on, f"{a}_hi"] = p.loc[idx, f"high:{o}"].to_numpy(dtype=float)
        df.loc[on, "noise"] = p.loc[idx, "within_noise"].astype(bool).to_numpy()
        for j, (o, _) in enumerate(search.objectives):
            df.loc[on, f"value_{j}"] = [_interval(*p.loc[i, [f"reevaluated:{o}", f"low:{o}", f"high:{o}"]])
                                        for i in idx]
    return df


def pareto_chart(search: SearchFolder, x: str, y: str, chosen: int | None = None) -> alt.LayerChart:
    """The Pareto front of objectives ``x`` and ``y``: every trial (feasible grey, infeasible
    hollow), the Pareto policies (red, whiskers their 95% interval, ringed black when within
    noise), the ``chosen`` one ringed blue. Hovering a point shows its trial, levers and values;
    the data go in inline (no row limit)."""
    df = chart_frame(search, x, y)
    data = alt.InlineData(values=json.loads(df.to_json(orient="records")))
    d = dict(search.objectives)
    ex = alt.X("x:Q", title=f"{x} ({'higher' if d[x] == 'max' else 'lower'} is better)", scale=alt.Scale(zero=False))
    ey = alt.Y("y:Q", title=f"{y} ({'higher' if d[y] == 'max' else 'lower'} is better)", scale=alt.Scale(zero=False))
    tip = ([alt.Tooltip("trial:Q"), alt.Tooltip("generation:Q"), alt.Tooltip("kind:N", title="trial is")]
           + [alt.Tooltip(f"lever_{i}:N", title=k) for i, k in enumerate(search.lever_keys)]
           + [alt.Tooltip(f"value_{j}:N", title=o) for j, (o, _) in enumerate(search.objectives)])
    base = alt.Chart(data)
    feas = base.transform_filter("datum.kind == 'feasible'").mark_circle(size=40, color=GREY, opacity=0.7)
    infeas = base.transform_filter("datum.kind == 'infeasible'").mark_point(size=40, color=GREY, filled=False)
    pareto = base.transform_filter("datum.kind == 'Pareto'")
    xbar = pareto.mark_rule(color=PARETO_COLOUR, opacity=0.6).encode(alt.X("x_lo:Q"), alt.X2("x_hi:Q"), alt.Y("y:Q"))
    ybar = pareto.mark_rule(color=PARETO_COLOUR, opacity=0.6).encode(alt.X("x:Q"), alt.Y("y_lo:Q"), alt.Y2("y_hi:Q"))
    dots = pareto.mark_circle(size=110, color=PARETO_COLOUR, opacity=1).encode(
        stroke=alt.condition("datum.noise", alt.value("black"), alt.value(PARETO_COLOUR)),
        strokeWidth=alt.value(2))
    layers = [feas.encode(ex, ey, tooltip=tip), infeas.encode(ex, ey, tooltip=tip), xbar, ybar,
              dots.encode(ex, ey, tooltip=tip)]
    if chosen is not None:
        ring = base.transform_filter(f"datum.trial == {int(chosen)}").mark_point(
            size=420, color=CHOSEN_COLOUR, strokeWidth=3, filled=False, opacity=1)
        layers.append(ring.encode(ex, ey, tooltip=tip))
    subtitle = ["grey: trials (hollow: infeasible); red: Pareto policies with 95% intervals",
                "black ring: within noise; blue ring: the chosen policy. Click a red point to choose it."]
    return alt.layer(*layers).properties(width=W, height=H, title=alt.Title(f"{search.name}: {y} against {x}",
                                                                           subtitle=subtitle))


def clicked_trial(datum: Any, policies: list[PolicyRow]) -> int | None:
    """The Pareto policy a click on the chart chose (the clicked datum's ``trial``), or None
    when the click was not on a Pareto policy."""
    if not isinstance(datum, dict) or datum.get("trial") is None:
        return None
    try:
        trial = int(datum["trial"])
    except (TypeError, ValueError):
        return None
    return trial if any(p.trial == trial for p in policies) else None


def explorer_overrides(overrides: dict[str, Any]) -> dict[str, Any]:
    """A policy's ``{dotted key: value}`` overrides (``pareto.parquet``) in the explorer's form:
    an allocation rule first (choosing a rule resets its table, as the explorer's rule control
    does), then every other key in order, each through :func:`sim.viz.controls.set_override`."""
    out: dict[str, Any] = {}
    for key, value in sorted(overrides.items(), key=lambda kv: not kv[0].endswith(".allocation.rule")):
        out = set_override(out, key, value)
    return out
