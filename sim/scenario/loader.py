"""Load scenario files: TOML, ``extends``, ``--set`` overrides, and clear validation errors.

A scenario file is TOML whose tables mirror :class:`sim.scenario.schema.Scenario`. It
may start with ``extends = "other.toml"`` (a path relative to it): the other file is
loaded first and this one's keys replace its keys, table by table (arrays and values
are replaced whole, and so is a table whose ``kind``, ``rule`` or ``dist`` changes: a
generated graph replaces a graph file). Relative graph paths are resolved against the
file that names them. ``--set`` overrides follow the same rule for tags, and ``--set
KEY=none`` unsets a key that may be left out (see :func:`apply_overrides`).

Every problem is reported as a :class:`ScenarioError` whose message has one line per
problem naming the file, the dotted key, the value and the allowed values, for
example::

    scenarios/x.toml: policy.commercial_share = 1.5: must be <= 1 (allowed: 0 <= commercial_share <= 1)
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import json
import math
import re
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import annotated_types
from pydantic import BaseModel, ValidationError

from ..policies import AllocationParams, params_class, registered_rules
from .errors import KeyProblem
from .schema import Scenario

__all__ = [
    "ScenarioError",
    "load_scenario",
    "load_raw",
    "parse_override",
    "apply_overrides",
    "nested_override_problem",
    "validate_scenario",
    "with_overrides",
    "describe_errors",
    "read_toml",
    "kind_of",
    "wrong_kind",
    "field_bounds",
    "format_bounds",
    "schema_field",
    "is_integer_field",
    "allows_none",
    "annotation_types",
    "date_problems",
    "check_graph_file",
]

_MAX_EXTENDS = 32
_MAX_BYTES = 10 * 1024 * 1024
_MAX_DEPTH = 20
"""Tables and arrays may nest at most this deep in a scenario, batch or calibration file
(the deepest any needs is about 6: ``[[variants]]``, its ``set``, a distribution table).
Deeper documents are refused when read: Python's TOML reader, ``copy.deepcopy`` and
pydantic all recurse, and some hundreds of levels exhaust the interpreter's stack."""


class ScenarioError(ValueError):
    """A scenario (or batch) file or override that cannot be used; the message says why,
    one line per problem, naming the file, the key and the allowed values."""


# --------------------------------------------------------------------------- reading
def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file (at most 10 MiB, UTF-8; a leading byte-order mark is skipped).

    Raises
    ------
    ScenarioError
        Naming the file (and line) if it is missing, unreadable, not UTF-8 or not TOML,
        or (naming the key, or the line) if tables and arrays nest more than 20 levels deep.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a folder, not a scenario file") from None
    except OSError as err:
        raise ScenarioError(f"{path}: cannot read: {err.strerror}") from None
    if len(data) > _MAX_BYTES:
        raise ScenarioError(f"{path}: {len(data):,} bytes; a scenario file may have at most {_MAX_BYTES:,}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ScenarioError(f"{path}: line {line}: not UTF-8 text (byte 0x{data[err.start]:02x})") from None
    if text.startswith("\ufeff"):  # a UTF-8 byte-order mark (Notepad writes one): not part of the TOML
        text = text[1:]
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{path}: invalid TOML: {err}") from None
    except RecursionError:  # hundreds of nested inline tables or arrays
        line = _deep_line(text)
        where = f"line {line}: " if line is not None else ""
        raise ScenarioError(f"{path}: {where}tables or arrays nested hundreds of levels deep; "
                            f"allowed: at most {_MAX_DEPTH} levels of tables and arrays") from None
    deep = _too_deep(doc)
    if deep is not None:
        shown = _dotted(deep[:6]) + ("..." if len(deep) > 6 else "")
        raise ScenarioError(f"{path}: {shown}: tables or arrays nested more than {_MAX_DEPTH} levels deep; "
                            f"allowed: at most {_MAX_DEPTH} levels of tables and arrays")
    return doc


def _too_deep(doc: Any) -> list[str | int] | None:
    """The key parts of the first table or array nested deeper than :data:`_MAX_DEPTH`
    in a parsed document, or None; iterative, so any depth is safe to check."""
    stack: list[tuple[Any, list[str | int]]] = [(doc, [])]
    while stack:
        node, parts = stack.pop()
        if len(parts) > _MAX_DEPTH:
            return parts
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        stack += [(v, [*parts, k]) for k, v in items if isinstance(v, dict | list)]
    return None


def _deep_line(text: str) -> int | None:
    """The line where brackets or braces outside strings and comments first open more
    than :data:`_MAX_DEPTH` levels deep (for a document too deep to parse), or None."""
    depth, line, i, quote = 0, 1, 0, ""
    while i < len(text):
        c = text[i]
        if quote:
            if text.startswith(quote, i):
                i, quote = i + len(quote), ""
                continue
            if c == "\\" and quote[0] == '"':
                line += text[i + 1: i + 2] == "\n"
                i += 2
                continue
        elif c == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif text.startswith(('"""', "'''"), i):
            quote, i = text[i: i + 3], i + 3
            continue
        elif c in "\"'":
            quote = c
        elif c in "[{":
            depth += 1
            if depth > _MAX_DEPTH:
                return line
        elif c in "]}":
            depth = max(0, depth - 1)
        line += c == "\n"
        i += 1
    return None


_BATCH_KEYS = ("replicates", "scenarios", "variants", "sweep", "sample", "base")
_CALIBRATION_KEYS = ("targets", "parameters")
_COMMAND = {"scenario": "giftsim run", "batch": "giftsim batch", "calibration": "giftsim calibrate"}


def kind_of(raw: Mapping[str, Any]) -> str:
    """``scenario``, ``batch`` or ``calibration``: what a TOML document is, from its
    top-level keys (no scenario has any of the batch or calibration keys)."""
    if any(k in raw for k in _CALIBRATION_KEYS):
        return "calibration"
    if any(k in raw for k in _BATCH_KEYS):
        return "batch"
    return "scenario"


def wrong_kind(path: str | Path, found: str, expected: str) -> ScenarioError:
    """The one-line error for a file of kind ``found`` given where a file of kind
    ``expected`` belongs, saying which command takes it."""
    return ScenarioError(f"{path}: this is a {found} file, not a {expected} file; run it with {_COMMAND[found]}")


def _resolve_paths(raw: dict[str, Any], base: Path) -> None:
    graph = raw.get("graph")
    if isinstance(graph, dict) and isinstance(graph.get("path"), str) and graph["path"]:
        p = Path(graph["path"]).expanduser()
        if not p.is_absolute():
            graph["path"] = str((base / p).resolve())


_TAG_KEYS = ("kind", "rule", "dist")  # a table whose tag changes is a different table


def _same_variant(base: Mapping[str, Any], top: Mapping[str, Any]) -> bool:
    return all(top.get(t, base.get(t)) == base.get(t) for t in _TAG_KEYS)


def _merge(base: dict[str, Any], top: Mapping[str, Any], origin: dict[str, str], src: str,
           prefix: str = "") -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(out.get(key), dict) and _same_variant(out[key], value):
            out[key] = _merge(out[key], value, origin, src, dotted + ".")
        else:
            out[key] = copy.deepcopy(value)
            for k in [k for k in origin if k == dotted or k.startswith(dotted + ".")]:
                del origin[k]
        origin[dotted] = src
    return out


def load_raw(path: str | Path, _chain: tuple[Path, ...] = ()) -> tuple[dict[str, Any], dict[str, str]]:
    """Read a scenario file and the files it extends, merged, before validation.

    Returns
    -------
    raw : dict
        The merged TOML document (``extends`` removed, graph paths made absolute).
    origin : dict of str to str
        For each dotted key set by a file, the file that set it (for error messages).

    Raises
    ------
    ScenarioError
        If a file is missing, unreadable, not UTF-8, not TOML, a batch or calibration
        file rather than a scenario, or ``extends`` loops.
    """
    path = Path(path)
    resolved = path.resolve()
    if resolved in _chain:
        loop = " -> ".join(str(p) for p in (*_chain, resolved))
        raise ScenarioError(f"{path}: extends loops back on itself: {loop}")
    if len(_chain) >= _MAX_EXTENDS:
        raise ScenarioError(f"{path}: extends chain deeper than {_MAX_EXTENDS} files")
    raw = read_toml(path)
    kind = kind_of(raw)
    if kind != "scenario":
        raise wrong_kind(path, kind, "scenario")
    _resolve_paths(raw, resolved.parent)
    parent = raw.pop("extends", None)
    origin: dict[str, str] = {}
    if parent is None:
        return _merge({}, raw, origin, str(path)), origin
    if not isinstance(parent, str) or not parent:
        raise ScenarioError(f"{path}: extends = {parent!r}: must be the path of another scenario file")
    ppath = Path(parent)
    if not ppath.is_absolute():
        ppath = path.parent / ppath
    if not ppath.exists() or ppath.is_dir():  # name the file that extends it, and where it looked
        what = "is a folder, not a scenario file" if ppath.exists() else "no such file"
        raise ScenarioError(f"{path}: extends = {_toml(parent)}: {what} ({ppath})")
    base, origin = load_raw(ppath, (*_chain, resolved))
    return _merge(base, raw, origin, str(path)), origin


# --------------------------------------------------------------------------- overrides
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
    too_deep = False
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()
    except RecursionError:  # hundreds of nested inline tables or arrays
        parsed, too_deep = None, True
    placed = parsed
    for part in reversed(key.split(".")):  # as deep as it will sit in the scenario
        placed = {part: placed}
    if too_deep or _too_deep(placed) is not None:
        raise ScenarioError(f"--set {key}: the value nests tables or arrays more than {_MAX_DEPTH} levels deep; "
                            f"allowed: at most {_MAX_DEPTH} levels of tables and arrays")
    return key, parsed


def apply_overrides(raw: dict[str, Any], overrides: Iterable[tuple[str, Any]],
                    origin: dict[str, str] | None = None, source: str = "--set") -> dict[str, Any]:
    """Return a copy of ``raw`` with each dotted key set to its value (tables created as needed).

    Three rules make overrides read as a user means them:

    * setting a table's tag (``kind``, ``rule`` or ``dist``) to a new value replaces the
      whole table, as ``extends`` does: ``policy.allocation.rule=equal`` drops the old
      rule's keys, and the table holds the new rule's defaults plus any other keys of the
      same override list (``policy.allocation.rule=head_boost policy.allocation.boost=5``);
    * the text ``none`` unsets a key that may be left out (``gifts.chat_entry_from=none``):
      the key is removed, so its default (none) applies;
    * a whole float for an integer key (``merchants.sme.count=5.0``) becomes an int.

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
    return _apply(raw, overrides, origin, source, round_floats=False)


def _node_at(doc: Any, parts: list[str]) -> Any:
    for part in parts:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(part)
    return doc


class _Override(str):
    """The source of a key an override set (``FILE (--set)``, a batch point), as kept in
    ``origin``: error messages tell it from the files."""

    __slots__ = ()


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
            if any(t in fields for t in _TAG_KEYS) and parts[i + 1] in fields:
                node[part] = default.model_dump(mode="python", by_alias=True)
            else:  # a plain table (or a key the default's kind lacks): left to the loop below
                node = node.setdefault(part, {})
                continue
        node = node[part]


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
                return (f"{outer} = {_inline(table)} and {inner} = {_inline(value)}: {outer} is set to a value, "
                        f"not a table, so {inner} has no table to go into; set only one of them")
            node: Any = table
            for i, part in enumerate(ip[len(op):]):
                if not isinstance(node, dict) or part not in node:
                    break
                node = node[part]
                if i == len(ip) - len(op) - 1 or not isinstance(node, dict):
                    return (f"{outer} = {_inline(table)} and {inner} = {_inline(value)} both set "
                            f"{'.'.join(ip[: len(op) + i + 1])}; set it once (a table and a key inside it are "
                            "merged, the key into the table, whatever their order)")
    return None


def _apply(raw: dict[str, Any], overrides: Iterable[tuple[str, Any]], origin: dict[str, str] | None,
           source: str, round_floats: bool) -> dict[str, Any]:
    out = copy.deepcopy(raw)
    # shallow keys first (a table before the keys inside it), so the order given never
    # matters; a key given twice keeps its last value
    pairs = sorted(overrides, key=lambda kv: kv[0].count("."))
    source = _Override(source)
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
            if len(parts) < 2 or parts[-1] not in _TAG_KEYS:
                continue
            if any(tuple(parts[:n]) in written for n in range(1, len(parts))):
                continue  # the table was given by a shallower override: the tag goes into it
            parent = _node_at(out, parts[:-2])
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


def _set_key(out: dict[str, Any], key: str, value: Any, origin: dict[str, str] | None, source: str,
             round_floats: bool) -> None:
    """Set one dotted key of ``out`` to a copy of ``value`` (never the caller's object:
    a table shared between batch points must not change under them)."""
    node = out
    parts = key.split(".")
    for i, part in enumerate(parts[:-1]):
        nxt = node.setdefault(part, {})
        if not isinstance(nxt, dict):
            raise ScenarioError(
                f"{source} {key}: {'.'.join(parts[: i + 1])} is a value, not a table"
            )
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


# --------------------------------------------------------------------------- schema look-up
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
            model = _model_for(annotation_types(field.annotation), dict(node) if isinstance(node, Mapping) else {})
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


# --------------------------------------------------------------------------- validation
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


def _model_for(candidates: list[Any], node: Any) -> type[BaseModel] | None:
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


_TYPE_TAGS = frozenset({"int", "float", "str", "bool", "none", "date", "datetime", "list", "dict",
                        "bytes", "any", "tuple", "set"})
"""Names pydantic gives the members of an untagged union in error locations."""


def _walk(loc: tuple[Any, ...], raw: Any, root: type[BaseModel]
          ) -> tuple[list[str | int], type[BaseModel] | None, Any, bool, bool]:
    """Follow a pydantic error location through the raw document and the schema.

    Returns the user-visible key parts, the model class holding the last key, the raw
    value there, whether the key exists in the document, and whether the location ran
    through a member of a union (so that the error is one branch's view of the value).
    """
    parts: list[str | int] = []
    model: type[BaseModel] | None = root
    node: Any = raw
    holder: type[BaseModel] | None = root
    values: Any = None  # the value type of a table with free keys (a batch's sweep)
    found = True
    branched = False
    for i, item in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, dict) and item in node:
            parts.append(item)
            holder = model
            field = model.model_fields.get(item) if model is not None else None
            node = node[item]
            if field is not None:
                model = _model_for(annotation_types(field.annotation), node)
                values = _dict_values(field.annotation)
            elif values is not None:
                model, values = _model_for(annotation_types(values), node), None
            else:
                model = None
        elif isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node):
            parts.append(item)
            node = node[item]
            if isinstance(node, dict) and model is None and holder is not None:
                field = holder.model_fields.get(parts[-2]) if len(parts) >= 2 else None
                model = _model_for(annotation_types(field.annotation), node) if field is not None else None
        elif last and isinstance(item, str) and (
                (model is not None and item in model.model_fields)
                or (model is None and re.fullmatch(r"[a-z_][a-z0-9_]*", item) and item not in _TYPE_TAGS)):
            parts.append(item)  # a key missing from the document
            holder = model
            node = None
            found = False
        else:  # a union member or validator name pydantic puts in locations; not a key
            branched = True
    return parts, holder, node, found, branched


def _dict_values(tp: Any) -> Any:
    """The value type of a ``dict[str, X]`` annotation (None for anything else)."""
    if typing.get_origin(tp) is typing.Annotated:
        return _dict_values(typing.get_args(tp)[0])
    if typing.get_origin(tp) is dict and len(typing.get_args(tp)) == 2:
        return typing.get_args(tp)[1]
    return None


def _dotted(parts: list[str | int]) -> str:
    out = ""
    for p in parts:
        if isinstance(p, str) and not re.fullmatch(r"[A-Za-z0-9_\-]+", p):
            p = repr(p)  # a key with spaces, dots or control characters, quoted
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out or "(top level)"


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


def _bounds(model: type[BaseModel] | None, name: str) -> str | None:
    if model is None or name not in model.model_fields:
        return None
    text = format_bounds(model.model_fields[name], name)
    return None if text is None else f"allowed: {text}"


def _fmt_value(v: Any) -> str:
    text = _inline(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _inline(v: Any) -> str:
    """A value as the user wrote it (TOML-like: ISO dates, inline tables), not a Python repr."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dt.date, dt.datetime, dt.time)):
        return v.isoformat()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return str(v)
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{k} = {_inline(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_inline(x) for x in v) + "]"
    if isinstance(v, BaseModel):
        return _inline(v.model_dump(by_alias=True))
    return repr(v)


_TAGS = {
    "dist": "constant, uniform, beta, lognormal, gamma",
    "kind": "edgelist, graphml, gml, barabasi_albert, watts_strogatz, holme_kim, sbm, "
    "configuration, complete",
}


_TYPE_WORDS = {
    "int_type": "a valid integer", "int_parsing": "a valid integer", "int_from_float": "a valid integer",
    "float_type": "a valid number", "float_parsing": "a valid number", "string_type": "text",
    "bool_type": "true or false", "bool_parsing": "true or false", "list_type": "a list",
    "dict_type": "a table", "model_type": "a table", "model_attributes_type": "a table",
    "date_type": "a date (YYYY-MM-DD)", "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)", "date_from_datetime_inexact": "a date (YYYY-MM-DD)",
}
"""What a value of the wrong type should have been, in a reader's words."""


def _is_type_error(err: Mapping[str, Any]) -> bool:
    return err["type"] in _TYPE_WORDS or err["type"] in ("none_required", "is_instance_of")


def _table_words(cls: type[BaseModel], key: str, where: str) -> str:
    """``a table of policy keys (commercial_share, ...), e.g. --set policy.commercial_share=0.025``."""
    name = key.rsplit(".", 1)[-1] if key else "top-level"
    keys = list(cls.model_fields)
    shown = ", ".join(keys[:4]) + (", ..." if len(keys) > 4 else "")
    example = ""
    for k, f in cls.model_fields.items():
        d = f.default
        if not f.is_required() and isinstance(d, (int, float, str)) and not isinstance(d, bool):
            example = (f"--set {key}.{k}={_inline(d)}" if "--set" in where
                       else f"a [{key}] table with {k} = {_inline(d)}")
            break
    return f"must be a table of {name} keys ({shown})" + (f", e.g. {example}" if example else "")


def _field_of(holder: type[BaseModel] | None, name: str | int | None):
    if holder is None or not isinstance(name, str):
        return None
    return holder.model_fields.get(name)


def _message(err: dict[str, Any], model: type[BaseModel] | None, name: str | int | None,
             allowed_keys: list[str], key: str = "", where: str = "", node: Any = None) -> str:
    kind = err["type"]
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if kind == "extra_forbidden":
        guess = difflib.get_close_matches(str(name), allowed_keys, n=1)
        hint = f" (did you mean {guess[0]!r}?)" if guess else ""
        return f"unknown key{hint}; allowed keys here: {', '.join(allowed_keys)}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        ctx = err.get("ctx") or {}
        tag = str(ctx.get("discriminator", "tag")).strip("'")
        if kind == "union_tag_not_found":
            return f"needs a {tag!r} key; allowed {tag}: {_TAGS.get(tag, '(see docs/model.md)')}"
        return f"unknown {tag} {ctx.get('tag')!r}; allowed {tag}: {ctx.get('expected_tags')}"
    if kind == "missing":
        return "required key is missing"
    if kind in ("less_than_equal", "greater_than_equal", "less_than", "greater_than",
                "finite_number"):
        bounds = _bounds(model, str(name)) if name is not None else None
        short = msg.replace("Input should be ", "must be ").replace("less than or equal to", "<=")
        short = short.replace("greater than or equal to", ">=").replace("less than", "<")
        short = short.replace("greater than", ">")
        return f"{short}" + (f" ({bounds})" if bounds else "")
    field = _field_of(model, name)
    if kind in ("model_type", "model_attributes_type", "dict_type") and field is not None:
        tables = [c for c in annotation_types(field.annotation) if isinstance(c, type) and issubclass(c, BaseModel)]
        if len(tables) == 1 and not isinstance(node, list):
            return _table_words(tables[0], key, where)
        for tag in _TAG_KEYS:  # a tagged table: graph, mode, a distribution
            values = [a for t in tables if tag in t.model_fields
                      for a in typing.get_args(t.model_fields[tag].annotation)]
            if len(tables) > 1 and values:
                return f"must be a table with a {tag!r} key; allowed {tag}: {', '.join(map(str, values))}"
    if kind in ("string_too_short", "too_short", "string_too_long", "too_long"):
        return _length_words(err, field, str(name) if name is not None else "value")
    if kind == "string_pattern_mismatch":
        pattern = (err.get("ctx") or {}).get("pattern", "")
        return f"must match the pattern {pattern} (see docs)"
    if kind in _TYPE_WORDS:
        integer = field is not None and is_integer_field(field) and kind.startswith("int")
        words = "a whole number" if integer and isinstance(err.get("input"), float) else _TYPE_WORDS[kind]
        bounds = _bounds(model, str(name)) if name is not None and kind.startswith(("int", "float")) else None
        if integer:
            bounds = "allowed: an integer" + (f", {bounds[len('allowed: '):]}" if bounds else "")
        return f"must be {words}" + (f" ({bounds})" if bounds else "") + _none_hint(field, key, where)
    return _toml_values(msg.replace("Input should be", "must be"), err.get("input"))


def _length_words(err: Mapping[str, Any], field, name: str) -> str:
    """``must not be empty (allowed: text of 1 to 200 characters)`` for pydantic's
    too_short / too_long errors, on text and lists."""
    ctx = err.get("ctx") or {}
    text = err["type"].startswith("string")
    unit = "character" if text else "item"
    lo = hi = None
    for m in (field.metadata if field is not None else ()):
        lo = getattr(m, "min_length", lo)
        hi = getattr(m, "max_length", hi)
    lo = ctx.get("min_length", lo) if err["type"].endswith("short") else lo
    hi = ctx.get("max_length", hi) if err["type"].endswith("long") else hi

    def count(n: int) -> str:
        return f"{n:,} {unit}{'' if n == 1 else 's'}"

    if err["type"].endswith("short"):
        head = "must not be empty" if lo == 1 else f"must have at least {count(lo)}"
    else:
        head = f"must have at most {count(hi)}"
    if not text and "actual_length" in ctx and lo != 1:
        head += f", not {ctx['actual_length']:,}"
    what = "text" if text else "a list"
    if lo is not None and hi is not None:
        allowed = f"{what} of {lo:,} to {count(hi)}"
    elif lo is not None:
        allowed = f"{what} of at least {count(lo)}"
    else:
        allowed = f"{what} of at most {count(hi)}"
    if field is not None and not field.is_required():
        allowed += f", or leave {name} out for its default"
    return f"{head} (allowed: {allowed})"


def _toml_values(msg: str, value: Any) -> str:
    """A validator's message with the Python repr of any table or list of the checked
    value (``{'rule': 'equal'}``) written as TOML (``{ rule = "equal" }``)."""
    found: list[Any] = []

    def walk(v: Any, depth: int = 0) -> None:
        if depth > 4 or len(found) > 200:
            return
        if isinstance(v, Mapping):
            found.append(v)
            for x in v.values():
                walk(x, depth + 1)
        elif isinstance(v, list):
            found.append(v)
            for x in v:
                walk(x, depth + 1)

    walk(value)
    for v in sorted(found, key=lambda x: -len(repr(x))):
        r = repr(v)
        if r in msg:
            msg = msg.replace(r, _toml(v))
    return msg


def _toml(v: Any) -> str:
    """A value in TOML syntax: ``{ rule = "head_boost", boost = 5.0 }``."""
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, Mapping):
        items = ", ".join(f"{k if re.fullmatch(r'[A-Za-z0-9_-]+', str(k)) else json.dumps(str(k))} = {_toml(x)}"
                          for k, x in v.items())
        return "{ " + items + " }" if items else "{}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    return _inline(v)


def _none_hint(field, key: str, where: str) -> str:
    if field is None or not allows_none(field):
        return ""
    return ", or leave the key out for none" + (f" (--set {key}=none)" if "--set" in where else "")


def _where(parts: list[str | int], source: str, origin: Mapping[str, str] | None) -> str:
    if origin:
        for i in range(len(parts), 0, -1):
            k = _dotted(parts[:i])
            if k in origin:
                return origin[k]
        # a table that only overrides made (--set nonexistent.key=1): their source
        prefix = _dotted(parts) + "."
        under = {origin[k] for k in origin if k.startswith(prefix)}
        if parts and len(under) == 1 and isinstance(next(iter(under)), _Override):
            return next(iter(under))
    return source


def describe_errors(exc: ValidationError, raw: Mapping[str, Any], source: str,
                    origin: Mapping[str, str] | None = None,
                    root: type[BaseModel] = Scenario) -> str:
    """One line per validation problem: ``FILE: KEY = VALUE: what is wrong (allowed ...)``.

    A value that matches no member of a union (a sweep's list or range table) gets the
    message of the member it was meant for, not one line per member.

    Parameters
    ----------
    exc : pydantic.ValidationError
        From validating ``raw`` against ``root``.
    raw : mapping
        The document that was validated.
    source : str
        The file to name when ``origin`` does not know a key.
    origin : mapping of dotted key to file, optional
        Which file set each key (from :func:`load_raw`).
    root : pydantic model class
        The schema ``raw`` was validated against.
    """
    items = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        problem = (err.get("ctx") or {}).get("error")
        problem = problem if isinstance(problem, KeyProblem) else None
        if problem is not None:  # a model validator naming one of its keys
            loc = loc + problem.parts
        parts, holder, node, found, branched = _walk(loc, raw, root)
        items.append((err, problem, parts, holder, node, found, branched))
    # a union (list or range table, say): keep the errors of the member the value was
    # meant for (a type mismatch of one member is noise when another member has a
    # complaint about the value or its keys); when the value fits no member at all,
    # one line says what each member takes
    keys = [_dotted(parts) for _, _, parts, *_ in items]
    branched = [i for i, item in enumerate(items) if item[-1]]
    drop: set[int] = set()
    for i in branched:
        if not _is_type_error(items[i][0]):
            continue
        k = keys[i]
        if any(j != i and ((keys[j] == k and not _is_type_error(items[j][0]))
                           or keys[j].startswith((k + ".", k + "["))) for j in branched):
            drop.add(i)
    by_key: dict[str, list[int]] = {}
    for i in branched:
        if i not in drop:
            by_key.setdefault(keys[i], []).append(i)
    merged: dict[int, str] = {}
    for idx in by_key.values():
        if len(idx) < 2 or not all(_is_type_error(items[i][0]) for i in idx):
            continue
        words = []
        for i in idx:
            err = items[i][0]
            cls = (err.get("ctx") or {}).get("class_name")
            model = _find_model(root, cls) if cls else None
            if model is not None:
                words.append(f"a table ({', '.join(model.model_fields)})")
            elif err["type"] in _TYPE_WORDS:
                words.append(_TYPE_WORDS[err["type"]])
        words = list(dict.fromkeys(words))
        merged[idx[0]] = "must be " + " or ".join(words) if words else str(items[idx[0]][0]["msg"])
        drop.update(idx[1:])
    lines = []
    retagged: dict[str, list[str]] = {}  # a table an override re-tagged: its missing keys
    for i, (err, problem, parts, holder, node, found, _) in enumerate(items):
        if i in drop:
            continue
        key = _dotted(parts)
        name = parts[-1] if parts else None
        allowed = sorted(holder.model_fields) if holder is not None else []
        where = _where(parts, source, origin)
        tag_key = _override_tag(parts, raw, origin) if err["type"] == "missing" and problem is None else None
        if tag_key is not None:
            if tag_key not in retagged:
                retagged[tag_key] = []
                lines.append(tag_key)  # placeholder, filled in below
            retagged[tag_key].append(str(name))
            continue
        if problem is not None:
            shown = problem.value if problem.has_value else (node if found else None)
            value = f" = {_fmt_value(shown)}" if problem.has_value or (found and not isinstance(node, dict)) else ""
            text = str(problem)
            conflict = _override_conflict(parts, len(problem.parts), raw, origin, where)
            if conflict is not None:
                lines.append(f"{conflict}: conflicts with {key}{value} from {where}: {key} {text}")
                continue
        else:
            value = f" = {_fmt_value(err['input'])}" if found and not isinstance(err["input"], dict) else ""
            text = (merged[i] + _none_hint(_field_of(holder, name), key, where) if i in merged
                    else _message(err, holder, name, allowed, key, where, node))
        lines.append(f"{where}: {key}{value}: {text}")
    for tag_key, missing in retagged.items():
        lines[lines.index(tag_key)] = _retag_words(tag_key, missing, raw, origin)
    return "\n".join(dict.fromkeys(lines))


def _is_override(origin: Mapping[str, str] | None, key: str) -> bool:
    return origin is not None and isinstance(origin.get(key), _Override)


def _override_tag(parts: list[str | int], raw: Any, origin: Mapping[str, str] | None) -> str | None:
    """For a key missing from a table whose tag an override set (``--set
    population.activity.dist=uniform``), the dotted tag key; else None."""
    if len(parts) < 2 or not all(isinstance(p, str) for p in parts):
        return None
    table = _node_at(raw, [str(p) for p in parts[:-1]])
    if not isinstance(table, Mapping):
        return None
    for tag in _TAG_KEYS:
        tag_key = _dotted([*parts[:-1], tag])
        if tag in table and _is_override(origin, tag_key):
            return tag_key
    return None


def _retag_words(tag_key: str, missing: list[str], raw: Any, origin: Mapping[str, str]) -> str:
    """``FILE (--set): population.activity.dist = "uniform": replaces the table, ...``."""
    table, tag = tag_key.rsplit(".", 1)
    value = _node_at(raw, tag_key.split("."))
    needs = f"{table}.{missing[0]}" + "".join(
        f"{' and' if i == len(missing) - 1 else ','} .{m}" for i, m in enumerate(missing[1:], start=1))
    where = origin[tag_key]
    hint = (" (add " + " ".join(f"--set {table}.{m}=..." for m in missing) + ")" if "--set" in where
            else " (set them in the same place)")
    return (f"{where}: {tag_key} = {_inline(value)}: replaces the whole {table} table, and {tag} "
            f"{_inline(value)} needs {needs}{hint}")


def _override_conflict(parts: list[str | int], depth: int, raw: Any, origin: Mapping[str, str] | None,
                       where: str) -> str | None:
    """When a check across keys of one table fails on a key a file set, but another key
    of that table was set by an override, the words ``FILE (--set): time.start =
    2025-02-20 conflicts with ...``; else None."""
    if origin is None or _is_override(origin, _dotted(parts)) or isinstance(origin.get(where), _Override):
        return None
    table = [p for p in parts[: len(parts) - depth]]
    if not table or isinstance(where, _Override):
        return None
    prefix = _dotted(table) + "."
    keys = [k for k in origin if k.startswith(prefix) and _is_override(origin, k) and k != _dotted(parts)]
    if not keys:
        return None
    shown = ", ".join(f"{k} = {_fmt_value(_node_at(raw, k.split('.')))}" for k in keys)
    return f"{origin[keys[0]]}: {shown}"


def _find_model(root: type[BaseModel], name: str, _seen: set | None = None) -> type[BaseModel] | None:
    """The model class called ``name`` reachable from ``root``'s fields."""
    seen = _seen if _seen is not None else set()
    if root.__name__ == name:
        return root
    seen.add(root)
    for f in root.model_fields.values():
        for t in _unwrap_all(f.annotation):
            if isinstance(t, type) and issubclass(t, BaseModel) and t not in seen:
                found = _find_model(t, name, seen)
                if found is not None:
                    return found
    return None


def _unwrap_all(tp: Any) -> list[Any]:
    """Like :func:`annotation_types`, also looking into dict values."""
    if typing.get_origin(tp) is dict:
        args = typing.get_args(tp)
        return _unwrap_all(args[1]) if len(args) == 2 else []
    out = []
    for t in annotation_types(tp):
        out += _unwrap_all(t) if typing.get_origin(t) is dict else [t]
    return out


def validate_scenario(raw: Mapping[str, Any], source: str = "<scenario>",
                      origin: Mapping[str, str] | None = None) -> Scenario:
    """Validate a raw (merged) document into a :class:`Scenario`.

    Dates the document gives for occasions, the rollout and the chat entry are checked against the
    simulated period (see :func:`date_problems`); defaults are not.

    Raises
    ------
    ScenarioError
        With one line per problem: ``FILE: KEY = VALUE: what is wrong (allowed ...)``.
    """
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"{source}: expected a table of scenario keys")
    rollout = raw.get("rollout")
    given = {k for k in ("occasions",) if k in raw}
    if isinstance(rollout, Mapping) and "schedule" in rollout:
        given.add("rollout")
    gifts = raw.get("gifts")
    if isinstance(gifts, Mapping) and gifts.get("chat_entry_from") is not None:
        given.add("gifts")
    return _validate(raw, source, origin, given)


def _validate(raw: Mapping[str, Any], source: str, origin: Mapping[str, str] | None,
              dates_given: set[str]) -> Scenario:
    try:
        sc = Scenario.model_validate(dict(raw))
    except ValidationError as exc:
        raise ScenarioError(describe_errors(exc, raw, source, origin)) from None
    problems = date_problems(sc, dates_given)
    if problems:
        lines = []
        for parts, value, text in problems:
            where = _where(parts, source, origin)
            line = f"{where}: {_dotted(parts)} = {_inline(value)}: {text}"
            period = [k for k in ("time.start", "time.end") if _is_override(origin, k)]
            if period and not isinstance(where, _Override):  # the override moved the period
                shown = ", ".join(f"{k} = {_inline(_node_at(raw, k.split('.')))}" for k in period)
                line = f"{origin[period[0]]}: {shown}: conflicts with {_dotted(parts)} = {_inline(value)} " \
                       f"from {where}: {text}"
            lines.append(line)
        raise ScenarioError("\n".join(lines))
    return sc


def date_problems(sc: Scenario, given: Iterable[str] = ("occasions", "rollout", "gifts")
                  ) -> list[tuple[list[str | int], Any, str]]:
    """Occasion, rollout and chat-entry dates that do not fit the simulated period, as
    (key parts, value, message); only for the gift mode (the classic modes ignore them).

    An occasion is out when its whole window, ``lead_days`` before its date to
    ``lag_days`` after, misses [time.start, time.end]: it could not change a single step.
    A rollout is out when its first point comes after time.end: the share is constant
    before the first point, so every step would get that point's share. Points before
    time.start or after time.end are otherwise fine: the share inside the period
    interpolates toward them. ``gifts.chat_entry_from`` is out when it comes after
    time.end: the chat entry would never open (a date before time.start opens it for
    the whole period).
    """
    given = set(given)
    if sc.mode.kind != "gift":
        return []
    t = sc.time
    period = f"{t.start.isoformat()} to {t.end.isoformat()} (time.start to time.end)"
    out: list[tuple[list[str | int], Any, str]] = []
    if "occasions" in given:
        for i, o in enumerate(sc.occasions):
            first = o.date - dt.timedelta(days=o.lead_days)
            last = o.date + dt.timedelta(days=o.lag_days)
            if last < t.start or first > t.end:
                out.append((["occasions", i, "date"], o.date,
                            f"occasion {o.name!r} lies outside the simulated period {period}, and so "
                            f"does its window ({first.isoformat()} to {last.isoformat()}, lead_days "
                            "before to lag_days after), so it could not change anything; allowed: a date "
                            "whose window overlaps the period (or leave the occasion out)"))
    if "rollout" in given:
        p = sc.rollout.schedule[0]
        if p.date > t.end:
            out.append((["rollout", "schedule", 0, "date"], p.date,
                        f"the staged rollout starts after the simulated period {period} ends; the "
                        f"share is constant before the first point, so every step would get its share "
                        f"{p.share:g}; allowed: a first date on or before time.end ({t.end.isoformat()})"))
    if "gifts" in given and sc.gifts.chat_entry_from is not None and sc.gifts.chat_entry_from > t.end:
        out.append((["gifts", "chat_entry_from"], sc.gifts.chat_entry_from,
                    f"the chat menu's gift entry would open after the simulated period {period} ends, so "
                    f"it would never be used; allowed: a date on or before time.end ({t.end.isoformat()}), "
                    "or leave the key out for product pages only (--set gifts.chat_entry_from=none)"))
    return out


def check_graph_file(scenario: Scenario, source: str, origin: Mapping[str, str] | None = None) -> None:
    """Read the scenario's graph file (once per process, see
    :func:`sim.graph.graph_file_facts`) and refuse it before any run: missing,
    unreadable or malformed, ``tie_strength = "file"`` without weights, or more
    ``mode.seeds`` than its users. Nothing to do for a generated graph.

    Raises
    ------
    ScenarioError
        One line per problem naming ``source`` (or the file that set the key) and the key.
    """
    from ..graph import graph_problems

    problems = graph_problems(scenario)
    if problems:
        raise ScenarioError("\n".join(
            f"{_where(parts, source, origin)}: {_dotted(parts)} = {_inline(value)}: {text}"
            for parts, value, text in problems))


def load_scenario(path: str | Path, overrides: Iterable[str | tuple[str, Any]] = (), *,
                  check_graph: bool = False) -> Scenario:
    """Load, merge, override and validate a scenario file.

    Parameters
    ----------
    path : str or Path
        The TOML scenario file.
    overrides : iterable of ``"key=value"`` strings or (key, value) pairs
        Applied after ``extends``, as with ``giftsim run --set`` (see
        :func:`apply_overrides`: a new ``kind``/``rule``/``dist`` replaces its table,
        ``none`` unsets an optional key).
    check_graph : bool
        Also read a graph file and check it (see :func:`check_graph_file`); ``giftsim
        run`` leaves this to building the graph.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        For any unreadable file or invalid key or value; the message names them.
    """
    raw, origin = load_raw(path)
    pairs = [parse_override(o) if isinstance(o, str) else o for o in overrides]
    pairs = [(k, _resolve_override_path(k, v)) for k, v in pairs]
    raw = apply_overrides(raw, pairs, origin, source=f"{path} (--set)")
    sc = validate_scenario(raw, str(path), origin)
    if check_graph:
        check_graph_file(sc, str(path), origin)
    return sc


def _resolve_override_path(key: str, value: Any) -> Any:
    if key == "graph.path" and isinstance(value, str) and value and not Path(value).is_absolute():
        return str(Path(value).expanduser().resolve())
    return value


def with_overrides(scenario: Scenario, overrides: Iterable[tuple[str, Any]], source: str = "override") -> Scenario:
    """A new scenario with dotted keys replaced, validated as a whole.

    As :func:`apply_overrides`; besides, a float for an integer key is rounded to the
    nearest integer (a calibration's optimiser proposes ``merchants.sme.count = 4.7``:
    the run uses 5). Occasion and rollout dates are checked against the period only
    when the overrides set them.

    Raises
    ------
    ScenarioError
        If the result is not a valid scenario.
    """
    raw = scenario.model_dump(mode="python", by_alias=True)
    pairs = [(k, _resolve_override_path(k, v)) for k, v in overrides]
    raw = _apply(raw, pairs, None, source, round_floats=True)
    given = {k.split(".")[0] for k, _ in pairs} & {"occasions", "rollout", "gifts"}
    return _validate(raw, source, None, given)
