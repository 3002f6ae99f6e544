"""The files of a search folder: ``trials.parquet``, ``draws.parquet``, ``pareto.parquet``,
``generations.parquet`` and the manifest ``search.json``, each written atomically
(:mod:`sim.results.atomic`). Tables are built with explicit Arrow types, so that the same
search writes the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..batch.uncertainty import posterior_file
from ..experiments.outcomes import Direction
from ..results.atomic import atomic_path, write_text_atomic
from .evaluate import outcome_names
from .spec import Lever, SearchSpec
from .study import TrialRecord

__all__ = ["SEARCH_FILES", "lever_type", "trials_table", "draws_table", "pareto_table", "generations_table",
           "write_table", "spec_json", "fingerprint", "write_manifest", "read_manifest"]

SEARCH_FILES = ("search.json", "study.db", "trials.parquet", "draws.parquet", "pareto.parquet",
                "generations.parquet", "study.db-journal")
"""What a search writes into its folder (``study.db-journal``: SQLite's, left by a kill in
the middle of a commit, rolled back when the study is opened again)."""


def lever_type(lever: Lever) -> pa.DataType:
    """A lever column's Arrow type: int64 or float64 for a range; a choice's values' type
    (bool, string, int64; float64 for mixed or float numbers)."""
    if lever.kind == "range":
        return pa.int64() if lever.integer else pa.float64()
    kinds = {type(c) for c in lever.choices}
    if kinds == {bool}:
        return pa.bool_()
    if kinds == {str}:
        return pa.string()
    if kinds == {int}:
        return pa.int64()
    if kinds <= {int, float}:
        return pa.float64()
    return pa.string()


def _lever_columns(spec: SearchSpec, recs: Sequence[TrialRecord]) -> dict[str, pa.Array]:
    out = {}
    for lev in spec.levers:
        typ = lever_type(lev)
        vals = [r.levers.get(lev.key) for r in recs]
        if typ == pa.string():
            vals = [None if v is None else str(v) for v in vals]
        out[lev.key] = pa.array(vals, type=typ)
    return out


def _f64(values: Sequence[float] | np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.float64), type=pa.float64())


def trials_table(spec: SearchSpec, recs: Sequence[TrialRecord], pareto: np.ndarray) -> pa.Table:
    """One row per told trial: ``trial``, ``generation``, lever columns (null where a lever
    did not apply), each objective's robust value, ``mean:<outcome>`` of each objective and
    constraint outcome, ``feasible``, ``pareto`` (``pareto``: bool, shape (trials,)), ``seconds``."""
    cols: dict[str, pa.Array] = {"trial": pa.array([r.trial for r in recs], type=pa.int64()),
                                 "generation": pa.array([r.generation for r in recs], type=pa.int64())}
    cols.update(_lever_columns(spec, recs))
    for j, o in enumerate(spec.objectives):
        cols[o.outcome] = _f64([r.values[j] for r in recs])
    for j, name in enumerate(outcome_names(spec)):
        cols[f"mean:{name}"] = _f64([r.means[j] for r in recs])
    cols["feasible"] = pa.array([r.feasible for r in recs], type=pa.bool_())
    cols["pareto"] = pa.array([bool(x) for x in pareto], type=pa.bool_())
    cols["seconds"] = _f64([r.seconds for r in recs])
    return pa.table(cols)


def draws_table(spec: SearchSpec, recs: Sequence[TrialRecord]) -> pa.Table:
    """One row per told trial x draw: ``trial``, ``draw`` and each objective and constraint
    outcome's mean over the draw's replicates."""
    n = [len(r.draws) for r in recs]
    cols: dict[str, pa.Array] = {
        "trial": pa.array(np.repeat([r.trial for r in recs], n).astype(np.int64), type=pa.int64()),
        "draw": pa.array(np.concatenate([np.arange(k, dtype=np.int64) for k in n]) if recs else [], type=pa.int64())}
    for j, name in enumerate(outcome_names(spec)):
        cols[name] = _f64(np.concatenate([r.draws[:, j] for r in recs]) if recs else [])
    return pa.table(cols)


def pareto_table(spec: SearchSpec, recs: Sequence[TrialRecord], stats: dict[str, np.ndarray],
                 dominated: np.ndarray, peers: Sequence[Sequence[int]]) -> pa.Table:
    """One row per Pareto trial after re-evaluation.

    Parameters
    ----------
    recs : sequence of TrialRecord
        The Pareto trials, in trial order.
    stats : dict
        ``reevaluated``, ``low``, ``high``: ndarray of float64, shape (trials, objectives).
    dominated : ndarray of bool, shape (trials,)
    peers : sequence of sequence of int
        Each trial's noise peers, as trial numbers.
    """
    cols: dict[str, pa.Array] = {"trial": pa.array([r.trial for r in recs], type=pa.int64()),
                                 "generation": pa.array([r.generation for r in recs], type=pa.int64())}
    cols.update(_lever_columns(spec, recs))
    for j, o in enumerate(spec.objectives):
        cols[o.outcome] = _f64([r.values[j] for r in recs])
        for what in ("reevaluated", "low", "high"):
            cols[f"{what}:{o.outcome}"] = _f64(stats[what][:, j] if len(recs) else [])
    cols["dominated_on_reevaluation"] = pa.array([bool(x) for x in dominated], type=pa.bool_())
    cols["within_noise"] = pa.array([bool(p) for p in peers], type=pa.bool_())
    cols["noise_peers"] = pa.array([",".join(str(x) for x in p) for p in peers], type=pa.string())
    cols["overrides"] = pa.array([json.dumps(r.levers, sort_keys=False) for r in recs], type=pa.string())
    return pa.table(cols)


def generations_table(spec: SearchSpec, rows: Sequence[dict[str, Any]]) -> pa.Table:
    """Convergence, one row per generation (``rows``: dicts with ``generation``, ``trials``,
    ``feasible``, ``pareto_size``, ``best:<outcome>``, ``hypervolume``; counts so far)."""
    cols: dict[str, pa.Array] = {k: pa.array([r[k] for r in rows], type=pa.int64())
                                 for k in ("generation", "trials", "feasible", "pareto_size")}
    for o in spec.objectives:
        cols[f"best:{o.outcome}"] = _f64([r[f"best:{o.outcome}"] for r in rows])
    cols["hypervolume"] = _f64([r["hypervolume"] for r in rows])
    return pa.table(cols)


def write_table(table: pa.Table, path: Path) -> None:
    """Write ``table`` as Parquet at ``path``, atomically."""
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def _value(v: Any) -> Any:
    return v.name.lower()[:3] if isinstance(v, Direction) else v


def spec_json(spec: SearchSpec) -> dict[str, Any]:
    """The manifest's description of the search (levers, objectives, constraints,
    robustness, uncertainty, budget)."""
    u = spec.uncertainty
    source = "none" if u is None else ("ranges" if u.posterior is None else
                                       f"posterior {posterior_file() if u.posterior == 'shipped' else u.posterior}")
    return {
        "levers": [{"key": v.key, "kind": v.kind, "low": v.low, "high": v.high, "integer": v.integer, "log": v.log,
                    "choices": list(v.choices), "when": {k: x for k, x in v.when}} for v in spec.levers],
        "objectives": [{"outcome": o.outcome, "direction": _value(o.direction)} for o in spec.objectives],
        "constraints": [{"outcome": c.outcome, "low": c.low, "high": c.high} for c in spec.constraints],
        "robustness": {"kind": spec.robustness.kind, "percentile": spec.robustness.percentile},
        "uncertainty": {"source": source, "keys": list(u.ranges or {}) if u is not None else [],
                        "draws": u.draws if u is not None else 1},
        "budget": {"sampler": spec.budget.sampler, "population": spec.budget.population,
                   "generations": spec.budget.generations, "replicates": spec.budget.replicates,
                   "final_replicates": spec.budget.final_replicates},
    }


def fingerprint(spec: SearchSpec, draws: np.ndarray | None) -> str:
    """SHA-256 of what makes a search's trials: the base scenario, seed, levers, objectives,
    constraints, robustness, the draws' values, sampler, population and replicates (not the
    number of generations nor the final replicates, which a resumed search may change)."""
    d = spec_json(spec)
    d["budget"] = {k: d["budget"][k] for k in ("sampler", "population", "replicates")}
    d["uncertainty"].pop("source")  # where the draws come from: their values below say what they are
    d.update(seed=spec.seed, base=spec.scenario.model_dump(mode="json"),
             draws=None if draws is None else np.asarray(draws, dtype=np.float64).tolist())
    text = json.dumps(d, sort_keys=True, default=str, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def write_manifest(folder: Path, data: dict[str, Any]) -> None:
    """Write ``search.json`` atomically (NaN written as null)."""
    def clean(x: Any) -> Any:
        if isinstance(x, float) and not math.isfinite(x):
            return None
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [clean(v) for v in x]
        return x
    write_text_atomic(Path(folder) / "search.json", json.dumps(clean(data), indent=2) + "\n")


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """A folder's ``search.json``, or None if it has none or it cannot be read."""
    try:
        data = json.loads((Path(folder) / "search.json").read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("kind") == "search" else None
