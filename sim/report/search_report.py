"""``write_search_report``: the HTML report of a policy search folder (``giftsim optimize``'s
results): the Pareto front for each pair of objectives, the levers and re-evaluated values of
every Pareto policy, convergence by generation, and the search's settings."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd

from ..results.atomic import write_bytes_atomic, write_text_atomic
from ..search.folder import SearchFolder, format_value, read_search
from .build import ReportOutcome
from .figures import png_bytes
from .html import Section, figure_html, interval_cell, render_page, table_html
from .search_figures import convergence_figure, pareto_figure

__all__ = ["write_search_report", "pareto_policy_table", "settings_tables", "robustness_text"]


def robustness_text(search: SearchFolder) -> str:
    """The robustness measure in words, e.g. ``10th worst percentile over draws``."""
    r = search.manifest.get("robustness") or {}
    kind = r.get("kind", "mean")
    if kind == "percentile":
        return f"percentile {format_value(r.get('percentile'))} (the value beaten in that share of draws)"
    if kind == "regret":
        return "regret (largest shortfall from the best policy in each draw)"
    return "mean over draws"


def _flags(row: pd.Series) -> str:
    out = []
    if bool(row.get("dominated_on_reevaluation", False)):
        out.append("dominated on re-evaluation")
    if bool(row.get("within_noise", False)):
        out.append(f"within noise of {row.get('noise_peers') or '?'}")
    return "; ".join(out)


def pareto_policy_table(search: SearchFolder) -> pd.DataFrame:
    """One row per Pareto policy, as text cells: ``trial``, ``generation``, each lever's value
    (``-`` where it did not apply), each objective's re-evaluated value ``[low, high]`` (the
    search value while the search runs) and ``flags`` (dominated on re-evaluation, within
    noise of which trials). Sorted by the first objective, best first."""
    outs = search.objectives
    src = search.pareto if len(search.pareto) else search.trials[search.trials["pareto"].astype(bool)]
    reeval = len(search.pareto) > 0
    if len(src) and outs:
        first, d = outs[0]
        src = src.sort_values(f"reevaluated:{first}" if reeval else first, ascending=d == "min", kind="stable")
    rows = []
    for _, r in src.iterrows():
        row: dict[str, str | int] = {"trial": int(r["trial"]), "generation": int(r["generation"])}
        row |= {k: format_value(r[k]) if k in r.index else "-" for k in search.lever_keys}
        for o, _ in outs:
            row[o] = (interval_cell(float(r[f"reevaluated:{o}"]), float(r[f"low:{o}"]), float(r[f"high:{o}"]))
                      if reeval else format_value(r[o]))
        row["flags"] = _flags(r)
        rows.append(row)
    cols = ["trial", "generation", *search.lever_keys, *(o for o, _ in outs), "flags"]
    return pd.DataFrame(rows, columns=cols)


def _lever_range(lv: dict) -> str:
    if lv.get("kind") == "choice":
        return ", ".join(format_value(c) for c in lv.get("choices", []))
    text = f"[{format_value(lv.get('low'))}, {format_value(lv.get('high'))}]"
    return text + (" integer" if lv.get("integer") else "") + (" log scale" if lv.get("log") else "")


def settings_tables(search: SearchFolder) -> dict[str, pd.DataFrame]:
    """The search's settings as tables: ``levers`` (key, kind, values, applies when),
    ``objectives`` (outcome, direction), ``constraints`` (outcome, low, high) and ``settings``
    (uncertainty, robustness, budget, status)."""
    m = search.manifest
    levers = pd.DataFrame([{"lever": lv["key"], "kind": lv.get("kind", ""), "values": _lever_range(lv),
                            "applies when": ", ".join(f"{k} = {format_value(v)}" for k, v in
                                                      (lv.get("when") or {}).items()) or "always"}
                           for lv in m.get("levers", [])], columns=["lever", "kind", "values", "applies when"])
    objectives = pd.DataFrame([{"outcome": o, "direction": "maximise" if d == "max" else "minimise"}
                               for o, d in search.objectives], columns=["outcome", "direction"])
    constraints = pd.DataFrame([{"outcome": c["outcome"], "low": format_value(c.get("low")),
                                 "high": format_value(c.get("high"))} for c in m.get("constraints", [])],
                               columns=["outcome", "low", "high"])
    u = m.get("uncertainty") or {}
    b = m.get("budget") or {}
    settings = pd.DataFrame([
        ("uncertainty", f"{u.get('source', 'none')}: {', '.join(u.get('keys', [])) or 'no keys'}, "
                        f"{u.get('draws', 1)} draw(s)"),
        ("robustness", robustness_text(search)),
        ("budget", f"sampler {b.get('sampler', '?')}, population {b.get('population', '?')} x "
                   f"{b.get('generations', '?')} generations, {b.get('replicates', '?')} replicates per draw, "
                   f"{b.get('final_replicates', '?')} in the final re-evaluation"),
        ("status", f"{m.get('status', '?')}: {m.get('trials_done', len(search.trials))} trials done in "
                   f"{format_value(m.get('wall_seconds'))} s on {m.get('workers', '?')} worker(s)"),
        ("seed", str(m.get("seed", "?"))),
    ], columns=["setting", "value"])
    return {"levers": levers, "objectives": objectives, "constraints": constraints, "settings": settings}


def _meta(search: SearchFolder) -> list[str]:
    m = search.manifest
    t = search.trials
    meta = [f"{len(t)} trials, {int(t['feasible'].astype(bool).sum())} feasible, "
            f"{int(t['pareto'].astype(bool).sum())} on the Pareto front; status {m.get('status', '?')}.",
            f"Search file {m.get('file', '?')}; base scenario {m.get('base', '?')}; seed {m.get('seed', '?')}; "
            f"giftsim {m.get('giftsim_version', '?')}."]
    if m.get("description"):
        meta.insert(0, str(m["description"]))
    return meta


def _front_section(search: SearchFolder, out_dir: Path, files: list[Path]) -> Section:
    s = Section("front", "Pareto front")
    s.text("Grey: every trial at its search value (the robust value the sampler was told: "
           f"{robustness_text(search)}); hollow: infeasible (breaks a constraint). Red: the Pareto policies "
           "at their re-evaluated value with more replicates, whiskers the 95% interval over draws, "
           "numbered by trial; triangles: dominated on re-evaluation; ringed: within noise of another Pareto "
           "policy (its place on the front is not resolved by the noise).")
    if not search.complete:
        s.text("The search has not finished: its Pareto set is not re-evaluated yet; the red points are "
               "the current front's search values.", "note")
    png = png_bytes(pareto_figure(search))
    files.append(write_bytes_atomic(out_dir / "pareto.png", png))
    s.add(figure_html(png, "pareto.png", "The Pareto front for each pair of objectives"))
    return s


def write_search_report(folder: str | os.PathLike, out: str | os.PathLike | None = None) -> ReportOutcome:
    """Write the HTML report of a policy search folder.

    Parameters
    ----------
    folder : path-like
        A search folder (``results/<search>``, with ``search.json``).
    out : path-like, optional
        Folder for ``report.html`` and its PNGs (``pareto.png``, ``convergence.png``);
        default ``<folder>/report``.

    Returns
    -------
    ReportOutcome
        Tables ``pareto`` (the Pareto policies as shown), ``generations`` and the settings'.

    Raises
    ------
    sim.search.folder.SearchFolderError
        If ``folder`` is not a search folder (the message names the file).
    OSError
        If the report cannot be written.
    """
    start = time.perf_counter()
    search = read_search(folder)
    out_dir = Path(out) if out is not None else search.folder / "report"
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    tables = {"pareto": pareto_policy_table(search), "generations": search.generations, **settings_tables(search)}
    sections = [_front_section(search, out_dir, files)]
    s = Section("policies", "The Pareto policies: levers and re-evaluated values")
    s.text("Each objective: re-evaluated value [95% interval over draws], best first on the first objective; "
           "- : the lever did not apply to that policy. Open one in the live explorer with "
           f"`giftsim viz {search.folder}`.")
    s.add(table_html(tables["pareto"], collapse_over=60, summary="Pareto policies"))
    sections.append(s)
    s = Section("convergence", "Convergence by generation")
    if len(search.generations):
        png = png_bytes(convergence_figure(search))
        files.append(write_bytes_atomic(out_dir / "convergence.png", png))
        s.add(figure_html(png, "convergence.png", "Best feasible value of each objective so far, and hypervolume"))
        s.add(table_html(search.generations, summary="generations"))
    else:
        s.text("No generation finished yet (generations.parquet not written).", "note")
    sections.append(s)
    s = Section("settings", "Settings of the search")
    for key in ("levers", "objectives", "constraints", "settings"):
        s.add(table_html(tables[key], summary=key))
    sections.append(s)
    page = render_page(f"giftsim search report: {search.name}", _meta(search), sections)
    path = write_text_atomic(out_dir / "report.html", page)
    return ReportOutcome(html=path, figures=files, tables=tables, seconds=time.perf_counter() - start)
