"""Parameter uncertainty and robustness conditions of a batch: the parameter draws (from a
posterior sample or a Latin hypercube over ranges) and the one-at-a-time robustness ends,
as *conditions* that every point of the batch runs under.

A batch without ``uncertainty`` or ``robustness`` has no conditions and runs as it always
did. Otherwise each point runs its conditions x replicates: first the base conditions (one
per parameter draw, or the point itself when there is no uncertainty), then each robustness
parameter at its low and at its high end. Every point runs the same conditions (common
parameter values), and run (draw d, replicate r) has the same seed at every point.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..evidence import POSTERIOR_COLUMNS
from ..scenario import ScenarioError
from .spec import DEFAULT_ROBUSTNESS, BatchSpec, Uncertainty

__all__ = ["Condition", "Draws", "DEFAULT_ROBUSTNESS", "UNCERTAINTY_STREAM", "posterior_file", "uncertainty_of",
           "robustness_of", "read_posterior", "posterior_draws", "latin_draws", "make_draws", "draws_of",
           "make_conditions", "condition_count", "varied_keys"]

UNCERTAINTY_STREAM = 2**31 - 2
"""Spawn key of the random stream that draws a batch's parameter values:
``SeedSequence(seed, spawn_key=(UNCERTAINTY_STREAM,))``, apart from every run's seed."""


@dataclass(frozen=True)
class Draws:
    """Parameter draws: ``values[d, k]`` is draw ``d``'s value of ``keys[k]``.

    Attributes
    ----------
    keys : tuple of str
        Dotted scenario keys.
    values : ndarray of float64, shape (draws, len(keys))
    rows : ndarray of int64, shape (draws,), or None
        The posterior rows drawn (None for a Latin hypercube).
    where : str
        Where the draws come from, for messages (``uncertainty.posterior (FILE)`` or
        ``uncertainty.ranges``).
    """

    keys: tuple[str, ...]
    values: np.ndarray
    rows: np.ndarray | None
    where: str


@dataclass(frozen=True)
class Condition:
    """One condition every point runs under.

    Attributes
    ----------
    draw : int
        The parameter draw (>= 0), or -1 (the point itself, or a robustness end).
    key : str
        The robustness parameter set to one end ("" for a base condition).
    end : str
        ``"low"`` or ``"high"`` for a robustness end, "" otherwise.
    overrides : tuple of (str, value)
        The dotted keys this condition sets on a point's scenario.
    where : str
        The batch key it comes from, for messages.
    """

    draw: int
    key: str
    end: str
    overrides: tuple[tuple[str, Any], ...]
    where: str

    @property
    def is_base(self) -> bool:
        """Whether this is a base condition (a draw, or the point itself), not a robustness end."""
        return not self.key


def posterior_file() -> Path:
    """The shipped posterior (:data:`sim.evidence.POSTERIOR_FILE`)."""
    from ..evidence import POSTERIOR_FILE

    return Path(POSTERIOR_FILE)


def uncertainty_of(spec: BatchSpec) -> Uncertainty | None:
    """The batch's uncertainty table (``"posterior"`` is read as the shipped posterior with
    the default number of draws), or None."""
    return spec.uncertainty


def robustness_of(spec: BatchSpec) -> dict[str, tuple[float, float]]:
    """The batch's robustness parameters and ranges (:data:`DEFAULT_ROBUSTNESS` for
    ``"default"``; empty without robustness)."""
    if spec.robustness is None:
        return {}
    return {k: (float(lo), float(hi)) for k, (lo, hi) in spec.robustness.parameters.items()}


def condition_count(spec: BatchSpec) -> int:
    """Conditions per point, from the file alone: 0 without uncertainty or robustness,
    else (draws, or 1) + 2 x robustness parameters."""
    u = uncertainty_of(spec)
    r = robustness_of(spec)
    if u is None and not r:
        return 0
    return (u.draws if u is not None else 1) + 2 * len(r)


def read_posterior(path: Path, source: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Read a posterior sample: its parameter columns, their values and the normalised
    weights, of its last generation (the ``generation`` column's largest value, if any).

    Returns
    -------
    keys : list of str
    values : ndarray of float64, shape (rows, len(keys))
    weights : ndarray of float64, shape (rows,), summing to 1

    Raises
    ------
    ScenarioError
        The file is missing or unreadable, has no ``weight`` column or no parameter
        column, a non-numeric or non-finite value, or negative or all-zero weights.
    """
    import pyarrow.parquet as pq

    where = f"{source}: uncertainty.posterior ({path})"
    if not path.is_file():
        raise ScenarioError(f"{where}: the posterior file does not exist; make it with giftsim calibrate "
                            "scenarios/calibrate_evidence.toml, or give [uncertainty] posterior = \"FILE.parquet\" "
                            "or ranges = { KEY = [low, high] }")
    try:
        table = pq.read_table(path)
    except Exception as err:  # pyarrow's errors have no common base class worth naming
        raise ScenarioError(f"{where}: cannot be read as Parquet ({err})") from None
    cols = table.column_names
    keys = [c for c in cols if c not in POSTERIOR_COLUMNS]
    if "weight" not in cols or not keys:
        raise ScenarioError(f"{where}: needs a weight column and at least one parameter column (a dotted scenario "
                            f"key); it has {', '.join(cols) or 'no columns'}")
    frame = table.to_pandas()
    if "generation" in cols and len(frame):
        frame = frame[frame["generation"] == frame["generation"].max()]
    try:
        values = frame[keys].to_numpy(dtype=np.float64)
        weights = frame["weight"].to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ScenarioError(f"{where}: every parameter column and weight must be numbers ({err})") from None
    for j, key in enumerate(keys):
        if not np.isfinite(values[:, j]).all():
            raise ScenarioError(f"{where}: column {key!r} holds a value that is not a finite number")
    if not len(weights) or not np.isfinite(weights).all() or (weights < 0).any() or weights.sum() <= 0:
        raise ScenarioError(f"{where}: weight must be finite numbers >= 0 with a positive sum")
    return keys, values, weights / weights.sum()


def _stream(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(UNCERTAINTY_STREAM,)))


def posterior_draws(path: Path, n: int, seed: int, source: str) -> Draws:
    """``n`` rows of the posterior at ``path`` drawn with replacement by weight, from the
    batch's own uncertainty stream (:data:`UNCERTAINTY_STREAM`): the same file and seed
    give the same draws.

    Raises
    ------
    ScenarioError
        See :func:`read_posterior`.
    """
    keys, values, weights = read_posterior(path, source)
    rows = _stream(seed).choice(len(weights), size=n, replace=True, p=weights).astype(np.int64)
    return Draws(tuple(keys), values[rows], rows, f"uncertainty.posterior ({path})")


def latin_draws(ranges: dict[str, list[float]], n: int, seed: int, integer: set[str] | frozenset[str]) -> Draws:
    """``n`` draws of a Latin hypercube over ``ranges`` (scipy.stats.qmc, seeded from the
    batch's uncertainty stream); keys in ``integer`` are rounded to the nearest integer."""
    from scipy.stats import qmc

    keys = list(ranges)
    lo = np.array([ranges[k][0] for k in keys], dtype=np.float64)
    hi = np.array([ranges[k][1] for k in keys], dtype=np.float64)
    unit = qmc.LatinHypercube(d=len(keys), rng=_stream(seed)).random(n)
    values = qmc.scale(unit, lo, hi)
    for j, k in enumerate(keys):
        if k in integer:
            values[:, j] = np.rint(values[:, j])
    return Draws(tuple(keys), np.ascontiguousarray(values, dtype=np.float64), None, "uncertainty.ranges")


def make_draws(spec: BatchSpec, folder: Path, source: str, integer: set[str] | frozenset[str]) -> Draws | None:
    """The batch's parameter draws, or None without uncertainty (:func:`draws_of` of its
    uncertainty table and seed).

    Raises
    ------
    ScenarioError
        A missing or malformed posterior file (naming the file).
    """
    return draws_of(uncertainty_of(spec), spec.seed, folder, source, integer)


def draws_of(u: Uncertainty | None, seed: int, folder: Path, source: str,
             integer: set[str] | frozenset[str]) -> Draws | None:
    """The parameter draws of an uncertainty table (a batch's or a policy search's), or None
    without one: ``u.draws`` rows of its posterior (a path relative to ``folder``, or
    ``"shipped"``) or a Latin hypercube over its ranges, from ``seed``'s uncertainty stream.

    Parameters
    ----------
    u : Uncertainty or None
    seed : int
        The batch's (or search's) master seed, >= 0.
    folder : Path
        The folder of the file that names the posterior.
    source : str
        The file, for messages.
    integer : set of str
        Range keys rounded to whole numbers.

    Raises
    ------
    ScenarioError
        A missing or malformed posterior file (naming the file).
    """
    if u is None:
        return None
    if u.posterior is not None:
        path = posterior_file() if u.posterior == "shipped" else (folder / u.posterior)
        return posterior_draws(path, u.draws, seed, source)
    return latin_draws(dict(u.ranges), u.draws, seed, integer)


def _number(x: float, integer: bool) -> int | float:
    return int(round(x)) if integer else float(x)


def make_conditions(draws: Draws | None, robustness: dict[str, tuple[float, float]],
                    integer: set[str] | frozenset[str]) -> tuple[Condition, ...]:
    """The conditions every point runs under: one per draw (or the point itself), then
    each robustness key at its low and its high end; empty when there are neither.

    A robustness end runs under the first base condition's values (draw 0's, or the
    point's own) with its key at that end, and with its seeds: its comparisons are paired
    with that condition's runs (one-at-a-time, common random numbers)."""
    if draws is None and not robustness:
        return ()
    out: list[Condition] = []
    if draws is None:
        out.append(Condition(-1, "", "", (), "base"))
    else:
        for d, row in enumerate(draws.values):
            pairs = tuple((k, _number(x, k in integer)) for k, x in zip(draws.keys, row))
            out.append(Condition(d, "", "", pairs, f"{draws.where} draw {d}"))
    first = out[0].overrides
    for key, (lo, hi) in robustness.items():
        for end, value in (("low", lo), ("high", hi)):
            pairs = tuple((k, x) for k, x in first if k != key) + ((key, _number(value, key in integer)),)
            out.append(Condition(-1, key, end, pairs, f"robustness.parameters.'{key}' ({end} end)"))
    return tuple(out)


def varied_keys(spec: BatchSpec) -> list[tuple[str, str]]:
    """The keys a batch varies between its points, each with the batch key that varies it:
    each variant's ``set``, the sweep's or the sampled design's keys."""
    out = [(k, f"variants[{v.name!r}].set") for v in spec.variants for k in v.set]
    out += [(k, "sweep") for k in spec.sweep]
    if spec.sample is not None:
        out += [(k, "sample.bounds") for k in spec.sample.bounds]
    return out
