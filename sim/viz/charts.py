"""Live charts of the explorer (Altair / Vega-Lite), from the model's daily series and
merchant table: always the whole population, whatever part of the graph is drawn."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..metrics import hhi, lorenz_curve, top_k_share
from ..model import GiftModel
from ..runner import series_table
from ..scenario.schema import MerchantConfig

__all__ = ["series_frame", "merchant_frame", "kind_styles", "gifts_chart", "adoption_chart", "gmv_chart",
           "merchants_chart", "top_merchants_chart", "lorenz_chart", "KIND_PALETTE"]

WIDTH, HEIGHT = 290, 170
KIND_PALETTE = ("#e76f51", "#8338ec", "#3a86ff", "#ff006e", "#6a994e", "#bc6c25", "#457b9d", "#9d4edd")
"""Colours of merchant kinds that set no ``colour``, taken by kind code (cycling)."""
GIFT_COLOURS = {"sent": "#264653", "accepted": "#e63946", "expired": "#8d99ae"}


def series_frame(model: GiftModel) -> pd.DataFrame:
    """The daily series so far, one row per step done: ``date`` (pandas datetimes, for
    Vega-Lite) and every recorder column (see :func:`sim.runner.series_table`)."""
    df = series_table(model).drop(columns="step")
    df["date"] = pd.to_datetime(df["date"])
    return df


def kind_styles(cfg: MerchantConfig) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Chart labels and colours of the scenario's merchant kinds, each indexed by kind code.

    A kind's label is its ``label`` (else its name), its colour its ``colour`` (else
    :data:`KIND_PALETTE` at the kind code, cycling).
    """
    colours = tuple(t.colour or KIND_PALETTE[i % len(KIND_PALETTE)] for i, t in enumerate(cfg.types()))
    return cfg.kind_labels(), colours


def merchant_frame(model: GiftModel) -> pd.DataFrame:
    """One row per merchant: ``merchant``, ``kind`` (the kind's chart label, categorical in
    kind order), ``colour`` (the kind's ``#rrggbb``), ``gmv`` (RMB), ``active``."""
    t = model.merchant_table
    labels, colours = kind_styles(model.gift_scenario.merchants)
    codes = t.kind.astype(np.int64)
    return pd.DataFrame({
        "merchant": np.arange(t.n_merchants), "kind": pd.Categorical.from_codes(codes, labels),
        "colour": np.asarray(colours, dtype=object)[codes] if len(codes) else np.array([], dtype=object),
        "gmv": t.gmv.astype(float), "active": t.active.astype(bool),
    })


def _x(model: GiftModel) -> alt.X:
    d = model.calendar.dates
    domain = [pd.Timestamp(d[0]).isoformat(), pd.Timestamp(d[-1]).isoformat()]
    return alt.X("date:T", title=None, scale=alt.Scale(domain=domain),
                 axis=alt.Axis(format="%b %d", labelAngle=0, tickCount=6))


def _frame(chart: alt.Chart, title: str) -> alt.Chart:
    return chart.properties(width=WIDTH, height=HEIGHT, title=title)


def gifts_chart(model: GiftModel, s: pd.DataFrame) -> alt.Chart:
    """Gifts sent, accepted and expired per step, one line each, over the scenario's dates.

    Parameters
    ----------
    model : GiftModel
        Gives the date axis (the whole scenario, so the chart does not rescale as it grows).
    s : pandas.DataFrame
        :func:`series_frame`: ``date`` and the recorder's columns.
    """
    long = s.melt(id_vars="date", value_vars=["gifts_sent", "gifts_accepted", "gifts_expired"],
                  var_name="what", value_name="gifts")
    long["what"] = long["what"].str.removeprefix("gifts_")
    colour = alt.Color("what:N", title=None, sort=list(GIFT_COLOURS),
                       scale=alt.Scale(domain=list(GIFT_COLOURS), range=list(GIFT_COLOURS.values())))
    c = alt.Chart(long).mark_line(point=alt.OverlayMarkDef(size=12)).encode(
        _x(model), alt.Y("gifts:Q", title="gifts per day"), colour,
        tooltip=["date:T", "what:N", "gifts:Q"])
    return _frame(c, "Gifts sent / accepted / expired")


def adoption_chart(model: GiftModel, s: pd.DataFrame) -> alt.Chart:
    """Shares of all users (0 to 1) who see the gift button, are aware of gifting, and have
    sent a gift, per step; ``s`` is :func:`series_frame`."""
    n = model.population.n_users
    df = pd.DataFrame({"date": s["date"], "gift button (rollout)": s["button_share"],
                       "aware": s["aware_users"] / n, "senders": s["senders"] / n})
    long = df.melt(id_vars="date", var_name="what", value_name="share")
    names = ["gift button (rollout)", "aware", "senders"]
    colour = alt.Color("what:N", title=None, sort=names,
                       scale=alt.Scale(domain=names, range=["#8ecae6", "#ffb703", "#d62828"]))
    c = alt.Chart(long).mark_line().encode(
        _x(model), alt.Y("share:Q", title="share of users", axis=alt.Axis(format="%"),
                         scale=alt.Scale(domain=[0, 1])), colour,
        tooltip=["date:T", "what:N", alt.Tooltip("share:Q", format=".1%")])
    return _frame(c, f"Adoption ({n:,} users)")


def gmv_chart(model: GiftModel, s: pd.DataFrame) -> alt.Chart:
    """GMV per step in RMB (bars), titled with the total so far; ``s`` is :func:`series_frame`."""
    c = alt.Chart(s[["date", "gmv_rmb"]]).mark_bar(color="#e76f51").encode(
        _x(model), alt.Y("gmv_rmb:Q", title="RMB per day"),
        tooltip=["date:T", alt.Tooltip("gmv_rmb:Q", format=",.0f", title="GMV")])
    return _frame(c, f"GMV: {s['gmv_rmb'].sum():,.0f} RMB so far")


def merchants_chart(model: GiftModel, s: pd.DataFrame) -> alt.Chart:
    """Merchants on the platform per step (a step line); ``s`` is :func:`series_frame`."""
    c = alt.Chart(s[["date", "active_merchants"]]).mark_line(color="#1d3557", interpolate="step-after").encode(
        _x(model), alt.Y("active_merchants:Q", title="merchants", scale=alt.Scale(zero=True)),
        tooltip=["date:T", "active_merchants:Q"])
    return _frame(c, "Active merchants")


def top_merchants_chart(m: pd.DataFrame, k: int = 15) -> alt.Chart:
    """The ``k`` merchants with the most GMV (RMB) as bars, titled with the HHI and top-10
    share of all merchants' GMV; ``m`` is :func:`merchant_frame`. Ties are broken by
    merchant index. Colours and legend come from the frame's ``kind`` and ``colour``
    columns, in kind order; without a ``colour`` column, Vega-Lite's default scheme."""
    g = m["gmv"].to_numpy()
    title = (f"Top merchants by GMV · HHI {hhi(g):.3f} · top-10 share {top_k_share(g, 10):.0%}"
             if g.sum() > 0 else "Top merchants by GMV (no sales yet)")
    top = m.sort_values(["gmv", "merchant"], ascending=[False, True]).head(k).copy()
    top["label"] = [f"#{i} {kind}" for i, kind in zip(top["merchant"], top["kind"])]
    top["kind"] = top["kind"].astype(str)
    colour = alt.Color("kind:N", title=None)
    if "colour" in m:
        order = m["kind"].cat.categories if isinstance(m["kind"].dtype, pd.CategoricalDtype) else m["kind"].unique()
        of = dict(zip(m["kind"].astype(str), m["colour"]))
        kinds = [str(x) for x in order if str(x) in of]
        colour = alt.Color("kind:N", title=None, sort=kinds,
                           scale=alt.Scale(domain=kinds, range=[of[x] for x in kinds]))
    c = alt.Chart(top.drop(columns=["colour"], errors="ignore")).mark_bar().encode(
        alt.X("gmv:Q", title="GMV, RMB"), alt.Y("label:N", sort="-x", title=None), colour,
        tooltip=["merchant:Q", "kind:N", alt.Tooltip("gmv:Q", format=",.0f")])
    return _frame(c, title)


def lorenz_chart(m: pd.DataFrame) -> alt.Chart:
    """The Lorenz curve of merchant GMV against the line of equality; without any GMV
    (the curve and the Gini are undefined) an empty chart saying "no GMV yet", not the
    equality diagonal that :func:`sim.metrics.lorenz_curve` returns then."""
    g = m["gmv"].to_numpy(dtype=float)
    x_enc = alt.X("merchants:Q", title="share of merchants (poorest first)", axis=alt.Axis(format="%"),
                  scale=alt.Scale(domain=[0, 1]))
    y_enc = alt.Y("gmv:Q", title="share of GMV", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]))
    if not g.sum() > 0:
        note = alt.Chart(pd.DataFrame({"merchants": [0.5], "gmv": [0.5], "text": ["no GMV yet"]})).mark_text(
            fontSize=14, color="#6c757d").encode(x_enc, y_enc, text="text:N")
        return note.properties(width=WIDTH, height=HEIGHT,
                               title=alt.TitleParams("Lorenz curve of merchant GMV",
                                                     subtitle="no GMV yet: no curve, Gini undefined"))
    x, y = lorenz_curve(g)
    df = pd.DataFrame({"merchants": x, "gmv": y})
    line = alt.Chart(df).mark_line(color="#e63946").encode(x_enc, y_enc)
    diag = alt.Chart(pd.DataFrame({"merchants": [0.0, 1.0], "gmv": [0.0, 1.0]})).mark_line(
        color="#adb5bd", strokeDash=[4, 4]).encode(x="merchants:Q", y="gmv:Q")
    return (diag + line).properties(width=WIDTH, height=HEIGHT, title="Lorenz curve of merchant GMV")
