"""Controls generated from the scenario schema: walk the pydantic models and turn every
scalar field (number, bool, literal) into a control spec, so a new schema field shows up
in the browser without UI code. Values go back through :func:`sim.scenario.with_overrides`,
so the schema's validation (and its messages) applies to every change."""

from __future__ import annotations

import ast
import datetime as dt
import functools
import inspect
import math
import textwrap
import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from ..policies import AllocationParams, registered_rules
from ..scenario import Scenario, with_overrides
from ..scenario.introspection import field_bounds

__all__ = ["ControlSpec", "control_specs", "apply_overrides", "set_override", "SECTIONS",
           "ROLLOUT_SPEED", "rollout_speed_schedule"]

SECTIONS = ("policy", "gifts", "population", "merchants", "groups", "calendar")
"""Scenario tables whose scalar fields become controls, in display order."""

ROLLOUT_SPEED = "rollout.speed"
"""A derived control: compresses (> 1) or stretches (< 1) the staged rollout's schedule in
time; it is turned into a ``rollout.schedule`` override."""

_SLIDER_MAX_SPAN = 100.0
_TAGS = ("dist", "kind", "rule")  # union tags: switching one needs a whole new table


@dataclass(frozen=True)
class ControlSpec:
    """One control.

    Attributes
    ----------
    key : str
        Dotted scenario key, e.g. ``policy.commercial_share``.
    kind : {"float", "int", "bool", "choice", "multi"}
    value : object
        Current value in the scenario.
    lo, hi : float or None
        Bounds from the schema (inclusive or exclusive; see ``lo_open``/``hi_open``).
    choices : tuple
        Allowed values of a ``choice`` or ``multi`` control.
    slider : bool
        Both bounds known and close enough for a slider; else a number field.
    step : float
        Slider step.
    help : str
        The field's documentation in the schema.
    """

    key: str
    kind: str
    value: Any
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    choices: tuple = ()
    slider: bool = False
    step: float = 1.0
    help: str = ""

    @property
    def section(self) -> str:
        """The key's parent table, e.g. ``policy.push`` for ``policy.push.reach`` (controls are grouped by it)."""
        return self.key.rpartition(".")[0]

    @property
    def label(self) -> str:
        """The control's label: the key's last part with spaces for underscores (``click through``)."""
        return self.key.rpartition(".")[2].replace("_", " ")


@functools.cache
def _attribute_docs(cls: type) -> dict[str, str]:
    """Docstrings written under fields in a class body (the schema's convention)."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not (isinstance(klass, type) and issubclass(klass, BaseModel)) or klass is BaseModel:
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError, SyntaxError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for a, b in zip(body, body[1:]):
            if (isinstance(a, ast.AnnAssign) and isinstance(a.target, ast.Name)
                    and isinstance(b, ast.Expr) and isinstance(b.value, ast.Constant)
                    and isinstance(b.value.value, str)):
                docs[a.target.id] = " ".join(b.value.value.split())
    return docs


def _strip(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _bounds(info) -> tuple[float | None, float | None, bool, bool]:
    """(low, high, low is open, high is open) of a field, as floats (see
    :func:`sim.scenario.introspection.field_bounds`)."""
    lo, lo_open, hi, hi_open = field_bounds(info)
    return (None if lo is None else float(lo)), (None if hi is None else float(hi)), lo_open, hi_open


def _literal_values(tp: Any) -> tuple | None:
    tp = _strip(tp)
    if typing.get_origin(tp) is Literal:
        return typing.get_args(tp)
    return None


def _spec(key: str, tp: Any, info, value: Any, doc: str) -> ControlSpec | None:
    tp = _strip(tp)
    lits = _literal_values(tp)
    if lits is not None:
        return ControlSpec(key, "choice", value, choices=lits, help=doc)
    origin = typing.get_origin(tp)
    if origin in (tuple, list):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        inner = _literal_values(args[0]) if len(args) == 1 else None
        if inner is not None:
            return ControlSpec(key, "multi", tuple(value), choices=inner, help=doc)
        return None
    if tp is bool:
        return ControlSpec(key, "bool", bool(value), help=doc)
    if tp in (int, float) and isinstance(value, (int, float)) and not isinstance(value, bool):
        lo, hi, lo_open, hi_open = _bounds(info)
        slider = lo is not None and hi is not None and (hi - lo) <= (_SLIDER_MAX_SPAN if tp is float else 1000)
        if tp is float:
            span = (hi - lo) if slider else 1.0
            step = 10 ** math.floor(math.log10(span)) / 200 if span > 0 else 0.01
            return ControlSpec(key, "float", float(value), lo, hi, lo_open, hi_open,
                               slider=slider, step=step, help=doc)
        return ControlSpec(key, "int", int(value), lo, hi, lo_open, hi_open, slider=slider,
                           step=1, help=doc)
    return None  # optional values, dates, lists of tables, distributions: not a scalar


def _walk(model: BaseModel, prefix: str, out: list[ControlSpec]) -> None:
    cls = type(model)
    docs = _attribute_docs(cls)
    nested: list[tuple[str, BaseModel]] = []
    for name, info in cls.model_fields.items():
        key = f"{prefix}.{name}"
        value = getattr(model, name)
        if isinstance(value, AllocationParams):
            out.append(ControlSpec(f"{key}.rule", "choice", value.rule,
                                   choices=tuple(registered_rules()), help=docs.get(name, "")))
            pdocs = _attribute_docs(type(value))
            for pname, pinfo in type(value).model_fields.items():
                if pname == "rule":
                    continue
                s = _spec(f"{key}.{pname}", pinfo.annotation, pinfo, getattr(value, pname),
                          pdocs.get(pname, ""))
                if s is not None:
                    out.append(s)
            continue
        if isinstance(value, BaseModel):
            nested.append((key, value))
            continue
        if name in _TAGS:
            continue
        s = _spec(key, info.annotation, info, value, docs.get(name, ""))
        if s is not None:
            out.append(s)
    for key, value in nested:  # a table's own scalars first, then its sub-tables
        _walk(value, key, out)


def control_specs(scenario: Scenario, sections: tuple[str, ...] = SECTIONS,
                  rollout_speed: float = 1.0) -> list[ControlSpec]:
    """Controls for every scalar field of ``sections``, plus the allocation rule (from
    :func:`sim.policies.registered_rules`) with its current rule's parameters, plus the
    derived rollout speed; in schema order."""
    out: list[ControlSpec] = []
    for sec in sections:
        _walk(getattr(scenario, sec), sec, out)
    if len(scenario.rollout.schedule) > 1:
        out.append(ControlSpec(ROLLOUT_SPEED, "float", float(rollout_speed), 0.25, 4.0, slider=True,
                               step=0.05, help="Speed of the staged rollout: 2 reaches each share "
                               "in half the time, 0.5 in twice the time (rescales the schedule's dates)."))
    return out


def rollout_speed_schedule(scenario: Scenario, speed: float) -> list[dict[str, Any]]:
    """The rollout schedule with every point's distance from the first divided by ``speed``
    (rounded to whole days, kept strictly increasing)."""
    if not speed > 0:
        raise ValueError(f"rollout speed must be > 0, got {speed}")
    pts = scenario.rollout.schedule
    first = pts[0].date
    out: list[dict[str, Any]] = []
    last: dt.date | None = None
    for p in pts:
        d = first + dt.timedelta(days=round((p.date - first).days / speed))
        if last is not None and d <= last:
            d = last + dt.timedelta(days=1)
        out.append({"date": d, "share": p.share})
        last = d
    return out


def set_override(overrides: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A new override dict with ``key`` set: changing the allocation rule replaces the whole
    ``policy.allocation`` table (the new rule's defaults) and drops the old rule's params."""
    out = dict(overrides)
    if key.endswith(".allocation.rule"):
        table = key.rpartition(".")[0]
        out = {k: v for k, v in out.items() if not k.startswith(table + ".") and k != table}
        out[table] = {"rule": value}
        return out
    out.pop(key, None)
    out[key] = value
    return out


def apply_overrides(base: Scenario, overrides: dict[str, Any]) -> Scenario:
    """``base`` with the overrides applied (in insertion order) and validated.

    Raises
    ------
    sim.scenario.ScenarioError
        If a value is out of range; the message names the key, the value and the range.
    """
    pairs: list[tuple[str, Any]] = []
    for key, value in overrides.items():
        if key == ROLLOUT_SPEED:
            pairs.append(("rollout.schedule", rollout_speed_schedule(base, float(value))))
        else:
            pairs.append((key, list(value) if isinstance(value, tuple) else value))
    return with_overrides(base, pairs, source="explorer") if pairs else base
