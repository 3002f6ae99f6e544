"""Read scenario (and batch, calibration) TOML files: size, encoding, byte-order mark,
nesting depth, ``extends`` chains, and what kind of document a file is.

A scenario file may start with ``extends = "other.toml"`` (a path relative to it): the
other file is loaded first and this one's keys replace its keys, table by table (arrays
and values are replaced whole, and so is a table whose ``kind``, ``rule`` or ``dist``
changes: a generated graph replaces a graph file). Relative graph paths are resolved
against the file that names them.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import ScenarioError
from .introspection import TAG_KEYS
from .text import dotted_key, toml_value

__all__ = ["MAX_DEPTH", "kind_of", "load_raw", "read_toml", "too_deep", "wrong_kind"]


_MAX_EXTENDS = 32


_MAX_BYTES = 10 * 1024 * 1024


MAX_DEPTH = 20
"""Tables and arrays may nest at most this deep in a scenario, batch or calibration file
(the deepest any needs is about 6: ``[[variants]]``, its ``set``, a distribution table).
Deeper documents are refused when read: Python's TOML reader, ``copy.deepcopy`` and
pydantic all recurse, and some hundreds of levels exhaust the interpreter's stack."""


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
                            f"allowed: at most {MAX_DEPTH} levels of tables and arrays") from None
    deep = too_deep(doc)
    if deep is not None:
        shown = dotted_key(deep[:6]) + ("..." if len(deep) > 6 else "")
        raise ScenarioError(f"{path}: {shown}: tables or arrays nested more than {MAX_DEPTH} levels deep; "
                            f"allowed: at most {MAX_DEPTH} levels of tables and arrays")
    return doc


def too_deep(doc: Any) -> list[str | int] | None:
    """The key parts of the first table or array nested deeper than :data:`MAX_DEPTH`
    in a parsed document, or None; iterative, so any depth is safe to check."""
    stack: list[tuple[Any, list[str | int]]] = [(doc, [])]
    while stack:
        node, parts = stack.pop()
        if len(parts) > MAX_DEPTH:
            return parts
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        stack += [(v, [*parts, k]) for k, v in items if isinstance(v, dict | list)]
    return None


def _deep_line(text: str) -> int | None:
    """The line where brackets or braces outside strings and comments first open more
    than :data:`MAX_DEPTH` levels deep (for a document too deep to parse), or None."""
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
            if depth > MAX_DEPTH:
                return line
        elif c in "]}":
            depth = max(0, depth - 1)
        line += c == "\n"
        i += 1
    return None


_BATCH_KEYS = ("replicates", "scenarios", "variants", "sweep", "sample", "base")


_CALIBRATION_KEYS = ("targets", "parameters")


_SEARCH_KEYS = ("levers", "objectives")


_COMMAND = {"scenario": "giftsim run", "batch": "giftsim batch", "calibration": "giftsim calibrate",
            "search": "giftsim optimize"}


def kind_of(raw: Mapping[str, Any]) -> str:
    """``scenario``, ``batch``, ``calibration`` or ``search``: what a TOML document is, from
    its top-level keys (no scenario has any of the others' keys; a search file has
    ``levers`` or ``objectives``, and may share ``base`` with a batch)."""
    if any(k in raw for k in _SEARCH_KEYS):
        return "search"
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
    groups = raw.get("groups")
    if isinstance(groups, dict) and isinstance(groups.get("file"), str) and groups["file"]:
        p = Path(groups["file"]).expanduser()
        if not p.is_absolute():
            groups["file"] = str((base / p).resolve())


def _same_variant(base: Mapping[str, Any], top: Mapping[str, Any]) -> bool:
    return all(top.get(t, base.get(t)) == base.get(t) for t in TAG_KEYS)


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
        raise ScenarioError(f"{path}: extends = {toml_value(parent)}: {what} ({ppath})")
    base, origin = load_raw(ppath, (*_chain, resolved))
    return _merge(base, raw, origin, str(path)), origin
