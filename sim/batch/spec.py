"""The batch file: which scenario points to run, how many replicates, and the master seed.

A batch file is TOML::

    name = "launch_policies"
    replicates = 10
    seed = 20241219
    scenarios = ["wechat_gift_launch.toml", "douyin_style.toml"]   # one point each

    # or a base scenario with named variants, a grid sweep, or a sampled design:
    base = "wechat_gift_launch.toml"
    [[variants]]
    name = "push on"
    set = { "policy.push.enabled" = true }
    [sweep]
    "policy.commercial_share" = { start = 0.01, stop = 0.30, num = 6 }
    "policy.allocation" = [{ rule = "equal" }, { rule = "head_boost" }]
    [sample]                       # Latin hypercube, Sobol or Morris design (SALib)
    method = "sobol"
    n = 64
    bounds = { "policy.commercial_share" = [0.01, 0.30], "gifts.send_probability" = [0.1, 0.5] }

Paths are relative to the batch file.

Uncertainty over behaviour parameters and robustness flags (see :mod:`sim.batch.uncertainty`)::

    uncertainty = "posterior"      # draws from sim.evidence.POSTERIOR_FILE
    [uncertainty]                  # or a posterior file of one's own, or ranges (Latin hypercube)
    posterior = "posterior.parquet"
    ranges = { "policy.ad_annoyance" = [0.005, 0.1] }
    draws = 20
    robustness = "default"         # or a table of unsourced parameters and their ranges:
    [robustness]
    parameters = { "policy.ad_annoyance" = [0.005, 0.1] }
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from ..scenario import KeyProblem, ScenarioError, describe_errors, read_toml
from ..scenario.errors import folder_name

__all__ = ["BatchSpec", "Variant", "Range", "Sample", "Uncertainty", "Robustness", "load_batch", "DEFAULT_OUTCOMES",
           "MAX_DRAWS", "DEFAULT_DRAWS", "DEFAULT_ROBUSTNESS"]

def _default_outcomes() -> tuple[str, ...]:
    from ..metrics import RUN_OUTCOMES

    return RUN_OUTCOMES.view("batch")


DEFAULT_OUTCOMES = _default_outcomes()
"""Summary outcomes compared across points by default: the ``"batch"`` view of
:data:`sim.metrics.RUN_OUTCOMES`."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _ordered_bounds(b: dict[str, list[float]]) -> dict[str, list[float]]:
    for key, (lo, hi) in b.items():
        if not hi > lo:
            raise ValueError(f"bounds of {key!r}: upper ({hi}) must exceed lower ({lo})")
    return b


Bounds = Annotated[dict[str, Annotated[list[float], Field(min_length=2, max_length=2)]],
                   AfterValidator(_ordered_bounds)]
"""Scenario keys and their [low, high] bounds, low < high (sampled or calibrated keys)."""

_folder_name = folder_name


ResultsName = Annotated[str, Field(min_length=1, max_length=120), AfterValidator(_folder_name)]
"""A name that becomes a folder under ``results/``: letters, digits, ``_.-``, not starting
with a dot or a dash, so the folder cannot leave ``results/``."""


class Variant(_Strict):
    """A named point: a scenario file (default: the batch's ``base``) plus overrides."""

    name: str = Field(min_length=1, max_length=200)
    scenario: str | None = None
    set: dict[str, Any] = {}


class Range(_Strict):
    """Numbers from ``start`` to ``stop`` inclusive: ``num`` evenly spaced, or by ``step``.

    For an integer scenario key (``merchants.sme.count``) the values must be whole
    numbers, which become integers (``{ start = 0, stop = 6, num = 4 }``: 0, 2, 4, 6);
    ``integer = true`` rounds them instead.
    """

    start: StrictFloat
    stop: StrictFloat
    num: StrictInt | None = Field(default=None, ge=1, le=100_000)
    step: StrictFloat | None = Field(default=None, gt=0)
    integer: bool = False
    """Round the values to the nearest integer."""

    @model_validator(mode="after")
    def _one(self) -> Range:
        if (self.num is None) == (self.step is None):
            raise ValueError("give exactly one of num or step")
        if self.stop < self.start:
            raise ValueError(f"stop ({self.stop}) is below start ({self.start})")
        if self.step is not None and (self.stop - self.start) / self.step > 100_000:
            raise ValueError("more than 100,000 values")
        return self

    def values(self) -> list[float | int]:
        """The range's values in order: ``num`` evenly spaced from ``start`` to ``stop``, or
        ``start`` plus multiples of ``step`` up to ``stop``; ints for an integer range."""
        if self.num is not None:
            v = np.linspace(self.start, self.stop, self.num)
        else:
            count = int(math.floor((self.stop - self.start) / self.step + 1e-9)) + 1
            v = self.start + self.step * np.arange(count)
        return [int(round(x)) for x in v] if self.integer else [round(float(x), 12) for x in v]


class Sample(_Strict):
    """A sampled design over numeric scenario keys, drawn with SALib."""

    method: Literal["latin", "sobol", "morris"]
    n: StrictInt = Field(ge=1)
    """Base sample size: Latin gives n points, Sobol n (2 D + 2) (with second order) or
    n (D + 2), Morris n (D + 1) for D parameters. Sobol needs a power of 2 (64, 128...).
    No cap of its own: the design's runs (points x replicates) are counted from these
    formulas and refused above the batch's run limit (``max_runs`` or ``--max-runs``)
    before anything is drawn."""
    bounds: Bounds = Field(min_length=1)
    integer: list[str] = []
    """Keys of ``bounds`` whose sampled values are rounded to integers. Integer scenario
    keys (``merchants.sme.count``) are rounded to the nearest integer without being
    listed; list a number (float) key here to sample it on whole numbers only (its bounds
    must then hold at least two integers)."""
    second_order: bool = False
    """Sobol only: also sample for second-order indices."""
    levels: StrictInt = Field(default=4, ge=2, le=100)
    """Morris only: grid levels, an even number (SALib's Morris design needs one)."""

    @model_validator(mode="after")
    def _check_design(self) -> Sample:
        if self.levels % 2:
            raise KeyProblem("levels", "Morris grid levels must be an even number (SALib's Morris design "
                             f"needs one); allowed: an even number 2 <= levels <= 100, e.g. {self.levels - 1} "
                             f"or {self.levels + 1}", self.levels)
        for i, key in enumerate(self.integer):
            if key not in self.bounds:
                raise KeyProblem(("integer", i), "is not a key of bounds; allowed: "
                                 + ", ".join(map(repr, self.bounds)), key)
        n = self.n
        if self.method == "sobol" and n & (n - 1):
            lo = 1 << (n.bit_length() - 1)
            raise KeyProblem("n", f"a Sobol design needs a power of 2 (its points are balanced only "
                             f"then); allowed: a power of 2, e.g. {lo:,} or {2 * lo:,}", n)
        return self


DEFAULT_ROBUSTNESS: dict[str, tuple[float, float]] = {
    "policy.ad_annoyance": (0.005, 0.1),
    "policy.push.annoyance": (0.5, 2.0),
    "merchants.brand.fixed_cost_per_week": (65.0, 146.0),  # calibrated: its 90% posterior interval
    "merchants.sme.fixed_cost_per_week": (2.0, 20.0),
    "merchants.white_label.fixed_cost_per_week": (1.0, 10.0),
}
"""The unsourced behaviour and market parameters that ``robustness = "default"`` varies,
with their plausible ranges (assumptions, docs/model.md): annoyance per commercial
impression (issue 15: 0.01 -> 0.1 moved muting from 0% to 54%), annoyance per push,
and each built-in merchant kind's weekly fixed cost (RMB). Occasion lifts have no scalar
scenario key (``occasions`` is a list of tables), so they are not in the list."""

MAX_DRAWS = 1_000
"""The most parameter draws a batch may ask for (each point runs draws x replicates)."""

DEFAULT_DRAWS = 20
"""Parameter draws of an ``[uncertainty]`` table that does not say ``draws``."""


class Uncertainty(_Strict):
    """Uncertainty over behaviour parameters: each point runs over ``draws`` parameter
    draws x the batch's replicates, with common random numbers across points.

    Give exactly one of ``posterior`` (a Parquet posterior sample: one float column per
    dotted scenario key, ``weight`` and optionally ``generation``; rows drawn by weight;
    a path relative to the batch file, or ``"shipped"`` for :data:`sim.evidence.POSTERIOR_FILE`)
    or ``ranges`` (a seeded Latin hypercube over [low, high] per key)."""

    posterior: str | None = Field(default=None, min_length=1)
    ranges: Bounds | None = None
    draws: StrictInt = Field(default=DEFAULT_DRAWS, ge=1, le=MAX_DRAWS)
    """Parameter draws per point (1 to :data:`MAX_DRAWS`)."""

    @model_validator(mode="after")
    def _one_source(self) -> Uncertainty:
        if (self.posterior is None) == (self.ranges is None):
            raise KeyProblem("posterior", "give exactly one of posterior (a Parquet file) or ranges "
                             '(e.g. ranges = { "policy.ad_annoyance" = [0.005, 0.1] })')
        if self.ranges is not None and not self.ranges:
            raise KeyProblem("ranges", "is empty; allowed: one or more scenario keys with [low, high]")
        return self


class Robustness(_Strict):
    """One-at-a-time robustness: each parameter at the low and at the high end of its
    range, at every point, with the base runs' replicates and seeds."""

    parameters: Bounds = Field(min_length=1, max_length=50)
    """Scenario keys and their [low, high] ranges (1 to 50 keys)."""


SweepValues = list[Any] | Range


def _same_key(value: Any) -> str:
    """A value as compared for duplicates: numbers by value (1 and 1.0 are the same
    scenario value), tables whatever their key order."""
    def canon(v: Any) -> Any:
        if isinstance(v, bool) or not isinstance(v, int | float):
            if isinstance(v, dict):
                return {str(k): canon(x) for k, x in v.items()}
            if isinstance(v, list):
                return [canon(x) for x in v]
            return v
        return float(v)

    return json.dumps(canon(value), sort_keys=True, default=str)


def _first_repeat(values: list[Any]) -> Any | None:
    seen: set[str] = set()
    for v in values:
        key = _same_key(v)
        if key in seen:
            return v
        seen.add(key)
    return None


class BatchSpec(_Strict):
    """A validated batch file."""

    name: ResultsName
    """Batch name; results go to ``results/<name>/`` (letters, digits, ``_.-``, not
    starting with a dot, so the folder cannot leave ``results/``)."""
    description: str = ""
    base: str | None = None
    scenarios: list[str] = []
    variants: list[Variant] = []
    sweep: dict[str, SweepValues] = {}
    sample: Sample | None = None
    replicates: StrictInt = Field(default=10, ge=1, le=1_000_000)
    seed: StrictInt = Field(default=0, ge=0, le=2**63 - 1)
    """Master seed: run seeds derive from it by ``SeedSequence(seed, spawn_key=(point, replicate))``."""
    common_random_numbers: bool = False
    """Key run seeds by replicate only, so every point's replicate r shares its seed
    (common random numbers: sharper comparisons between points)."""
    outcomes: list[str] = list(DEFAULT_OUTCOMES)
    events: bool = False
    """Also consolidate every run's gift events into ``events.parquet``."""
    uncertainty: Uncertainty | None = None
    """Parameter uncertainty: an :class:`Uncertainty` table, or ``"posterior"`` (read as
    ``{ posterior = "shipped" }``: :data:`DEFAULT_DRAWS` draws from the shipped posterior);
    None (default): none."""
    robustness: Robustness | None = None
    """Robustness flags: a :class:`Robustness` table, or ``"default"`` (read as
    ``{ parameters = DEFAULT_ROBUSTNESS }``); None (default): none."""
    max_runs: StrictInt | None = Field(default=None, ge=1)
    """The largest number of runs (points x replicates) accepted; default 10,000,000
    (``sim.batch.plan.DEFAULT_MAX_RUNS``). ``--max-runs`` on the command line overrides it."""

    @field_validator("uncertainty", "robustness", mode="before")
    @classmethod
    def _named(cls, value: Any, info) -> Any:
        if not isinstance(value, str):
            return value
        name, table = (("posterior", {"posterior": "shipped"}) if info.field_name == "uncertainty"
                       else ("default", {"parameters": {k: list(v) for k, v in DEFAULT_ROBUSTNESS.items()}}))
        if value != name:
            what = "posterior = FILE or ranges" if info.field_name == "uncertainty" else "parameters"
            raise ValueError(f'allowed: "{name}" or a table [{info.field_name}] with {what}')
        return table

    @field_validator("scenarios", "variants")
    @classmethod
    def _not_empty(cls, value: list[Any], info) -> list[Any]:
        # only an explicit empty list reaches here (defaults are not validated)
        if not value:
            what = "scenario file" if info.field_name == "scenarios" else "[[variants]] table"
            raise ValueError(f"empty; list at least one {what}, or leave {info.field_name} out")
        return value

    @field_validator("sweep")
    @classmethod
    def _distinct_values(cls, sweep: dict[str, SweepValues]) -> dict[str, SweepValues]:
        for key, values in sweep.items():
            listed = values if isinstance(values, list) else values.values()
            if not isinstance(values, list) and len(set(listed)) == len(listed):
                continue  # a range's numbers are all floats or all ints: a set finds repeats fast
            repeat = _first_repeat(listed)
            if repeat is None:
                continue
            if isinstance(values, list):
                raise ValueError(f"{key!r} lists {repeat!r} more than once; each value makes one point, "
                                 "so give each value once")
            raise ValueError(f"{key!r} gives {repeat!r} more than once ({len(listed)} values"
                             + (", rounded to integers" if values.integer else "")
                             + "); use fewer values (num) or a larger step")
        return sweep

    @model_validator(mode="after")
    def _has_points(self) -> BatchSpec:
        if self.base is None and not self.scenarios and not any(v.scenario for v in self.variants):
            raise KeyProblem("base", "required: name a scenario with base, scenarios or variants[].scenario")
        if self.sweep and self.sample is not None:
            raise KeyProblem("sample", "use either [sweep] or [sample], not both")
        for key, values in self.sweep.items():
            if isinstance(values, list) and not values:
                raise KeyProblem(("sweep", key), "has no values; allowed: a list of one or more values, or a "
                                 "range table { start, stop, num or step }")
        names = [v.name for v in self.variants]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise KeyProblem(("variants", i, "name"), f"variant names must be unique: {name!r} is also "
                                 f"variants[{names.index(name)}]", name)
        return self


def load_batch(path: str | Path) -> tuple[BatchSpec, Path]:
    """Read and validate a batch file.

    Returns
    -------
    spec : BatchSpec
    folder : Path
        The batch file's folder (scenario paths are relative to it).

    Raises
    ------
    ScenarioError
        Naming the file, key and allowed values for any problem.
    """
    path = Path(path)
    raw = read_toml(path)
    try:
        spec = BatchSpec.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(describe_errors(exc, raw, str(path), root=BatchSpec)) from None
    from ..metrics import RUN_OUTCOMES

    unknown = [o for o in spec.outcomes if o not in RUN_OUTCOMES]
    if unknown:
        raise ScenarioError(
            f"{path}: outcomes: unknown {', '.join(map(repr, unknown))}; allowed: "
            + ", ".join(RUN_OUTCOMES)
        )
    return spec, path.resolve().parent
