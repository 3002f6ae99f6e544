"""Plausibility of the gift model against published field data (reported, not pass/fail).

The default scenarios are not tuned to these figures; this module measures where they
land and how one-at-a-time parameter changes move them.

Published figures
-----------------
Goel, Watts & Goldstein (2012), "The structure of online diffusion networks", ACM EC:
in six online domains 70%-95% of adoption cascades are a single adopter who converts
nobody, and only 1%-4% reach beyond one step.
Leskovec, Adamic & Huberman (2007), "The dynamics of viral marketing", ACM TWeb 1(1):
about one purchase per 92 recommendations overall (books 1 in 69, DVDs 1 in 108), a
purchase probability that saturates with the number of recommendations received, and
only about a third of buyers go on to recommend.

giftsim analogues (a gift is a recommendation of its product to its recipient)
---------------------------------------------------------------------------
``single_adopter_share``, ``beyond_one_step_share``
    As in :data:`sim.metrics.SUMMARY_KEYS`: cascades are trees of senders linked by who
    made whom aware.
``recommendations_per_purchase``
    Gifts received per gift after which the recipient bought the same merchant's product
    (sent a gift of it, any source) within 7 days, as Leskovec et al. count a purchase
    within a week of a recommendation. ``inf`` when gifts led to none; NaN without gifts.
``visits_per_purchase``
    Product-page visits per gift bought (the feed's conversion, 1 / gifts_per_visit).
    ``inf`` with visits but no gift; NaN with neither.
``recipients_sending_on``
    Share of users who accepted a gift and later sent at least one gift themselves
    (Leskovec's buyers who recommend: in giftsim every purchase is already a gift, so the
    comparable step is from receiving to giving). NaN when no gift was accepted.
``purchase_by_received``
    P(a recipient who had not sent a gift before sends one after first receiving one | k
    gifts received in the run), k = 1, 2, 3+.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from ..runner import RunResult, run
from ..scenario import Scenario, with_overrides
from .result import Curve, Plot

__all__ = [
    "PUBLISHED",
    "SWEEP",
    "landing",
    "plausibility_metrics",
    "purchase_by_received",
    "recommendation_conversions",
    "saturation_plot",
    "sweep",
    "sweep_plot",
]

PUBLISHED: dict[str, tuple[float, float, str]] = {
    "single_adopter_share": (0.70, 0.95, "Goel, Watts & Goldstein (EC 2012)"),
    "beyond_one_step_share": (0.01, 0.04, "Goel, Watts & Goldstein (EC 2012)"),
    "recommendations_per_purchase": (69.0, 108.0, "Leskovec, Adamic & Huberman (TWeb 2007): 92 overall"),
    "recipients_sending_on": (0.25, 0.40, "Leskovec, Adamic & Huberman (TWeb 2007): about a third"),
}
"""Metric -> (low, high, source) of the published range (the Leskovec ranges span the
book and DVD figures, and "about a third")."""

SWEEP: dict[str, list[tuple[str, object]]] = {
    "population.pay_forward": [("mean 0.1", {"dist": "beta", "a": 1.0, "b": 9.0}),
                               ("mean 0.4", {"dist": "beta", "a": 4.0, "b": 6.0})],
    "population.reciprocity": [("mean 0.1", {"dist": "beta", "a": 1.0, "b": 9.0}),
                               ("mean 0.4", {"dist": "beta", "a": 4.0, "b": 6.0})],
    "gifts.accept_intercept": [("-0.5", -0.5), ("1.5", 1.5)],
    "gifts.send_probability": [("0.125", 0.125), ("0.5", 0.5)],
    "policy.commercial_share": [("0.0125", 0.0125), ("0.05", 0.05)],
}
"""One-at-a-time changes from the defaults (pay_forward Beta(1, 9), reciprocity Beta(1, 19),
0.5, 0.25, 0.025); since issue 14 the pay-forward's "mean 0.1" row is the default itself."""

WINDOW_DAYS = 7
"""Days after a gift in which the recipient's purchase counts (Leskovec et al.: a week)."""


def _ratio(a: float, b: float) -> float:
    """The ratio a / b; ``inf`` for a > 0 over 0, NaN (undefined) for 0 / 0."""
    if b:
        return a / b
    return float("inf") if a else float("nan")


def recommendation_conversions(result: RunResult) -> tuple[int, int]:
    """Gifts and converted gifts of one run, as Leskovec et al. count recommendations and
    purchases: a gift converts when its recipient sends a gift of the same merchant's product
    (any source) within :data:`WINDOW_DAYS` days after it was sent.

    Returns
    -------
    (int, int)
        Gifts sent (every ledger row) and gifts after which the recipient bought.
    """
    g = result.gifts
    window = WINDOW_DAYS * result.scenario.time.steps_per_day
    recs = g[["gift_id", "recipient", "merchant", "step_sent"]]
    buys = g[["sender", "merchant", "step_sent"]].rename(
        columns={"sender": "recipient", "step_sent": "buy_step"})
    pairs = recs.merge(buys, on=["recipient", "merchant"])
    hit = pairs[(pairs["buy_step"] > pairs["step_sent"]) & (pairs["buy_step"] <= pairs["step_sent"] + window)]
    return len(g), int(hit["gift_id"].nunique())


def plausibility_metrics(result: RunResult) -> dict[str, float]:
    """The giftsim analogues of the published figures for one run (see the module doc).

    Returns
    -------
    dict of str to float
        ``single_adopter_share``, ``beyond_one_step_share``,
        ``recommendations_per_purchase``, ``visits_per_purchase``,
        ``recipients_sending_on``, ``gifts``, ``cascades``. A ratio with nothing to
        divide (0 / 0, e.g. ``recipients_sending_on`` when no gift was accepted) is NaN;
        a positive amount over zero is ``inf`` (see the module doc).
    """
    g = result.gifts
    gifts, converted = recommendation_conversions(result)
    visits = float(result.series["product_visits"].sum())
    acc = g[g["outcome"] == "accepted"]
    first_acc = acc.groupby("recipient")["step_settled"].min()
    first_send_after = g.merge(first_acc.rename("acc_step"), left_on="sender", right_index=True)
    sending_on = first_send_after[first_send_after["step_sent"] >= first_send_after["acc_step"]]["sender"].nunique()
    return {
        "single_adopter_share": float(result.summary["single_adopter_share"]),
        "beyond_one_step_share": float(result.summary["beyond_one_step_share"]),
        "recommendations_per_purchase": _ratio(gifts, converted),
        "visits_per_purchase": _ratio(visits, gifts),
        "recipients_sending_on": _ratio(sending_on, len(first_acc)),
        "gifts": float(gifts),
        "cascades": float(result.summary["cascades"]),
    }


def purchase_by_received(results: Iterable[RunResult], k_max: int = 3) -> pd.DataFrame:
    """P(a recipient buys: sends a first gift | k gifts received before buying), pooled.

    Only recipients who had sent no gift before their first gift arrived count (users
    already sending would buy anyway). k counts the gifts sent to the user before their
    first own gift (all of the run's for those who never send), so that gifts received
    back because the user sent do not count, as Leskovec et al. count recommendations
    received before the purchase.

    Returns
    -------
    pandas.DataFrame
        Columns ``received`` (1 .. k_max, the last meaning k_max or more), ``recipients``,
        ``sent_after``, ``share`` and ``se`` (binomial standard error).
    """
    rows = []
    for r in results:
        g = r.gifts
        first_send = g.groupby("sender")["step_sent"].min()
        rec = g[["recipient", "step_sent"]].copy()
        rec["own_first"] = first_send.reindex(rec["recipient"]).to_numpy()
        rec = rec[~(rec["step_sent"] >= rec["own_first"])]  # received before buying (or never buys)
        per = rec.groupby("recipient").agg(k=("step_sent", "size"), first=("step_sent", "min"),
                                           own_first=("own_first", "first"))
        per = per[~(per["own_first"] <= per["first"])]
        rows.append(pd.DataFrame({"received": np.minimum(per["k"].to_numpy(), k_max),
                                  "sent_after": per["own_first"].notna().to_numpy()}))
    df = pd.concat(rows)
    out = df.groupby("received").agg(recipients=("sent_after", "size"), sent_after=("sent_after", "sum"))
    out["share"] = out["sent_after"] / out["recipients"]
    out["se"] = np.sqrt(out["share"] * (1 - out["share"]) / out["recipients"])
    return out.reset_index()


def _summarise(values: list[dict[str, float]]) -> dict[str, tuple[float, float]]:
    df = pd.DataFrame(values).replace([np.inf], np.nan)
    return {c: (float(df[c].mean()), float(df[c].std(ddof=1) / np.sqrt(df[c].count())))
            for c in df.columns}


def landing(scenarios: Mapping[str, Scenario], seeds: Iterable[int] = range(10)
            ) -> tuple[pd.DataFrame, dict[str, list[RunResult]]]:
    """Where each scenario lands on each analogue: mean and standard error over seeds.

    Returns
    -------
    table : pandas.DataFrame
        One row per (scenario, metric): ``mean``, ``se``, ``published_low``,
        ``published_high``, ``inside`` (bool, or NaN without a published range).
    results : dict of str to list of RunResult
        The runs, for :func:`purchase_by_received`.
    """
    rows, runs = [], {}
    for name, sc in scenarios.items():
        runs[name] = [run(sc, s) for s in seeds]
        stats = _summarise([plausibility_metrics(r) for r in runs[name]])
        for metric, (m, se) in stats.items():
            lo, hi, _ = PUBLISHED.get(metric, (np.nan, np.nan, ""))
            rows.append({"scenario": name, "metric": metric, "mean": m, "se": se,
                         "published_low": lo, "published_high": hi,
                         "inside": bool(lo <= m <= hi) if np.isfinite(lo) else np.nan})
    return pd.DataFrame(rows), runs


def sweep(base: Scenario, seeds: Iterable[int] = range(4),
          changes: Mapping[str, list[tuple[str, object]]] = SWEEP) -> pd.DataFrame:
    """One-at-a-time sweep: each change applied alone to ``base``, metrics over seeds.

    Returns
    -------
    pandas.DataFrame
        One row per change (and ``default``): ``parameter``, ``value`` and the mean of
        each metric of :func:`plausibility_metrics`.
    """
    seeds = list(seeds)
    rows = []
    variants = [("default", "", base)] + [
        (key, label, with_overrides(base, [(key, value)], source="plausibility sweep"))
        for key, options in changes.items() for label, value in options
    ]
    for key, label, sc in variants:
        stats = _summarise([plausibility_metrics(run(sc, s)) for s in seeds])
        rows.append({"parameter": key, "value": label, **{k: v[0] for k, v in stats.items()}})
    return pd.DataFrame(rows)


def saturation_plot(tables: Mapping[str, pd.DataFrame]) -> Plot:
    """Plot of :func:`purchase_by_received` per scenario, with 2-SE bars."""
    return Plot(
        title="P(recipient buys a first gift | gifts received before buying)",
        xlabel="gifts received before buying (3 = 3 or more)", ylabel="share who then send a gift",
        curves=tuple(Curve(name, t["received"].to_numpy(float) + 0.04 * i, t["share"].to_numpy(float),
                           style="points", err=2 * t["se"].to_numpy(float))
                     for i, (name, t) in enumerate(tables.items())),
        xticks=(1.0, 2.0, 3.0),
    )


def sweep_plot(table: pd.DataFrame) -> Plot:
    """Single-adopter share against beyond-one-step share for each sweep variant."""
    labels = [f"{p.split('.')[-1]} {v}".strip() or "default" for p, v in zip(table["parameter"], table["value"])]
    curves = tuple(
        Curve(lab, np.array([b]), np.array([a]), style="points")
        for lab, a, b in zip(labels, table["single_adopter_share"], table["beyond_one_step_share"])
    )
    lo1, hi1, _ = PUBLISHED["single_adopter_share"]
    lo2, hi2, _ = PUBLISHED["beyond_one_step_share"]
    box = Curve("Goel et al. 2012 range", np.array([lo2, hi2, hi2, lo2, lo2]),
                np.array([lo1, lo1, hi1, hi1, lo1]))
    return Plot(title="Cascade shape under one-at-a-time changes (WeChat default)",
                xlabel="share of cascades beyond one step", ylabel="share of single-adopter cascades",
                curves=(box, *curves))
