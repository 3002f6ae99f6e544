"""``write_report``: read a finished batch folder, compute what the report shows, draw
the figures, and write ``report.html`` (self-contained) plus its PNGs."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..batch.signs import sign_sentence
from ..batch.tables import defined_count
from ..results.atomic import write_bytes_atomic, write_text_atomic
from .discovery import discovery_sections
from .figures import (
    curve_figure,
    hhi_figure,
    lorenz_figure,
    outcome_figure,
    png_bytes,
    sampled_curve_figure,
    sampled_scatter_figure,
    sensitivity_figure,
)
from .html import Section, figure_html, interval_cell, render_page, table_html
from .layout import Layout, layout_points
from .sensitivity import SENSITIVITY_METHODS, ranking_summary, sensitivity
from .source import BatchFolder, read_batch_folder
from .streams import CURVES, stream_runs

__all__ = ["ReportOutcome", "write_report"]


@dataclass(frozen=True)
class ReportOutcome:
    """What :func:`write_report` wrote.

    Attributes
    ----------
    html : Path
        The self-contained page.
    figures : list of Path
        The PNG files beside it (the same images as embedded in the page).
    tables : dict of str to pandas.DataFrame
        The tables shown: ``comparison``, ``hhi`` and, for sampled batches,
        ``sensitivity``.
    seconds : float
        Wall time of the report.
    """

    html: Path
    figures: list[Path]
    tables: dict[str, pd.DataFrame]
    seconds: float


class _Writer:
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.files: list[Path] = []

    def figure(self, section: Section, fig, name: str, caption: str) -> None:
        png = png_bytes(fig)
        path = write_bytes_atomic(self.out_dir / f"{name}.png", png)
        self.files.append(path)
        section.add(figure_html(png, path.name, caption))


def _comparison_table(batch: BatchFolder) -> tuple[pd.DataFrame, bool]:
    """The comparison as text cells, and whether a cell is marked ``(n=k)``: an outcome
    defined in only k of the point's successful runs."""
    comp = batch.comparison
    rows = []
    marked = False
    for _, r in comp.iterrows():
        n = int(r["n"])
        row = {"point": int(r["point"]), "point_name": r["point_name"], "n": n}
        for o in batch.outcomes:
            k = defined_count(r, o)
            mark = f" (n={k})" if 0 < k < n else ""
            marked |= bool(mark)
            row[o] = interval_cell(float(r[f"{o}_mean"]), float(r[f"{o}_lo"]), float(r[f"{o}_hi"])) + mark
        rows.append(row)
    return pd.DataFrame(rows), marked


def _hhi_table(batch: BatchFolder, streams) -> pd.DataFrame:
    # n: the runs that sold anything (HHI is undefined without GMV)
    rows = []
    for point in sorted(streams):
        m, lo, hi = streams[point].hhi_interval()
        rows.append({"point": point, "point_name": batch.points.loc[point, "name"],
                     "n": streams[point].hhi_n, "mean": m, "lo": lo, "hi": hi})
    return pd.DataFrame(rows, columns=["point", "point_name", "n", "mean", "lo", "hi"])


def write_report(folder: str | os.PathLike, out: str | os.PathLike | None = None) -> ReportOutcome:
    """Write the HTML report of a finished batch.

    Parameters
    ----------
    folder : path-like
        ``results/<batch>``.
    out : path-like, optional
        Folder for ``report.html`` and its PNGs; default ``<folder>/report``.

    Returns
    -------
    ReportOutcome

    Raises
    ------
    sim.report.ReportInputError
        If ``folder`` is not a finished batch folder.
    OSError
        If the report cannot be written.

    Notes
    -----
    Sections: outcome means with 95% intervals per point (the comparison table and a
    figure); daily aware users, senders and cumulative GMV with 95% bands over
    replicates; merchant concentration (HHI per point, mean Lorenz curves), read from
    each run's ``merchants.parquet`` one run at a time; for ``[sample]`` batches with
    method sobol or morris, SALib sensitivity indices of each outcome to each
    parameter, ranked; the boxes of each scenario discovery (``giftsim discover``) of the
    batch; failed runs. Cost: one pass over the run folders, O(points x
    days) memory.
    """
    start = time.perf_counter()
    batch = read_batch_folder(folder)
    out_dir = Path(out) if out is not None else batch.folder / "report"
    out_dir.mkdir(parents=True, exist_ok=True)
    w = _Writer(out_dir)
    method = (batch.sample or {}).get("method")
    sampled = method is not None
    meta = _meta_lines(batch, method)
    tables: dict[str, pd.DataFrame] = {}
    streams = stream_runs(batch)
    outcomes, layout = _outcomes_section(batch, w, tables, sampled)
    sections = [outcomes, *_signs_section(batch, tables), _curves_section(batch, w, streams, layout, sampled),
                _concentration_section(batch, w, tables, streams, layout, sampled)]
    if method in SENSITIVITY_METHODS:
        sections.append(_sensitivity_section(batch, w, tables, method))
    elif sampled:
        s = Section("sensitivity", "Sensitivity")
        s.text(f"A {method} design has no SALib sensitivity indices; use method = \"sobol\" or \"morris\".", "note")
        sections.append(s)
    sections += discovery_sections(batch.folder)  # giftsim discover's boxes, if any
    sections.append(_failures_section(batch))

    page = render_page(f"giftsim batch report: {batch.name}", meta, sections)
    path = write_text_atomic(out_dir / "report.html", page)
    return ReportOutcome(html=path, figures=w.files, tables=tables, seconds=time.perf_counter() - start)


def _meta_lines(batch: BatchFolder, method: str | None) -> list[str]:
    """The lines under the title: description, run counts and seed, provenance, design."""
    m = batch.manifest
    runs = batch.runs
    n_ok = int((runs["status"] == "ok").sum())
    n_failed = int((runs["status"] == "failed").sum())
    n_missing = int((runs["status"] == "missing").sum())
    draws = int((runs["draw"] >= 0).groupby(runs["draw"]).any().sum()) if "draw" in runs else 0
    shape = f"{draws} parameter draws x " if draws else ""
    meta = [
        (f"{len(batch.points)} points x {shape}{m.get('batch', {}).get('replicates', '?')} replicates = "
         f"{len(runs)} runs: {n_ok} ok, {n_failed} failed, {n_missing} missing. "
         f"Master seed {batch.seed}."),
        (f"Batch file {m.get('batch_file', '?')}; executor {m.get('executor', '?')}; "
         f"started {m.get('started', '?')}, finished {m.get('finished', '?')}; git {m.get('git_commit', '?')}."),
    ]
    desc = m.get("batch", {}).get("description")
    if desc:
        meta.insert(0, desc)
    if method is not None:
        meta.append(f"Sampled design: {method}, N = {batch.sample.get('n')}, parameters "
                    + ", ".join(f"{k} in [{lo:g}, {hi:g}]" for k, (lo, hi) in batch.sample["bounds"].items()))
    return meta


def _outcomes_section(batch: BatchFolder, w: _Writer, tables: dict[str, pd.DataFrame],
                      sampled: bool) -> tuple[Section, Layout | None]:
    """Section 1, outcomes per point; also the panel layout of the points (None if sampled or empty)."""
    s = Section("outcomes", "Outcomes per point: mean [95% interval] over replicates")
    s.text("Student-t intervals of the mean over each point's successful replicates "
           "(comparison.csv).")
    tables["comparison"] = batch.comparison
    shown_comp, marked = _comparison_table(batch)
    if marked:
        s.text("(n=k): the outcome is defined in only k of the point's successful runs (a rate with "
               "nothing to divide, e.g. acceptance_rate without a settled gift, is undefined); its mean "
               "and interval are over those k runs (comparison.csv: <outcome>_n). - where no run defines it.",
               "note")
    s.add(table_html(shown_comp, summary="comparison table"))
    layout = None
    if not sampled and len(batch.comparison):
        layout = layout_points(batch)
        w.figure(s, outcome_figure(batch, layout, batch.comparison, batch.outcomes), "outcomes",
                 "Outcome means with 95% intervals per point")
    return s, layout


def _signs_section(batch: BatchFolder, tables: dict[str, pd.DataFrame]) -> list[Section]:
    """Each point against the first with sign probabilities and robustness flags
    (``comparisons.parquet``); no section for a batch without uncertainty or robustness."""
    path = batch.folder / "comparisons.parquet"
    if not path.is_file():
        return []
    comp = pd.read_parquet(path)
    tables["comparisons"] = comp
    unit = str(comp["unit"].iloc[0]) if len(comp) else "draw"
    s = Section("signs", f"Each point against {comp['reference'].iloc[0] if len(comp) else 'the first'}: "
                "differences and how sure their sign is")
    s.text(f"Per {unit}: the outcome's mean over the {unit}'s runs at the point minus at the reference; mean "
           f"and 95% interval over {unit}s (parameter uncertainty and replicate noise), and the share of {unit}s "
           "with each sign. Flips at: the robustness ends (one parameter at the low or high end of its range) "
           "under which the mean difference has the other sign (robustness.parquet).")
    shown = pd.DataFrame({
        "outcome": comp["outcome"], "point": comp["point_name"],
        "difference": [interval_cell(m, lo, hi) for m, lo, hi in zip(comp["mean"], comp["lo"], comp["hi"])],
        "sign": [sign_sentence(r) for _, r in comp.iterrows()], "flips at": comp["flips_at"],
    })
    s.add(table_html(shown, summary="comparisons"))
    return [s]


def _curves_section(batch: BatchFolder, w: _Writer, streams, layout: Layout | None, sampled: bool) -> Section:
    """Section 2, adoption and GMV over time."""
    s = Section("curves", "Adoption and GMV over time")
    if not streams:
        s.text("No successful run: nothing to draw.", "note")
    elif sampled:
        w.figure(s, sampled_curve_figure(batch, streams), "curves",
                 "Aware users, senders and cumulative GMV by day: each design point's mean "
                 "(grey) and the mean over all runs with its 95% band")
    else:
        s.text("Lines: mean over replicates; bands: 95% interval of that mean (Student t).")
        for column in CURVES:
            w.figure(s, curve_figure(batch, layout, streams, column), f"curve_{column}",
                     f"{CURVES[column]} by day")
    if layout is not None and layout.dropped_panels:
        s.text(f"{layout.dropped_panels} more panel(s) of points are not drawn; see the tables.", "note")
    return s


def _concentration_section(batch: BatchFolder, w: _Writer, tables: dict[str, pd.DataFrame], streams, layout,
                           sampled: bool) -> Section:
    """Section 3, merchant concentration: HHI per point and Lorenz curves."""
    s = Section("concentration", "Merchant concentration")
    s.text("HHI (sum of squared GMV shares) and Lorenz curves of GMV across the merchants that "
           "were on the platform, computed from each run's merchants.parquet, over the replicates that "
           "sold anything (n: HHI is undefined without GMV); Lorenz curves are averaged at 101 shares of "
           "merchants over those replicates (n in the legend).")
    hhi = _hhi_table(batch, streams)
    tables["hhi"] = hhi
    shown = hhi.assign(HHI=[interval_cell(a, b, c) for a, b, c in zip(hhi["mean"], hhi["lo"], hhi["hi"])])
    s.add(table_html(shown[["point", "point_name", "n", "HHI"]], summary="HHI per point"))
    if streams and not sampled:
        w.figure(s, hhi_figure(batch, layout, hhi.set_index("point")), "hhi", "HHI per point with 95% intervals")
        w.figure(s, lorenz_figure(batch, layout, streams), "lorenz", "Mean Lorenz curves of merchant GMV")
    elif streams:
        w.figure(s, sampled_scatter_figure(batch, hhi.set_index("point")["mean"], "HHI"), "hhi",
                 "HHI (mean over replicates) at each design point against each parameter")
    return s


def _sensitivity_section(batch: BatchFolder, w: _Writer, tables: dict[str, pd.DataFrame], method: str) -> Section:
    """Section 4 of a sobol or morris design: SALib indices, their figure and the ranking."""
    s = Section("sensitivity", f"Sensitivity indices ({method}, SALib)")
    table, skipped = sensitivity(batch)
    tables["sensitivity"] = table
    if method == "sobol":
        s.text("Sobol indices of each outcome (averaged over replicates at each design point) to each "
               "parameter: ST is the total effect (with interactions), S1 the first-order effect; "
               "*_conf is the half-width of the 95% bootstrap interval. Ranked by ST.")
    else:
        s.text("Morris elementary effects: mu* is the mean absolute effect (importance), sigma "
               "their spread (interactions or non-linearity). Ranked by mu*.")
    for line in skipped:
        s.text(f"Not analysed: {line}.", "note")
    if len(table):
        s.add(table_html(table, collapse_over=80, summary="sensitivity indices"))
        w.figure(s, sensitivity_figure(table, method, batch.outcomes), "sensitivity",
                 "Sensitivity indices per outcome, most influential parameter on top")
        _ranking(s, batch, ranking_summary(table, method))
    return s


def _ranking(s: Section, batch: BatchFolder, summary: pd.DataFrame) -> None:
    """Add the most-influential-parameter table to ``s``, with a note on unresolved rankings."""
    unsure = summary[~(summary["settled"] & summary["consistent"])]
    if len(unsure):
        n = (batch.sample or {}).get("n")
        s.text(f"Not resolved for {len(unsure)} of {len(summary)} outcomes "
               f"({', '.join(unsure['outcome'])}): the top parameter's interval overlaps the "
               "runner-up's, or the indices leave [0, 1] beyond their intervals, which a design "
               f"too small for the outcome's noise produces (n = {n}, "
               f"{batch.manifest.get('batch', {}).get('replicates', '?')} replicates). Do not read a "
               "ranking there; raise n or replicates.", "note")
    shown = summary.assign(
        settled=summary["settled"].map({True: "yes", False: "no: intervals overlap"}),
        consistent=summary["consistent"].map({True: "yes", False: "no: indices outside [0, 1]"}))
    s.add(table_html(shown, summary="most influential parameter"))


def _failures_section(batch: BatchFolder) -> Section:
    """Section 5, failed runs, read from ``failures.jsonl``."""
    s = Section("failures", "Failed runs")
    fail_path = batch.folder / "failures.jsonl"
    failures = []
    if fail_path.exists():
        for line in fail_path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                f = json.loads(line)
                failures.append({"run_id": f["run_id"], "point_name": f["point_name"],
                                 "replicate": f["replicate"], "error": f["error"]})
    if failures:
        s.text(f"{len(failures)} run(s) failed; tracebacks in failures.jsonl.", "note")
        s.add(table_html(pd.DataFrame(failures), summary="failed runs"))
    else:
        s.text("None.")
    return s
