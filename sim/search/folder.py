"""A policy search's results folder as the report and the dashboard read it: the manifest
(``search.json``) and the four tables the engine writes (``trials.parquet``, ``draws.parquet``,
``pareto.parquet``, ``generations.parquet``), checked for the columns the readers use.

Read-only: the engine (``giftsim optimize``) writes the folder; this module never does.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["SearchFolderError", "SearchFolder", "is_search_folder", "read_search", "format_value", "MANIFEST"]

MANIFEST = "search.json"
"""The manifest's file name inside a search folder."""


class SearchFolderError(ValueError):
    """The folder is not a readable search folder; the message names the folder and the file."""


@dataclass(frozen=True, eq=False)
class SearchFolder:
    """A search folder's manifest and tables.

    Attributes
    ----------
    folder : Path
    manifest : dict
        ``search.json`` as written by the engine (levers, objectives, constraints,
        robustness, uncertainty, budget, status, ...).
    trials : pandas.DataFrame
        ``trials.parquet``: one row per finished trial, sorted by ``trial``.
    draws : pandas.DataFrame
        ``draws.parquet`` (empty, no columns, while a search runs and has not written it).
    pareto : pandas.DataFrame
        ``pareto.parquet``: the re-evaluated Pareto policies, sorted by ``trial`` (empty,
        no columns, until the search has finished).
    generations : pandas.DataFrame
        ``generations.parquet``, sorted by ``generation`` (empty while none was written).
    """

    folder: Path
    manifest: dict[str, Any]
    trials: pd.DataFrame
    draws: pd.DataFrame
    pareto: pd.DataFrame
    generations: pd.DataFrame

    @property
    def name(self) -> str:
        """The search's name (the folder's name when the manifest has none)."""
        return str(self.manifest.get("name") or self.folder.name)

    @property
    def objectives(self) -> list[tuple[str, str]]:
        """``(outcome, direction)`` per objective, direction ``"max"`` or ``"min"``, in file order."""
        return [(str(o["outcome"]), str(o["direction"])) for o in self.manifest.get("objectives", [])]

    @property
    def lever_keys(self) -> list[str]:
        """The levers' dotted keys, in file order."""
        return [str(lv["key"]) for lv in self.manifest.get("levers", [])]

    @property
    def base(self) -> Path:
        """The base scenario file (absolute, as the manifest records it)."""
        return Path(self.manifest["base"])

    @property
    def complete(self) -> bool:
        """Whether the search finished (``status == "complete"``): its Pareto set is re-evaluated."""
        return self.manifest.get("status") == "complete"

    def overrides(self, trial: int) -> dict[str, Any]:
        """The Pareto policy ``trial`` as ``{dotted key: value}`` overrides of the base scenario
        (``pareto.parquet``'s ``overrides``).

        Raises
        ------
        KeyError
            If ``trial`` is not a re-evaluated Pareto policy.
        """
        rows = self.pareto[self.pareto["trial"] == int(trial)] if len(self.pareto) else self.pareto
        if not len(rows):
            raise KeyError(f"trial {trial} is not a Pareto policy of {self.folder}")
        return dict(json.loads(rows["overrides"].iloc[0]))


def is_search_folder(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a folder holding a ``search.json`` whose ``kind`` is ``"search"``."""
    p = Path(path) / MANIFEST
    if not p.is_file():
        return False
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("kind") == "search"


def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not folder.is_dir():
        raise SearchFolderError(f"{folder}: no such folder (a search folder is written by `giftsim optimize`)")
    if not path.is_file():
        raise SearchFolderError(f"{folder}: no {MANIFEST}: not a search folder (written by `giftsim optimize`)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise SearchFolderError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(data, dict) or data.get("kind") != "search":
        kind = data.get("kind") if isinstance(data, dict) else None
        raise SearchFolderError(f"{path}: kind is {kind!r}, not 'search': not a search folder")
    for key in ("objectives", "levers", "base"):
        if key not in data:
            raise SearchFolderError(f"{path}: no {key!r}: a search manifest names levers, objectives and base")
    return data


def _table(folder: Path, name: str, needed: list[str], required: bool) -> pd.DataFrame:
    path = folder / name
    if not path.is_file():
        if required:
            raise SearchFolderError(f"{folder}: no {name} (the search has not written it; "
                                    "a finished search holds trials, draws, pareto and generations tables)")
        return pd.DataFrame()
    try:
        df = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several kinds for a damaged file
        raise SearchFolderError(f"{path}: cannot be read as Parquet ({err})") from None
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise SearchFolderError(f"{path}: missing column(s) {', '.join(missing)}")
    return df


def read_search(folder: str | os.PathLike) -> SearchFolder:
    """Read a search folder written by ``giftsim optimize``.

    ``search.json`` and ``trials.parquet`` are required; ``pareto.parquet``,
    ``generations.parquet`` and ``draws.parquet`` too once the manifest's status is
    ``"complete"`` (a running search may not have written them yet: they read as empty tables).

    Raises
    ------
    SearchFolderError
        If the folder, its manifest or a table is missing, unreadable, of another kind, or
        lacks a column the readers use; the message names the file.
    """
    folder = Path(folder)
    m = _manifest(folder)
    outs = [str(o["outcome"]) for o in m["objectives"]]
    done = m.get("status") == "complete"
    trials = _table(folder, "trials.parquet", ["trial", "generation", "feasible", "pareto", *outs], True)
    per_obj = [f"{p}{o}" for o in outs for p in ("", "reevaluated:", "low:", "high:")]
    pareto = _table(folder, "pareto.parquet", ["trial", *per_obj, "dominated_on_reevaluation", "within_noise",
                                               "noise_peers", "overrides"], done)
    gens = _table(folder, "generations.parquet", ["generation", "trials", "feasible", "pareto_size",
                                                  *[f"best:{o}" for o in outs], "hypervolume"], done)
    draws = _table(folder, "draws.parquet", ["trial", "draw"], done)
    return SearchFolder(folder=folder, manifest=m, trials=trials.sort_values("trial", ignore_index=True),
                        draws=draws,
                        pareto=pareto.sort_values("trial", ignore_index=True) if len(pareto) else pareto,
                        generations=gens.sort_values("generation", ignore_index=True) if len(gens) else gens)


def format_value(value: Any) -> str:
    """A lever or outcome value as text: ``-`` for null/NaN, ``g``-format for floats."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    if isinstance(value, float | np.floating):
        value = float(value)
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)
