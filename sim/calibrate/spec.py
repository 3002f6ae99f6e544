"""The calibration file: which scenario keys to fit, within which bounds, to which targets.

A calibration file is TOML::

    name = "plausibility_fit"
    base = "wechat_gift_launch.toml"      # relative to this file
    replicates = 4                        # runs per evaluated point (common seeds)
    seed = 2012
    max_iterations = 8                    # differential evolution generations
    population_size = 5                   # differential evolution population multiplier

    [parameters]                          # scenario keys and [low, high] bounds
    "population.pay_forward.a" = [0.3, 6.0]
    "gifts.accept_intercept" = [-1.0, 2.0]
    "merchants.sme.count" = [5, 40]       # an integer key: every run rounds the value

    [targets.single_adopter_share]        # a summary key or a plausibility metric
    value = 0.825
    scale = 0.125                         # tolerance: the loss counts (mean - value) / scale
    source = "Goel, Watts & Goldstein (EC 2012): 70%-95%"
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, ValidationError, field_validator

from ..batch.spec import Bounds, ResultsName
from ..experiments.outcomes import NON_NEGATIVE, UNIT_RANGE, Direction, Outcome, OutcomeRegistry
from ..scenario import (
    KeyProblem,
    ScenarioError,
    describe_errors,
    is_integer_field,
    load_scenario,
    read_toml,
    schema_field,
    with_overrides,
)

__all__ = ["CalibrationSpec", "Target", "load_calibration", "check_parameters", "TARGET_OUTCOMES", "TARGET_METRICS",
           "TARGET_RANGE"]


def _plausibility(name: str):
    """The plausibility analogue ``name`` of a run result (a function of a RunResult)."""
    def value(result) -> float:
        from ..validation.plausibility import plausibility_metrics

        return plausibility_metrics(result)[name]
    return value


def _summary(name: str):
    """Summary key ``name`` of a run result, as a float (a function of a RunResult)."""
    return lambda result: float(result.summary[name])


def _target_outcomes() -> OutcomeRegistry:
    from ..metrics import RUN_OUTCOMES

    return OutcomeRegistry([
        *(replace(o, function=_summary(k)) for k, o in RUN_OUTCOMES.items()),
        Outcome("recommendations_per_purchase", "gifts received per gift after which the recipient bought "
                "the product within 7 days (Leskovec et al. 2007)", _plausibility("recommendations_per_purchase"),
                Direction.INFO, (1.0, math.inf), "without a gift (inf without a converting gift)"),
        Outcome("visits_per_purchase", "product-page visits per gift bought", _plausibility("visits_per_purchase"),
                Direction.INFO, NON_NEGATIVE, "without a visit or a gift (inf with visits and no gift)"),
        Outcome("recipients_sending_on", "share of recipients who later sent a gift themselves",
                _plausibility("recipients_sending_on"), Direction.INFO, UNIT_RANGE, "without an accepted gift"),
    ])


TARGET_OUTCOMES = _target_outcomes()
"""Metrics a calibration can target, declared once (:class:`sim.experiments.Outcome`, each a
function of a :class:`sim.runner.RunResult`): the run summary's outcomes
(:data:`sim.metrics.RUN_OUTCOMES`) and the plausibility analogues of
:func:`sim.validation.plausibility.plausibility_metrics`."""

TARGET_METRICS = TARGET_OUTCOMES.texts()
"""Metrics a calibration can target and their meanings (:data:`TARGET_OUTCOMES`). Any of
them can be undefined (NaN) in a run where it has nothing to divide (see
:data:`sim.metrics.SUMMARY_KEYS`); the calibration then uses the replicates that define it."""

TARGET_RANGE = TARGET_OUTCOMES.ranges()
"""The values each target metric can take (:data:`sim.metrics.OUTCOME_RANGE` plus the
plausibility analogues): the fit's intervals are clipped to them."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False,
                              use_attribute_docstrings=True)


class Target(_Strict):
    """A figure to reach."""

    value: StrictFloat
    """Target value of the metric (mean over replicates)."""
    scale: StrictFloat = Field(gt=0)
    """Tolerance: the loss adds ((mean - value) / scale) ** 2 times ``weight``."""
    weight: StrictFloat = Field(default=1.0, ge=0)
    """Relative weight of this target in the loss."""
    source: str = ""
    """Where the figure comes from."""


class CalibrationSpec(_Strict):
    """A validated calibration file."""

    name: ResultsName
    """Results go to ``results/calibrate/<name>/``."""
    description: str = ""
    method: Literal["differential_evolution"] = "differential_evolution"
    """scipy's differential evolution (the default; ``abc_smc`` files are :mod:`sim.calibrate.abc_spec`'s)."""
    base: str = Field(min_length=1)
    """The scenario to calibrate, relative to the calibration file."""
    parameters: Bounds = Field(min_length=1)
    """Scenario keys (dotted; ``population.pay_forward.a`` reaches into a distribution) and
    their [low, high] bounds; both bounds must be values the key accepts. The optimiser
    proposes real numbers: for an integer key (``merchants.sme.count``) every run uses the
    value rounded to the nearest integer (``fitted.toml`` holds the rounded value,
    ``calibration.json`` and ``history.parquet`` the optimiser's)."""
    targets: dict[str, Target] = Field(min_length=1)
    """Metric name -> target."""
    replicates: StrictInt = Field(default=4, ge=1, le=1000)
    """Runs per evaluated point; every point uses the same seeds (common random numbers),
    so the loss is a deterministic function of the parameters."""
    seed: StrictInt = Field(default=0, ge=0, le=2**63 - 1)
    """Master seed of the runs and of the optimiser."""
    max_iterations: StrictInt = Field(default=8, ge=1, le=10_000)
    """Differential-evolution generations (scipy.optimize.differential_evolution maxiter)."""
    population_size: StrictInt = Field(default=5, ge=2, le=1000)
    """Differential-evolution population multiplier (popsize: points per generation =
    popsize x number of parameters)."""
    check_replicates: StrictInt = Field(default=10, ge=2, le=10_000)
    """Replicates run at the fitted point, with fresh seeds, to report the fit with 95%
    intervals."""

    @field_validator("targets")
    @classmethod
    def _known(cls, t: dict[str, Target]) -> dict[str, Target]:
        unknown = [k for k in t if k not in TARGET_METRICS]
        if unknown:
            raise ValueError(f"unknown target metric(s) {', '.join(map(repr, unknown))}; allowed: "
                             + ", ".join(TARGET_METRICS))
        for k, target in t.items():
            lo, hi = TARGET_RANGE.get(k, (-math.inf, math.inf))
            if not lo <= target.value <= hi:
                raise KeyProblem((k, "value"), f"is outside the values {k} can take; allowed: "
                                 f"{_num(lo)} <= value <= {_num(hi)}", target.value)
        return t


def _num(x: float) -> str:
    return "infinity" if x == math.inf else "-infinity" if x == -math.inf else f"{x:g}"


def load_calibration(path: str | Path) -> tuple[CalibrationSpec, Path]:
    """Read and validate a calibration file; returns the spec and the file's folder.

    Raises
    ------
    ScenarioError
        Naming the file, key and allowed values.
    """
    path = Path(path)
    raw = read_toml(path)
    if raw.get("method") == "abc_smc":
        raise ScenarioError(f"{path}: method = 'abc_smc': an ABC calibration file, read by "
                            "sim.calibrate.abc_spec.load_abc_calibration (giftsim calibrate and check take both kinds)")
    try:
        spec = CalibrationSpec.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(describe_errors(exc, raw, str(path), root=CalibrationSpec)) from None
    folder = path.resolve().parent
    check_parameters(spec, folder, path)
    return spec, folder


PROBES = 9
"""Evenly spaced values (bounds included) at which each parameter is tried when a
calibration file is loaded; an integer key is tried at every integer of its bounds (up
to 1,000 of them)."""


def probe_values(lo: float, hi: float, integer: bool) -> list[float]:
    """The values of a parameter's range that :func:`load_calibration` tries: the bounds,
    the midpoint and evenly spaced values between (every integer for an integer key)."""
    if integer:
        first, last = math.ceil(lo - 0.5), math.floor(hi + 0.5)  # the integers the rounded runs use
        if last - first <= 1000:
            return [float(v) for v in range(int(first), int(last) + 1)]
    vals = [lo + (hi - lo) * i / (PROBES - 1) for i in range(PROBES)]
    return sorted({lo, hi, 0.5 * (lo + hi), *vals})


def check_parameters(spec, folder: Path, path: Path) -> None:
    """(``spec``: a calibration spec with ``base`` and ``parameters``.) Every parameter key
    must exist in the base scenario and accept every value between
    its bounds (the optimiser may propose any of them), before any run: the bounds, the
    midpoint and values between are tried (every integer of an integer key), so that a key
    whose valid values are restricted (``time.step_hours``, a multiple of it such as
    ``gifts.expiry_hours``) is refused here, by ``giftsim check``, and not mid-calibration."""
    try:
        base = load_scenario(folder / spec.base)
    except ScenarioError as err:
        raise ScenarioError(f"{path}: base = {spec.base!r}: {err}") from None
    _check_graph_file(base, path, spec.base)
    doc = base.model_dump(mode="python", by_alias=True)
    lines = []
    for key, (lo, hi) in spec.parameters.items():
        field = schema_field(key, doc)
        integer = field is not None and is_integer_field(field)
        # the bounds first, so that a bound out of the key's range is reported as such
        for value in [lo, hi] + [v for v in probe_values(lo, hi, integer) if v not in (lo, hi)]:
            if value in (lo, hi):
                source = f"{path}: parameters.'{key}' ({'lower' if value == lo else 'upper'} bound)"
            else:
                source = f"{path}: parameters.'{key}'"
            try:
                with_overrides(base, [(key, value)], source=source)
            except ScenarioError as err:
                text = str(err)
                if value not in (lo, hi):
                    why = text.removeprefix(source + ": ").replace("\n", "; ")
                    text = (f"{source} = [{lo:g}, {hi:g}]: not every value in this range is valid ({why}), but the "
                            "optimiser may propose any of them; allowed: bounds within which every value is "
                            "valid, or leave the key out")
                lines.append(text)
                break
    if lines:
        raise ScenarioError("\n".join(lines))


def _check_graph_file(base, path: Path, rel: str) -> None:
    """A base scenario on a graph file: the file must exist, and an independent cascade's
    ``mode.seeds`` must not exceed its users (known only from the file: it is read, once
    per process, as ``giftsim check`` and batch planning do: :func:`sim.graph.graph_file_facts`)."""
    from ..graph import GraphFileError, graph_file_facts
    from ..scenario.schema import FileGraph, IndependentCascadeMode

    if not isinstance(base.graph, FileGraph):
        return
    if not Path(base.graph.path).exists():
        raise ScenarioError(f"{path}: base = {rel!r}: graph.path = {base.graph.path!r}: no such graph file; "
                            "every run of the calibration needs it")
    if isinstance(base.mode, IndependentCascadeMode):
        try:
            n, _ = graph_file_facts(base.graph.path, base.graph.kind)
        except GraphFileError as err:
            raise ScenarioError(f"{path}: base = {rel!r}: {err}") from None
        if base.mode.seeds > n:
            raise ScenarioError(f"{path}: base = {rel!r}: mode.seeds = {base.mode.seeds}: is more than the graph "
                                f"file's {n:,} users; allowed: 1 <= seeds <= {n}")
