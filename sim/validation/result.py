"""What a validation check returns: its verdict, figures, tolerance, and data for a plot."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["CheckResult", "Curve", "Plot"]


@dataclass(frozen=True)
class Curve:
    """One series of a plot.

    Attributes
    ----------
    label : str
    x, y : ndarray of float64, shape (k,)
    style : {"line", "points", "steps", "bars"}
        Theory as a line, simulation as points (with ``err`` bars) or bars.
    err : ndarray of float64, shape (k,), optional
        Half-width of an error bar at each point (for example 2 standard errors).
    """

    label: str
    x: np.ndarray
    y: np.ndarray
    style: str = "line"
    err: np.ndarray | None = None


@dataclass(frozen=True)
class Plot:
    """A plot of simulation against theory: curves on one set of axes.

    ``vlines`` are (x, label) pairs (for example a threshold); ``logy`` a log y axis;
    ``xticks`` fixed tick positions (empty: automatic).
    """

    title: str
    xlabel: str
    ylabel: str
    curves: tuple[Curve, ...]
    vlines: tuple[tuple[float, str], ...] = ()
    logy: bool = False
    xticks: tuple[float, ...] = ()


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one validation check.

    Attributes
    ----------
    name : str
        Short id (file name of its plot, ``giftsim validate --only``).
    title : str
    source : str
        The paper or library checked against.
    formula : str
        The closed form or quantity compared.
    measured, expected : float
        The simulated figure and the theory's (or peer's).
    tolerance : str
        The pass rule in words, with its numbers.
    statistic : str
        The test statistic and p-value (or distance) that decided.
    passed : bool
    details : dict of str to float or int or str
        Sizes (users, cascades, replicates), seeds and secondary figures.
    plot : Plot or None
    """

    name: str
    title: str
    source: str
    formula: str
    measured: float
    expected: float
    tolerance: str
    statistic: str
    passed: bool
    details: dict = field(default_factory=dict)
    plot: Plot | None = None
