"""Outcomes declared once: name, meaning, direction, range, when undefined, and the function.

An :class:`Outcome` is what a run (or any evaluated point) is measured by, as in the EMA
Workbench's ``ScalarOutcome(name, kind=MAXIMIZE, function=...)``. An
:class:`OutcomeRegistry` holds outcomes keyed by name, in declaration order, with named
views (the ordered selections a table or a console shows). Everything that names, orders,
ranks or clips outcomes reads a registry: the run summary
(:data:`sim.metrics.RUN_OUTCOMES` and the :data:`sim.metrics.SUMMARY_KEYS` derived from
it), batch files and tables, calibration targets, the console, report and dashboard.

This module knows nothing of what a run is: a function takes whatever its registry's
owner hands it (for the run summary, :class:`sim.metrics.RunFacts`).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

__all__ = ["Direction", "Outcome", "OutcomeRegistry", "OutcomeInterval", "clip_interval", "outcome_interval",
           "UNIT_RANGE", "NON_NEGATIVE"]

UNIT_RANGE: tuple[float, float] = (0.0, 1.0)
"""The range of a share or a rate: [0, 1]."""

NON_NEGATIVE: tuple[float, float] = (0.0, math.inf)
"""The range of a count, an amount of money or a mean of counts: [0, inf)."""


class Direction(enum.Enum):
    """Which way an outcome is better: larger, smaller, or neither (information only)."""

    MAXIMIZE = 1
    MINIMIZE = -1
    INFO = 0

    @property
    def arrow(self) -> str:
        """``↑`` (higher is better), ``↓`` (lower is better) or ``·`` (neither), for tables."""
        return {Direction.MAXIMIZE: "\u2191", Direction.MINIMIZE: "\u2193"}.get(self, "\u00b7")

    @property
    def phrase(self) -> str:
        """``higher is better``, ``lower is better`` or ``""`` (INFO), for axis titles."""
        return {Direction.MAXIMIZE: "higher is better", Direction.MINIMIZE: "lower is better"}.get(self, "")

    def best(self, values: Mapping[Any, float]) -> Any:
        """The key of the best finite value (the largest for MAXIMIZE and INFO, the
        smallest for MINIMIZE); None if no value is finite.

        Parameters
        ----------
        values : mapping of key to float
            NaN and infinite values are left out.
        """
        finite = [(v, k) for k, v in values.items() if math.isfinite(v)]
        if not finite:
            return None
        pick = min if self is Direction.MINIMIZE else max
        return pick(finite, key=lambda vk: vk[0])[1]


@dataclass(frozen=True)
class Outcome:
    """One outcome, declared once.

    Attributes
    ----------
    name : str
        The key (a column in batch tables, a key of ``summary.json``).
    description : str
        What it measures, with its unit (``RMB``, ``days``...), without its range or when it
        is undefined (those are added by :meth:`text`).
    function : callable(facts) -> float or int
        Computes the value from what the registry's owner hands it (for the run summary,
        :class:`sim.metrics.RunFacts`); NaN when undefined.
    direction : Direction, default INFO
        Whether larger (MAXIMIZE) or smaller (MINIMIZE) is better; INFO: neither.
    range : (float, float), default :data:`NON_NEGATIVE`
        The values it can take; intervals are clipped to it.
    undefined_when : str or None
        When it is NaN (``"without a settled gift"``); None: always defined.
    """

    name: str
    description: str
    function: Callable[[Any], Any] = field(repr=False, compare=False)
    direction: Direction = Direction.INFO
    range: tuple[float, float] = NON_NEGATIVE
    undefined_when: str | None = None

    def __post_init__(self) -> None:
        """Check the declaration."""
        lo, hi = self.range
        if not lo < hi:
            raise ValueError(f"outcome {self.name!r}: range {self.range} must have low < high")
        if not isinstance(self.direction, Direction):
            raise TypeError(f"outcome {self.name!r}: direction must be a Direction, got {self.direction!r}")

    def text(self) -> str:
        """The meaning as one line: description, ``[0, 1]`` for a share, and
        ``NaN <undefined_when>`` when it can be undefined."""
        out = self.description
        if self.range == UNIT_RANGE:
            out += ", [0, 1]"
        if self.undefined_when is not None:
            out += f"; NaN {self.undefined_when}"
        return out

    def __call__(self, facts: Any) -> Any:
        """The outcome's value for ``facts`` (its :attr:`function`)."""
        return self.function(facts)


class OutcomeRegistry(Mapping[str, Outcome]):
    """Outcomes keyed by name, in declaration order, with named ordered views.

    Parameters
    ----------
    outcomes : iterable of Outcome
        Names must be unique.
    views : mapping of str to sequence of str, optional
        Named selections (e.g. ``"batch"``: the outcomes a batch compares by default), in
        their own order; every name must be an outcome.

    Raises
    ------
    ValueError
        On a repeated outcome name or a view naming an unknown outcome.
    """

    def __init__(self, outcomes: Iterable[Outcome], views: Mapping[str, Iterable[str]] | None = None) -> None:
        self._outcomes: dict[str, Outcome] = {}
        for o in outcomes:
            self.register(o)
        self._views: dict[str, tuple[str, ...]] = {}
        for name, names in (views or {}).items():
            self.add_view(name, names)

    def register(self, outcome: Outcome) -> Outcome:
        """Add ``outcome`` (last in order); returns it.

        Raises
        ------
        ValueError
            If an outcome of that name is already registered.
        """
        if outcome.name in self._outcomes:
            raise ValueError(f"outcome {outcome.name!r} is already declared")
        self._outcomes[outcome.name] = outcome
        return outcome

    def add_view(self, name: str, names: Iterable[str]) -> tuple[str, ...]:
        """Declare a named, ordered selection of outcomes; returns it.

        Raises
        ------
        ValueError
            If a name is not a registered outcome.
        """
        names = tuple(names)
        unknown = [n for n in names if n not in self._outcomes]
        if unknown:
            raise ValueError(f"view {name!r}: unknown outcome(s) {', '.join(map(repr, unknown))}")
        self._views[name] = names
        return names

    def view(self, name: str) -> tuple[str, ...]:
        """The outcome names of view ``name``, in its order (KeyError if undeclared)."""
        return self._views[name]

    def __getitem__(self, name: str) -> Outcome:
        """The item at ``i`` (or key)."""
        return self._outcomes[name]

    def __iter__(self) -> Iterator[str]:
        """Iterate in order."""
        return iter(self._outcomes)

    def __len__(self) -> int:
        """The number of items."""
        return len(self._outcomes)

    def texts(self) -> dict[str, str]:
        """Name -> one-line meaning (:meth:`Outcome.text`), in declaration order."""
        return {k: o.text() for k, o in self._outcomes.items()}

    def ranges(self) -> dict[str, tuple[float, float]]:
        """Name -> (low, high): the values each outcome can take."""
        return {k: o.range for k, o in self._outcomes.items()}

    def directions(self) -> dict[str, Direction]:
        """Name -> :class:`Direction`."""
        return {k: o.direction for k, o in self._outcomes.items()}

    def undefined(self) -> frozenset[str]:
        """Names of the outcomes that can be undefined (NaN)."""
        return frozenset(k for k, o in self._outcomes.items() if o.undefined_when is not None)

    def evaluate(self, facts: Any) -> dict[str, Any]:
        """Every outcome's value for ``facts``, in declaration order."""
        return {k: o.function(facts) for k, o in self._outcomes.items()}

    def merged(self, *others: OutcomeRegistry) -> OutcomeRegistry:
        """A new registry with this one's outcomes and views, then each of ``others``'.

        Raises
        ------
        ValueError
            If a name is declared twice.
        """
        out = OutcomeRegistry(self.values(), self._views)
        for other in others:
            for o in other.values():
                out.register(o)
            for name, names in other._views.items():
                out.add_view(name, names)
        return out


class OutcomeInterval(NamedTuple):
    """Mean and two-sided Student-t interval of an outcome over the runs that define it.

    Attributes
    ----------
    mean : float
        Mean of the defined (non-NaN) values; NaN if none.
    lo, hi : float
        Interval bounds, clipped to the outcome's possible values; NaN with fewer than
        two defined values.
    n : int
        Number of defined values (runs in which the outcome is not NaN).
    """

    mean: float
    lo: float
    hi: float
    n: int


def clip_interval(key: str, lo: float, hi: float,
                  ranges: Mapping[str, tuple[float, float]]) -> tuple[float, float]:
    """An interval's bounds clipped to the values ``key`` can take (a t-interval around a
    share near 0 or 1 can cross what is possible); NaN bounds stay NaN.

    Parameters
    ----------
    key : str
        An outcome; keys missing from ``ranges`` are not clipped.
    lo, hi : float
    ranges : mapping of str to (float, float)
        E.g. :meth:`OutcomeRegistry.ranges`.

    Returns
    -------
    (float, float)
    """
    low, high = ranges.get(key, (-math.inf, math.inf))
    return (lo if math.isnan(lo) else max(lo, low), hi if math.isnan(hi) else min(hi, high))


def outcome_interval(values, key: str, level: float,
                     ranges: Mapping[str, tuple[float, float]]) -> OutcomeInterval:
    """Mean and Student-t interval of one outcome over runs, using the runs where it is
    defined (NaN values are left out), bounds clipped by :func:`clip_interval`.

    Parameters
    ----------
    values : array-like of float
        The outcome in each run (NaN: undefined in that run).
    key : str
        The outcome (for its range).
    level : float
        E.g. 0.95.
    ranges : mapping of str to (float, float)

    Returns
    -------
    OutcomeInterval
        ``n`` counts the defined values; mean NaN when ``n == 0``, bounds NaN when ``n < 2``.
    """
    from scipy import stats

    x = np.asarray(values, dtype=np.float64).ravel()
    x = x[~np.isnan(x)]
    n = int(x.size)
    m = float(x.mean()) if n else math.nan
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n)) if n >= 2 else math.nan
    lo, hi = clip_interval(key, m - half, m + half, ranges)
    return OutcomeInterval(m, lo, hi, n)
