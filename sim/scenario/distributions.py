"""Distributions named in scenario files, for per-user and per-merchant heterogeneity.

A scenario writes a distribution as a TOML inline table tagged by ``dist``::

    activity = { dist = "beta", a = 9, b = 1 }
    budget = { dist = "lognormal", median = 300, sigma = 1.0 }
    click_through = 0.05            # a bare number is a constant

Every distribution has :meth:`sample`, drawing from the run's ``numpy.random.Generator``
only, and :meth:`support`, the closed interval its draws lie in, which fields use to
reject, say, a log-normal where a probability in [0, 1] is needed.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, override

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictFloat,
    model_validator,
)

__all__ = [
    "Constant",
    "Uniform",
    "Beta",
    "LogNormal",
    "Gamma",
    "Distribution",
    "ProbabilityDist",
    "PositiveDist",
    "NonNegativeDist",
]


_TINY = float(np.finfo(np.float64).tiny)  # draws of lognormal and gamma are > 0


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` values; returns ndarray of shape (size,), dtype float64."""
        raise NotImplementedError

    def support(self) -> tuple[float, float]:
        """The closed interval (low, high) that every draw lies in."""
        raise NotImplementedError

    def mean(self) -> float:
        """The distribution's mean."""
        raise NotImplementedError


class Constant(_Dist):
    """Every draw equals ``value``."""

    dist: Literal["constant"] = "constant"
    value: StrictFloat

    @override
    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value, dtype=np.float64)

    @override
    def support(self) -> tuple[float, float]:
        return (self.value, self.value)

    @override
    def mean(self) -> float:
        return self.value


class Uniform(_Dist):
    """Uniform on [low, high]."""

    dist: Literal["uniform"] = "uniform"
    low: StrictFloat
    high: StrictFloat

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must be >= low ({self.low})")
        return self

    @override
    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    @override
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    @override
    def mean(self) -> float:
        return 0.5 * (self.low + self.high)


class Beta(_Dist):
    """Beta(a, b) on [0, 1]; mean a / (a + b)."""

    dist: Literal["beta"] = "beta"
    a: StrictFloat = Field(gt=0)
    b: StrictFloat = Field(gt=0)

    @override
    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.beta(self.a, self.b, size)

    @override
    def support(self) -> tuple[float, float]:
        return (0.0, 1.0)

    @override
    def mean(self) -> float:
        return self.a / (self.a + self.b)


class LogNormal(_Dist):
    """Log-normal with the given median (exp(mu)) and log-scale ``sigma``."""

    dist: Literal["lognormal"] = "lognormal"
    median: StrictFloat = Field(gt=0)
    sigma: StrictFloat = Field(ge=0, le=10)

    @override
    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.lognormal(math.log(self.median), self.sigma, size)

    @override
    def support(self) -> tuple[float, float]:
        return (_TINY, math.inf)

    @override
    def mean(self) -> float:
        return self.median * math.exp(0.5 * self.sigma**2)


class Gamma(_Dist):
    """Gamma with the given ``mean`` and ``shape`` (scale = mean / shape)."""

    dist: Literal["gamma"] = "gamma"
    mean_: StrictFloat = Field(gt=0, alias="mean")
    shape: StrictFloat = Field(gt=0)

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, populate_by_name=True)

    @override
    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.gamma(self.shape, self.mean_ / self.shape, size)

    @override
    def support(self) -> tuple[float, float]:
        return (_TINY, math.inf)

    @override
    def mean(self) -> float:
        return self.mean_


def _bare_number(value: object) -> object:
    # `x = 0.05` in a scenario means a constant.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"dist": "constant", "value": value}
    return value


_FIXED_SUPPORT = {"beta": (0.0, 1.0), "lognormal": (_TINY, math.inf), "gamma": (_TINY, math.inf)}
"""Support of the distributions whose draws' range does not depend on their parameters."""


def _number_bounds(low: float, high: float) -> dict[str, float]:
    """JSON Schema keywords for ``low <= x <= high`` (``low`` = the smallest positive
    float reads ``x > 0``)."""
    out: dict[str, float] = {}
    if low == _TINY:
        out["exclusiveMinimum"] = 0
    elif low > -math.inf:
        out["minimum"] = low
    if high < math.inf:
        out["maximum"] = high
    return out


class _FileForm:
    """How a distribution is written in a scenario file, for its JSON Schema: a bare
    number (a constant) or a table tagged by ``dist``, whose draws must lie in
    [``low``, ``high``] (the key's ``_within`` check). Validation is unchanged: this only
    describes it (``giftsim schema scenario``)."""

    def __init__(self, low: float = -math.inf, high: float = math.inf) -> None:
        self.low, self.high = low, high

    def __get_pydantic_json_schema__(self, core_schema, handler):
        tables = handler(core_schema)
        if "anyOf" in tables and tables["anyOf"][0].get("type") == "number":  # an unbounded form within
            tables = tables["anyOf"][1]["allOf"][0]
        bounds = _number_bounds(self.low, self.high)
        allowed = ["constant", "uniform"] + [d for d, (lo, hi) in _FIXED_SUPPORT.items()
                                             if lo >= self.low and hi <= self.high]
        rules: list[dict] = [{"required": ["dist"], "properties": {"dist": {"enum": allowed}}}]
        if bounds:
            rules.append({"if": {"properties": {"dist": {"const": "constant"}}},
                          "then": {"properties": {"value": bounds}}})
            ends = {"low": {k: v for k, v in bounds.items() if k != "maximum"},
                    "high": {k: v for k, v in bounds.items() if k == "maximum"}}
            rules.append({"if": {"properties": {"dist": {"const": "uniform"}}},
                          "then": {"properties": {k: v for k, v in ends.items() if v}}})
        return {"anyOf": [{"type": "number", **bounds}, {"allOf": [tables, *rules]}]}


Distribution = Annotated[
    Constant | Uniform | Beta | LogNormal | Gamma,
    Discriminator("dist"),
    BeforeValidator(_bare_number),
    _FileForm(),
]
"""Any scenario distribution (a bare number means ``constant``)."""


def _within(low: float, high: float, what: str, allowed: str):
    def check(d: _Dist) -> _Dist:  # noqa: D401 - a validator
        lo, hi = d.support()
        if lo < low or hi > high:
            raise ValueError(
                f"a {d.dist} distribution draws values in [{lo:.3g}, {hi:.3g}], but this key "
                f"needs {what}; allowed: {allowed}"
            )
        return d

    check.needs = what  # read by sim.scenario.reference for the parameter tables
    return AfterValidator(check)


ProbabilityDist = Annotated[
    Distribution,
    _within(0.0, 1.0, "a probability in [0, 1]", "constant, uniform or beta within [0, 1]"),
    _FileForm(0.0, 1.0),
]
"""A distribution whose draws are probabilities (share in [0, 1])."""

NonNegativeDist = Annotated[
    Distribution,
    _within(0.0, math.inf, "values >= 0", "constant or uniform >= 0, beta, lognormal, gamma"),
    _FileForm(0.0, math.inf),
]
"""A distribution whose draws are >= 0."""

PositiveDist = Annotated[
    Distribution,
    _within(_TINY, math.inf, "values > 0", "constant or uniform > 0, lognormal, gamma"),
    _FileForm(_TINY, math.inf),
]
"""A distribution whose draws are > 0 (a constant must be > 0; lognormal and gamma qualify)."""
