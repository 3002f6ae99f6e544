"""Validation errors in the user's words, one line per problem.

Pydantic's errors are translated into lines naming the file, the dotted key, the value
and the allowed values, e.g.::

    scenarios/x.toml: policy.commercial_share = 1.5: must be <= 1 (allowed: 0 <= commercial_share <= 1)
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import KeyProblem
from .introspection import (
    TAG_KEYS,
    allows_none,
    annotation_types,
    dict_values,
    find_model,
    format_bounds,
    is_integer_field,
    model_for,
)
from .overrides import OverrideSource, is_override
from .schema import Scenario
from .text import dotted_key, inline_value, short_value, toml_value
from .values import node_at

__all__ = ["describe_errors", "key_source", "problem_lines"]


_TYPE_TAGS = frozenset({"int", "float", "str", "bool", "none", "date", "datetime", "list", "dict",
                        "bytes", "any", "tuple", "set"})
"""Names pydantic gives the members of an untagged union in error locations."""


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


@dataclass(frozen=True)
class _Item:
    """One pydantic error followed through the document (see :func:`_walk`)."""

    err: dict[str, Any]
    problem: KeyProblem | None  # a model validator's problem naming one of its keys
    parts: list[str | int]
    holder: type[BaseModel] | None
    node: Any
    found: bool
    branched: bool


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
        Which file set each key (from :func:`sim.scenario.load_raw`).
    root : pydantic model class
        The schema ``raw`` was validated against.

    Returns
    -------
    str
        The lines, joined by newlines, each once.
    """
    items = _items(exc, raw, root)
    drop, merged = _union_choices(items, root)
    lines = []
    retagged: dict[str, list[str]] = {}  # a table an override re-tagged: its missing keys
    for i, item in enumerate(items):
        if i in drop:
            continue
        tag_key = (_override_tag(item.parts, raw, origin)
                   if item.err["type"] == "missing" and item.problem is None else None)
        if tag_key is not None:
            if tag_key not in retagged:
                retagged[tag_key] = []
                lines.append(tag_key)  # placeholder, filled in below
            retagged[tag_key].append(str(item.parts[-1] if item.parts else None))
            continue
        lines.append(_line(item, merged.get(i), raw, source, origin))
    for tag_key, missing in retagged.items():
        lines[lines.index(tag_key)] = _retag_words(tag_key, missing, raw, origin)
    return "\n".join(dict.fromkeys(lines))


def _items(exc: ValidationError, raw: Mapping[str, Any], root: type[BaseModel]) -> list[_Item]:
    """Each error of ``exc`` with its user-visible key, holder and value in ``raw``."""
    items = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        problem = (err.get("ctx") or {}).get("error")
        problem = problem if isinstance(problem, KeyProblem) else None
        if problem is not None:  # a model validator naming one of its keys
            loc = loc + problem.parts
        items.append(_Item(err, problem, *_walk(loc, raw, root)))
    return items


def _union_choices(items: list[_Item], root: type[BaseModel]) -> tuple[set[int], dict[int, str]]:
    """For values checked against a union (a list or range table, say): the errors to
    drop, and one merged text for a value that fits no member at all.

    The errors of the member the value was meant for are kept: a type mismatch of one
    member is noise when another member has a complaint about the value or its keys.
    When every member's complaint is a type mismatch, one line says what each takes.
    """
    keys = [dotted_key(item.parts) for item in items]
    branched = [i for i, item in enumerate(items) if item.branched]
    drop: set[int] = set()
    for i in branched:
        if not _is_type_error(items[i].err):
            continue
        k = keys[i]
        if any(j != i and ((keys[j] == k and not _is_type_error(items[j].err))
                           or keys[j].startswith((k + ".", k + "["))) for j in branched):
            drop.add(i)
    by_key: dict[str, list[int]] = {}
    for i in branched:
        if i not in drop:
            by_key.setdefault(keys[i], []).append(i)
    merged: dict[int, str] = {}
    for idx in by_key.values():
        if len(idx) < 2 or not all(_is_type_error(items[i].err) for i in idx):
            continue
        words = list(dict.fromkeys(w for w in (_member_words(items[i].err, root) for i in idx) if w))
        merged[idx[0]] = "must be " + " or ".join(words) if words else str(items[idx[0]].err["msg"])
        drop.update(idx[1:])
    return drop, merged


def _member_words(err: Mapping[str, Any], root: type[BaseModel]) -> str | None:
    """What one union member takes, for a type mismatch: ``a table (start, stop, ...)``."""
    cls = (err.get("ctx") or {}).get("class_name")
    model = find_model(root, cls) if cls else None
    if model is not None:
        return f"a table ({', '.join(model.model_fields)})"
    return _TYPE_WORDS.get(err["type"])


def _line(item: _Item, merged: str | None, raw: Any, source: str, origin: Mapping[str, str] | None) -> str:
    """The message line of one error: ``FILE: KEY = VALUE: what is wrong (allowed ...)``."""
    err, problem, parts, holder, node, found = (item.err, item.problem, item.parts, item.holder, item.node,
                                                item.found)
    key = dotted_key(parts)
    name = parts[-1] if parts else None
    where = key_source(parts, source, origin)
    if problem is not None:
        shown = problem.value if problem.has_value else (node if found else None)
        value = f" = {short_value(shown)}" if problem.has_value or (found and not isinstance(node, dict)) else ""
        text = str(problem)
        conflict = _override_conflict(parts, len(problem.parts), raw, origin, where)
        if conflict is not None:
            return f"{conflict}: conflicts with {key}{value} from {where}: {key} {text}"
    else:
        allowed = sorted(holder.model_fields) if holder is not None else []
        value = f" = {short_value(err['input'])}" if found and not isinstance(err["input"], dict) else ""
        text = (merged + _none_hint(_field_of(holder, name), key, where) if merged is not None
                else _message(err, holder, name, allowed, key, where, node))
    return f"{where}: {key}{value}: {text}"


def problem_lines(problems: Iterable[tuple[list[str | int], Any, str]], source: str,
                  origin: Mapping[str, str] | None = None) -> str:
    """Problems found outside the schema, as (key parts, value, text) triples (see
    :func:`sim.scenario.date_problems`, :func:`sim.graph.graph_problems`), one line each:
    ``FILE: KEY = VALUE: text``, naming the file that set the key (from ``origin``) or
    ``source``."""
    return "\n".join(f"{key_source(parts, source, origin)}: {dotted_key(parts)} = {inline_value(value)}: {text}"
                     for parts, value, text in problems)


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
                model = model_for(annotation_types(field.annotation), node)
                values = dict_values(field.annotation)
            elif values is not None:
                model, values = model_for(annotation_types(values), node), None
            else:
                model = None
        elif isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node):
            parts.append(item)
            node = node[item]
            if isinstance(node, dict) and model is None and holder is not None:
                field = holder.model_fields.get(parts[-2]) if len(parts) >= 2 else None
                model = model_for(annotation_types(field.annotation), node) if field is not None else None
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


def _bounds(model: type[BaseModel] | None, name: str) -> str | None:
    if model is None or name not in model.model_fields:
        return None
    text = format_bounds(model.model_fields[name], name)
    return None if text is None else f"allowed: {text}"


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
            example = (f"--set {key}.{k}={inline_value(d)}" if "--set" in where
                       else f"a [{key}] table with {k} = {inline_value(d)}")
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
        for tag in TAG_KEYS:  # a tagged table: graph, mode, a distribution
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
            msg = msg.replace(r, toml_value(v))
    return msg


def _none_hint(field, key: str, where: str) -> str:
    if field is None or not allows_none(field):
        return ""
    return ", or leave the key out for none" + (f" (--set {key}=none)" if "--set" in where else "")


def key_source(parts: list[str | int], source: str, origin: Mapping[str, str] | None) -> str:
    """The file (or override source) that set the key ``parts`` or the nearest table
    holding it, from ``origin``; else ``source``."""
    if origin:
        for i in range(len(parts), 0, -1):
            k = dotted_key(parts[:i])
            if k in origin:
                return origin[k]
        # a table that only overrides made (--set nonexistent.key=1): their source
        prefix = dotted_key(parts) + "."
        under = {origin[k] for k in origin if k.startswith(prefix)}
        if parts and len(under) == 1 and isinstance(next(iter(under)), OverrideSource):
            return next(iter(under))
    return source


def _override_tag(parts: list[str | int], raw: Any, origin: Mapping[str, str] | None) -> str | None:
    """For a key missing from a table whose tag an override set (``--set
    population.activity.dist=uniform``), the dotted tag key; else None."""
    if len(parts) < 2 or not all(isinstance(p, str) for p in parts):
        return None
    table = node_at(raw, [str(p) for p in parts[:-1]])
    if not isinstance(table, Mapping):
        return None
    for tag in TAG_KEYS:
        tag_key = dotted_key([*parts[:-1], tag])
        if tag in table and is_override(origin, tag_key):
            return tag_key
    return None


def _retag_words(tag_key: str, missing: list[str], raw: Any, origin: Mapping[str, str]) -> str:
    """``FILE (--set): population.activity.dist = "uniform": replaces the table, ...``."""
    table, tag = tag_key.rsplit(".", 1)
    value = node_at(raw, tag_key.split("."))
    needs = f"{table}.{missing[0]}" + "".join(
        f"{' and' if i == len(missing) - 1 else ','} .{m}" for i, m in enumerate(missing[1:], start=1))
    where = origin[tag_key]
    hint = (" (add " + " ".join(f"--set {table}.{m}=..." for m in missing) + ")" if "--set" in where
            else " (set them in the same place)")
    return (f"{where}: {tag_key} = {inline_value(value)}: replaces the whole {table} table, and {tag} "
            f"{inline_value(value)} needs {needs}{hint}")


def _override_conflict(parts: list[str | int], depth: int, raw: Any, origin: Mapping[str, str] | None,
                       where: str) -> str | None:
    """When a check across keys of one table fails on a key a file set, but another key
    of that table was set by an override, the words ``FILE (--set): time.start =
    2025-02-20 conflicts with ...``; else None."""
    if origin is None or is_override(origin, dotted_key(parts)) or isinstance(origin.get(where), OverrideSource):
        return None
    table = [p for p in parts[: len(parts) - depth]]
    if not table or isinstance(where, OverrideSource):
        return None
    prefix = dotted_key(table) + "."
    keys = [k for k in origin if k.startswith(prefix) and is_override(origin, k) and k != dotted_key(parts)]
    if not keys:
        return None
    shown = ", ".join(f"{k} = {short_value(node_at(raw, k.split('.')))}" for k in keys)
    return f"{origin[keys[0]]}: {shown}"
