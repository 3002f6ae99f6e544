"""Planning a batch: scenario points (variants x sweep grid, or a sampled design) x
replicates, each run with its own recorded seed and content id."""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..results import run_id
from ..scenario import (
    Scenario,
    ScenarioError,
    apply_overrides,
    check_graph_file,
    is_integer_field,
    load_raw,
    schema_field,
    validate_scenario,
)
from .spec import BatchSpec, Range, _same_key

__all__ = ["Point", "PlannedRun", "Plan", "make_plan", "run_seed", "salib_problem"]


@dataclass(frozen=True, eq=False)
class Point:
    """One scenario point of a batch.

    Attributes
    ----------
    index : int
        Position in the plan (0-based).
    name : str
        Variant name, plus the swept or sampled values.
    variant : str
    params : dict of str to value
        The swept or sampled keys and their values at this point.
    scenario : Scenario
        The resolved scenario.
    """

    index: int
    name: str
    variant: str
    params: dict[str, Any]
    scenario: Scenario


@dataclass(frozen=True)
class PlannedRun:
    """One run: a point, a replicate, its seed and its content id (``sim.results.run_id``)."""

    point: int
    replicate: int
    seed: int
    run_id: str


@dataclass(frozen=True, eq=False)
class Plan:
    """The resolved batch: points, runs in order, and the sampled design (if any)."""

    spec: BatchSpec
    points: list[Point]
    runs: list[PlannedRun]
    sample_matrix: np.ndarray | None = None
    problem: dict[str, Any] | None = None
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def run_seed(master: int, point: int, replicate: int, *, common_random_numbers: bool = False) -> int:
    """The seed of one run: ``SeedSequence(master, spawn_key=(point, replicate))`` (or
    ``(replicate,)`` with common random numbers) reduced to a 63-bit integer.

    The seed depends only on the master seed and the run's place in the plan, never on
    the worker or the order in which runs finish.
    """
    key = (replicate,) if common_random_numbers else (point, replicate)
    ss = np.random.SeedSequence(master, spawn_key=key)
    hi, lo = (int(x) for x in ss.generate_state(2, np.uint32))
    return ((hi << 32) | lo) >> 1


def salib_problem(spec: BatchSpec) -> dict[str, Any] | None:
    """The SALib problem dictionary of a sampled batch (None without ``[sample]``)."""
    if spec.sample is None:
        return None
    names = list(spec.sample.bounds)
    return {"num_vars": len(names), "names": names,
            "bounds": [list(spec.sample.bounds[k]) for k in names]}


def _sample_matrix(spec: BatchSpec, integer: set[str] | frozenset[str] = frozenset()) -> np.ndarray:
    """The design matrix; columns of ``integer`` keys and of the spec's ``integer`` list
    are rounded to the nearest integer."""
    from SALib.sample import latin, morris
    from SALib.sample import sobol as sobol_sample

    s = spec.sample
    problem = salib_problem(spec)
    seed = int(run_seed(spec.seed, 2**31 - 1, 0) % (2**31 - 1))
    if s.method == "latin":
        x = latin.sample(problem, s.n, seed=seed)
    elif s.method == "sobol":
        x = sobol_sample.sample(problem, s.n, calc_second_order=s.second_order, seed=seed)
    else:
        x = morris.sample(problem, s.n, num_levels=s.levels, seed=seed)
    x = np.asarray(x, dtype=np.float64)
    for j, name in enumerate(problem["names"]):
        if name in s.integer or name in integer:
            x[:, j] = np.rint(x[:, j])
    return x


def _integer_keys(keys, raws: list[dict[str, Any]]) -> set[str]:
    """The keys that name an integer scenario field (in any of the scenarios ``raws``)."""
    out = set()
    for k in keys:
        for raw in raws:
            f = schema_field(k, raw)
            if f is not None and is_integer_field(f):
                out.add(k)
                break
    return out


def _check_integer_sample(spec: BatchSpec, integer: set[str], raws: list[dict[str, Any]], source: str) -> None:
    """``sample.integer`` lists number (float) keys only, and every rounded key's bounds
    hold at least two integers (else every point would get the same value, possibly
    outside the bounds)."""
    s = spec.sample
    for i, key in enumerate(s.integer):
        if key in integer:
            continue  # an integer key: rounded anyway
        fields = [schema_field(key, raw) for raw in raws]
        kinds = [f for f in fields if f is not None]
        if not kinds:
            raise ScenarioError(f"{source}: sample.integer[{i}] = {key!r}: is not a scenario key (of "
                                f"{spec.base or 'the scenarios'}); allowed: number keys of bounds")
        if not all(float in _kinds(f) for f in kinds):
            raise ScenarioError(f"{source}: sample.integer[{i}] = {key!r}: is not a number key; allowed: number "
                                "(float) keys of bounds (integer keys are rounded without being listed)")
    for key in [k for k in s.bounds if k in integer or k in s.integer]:
        lo, hi = s.bounds[key]
        whole = math.floor(hi) - math.ceil(lo) + 1
        if whole < 2:
            what = "an integer key" if key in integer else "listed in sample.integer"
            raise ScenarioError(
                f"{source}: sample.bounds.'{key}' = [{lo:g}, {hi:g}]: {key} is {what}, so its sampled values are "
                f"rounded, but the bounds hold {'only one integer' if whole == 1 else 'no integer'}; allowed: "
                "bounds holding at least two integers" + ("" if key in integer else ", or leave it out of integer"))


def _kinds(field) -> list[Any]:
    from ..scenario.loader import _unwrap

    return _unwrap(field.annotation)


def _range_text(r: Range) -> str:
    def num(x: float) -> str:
        return f"{x:g}"
    more = f"num = {r.num}" if r.num is not None else f"step = {num(r.step)}"
    return f"{{ start = {num(r.start)}, stop = {num(r.stop)}, {more} }}"


def _sweep_values(spec: BatchSpec, integer: set[str], source: str) -> list[list[Any]]:
    """Each swept key's values; a range over an integer key gives integers (whole
    numbers only, unless the range rounds with ``integer = true``)."""
    lists = []
    for key, values in spec.sweep.items():
        if isinstance(values, Range):
            vals = values.values()
            if key in integer and not values.integer:
                odd = [v for v in vals if not float(v).is_integer()]
                if odd:
                    shown = ", ".join(f"{v:g}" for v in vals[:6]) + (", ..." if len(vals) > 6 else "")
                    span = values.stop - values.start
                    eg = (f"num = {int(span) + 1} or step = 1" if float(values.start).is_integer()
                          and span.is_integer() and span < 100_000 else "whole start and stop with step = 1")
                    raise ScenarioError(
                        f"{source}: sweep.'{key}' = {_range_text(values)}: gives {shown}, but {key} is an "
                        f"integer; allowed: a range of whole numbers (e.g. {eg}), a list of integers, "
                        "or integer = true to round the values")
                vals = [int(v) for v in vals]
        else:
            vals = [int(v) if key in integer and isinstance(v, float) and v.is_integer() else v
                    for v in values]
        lists.append(vals)
    return lists


def _label(value: Any) -> str:
    if isinstance(value, dict):
        for tag in ("rule", "dist", "kind"):
            if tag in value:
                rest = ", ".join(f"{k}={v}" for k, v in value.items() if k != tag)
                return f"{value[tag]}({rest})" if rest else str(value[tag])
        return json.dumps(value, sort_keys=True)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _point_name(variant: str, params: dict[str, Any], show_variant: bool) -> str:
    parts = [f"{k.rsplit('.', 1)[-1]}={_label(v)}" for k, v in params.items()]
    if not parts:
        return variant
    return (variant + " | " if show_variant else "") + ", ".join(parts)


def make_plan(spec: BatchSpec, folder: str | Path, source: str = "<batch>") -> Plan:
    """Resolve a batch into points and runs, validating every point's scenario.

    Parameters
    ----------
    spec : BatchSpec
    folder : path-like
        Folder that scenario paths are relative to (the batch file's).
    source : str
        The batch file's name, for error messages.

    Returns
    -------
    Plan

    Raises
    ------
    ScenarioError
        If a scenario file or any point's scenario is invalid (the message names the
        batch file, the point and the key), including a graph file that is missing,
        malformed or has fewer users than ``mode.seeds`` (each distinct file is read
        once, see :func:`sim.graph.graph_file_facts`).
    """
    folder = Path(folder)
    raw_cache: dict[str, tuple[dict[str, Any], dict[str, str]]] = {}

    def raw_of(rel: str, key: str) -> tuple[dict[str, Any], dict[str, str]]:
        if rel not in raw_cache:
            try:
                raw_cache[rel] = load_raw(folder / rel)
            except ScenarioError as err:  # name the batch key that points at the file
                raise ScenarioError(f"{source}: {key} = {rel!r}: {err}") from None
        return raw_cache[rel]

    variants: list[tuple[str, str, dict[str, Any]]] = []
    for i, rel in enumerate(spec.scenarios):
        raw, _ = raw_of(rel, f"scenarios[{i}]")
        variants.append((str(raw.get("name") or Path(rel).stem), rel, {}))
    for v in spec.variants:
        rel = v.scenario or spec.base
        if rel is None:
            raise ScenarioError(f"{source}: variants: {v.name!r} names no scenario and there is no base")
        variants.append((v.name, rel, dict(v.set)))
    if not variants:
        raw, _ = raw_of(spec.base, "base")
        variants.append((str(raw.get("name") or Path(spec.base).stem), spec.base, {}))
    for i, rel in enumerate(spec.scenarios):
        if rel in spec.scenarios[:i]:
            raise ScenarioError(f"{source}: scenarios[{i}] = {rel!r}: is listed twice (also scenarios"
                                f"[{spec.scenarios.index(rel)}]); list each scenario file once")
    same: dict[str, str] = {}
    for vname, rel, overrides in variants:
        key = _same_key([str((folder / rel).resolve()), overrides])
        if key in same:
            raise ScenarioError(f"{source}: variants {same[key]!r} and {vname!r} are identical (same scenario "
                                f"{rel!r} and the same set = {{...}}); they would run the same point twice: "
                                "remove one, or make their scenario or overrides differ")
        same[key] = vname
    names = [v[0] for v in variants]
    if len(set(names)) != len(names):
        raise ScenarioError(f"{source}: two points share the name {next(n for n in names if names.count(n) > 1)!r}; "
                            "give variants distinct names")

    matrix = None
    problem = salib_problem(spec)
    raws = [raw_of(rel, "base" if rel == spec.base else f"variants[{vname!r}].scenario")[0]
            for vname, rel, _ in variants]
    if spec.sample is not None:
        integer = _integer_keys(problem["names"], raws)
        _check_integer_sample(spec, integer, raws, source)
        integer |= set(spec.sample.integer)
        matrix = _sample_matrix(spec, integer)
        combos = [dict(zip(problem["names"], (float(x) if k not in integer else int(x)
                                              for k, x in zip(problem["names"], row))))
                  for row in matrix]
    elif spec.sweep:
        keys = list(spec.sweep)
        lists = _sweep_values(spec, _integer_keys(keys, raws), source)
        combos = [dict(zip(keys, vals)) for vals in itertools.product(*lists)]
    else:
        combos = [{}]

    points: list[Point] = []
    for vname, rel, base_set in variants:
        raw, origin = raw_of(rel, "base" if rel == spec.base else f"variants[{vname!r}].scenario")
        for combo in combos:
            params = {**combo}
            pairs = list(base_set.items()) + list(combo.items())
            name = _point_name(vname, params, show_variant=len(variants) > 1)
            try:
                point_origin = dict(origin)
                doc = apply_overrides(raw, pairs, point_origin, source=f"{source} [{name}]")
                sc = validate_scenario(doc, f"{source} [{name}]", point_origin)
                check_graph_file(sc, f"{source} [{name}]", point_origin)  # read once per file
            except ScenarioError as err:
                raise ScenarioError(f"{source}: point {name!r}:\n{err}") from None
            points.append(Point(index=len(points), name=name, variant=vname,
                                params={**base_set, **params}, scenario=sc))
    if spec.sample is None:  # (a sampled design may repeat a point: Morris trajectories do)
        seen: dict[str, int] = {}
        for p in points:
            if p.name in seen:
                raise ScenarioError(
                    f"{source}: points {seen[p.name]} and {p.index} share the name {p.name!r}; give [sweep] "
                    "values that differ in their first 6 significant digits")
            seen[p.name] = p.index

    runs = []
    for p in points:
        for r in range(spec.replicates):
            seed = run_seed(spec.seed, p.index, r, common_random_numbers=spec.common_random_numbers)
            runs.append(PlannedRun(point=p.index, replicate=r, seed=seed, run_id=run_id(p.scenario, seed)))
    return Plan(spec=spec, points=points, runs=runs, sample_matrix=matrix, problem=problem, source=source)
