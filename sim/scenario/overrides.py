"""``--set`` overrides and batch points: parse ``key.path=value`` and apply dotted keys
to a raw scenario document (see :func:`apply_overrides` for the rules)."""

from __future__ import annotations

import copy
import math
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from .errors import ScenarioError
from .introspection import TAG_KEYS, allows_none, is_integer_field, schema_field
from .reading import MAX_DEPTH, too_deep
from .text import dotted_key, inline_value, toml_value
from .values import node_at

__all__ = ["OverrideSource", "apply_overrides", "is_override", "nested_override_problem", "parse_override"]


class OverrideSource(str):
    """The source of a key an override set (``FILE (--set)``, a batch point), as kept in
    ``origin``: a ``str`` whose type lets error messages tell it from the files."""

    __slots__ = ()


def is_override(origin: Mapping[str, str] | None, key: str) -> bool:
    """Whether ``origin`` (dotted key to source) says an override set ``key``."""
    return origin is not None and isinstance(origin.get(key), OverrideSource)


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``key.path=value``; the value is read as TOML (``0.1``, ``true``,
    ``"equal"``, ``[1, 2]``, ``{ dist = "beta", a = 2, b = 5 }``), else as a bare string.

    Raises
    ------
    ScenarioError
        If there is no ``=`` or the key is empty, or the value nests tables or arrays
        more than 20 levels deep.
    """
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ScenarioError(f"--set {text!r}: expected KEY=VALUE with a dotted KEY, e.g. policy.commercial_share=0.05")
    nests_too_deep = False
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()
    except RecursionError:  # hundreds of nested inline tables or arrays
        parsed, nests_too_deep = None, True
    placed = parsed
    for part in reversed(key.split(".")):  # as deep as it will sit in the scenario
        placed = {part: placed}
    if nests_too_deep or too_deep(placed) is not None:
        raise ScenarioError(f"--set {key}: the value nests tables or arrays more than {MAX_DEPTH} levels deep; "
                            f"allowed: at most {MAX_DEPTH} levels of tables and arrays")
    return key, parsed


def apply_overrides(raw: dict[str, Any], overrides: Iterable[tuple[str, Any]],
                    origin: dict[str, str] | None = None, source: str = "--set", *,
                    round_floats: bool = False) -> dict[str, Any]:
    """Return a copy of ``raw`` with each dotted key set to its value (tables created as needed).

    Three rules make overrides read as a user means them:

    * setting a table's tag (``kind``, ``rule`` or ``dist``) to a new value replaces the
      whole table, as ``extends`` does: ``policy.allocation.rule=equal`` drops the old
      rule's keys, and the table holds the new rule's defaults plus any other keys of the
      same override list (``policy.allocation.rule=head_boost policy.allocation.boost=5``);
    * the text ``none`` unsets a key that may be left out (``gifts.chat_entry_from=none``):
      the key is removed, so its default (none) applies;
    * a whole float for an integer key (``merchants.sme.count=5.0``) becomes an int; with
      ``round_floats``, any finite float for an integer key is rounded to the nearest int
      (a calibration's optimiser proposes ``merchants.sme.count = 4.7``: the run uses 5).

    The order of the overrides never matters: a table and a key inside it are merged,
    the table first and then the key into it (``policy.allocation={ rule = "head_boost" }``
    with ``policy.allocation.boost=50`` in either order runs head_boost with boost 50); a
    key set twice keeps its last value. Values are copied, never shared with ``raw`` or
    the caller.

    Raises
    ------
    ScenarioError
        If a key runs through a value that is not a table, or a table and a key inside it
        both set that key (see :func:`nested_override_problem`; the message names both).
    """
    return _apply(raw, overrides, origin, source, round_floats=round_floats)


def nested_override_problem(pairs: Iterable[tuple[str, Any]]) -> str | None:
    """The problem with a table and a key inside it in one override list, or None.

    A table (``policy.allocation = { rule = "head_boost" }``) and a dotted key inside it
    (``policy.allocation.boost = 50``) are merged whatever their order: the table first,
    then the key into it. They are refused when the table itself sets that key (``policy =
    { commercial_share = 0.2 }`` with ``policy.commercial_share = 0.1``: two values for one
    key) or is not a table at all; the text names both keys.
    """
    last: dict[str, Any] = {}
    for key, value in pairs:
        last[key] = value
    for outer, table in last.items():
        op = outer.split(".")
        for inner, value in last.items():
            ip = inner.split(".")
            if len(ip) <= len(op) or ip[: len(op)] != op:
                continue
            if not isinstance(table, dict):
                return (f"{outer} = {inline_value(table)} and {inner} = {inline_value(value)}: {outer} is set to a "
                        f"value, not a table, so {inner} has no table to go into; set only one of them")
            node: Any = table
            for i, part in enumerate(ip[len(op):]):
                if not isinstance(node, dict) or part not in node:
                    break
                node = node[part]
                if i == len(ip) - len(op) - 1 or not isinstance(node, dict):
                    return (f"{outer} = {inline_value(table)} and {inner} = {inline_value(value)} both set "
                            f"{'.'.join(ip[: len(op) + i + 1])}; set it once (a table and a key inside it are "
                            "merged, the key into the table, whatever their order)")
    return None


def _apply(raw: dict[str, Any], overrides: Iterable[tuple[str, Any]], origin: dict[str, str] | None,
           source: str, round_floats: bool) -> dict[str, Any]:
    # shallow keys first (a table before the keys inside it), so the order given never
    # matters; a key given twice keeps its last value
    pairs = sorted(overrides, key=lambda kv: kv[0].count("."))
    source = OverrideSource(source)
    _refuse_too_deep(raw, pairs, source)  # before anything recursive (deepcopy, pydantic) sees them
    out = copy.deepcopy(raw)
    problem = nested_override_problem(pairs)
    if problem is not None:
        raise ScenarioError(f"{source}: {problem}")
    for key, _ in pairs:  # a key inside a default table: start from that table
        _seed_defaults(out, key.split("."))
    written: set[tuple[str, ...]] = set()  # keys set by these overrides (their tables are theirs)
    for depth in sorted({key.count(".") for key, _ in pairs}):
        group = [(key, value) for key, value in pairs if key.count(".") == depth]
        for key, value in group:  # a tag that changes replaces its table (see apply_overrides)
            parts = key.split(".")
            if len(parts) < 2 or parts[-1] not in TAG_KEYS:
                continue
            if any(tuple(parts[:n]) in written for n in range(1, len(parts))):
                continue  # the table was given by a shallower override: the tag goes into it
            parent = node_at(out, parts[:-2])
            table = parent.get(parts[-2]) if isinstance(parent, dict) else None
            if isinstance(table, dict) and table.get(parts[-1]) != value:
                parent[parts[-2]] = {}
                if origin is not None:
                    prefix = ".".join(parts[:-1])
                    for k in [k for k in origin if k == prefix or k.startswith(prefix + ".")]:
                        del origin[k]
                    origin[prefix] = source
        for key, value in group:
            _set_key(out, key, value, origin, source, round_floats)
            written.add(tuple(key.split(".")))
    return out


def _refuse_too_deep(raw: Mapping[str, Any], pairs: list[tuple[str, Any]], source: str) -> None:
    """Refuse a value (or ``raw``) nesting tables or arrays deeper than :data:`MAX_DEPTH`
    where it would sit in the scenario, naming its key: a value built in Python (the API
    takes any dict) is not checked by the file reader, and thousands of levels exhaust the
    interpreter's stack in ``copy.deepcopy`` (RecursionError)."""
    allowed = f"allowed: at most {MAX_DEPTH} levels of tables and arrays"
    for key, value in pairs:
        placed = value
        for part in reversed(key.split(".")):  # as deep as it will sit in the scenario
            placed = {part: placed}
        deep = too_deep(placed)
        if deep is not None:
            raise ScenarioError(f"{source} {key}: the value nests tables or arrays more than {MAX_DEPTH} levels "
                                f"deep ({_shown(deep)}); {allowed}")
    deep = too_deep(raw)
    if deep is not None:
        raise ScenarioError(f"{source}: {_shown(deep)}: tables or arrays nested more than {MAX_DEPTH} levels deep "
                            f"in the scenario; {allowed}")


def _cut(text: str, width: int = 100) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _shown(parts: list[str | int]) -> str:
    return dotted_key(parts[:6]) + ("..." if len(parts) > 6 else "")


def _seed_defaults(out: dict[str, Any], parts: list[str]) -> None:
    """Put the schema's default table (with its tag) at each missing tagged table along
    ``parts``, so that ``population.pay_forward.a=3`` changes the default distribution's
    ``a`` and keeps its ``dist`` and other parameters."""
    node: Any = out
    for i, part in enumerate(parts[:-1]):
        if not isinstance(node, dict):
            return
        if part not in node:
            field = schema_field(parts[: i + 1], out)
            if field is None:
                return
            default = field.get_default(call_default_factory=True)
            fields = type(default).model_fields if isinstance(default, BaseModel) else {}
            if any(t in fields for t in TAG_KEYS) and parts[i + 1] in fields:
                node[part] = default.model_dump(mode="python", by_alias=True)
            else:  # a plain table (or a key the default's kind lacks): left to the loop below
                node = node.setdefault(part, {})
                continue
        node = node[part]


def _set_key(out: dict[str, Any], key: str, value: Any, origin: dict[str, str] | None, source: str,
             round_floats: bool) -> None:
    """Set one dotted key of ``out`` to a copy of ``value`` (never the caller's object:
    a table shared between batch points must not change under them)."""
    node = out
    parts = key.split(".")
    for i, part in enumerate(parts[:-1]):
        nxt = node.setdefault(part, {})
        if not isinstance(nxt, dict):
            prefix = ".".join(parts[: i + 1])
            if isinstance(nxt, list):  # occasions.0.lift: a dotted key names tables only, never list items
                raise ScenarioError(
                    f"{source} {key}: {prefix} is a list, not a table, and a dotted key cannot reach inside a "
                    f"list; allowed: set the whole list, e.g. {prefix} = {_cut(toml_value(nxt))}"
                )
            raise ScenarioError(f"{source} {key}: {prefix} is a value, not a table")
        node = nxt
    field = schema_field(parts, out)
    if origin is not None:
        origin[key] = source
    if field is not None:
        if isinstance(value, str) and value.strip().lower() == "none" and allows_none(field):
            node.pop(parts[-1], None)  # unset: the key's default (none) applies
            return
        if isinstance(value, float) and math.isfinite(value) and is_integer_field(field):
            if value.is_integer() or round_floats:
                value = int(round(value))
    node[parts[-1]] = copy.deepcopy(value)
