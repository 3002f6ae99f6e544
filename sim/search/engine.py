"""The policy search: generations of trials asked from Optuna, each trial's runs (levers x
uncertainty draws x replicates) mapped over an evaluator, told in trial order; then the
Pareto set re-evaluated with more replicates.

Resumable: the study (``study.db``) holds every told trial with its per-draw values; a
stopped search (Ctrl-C, SIGTERM, SIGKILL) continues with ``resume=True``: the trials that
were asked but not told are evaluated again, then new ones asked. The same spec and seed give
the same trials with any number of workers and across a stop and resume (see
:mod:`sim.search.study`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from optuna.trial import Trial, TrialState

from .. import __version__
from ..experiments.evaluators import Evaluator, SequentialEvaluator, describe, preflight
from ..experiments.outcomes import Direction, clip_interval
from ..metrics import OUTCOME_RANGE
from .evaluate import Simulate, draw_overrides, evaluate_trials, outcome_names, search_draws, trial_tasks
from .pareto import front_mask, interval, minimisation_form, noise_peers, normalised_hypervolume
from .robust import draw_means, regret_reference, robust_value, run_means, told_direction, violations
from .spec import SearchSpec
from .study import TrialRecord, ask, open_study, record_of, records, reopen, tell
from .tables import (
    SEARCH_FILES,
    draws_table,
    fingerprint,
    generations_table,
    pareto_table,
    read_manifest,
    spec_json,
    trials_table,
    write_manifest,
    write_table,
)

__all__ = ["SearchResult", "SearchExistsError", "SearchInterrupted", "optimize", "check_folder", "base_path"]


class SearchExistsError(ValueError):
    """The output folder holds something a search may not overwrite or resume."""


class SearchInterrupted(KeyboardInterrupt):
    """A search stopped by Ctrl-C or SIGTERM; the message says which trials were kept."""


@dataclass(frozen=True)
class SearchResult:
    """A finished search.

    Attributes
    ----------
    spec : SearchSpec
    folder : Path
    trials, draws, pareto, generations : pandas.DataFrame
        The folder's tables (see docs: ``trials.parquet`` etc.).
    feasible : bool
        Whether any trial met the constraints (False: ``pareto`` is empty).
    resumed_from : int
        Trials already told when this call started (0 for a new search).
    wall_seconds : float
    """

    spec: SearchSpec
    folder: Path
    trials: pd.DataFrame
    draws: pd.DataFrame
    pareto: pd.DataFrame
    generations: pd.DataFrame
    feasible: bool
    resumed_from: int
    wall_seconds: float


def check_folder(folder: Path, fp: str, resume: bool) -> int:
    """Refuse a folder that is not this search's to start or resume; create it if missing.

    Returns
    -------
    int
        Trials told in the folder's study (0 for a new search).

    Raises
    ------
    SearchExistsError
        The path is a file; the folder holds files that are not a search's; it holds a search
        of another file or other settings (``fingerprint`` in ``search.json``); or it holds a
        search and ``resume`` is False.
    """
    if folder.exists() and not folder.is_dir():
        raise SearchExistsError(f"{folder}: is a file, not a folder; use --out for a folder")
    folder.mkdir(parents=True, exist_ok=True)
    names = sorted(e.name for e in folder.iterdir() if not e.name.startswith("."))
    others = [n for n in names if n not in SEARCH_FILES]
    manifest = read_manifest(folder)
    if others or (names and manifest is None):
        raise SearchExistsError(f"{folder}: holds {(others or names)[0]}, not a policy search's file; use --out "
                                "for a new or empty folder")
    if manifest is None:
        return 0
    if manifest.get("fingerprint") != fp:
        raise SearchExistsError(f"{folder}: holds a search made by another file or with other settings (its base "
                                "scenario, seed, levers, objectives, constraints, uncertainty, robustness, sampler, "
                                "population or replicates differ), which cannot be resumed with this one; use --out "
                                "for a new folder")
    done = int(manifest.get("trials_done") or 0)
    if not resume:
        what = "a finished search" if manifest.get("status") == "complete" else f"a stopped search ({done} trials)"
        raise SearchExistsError(f"{folder}: holds {what}; use --resume to continue it (a finished one with more "
                                "generations, or to redo its re-evaluation), or --out for a new folder")
    return done


class _Search:
    """One call of :func:`optimize`: the study, the draws, the evaluator and the folder."""

    def __init__(self, spec: SearchSpec, folder: Path, evaluator: Evaluator, simulate: Simulate | None,
                 progress: Callable[[str], None] | None, fp: str, draws: Any) -> None:
        self.spec, self.folder, self.ev, self.simulate = spec, folder, evaluator, simulate
        self.progress = progress or (lambda message: None)
        self.fp, self.start = fp, time.perf_counter()
        self.over = draw_overrides(spec, draws)
        self.names = outcome_names(spec)
        self.obj = [self.names.index(o.outcome) for o in spec.objectives]
        self.study = open_study(spec, folder)
        self.uncertainty_keys = list(draws.keys) if draws is not None else []

    # ------------------------------------------------------------------ a generation
    def generation(self, g: int) -> None:
        """Ask, run and tell generation ``g``'s trials (those not yet told)."""
        pop, reps = self.spec.budget.population, self.spec.budget.replicates
        existing = {t.number: t for t in self.study.get_trials(deepcopy=False)}
        numbers = range(g * pop, (g + 1) * pop)
        if all(n in existing and existing[n].state != TrialState.RUNNING for n in numbers):
            return
        pending: list[tuple[Trial, dict[str, Any]]] = []
        for n in numbers:
            if n not in existing:
                pending.append(ask(self.study, self.spec, g))
            elif existing[n].state == TrialState.RUNNING:
                pending.append(reopen(self.study, self.spec, existing[n]))
        self.progress(f"generation {g + 1}/{self.spec.budget.generations}: {len(pending)} trials x "
                      f"{len(self.over)} draws x {reps} replicates = {len(pending) * len(self.over) * reps} runs")
        tasks = [t for trial, levers in pending
                 for t in trial_tasks(self.spec, trial.number, levers, self.over, range(reps), self.simulate)]
        values, seconds = evaluate_trials(self.ev, tasks, len(self.over), reps)
        draws = {trial.number: draw_means(values[trial.number]) for trial, _ in pending}
        ref = self.reference(draws if g == 0 else {})
        for trial, levers in pending:
            n = trial.number
            rec = self.record(n, g, levers, draws[n], run_means(values[n]), seconds[n], ref)
            tell(self.study, trial, rec)
        rows = self.write("running")
        last = rows[-1] if rows else {}
        self.progress(f"generation {g + 1}/{self.spec.budget.generations} done: {last.get('trials', 0)} trials, "
                      f"{last.get('feasible', 0)} feasible, Pareto front {last.get('pareto_size', 0)}, "
                      f"hypervolume {last.get('hypervolume', float('nan')):.4g} (scaled to the trials so far)")

    def reference(self, pending: dict[int, np.ndarray]) -> np.ndarray | None:
        """Regret's reference, shape (draws, objectives): the best value per draw among
        generation 0's trials (told ones and ``pending``); None for other measures."""
        if self.spec.robustness.kind != "regret":
            return None
        gen0 = [r.draws for r in self.records() if r.generation == 0] + [pending[n] for n in sorted(pending)]
        stack = np.stack(gen0)  # (trials, draws, outcomes)
        return np.stack([regret_reference(stack[:, :, i], o.direction)
                         for i, o in zip(self.obj, self.spec.objectives)], axis=1)

    def robust(self, draws: np.ndarray, ref: np.ndarray | None) -> np.ndarray:
        """Robust values of one or more trials: ``draws`` shape (trials, draws, outcomes) ->
        (trials, objectives)."""
        cols = [robust_value(draws[:, :, i], o.direction, self.spec.robustness,
                             None if ref is None else ref[:, j])
                for j, (i, o) in enumerate(zip(self.obj, self.spec.objectives))]
        return np.stack(cols, axis=1)

    def record(self, n: int, g: int, levers: dict[str, Any], draws: np.ndarray, means: np.ndarray,
               seconds: float, ref: np.ndarray | None) -> TrialRecord:
        """A trial's record from its per-draw means (draws, outcomes)."""
        by = {name: draws[None, :, i] for i, name in enumerate(self.names)}
        viol = violations(by, self.spec.constraints, self.spec.robustness)[0]
        return TrialRecord(n, g, levers, draws, means, self.robust(draws[None], ref)[0], viol, seconds)

    def records(self) -> list[TrialRecord]:
        """The told trials' records, in trial order."""
        return [record_of(t, self.spec) for t in records(self.study)]

    # ------------------------------------------------------------------ tables
    def minimised(self, recs: list[TrialRecord]) -> np.ndarray:
        """Told values in minimisation form, shape (trials, objectives)."""
        dirs = [told_direction(o.direction, self.spec.robustness) for o in self.spec.objectives]
        vals = np.array([r.values for r in recs], dtype=np.float64).reshape(len(recs), len(dirs))
        return minimisation_form(vals, dirs)

    def convergence(self, recs: list[TrialRecord]) -> list[dict[str, Any]]:
        """generations.parquet's rows (counts, best values and hypervolume so far)."""
        vals = self.minimised(recs)
        feas = np.array([r.feasible for r in recs], dtype=bool)
        gens = np.array([r.generation for r in recs], dtype=np.int64)
        first = first_of_each_policy(recs)
        ok = vals[feas]
        low, high = (ok.min(axis=0), ok.max(axis=0)) if len(ok) else (None, None)
        rows = []
        for g in range(int(gens.max()) + 1 if len(gens) else 0):
            upto = gens <= g
            front = front_mask(vals[upto], feas[upto] & first[upto])
            row: dict[str, Any] = {"generation": g, "trials": int(upto.sum()), "feasible": int(feas[upto].sum()),
                                   "pareto_size": int(front.sum())}
            for j, o in enumerate(self.spec.objectives):
                col = vals[upto & feas, j]
                sign = -1.0 if told_direction(o.direction, self.spec.robustness) is Direction.MAXIMIZE else 1.0
                row[f"best:{o.outcome}"] = sign * float(col.min()) if len(col) else float("nan")
            row["hypervolume"] = (normalised_hypervolume(vals[upto][front], low, high) if front.any()
                                  else float("nan"))
            rows.append(row)
        return rows

    def write(self, status: str, pareto: Any = None) -> list[dict[str, Any]]:
        """Write trials, draws and generations (and ``pareto``, a table, when given), then
        the manifest; returns generations.parquet's rows."""
        recs = self.records()
        feas = np.array([r.feasible for r in recs], dtype=bool)
        mask = front_mask(self.minimised(recs), feas & first_of_each_policy(recs))
        rows = self.convergence(recs)
        write_table(trials_table(self.spec, recs, mask), self.folder / "trials.parquet")
        write_table(draws_table(self.spec, recs), self.folder / "draws.parquet")
        write_table(generations_table(self.spec, rows), self.folder / "generations.parquet")
        if pareto is not None:
            write_table(pareto, self.folder / "pareto.parquet")
        self.manifest(status, len(recs))
        return rows

    def manifest(self, status: str, done: int) -> None:
        """Write ``search.json``."""
        spec = self.spec
        data = {"kind": "search", "giftsim_version": __version__, "name": spec.name,
                "description": spec.description, "file": str(spec.path),
                "base": base_path(spec), "seed": spec.seed, **spec_json(spec),
                "status": status, "trials_done": done, "wall_seconds": time.perf_counter() - self.start,
                "workers": w if isinstance(w := getattr(self.ev, "workers", None), int) else None,
                "executor": describe(self.ev), "fingerprint": self.fp}
        data["uncertainty"]["keys"] = self.uncertainty_keys
        write_manifest(self.folder, data)

    # ------------------------------------------------------------------ the end
    def final(self) -> tuple[Any, bool]:
        """Re-evaluate the Pareto set with the final replicates (fresh replicate indices, the
        same draws) and build pareto.parquet; returns it and whether any trial was feasible."""
        recs = self.records()
        feas = np.array([r.feasible for r in recs], dtype=bool)
        front = [r for r, m in zip(recs, front_mask(self.minimised(recs), feas & first_of_each_policy(recs))) if m]
        reps, fin = self.spec.budget.replicates, self.spec.budget.final_replicates
        self.progress(f"re-evaluating the Pareto set: {len(front)} policies x {len(self.over)} draws x {fin} "
                      "replicates")
        tasks = [t for r in front
                 for t in trial_tasks(self.spec, r.trial, r.levers, self.over, range(reps, reps + fin), self.simulate)]
        values, _ = evaluate_trials(self.ev, tasks, len(self.over), fin)
        runs = np.stack([values[r.trial] for r in front]) if front else np.zeros((0, len(self.over), fin, 1))
        return self.pareto(front, runs), bool(feas.any())

    def pareto(self, front: list[TrialRecord], runs: np.ndarray) -> Any:
        """pareto.parquet's table from the front's re-evaluation runs, shape (policies, draws,
        final replicates, outcomes)."""
        k, p = len(self.spec.objectives), len(front)
        stats = {w: np.full((p, k), np.nan) for w in ("reevaluated", "low", "high")}
        if p:
            stats["reevaluated"] = self.robust(np.stack([draw_means(r) for r in runs]), self.reference({}))
            for a in range(p):
                for j, i in enumerate(self.obj):
                    _, lo, hi = interval(runs[a, :, :, i].ravel())
                    stats["low"][a, j], stats["high"][a, j] = clip_interval(self.names[i], lo, hi, OUTCOME_RANGE)
        dirs = [told_direction(o.direction, self.spec.robustness) for o in self.spec.objectives]
        dominated = ~front_mask(minimisation_form(stats["reevaluated"], dirs), np.ones(p, dtype=bool))
        sign = np.array([-1.0 if o.direction is Direction.MAXIMIZE else 1.0 for o in self.spec.objectives])
        units = runs[:, :, :, self.obj].reshape(p, -1, k) * sign if p else np.zeros((0, 0, k))
        peers = noise_peers(units) if p else []
        return pareto_table(self.spec, front, stats, dominated, [[front[b].trial for b in q] for q in peers])


def first_of_each_policy(recs: list[TrialRecord]) -> np.ndarray:
    """Whether each trial is the first with its lever values (bool, shape (trials,)). A later
    trial with the same levers (a sampler may propose a policy twice) ran the same seeds and
    has the same values, so it is left off the Pareto set rather than listed twice."""
    seen: set[str] = set()
    out = np.zeros(len(recs), dtype=bool)
    for i, r in enumerate(recs):
        key = json.dumps(r.levers, sort_keys=True, default=str)
        out[i] = key not in seen
        seen.add(key)
    return out


def base_path(spec: SearchSpec) -> str:
    """The base scenario file, absolute: ``spec.base_path``, else the search file's ``base``
    key resolved beside it ("" if neither is known)."""
    if spec.base_path is not None:
        return str(Path(spec.base_path).resolve())
    from ..scenario import ScenarioError, read_toml

    try:
        base = read_toml(Path(spec.path)).get("base")
    except (ScenarioError, OSError):
        return ""
    return str((Path(spec.path).parent / base).resolve()) if isinstance(base, str) else ""


def optimize(spec: SearchSpec, folder: str | Path, evaluator: Evaluator | None = None, *, resume: bool = False,
             progress: Callable[[str], None] | None = None, simulate: Simulate | None = None) -> SearchResult:
    """Run (or resume) a policy search and write its folder.

    Parameters
    ----------
    spec : SearchSpec
    folder : path-like
        The search folder (created if missing): ``search.json``, ``study.db``,
        ``trials.parquet``, ``draws.parquet``, ``pareto.parquet``, ``generations.parquet``.
    evaluator : Evaluator, optional
        Where the runs go (default: in this process). The trials do not depend on it.
    resume : bool
        Continue a stopped (or extend a finished) search of the same file in ``folder``.
    progress : callable(str), optional
        Called with a line as each generation starts, when resuming, and before the
        re-evaluation.
    simulate : callable(scenario, seed) -> mapping, optional
        A run's outcomes (default: giftsim's run summary); picklable for other processes.

    Returns
    -------
    SearchResult

    Raises
    ------
    SearchExistsError
        See :func:`check_folder` (nothing is run or written).
    SearchInterrupted
        On Ctrl-C or SIGTERM (raised as KeyboardInterrupt), saying which trials were kept.
    sim.scenario.ScenarioError
        A posterior file that cannot be read, or lever values that make no valid scenario.
    """
    folder = Path(folder)
    draws = search_draws(spec)
    fp = fingerprint(spec, None if draws is None else draws.values)
    kept = check_folder(folder, fp, resume)
    ev = evaluator if evaluator is not None else SequentialEvaluator()
    preflight(ev, "optimize", "nothing was run or written")
    with ev:
        run = _Search(spec, folder, ev, simulate, progress, fp, draws)
        if kept:
            run.progress(f"resuming: {kept} trials kept in {folder / 'study.db'}")
        try:
            run.manifest("running", kept)
            for g in range(spec.budget.generations):
                run.generation(g)
            table, feasible = run.final()
        except KeyboardInterrupt as err:
            run.write("running")  # the tables show the kept trials
            told = len(records(run.study))
            raise SearchInterrupted(f"interrupted; {told} told trials (0 to {told - 1}) are kept in "
                                    f"{folder / 'study.db'}: run the same command with --resume to continue"
                                    if told else "interrupted before any trial was told") from err
        run.write("complete", table)
    return _result(spec, folder, feasible, kept, time.perf_counter() - run.start)


def _result(spec: SearchSpec, folder: Path, feasible: bool, kept: int, seconds: float) -> SearchResult:
    read = {n: pd.read_parquet(folder / f"{n}.parquet") for n in ("trials", "draws", "pareto", "generations")}
    return SearchResult(spec, folder, read["trials"], read["draws"], read["pareto"], read["generations"],
                        feasible, kept, seconds)
