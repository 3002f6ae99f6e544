"""The Optuna side of a policy search: the study in ``study.db``, a sampler seeded afresh for
each trial, the levers asked as Optuna distributions, and what a told trial holds.

Reproducible whatever the number of workers and across a kill and resume: the sampler is
created afresh for each trial with a seed derived from the search seed and the trial number
(and for each lever drawn on its own, from the lever too: :func:`sampler_for`), so what it
proposes depends only on the seed and on the study's storage (NSGA-II keeps its generations
and parent populations there, TPE reads the told trials), not on what an earlier ask in the
same process drew; trials are told in trial order after their whole generation ran, and a
trial asked but not told (a kill) is asked again from its stored values.
"""

from __future__ import annotations

import json
import math
import sqlite3
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import optuna
from optuna.trial import FrozenTrial, Trial, TrialState

from ..experiments.outcomes import Direction
from .evaluate import applies
from .robust import told_direction
from .spec import Lever, SearchSpec

__all__ = ["SAMPLER_STREAM", "TrialRecord", "open_study", "sampler_for", "sampler_seed",
           "suggest_levers", "ask", "reopen", "tell", "record_of", "records"]

SAMPLER_STREAM = 2**31 - 3
"""Spawn key of the sampler seeds: trial ``n``'s sampler is seeded from
``SeedSequence(seed, spawn_key=(SAMPLER_STREAM, n))``, apart from every run's seed
(``run_seed(seed, draw, replicate)``) and the uncertainty draws' stream."""


@dataclass(frozen=True)
class TrialRecord:
    """A told trial, as stored in the study (its user attributes).

    Attributes
    ----------
    trial, generation : int
    levers : dict
        The values of the levers that applied.
    draws : ndarray of float64, shape (draws, outcomes)
        Each outcome's mean over the draw's replicates
        (:func:`sim.search.evaluate.outcome_names` order).
    means : ndarray of float64, shape (outcomes,)
        Each outcome's mean over draws x replicates.
    values : ndarray of float64, shape (objectives,)
        The robust values told (NaN for a failed trial: an objective undefined in a draw).
    violation : ndarray of float64, shape (bounds,)
        Constraint violations (<= 0: met).
    seconds : float
        Wall time of the trial's runs, summed.
    """

    trial: int
    generation: int
    levers: dict[str, Any]
    draws: np.ndarray
    means: np.ndarray
    values: np.ndarray
    violation: np.ndarray
    seconds: float

    @property
    def feasible(self) -> bool:
        """Every constraint met and every objective defined."""
        return bool(np.all(self.violation <= 0) and not np.isnan(self.values).any())


def open_study(spec: SearchSpec, folder: Path) -> optuna.Study:
    """The search's study in ``folder/study.db`` (created, or loaded if it exists), named
    after the search, one direction per objective (regret: minimise)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dirs = ["maximize" if told_direction(o.direction, spec.robustness) is Direction.MAXIMIZE else "minimize"
            for o in spec.objectives]
    path = Path(folder).resolve() / "study.db"
    storage = optuna.storages.RDBStorage(f"sqlite:///{path}", engine_kwargs={"creator": lambda: _connect(path)})
    return optuna.create_study(storage=storage, study_name=spec.name, directions=dirs, load_if_exists=True)


def _connect(path: Path) -> sqlite3.Connection:
    """A connection to the study that hands each commit to the operating system without
    waiting for the disk (``synchronous = OFF``): a killed search (even by SIGKILL) keeps
    every told trial, and a trial costs milliseconds, not a disk flush per attribute."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous = OFF")
    return con


def sampler_seed(seed: int, number: int, part: int = 0) -> int:
    """Trial ``number``'s sampler seed, in [0, 2**32): for its joint (relative) proposal
    (``part`` 0), or for lever ``part - 1`` drawn on its own."""
    key = (SAMPLER_STREAM, number) if part == 0 else (SAMPLER_STREAM, number, part)
    return int(np.random.SeedSequence(seed, spawn_key=key).generate_state(1)[0])


def sampler_for(spec: SearchSpec, number: int, part: int = 0) -> optuna.samplers.BaseSampler:
    """A fresh sampler of the search's kind for trial ``number`` (:data:`SAMPLER_STREAM` seed;
    ``part``: see :func:`sampler_seed`).

    NSGA-II with the search's population (at least 2), simulated binary crossover and
    polynomial mutation of numbers as in Deb et al. (2002) (choices: uniform crossover);
    TPE multivariate and grouped (for conditional levers), its first ``population`` trials
    random; or random search. The constraints are read from each trial's stored constraint
    values."""
    seed = sampler_seed(spec.seed, number, part)
    pop = spec.budget.population
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if spec.budget.sampler == "nsga2":
            from optuna.samplers.nsgaii import PolynomialMutation, SBXCrossover

            return optuna.samplers.NSGAIISampler(population_size=max(2, pop), seed=seed, crossover=SBXCrossover(),
                                                 mutation=PolynomialMutation())
        if spec.budget.sampler == "tpe":
            return optuna.samplers.TPESampler(multivariate=True, group=True, n_startup_trials=pop, seed=seed)
    return optuna.samplers.RandomSampler(seed=seed)


def suggest_levers(spec: SearchSpec, trial: Trial) -> dict[str, Any]:
    """Ask each lever of a trial in the file's order, leaving out a lever whose ``when`` does
    not hold given the values chosen before it.

    The joint (relative) proposal is made first with the trial's sampler; a lever drawn on
    its own (the first generation's, a conditional one, a mutation) with a sampler of its
    own seed, so that its value does not depend on which levers were drawn before it: a
    trial whose asking was cut short by a kill gets the same values when resumed."""
    study, number = trial.study, trial.number
    study.sampler = sampler = sampler_for(spec, number)
    if isinstance(sampler, optuna.samplers.NSGAIISampler):
        # NSGA-II picks parents by index into its parent population: the generation's first
        # child would see it in selection order, the others (and a resumed first child) as
        # cached in the study, in trial order; stored first, every child sees the cached one
        generation = sampler.get_trial_generation(study, study.get_trials(deepcopy=False)[number])
        sampler.get_parent_population(study, generation)
    _ = trial.relative_params  # the joint proposal, before any lever is drawn
    values: dict[str, Any] = {}
    for i, lever in enumerate(spec.levers):
        if applies(lever, values):
            study.sampler = sampler_for(spec, number, i + 1)
            values[lever.key] = _suggest(trial, lever)
    study.sampler = sampler_for(spec, number)
    return values


def _suggest(trial: Trial, lever: Lever) -> Any:
    if lever.kind == "choice":
        return trial.suggest_categorical(lever.key, list(lever.choices))
    if lever.integer:
        return trial.suggest_int(lever.key, int(math.ceil(lever.low)), int(math.floor(lever.high)), log=lever.log)
    return trial.suggest_float(lever.key, float(lever.low), float(lever.high), log=lever.log)


def ask(study: optuna.Study, spec: SearchSpec, generation: int) -> tuple[Trial, dict[str, Any]]:
    """Ask the next trial with a freshly seeded sampler; returns it and its lever values."""
    number = len(study.get_trials(deepcopy=False))
    study.sampler = sampler_for(spec, number)
    trial = study.ask()
    trial.set_user_attr("generation", generation)
    return trial, suggest_levers(spec, trial)


def reopen(study: optuna.Study, spec: SearchSpec, frozen: FrozenTrial) -> tuple[Trial, dict[str, Any]]:
    """A trial asked but not told (a stopped search's RUNNING trial) as a Trial again, with
    its lever values (stored ones are read back; any not yet asked are asked with the
    sampler it would have had)."""
    study.sampler = sampler_for(spec, frozen.number)
    trial = Trial(study, frozen._trial_id)
    trial.set_user_attr("generation", frozen.number // spec.budget.population)  # if the kill came before it
    return trial, suggest_levers(spec, trial)


def tell(study: optuna.Study, trial: Trial, rec: TrialRecord) -> None:
    """Store a trial's record in its user attributes and constraint values, then tell its
    robust values (a trial with an undefined objective is told as failed)."""
    trial.set_user_attr("record", json.dumps({"draws": rec.draws.tolist(), "means": rec.means.tolist(),
                                              "violation": rec.violation.tolist(), "seconds": rec.seconds}))
    with warnings.catch_warnings():  # a resumed trial's constraints may be stored already, with these values
        warnings.simplefilter("ignore")
        for i, v in enumerate(rec.violation):
            trial.set_constraint(f"c{i}", float(v))
    if np.isnan(rec.values).any():
        study.tell(trial, state=TrialState.FAIL)
    else:
        study.tell(trial, [float(v) for v in rec.values])


def _floats(values: list) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def record_of(frozen: FrozenTrial, spec: SearchSpec) -> TrialRecord:
    """The record of a told trial, from the study."""
    params = frozen.params
    data = json.loads(frozen.user_attrs["record"])  # json writes and reads NaN
    k = len(spec.objectives)
    values = frozen.values if frozen.state == TrialState.COMPLETE else [math.nan] * k
    return TrialRecord(frozen.number, int(frozen.user_attrs["generation"]),
                       {lev.key: params[lev.key] for lev in spec.levers if lev.key in params},
                       _floats(data["draws"]), _floats(data["means"]), np.asarray(values, dtype=np.float64),
                       _floats(data["violation"]), float(data["seconds"]))


def records(study: optuna.Study) -> list[FrozenTrial]:
    """The told trials (complete or failed), in trial order."""
    return [t for t in study.get_trials(deepcopy=False) if t.state in (TrialState.COMPLETE, TrialState.FAIL)]
