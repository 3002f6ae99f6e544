"""A batch's answer as Markdown for docs/scenarios.md: the table of outcomes per point (mean
[95% interval]) and, for a batch with parameter uncertainty or robustness ends, each point
against the reference point as a sentence with the probability of its sign and the
robustness flags ("douyin style gives more gifts than wechat in 100% of draws (difference
+1,263 [1,107, 1,420]); robust to the unsourced parameters").
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..batch import BatchResults
from ..batch.signs import unit_means
from ..metrics import OUTCOME_RANGE

__all__ = ["OUTCOME_LABELS", "label", "format_value", "format_difference", "sign_sentence", "comparison_lines",
           "outcome_table", "render_answer"]

OUTCOME_LABELS: dict[str, str] = {
    "gifts_sent": "gifts sent",
    "adoption_share": "adoption (users who sent a gift)",
    "aware_share": "users aware of the feature",
    "days_to_half_adoption": "days until half of the senders had sent",
    "reproduction_number": "R (senders caused per sender)",
    "reproduction_number_gift": "R by a received gift",
    "gifts_sent_back": "gifts sent back",
    "gifts_paid_forward": "gifts paid forward",
    "gmv_rmb": "GMV (RMB)",
    "cash_rmb": "cash sent (RMB)",
    "acceptance_rate": "acceptance rate",
    "hhi": "HHI of merchant GMV",
    "gini": "Gini of merchant GMV",
    "top10_share": "top-10 merchants' share of GMV",
    "sme_gmv_share": "small and medium merchants' share of GMV",
    "brand_gmv_share": "brands' share of GMV",
    "active_merchants": "merchants on the platform at the end",
    "active_sme_merchants": "small and medium merchants on the platform at the end",
    "active_brand_merchants": "brands on the platform at the end",
    "merchants_joined": "merchant entries",
    "merchants_left": "merchant exits",
    "mini_program_merchants": "brands selling from their own mini program at the end",
    "muted_share": "users who muted",
    "single_adopter_share": "single-adopter cascades",
    "beyond_one_step_share": "cascades beyond one step",
    "receive_give_lift": "lift from receiving to giving",
    "ad_revenue_rmb": "platform's revenue from paid traffic (RMB)",
    "group_gifts": "group gifts sent to chat groups",
    "group_claims": "units (shares) of group gifts claimed",
    "group_send_back_per_rmb": "RMB sent back to the group per RMB claimed (same day)",
}
"""Row labels of the outcome tables and nouns of the sentences; an outcome not listed is
shown by its key."""


def label(outcome: str) -> str:
    """The outcome's label (:data:`OUTCOME_LABELS`), or its key."""
    return OUTCOME_LABELS.get(outcome, outcome)


def _is_share(outcome: str) -> bool:
    """A share or rate in [0, 1], printed in percent (HHI and Gini, also in [0, 1], are indices)."""
    return OUTCOME_RANGE.get(outcome) == (0.0, 1.0) and outcome.endswith(("_share", "_rate"))


def _number(x: float) -> str:
    a = abs(x)
    if a == 0:
        return "0"
    if a >= 100:
        return f"{x:,.0f}"
    if a >= 10:
        return f"{x:.1f}"
    if a >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def format_value(outcome: str, x: float) -> str:
    """A value as the tables print it: a share or rate (a ``*_share`` or ``*_rate`` outcome in
    [0, 1]) in percent with one decimal (``5.2%``), a number >= 100 with thousands separators
    and no decimals, smaller ones with 1 to 3 decimals, 0 as ``0``; ``-`` for NaN."""
    if x is None or math.isnan(x):
        return "-"
    return f"{100 * x:.1f}%" if _is_share(outcome) else _number(x)


def format_difference(outcome: str, d: float) -> str:
    """A difference with its sign: shares in percentage points (``+21.3 pp``); ``-`` for NaN."""
    if d is None or math.isnan(d):
        return "-"
    sign = "+" if d > 0 else ("-" if d < 0 else "")
    if _is_share(outcome):
        return f"{sign}{100 * abs(d):.1f} pp"
    return sign + _number(abs(d))


def _interval(outcome: str, lo: float, hi: float, fmt) -> str:
    if math.isnan(lo) or math.isnan(hi):
        return ""
    return f" [{fmt(outcome, lo)}, {fmt(outcome, hi)}]"


def sign_sentence(row: pd.Series, robustness: bool) -> str:
    """One comparison (a ``comparisons.parquet`` row) as a sentence.

    ``"<point> gives more <outcome> than <reference> in 97% of draws (difference +X [lo,
    hi])"`` (``less`` when lower is the most frequent sign, ``the same <outcome> as`` when
    no difference is; the share is rounded to a whole percent), then, with ``robustness``
    (the batch ran robustness ends): ``"; flips at KEY = VALUE, ..."`` from the row's
    ``flips_at``, or ``"; robust to the unsourced parameters"``. When two signs are equally
    frequent: ``"<point> against <reference>: <outcome> higher in 50% of draws and lower in
    50%, no clear sign (difference ...)"``. A comparison without a defined difference reads
    ``"<point> against <reference>: <outcome> undefined"``.
    """
    point, ref, outcome = str(row["point_name"]), str(row["reference"]), str(row["outcome"])
    hi, lo, unit = float(row["p_higher"]), float(row["p_lower"]), str(row["unit"])
    noun = label(outcome)
    if math.isnan(hi):
        return f"{point} against {ref}: {noun} undefined"
    ranked = sorted((("more", hi), ("less", lo), ("same", 1.0 - hi - lo)), key=lambda wp: -wp[1])
    (word, p), (second, p2) = ranked[0], ranked[1]
    diff = format_difference(outcome, float(row["mean"]))
    diff += _interval(outcome, float(row["lo"]), float(row["hi"]), format_difference)
    if p == p2:  # a tie: no sign is the most frequent
        shares = {"more": "higher", "less": "lower", "same": "equal"}
        text = (f"{point} against {ref}: {noun} {shares[word]} in {p:.0%} of {unit}s and {shares[second]} in "
                f"{p2:.0%}, no clear sign (difference {diff})")
    else:
        what = f"the same {noun} as" if word == "same" else f"{word} {noun} than"
        text = f"{point} gives {what} {ref} in {p:.0%} of {unit}s (difference {diff})"
    if robustness:
        flips = str(row["flips_at"] or "")
        text += f"; flips at {flips}" if flips else "; robust to the unsourced parameters"
    return text


def comparison_lines(comparisons: pd.DataFrame, outcomes: Sequence[str] | None, robustness: bool) -> str:
    """The comparisons as a Markdown list, one sentence each (:func:`sign_sentence`), outcome
    by outcome in the order of ``outcomes`` (default: the table's), points in order; ""
    when there is none."""
    if comparisons is None or not len(comparisons):
        return ""
    order = list(outcomes) if outcomes else list(dict.fromkeys(comparisons["outcome"]))
    lines = []
    for o in order:
        rows = comparisons[comparisons["outcome"] == o].sort_values("point")
        lines += [f"- {sign_sentence(row, robustness)}" for _, row in rows.iterrows()]
    return "\n".join(lines) + ("\n" if lines else "")


def _cells_over_units(runs: pd.DataFrame, outcome: str, points: np.ndarray) -> list[str]:
    """Mean over units (draws) of each point's unit means, with the 2.5-97.5 percentile interval."""
    m, _ = unit_means(runs, outcome, points)
    cells = []
    for row in m:
        x = row[~np.isnan(row)]
        if not len(x):
            cells.append("-")
            continue
        lo, hi = np.quantile(x, [0.025, 0.975]) if len(x) >= 2 else (math.nan, math.nan)
        cells.append(format_value(outcome, float(x.mean())) + _interval(outcome, lo, hi, format_value))
    return cells


def _cells_from_comparison(comp: pd.DataFrame, outcome: str) -> list[str]:
    """Mean [Student t interval] per point from ``comparison.csv`` (a batch without draws)."""
    return [format_value(outcome, float(r[f"{outcome}_mean"]))
            + _interval(outcome, float(r[f"{outcome}_lo"]), float(r[f"{outcome}_hi"]), format_value)
            for _, r in comp.sort_values("point").iterrows()]


def outcome_table(results: BatchResults, outcomes: Sequence[str]) -> str:
    """The outcomes per point as a Markdown table (outcomes as rows, points as columns).

    With parameter draws, each cell is the mean over draws of the draw's mean over its
    replicates, with the 2.5th-97.5th percentiles of those draw means (the outcome's spread
    under parameter uncertainty and replicate noise); without, the mean over runs with its
    Student t 95% interval (``comparison.csv``). Robustness-end runs are left out.
    """
    runs = results.runs
    first = runs.drop_duplicates("point").sort_values("point")
    points = first["point"].to_numpy(dtype=np.int64)
    names = first["point_name"].astype(str).tolist()
    by_draw = "draw" in runs and bool((runs["draw"] >= 0).any())
    lines = ["| outcome | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for o in outcomes:
        if o not in runs:
            continue
        cells = _cells_over_units(runs, o, points) if by_draw else _cells_from_comparison(results.comparison, o)
        lines.append(f"| {label(o)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def render_answer(results: BatchResults, outcomes: Sequence[str], compare: Sequence[str] | None = None) -> str:
    """A batch's generated block: a line saying what the intervals cover, the outcome table
    (:func:`outcome_table`) and, when the batch wrote ``comparisons.parquet``, the sentences
    (:func:`comparison_lines`, for the outcomes in ``compare``, default all)."""
    runs = results.runs
    draws = int(runs.loc[runs["draw"] >= 0, "draw"].nunique()) if "draw" in runs else 0
    reps = int(runs["replicate"].nunique()) if "replicate" in runs else 0
    robust = results.robustness is not None and len(results.robustness) > 0
    u = results.manifest.get("batch", {}).get("uncertainty")
    shipped = u == "posterior" or (isinstance(u, dict) and u.get("posterior") == "shipped")
    if draws:
        head = (f"Mean [95% interval] over {draws} parameter draws"
                + (" from the calibrated posterior (docs/evidence.md)" if shipped else "")
                + f" x {reps} replicate{'s' if reps != 1 else ''} each: the interval covers parameter uncertainty "
                "and the simulation's randomness.")
    else:
        head = f"Mean [95% interval] over {reps} replicates: the interval covers the simulation's randomness only."
    parts = [head, "", outcome_table(results, outcomes)]
    lines = comparison_lines(results.comparisons, compare, robust) if results.comparisons is not None else ""
    if lines:
        ref = str(results.comparisons["reference"].iloc[0])
        ends = ""
        if robust:
            keys = ", ".join(dict.fromkeys(results.robustness["parameter"]))
            ends = (f" Robustness: each comparison rerun with one unsourced parameter at an end of its range "
                    f"({keys}); \"flips at\" names the ends that turn its sign.")
        unit = str(results.comparisons["unit"].iloc[0])
        parts += [f"Against {ref} (the difference's mean [95% interval] over {unit}s, and how often its sign "
                  f"holds).{ends}", "", lines]
    return "\n".join(parts)
