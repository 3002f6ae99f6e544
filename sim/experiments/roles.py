"""Parameter roles over dotted scenario keys: what an experiment varies, and why.

As in the EMA Workbench (uncertainties, levers, constants): an **uncertainty** is a fact
of the world that is not known (a sampled design explores it, a calibration fits it), a
**lever** is what the platform chooses (a policy search optimises it), a **constant** is
held at one value. A :class:`Parameter` names a dotted scenario key
(``policy.commercial_share``, ``population.pay_forward.a``) with its role and its bounds
(or its value, for a constant); a :class:`ParameterSpace` is an ordered set of them with
unique keys. Batch files' ``[sample]`` bounds and calibration files' ``parameters`` are
read into one (their file formats are unchanged).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Role", "Parameter", "ParameterSpace", "check_key"]


class Role(enum.Enum):
    """Why a parameter varies: an unknown fact, a choice, or neither."""

    UNCERTAINTY = "uncertainty"
    LEVER = "lever"
    CONSTANT = "constant"


def check_key(key: str) -> str:
    """``key`` if it is a dotted scenario key (non-empty parts separated by single dots,
    no surrounding space); returns it.

    Raises
    ------
    ValueError
        Naming the key and what is allowed.
    """
    if not isinstance(key, str) or not key or any(not p or p != p.strip() for p in key.split(".")):
        raise ValueError(f"parameter key {key!r}: not a dotted scenario key; allowed: names joined by single "
                         "dots, e.g. policy.commercial_share")
    return key


@dataclass(frozen=True)
class Parameter:
    """One scenario key an experiment varies (or holds).

    Attributes
    ----------
    key : str
        Dotted scenario key.
    role : Role
    bounds : (float, float) or None
        ``[low, high]``, low < high, both finite, for an uncertainty or a lever; None for a
        constant.
    integer : bool, default False
        Values are rounded to the nearest integer.
    value : Any, default None
        A constant's value.

    Raises
    ------
    ValueError
        On a malformed key, bounds that are not finite with low < high, a varying
        parameter without bounds, or a constant with bounds.
    """

    key: str
    role: Role
    bounds: tuple[float, float] | None = None
    integer: bool = False
    value: Any = None

    def __post_init__(self) -> None:
        """Check the declaration."""
        check_key(self.key)
        if not isinstance(self.role, Role):
            raise ValueError(f"parameter {self.key!r}: role must be a Role, got {self.role!r}")
        if self.role is Role.CONSTANT:
            if self.bounds is not None:
                raise ValueError(f"parameter {self.key!r}: a constant has a value, not bounds")
            return
        if self.bounds is None or len(self.bounds) != 2:
            article = "an" if self.role is Role.UNCERTAINTY else "a"
            raise ValueError(f"parameter {self.key!r}: {article} {self.role.value} needs bounds [low, high]")
        lo, hi = (float(b) for b in self.bounds)
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(f"parameter {self.key!r}: bounds [{lo:g}, {hi:g}]: need finite low < high")
        object.__setattr__(self, "bounds", (lo, hi))

    @property
    def varies(self) -> bool:
        """True for an uncertainty or a lever."""
        return self.role is not Role.CONSTANT


class ParameterSpace(Sequence[Parameter]):
    """An ordered set of :class:`Parameter` with unique keys.

    Parameters
    ----------
    parameters : iterable of Parameter

    Raises
    ------
    ValueError
        If a key appears twice.
    """

    def __init__(self, parameters: Iterable[Parameter]) -> None:
        self._params = tuple(parameters)
        keys = [p.key for p in self._params]
        twice = next((k for k in keys if keys.count(k) > 1), None)
        if twice is not None:
            raise ValueError(f"parameter {twice!r} is declared twice")

    @classmethod
    def from_bounds(cls, bounds: Mapping[str, Sequence[float]], role: Role = Role.UNCERTAINTY,
                    integer: Iterable[str] = ()) -> ParameterSpace:
        """A space of ``role`` parameters from ``{key: [low, high]}`` (a batch's
        ``sample.bounds``, a calibration's ``parameters``), keys in ``integer`` rounded."""
        whole = set(integer)
        return cls(Parameter(k, role, (b[0], b[1]), k in whole) for k, b in bounds.items())

    def __getitem__(self, i):
        """The item at ``i`` (or key)."""
        return self._params[i]

    def __len__(self) -> int:
        """The number of items."""
        return len(self._params)

    def __iter__(self) -> Iterator[Parameter]:
        """Iterate in order."""
        return iter(self._params)

    @property
    def keys(self) -> list[str]:
        """The keys, in order."""
        return [p.key for p in self._params]

    def of_role(self, role: Role) -> ParameterSpace:
        """The parameters of one role, in order."""
        return ParameterSpace(p for p in self._params if p.role is role)

    def varying(self) -> ParameterSpace:
        """The uncertainties and levers, in order."""
        return ParameterSpace(p for p in self._params if p.varies)

    def bounds(self) -> list[tuple[float, float]]:
        """``(low, high)`` of each varying parameter, in order."""
        return [p.bounds for p in self._params if p.bounds is not None]

    def midpoint(self) -> list[float]:
        """The middle of each varying parameter's bounds, in order."""
        return [0.5 * (lo + hi) for lo, hi in self.bounds()]

    def salib_problem(self) -> dict[str, Any]:
        """The SALib problem dictionary of the varying parameters (``num_vars``,
        ``names``, ``bounds`` as lists)."""
        var = self.varying()
        return {"num_vars": len(var), "names": var.keys, "bounds": [list(b) for b in var.bounds()]}

    def assignments(self, x: Sequence[float]) -> list[tuple[str, float]]:
        """``(key, value)`` overrides of the varying parameters at ``x`` (one value each, in
        order, as floats) followed by the constants' values.

        Raises
        ------
        ValueError
            If ``x`` does not have one value per varying parameter.
        """
        var = self.varying()
        if len(x) != len(var):
            raise ValueError(f"{len(x)} values for {len(var)} varying parameters ({', '.join(var.keys)})")
        out = [(p.key, float(v)) for p, v in zip(var, x)]
        return out + [(p.key, p.value) for p in self._params if p.role is Role.CONSTANT]
