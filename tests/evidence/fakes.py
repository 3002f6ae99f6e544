"""Hand-made run results for the evidence tests: a shipped scenario with tables written by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from sim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def scenario(name: str):
    """A shipped scenario, loaded (no run)."""
    return load_scenario(SCENARIOS / name)


def gifts(rows: list[dict]) -> pd.DataFrame:
    """A gifts table with the columns the quantities read; defaults: a person-to-person gift
    of 10 RMB from user 0 to user 1, sent and accepted at step 0."""
    base = {"sender": 0, "recipient": 1, "merchant": -1, "price": 10.0, "step_sent": 0, "outcome": "accepted",
            "step_settled": 0, "group": -1}
    return pd.DataFrame([{**base, **r} for r in rows], columns=list(base))


def series(sc, **columns: dict[dt.date, float]) -> pd.DataFrame:
    """One row per day of ``sc``'s run (daily steps): ``date`` and each named column, 0 except
    on the days given."""
    dates = [sc.time.start + dt.timedelta(days=i) for i in range(sc.time.days)]
    out = pd.DataFrame({"step": np.arange(len(dates)), "date": pd.to_datetime(dates)})
    for name, values in columns.items():
        out[name] = [values.get(d, 0) for d in dates]
    return out


def result(sc, *, summary: dict | None = None, gift_rows: list[dict] | None = None, series_table=None,
           cascades=None, merchants=None) -> SimpleNamespace:
    """A RunResult-like object: the attributes the quantities read."""
    return SimpleNamespace(scenario=sc, summary=summary or {}, gifts=gifts(gift_rows or []),
                           series=series_table, cascades=cascades, merchants=merchants, seed=0)
