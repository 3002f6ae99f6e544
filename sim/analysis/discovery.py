"""Scenario discovery over a finished batch: in which region of the uncertain parameters
does point A lose to point B on outcome Y (or, with several B and Y, is A dominated by one
of the B). The paired draws (:mod:`.discovery_cases`) go
through PRIM (:mod:`.prim`); the result is written beside the batch as
``<batch>/discovery/<A>__vs__<B>__<Y>.parquet`` (the boxes) and ``.json`` (what was asked,
the counts, the peeling trajectories, the versions), and read back by the report and the
dashboard (:func:`read_discoveries`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..results import versions
from ..results.atomic import atomic_path, write_json_atomic
from .discovery_cases import discovery_cases, loses_text
from .prim import BOX_COLUMNS, PrimSettings, find_boxes, prim_version

__all__ = ["Discovery", "DISCOVERY_FOLDER", "discover", "discovery_stem", "write_discovery", "read_discoveries",
           "discovery_sentence", "box_text", "boxes_table"]

MAX_STEM = 120
"""Longest file name stem of a discovery (file systems allow 255 bytes a name)."""

DISCOVERY_FOLDER = "discovery"
"""The folder of a batch that holds its discoveries."""


@dataclass(frozen=True, eq=False)
class Discovery:
    """One scenario discovery.

    Attributes
    ----------
    asked : dict
        What was asked: ``batch`` (folder), ``policy``, ``versus`` and ``outcome`` (for
        sentences: ``B1 or B2``, ``Y1, Y2 and Y3``), ``versus_points`` and ``outcomes`` (lists),
        ``direction`` ("maximize" or "minimize"; a list with several outcomes), ``threshold``
        (Y's units), ``settings`` (:class:`sim.analysis.prim.PrimSettings` as a dict),
        ``parameters`` (the uncertain keys).
    draws : int
        Draws used (every Y defined at every point compared).
    cases : int
        Draws in which A loses to B.
    undefined : int
        Draws left out (Y undefined at A or B).
    boxes : pandas.DataFrame
        :attr:`sim.analysis.prim.PrimBoxes.boxes`.
    trajectory : pandas.DataFrame
        :attr:`sim.analysis.prim.PrimBoxes.trajectory`.
    meta : dict
        ``versions`` (Python and packages, ema-workbench included) and ``created`` (UTC).
    """

    asked: dict[str, Any]
    draws: int
    cases: int
    undefined: int
    boxes: pd.DataFrame
    trajectory: pd.DataFrame
    meta: dict[str, Any]

    @property
    def n_boxes(self) -> int:
        """The number of boxes found."""
        return int(self.boxes["box"].nunique()) if len(self.boxes) else 0


def discover(folder: str | Path, policy: str, versus: str | Sequence[str], outcome: str | Sequence[str],
             threshold: float = 0.0, settings: PrimSettings | None = None) -> Discovery:
    """Run a scenario discovery on a finished batch (nothing is written: see :func:`write_discovery`).

    Parameters
    ----------
    folder : path-like
        ``results/<batch>`` with uncertainty draws.
    policy : str
        Point name A.
    versus : str or sequence of str
        Point names B: A loses in a draw when any of them beats it.
    outcome : str or sequence of str
        Y, outcomes with a better direction; with several, a B beats A when it dominates it
        (at least as good on every Y, better on one).
    threshold : float, default 0
        One outcome only: A loses when a B beats it by more than this (Y's units).
    settings : PrimSettings, optional

    Returns
    -------
    Discovery

    Raises
    ------
    sim.analysis.DiscoveryInputError
        See :func:`sim.analysis.discovery_cases`.
    sim.analysis.PrimUnavailableError
        ema-workbench is not installed.
    """
    settings = settings or PrimSettings()
    c = discovery_cases(folder, policy, versus, outcome, threshold)
    found = find_boxes(c.x, c.cases, settings)
    dirs = [d.name.lower() for d in c.directions]
    asked = {"batch": str(c.folder), "policy": policy, "versus": c.versus_text, "outcome": c.outcome_text,
             "direction": dirs[0] if len(dirs) == 1 else dirs, "threshold": c.threshold,
             "settings": settings.as_dict(), "parameters": list(c.x.columns),
             "versus_points": list(c.versus), "outcomes": list(c.outcomes)}
    meta = {"versions": {**versions(), "ema-workbench": prim_version() or "not installed"},
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "algorithm": "PRIM (Friedman & Fisher 1999) by ema_workbench.analysis.prim.Prim; per box, the step of "
                         "its peeling-and-pasting trajectory with the best harmonic mean of coverage and density "
                         "among those at least min_density dense; deterministic (no random draw)"}
    return Discovery(asked, len(c.cases), int(c.cases.sum()), c.undefined, found.boxes, found.trajectory, meta)


def discovery_stem(policy: str, versus: str, outcome: str) -> str:
    """``<A>__vs__<B>__<Y>``, each name with characters other than letters, digits, ``.``,
    ``-`` and ``_`` replaced by ``_`` (a safe file name); longer than :data:`MAX_STEM`
    characters (several B points and outcomes), cut and ended by ``-`` and 12 hex digits of
    the names' SHA-256, so that it stays one valid file name per question."""
    def safe(name: str) -> str:
        return re.sub(r"[^A-Za-z0-9._-]", "_", name)
    stem = f"{safe(policy)}__vs__{safe(versus)}__{safe(outcome)}"
    if len(stem) <= MAX_STEM:
        return stem
    digest = hashlib.sha256(f"{policy}\0{versus}\0{outcome}".encode()).hexdigest()[:12]
    return f"{stem[:MAX_STEM - 13]}-{digest}"


def write_discovery(d: Discovery) -> tuple[Path, Path]:
    """Write ``<batch>/discovery/<stem>.parquet`` (the boxes) and ``.json`` (everything else,
    with the sentence), each atomically; returns both paths.

    Raises
    ------
    OSError
        The folder cannot be written.
    """
    out = Path(d.asked["batch"]) / DISCOVERY_FOLDER
    out.mkdir(exist_ok=True)
    stem = discovery_stem(d.asked["policy"], d.asked["versus"], d.asked["outcome"])
    parquet = out / f"{stem}.parquet"
    with atomic_path(parquet) as tmp:
        d.boxes.to_parquet(tmp, index=False)
    record = {**d.asked, "draws": d.draws, "cases": d.cases, "undefined_draws": d.undefined, "boxes": d.n_boxes,
              "sentence": discovery_sentence(d), **d.meta,
              "trajectory": d.trajectory.to_dict(orient="records")}
    path = write_json_atomic(out / f"{stem}.json", record)
    return parquet, path


def read_discoveries(folder: str | Path) -> list[Discovery]:
    """The discoveries written into a batch folder (``discovery/*.json`` with its
    ``.parquet``), by file name; [] when there are none. A pair with a missing or unreadable
    half is skipped."""
    out: list[Discovery] = []
    where = Path(folder) / DISCOVERY_FOLDER
    if not where.is_dir():
        return out
    asked_keys = ("batch", "policy", "versus", "outcome", "direction", "threshold", "settings", "parameters")
    for path in sorted(where.glob("*.json")):
        parquet = path.with_suffix(".parquet")
        try:
            rec = json.loads(path.read_text(encoding="utf-8"))
            boxes = pd.read_parquet(parquet)
            asked = {k: rec[k] for k in asked_keys} | {k: rec[k] for k in ("versus_points", "outcomes") if k in rec}
            d = Discovery(asked, int(rec["draws"]), int(rec["cases"]), int(rec["undefined_draws"]),
                          boxes[list(BOX_COLUMNS)], pd.DataFrame(rec["trajectory"]),
                          {k: rec.get(k) for k in ("versions", "created", "algorithm")})
        except (OSError, ValueError, KeyError, TypeError):
            continue
        out.append(d)
    return out


def _num(x: float) -> str:
    return f"{x:.3g}"


def box_text(rows: pd.DataFrame) -> str:
    """One box's restrictions: ``key in [low, high] and ...`` (``the whole uncertain ranges``
    for a box that restricts nothing)."""
    named = rows[rows["parameter"] != ""]
    if not len(named):
        return "the whole uncertain ranges"
    return " and ".join(f"{p} in [{_num(lo)}, {_num(hi)}]" for p, lo, hi in
                        zip(named["parameter"], named["low"], named["high"]))


def discovery_sentence(d: Discovery) -> str:
    """The answer in plain words: ``policy A loses to B on Y in 41 of 60 draws; 35 of them
    (coverage 85%) lie in the box K in [lo, hi] where A loses in 92% of draws (density)``,
    one clause per box, or why no box was kept."""
    a, b, y = d.asked["policy"], d.asked["versus"], d.asked["outcome"]
    thr = float(d.asked.get("threshold") or 0.0)
    by = f" by more than {thr:g}" if thr else ""
    n_outcomes = len(d.asked.get("outcomes") or [y])
    head = f"policy {a} {loses_text(b, y, n_outcomes)}{by} in {d.cases} of {d.draws} draws"
    if not d.n_boxes:
        dens = float(d.asked["settings"]["min_density"])
        return (f"{head}; no region of the uncertain parameters where {a} loses in at least {dens:.0%} of the draws "
                "was found (lower --min-density, or add draws)")
    parts = []
    for n, rows in d.boxes.groupby("box", sort=True):
        r = rows.iloc[0]
        lead = "" if n == 1 else f"box {n}: "
        where = "are spread over the whole uncertain ranges" if int(r["restricted"]) == 0 else \
            f"lie in the box {box_text(rows)}"
        parts.append(f"{lead}{int(r['cases'])} of them (coverage {r['coverage']:.0%}) {where} where {a} loses in "
                     f"{r['density']:.0%} of draws (density)")
    return head + "; " + "; ".join(parts)


def boxes_table(boxes: pd.DataFrame) -> pd.DataFrame:
    """A discovery's boxes as display cells: box, parameter, its [low, high] in the box and
    over the draws, coverage, density, draws and cases in the box."""
    def bounds(lo: float, hi: float) -> str:
        return "-" if pd.isna(lo) else f"[{lo:.3g}, {hi:.3g}]"

    return pd.DataFrame({
        "box": boxes["box"].astype(int),
        "parameter": [p or "(none)" for p in boxes["parameter"]],
        "in the box": [bounds(lo, hi) for lo, hi in zip(boxes["low"], boxes["high"])],
        "over the draws": [bounds(lo, hi) for lo, hi in zip(boxes["range_low"], boxes["range_high"])],
        "coverage": [f"{x:.0%}" for x in boxes["coverage"]],
        "density": [f"{x:.0%}" for x in boxes["density"]],
        "draws (lost)": [f"{int(n)} ({int(k)})" for n, k in zip(boxes["draws"], boxes["cases"])],
    })
