"""Fitting scenario parameters to target figures with scipy's differential evolution.

The loss of a parameter vector x is sum_k w_k ((m_k(x) - v_k) / s_k) ** 2, where m_k(x)
is metric k averaged over the ``replicates`` runs that define it (a rate with nothing to
divide is NaN in a run, see :data:`sim.metrics.SUMMARY_KEYS`, and is left out; an
infinite value counts as v_k + 10 s_k). A metric undefined in every replicate adds the
finite penalty w_k * :data:`UNDEFINED_PENALTY`, so differential evolution ranks such
points behind any point that defines it. Every evaluation uses the same run seeds
(common random numbers), so the loss is a deterministic function of x and the whole
calibration is reproducible from the file's seed.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from ..experiments.evaluators import Evaluator, make_evaluator, map_ordered
from ..experiments.roles import ParameterSpace, Role
from ..experiments.seeds import run_seed
from ..metrics import outcome_interval
from ..results import file_in_the_way
from ..results.atomic import write_text_atomic
from ..runner import run
from ..scenario import Scenario, ScenarioError, load_scenario, with_overrides
from .fitted import write_fitted
from .spec import TARGET_RANGE, CalibrationSpec, load_calibration

__all__ = ["CalibrationResult", "CalibrationExistsError", "calibrate", "metrics_of", "evaluate", "check_table",
           "UNDEFINED_PENALTY", "parameter_space", "calibration_evaluator"]

log = logging.getLogger(__name__)


def metrics_of(result) -> dict[str, float]:
    """Every metric a target may name, for one run (summary keys and plausibility analogues)."""
    from ..validation.plausibility import plausibility_metrics

    out = {k: float(v) for k, v in result.summary.items()}
    out.update(plausibility_metrics(result))
    return out


def _scenario_at(base: Scenario, keys: list[str], x: np.ndarray) -> Scenario:
    return with_overrides(base, list(zip(keys, (float(v) for v in x))), source="calibration")


def _metrics_at(args: tuple[Scenario, list[str], np.ndarray, list[int]]) -> list[dict[str, float]]:
    base, keys, x, seeds = args
    sc = _scenario_at(base, keys, x)
    return [metrics_of(run(sc, s)) for s in seeds]


@dataclass(frozen=True)
class _Failure:
    """An evaluation that raised a ValueError (a ScenarioError, GraphFileError...): its text."""

    message: str


def _metrics_or_failure(args: tuple[Scenario, list[str], np.ndarray, list[int]]) -> list[dict[str, float]] | _Failure:
    """:func:`_metrics_at`, an invalid point returned as a :class:`_Failure` (picklable
    whatever the exception) so that the first failing point in order is known."""
    try:
        return _metrics_at(args)
    except ValueError as err:
        return _Failure(str(err))


UNDEFINED_PENALTY = 1e6
"""Loss added (times the target's weight) when a target metric is undefined (NaN) in every
replicate of a point: as if it were 1000 scales off, finite so that the optimiser's
arithmetic stays finite."""


def evaluate(spec: CalibrationSpec, runs: list[dict[str, float]]) -> tuple[float, dict[str, float]]:
    """Loss and mean of each targeted metric over ``runs``.

    Parameters
    ----------
    spec : CalibrationSpec
    runs : list of dict of str to float
        :func:`metrics_of` of each replicate.

    Returns
    -------
    loss : float
        Finite, >= 0. Per target: ``weight * ((mean - value) / scale) ** 2``, the mean over
        the replicates where the metric is defined (NaN values left out; an infinite value,
        e.g. ``recommendations_per_purchase`` with no conversion, counts as
        ``value + 10 * scale``); ``weight * UNDEFINED_PENALTY`` if no replicate defines it.
    means : dict of str to float
        That mean per target metric; NaN when no replicate defines it.
    """
    loss = 0.0
    means = {}
    for k, t in spec.targets.items():
        vals = np.array([r[k] for r in runs], dtype=np.float64)
        vals = vals[~np.isnan(vals)]
        if vals.size == 0:
            means[k] = math.nan
            loss += t.weight * UNDEFINED_PENALTY
            continue
        vals = np.where(np.isinf(vals), t.value + 10 * t.scale, vals)
        means[k] = float(vals.mean())
        loss += t.weight * ((means[k] - t.value) / t.scale) ** 2
    return float(loss), means


def check_table(spec: CalibrationSpec, runs: list[dict[str, float]]) -> pd.DataFrame:
    """The fit at the fitted values: each target metric's mean and 95% interval over the
    check replicates that give it a finite value.

    Returns
    -------
    pandas.DataFrame
        One row per target: ``metric``, ``target``, ``scale``, ``fitted_mean`` (NaN if no
        replicate gives a finite value), ``lo``, ``hi`` (Student t, clipped to the values
        the metric can take, :data:`sim.calibrate.TARGET_RANGE`, by the batch tables'
        :func:`sim.metrics.outcome_interval`; NaN with fewer than two values), ``n``
        (replicates with a finite value; undefined, NaN, and infinite ones are left out),
        ``within_scale`` (bool; false when undefined) and ``source``.
    """
    rows = []
    for k, t in spec.targets.items():
        vals = np.array([r[k] for r in runs], dtype=np.float64)
        m, lo, hi, n = outcome_interval(vals[np.isfinite(vals)], k, ranges=TARGET_RANGE)
        rows.append({"metric": k, "target": t.value, "scale": t.scale, "fitted_mean": m,
                     "lo": lo, "hi": hi, "n": n, "within_scale": bool(abs(m - t.value) <= t.scale),
                     "source": t.source})
    return pd.DataFrame(rows)


class CalibrationExistsError(ValueError):
    """The output folder holds a batch, an earlier calibration (without ``force``) or
    something else."""


CALIBRATION_FILES = ("calibration.json", "history.parquet", "fitted.toml")
"""What a calibration writes into its folder (``calibration.json`` last)."""


def check_out_folder(folder: Path, force: bool = False) -> None:
    """Refuse a folder that is a file, holds a batch (``plan.json``), holds something other
    than a calibration, or holds an earlier calibration (unless ``force``: then it is
    replaced).

    Raises
    ------
    CalibrationExistsError
    """
    file = file_in_the_way(folder)
    if file is not None:
        what = "is a file" if file == folder else f"{file} is a file"
        raise CalibrationExistsError(f"{folder}: {what}, not a folder; give the calibration a folder elsewhere "
                                     "(--out)")
    if not folder.exists():
        return
    if (folder / "plan.json").exists():
        raise CalibrationExistsError(f"{folder}: is a batch folder (it holds plan.json); "
                                     "use --out for a new folder")
    names = sorted(e.name for e in folder.iterdir() if not e.name.startswith("."))
    others = [n for n in names if n not in CALIBRATION_FILES]
    if others:
        raise CalibrationExistsError(f"{folder}: holds {len(others)} file(s) or folder(s) other than a "
                                     f"calibration's, e.g. {others[0]}; use --out for a new or empty folder")
    if names and not force:
        raise CalibrationExistsError(f"{folder}: holds an earlier calibration ({', '.join(names)}); use "
                                     "--force to replace it, or --out for a new folder")


class _EvaluationFailed(Exception):
    """Stops the optimiser when an evaluation raises (not a ValueError or TypeError, which
    scipy would wrap in its own RuntimeError)."""


def _evaluation_error(source: str, keys: list[str], x: np.ndarray, err: Exception | str) -> ScenarioError:
    at = ", ".join(f"{k} = {v:g}" for k, v in zip(keys, map(float, x)))
    why = str(err).replace("\n", "; ")
    return ScenarioError(f"{source}: parameters at {at}: not a valid scenario or the run failed: {why}")


@dataclass(frozen=True, eq=False)
class CalibrationResult:
    """Fitted values, the fit at them (means with 95% intervals over fresh replicates), the
    optimiser's history, and where it was written."""

    spec: CalibrationSpec
    fitted: dict[str, float]
    loss: float
    check: pd.DataFrame
    history: pd.DataFrame
    folder: Path | None
    evaluations: int
    warnings: tuple[str, ...] = ()


def parameter_space(spec: CalibrationSpec) -> ParameterSpace:
    """The calibration's ``parameters`` as uncertainties (:class:`sim.experiments.ParameterSpace`),
    in the file's order."""
    return ParameterSpace.from_bounds(spec.parameters, Role.UNCERTAINTY)


class _Problem:
    """A calibration's loss over parameter vectors, evaluated by an evaluator, with its
    history (every evaluated point in order: its values, loss and target means)."""

    def __init__(self, spec: CalibrationSpec, base: Scenario, source: str, evaluator: Evaluator) -> None:
        self.spec, self.base, self.source, self.evaluator = spec, base, source, evaluator
        self.space = parameter_space(spec)
        self.keys = self.space.keys
        self.seeds = [run_seed(spec.seed, 0, r) for r in range(spec.replicates)]
        self.history: list[dict[str, Any]] = []

    def check_midpoint(self) -> None:
        """Every key must accept a value inside its bounds (fail before any run)."""
        mid = np.array(self.space.midpoint())
        try:
            _scenario_at(self.base, self.keys, mid)
        except ScenarioError as err:
            raise _evaluation_error(self.source, self.keys, mid, err) from None

    def runs_at(self, points: np.ndarray, seeds: list[list[int]]) -> list[list[dict[str, float]]]:
        """:func:`metrics_of` of each point's runs (``seeds[i]`` for ``points[i]``), in order.

        Raises
        ------
        _EvaluationFailed
            Holding the ScenarioError that names the first point (in order) that failed.
        """
        results = map_ordered(self.evaluator, _metrics_or_failure,
                              [(self.base, self.keys, p, s) for p, s in zip(points, seeds)])
        for p, r in zip(points, results):
            if isinstance(r, _Failure):
                raise _EvaluationFailed(_evaluation_error(self.source, self.keys, p, r.message))
        return results

    def batch_loss(self, xs: np.ndarray) -> np.ndarray:
        """The loss of each point of a generation: scipy hands an (n_params, n_points)
        array with ``vectorized=True``."""
        pts = np.atleast_2d(xs.T)
        losses = []
        for p, runs in zip(pts, self.runs_at(pts, [self.seeds] * len(pts))):
            loss, means = evaluate(self.spec, runs)
            self.history.append({**dict(zip(self.keys, map(float, p))), "loss": loss,
                                 **{f"mean_{k}": v for k, v in means.items()}})
            losses.append(loss)
            log.debug("evaluated %s: loss %.6g", dict(zip(self.keys, map(float, p))), loss)
        log.info("calibration %s: %d points evaluated, best loss so far %.6g", self.spec.name, len(self.history),
                 min(h["loss"] for h in self.history))
        return np.array(losses)

    def fit(self) -> optimize.OptimizeResult:
        """Differential evolution over the bounds, seeded from the file's seed."""
        spec = self.spec
        return optimize.differential_evolution(
            self.batch_loss, self.space.bounds(), maxiter=spec.max_iterations, popsize=spec.population_size,
            seed=int(spec.seed % (2**32)), polish=False, vectorized=True, updating="deferred",
            init="latinhypercube",
        )

    def check_runs(self, x: np.ndarray) -> list[dict[str, float]]:
        """:func:`metrics_of` of ``check_replicates`` fresh replicates at ``x``."""
        seeds = [[run_seed(self.spec.seed, 1, r)] for r in range(self.spec.check_replicates)]
        return [r[0] for r in self.runs_at(np.array([x] * len(seeds)), seeds)]


def calibration_evaluator(workers: int = 1, evaluator: Evaluator | None = None) -> Evaluator:
    """``evaluator``, or a process pool of ``workers`` (1: in this process)."""
    return evaluator if evaluator is not None else make_evaluator(workers=workers)


def calibrate(calibration_file: str | os.PathLike, *, workers: int = 1,
              out: str | os.PathLike | None = None, force: bool = False,
              evaluator: Evaluator | None = None) -> CalibrationResult:
    """Fit the file's parameters to its targets and write the results.

    Parameters
    ----------
    calibration_file : path-like
    workers : int
        Processes evaluating a generation's points in parallel (the result does not
        depend on it). Unused with ``evaluator``.
    out : path-like, optional
        Output folder (default ``results/calibrate/<name>``); it gets ``calibration.json``,
        ``history.parquet`` and ``fitted.toml`` (a scenario extending the base with the
        fitted values). Refused if it is a batch folder or holds anything else, or an earlier
        calibration unless ``force``.
    force : bool
        Replace an earlier calibration in the output folder.
    evaluator : sim.experiments.Evaluator, optional
        Where the runs happen (not yet entered; the calibration enters and leaves it).

    Returns
    -------
    CalibrationResult
        Its ``warnings`` (also in ``calibration.json``) name targets that no replicate
        defines at the fitted values.

    Raises
    ------
    sim.scenario.ScenarioError
        If the file, its base scenario or a parameter key is invalid, or a run fails at
        a proposed point (the message names the calibration file and the values; nothing
        is written).
    CalibrationExistsError
        If the output folder is refused.
    """
    spec, folder = load_calibration(calibration_file)
    target = Path(out) if out is not None else Path("results") / "calibrate" / spec.name
    check_out_folder(target, force)  # before any run
    base_path = folder / spec.base
    ev = calibration_evaluator(workers, evaluator)
    problem = _Problem(spec, load_scenario(base_path), str(calibration_file), ev)
    problem.check_midpoint()
    try:
        with ev:
            res = problem.fit()
            fitted = dict(zip(problem.keys, map(float, res.x)))
            log.info("calibration %s: fitted %s (loss %.6g); checking it with %d fresh replicates", spec.name,
                     fitted, float(res.fun), spec.check_replicates)
            check_runs = problem.check_runs(res.x)
    except _EvaluationFailed as stop:
        raise stop.args[0] from None
    result = _result(spec, fitted, float(res.fun), check_table(spec, check_runs), pd.DataFrame(problem.history))
    check_out_folder(target, force)  # again: something may have appeared meanwhile
    return _write(result, target, base_path)


def _result(spec: CalibrationSpec, fitted: dict[str, float], loss: float, check: pd.DataFrame,
            hist: pd.DataFrame) -> CalibrationResult:
    """The result (not yet written), warning of targets undefined in every check replicate."""
    warnings = tuple(
        f"target {r['metric']!r} is undefined (NaN) in every check replicate at the fitted values"
        + (" and at every evaluated point" if hist[f"mean_{r['metric']}"].isna().all() else "")
        + f"; the loss ({loss:.4g}) counts it as {UNDEFINED_PENALTY:g} x its weight, "
        "so the fit says nothing about it: check that the base scenario can produce this metric"
        for _, r in check.iterrows() if int(r["n"]) == 0
    )
    return CalibrationResult(spec=spec, fitted=fitted, loss=loss, check=check, history=hist,
                             folder=None, evaluations=len(hist), warnings=warnings)


def _write(result: CalibrationResult, folder: Path, base_path: Path) -> CalibrationResult:
    from ..results import git_commit, strict_json, versions

    folder.mkdir(parents=True, exist_ok=True)
    # calibration.json goes last: an earlier one is removed first, so that a failed write
    # never leaves the earlier calibration.json beside the new history and fitted.toml
    (folder / "calibration.json").unlink(missing_ok=True)
    spec = result.spec
    data = {
        "name": spec.name, "base": str(base_path), "fitted": result.fitted, "loss": result.loss,
        "warnings": list(result.warnings),
        "evaluations": result.evaluations, "spec": json.loads(spec.model_dump_json()),
        "check": result.check.to_dict(orient="records"), "versions": versions(), "git_commit": git_commit(),
    }
    result.history.to_parquet(folder / "history.parquet", index=False)
    write_fitted(base_path, folder, result.fitted, f"{spec.name}_fitted",
                 f"Fitted by giftsim calibrate ({spec.name}): loss {result.loss:.4g}")
    write_text_atomic(folder / "calibration.json", strict_json(data))  # an undefined (NaN) fitted mean is null
    return CalibrationResult(spec=spec, fitted=result.fitted, loss=result.loss, check=result.check,
                             history=result.history, folder=folder, evaluations=result.evaluations,
                             warnings=result.warnings)
