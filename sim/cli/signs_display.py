"""The console table of a batch's sign comparisons (``comparisons.parquet``): each point
against the first, the mean difference with its 95% interval over draws, how often it is
positive, and the robustness ends that flip it; printed by ``giftsim batch`` and
``giftsim report``."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from rich.markup import escape
from rich.table import Table

from ..batch.signs import sign_sentence
from .common import console, fmt

__all__ = ["print_sign_comparisons", "MAX_ROWS"]

MAX_ROWS = 40
"""Most comparisons printed; the rest are in ``comparisons.parquet``."""


def _cell(row: pd.Series) -> str:
    m, lo, hi = float(row["mean"]), float(row["lo"]), float(row["hi"])
    if math.isnan(m):
        return "-"
    sign = "+" if m > 0 else ""
    interval = "" if math.isnan(lo) else f" [{fmt(lo)}, {fmt(hi)}]"
    return f"{sign}{fmt(m)}{interval}"


def print_sign_comparisons(folder: str | Path, out=None) -> bool:
    """Print the batch folder's ``comparisons.parquet`` as a table (at most :data:`MAX_ROWS`
    rows, outcome by outcome); returns False (printing nothing) if the folder has none."""
    path = Path(folder) / "comparisons.parquet"
    if not path.is_file():
        return False
    out = out or console
    comp = pd.read_parquet(path)
    if not len(comp):
        return False
    unit = str(comp["unit"].iloc[0])
    ref = str(comp["reference"].iloc[0])
    robust = (Path(folder) / "robustness.parquet").is_file() and bool(len(pd.read_parquet(
        Path(folder) / "robustness.parquet")))
    table = Table(title=escape(f"each point against {ref}: difference, mean [95% interval] over {unit}s, "
                               "and how often it is positive"), header_style="bold")
    for name, justify in (("outcome", "left"), ("point", "left"), ("difference", "right"), ("sign", "left")):
        table.add_column(name, justify=justify)
    if robust:
        table.add_column("flips at")
    for _, row in comp.head(MAX_ROWS).iterrows():
        cells = [str(row["outcome"]), str(row["point_name"]), _cell(row), sign_sentence(row)]
        if robust:
            cells.append(f"flips at: {row['flips_at']}" if row["flips_at"] else "")
        table.add_row(*map(escape, cells))
    out.print(table)
    more = f" ({len(comp) - MAX_ROWS} more)" if len(comp) > MAX_ROWS else ""
    out.print(escape(f"every comparison{more}: {path}" + (f"; robustness ends: {Path(folder) / 'robustness.parquet'}"
                                                          if robust else "")), soft_wrap=True)
    return True
