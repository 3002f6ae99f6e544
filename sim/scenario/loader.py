"""Load scenario files: TOML, ``extends``, ``--set`` overrides, and clear validation errors.

A scenario file is TOML whose tables mirror :class:`sim.scenario.schema.Scenario`. It
may start with ``extends = "other.toml"`` (a path relative to it): the other file is
loaded first and this one's keys replace its keys, table by table (arrays and values
are replaced whole, and so is a table whose ``kind``, ``rule`` or ``dist`` changes: a
generated graph replaces a graph file). Relative graph paths are resolved against the
file that names them.

Every problem is reported as a :class:`ScenarioError` whose message has one line per
problem naming the file, the dotted key, the value and the allowed values, for
example::

    scenarios/x.toml: policy.commercial_share = 1.5: must be <= 1 (allowed: 0 <= commercial_share <= 1)
"""

from __future__ import annotations

import copy
import difflib
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
from .schema import Scenario

__all__ = [
    "ScenarioError",
    "load_scenario",
    "load_raw",
    "parse_override",
    "apply_overrides",
    "validate_scenario",
    "with_overrides",
    "describe_errors",
    "read_toml",
    "kind_of",
    "wrong_kind",
    "field_bounds",
    "format_bounds",
]

_MAX_EXTENDS = 32
_MAX_BYTES = 10 * 1024 * 1024


class ScenarioError(ValueError):
    """A scenario (or batch) file or override that cannot be used; the message says why,
    one line per problem, naming the file, the key and the allowed values."""


# --------------------------------------------------------------------------- reading
def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file (at most 10 MiB, UTF-8).

    Raises
    ------
    ScenarioError
        Naming the file (and line) if it is missing, unreadable, not UTF-8 or not TOML.
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
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{path}: invalid TOML: {err}") from None


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
    base, origin = load_raw(ppath, (*_chain, resolved))
    return _merge(base, raw, origin, str(path)), origin


# --------------------------------------------------------------------------- overrides
def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``key.path=value``; the value is read as TOML (``0.1``, ``true``,
    ``"equal"``, ``[1, 2]``, ``{ dist = "beta", a = 2, b = 5 }``), else as a bare string.

    Raises
    ------
    ScenarioError
        If there is no ``=`` or the key is empty.
    """
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ScenarioError(f"--set {text!r}: expected KEY=VALUE with a dotted KEY, e.g. policy.commercial_share=0.05")
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()
    return key, parsed


def apply_overrides(raw: dict[str, Any], overrides: Iterable[tuple[str, Any]],
                    origin: dict[str, str] | None = None, source: str = "--set") -> dict[str, Any]:
    """Return a copy of ``raw`` with each dotted key set to its value (tables created as needed).

    Raises
    ------
    ScenarioError
        If a key runs through a value that is not a table.
    """
    out = copy.deepcopy(raw)
    for key, value in overrides:
        node = out
        parts = key.split(".")
        for i, part in enumerate(parts[:-1]):
            nxt = node.setdefault(part, {})
            if not isinstance(nxt, dict):
                raise ScenarioError(
                    f"{source} {key}: {'.'.join(parts[: i + 1])} is a value, not a table"
                )
            node = nxt
        node[parts[-1]] = value
        if origin is not None:
            origin[key] = source
    return out


# --------------------------------------------------------------------------- validation
def _unwrap(tp: Any) -> list[Any]:
    """The BaseModel classes (and other types) an annotation may hold."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(tp):
            out += _unwrap(arg)
        return out
    if origin in (list, tuple):
        return _unwrap(typing.get_args(tp)[0]) if typing.get_args(tp) else []
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


def _walk(loc: tuple[Any, ...], raw: Any, root: type[BaseModel]
          ) -> tuple[list[str | int], type[BaseModel] | None, Any, bool]:
    """Follow a pydantic error location through the raw document and the schema.

    Returns the user-visible key parts, the model class holding the last key, the raw
    value there, and whether the key exists in the document.
    """
    parts: list[str | int] = []
    model: type[BaseModel] | None = root
    node: Any = raw
    holder: type[BaseModel] | None = root
    found = True
    for i, item in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, dict) and item in node:
            parts.append(item)
            holder = model
            field = model.model_fields.get(item) if model is not None else None
            node = node[item]
            model = _model_for(_unwrap(field.annotation), node) if field is not None else None
        elif isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node):
            parts.append(item)
            node = node[item]
            if isinstance(node, dict) and model is None and holder is not None:
                field = holder.model_fields.get(parts[-2]) if len(parts) >= 2 else None
                model = _model_for(_unwrap(field.annotation), node) if field is not None else None
        elif last and isinstance(item, str) and not item.startswith(("function-", "tagged-union")):
            parts.append(item)
            holder = model
            node = None
            found = False
        # else: a union tag or validator name pydantic puts in locations; not a key
    return parts, holder, node, found


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
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return str(v)
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


_TAGS = {
    "dist": "constant, uniform, beta, lognormal, gamma",
    "kind": "edgelist, graphml, gml, barabasi_albert, watts_strogatz, holme_kim, sbm, "
    "configuration, complete",
}


def _message(err: dict[str, Any], model: type[BaseModel] | None, name: str | int | None,
             allowed_keys: list[str]) -> str:
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
    return msg.replace("Input should be", "must be")


def describe_errors(exc: ValidationError, raw: Mapping[str, Any], source: str,
                    origin: Mapping[str, str] | None = None,
                    root: type[BaseModel] = Scenario) -> str:
    """One line per validation problem: ``FILE: KEY = VALUE: what is wrong (allowed ...)``.

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
    lines = []
    for err in exc.errors():
        parts, holder, node, found = _walk(tuple(err["loc"]), raw, root)
        key = _dotted(parts)
        name = parts[-1] if parts else None
        allowed = sorted(holder.model_fields) if holder is not None else []
        where = source
        if origin:
            for i in range(len(parts), 0, -1):
                k = _dotted(parts[:i])
                if k in origin:
                    where = origin[k]
                    break
        value = f" = {_fmt_value(err['input'])}" if found and not isinstance(err["input"], dict) else ""
        lines.append(f"{where}: {key}{value}: {_message(err, holder, name, allowed)}")
    return "\n".join(dict.fromkeys(lines))


def validate_scenario(raw: Mapping[str, Any], source: str = "<scenario>",
                      origin: Mapping[str, str] | None = None) -> Scenario:
    """Validate a raw (merged) document into a :class:`Scenario`.

    Raises
    ------
    ScenarioError
        With one line per problem: ``FILE: KEY = VALUE: what is wrong (allowed ...)``.
    """
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"{source}: expected a table of scenario keys")
    try:
        return Scenario.model_validate(dict(raw))
    except ValidationError as exc:
        raise ScenarioError(describe_errors(exc, raw, source, origin)) from None


def load_scenario(path: str | Path, overrides: Iterable[str | tuple[str, Any]] = ()) -> Scenario:
    """Load, merge, override and validate a scenario file.

    Parameters
    ----------
    path : str or Path
        The TOML scenario file.
    overrides : iterable of ``"key=value"`` strings or (key, value) pairs
        Applied after ``extends``, as with ``giftsim run --set``.

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
    return validate_scenario(raw, str(path), origin)


def _resolve_override_path(key: str, value: Any) -> Any:
    if key == "graph.path" and isinstance(value, str) and value and not Path(value).is_absolute():
        return str(Path(value).expanduser().resolve())
    return value


def with_overrides(scenario: Scenario, overrides: Iterable[tuple[str, Any]], source: str = "override") -> Scenario:
    """A new scenario with dotted keys replaced, validated as a whole.

    Raises
    ------
    ScenarioError
        If the result is not a valid scenario.
    """
    raw = scenario.model_dump(mode="python", by_alias=True)
    raw = apply_overrides(raw, [(k, _resolve_override_path(k, v)) for k, v in overrides], source=source)
    return validate_scenario(raw, source)
