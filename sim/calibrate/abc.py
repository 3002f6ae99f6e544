"""Pattern-oriented calibration by approximate Bayesian computation (ABC-SMC, pyabc).

A particle is a vector of scenario values drawn from the prior (then from pyabc's
transition kernels); it runs ``replicates`` runs of the base scenario at fresh seeds and
yields each target figure's pooled model quantity (:mod:`sim.evidence`). Its distance is
sqrt(sum_k w_k d_k ** 2), d_k the standardised distance of :func:`sim.evidence.band_distance`;
pyabc keeps the particles under a median-quantile epsilon, generation after generation.

Reproducible: particle i of generation t draws its proposal and its run seeds from
``SeedSequence([seed, t + 1, i])`` whichever process evaluates it, and a generation keeps
the first ``population_size`` accepted particles in index order, so the posterior does not
depend on the number of workers. Resumable: pyabc's SQLite history (``history.db``) holds
every finished generation; calling again on the same folder continues after the last.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import cloudpickle
import numpy as np
import pandas as pd
import pyabc
from pyabc.sampler import Sampler

from ..evidence.targets import EVIDENCE, Evidence, band_distance
from ..experiments.evaluators import Evaluator, make_evaluator, map_ordered
from ..results.atomic import write_text_atomic
from ..runner import run
from ..scenario import Scenario, load_scenario, with_overrides
from .abc_spec import AbcSpec, load_abc_calibration
from .abc_summary import posterior_summary, weighted_quantile

__all__ = ["AbcResult", "Simulator", "EvaluatorSampler", "abc_calibrate", "distance_of", "ABC_FILES",
           "weighted_quantile"]

log = logging.getLogger(__name__)

ABC_FILES = ("history.db", "spec.json", "posterior.parquet", "generations.parquet", "predictive.parquet",
             "calibration.json")
"""What an ABC calibration writes into its folder (``calibration.json`` last)."""

UNDEFINED = 1000.0
"""Standardised distance of a target whose quantity is undefined in a particle."""


class Simulator:
    """A particle's runs: ``replicates`` runs of the base scenario at the particle's values.

    Called with pyabc's parameter dict (``p0``, ``p1``... in the order of ``keys``), it
    draws the run seeds from numpy's global generator (seeded per particle by
    :class:`EvaluatorSampler`) and returns each target's pooled quantity. It carries its
    figures (:class:`sim.evidence.Evidence`), so a worker process needs no registry.
    """

    def __init__(self, base: Scenario, keys: list[str], integer: list[bool], figures: dict[str, Evidence],
                 replicates: int) -> None:
        self.base, self.keys, self.integer = base, keys, integer
        self.figures, self.replicates = dict(figures), replicates

    def scenario(self, values: list[float]) -> Scenario:
        """The base scenario with ``values`` (integer keys rounded)."""
        pairs = [(k, round(v) if i else float(v)) for k, v, i in zip(self.keys, values, self.integer)]
        return with_overrides(self.base, pairs, source="calibration")

    def parts(self, values: list[float], seeds: list[int]) -> dict[str, list[tuple[float, float]]]:
        """Each target's (numerator, denominator) per run at ``values`` and ``seeds``."""
        sc = self.scenario(values)
        out: dict[str, list[tuple[float, float]]] = {t: [] for t in self.figures}
        for s in seeds:
            r = run(sc, int(s))
            for t, ev in self.figures.items():
                out[t].append(ev.parts(r))
        return out

    def __call__(self, par: dict) -> dict[str, float]:
        """Pooled quantity of each target (pyabc's model function)."""
        from ..evidence.quantities import pooled

        values = [float(par[f"p{i}"]) for i in range(len(self.keys))]
        seeds = np.random.randint(0, 2**62, size=self.replicates)
        return {t: pooled(v) for t, v in self.parts(values, list(seeds)).items()}


def distance_of(weights: dict[str, float], figures: dict[str, Evidence] | None = None):
    """The distance function of a calibration: sqrt(sum_k w_k d_k ** 2) over its targets
    (``figures``: name -> :class:`sim.evidence.Evidence`, default :data:`sim.evidence.EVIDENCE`)."""
    figures = dict(EVIDENCE if figures is None else figures)

    def distance(x: dict, x0: dict) -> float:
        total = 0.0
        for name, w in weights.items():
            d = band_distance(figures[name], float(x.get(name, math.nan)))
            total += w * min(d, UNDEFINED) ** 2
        return math.sqrt(total)
    return distance


def _simulate_block(task: tuple[bytes, int, int, list[int]]) -> list:
    """Particles of ``indices``: each seeded from SeedSequence([seed, t + 1, i])."""
    payload, seed, t, indices = task
    simulate_one = cloudpickle.loads(payload)
    out = []
    for i in indices:
        state = np.random.SeedSequence([seed, t + 1, i]).generate_state(1, dtype=np.uint32)[0]
        np.random.seed(int(state))
        out.append(simulate_one())
    return out


class EvaluatorSampler(Sampler):
    """pyabc sampler over a giftsim :class:`sim.experiments.Evaluator`, reproducible
    whatever the number of workers (see the module doc)."""

    def __init__(self, evaluator: Evaluator, seed: int, workers: int = 1,
                 progress: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.evaluator, self.seed, self.workers = evaluator, seed, max(1, workers)
        self.acceptance = 0.5
        self.progress = progress

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None):
        """The first ``n`` accepted particles in index order (at most ``max_eval`` evaluated)."""
        if self.progress is not None:
            self.progress("sampling the prior to set the first epsilon" if t < 0 else f"generation {t}")
        payload = cloudpickle.dumps(simulate_one)
        sample = self._create_empty_sample()
        accepted = evaluated = 0
        while accepted < n and evaluated < max_eval:
            want = math.ceil((n - accepted) / max(self.acceptance, 0.01) * 1.1)
            want = int(min(max(want, 2 * self.workers), max_eval - evaluated))
            size = max(1, math.ceil(want / (2 * self.workers)))
            idx = list(range(evaluated, evaluated + want))
            blocks = [(payload, self.seed, t, idx[j:j + size]) for j in range(0, want, size)]
            round_acc = 0
            for particle in (p for block in map_ordered(self.evaluator, _simulate_block, blocks) for p in block):
                if accepted >= n:
                    break
                sample.append(particle)
                evaluated += 1
                if particle.accepted:
                    accepted += 1
                    round_acc += 1
            self.acceptance = max(round_acc / max(len(idx), 1), 1.0 / (len(idx) + 1))
        self.nr_evaluations_ = evaluated
        if sample.n_accepted < n:
            sample.ok = False
        return sample


@dataclass(frozen=True)
class AbcResult:
    """A finished ABC calibration (its files are in ``folder``).

    Attributes
    ----------
    spec : AbcSpec
    folder : Path
    posterior : pandas.DataFrame
        The last generation: a column per scenario key, ``weight`` (sums to 1), ``distance``.
    generations : pandas.DataFrame
        Per generation ``t``: ``epsilon``, ``simulations``, ``acceptance``, ``ess``.
    predictive : pandas.DataFrame
        Per target: ``median``, ``lo`` and ``hi`` (5% and 95% over posterior draws),
        ``inside_share`` (draws inside the band), ``band_low``, ``band_high``, ``value``.
    resumed_from : int
        Generations already in the history when this call started (0: a new calibration).
    """

    spec: AbcSpec
    folder: Path
    posterior: pd.DataFrame
    generations: pd.DataFrame
    predictive: pd.DataFrame
    resumed_from: int

    def summary(self) -> pd.DataFrame:
        """Per parameter: weighted median, 5% and 95%, prior bounds and whether it piles up at
        one (:func:`sim.calibrate.abc_summary.posterior_summary`)."""
        return posterior_summary(self.posterior, self.spec.parameters, self.spec.priors)


def _prior(spec: AbcSpec) -> pyabc.Distribution:
    rvs = {}
    for i, (key, (lo, hi)) in enumerate(spec.parameters.items()):
        if spec.priors.get(key, "uniform") == "loguniform":
            rvs[f"p{i}"] = pyabc.RV("loguniform", lo, hi)
        else:
            rvs[f"p{i}"] = pyabc.RV("uniform", lo, hi - lo)
    return pyabc.Distribution(**rvs)


def _simulator(spec: AbcSpec, folder: Path) -> Simulator:
    from ..scenario import is_integer_field, schema_field

    base = load_scenario(folder / spec.base)
    doc = base.model_dump(mode="python", by_alias=True)
    keys = list(spec.parameters)
    integer = [bool((f := schema_field(k, doc)) is not None and is_integer_field(f)) for k in keys]
    return Simulator(base, keys, integer, {t: EVIDENCE[t] for t in spec.targets}, spec.replicates)


def _workers(evaluator: Evaluator) -> int:
    return int(getattr(evaluator, "workers", 1) or 1)


def _abc(spec: AbcSpec, sim: Simulator, evaluator: Evaluator,
         progress: Callable[[str], None] | None = None) -> pyabc.ABCSMC:
    sampler = EvaluatorSampler(evaluator, spec.seed, _workers(evaluator), progress)
    sampler.show_progress = False
    return pyabc.ABCSMC(sim, _prior(spec), distance_of(dict(spec.targets), sim.figures),
                        population_size=spec.budget.population_size, sampler=sampler,
                        eps=pyabc.MedianEpsilon())


def _open(abc: pyabc.ABCSMC, db: Path, spec: AbcSpec) -> int:
    """Start a new history in ``db``, or load the one there; returns its finished generations."""
    url = "sqlite:///" + str(db.resolve())
    if db.exists():
        h = pyabc.History(url)
        if h.n_populations > 0 and h.max_t >= 0:
            abc.load(url, 1)
            return int(h.max_t) + 1
        db.unlink()
    np.random.seed(np.random.SeedSequence([spec.seed, 0]).generate_state(1, dtype=np.uint32)[0])
    abc.new(url, {t: EVIDENCE[t].value if EVIDENCE[t].value is not None else EVIDENCE[t].band[0]
                  for t in spec.targets})
    return 0


def _run_generations(abc: pyabc.ABCSMC, spec: AbcSpec, done: int) -> pyabc.History:
    b = spec.budget
    left = b.max_generations - done
    if left <= 0:
        return abc.history
    return abc.run(minimum_epsilon=0.0, max_nr_populations=left, max_total_nr_simulations=b.max_simulations,
                   max_walltime=timedelta(minutes=float(b.max_minutes)), min_acceptance_rate=b.min_acceptance)


def posterior_of(history: pyabc.History, keys: list[str]) -> pd.DataFrame:
    """The last generation's particles: a column per key, ``weight`` (sums to 1), ``distance``
    and ``generation``, each row one particle's (read together from the history, so they stay
    aligned), rows sorted by the keys' values (an order that does not depend on the database's
    row ids)."""
    t = int(history.max_t)
    particles = history.get_population(t=t).particles
    out = pd.DataFrame({k: np.array([float(p.parameter[f"p{i}"]) for p in particles]) for i, k in enumerate(keys)})
    w = np.array([float(p.weight) for p in particles])
    out["weight"] = w / w.sum()
    out["distance"] = np.array([float(p.distance) for p in particles])
    out = out.sort_values([*keys, "distance"], kind="stable", ignore_index=True)
    out["generation"] = t
    return out


def generations_of(history: pyabc.History) -> pd.DataFrame:
    """Per generation: ``t``, ``epsilon``, ``simulations``, ``acceptance``, ``ess``."""
    from pyabc.weighted_statistics import effective_sample_size

    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    rows = []
    for _, p in pops.iterrows():
        t = int(p["t"])
        _, w = history.get_distribution(m=0, t=t)
        n = len(w)
        sims = int(p["samples"])
        rows.append({"t": t, "epsilon": float(p["epsilon"]), "simulations": sims, "accepted": n,
                     "acceptance": n / sims if sims else math.nan, "ess": float(effective_sample_size(w))})
    return pd.DataFrame(rows)


def _predictive_task(task: tuple[Simulator, list[float], list[int]]) -> dict[str, list[tuple[float, float]]]:
    sim, values, seeds = task
    return sim.parts(values, seeds)


def predictive_check(spec: AbcSpec, sim: Simulator, posterior: pd.DataFrame, evaluator: Evaluator) -> pd.DataFrame:
    """Posterior predictive check of every figure of the base scenario (not only the targets).

    ``predictive_draws`` particles drawn by weight (seeded from the calibration's seed), each
    run ``predictive_replicates`` times at fresh seeds; each figure's pooled quantity per draw.

    Returns
    -------
    pandas.DataFrame
        One row per figure: ``target`` (bool: fitted), ``median``, ``lo``, ``hi`` (5% and
        95% over draws), ``inside_share``, ``band_low``, ``band_high``, ``value``, ``draws``.
    """
    from ..evidence.quantities import pooled

    base_name = Path(spec.base).name
    figures = [k for k, e in EVIDENCE.items() if e.scenario == base_name]
    check = Simulator(sim.base, sim.keys, sim.integer, {f: EVIDENCE[f] for f in figures},
                      spec.predictive_replicates)
    rng = np.random.default_rng(np.random.SeedSequence([spec.seed, 10**6]))
    rows = rng.choice(len(posterior), size=spec.predictive_draws, p=posterior["weight"].to_numpy(float))
    seeds = rng.integers(0, 2**62, size=(spec.predictive_draws, spec.predictive_replicates))
    tasks = [(check, [float(posterior[k].iloc[r]) for k in sim.keys], [int(s) for s in seeds[j]])
             for j, r in enumerate(rows)]
    parts = map_ordered(evaluator, _predictive_task, tasks)
    out = []
    for f in figures:
        vals = np.array([pooled(p[f]) for p in parts], float)
        ev = EVIDENCE[f]
        fin = vals[np.isfinite(vals)]
        out.append({"figure": f, "target": f in spec.targets,
                    "median": float(np.median(fin)) if fin.size else math.nan,
                    "lo": float(np.quantile(fin, 0.05)) if fin.size else math.nan,
                    "hi": float(np.quantile(fin, 0.95)) if fin.size else math.nan,
                    "inside_share": float(np.mean([ev.inside(v) for v in vals])),
                    "band_low": ev.band[0], "band_high": ev.band[1],
                    "value": ev.value if ev.value is not None else math.nan, "draws": len(vals)})
    return pd.DataFrame(out)


def abc_calibrate(calibration_file: str | os.PathLike, *, workers: int = 1, out: str | os.PathLike | None = None,
                  force: bool = False, evaluator: Evaluator | None = None,
                  progress: Callable[[str], None] | None = None) -> AbcResult:
    """Run (or resume) an ABC-SMC calibration and write its results.

    Parameters
    ----------
    calibration_file : path-like
        An ABC calibration file (:mod:`sim.calibrate.abc_spec`).
    workers : int
        Processes evaluating particles (the posterior does not depend on it); unused with
        ``evaluator``.
    out : path-like, optional
        Output folder (default ``results/calibrate/<name>``). A folder with a history and no
        ``calibration.json`` (a calibration that was stopped) is resumed after its last
        finished generation if its :data:`HISTORY_KEYS` are this file's (``spec.json``; the
        budget may change, e.g. to add generations); a finished one, or a stopped one of
        another spec, is refused unless ``force``.
    force : bool
        Replace a finished calibration, or a stopped one of another spec.
    evaluator : sim.experiments.Evaluator, optional
    progress : callable(str), optional
        Called with ``"resuming after generation N"`` when a stopped calibration is resumed,
        then ``"generation t"`` as each generation starts, ``"posterior predictive check"``.

    Returns
    -------
    AbcResult
        Its files: ``history.db``, ``spec.json``, ``posterior.parquet``,
        ``generations.parquet``, ``predictive.parquet``, ``fitted.toml`` (the base with the
        posterior's weighted medians), ``plots/*.png`` and ``calibration.json`` (last).

    Raises
    ------
    sim.scenario.ScenarioError
        If the file, its base scenario, a prior or a target is invalid (nothing is run).
    CalibrationExistsError
        If the output folder holds something else, or a finished calibration without ``force``.
    """
    spec, folder = load_abc_calibration(calibration_file)
    target = Path(out) if out is not None else Path("results") / "calibrate" / spec.name
    _check_folder(target, force, spec)
    sim = _simulator(spec, folder)
    ev = evaluator if evaluator is not None else make_evaluator(workers=workers)
    with ev:
        abc = _abc(spec, sim, ev, progress)
        done = _open(abc, target / "history.db", spec)
        log.info("calibration %s: %s", spec.name, f"resuming after generation {done - 1}" if done else "new")
        if done and progress is not None:
            progress(f"resuming after generation {done - 1}")
        history = _run_generations(abc, spec, done)
        posterior = posterior_of(history, sim.keys)
        generations = generations_of(history)
        if progress is not None:
            progress("posterior predictive check")
        predictive = predictive_check(spec, sim, posterior, ev)
    result = AbcResult(spec, target, posterior, generations, predictive, done)
    _write(result, folder / spec.base)
    return result


HISTORY_KEYS = ("base", "replicates", "seed", "parameters", "priors", "targets")
"""The keys of an ABC file that make its history (``spec.json``): a stopped calibration resumes
only with the same; the others (budget, predictive check, name) may change between calls."""


def _spec_json(spec: AbcSpec) -> str:
    return json.dumps(spec.model_dump(mode="json", include=set(HISTORY_KEYS)), indent=2, sort_keys=True) + "\n"


def _check_folder(target: Path, force: bool, spec: AbcSpec) -> None:
    """Refuse a folder that is not this calibration's; empty it when it is to be replaced."""
    from .fit import CalibrationExistsError

    if target.exists() and not target.is_dir():
        raise CalibrationExistsError(f"{target}: is a file, not a folder; use --out for a folder")
    target.mkdir(parents=True, exist_ok=True)
    names = sorted(e.name for e in target.iterdir() if not e.name.startswith("."))
    others = [n for n in names if n not in ABC_FILES and n not in ("plots", "fitted.toml")]
    if others:
        raise CalibrationExistsError(f"{target}: holds {others[0]}, not an ABC calibration's file; use --out for a "
                                     "new or empty folder")
    spec_file = target / "spec.json"
    if "calibration.json" in names and not force:
        raise CalibrationExistsError(f"{target}: holds a finished calibration; use --force to replace it, or "
                                     "--out for a new folder")
    other_spec = spec_file.exists() and spec_file.read_text() != _spec_json(spec)
    if "history.db" in names and "calibration.json" not in names and other_spec and not force:
        raise CalibrationExistsError(f"{target}: holds a stopped calibration of another file (its spec.json: "
                                     f"{', '.join(HISTORY_KEYS)} differ from this file's), which cannot be resumed "
                                     "with it; use --force to start over, or --out for a new folder")
    if "calibration.json" in names or other_spec:
        for n in names:
            p = target / n
            if p.is_file():
                p.unlink()
    write_text_atomic(spec_file, _spec_json(spec))


def _write(result: AbcResult, base_path: Path) -> None:
    """The result's files, ``calibration.json`` last (its presence marks a finished calibration)."""
    from ..results import strict_json
    from .abc_plots import posterior_plots
    from .fitted import write_fitted

    f, spec = result.folder, result.spec
    result.posterior.to_parquet(f / "posterior.parquet", index=False)
    result.generations.to_parquet(f / "generations.parquet", index=False)
    result.predictive.to_parquet(f / "predictive.parquet", index=False)
    summary = result.summary()
    medians = dict(zip(summary["parameter"], map(float, summary["median"])))
    write_fitted(base_path, f, medians, f"{spec.name}_fitted",
                 f"Posterior weighted medians of giftsim calibrate ({spec.name}, ABC-SMC, "
                 f"{len(result.generations)} generations)")
    posterior_plots(result.posterior, spec.parameters, spec.priors, f)
    data = {"name": spec.name, "method": "abc_smc", "base": str(base_path), "generations": len(result.generations),
            "simulations": int(result.generations["simulations"].sum()) if len(result.generations) else 0,
            "resumed_from": result.resumed_from, "posterior_median": medians,
            "posterior": summary.to_dict(orient="records"), "predictive": result.predictive.to_dict(orient="records"),
            "spec": spec.model_dump(mode="json")}
    write_text_atomic(f / "calibration.json", strict_json(data))
