"""Load scenario files: read, merge ``extends``, apply ``--set`` overrides, validate.

This module wires the parts, each in its own module of :mod:`sim.scenario`:
:mod:`~sim.scenario.reading` (TOML files, ``extends``), :mod:`~sim.scenario.overrides`
(``--set`` and batch points), :mod:`~sim.scenario.introspection` (the schema looked up
by dotted key), :mod:`~sim.scenario.messages` (pydantic errors in the user's words) and
:mod:`~sim.scenario.checks` (dates against the simulated period). Their public names are
re-exported here, so ``from sim.scenario.loader import read_toml`` keeps working. The
graph-file check is :func:`sim.graph.check_graph_file` (the graph package reads files).

Every problem is reported as a :class:`ScenarioError` whose message has one line per
problem naming the file, the dotted key, the value and the allowed values, for
example::

    scenarios/x.toml: policy.commercial_share = 1.5: must be <= 1 (allowed: 0 <= commercial_share <= 1)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .checks import date_problems
from .errors import ScenarioError
from .introspection import (
    allows_none,
    annotation_types,
    field_bounds,
    format_bounds,
    is_integer_field,
    schema_field,
)
from .messages import describe_errors, key_source
from .overrides import OverrideSource, apply_overrides, is_override, nested_override_problem, parse_override
from .reading import kind_of, load_raw, read_toml, wrong_kind
from .schema import Scenario
from .text import dotted_key, inline_value
from .values import node_at

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
]


def validate_scenario(raw: Mapping[str, Any], source: str = "<scenario>",
                      origin: Mapping[str, str] | None = None) -> Scenario:
    """Validate a raw (merged) document into a :class:`Scenario`.

    Dates the document gives for occasions, the rollout and the chat entry are checked against the
    simulated period (see :func:`sim.scenario.date_problems`); defaults are not.

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
    calendar = raw.get("calendar")
    if isinstance(calendar, Mapping) and "occasions" in calendar:
        given.add("calendar")
    if isinstance(raw.get("groups"), Mapping):
        given.add("groups")
    return _validate(raw, source, origin, given)


def _validate(raw: Mapping[str, Any], source: str, origin: Mapping[str, str] | None,
              dates_given: set[str]) -> Scenario:
    try:
        sc = Scenario.model_validate(dict(raw))
    except ValidationError as exc:
        raise ScenarioError(describe_errors(exc, raw, source, origin)) from None
    problems = date_problems(sc, dates_given)
    if problems:
        raise ScenarioError("\n".join(_date_line(p, raw, source, origin) for p in problems))
    return sc


def _date_line(problem: tuple[list[str | int], Any, str], raw: Mapping[str, Any], source: str,
               origin: Mapping[str, str] | None) -> str:
    """One date problem's line; when an override moved the period, it names the override."""
    parts, value, text = problem
    where = key_source(parts, source, origin)
    period = [k for k in ("time.start", "time.end") if is_override(origin, k)]
    if period and not isinstance(where, OverrideSource):  # the override moved the period
        shown = ", ".join(f"{k} = {inline_value(node_at(raw, k.split('.')))}" for k in period)
        return (f"{origin[period[0]]}: {shown}: conflicts with {dotted_key(parts)} = {inline_value(value)} "
                f"from {where}: {text}")
    return f"{where}: {dotted_key(parts)} = {inline_value(value)}: {text}"


def load_scenario(path: str | Path, overrides: Iterable[str | tuple[str, Any]] = (), *,
                  checks: Iterable[Callable[[Scenario, str, Mapping[str, str]], None]] = (),
                  set_by: str = "--set") -> Scenario:
    """Load, merge, override and validate a scenario file.

    Parameters
    ----------
    path : str or Path
        The TOML scenario file.
    overrides : iterable of ``"key=value"`` strings or (key, value) pairs
        Applied after ``extends``, as with ``giftsim run --set`` (see
        :func:`apply_overrides`: a new ``kind``/``rule``/``dist`` replaces its table,
        ``none`` unsets an optional key).
    checks : iterable of callables
        Further checks of the valid scenario, each called as ``check(scenario, str(path),
        origin)`` (``origin``: which file set each dotted key) and raising
        :class:`ScenarioError`; ``giftsim check`` passes
        :func:`sim.graph.check_graph_file`, ``giftsim run`` leaves the graph file to
        building the graph.
    set_by : str, default "--set"
        How messages name where the overrides came from: ``FILE (--set): KEY = ...``.

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
    raw = apply_overrides(raw, pairs, origin, source=f"{path} ({set_by})")
    sc = validate_scenario(raw, str(path), origin)
    for check in checks:
        check(sc, str(path), origin)
    return sc


def _resolve_override_path(key: str, value: Any) -> Any:
    if key in ("graph.path", "groups.file") and isinstance(value, str) and value and not Path(value).is_absolute():
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
    raw = apply_overrides(raw, pairs, None, source, round_floats=True)
    given = {k.split(".")[0] for k, _ in pairs} & {"occasions", "rollout", "gifts", "groups"}
    given |= {"calendar" for k, _ in pairs if k == "calendar" or k.startswith("calendar.occasions")}
    return _validate(raw, source, None, given)
