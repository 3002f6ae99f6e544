"""A batch's consolidated tables, written in plan order so they do not depend on which
worker finished first, and read back with one call (:func:`load_results`)."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..metrics import SUMMARY_KEYS, outcome_interval
from ..results import is_complete, read_summary
from ..results.atomic import atomic_path
from .plan import Plan
from .signs import flips_text, main_runs, robustness_flags, sign_comparisons

__all__ = ["STATUS", "conform", "write_tables", "write_sign_tables", "comparison", "defined_count", "load_results",
           "BatchResults", "param_value"]


def param_value(value: Any) -> Any:
    """A parameter value as a table cell: numbers, bools and strings as they are, dates as
    ISO text; tables (such as ``policy.allocation``) by their tag, e.g. ``head_boost``, else
    as JSON, like lists."""
    if isinstance(value, dict):
        for tag in ("rule", "dist", "kind"):
            if tag in value and len(value) == 1:
                return value[tag]
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, list):
        return json.dumps(value, default=str)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


STATUS = ("missing", "ok", "failed")
"""Run states in ``runs.parquet``; :func:`write_tables` takes their codes (index here)."""


def _runs_frame(plan: Plan, runs_dir: Path, status: np.ndarray, walls: np.ndarray) -> pd.DataFrame:
    """One row per planned run, built column by column; summaries are read from each
    complete run's ``summary.json`` one at a time, so memory is a few numbers per run."""
    n = plan.n_runs
    outcome = {k: np.full(n, np.nan) for k in SUMMARY_KEYS}
    state: list[str] = []
    wall = walls.astype(np.float64, copy=True)
    run_ids: list[str] = []
    seeds = np.zeros(n, np.int64)
    for i, r in enumerate(plan.runs):
        run_ids.append(r.run_id)
        seeds[i] = r.seed
        folder = runs_dir / r.run_id
        code = int(status[i])
        if STATUS[code] != "failed" and is_complete(folder):
            summary = read_summary(folder)  # null (undefined) -> NaN
            for k in SUMMARY_KEYS:
                if k in summary:
                    outcome[k][i] = summary[k]
            if np.isnan(wall[i]):  # kept from an earlier (resumed) invocation
                manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
                wall[i] = manifest.get("wall_seconds", np.nan)
            code = 1
        state.append(STATUS[code])
    per = plan.per_point
    names: list[str] = []
    variants: list[str] = []
    params: dict[str, list[Any]] = {k: [] for k in plan.param_keys}
    for p in plan.points:  # each point resolved once: what its runs used (see Plan.points)
        names += [p.name] * per
        variants += [p.variant] * per
        for k in params:
            params[k] += [param_value(p.params.get(k))] * per
    cols: dict[str, Any] = {
        "run_id": run_ids,
        "point": np.repeat(np.arange(plan.n_points, dtype=np.int64), per),
        "point_name": names,
        "variant": variants,
        "replicate": np.tile(np.arange(plan.spec.replicates, dtype=np.int64), n // plan.spec.replicates),
    }
    if plan.conditions:
        cols.update(_condition_columns(plan))
    cols.update({"seed": seeds, "status": state, "wall_seconds": wall})
    cols.update(params)
    if plan.conditions:
        cols.update(_condition_values(plan))
    cols.update(outcome)
    return pd.DataFrame(cols)


def _condition_columns(plan: Plan) -> dict[str, Any]:
    """``condition`` (index in ``plan.conditions``), ``draw`` (-1: none), ``robustness_key``
    and ``robustness_end`` ("" for a base run) of every planned run, in plan order."""
    reps, conds = plan.spec.replicates, plan.conditions

    def each(values, dtype) -> np.ndarray:
        return np.tile(np.repeat(np.asarray(values, dtype=dtype), reps), plan.n_points)

    return {
        "condition": each(range(len(conds)), np.int64),
        "draw": each([c.draw for c in conds], np.int64),
        "robustness_key": each([c.key for c in conds], object),
        "robustness_end": each([c.end for c in conds], object),
    }


def _condition_values(plan: Plan) -> dict[str, list[Any]]:
    """The value every planned run used for each key its conditions set (a draw's, a
    robustness end's, else the point's own), read from the run's scenario."""
    reps = plan.spec.replicates
    out: dict[str, list[Any]] = {k: [] for k in plan.condition_keys}
    for i in range(plan.n_points):
        for c in range(len(plan.conditions)):
            used = plan.condition_values(i, c)
            for k in out:
                out[k] += [param_value(used[k])] * reps
    return out


def _stream_concat(plan: Plan, runs_dir: Path, table: str, out: Path) -> int:
    """Append each complete run's table (plus run_id, point, replicate) to one Parquet
    file, run by run in plan order; memory holds one run's table at a time."""
    used = [r for r in plan.runs if is_complete(runs_dir / r.run_id)
            and not (plan.conditions and not plan.conditions[r.condition].is_base)]
    # a robustness end's runs are in robustness.parquet, not in the point's series
    if not used:
        out.unlink(missing_ok=True)
        return 0
    # points may differ in their tables' columns (e.g. paid traffic adds merchants' ad spend):
    # the file has the union of them, a column a run lacks is null in its rows
    columns = pa.unify_schemas([pq.read_schema(runs_dir / r.run_id / f"{table}.parquet") for r in used])
    writer = None
    rows = 0
    with atomic_path(out) as tmp:
        try:
            for r in used:
                t = conform(pq.read_table(runs_dir / r.run_id / f"{table}.parquet"), columns)
                n = t.num_rows
                if plan.conditions:
                    draw = plan.conditions[r.condition].draw
                    t = t.add_column(0, "draw", pa.array(np.full(n, draw, dtype=np.int64)))
                t = t.add_column(0, "replicate", pa.array(np.full(n, r.replicate, dtype=np.int64)))
                t = t.add_column(0, "point", pa.array(np.full(n, r.point, dtype=np.int64)))
                t = t.add_column(0, "run_id", pa.array([r.run_id] * n, type=pa.string()))
                if writer is None:
                    writer = pq.ParquetWriter(tmp, t.schema, compression="zstd")
                writer.write_table(t.cast(writer.schema))
                rows += n
        finally:
            if writer is not None:
                writer.close()
    return rows


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with the columns of ``schema`` in its order: a column ``table`` lacks is
    all null, the others are cast to the schema's types."""
    cols = [table[f.name].cast(f.type) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
            for f in schema]
    return pa.Table.from_arrays(cols, schema=schema)


def comparison(runs: pd.DataFrame, outcomes: list[str], level: float = 0.95) -> pd.DataFrame:
    """Mean and two-sided confidence interval (Student t) of each outcome per point, over
    the point's ``ok`` runs in which the outcome is defined.

    Parameters
    ----------
    runs : pandas.DataFrame
        ``runs.parquet`` (rows with status ``ok`` are used; NaN outcome values, undefined
        in that run, e.g. ``acceptance_rate`` without a settled gift, are left out).
    outcomes : list of str
        Summary keys.
    level : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        One row per point (``point``, ``point_name``, ``n`` successful runs, 0 when every
        run of the point failed), and for each outcome the columns ``<outcome>_mean``,
        ``<outcome>_lo``, ``<outcome>_hi`` (float64) and ``<outcome>_n`` (int64: the
        successful runs in which the outcome is defined; ``n`` for an outcome that is
        always defined). Mean and bounds use those runs only: NaN mean when none, NaN
        bounds with fewer than two; bounds clipped to the values the outcome can take
        (:func:`sim.metrics.outcome_interval`, :data:`sim.metrics.OUTCOME_RANGE`).
    """
    ok = runs["status"] == "ok"
    rows = []
    for (point, name), g in runs.groupby(["point", "point_name"], sort=True):
        g = g[ok.loc[g.index]]
        row: dict[str, Any] = {"point": point, "point_name": name, "n": len(g)}
        for o in outcomes:
            x = g[o].to_numpy(dtype=np.float64) if o in g else np.array([])
            m, lo, hi, n_defined = outcome_interval(x, o, level)
            row[f"{o}_mean"] = m
            row[f"{o}_lo"] = lo
            row[f"{o}_hi"] = hi
            row[f"{o}_n"] = n_defined
        rows.append(row)
    return pd.DataFrame(rows)


def defined_count(row: Mapping[str, Any], outcome: str) -> int:
    """The successful runs of a :func:`comparison` row in which ``outcome`` is defined:
    its ``<outcome>_n``, or its ``n`` in a ``comparison.csv`` written before that column
    existed."""
    k = row.get(f"{outcome}_n")
    return int(row["n"]) if k is None or pd.isna(k) else int(k)


def write_tables(plan: Plan, batch_dir: Path, status: np.ndarray, walls: np.ndarray) -> pd.DataFrame:
    """Write ``runs.parquet``, ``timeseries.parquet``, ``merchants.parquet``,
    ``comparison.csv`` (and ``events.parquet`` if the batch asks for it); return the
    comparison table.

    Parameters
    ----------
    plan : Plan
    batch_dir : Path
    status : ndarray of int8, shape (n_runs,)
        Code per planned run (index into :data:`STATUS`) from this invocation; runs
        not run now count as ``ok`` if their folder is complete, else ``missing``.
    walls : ndarray of float64, shape (n_runs,)
        Seconds per run from this invocation (NaN: read from the run's manifest).

    Returns
    -------
    pandas.DataFrame
        :func:`comparison` of the ``ok`` runs.

    Notes
    -----
    Memory: the tables are built in plan order from the run folders, one run at a
    time; the parent never holds more than one run's series, merchants or events. Outcome
    columns of ``runs.parquet`` are float64: NaN for failed or missing runs, and in an
    ``ok`` run for an outcome undefined there (``null`` in its ``summary.json``; see
    :data:`sim.metrics.SUMMARY_KEYS`).
    """
    runs_dir = batch_dir / "runs"
    runs = _runs_frame(plan, runs_dir, status, walls)
    with atomic_path(batch_dir / "runs.parquet") as tmp:
        runs.to_parquet(tmp, index=False, compression="zstd")
    _stream_concat(plan, runs_dir, "series", batch_dir / "timeseries.parquet")
    _stream_concat(plan, runs_dir, "merchants", batch_dir / "merchants.parquet")
    if plan.spec.events:
        _stream_concat(plan, runs_dir, "gifts", batch_dir / "events.parquet")
    comp = comparison(main_runs(runs), list(plan.spec.outcomes))
    with atomic_path(batch_dir / "comparison.csv") as tmp:
        comp.to_csv(tmp, index=False)
    if plan.conditions:
        write_sign_tables(runs, list(plan.spec.outcomes), batch_dir)
    return comp


def write_sign_tables(runs: pd.DataFrame, outcomes: list[str],
                      batch_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write ``comparisons.parquet`` (:func:`sim.batch.signs.sign_comparisons`, each row's
    ``flips_at`` filled from the robustness ends that flip it) and ``robustness.parquet``
    (:func:`sim.batch.signs.robustness_flags`, empty without robustness ends); return both."""
    signs = sign_comparisons(runs, outcomes)
    robust = robustness_flags(runs, outcomes)
    signs["flips_at"] = [flips_text(robust, p, o) for p, o in zip(signs["point"], signs["outcome"])]
    for name, frame in (("comparisons", signs), ("robustness", robust)):
        with atomic_path(batch_dir / f"{name}.parquet") as tmp:
            frame.to_parquet(tmp, index=False, compression="zstd")
    return signs, robust


@dataclass(frozen=True, eq=False)
class BatchResults:
    """A finished batch read back: ``runs`` (one row per run), ``timeseries`` (one row
    per run and step), ``merchants`` (one row per run and merchant), ``comparison`` (one
    row per point), ``manifest``, and ``events`` (one row per gift, or None if the batch
    did not keep them). ``timeseries``, ``merchants`` and ``events`` are the complete
    runs' ``series``, ``merchants`` and ``gifts`` tables in plan order, each row led by
    its run's ``run_id``, ``point`` and ``replicate``; ``timeseries`` and ``merchants``
    are empty DataFrames when no run is complete (or for ``merchants``, in a batch
    consolidated before that table existed: ``giftsim batch --resume`` writes it)."""

    folder: Path
    runs: pd.DataFrame
    timeseries: pd.DataFrame
    merchants: pd.DataFrame
    comparison: pd.DataFrame
    manifest: dict[str, Any]
    events: pd.DataFrame | None
    comparisons: pd.DataFrame | None = None
    """``comparisons.parquet``: each point against the first with sign probabilities (a batch
    with uncertainty or robustness; None otherwise)."""
    robustness: pd.DataFrame | None = None
    """``robustness.parquet``: the robustness ends and the comparisons they flip (None
    without uncertainty or robustness)."""


def load_results(folder: str | os.PathLike) -> BatchResults:
    """Load a batch's tables into pandas: ``sim.batch.load_results("results/<batch>")``.

    Raises
    ------
    FileNotFoundError
        If the folder has no ``runs.parquet`` (not a finished batch).
    """
    folder = Path(folder)
    if not (folder / "runs.parquet").exists():
        raise FileNotFoundError(f"{folder}: no runs.parquet; not a finished batch folder")
    ts = folder / "timeseries.parquet"
    mer = folder / "merchants.parquet"
    ev = folder / "events.parquet"
    man = folder / "manifest.json"
    return BatchResults(
        folder=folder,
        runs=pd.read_parquet(folder / "runs.parquet"),
        timeseries=pd.read_parquet(ts) if ts.exists() else pd.DataFrame(),
        merchants=pd.read_parquet(mer) if mer.exists() else pd.DataFrame(),
        comparison=pd.read_csv(folder / "comparison.csv") if (folder / "comparison.csv").exists() else pd.DataFrame(),
        manifest=json.loads(man.read_text(encoding="utf-8")) if man.exists() else {},
        events=pd.read_parquet(ev) if ev.exists() else None,
        comparisons=_optional(folder / "comparisons.parquet"),
        robustness=_optional(folder / "robustness.parquet"),
    )


def _optional(path: Path) -> pd.DataFrame | None:
    return pd.read_parquet(path) if path.exists() else None
