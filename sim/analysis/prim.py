"""PRIM boxes over a table of uncertain parameter values and a yes/no case of interest:
the EMA Workbench's :class:`ema_workbench.analysis.prim.Prim` (BSD-3, an optional
dependency: ``pip install 'giftsim[discover]'``), one box at a time, each chosen from its
peeling trajectory.

PRIM (Friedman & Fisher 1999, with their original objective: the share of cases in the
box) peels a box, a fraction ``peel_alpha`` of the draws at a time from the side of the
parameter that leaves the densest box, down to a box of ``mass_min`` of the draws, then
pastes back what makes it denser again. Every step is a candidate box; the one kept is,
among those at least ``min_density`` dense, the one with the best balance of coverage
(share of all cases inside) and density (share of the box's draws that are cases): their
harmonic mean, ties to fewer restricted parameters. Its draws are then set aside and PRIM
looks for the next box among the rest, up to ``max_boxes``. Nothing is random: the same table gives the same boxes.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["PrimSettings", "PrimBoxes", "PrimUnavailableError", "PRIM_INSTALL", "BOX_COLUMNS",
           "TRAJECTORY_COLUMNS", "prim_version", "find_boxes"]

PRIM_INSTALL = "pip install 'giftsim[discover]'  (or: pip install 'ema-workbench>=3.0')"
"""How to install the optional PRIM implementation."""

BOX_COLUMNS = ("box", "parameter", "low", "high", "range_low", "range_high", "coverage", "density", "mass",
               "cases", "draws", "restricted")
"""Columns of :attr:`PrimBoxes.boxes` (and of a discovery's ``.parquet`` file)."""

TRAJECTORY_COLUMNS = ("box", "step", "coverage", "density", "mass", "cases", "draws", "restricted", "chosen")
"""Columns of :attr:`PrimBoxes.trajectory`."""


class PrimUnavailableError(ValueError):
    """The optional package ema-workbench is not installed (or does not import); the message
    says how to install it."""


@dataclass(frozen=True)
class PrimSettings:
    """PRIM's knobs.

    Attributes
    ----------
    min_density : float, default 0.8
        A box is kept only if at least this share of its draws are cases, in (0, 1].
    peel_alpha : float, default 0.05
        Share of the box's draws peeled in one step, in (0, 0.5).
    paste_alpha : float, default 0.05
        Share of draws pasted back in one step, in (0, 0.5).
    mass_min : float, default 0.05
        Smallest box, as a share of all draws, in (0, 1).
    max_boxes : int, default 1
        Most boxes looked for, >= 1; each next box is looked for among the draws outside the earlier ones.
    """

    min_density: float = 0.8
    peel_alpha: float = 0.05
    paste_alpha: float = 0.05
    mass_min: float = 0.05
    max_boxes: int = 1

    def __post_init__(self) -> None:
        """Check the ranges (ValueError naming the setting)."""
        checks = (("min_density", 0 < self.min_density <= 1, "in (0, 1]"),
                  ("peel_alpha", 0 < self.peel_alpha < 0.5, "in (0, 0.5)"),
                  ("paste_alpha", 0 < self.paste_alpha < 0.5, "in (0, 0.5)"),
                  ("mass_min", 0 < self.mass_min < 1, "in (0, 1)"),
                  ("max_boxes", self.max_boxes >= 1, ">= 1"))
        for name, ok, allowed in checks:
            if not ok:
                raise ValueError(f"PRIM setting {name} = {getattr(self, name)} must be {allowed}")

    def as_dict(self) -> dict[str, Any]:
        """The settings as a plain dict (for JSON)."""
        return asdict(self)


@dataclass(frozen=True)
class PrimBoxes:
    """What :func:`find_boxes` found.

    Attributes
    ----------
    boxes : pandas.DataFrame
        One row per (box, restricted parameter), columns :data:`BOX_COLUMNS`: ``box``
        (int64, 1 = first found), ``parameter``, its ``low`` and ``high`` in the box and
        ``range_low``/``range_high`` over all draws (float64), and the box's ``coverage``
        (cases inside / all cases), ``density`` (cases inside / draws inside), ``mass``
        (draws inside / all draws), ``cases`` and ``draws`` inside (int64) and
        ``restricted`` (int64, parameters it restricts). A box that restricts nothing
        (cases dense everywhere) has one row with ``parameter`` "" and NaN bounds.
        Empty when no box reaches the density.
    trajectory : pandas.DataFrame
        Every candidate box along each peeling-and-pasting trajectory, columns
        :data:`TRAJECTORY_COLUMNS` (``step`` 0 is all the draws left; ``chosen`` marks the
        box kept).
    """

    boxes: pd.DataFrame
    trajectory: pd.DataFrame

    @property
    def n_boxes(self) -> int:
        """The number of boxes found."""
        return int(self.boxes["box"].nunique()) if len(self.boxes) else 0


def _prim_module() -> Any:
    """``ema_workbench.analysis.prim``, imported quietly (its package warns about optional
    extras it does not need here)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import prim
    except ImportError as err:
        raise PrimUnavailableError(f"scenario discovery needs the optional package ema-workbench (PRIM), which "
                                   f"cannot be imported ({err}); install it with: {PRIM_INSTALL}") from None
    return prim


def prim_version() -> str | None:
    """The installed ema-workbench version, or None when it is not installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ema-workbench")
    except PackageNotFoundError:
        return None


def _restricted(lim: pd.DataFrame, init: pd.DataFrame) -> list[str]:
    """The parameters whose limits in box ``lim`` differ from the initial box's."""
    return [c for c in init.columns if lim.loc[0, c] != init.loc[0, c] or lim.loc[1, c] != init.loc[1, c]]


def _choose(traj: pd.DataFrame, min_density: float) -> int | None:
    """The step kept: best harmonic mean of coverage and density among the steps at least
    ``min_density`` dense, ties to fewer restricted parameters then the earlier step."""
    ok = traj[traj["density"] >= min_density - 1e-12]
    if not len(ok):
        return None
    cov, den = ok["coverage"].to_numpy(float), ok["density"].to_numpy(float)
    f1 = np.where(cov + den > 0, 2 * cov * den / np.maximum(cov + den, 1e-300), 0.0)
    order = np.lexsort((ok.index.to_numpy(), ok["res_dim"].to_numpy(), -np.round(f1, 12)))
    return int(ok.index[order[0]])


def _box_rows(number: int, box: Any, step: int, init: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of :attr:`PrimBoxes.boxes` for step ``step`` of an EMA ``PrimBox``."""
    t = box.peeling_trajectory.loc[step]
    lim = box.box_lims[step]
    names = _restricted(lim, init)
    stats = {"coverage": float(t["coverage"]), "density": float(t["density"]), "mass": float(t["mass"]),
             "cases": int(t["k"]), "draws": int(t["n"]), "restricted": len(names)}
    if not names:
        return [{"box": number, "parameter": "", "low": np.nan, "high": np.nan, "range_low": np.nan,
                 "range_high": np.nan, **stats}]
    return [{"box": number, "parameter": c, "low": float(lim.loc[0, c]), "high": float(lim.loc[1, c]),
             "range_low": float(init.loc[0, c]), "range_high": float(init.loc[1, c]), **stats} for c in names]


def _trajectory_rows(number: int, box: Any, chosen: int | None) -> pd.DataFrame:
    t = box.peeling_trajectory
    kept = -1 if chosen is None else chosen
    return pd.DataFrame({
        "box": np.full(len(t), number, np.int64), "step": np.arange(len(t), dtype=np.int64),
        "coverage": t["coverage"].to_numpy(float), "density": t["density"].to_numpy(float),
        "mass": t["mass"].to_numpy(float), "cases": t["k"].to_numpy(np.int64), "draws": t["n"].to_numpy(np.int64),
        "restricted": t["res_dim"].to_numpy(np.int64), "chosen": np.arange(len(t)) == kept,
    })


def _run(module: Any, x: pd.DataFrame, cases: np.ndarray,
         settings: PrimSettings) -> tuple[list[dict[str, Any]], list[pd.DataFrame]]:
    """The boxes' rows and the trajectories, box after box (see :func:`find_boxes`)."""
    # the original objective peels on to mass_min (EMA's default "lenient" one stops at the first peel
    # that does not raise the density, which noisy draws often offer early)
    prim = module.Prim(x.reset_index(drop=True), cases.astype(np.int64),
                       obj_function=module.PRIMObjectiveFunctions.ORIGINAL, peel_alpha=settings.peel_alpha,
                       paste_alpha=settings.paste_alpha, mass_min=settings.mass_min)
    init = prim.box_init
    rows: list[dict[str, Any]] = []
    trajectories = []
    left = np.ones(len(cases), bool)  # draws in no box yet
    for number in range(1, settings.max_boxes + 1):
        box = prim.find_box()
        if box is None:
            break
        step = _choose(box.peeling_trajectory, settings.min_density)
        trajectories.append(_trajectory_rows(number, box, step))
        if step is None:
            break
        box.select(step)
        rows += _box_rows(number, box, step, init)
        left[box.yi] = False
        if rows[-1]["restricted"] == 0 or not cases[left].any():
            break
    return rows, trajectories


def find_boxes(x: pd.DataFrame, cases: np.ndarray, settings: PrimSettings | None = None) -> PrimBoxes:
    """Boxes of the parameter space where the cases concentrate.

    Parameters
    ----------
    x : pandas.DataFrame, shape (draws, parameters)
        The parameter values of each draw (float64 or int64 columns).
    cases : ndarray of bool, shape (draws,)
        Whether each draw is a case of interest.
    settings : PrimSettings, optional

    Returns
    -------
    PrimBoxes

    Raises
    ------
    PrimUnavailableError
        ema-workbench is not installed.
    ValueError
        ``x`` and ``cases`` differ in length, or ``x`` has no column.
    """
    settings = settings or PrimSettings()
    cases = np.asarray(cases, dtype=bool)
    if len(cases) != len(x) or not x.shape[1]:
        raise ValueError(f"PRIM needs one case flag per draw and at least one parameter (got {len(cases)} flags, "
                         f"{x.shape[0]} draws x {x.shape[1]} parameters)")
    with warnings.catch_warnings():  # its pandas deprecations are its own, not the user's
        warnings.filterwarnings("ignore", module=r"ema_workbench\.")
        rows, trajectories = _run(_prim_module(), x, cases, settings)
    traj = pd.concat(trajectories, ignore_index=True) if trajectories else pd.DataFrame(
        {c: [] for c in TRAJECTORY_COLUMNS})
    return PrimBoxes(pd.DataFrame(rows, columns=list(BOX_COLUMNS)), traj[list(TRAJECTORY_COLUMNS)])
