"""``giftsim report`` of a policy search folder: write its HTML report and print a summary
(the search's state and its Pareto policies) on the console."""

from __future__ import annotations

import os

from rich.table import Table

from .common import console

__all__ = ["report_search", "pareto_console_table"]


def pareto_console_table(shown, lever_keys: list[str], title: str) -> Table:
    """A rich table of :func:`sim.report.search_report.pareto_policy_table`'s text cells, the
    levers that applied folded into one column (``key value`` per line, ``policy.`` left out)."""
    table = Table(title=title, title_justify="left")
    table.add_column("trial", justify="right")
    table.add_column("levers", overflow="fold", min_width=30)
    rest = [c for c in shown.columns if c not in ("trial", "generation", *lever_keys)]
    for col in rest:
        table.add_column(str(col), justify="left" if col == "flags" else "right", overflow="fold")
    for _, row in shown.iterrows():
        levers = "\n".join(f"{k.removeprefix('policy.')} {row[k]}" for k in lever_keys if row[k] != "-")
        table.add_row(str(row["trial"]), levers, *(str(row[c]) for c in rest))
    return table


def report_search(folder: str | os.PathLike, out: str | os.PathLike | None = None) -> int:
    """Write the report of the search in ``folder`` and print its summary; returns exit code 0.

    Raises
    ------
    sim.search.folder.SearchFolderError
        If ``folder`` is not a readable search folder.
    """
    from ..report.search_report import robustness_text, write_search_report
    from ..search.folder import read_search

    search = read_search(folder)  # a clear message before anything is drawn
    with console.status("writing the search report"):
        outcome = write_search_report(folder, out=out)
    t = search.trials
    m = search.manifest
    console.print(f"search {search.name} ({m.get('status', '?')}): {len(t)} trials, "
                  f"{int(t['feasible'].astype(bool).sum())} feasible, {int(t['pareto'].astype(bool).sum())} "
                  f"on the Pareto front; robustness: {robustness_text(search)}", soft_wrap=True)
    shown = outcome.tables["pareto"]
    what = "re-evaluated value [95% interval]" if len(search.pareto) else "search value (not re-evaluated yet)"
    console.print(pareto_console_table(shown, search.lever_keys, f"Pareto policies: levers and {what}"))
    g = search.generations
    if len(g):
        last = g.iloc[-1]
        console.print(f"generation {int(last['generation'])}: hypervolume {float(last['hypervolume']):.4g}, "
                      f"front of {int(last['pareto_size'])}", soft_wrap=True)
    console.print(f"wrote {outcome.html} and {len(outcome.figures)} PNG figures beside it "
                  f"({outcome.seconds:.1f} s)", soft_wrap=True)
    return 0
