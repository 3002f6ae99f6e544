"""The on-disk format of runs: one folder per run, written atomically, and read back.

A run folder holds::

    series.parquet      one row per step (a day unless time.step_hours < 24)
    gifts.parquet       one row per gift (the event log)
    invitations.parquet one row per induced-sharing invitation (empty without induced sharing)
    users.parquet       one row per aware user (cascade parents)
    merchants.parquet   one row per merchant
    cascades.parquet    one row per adoption cascade
    summary.json        the final summary (sorted keys; an undefined metric, NaN, is null)
    manifest.json       resolved scenario, seed, run id, versions, git commit, graph report

Everything but ``manifest.json`` is a function of (scenario, seed) alone: the same
scenario and seed give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import platform
import re
import shutil
import subprocess
import uuid
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from ..model import InvitationLog
from ..runner import RunResult, invitations_frame
from ..scenario import Scenario

__all__ = [
    "TABLES",
    "run_id",
    "safe_name",
    "scenario_fingerprint",
    "write_run",
    "read_run",
    "read_summary",
    "summary_text",
    "strict_json",
    "is_complete",
    "versions",
    "git_commit",
    "ResultsError",
]

TABLES = ("series", "gifts", "invitations", "users", "merchants", "cascades")
"""Parquet tables of a run folder."""

_COMPLETE = "manifest.json"  # written last inside the temporary folder


class ResultsError(OSError):
    """A results folder that cannot be written or read; the message names the path."""


def _file_sha256(path: str) -> str:
    st = os.stat(path)
    return _sha256_cached(path, st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=64)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def scenario_fingerprint(scenario: Scenario) -> dict[str, Any]:
    """The scenario as JSON-able data with the graph file named by content, not location.

    Two checkouts of the project give the same fingerprint for the same scenario.
    """
    data = json.loads(scenario.model_dump_json(by_alias=True))
    path = data.get("graph", {}).get("path")
    if path:
        try:
            data["graph"]["path"] = f"sha256:{_file_sha256(path)}"
        except OSError:
            data["graph"]["path"] = Path(path).name
    return data


def run_id(scenario: Scenario, seed: int) -> str:
    """Content id of a run: ``s<seed>-<12 hex>`` from the scenario fingerprint and seed."""
    blob = json.dumps({"scenario": scenario_fingerprint(scenario), "seed": int(seed)},
                      sort_keys=True, separators=(",", ":"))
    return f"s{int(seed)}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"


def run_id_maker(scenario: Scenario):
    """``seed -> run_id(scenario, seed)`` with the scenario serialised and hashed once
    (a batch point's many replicates): the same ids as :func:`run_id`, byte for byte."""
    fp = json.dumps(scenario_fingerprint(scenario), sort_keys=True, separators=(",", ":"))
    head = hashlib.sha256(('{"scenario":' + fp).encode())

    def make(seed: int) -> str:
        h = head.copy()
        h.update(f',"seed":{int(seed)}}}'.encode())
        return f"s{int(seed)}-{h.hexdigest()[:12]}"

    return make


def safe_name(name: str) -> str:
    """A folder name made from a scenario or batch name that cannot leave its parent:
    characters other than letters, digits, ``_``, ``-`` and ``.`` become ``_``, and a
    leading dot becomes ``_`` (so ``..`` and hidden names are impossible)."""
    out = re.sub(r"[^A-Za-z0-9_.\-]", "_", name)[:120] or "_"
    return "_" + out[1:] if out.startswith(".") else out


@lru_cache(maxsize=1)
def _versions() -> tuple[tuple[str, str], ...]:
    out = [("python", platform.python_version())]
    for pkg in ("giftsim", "mesa", "numpy", "networkx", "pandas", "pyarrow", "pydantic"):
        try:
            out.append((pkg, metadata.version(pkg)))
        except metadata.PackageNotFoundError:
            out.append((pkg, "not installed"))
    return tuple(out)


def versions() -> dict[str, str]:
    """Versions of Python and of the packages a run depends on (read once per process)."""
    return dict(_versions())


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The project's git commit (with ``-dirty`` if modified), or None outside git; asked
    once per process (a batch worker writes many runs)."""
    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                              text=True, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=here, capture_output=True, text=True, timeout=10)
        return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def _write_json(path: Path, data: Any) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True, default=str)
        fh.write("\n")


def _nan_to_none(data: Any) -> Any:
    if isinstance(data, float):
        return None if math.isnan(data) else data
    if isinstance(data, dict):
        return {k: _nan_to_none(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_nan_to_none(v) for v in data]
    return data


def strict_json(data: Any) -> str:
    """``data`` as strict JSON text (RFC 8259, which has no NaN): keys sorted, indented,
    a trailing newline; every float NaN (an undefined value) becomes ``null``, other
    objects their ``str``.

    Raises
    ------
    ValueError
        If a value is infinite (strict JSON has no infinity).
    """
    return json.dumps(_nan_to_none(data), indent=2, sort_keys=True, default=str, allow_nan=False) + "\n"


def summary_text(summary: dict[str, Any]) -> str:
    """``summary.json``'s text (:func:`strict_json`): each undefined metric (NaN, see
    :data:`sim.metrics.SUMMARY_KEYS`) is ``null``; the text of a summary without NaN is
    what ``json.dump`` always wrote.

    Raises
    ------
    ValueError
        If a value is infinite (no summary metric can be).
    """
    return strict_json(summary)


def read_summary(folder: str | os.PathLike) -> dict[str, Any]:
    """A run folder's ``summary.json``, with ``null`` (an undefined metric) read back as
    ``float("nan")``; values are int or float. Files written before null was used, with a
    bare ``NaN``, read the same.

    Raises
    ------
    ResultsError
        If the file is missing or not JSON (the message names the path).
    """
    path = Path(folder) / "summary.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{path}: missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ResultsError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: not a summary (expected a JSON object)")
    return {k: math.nan if v is None else v for k, v in data.items()}


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    df.to_parquet(path, engine="pyarrow", index=False, compression="zstd")


def write_run(result: RunResult, folder: str | os.PathLike, *, extra: dict[str, Any] | None = None) -> Path:
    """Write a run folder atomically: into a temporary sibling, then rename.

    Parameters
    ----------
    result : RunResult
    folder : path-like
        The run folder to create; it must not exist.
    extra : dict, optional
        More entries for ``manifest.json`` (for example the batch point).

    Returns
    -------
    Path
        ``folder``.

    Raises
    ------
    FileExistsError
        If ``folder`` exists (a run is never overwritten).
    ResultsError
        If the folder cannot be written (the temporary folder is removed; nothing
        half-written is left under the final name).
    """
    folder = Path(folder)
    if folder.exists():
        raise FileExistsError(f"{folder}: a run is already stored here")
    tmp = folder.parent / f".tmp-{folder.name}-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir(parents=True)
        for name in TABLES:
            _write_parquet(getattr(result, name), tmp / f"{name}.parquet")
        (tmp / "summary.json").write_text(summary_text(result.summary), encoding="utf-8")
        manifest = {
            "run_id": run_id(result.scenario, result.seed),
            "seed": result.seed,
            "scenario": json.loads(result.scenario.model_dump_json(by_alias=True)),
            "graph_report": result.graph_report,
            "versions": versions(),
            "git_commit": git_commit(),
            "wall_seconds": round(result.wall_seconds, 4),
            "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        manifest.update(extra or {})
        _write_json(tmp / _COMPLETE, manifest)
        os.rename(tmp, folder)
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(err, FileExistsError) or folder.exists():
            raise FileExistsError(f"{folder}: a run is already stored here") from None
        raise ResultsError(f"{folder}: cannot write results: {err.strerror or err}") from None
    return folder


def is_complete(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` is a complete run folder (temporary folders never are)."""
    folder = Path(folder)
    return not folder.name.startswith(".tmp-") and (folder / _COMPLETE).is_file()


def _read_table(folder: Path, name: str) -> pd.DataFrame:
    path = folder / f"{name}.parquet"
    if name == "invitations" and not path.exists():  # a folder written before invitations were
        return invitations_frame(InvitationLog().to_columns())
    return pd.read_parquet(path)


def read_run(folder: str | os.PathLike) -> dict[str, Any]:
    """Read a run folder back: its tables (pandas DataFrames), ``summary`` (undefined
    metrics NaN, as :func:`read_summary`) and ``manifest``. A folder written before
    ``invitations.parquet`` existed reads with an empty ``invitations`` table.

    Raises
    ------
    ResultsError
        If the folder is not a complete run folder.
    """
    folder = Path(folder)
    if not is_complete(folder):
        raise ResultsError(f"{folder}: not a complete run folder")
    out: dict[str, Any] = {name: _read_table(folder, name) for name in TABLES}
    out["summary"] = read_summary(folder)
    out["manifest"] = json.loads((folder / _COMPLETE).read_text(encoding="utf-8"))
    return out
