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

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, ValidationError, field_validator

from ..batch.spec import Bounds, ResultsName
from ..scenario import ScenarioError, describe_errors, load_scenario, read_toml, with_overrides

__all__ = ["CalibrationSpec", "Target", "load_calibration", "TARGET_METRICS", "TARGET_RANGE"]


def _target_metrics() -> dict[str, str]:
    from ..metrics import SUMMARY_KEYS

    out = dict(SUMMARY_KEYS)
    out.update({
        "recommendations_per_purchase": "gifts received per gift after which the recipient bought "
                                        "the product within 7 days (Leskovec et al. 2007)",
        "visits_per_purchase": "product-page visits per gift bought",
        "recipients_sending_on": "share of recipients who later sent a gift themselves",
    })
    return out


TARGET_METRICS = _target_metrics()
"""Metrics a calibration can target: the run summary's keys and the plausibility
analogues of :func:`sim.validation.plausibility.plausibility_metrics`. Any of them can be
undefined (NaN) in a run where it has nothing to divide (see
:data:`sim.metrics.SUMMARY_KEYS`); the calibration then uses the replicates that define it."""


def _target_ranges() -> dict[str, tuple[float, float]]:
    from ..metrics import OUTCOME_RANGE

    out = dict(OUTCOME_RANGE)
    out.update({
        "recommendations_per_purchase": (1.0, float("inf")),  # gifts per converting gift
        "visits_per_purchase": (0.0, float("inf")),
        "recipients_sending_on": (0.0, 1.0),
    })
    return out


TARGET_RANGE = _target_ranges()
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
        return t


def load_calibration(path: str | Path) -> tuple[CalibrationSpec, Path]:
    """Read and validate a calibration file; returns the spec and the file's folder.

    Raises
    ------
    ScenarioError
        Naming the file, key and allowed values.
    """
    path = Path(path)
    raw = read_toml(path)
    try:
        spec = CalibrationSpec.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(describe_errors(exc, raw, str(path), root=CalibrationSpec)) from None
    folder = path.resolve().parent
    _check_parameters(spec, folder, path)
    return spec, folder


def _check_parameters(spec: CalibrationSpec, folder: Path, path: Path) -> None:
    """Every parameter key must exist in the base scenario and accept both its bounds
    (then it accepts every value between them), before any run."""
    base = load_scenario(folder / spec.base)
    lines = []
    for key, (lo, hi) in spec.parameters.items():
        for label, value in (("lower", lo), ("upper", hi)):
            try:
                with_overrides(base, [(key, value)], source=f"{path}: parameters.'{key}' ({label} bound)")
            except ScenarioError as err:
                lines.append(str(err))
                break
    if lines:
        raise ScenarioError("\n".join(lines))
