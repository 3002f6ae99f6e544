"""The ABC calibration file: priors over scenario keys, published figures as targets, a budget.

A pattern-oriented calibration (Grimm et al., Science 2005) by approximate Bayesian
computation is a TOML file with ``method = "abc_smc"``::

    name = "evidence"
    method = "abc_smc"
    base = "wechat_gift_launch.toml"      # relative to this file
    replicates = 4                        # runs per particle, pooled into each target's quantity
    seed = 2015

    [parameters]                          # scenario keys and their prior's [low, high]
    "population.pay_forward.a" = [0.02, 1.5]
    "gifts.send_probability" = [0.1, 0.6]

    [priors]                              # optional: "uniform" (default) or "loguniform"
    "population.pay_forward.a" = "loguniform"

    [targets]                             # figures of sim.evidence.EVIDENCE and their weights
    receive_give_lift = 1.0
    recommendations_per_purchase = 1.0

    [budget]                              # ABC-SMC stops at the first limit reached
    population_size = 200
    max_generations = 8
    max_simulations = 20000
    max_minutes = 50

Each target is a figure of :data:`sim.evidence.EVIDENCE` whose scenario is the base's file;
the distance of a particle is sqrt(sum_k w_k d_k ** 2) with d_k from
:func:`sim.evidence.band_distance`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, ValidationError, field_validator

from ..batch.spec import Bounds, ResultsName
from ..evidence.targets import EVIDENCE
from ..scenario import KeyProblem, ScenarioError, describe_errors, read_toml
from .spec import check_parameters

__all__ = ["AbcBudget", "AbcSpec", "CALIBRATION_METHODS", "load_abc_calibration", "calibration_method"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, use_attribute_docstrings=True)


class AbcBudget(_Strict):
    """When ABC-SMC stops: at the first limit reached (after a whole generation)."""

    population_size: StrictInt = Field(default=200, ge=10, le=100_000)
    """Particles accepted per generation."""
    max_generations: StrictInt = Field(default=8, ge=1, le=1000)
    """Generations in all (a resumed calibration counts the finished ones)."""
    max_simulations: StrictInt = Field(default=20_000, ge=1, le=100_000_000)
    """Particles simulated in all (each runs ``replicates`` runs)."""
    max_minutes: StrictFloat | StrictInt = Field(default=55, gt=0, le=10_080)
    """Wall-clock minutes of one call (checked between generations)."""
    min_acceptance: StrictFloat = Field(default=0.005, ge=0, lt=1)
    """Stop when a generation accepts fewer than this share of its particles."""


class AbcSpec(_Strict):
    """A validated ABC calibration file."""

    name: ResultsName
    """Results go to ``results/calibrate/<name>/``."""
    description: str = ""
    method: Literal["abc_smc"]
    """ABC-SMC (pyabc)."""
    base: str = Field(min_length=1)
    """The scenario to calibrate, relative to the calibration file."""
    replicates: StrictInt = Field(default=4, ge=1, le=1000)
    """Runs per particle (fresh seeds each), pooled into each target's quantity."""
    seed: StrictInt = Field(default=0, ge=0, le=2**63 - 1)
    """Master seed of the proposals and the runs."""
    parameters: Bounds = Field(min_length=1)
    """Scenario keys and the [low, high] of their prior; every value between must be valid."""
    priors: dict[str, Literal["uniform", "loguniform"]] = {}
    """The prior's shape per key (default uniform); loguniform needs low > 0."""
    targets: dict[str, StrictFloat | StrictInt] = Field(min_length=1)
    """Figures of :data:`sim.evidence.EVIDENCE` and their weights (>= 0, one > 0)."""
    budget: AbcBudget = AbcBudget()
    predictive_draws: StrictInt = Field(default=40, ge=2, le=10_000)
    """Posterior draws of the predictive check (each at fresh seeds)."""
    predictive_replicates: StrictInt = Field(default=4, ge=1, le=1000)
    """Runs per draw of the predictive check."""

    @field_validator("targets")
    @classmethod
    def _known_targets(cls, t: dict[str, float]) -> dict[str, float]:
        unknown = [k for k in t if k not in EVIDENCE]
        if unknown:
            raise ValueError(f"unknown target(s) {', '.join(map(repr, unknown))}; allowed: figures of "
                             f"sim.evidence: {', '.join(EVIDENCE)}")
        for k, w in t.items():
            if not (math.isfinite(w) and w >= 0):
                raise KeyProblem((k,), "a weight must be finite and >= 0", w)
        if not any(w > 0 for w in t.values()):
            raise ValueError("every target has weight 0; allowed: at least one weight > 0")
        return t


CALIBRATION_METHODS = ("differential_evolution", "abc_smc")
"""The ``method`` of a calibration file: differential evolution (:mod:`sim.calibrate.spec`,
the default) or ABC-SMC (this module)."""


def calibration_method(path: str | Path) -> str:
    """The ``method`` a calibration file names (``differential_evolution`` when absent).

    Raises
    ------
    ScenarioError
        If the file cannot be read, or names another method (the message names the file
        and the allowed values).
    """
    raw = read_toml(Path(path))
    method = raw.get("method", "differential_evolution")
    if method not in CALIBRATION_METHODS:
        raise ScenarioError(f"{path}: method = {method!r}: unknown calibration method; allowed: "
                            + ", ".join(CALIBRATION_METHODS))
    return method


def load_abc_calibration(path: str | Path) -> tuple[AbcSpec, Path]:
    """Read and validate an ABC calibration file; returns the spec and the file's folder.

    Raises
    ------
    ScenarioError
        Naming the file, key and allowed values: an unknown key, a prior's bound outside
        what the scenario key accepts, a loguniform prior with low <= 0, a prior for a key
        not in ``parameters``, a target that is not a figure of :data:`sim.evidence.EVIDENCE`
        or applies to another scenario, a budget of 0.
    """
    path = Path(path)
    raw = read_toml(path)
    try:
        spec = AbcSpec.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(describe_errors(exc, raw, str(path), root=AbcSpec)) from None
    lines = []
    for key, shape in spec.priors.items():
        if key not in spec.parameters:
            lines.append(f"{path}: priors.'{key}' = {shape!r}: not a key of [parameters]; allowed: "
                         + ", ".join(spec.parameters))
        elif shape == "loguniform" and spec.parameters[key][0] <= 0:
            lines.append(f"{path}: priors.'{key}' = 'loguniform': needs a lower bound > 0, got "
                         f"{spec.parameters[key][0]:g}; allowed: uniform, or bounds above 0")
    base_name = Path(spec.base).name
    for name in spec.targets:
        ev = EVIDENCE[name]
        if ev.scenario != base_name:
            lines.append(f"{path}: targets.{name}: the figure applies to scenario {ev.scenario!r}, not to the base "
                         f"{spec.base!r}; allowed: the figures of {base_name!r}: "
                         + (", ".join(k for k, e in EVIDENCE.items() if e.scenario == base_name) or "none"))
    if lines:
        raise ScenarioError("\n".join(lines))
    folder = path.resolve().parent
    check_parameters(spec, folder, path)
    return spec, folder
