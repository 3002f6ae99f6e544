"""Public look-ups in the scenario schema: which pydantic field a dotted key names, what
types an annotation holds, a field's numeric bounds, whether it takes whole numbers or
may be left unset.

Batch planning, calibration, the browser's controls and the messages read the schema
through these functions rather than through pydantic's internals.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

import annotated_types
from pydantic import BaseModel

from ..policies import AllocationParams, params_class, registered_rules
from .schema import Scenario

__all__ = [
    "TAG_KEYS",
    "allows_none",
    "annotation_types",
    "dict_values",
    "field_bounds",
    "find_model",
    "format_bounds",
    "is_integer_field",
    "model_for",
    "schema_field",
    "unwrap_all",
]


TAG_KEYS = ("kind", "rule", "dist")  # a table whose tag changes is a different table


def schema_field(key: str | list[str] | tuple[str, ...], doc: Mapping[str, Any] | None = None,
                 root: type[BaseModel] = Scenario):
    """The pydantic field that a dotted scenario key names, or None if there is none.

    Tagged tables (``graph``, ``mode``, ``policy.allocation``, distributions) are resolved
    by their tag in ``doc`` (a raw or dumped scenario): ``graph.m`` is a field only when
    ``doc``'s graph kind has one.
    """
    parts = key.split(".") if isinstance(key, str) else list(key)
    model: type[BaseModel] | None = root
    node: Any = doc
    field = None
    for i, part in enumerate(parts):
        if model is None:
            return None
        field = model.model_fields.get(part) or getattr(model, "FREE_KEY_FIELD", None)  # a merchant kind
        if field is None:
            return None
        node = node.get(part) if isinstance(node, Mapping) else None
        if i < len(parts) - 1:
            model = model_for(annotation_types(field.annotation), dict(node) if isinstance(node, Mapping) else {})
    return field


def is_integer_field(field) -> bool:
    """Whether a field holds whole numbers (``StrictInt``, a ``Literal`` of ints, or a list of them)."""
    kinds = annotation_types(field.annotation)
    ints = [t for t in kinds if t is int or (typing.get_origin(t) is typing.Literal
                                              and all(type(a) is int for a in typing.get_args(t)))]
    return bool(ints) and float not in kinds


def allows_none(field) -> bool:
    """Whether a field may be left unset (None)."""
    return type(None) in annotation_types(field.annotation)


def annotation_types(tp: Any) -> list[Any]:
    """The BaseModel classes (and other types) an annotation may hold: ``Annotated`` and
    unions are opened, a list or tuple gives its item type; e.g. ``Annotated[A | B, ...]``
    gives ``[A, B]``."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return annotation_types(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(tp):
            out += annotation_types(arg)
        return out
    if origin in (list, tuple):
        return annotation_types(typing.get_args(tp)[0]) if typing.get_args(tp) else []
    return [tp]


def model_for(candidates: list[Any], node: Any) -> type[BaseModel] | None:
    """The model class among ``candidates`` (from :func:`annotation_types`) that a raw
    table ``node`` stands for: the only one; for ``policy.allocation``, the params class
    of ``node``'s registered rule; for a tagged union, the member whose ``kind``,
    ``dist`` or ``rule`` matches the node's; None when no class fits (or none is a model)."""
    models = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
    if not models:
        return None
    if len(models) == 1:
        m = models[0]
        if m is AllocationParams and isinstance(node, dict) and node.get("rule") in registered_rules():
            return params_class(node["rule"])
        return m
    if isinstance(node, dict):  # tagged union: pick by the tag's value
        for m in models:
            for tag in ("kind", "dist", "rule"):
                f = m.model_fields.get(tag)
                if f is not None and node.get(tag) in typing.get_args(f.annotation):
                    return m
    return None


def dict_values(tp: Any) -> Any:
    """The value type of a ``dict[str, X]`` annotation (None for anything else)."""
    if typing.get_origin(tp) is typing.Annotated:
        return dict_values(typing.get_args(tp)[0])
    if typing.get_origin(tp) is dict and len(typing.get_args(tp)) == 2:
        return typing.get_args(tp)[1]
    return None


def field_bounds(field) -> tuple[float | None, bool, float | None, bool]:
    """Numeric bounds of a pydantic field: (low, low is strict, high, high is strict);
    None for a missing bound."""
    lo = hi = None
    lo_strict = hi_strict = False
    for m in field.metadata:
        if isinstance(m, annotated_types.Ge):
            lo, lo_strict = m.ge, False
        elif isinstance(m, annotated_types.Gt):
            lo, lo_strict = m.gt, True
        elif isinstance(m, annotated_types.Le):
            hi, hi_strict = m.le, False
        elif isinstance(m, annotated_types.Lt):
            hi, hi_strict = m.lt, True
    return lo, lo_strict, hi, hi_strict


def format_bounds(field, name: str, le: str = "<=") -> str | None:
    """``0 <= name <= 1`` (or None without bounds); ``le`` spells "at most"."""
    lo, lo_strict, hi, hi_strict = field_bounds(field)
    if lo is None and hi is None:
        return None
    left = f"{lo:g} {'<' if lo_strict else le} " if lo is not None else ""
    right = f" {'<' if hi_strict else le} {hi:g}" if hi is not None else ""
    return f"{left}{name}{right}"


def find_model(root: type[BaseModel], name: str, _seen: set | None = None) -> type[BaseModel] | None:
    """The model class called ``name`` reachable from ``root``'s fields."""
    seen = _seen if _seen is not None else set()
    if root.__name__ == name:
        return root
    seen.add(root)
    for f in root.model_fields.values():
        for t in unwrap_all(f.annotation):
            if isinstance(t, type) and issubclass(t, BaseModel) and t not in seen:
                found = find_model(t, name, seen)
                if found is not None:
                    return found
    return None


def unwrap_all(tp: Any) -> list[Any]:
    """Like :func:`annotation_types`, also looking into dict values."""
    if typing.get_origin(tp) is dict:
        args = typing.get_args(tp)
        return unwrap_all(args[1]) if len(args) == 2 else []
    out = []
    for t in annotation_types(tp):
        out += unwrap_all(t) if typing.get_origin(t) is dict else [t]
    return out
