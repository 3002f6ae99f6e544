"""A finished batch folder as the report reads it: the plan, the runs table, the
comparison and the manifest (small tables only; run tables are streamed elsewhere)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ReportInputError", "BatchFolder", "read_batch_folder"]


class ReportInputError(ValueError):
    """The folder is not a finished batch folder; the message names the path and the file."""


@dataclass(frozen=True, eq=False)
class BatchFolder:
    """What a report needs from a batch folder.

    Attributes
    ----------
    folder : Path
    name : str
        Batch name.
    manifest : dict
        ``manifest.json`` (the batch file as resolved, executor, versions, times).
    points : pandas.DataFrame
        One row per point: ``point`` (int64), ``name`` (str), ``variant`` (str) and one
        column per swept or sampled key (its value at the point, as in ``runs.parquet``).
    param_keys : list of str
        The swept or sampled keys, in batch-file order.
    runs : pandas.DataFrame
        ``runs.parquet``.
    comparison : pandas.DataFrame
        ``comparison.csv``.
    outcomes : list of str
        The batch's outcomes (summary keys).
    problem : dict or None
        The SALib problem of a sampled batch.
    sample_matrix : ndarray of float64, shape (n_points, n_params), or None
    sample : dict or None
        The batch's ``[sample]`` table (method, n, bounds, ...).
    seed : int
        The batch's master seed.
    """

    folder: Path
    name: str
    manifest: dict[str, Any]
    points: pd.DataFrame
    param_keys: list[str]
    runs: pd.DataFrame
    comparison: pd.DataFrame
    outcomes: list[str]
    problem: dict[str, Any] | None
    sample_matrix: np.ndarray | None
    sample: dict[str, Any] | None
    seed: int

    def run_folder(self, run_id: str) -> Path:
        """The folder of one run."""
        return self.folder / "runs" / run_id


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportInputError(f"{path.parent}: no {path.name}; not a finished batch folder "
                               "(run `giftsim batch` on its batch file first)") from None
    except json.JSONDecodeError as err:
        raise ReportInputError(f"{path}: not valid JSON ({err})") from None


def read_batch_folder(folder: str | os.PathLike) -> BatchFolder:
    """Read a finished batch folder's small tables.

    Parameters
    ----------
    folder : path-like
        ``results/<batch>``, as written by :func:`sim.batch.run_batch`.

    Returns
    -------
    BatchFolder

    Raises
    ------
    ReportInputError
        If the folder does not exist or lacks ``plan.json``, ``manifest.json``,
        ``runs.parquet`` or ``comparison.csv`` (a batch that never finished).
    """
    from ..batch.signs import main_runs
    from ..batch.tables import param_value

    folder = Path(folder)
    if not folder.is_dir():
        hint = (f"; a batch file's results are in results/<its name>/ (giftsim batch {folder} writes them)"
                if str(folder).endswith(".toml") else "")
        raise ReportInputError(f"{folder}: no such batch folder{hint}")
    plan = _read_json(folder / "plan.json")
    manifest = _read_json(folder / "manifest.json")
    for f in ("runs.parquet", "comparison.csv"):
        if not (folder / f).is_file():
            raise ReportInputError(f"{folder}: no {f}; not a finished batch folder "
                                   "(finish it with `giftsim batch ... --resume`)")
    runs = main_runs(pd.read_parquet(folder / "runs.parquet"))  # robustness ends: robustness.parquet
    comp = pd.read_csv(folder / "comparison.csv")
    spec = manifest.get("batch", {})
    param_keys: list[str] = []
    for p in plan["points"]:
        for k in p["params"]:
            if k not in param_keys:
                param_keys.append(k)
    rows = []
    for p in plan["points"]:
        row = {"point": int(p["index"]), "name": p["name"], "variant": p["variant"]}
        for k in param_keys:
            row[k] = param_value(p["params"].get(k))
        rows.append(row)
    matrix = plan.get("sample_matrix")
    return BatchFolder(
        folder=folder,
        name=str(spec.get("name") or folder.name),
        manifest=manifest,
        points=pd.DataFrame(rows),
        param_keys=param_keys,
        runs=runs,
        comparison=comp,
        outcomes=list(spec.get("outcomes") or []),
        problem=plan.get("problem"),
        sample_matrix=None if matrix is None else np.asarray(matrix, dtype=np.float64),
        sample=spec.get("sample"),
        seed=int(spec.get("seed", 0)),
    )
