"""Planning a batch: scenario points (variants x sweep grid, or a sampled design) x
replicates, each run with its own recorded seed and content id.

A :class:`Plan` is an immutable description (the variants, each swept key's values or
the sampled design, the replicates): the number of points and runs follow from it
without enumerating anything, and each point's overrides, name and scenario are made on
demand from its index. ``plan.points`` and ``plan.runs`` are lazy sequences.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..experiments.roles import ParameterSpace, Role
from ..experiments.seeds import run_seed, sampler_seed
from ..graph import check_graph_file
from ..results import run_id_maker
from ..scenario import (
    Scenario,
    ScenarioError,
    apply_overrides,
    is_integer_field,
    load_raw,
    nested_override_problem,
    scenario_data,
    schema_field,
    validate_scenario,
    value_at,
    with_overrides,
)
from .spec import BatchSpec, Range, _same_key
from .uncertainty import Condition, Draws, condition_count, make_conditions, make_draws, robustness_of, varied_keys

__all__ = ["Point", "PlannedRun", "Plan", "make_plan", "run_seed", "salib_problem", "sample_space", "count_runs",
           "toml_value", "batch_relative_paths", "DEFAULT_MAX_RUNS", "FULL_CHECK_POINTS", "SAMPLE_CHUNK"]

DEFAULT_MAX_RUNS = 10_000_000
"""Batches of more runs are refused unless ``max_runs`` (batch file) or ``--max-runs`` allows them."""

FULL_CHECK_POINTS = 2_000
"""Up to this many points, planning validates every point; beyond, ``giftsim check``
validates every variant with each swept value (or each end of each sampled bound) and
``giftsim batch`` validates every point before its first run."""


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
        The variant's, swept or sampled keys and the values this point's scenario
        resolved them to (:func:`sim.scenario.value_at`: what its runs use, whatever
        the order the overrides were written in).
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
    """One run: a point, a replicate, its seed and its content id (``sim.results.run_id``);
    ``condition``: its index in ``plan.conditions`` (0 in a batch without uncertainty or
    robustness, which has none)."""

    point: int
    replicate: int
    seed: int
    run_id: str
    condition: int = 0


def sample_space(spec: BatchSpec) -> ParameterSpace | None:
    """The ``[sample]`` bounds as uncertainties (:class:`sim.experiments.ParameterSpace`;
    keys of ``sample.integer`` rounded), in the file's order; None without ``[sample]``."""
    if spec.sample is None:
        return None
    return ParameterSpace.from_bounds(spec.sample.bounds, Role.UNCERTAINTY, spec.sample.integer)


def salib_problem(spec: BatchSpec) -> dict[str, Any] | None:
    """The SALib problem dictionary of a sampled batch (None without ``[sample]``)."""
    space = sample_space(spec)
    return None if space is None else space.salib_problem()


SAMPLE_CHUNK = 4096
"""Morris trajectories drawn per call to SALib while drawing a design: memory holds the
design (8 bytes per key and row) and one chunk, not SALib's per-trajectory arrays."""


def _draw(spec: BatchSpec, n: int, integer: set[str] | frozenset[str]) -> np.ndarray:
    """The first ``n`` base samples of the design (all of it when ``n = spec.sample.n``):
    a Sobol or Morris design's rows are drawn in order from one seeded stream, so its
    first blocks do not depend on ``n`` (Latin's strata do: draw it whole). Columns of
    ``integer`` keys and of the spec's ``integer`` list are rounded to the nearest integer.

    Returns
    -------
    ndarray of float64, shape (rows, D)
        ``rows`` = n (Latin), n (2 D + 2) or n (D + 2) (Sobol), n (D + 1) (Morris).
    """
    from SALib.sample import latin, morris
    from SALib.sample import sobol as sobol_sample

    s = spec.sample
    problem = salib_problem(spec)
    seed = sampler_seed(spec.seed)
    d = len(s.bounds)
    if s.method == "latin":
        x = np.asarray(latin.sample(problem, n, seed=seed), dtype=np.float64)
    elif s.method == "sobol":
        x = np.asarray(sobol_sample.sample(problem, n, calc_second_order=s.second_order, seed=seed),
                       dtype=np.float64)
    else:  # one bit generator through every chunk (SALib wraps it, sharing its state; a Generator it
        # would spawn from): the same draws, in the same order, as one call with the seed
        rng = np.random.PCG64(seed)
        x = np.empty((n * (d + 1), d), dtype=np.float64)
        for t in range(0, n, SAMPLE_CHUNK):
            k = min(SAMPLE_CHUNK, n - t)
            x[t * (d + 1):(t + k) * (d + 1)] = morris.sample(problem, k, num_levels=s.levels, seed=rng)
    for j, name in enumerate(problem["names"]):
        if name in s.integer or name in integer:
            x[:, j] = np.rint(x[:, j])
    return x


def _sample_matrix(spec: BatchSpec, integer: set[str] | frozenset[str] = frozenset()) -> np.ndarray:
    """The whole design matrix (see :func:`_draw`)."""
    return _draw(spec, spec.sample.n, integer)


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
                                f"{spec.base or 'the scenarios'} or its variants); allowed: number keys of bounds")
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
    from ..scenario.introspection import annotation_types

    return annotation_types(field.annotation)


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


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_value(value: Any) -> str:
    """``value`` written as a TOML value: strings in double quotes, ``true``/``false``,
    dates as ``2024-12-19``, floats to 6 significant digits, lists ``[a, b]``, tables
    ``{ key = value }`` (never a Python repr)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    if isinstance(value, float):
        if not math.isfinite(value):
            return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        text = f"{value:.6g}"
        return text if any(c in text for c in ".e") else text + ".0"  # 1.0, not the integer 1
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict):
        items = ", ".join(f"{k if _BARE_KEY.fullmatch(str(k)) else json.dumps(str(k))} = {toml_value(v)}"
                          for k, v in value.items())
        return f"{{ {items} }}" if items else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return str(value)


def _label(value: Any) -> str:
    """A swept or sampled value in a point name: a table with a ``rule``, ``dist`` or
    ``kind`` as ``tag(key=value, ...)``, anything else as TOML (:func:`toml_value`)."""
    if isinstance(value, dict):
        for tag in ("rule", "dist", "kind"):
            if isinstance(value.get(tag), str):
                rest = ", ".join(f"{k}={toml_value(v)}" for k, v in value.items() if k != tag)
                return f"{value[tag]}({rest})" if rest else value[tag]
    return toml_value(value)


def _point_name(variant: str, params: dict[str, Any], show_variant: bool) -> str:
    parts = [f"{k.rsplit('.', 1)[-1]}={_label(v)}" for k, v in params.items()]
    if not parts:
        return variant
    return (variant + " | " if show_variant else "") + ", ".join(parts)


def _value_or_none(data: dict[str, Any], key: str) -> Any:
    try:
        return value_at(data, key)
    except KeyError:  # the key runs through a value in this point's scenario
        return None


def _range_count(r: Range) -> int:
    if r.num is not None:
        return r.num
    return int(math.floor((r.stop - r.start) / r.step + 1e-9)) + 1


def _sample_rows(spec: BatchSpec) -> int:
    s = spec.sample
    d = len(s.bounds)
    if s.method == "latin":
        return s.n
    if s.method == "sobol":
        return s.n * (2 * d + 2 if s.second_order else d + 2)
    return s.n * (d + 1)


def count_runs(spec: BatchSpec) -> tuple[int, int]:
    """The number of points and of runs of a batch, from the file alone (nothing is
    enumerated, no scenario read): variants (or scenarios) x the product of the swept
    keys' value counts, or the sampled design's rows; runs = points x replicates, times
    the conditions per point of a batch with uncertainty or robustness
    (:func:`sim.batch.uncertainty.condition_count`).

    Returns
    -------
    points, runs : int
        Exact (Python ints: 10^15 is fine).
    """
    n_variants = len(spec.scenarios) + len(spec.variants) or 1
    if spec.sample is not None:
        combos = _sample_rows(spec)
    else:
        combos = math.prod(_range_count(v) if isinstance(v, Range) else len(v) for v in spec.sweep.values())
    points = n_variants * combos
    return points, points * spec.replicates * max(1, condition_count(spec))


def _check_limit(spec: BatchSpec, source: str, max_runs: int | None) -> tuple[int, int]:
    if max_runs is not None and not (isinstance(max_runs, int) and max_runs >= 1):
        raise ValueError(f"max_runs must be a whole number >= 1, got {max_runs!r}")
    points, runs = count_runs(spec)
    limit = max_runs if max_runs is not None else (spec.max_runs or DEFAULT_MAX_RUNS)
    if runs > limit:
        how = "--max-runs N" if max_runs is not None else "max_runs = N in the batch file or --max-runs N"
        conds = condition_count(spec)
        shape = (f"{points:,} points x " + (f"{conds:,} conditions x " if conds else "")
                 + f"{spec.replicates:,} replicates")
        raise ScenarioError(
            f"{source}: {runs:,} runs ({shape}) is more than the "
            f"limit of {limit:,} runs; allowed: at most {limit:,} runs (plan fewer points or replicates, or "
            f"raise the limit with {how})")
    return points, runs


@dataclass(frozen=True)
class _VariantDef:
    name: str
    rel: str
    overrides: tuple[tuple[str, Any], ...]
    where: str  # the batch key naming its scenario file, for messages
    raw: Any  # (raw, origin) of its scenario file, read once; copied before any change


class _Lazy(Sequence):
    """A read-only sequence whose items are made on demand from their index."""

    def __init__(self, n: int, item: Callable[[int], Any]):
        self._n, self._item = n, item

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._item(j) for j in range(*i.indices(self._n))]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(i)
        return self._item(i)

    def __iter__(self) -> Iterator[Any]:
        return (self._item(i) for i in range(self._n))


class Plan:
    """A batch as an immutable description: points are made on demand from their index.

    Attributes
    ----------
    spec : BatchSpec
    source : str
        The batch file, for messages.
    n_points, n_runs : int
    points : sequence of Point
        Lazy: ``plan.points[i]`` resolves (and validates) point ``i``'s scenario; a few
        recent points are cached (every point of a plan of at most
        :data:`FULL_CHECK_POINTS`).
    runs : sequence of PlannedRun
        Lazy, point-major: run ``j`` is point ``j // per_point``, then condition and
        replicate (``divmod(j % per_point, replicates)``).
    conditions : tuple of Condition
        What every point runs under (parameter draws, robustness ends); empty for a batch
        without uncertainty or robustness.
    draws : Draws or None
        The parameter draws.
    per_point : int
        Runs per point: replicates x max(1, number of conditions).
    param_keys : list of str
        The keys recorded per point (variants' ``set`` keys, then the swept or sampled keys).
    problem : dict or None
        The SALib problem of a sampled design.
    """

    def __init__(self, spec: BatchSpec, source: str, variants: list[_VariantDef], keys: list[str],
                 values: list[tuple[Any, ...]] | None, integer: frozenset[str], n_points: int,
                 folder: Path | None = None, conditions: tuple[Condition, ...] = (), draws: Draws | None = None):
        self.spec = spec
        self.source = source
        self.folder = folder if folder is not None else Path.cwd()  # a file path a point sets is relative to it
        self._variants = tuple(variants)
        self._keys = tuple(keys)
        self._values = tuple(tuple(v) for v in values) if values is not None else ()
        self._integer = integer
        self.n_points = n_points
        self.conditions = tuple(conditions)
        self.draws = draws
        self.per_point = spec.replicates * max(1, len(self.conditions))
        self.n_runs = n_points * self.per_point
        self._run_scenarios: OrderedDict[tuple[int, int], Scenario] = OrderedDict()
        self._combos = n_points // len(self._variants)
        self.problem = salib_problem(spec)
        self._matrix: np.ndarray | None = None
        self._head: np.ndarray | None = None
        self._cache: OrderedDict[int, Point] = OrderedDict()
        self._cache_size = max(8, n_points if n_points <= FULL_CHECK_POINTS else 0)
        self._ids: OrderedDict[tuple[int, int], Callable[[int], str]] = OrderedDict()
        self.points = _Lazy(n_points, self.point)
        self.runs = _Lazy(self.n_runs, self.run)
        keys_seen: list[str] = []
        for v in self._variants:
            for k, _ in v.overrides:
                if k not in keys_seen:
                    keys_seen.append(k)
        self.param_keys = keys_seen + [k for k in self._keys if k not in keys_seen]

    # ------------------------------------------------------------------ the design
    @property
    def sample_matrix(self) -> np.ndarray | None:
        """The sampled design (rows = points of one variant), drawn in full on first use.

        Memory: 8 bytes per key and row (a design of 9 M rows of 8 keys: 576 MB), plus
        while drawing one chunk of :data:`SAMPLE_CHUNK` Morris trajectories, or for Sobol
        SALib's base sequence and a scaled copy (about twice the design in all)."""
        if self.spec.sample is not None and self._matrix is None:
            m = _sample_matrix(self.spec, self._integer)
            m.setflags(write=False)
            self._matrix = m
        return self._matrix

    def _sample_row(self, c: int) -> np.ndarray:
        """Row ``c`` of the design; a Sobol or Morris design's first block (one base sample)
        is drawn alone until a later row is asked for (the cost estimate and ``giftsim check``
        need only the first point: no design drawn in full)."""
        if self._matrix is None and self.spec.sample.method != "latin":
            if self._head is None:
                self._head = _draw(self.spec, 1, self._integer)
                self._head.setflags(write=False)
            if c < len(self._head):
                return self._head[c]
        return self.sample_matrix[c]

    def _combo(self, c: int) -> dict[str, Any]:
        """The swept or sampled keys' values of combination ``c`` (a fresh copy)."""
        if self.spec.sample is not None:
            row = self._sample_row(c)
            return {k: (int(x) if k in self._integer else float(x)) for k, x in zip(self._keys, row)}
        out: dict[str, Any] = {}
        for k, vals in zip(reversed(self._keys), reversed(self._values)):  # the last key varies fastest
            c, j = divmod(c, len(vals))
            out[k] = copy.deepcopy(vals[j])
        return dict(reversed(list(out.items())))

    def _where(self, i: int) -> tuple[_VariantDef, dict[str, Any]]:
        if not 0 <= i < self.n_points:
            raise IndexError(i)
        v, c = divmod(i, self._combos)
        return self._variants[v], self._combo(c)

    def overrides(self, i: int) -> list[tuple[str, Any]]:
        """Point ``i``'s overrides: its variant's ``set``, then its swept or sampled values
        (fresh copies; the order does not matter, see :func:`sim.scenario.apply_overrides`)."""
        v, combo = self._where(i)
        return [(k, copy.deepcopy(x)) for k, x in v.overrides] + list(combo.items())

    def point_name(self, i: int) -> str:
        """Point ``i``'s name (variant, plus the swept or sampled values), without resolving it."""
        v, combo = self._where(i)
        return _point_name(v.name, combo, show_variant=len(self._variants) > 1)

    def point_variant(self, i: int) -> str:
        """Point ``i``'s variant name."""
        return self._where(i)[0].name

    def _resolve(self, v: _VariantDef, combo: dict[str, Any], name: str) -> Scenario:
        raw, origin = v.raw
        pairs = batch_relative_paths([(k, copy.deepcopy(x)) for k, x in v.overrides] + list(combo.items()),
                                     self.folder)
        where = f"{self.source} [{name}]"
        try:
            problem = nested_override_problem(pairs)
            if problem is not None:
                raise ScenarioError(f"{where}: {problem}")
            point_origin = dict(origin)
            doc = apply_overrides(raw, pairs, point_origin, source=where)
            sc = validate_scenario(doc, where, point_origin)
            check_graph_file(sc, where, point_origin)  # read once per file
        except ScenarioError as err:
            raise ScenarioError(f"{self.source}: point {name!r}:\n{err}") from None
        return sc

    def point(self, i: int) -> Point:
        """Point ``i``, its scenario resolved and validated.

        Raises
        ------
        IndexError
        ScenarioError
            If the point's scenario is invalid (the message names the batch file, the
            point and the key).
        """
        if i in self._cache:
            self._cache.move_to_end(i)
            return self._cache[i]
        v, combo = self._where(i)
        name = _point_name(v.name, combo, show_variant=len(self._variants) > 1)
        sc = self._resolve(v, combo, name)
        data = scenario_data(sc)
        params = {k: _value_or_none(data, k) for k in self.param_keys}
        p = Point(index=i, name=name, variant=v.name, params=params, scenario=sc)
        self._cache[i] = p
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return p

    def run(self, j: int) -> PlannedRun:
        """Run ``j`` (point-major, then condition, then replicate): its point, replicate,
        seed, content id and condition."""
        if not 0 <= j < self.n_runs:
            raise IndexError(j)
        i, k = divmod(j, self.per_point)
        c, r = divmod(k, self.spec.replicates)
        seed = self.run_seed_of(i, c, r)
        make = self._ids.get((i, c))
        if make is None:
            make = run_id_maker(self.run_scenario(i, c))
            self._ids[(i, c)] = make
            if len(self._ids) > self._cache_size:
                self._ids.popitem(last=False)
        return PlannedRun(point=i, replicate=r, seed=seed, run_id=make(seed), condition=c)

    def run_seed_of(self, i: int, c: int, r: int) -> int:
        """The seed of point ``i``'s replicate ``r`` under condition ``c``.

        Without conditions: :func:`run_seed` of (point, replicate), as always. With parameter
        draws: keyed by (draw x replicates + replicate) alone, so run (d, r) has the same
        seed at every point (common random numbers); without draws, the point's own seeds.
        A robustness end reuses the seeds of the first base condition."""
        spec = self.spec
        if not self.conditions:
            return run_seed(spec.seed, i, r, common_random_numbers=spec.common_random_numbers)
        cond = self.conditions[c]
        if self.draws is not None:
            d = cond.draw if cond.is_base else 0
            return run_seed(spec.seed, i, d * spec.replicates + r, common_random_numbers=True)
        return run_seed(spec.seed, i, r, common_random_numbers=spec.common_random_numbers)

    def run_scenario(self, i: int, c: int) -> Scenario:
        """The scenario of point ``i`` under condition ``c`` (its overrides applied by
        :func:`sim.scenario.with_overrides`); the point's own without conditions.

        Raises
        ------
        ScenarioError
            If the condition's values are not valid at this point (naming the batch file,
            the condition's batch key, the point and the key).
        """
        if not self.conditions or not self.conditions[c].overrides:
            return self.point(i).scenario
        sc = self._run_scenarios.get((i, c))
        if sc is None:
            cond = self.conditions[c]
            p = self.point(i)
            sc = with_overrides(p.scenario, list(cond.overrides), source=f"{self.source}: {cond.where} at point "
                                f"{p.name!r}")
            self._run_scenarios[(i, c)] = sc
            if len(self._run_scenarios) > 64:
                self._run_scenarios.popitem(last=False)
        return sc

    @property
    def condition_keys(self) -> list[str]:
        """The keys the conditions set (the draws' keys, then the robustness keys)."""
        keys: list[str] = []
        for cond in self.conditions:
            keys += [k for k, _ in cond.overrides if k not in keys]
        return keys

    def condition_values(self, i: int, c: int) -> dict[str, Any]:
        """The values point ``i``'s runs under condition ``c`` use for :attr:`condition_keys`
        (read from the run's scenario: a draw's value, a robustness end, else the point's own)."""
        data = scenario_data(self.run_scenario(i, c))
        return {k: _value_or_none(data, k) for k in self.condition_keys}

    def check_conditions(self, every_point: bool) -> int:
        """Validate the conditions' values (:meth:`run_scenario`) at every point, or at
        each variant's first point; returns the number of scenarios validated.

        Raises
        ------
        ScenarioError
            At the first invalid one.
        """
        points = range(self.n_points) if every_point else range(0, self.n_points, self._combos)
        n = 0
        for i in points:
            for c in range(len(self.conditions)):
                self.run_scenario(i, c)
                n += 1
        return n

    def check_all(self) -> None:
        """Resolve and validate every point (memory: a few points at a time).

        Raises
        ------
        ScenarioError
            At the first invalid point.
        """
        for i in range(self.n_points):
            self.point(i)

    def check_margins(self) -> int:
        """Validate every variant with each swept value (the other keys at their first
        value), or with each end of each sampled bound; returns the number of scenarios
        validated. Combinations invalid only together are left to :meth:`check_all`."""
        show = len(self._variants) > 1
        n = 0
        for v in self._variants:
            if self.spec.sample is not None:
                first = {k: self._bound(k, 0) for k in self._keys}
                combos = [first] + [{**first, k: self._bound(k, 1)} for k in self._keys]
            elif self._keys:
                first = {k: vals[0] for k, vals in zip(self._keys, self._values)}
                combos = [first] + [{**first, k: x} for k, vals in zip(self._keys, self._values) for x in vals[1:]]
            else:
                combos = [{}]
            for combo in combos:
                combo = copy.deepcopy(combo)
                self._resolve(v, combo, _point_name(v.name, combo, show_variant=show))
                n += 1
        return n

    def _bound(self, key: str, end: int) -> Any:
        lo, hi = self.spec.sample.bounds[key]
        if key in self._integer:
            return int(math.ceil(lo)) if end == 0 else int(math.floor(hi))
        return float((lo, hi)[end])

    def record_points(self) -> Iterator[dict[str, Any]]:
        """Each point as ``plan.json`` records it (index, name, variant, resolved params)."""
        for p in self.points:
            yield {"index": p.index, "name": p.name, "variant": p.variant, "params": p.params}


def make_plan(spec: BatchSpec, folder: str | Path, source: str = "<batch>", *, max_runs: int | None = None,
              check: str = "all") -> Plan:
    """Resolve a batch file into a :class:`Plan`, refusing it if it is too large and
    validating its points.

    Parameters
    ----------
    spec : BatchSpec
    folder : path-like
        Folder that scenario paths are relative to (the batch file's).
    source : str
        The batch file's name, for error messages.
    max_runs : int, optional
        The largest number of runs accepted; default the batch file's ``max_runs``, else
        :data:`DEFAULT_MAX_RUNS`. Checked from the counts alone, before anything is
        read or enumerated.
    check : {"all", "auto", "margins", "none"}
        ``all``: validate every point (memory: a few points at a time); ``margins``:
        every variant with each swept value or sampled bound end (see
        :meth:`Plan.check_margins`); ``auto``: all up to :data:`FULL_CHECK_POINTS`
        points, else margins; ``none``: validate nothing yet (points are validated when made).

    Returns
    -------
    Plan

    Raises
    ------
    ScenarioError
        If the batch has more runs than the limit (one message naming the count and the
        limit), a scenario file or a validated point's scenario is invalid (the message
        names the batch file, the point and the key), a table and a key inside it both
        set that key, a variant and the sweep set the same key, or two points would
        share a name; including a graph file that is missing, malformed or has fewer
        users than ``mode.seeds`` (each distinct file is read once, see
        :func:`sim.graph.graph_file_facts`).
    """
    n_points, _ = _check_limit(spec, source, max_runs)
    raw_of = _RawFiles(Path(folder), source)
    variants = _variants(spec, source, raw_of)
    _check_variants(spec, Path(folder), source, variants)
    design = "sample.bounds" if spec.sample is not None else "sweep"
    keys = list(spec.sample.bounds) if spec.sample is not None else list(spec.sweep)
    _check_set_once(variants, keys, design, source)
    raws = [_variant_raw(raw_of(rel, where), overrides, f"{source}: variants[{vname!r}].set")
            for vname, rel, overrides, where in variants]
    values, integer, checked = _design(spec, keys, raws, variants, source)
    _check_nested(variants, keys, checked, design, source)
    defs = [_VariantDef(vname, rel, tuple(overrides.items()), where, raw_of(rel, where))
            for vname, rel, overrides, where in variants]
    draws, conditions = _conditions(spec, Path(folder), source, raws)
    plan = Plan(spec, source, defs, keys, values, frozenset(integer), n_points, Path(folder).resolve(),
                conditions, draws)
    if spec.sample is not None and n_points <= FULL_CHECK_POINTS:  # a larger design is drawn when needed
        if len(plan.sample_matrix) * len(defs) != n_points:  # the count formula is SALib's
            raise AssertionError(f"sample rows {len(plan.sample_matrix)} != {n_points // len(defs)}")
    mode = check if check != "auto" else ("all" if n_points <= FULL_CHECK_POINTS else "margins")
    if mode == "all":
        plan.check_all()
    elif mode == "margins":
        plan.check_margins()
    if mode != "none" and conditions:
        plan.check_conditions(every_point=mode == "all" and n_points * len(conditions) <= FULL_CHECK_POINTS)
    return plan


def _conditions(spec: BatchSpec, folder: Path, source: str,
                raws: list[dict[str, Any]]) -> tuple[Draws | None, tuple[Condition, ...]]:
    """The batch's parameter draws and conditions, their keys checked: known to every
    variant's scenario, and not varied between points by the batch."""
    robust = robustness_of(spec)
    if spec.uncertainty is None and not robust:
        return None, ()
    ranges = getattr(spec.uncertainty, "ranges", None) or {}
    _check_condition_keys(spec, source, [(k, f"uncertainty.ranges.'{k}'") for k in ranges]
                          + [(k, f"robustness.parameters.'{k}'") for k in robust])
    draws = make_draws(spec, folder, source, _integer_keys(ranges, raws))
    if draws is not None and not ranges:
        _check_condition_keys(spec, source, [(k, f"{draws.where}: column '{k}'") for k in draws.keys])
    integer = _integer_keys(list(robust) + list(draws.keys if draws is not None else ()), raws)
    return draws, make_conditions(draws, robust, integer)


def _check_condition_keys(spec: BatchSpec, source: str, keys: list[tuple[str, str]]) -> None:
    """No uncertain or robustness key is, or is inside, or holds, a key the batch varies
    between its points; whether every point accepts the keys and their values is checked
    by :meth:`Plan.check_conditions`, through :func:`sim.scenario.with_overrides`."""
    varied = varied_keys(spec)
    for key, where in keys:
        for other, by in varied:
            if key == other or key.startswith(other + ".") or other.startswith(key + "."):
                raise ScenarioError(f"{source}: {where}: {key!r} is also varied by {by} ({other!r}); a key is either "
                                    "uncertain (or a robustness parameter) or varied between points: remove it "
                                    "from one")


_FILE_KEYS = {"graph": "path", "groups": "file"}
"""Tables whose key names a file: a relative path a batch sets is relative to the batch file."""


def batch_relative_paths(pairs: list[tuple[str, Any]], folder: Path) -> list[tuple[str, Any]]:
    """``pairs`` (dotted key, value) with each relative ``graph.path`` or ``groups.file``,
    given as that key or inside a whole ``graph`` or ``groups`` table, made absolute from
    the batch file's ``folder`` (a scenario file's own paths stay relative to that file)."""
    out = []
    for key, value in pairs:
        table, _, leaf = key.partition(".")
        name = _FILE_KEYS.get(table)
        if name is not None and leaf == name and isinstance(value, str) and value and not Path(value).is_absolute():
            value = str((folder / value).resolve())
        elif (name is not None and not leaf and isinstance(value, dict) and isinstance(value.get(name), str)
              and value[name] and not Path(value[name]).is_absolute()):
            value = {**value, name: str((folder / value[name]).resolve())}
        out.append((key, value))
    return out


_VariantRow = tuple[str, str, dict[str, Any], str]
"""A variant as planning reads it: name, scenario file, overrides, and the batch key naming the file."""


class _RawFiles:
    """Scenario files read once each (``load_raw``), relative to the batch file's folder."""

    def __init__(self, folder: Path, source: str) -> None:
        self.folder, self.source = folder, source
        self.cache: dict[str, tuple[dict[str, Any], dict[str, str]]] = {}

    def __call__(self, rel: str, key: str) -> tuple[dict[str, Any], dict[str, str]]:
        """``(raw, origin)`` of scenario file ``rel``; a problem names the batch ``key`` pointing at it."""
        if rel not in self.cache:
            try:
                self.cache[rel] = load_raw(self.folder / rel)
            except ScenarioError as err:  # name the batch key that points at the file
                raise ScenarioError(f"{self.source}: {key} = {rel!r}: {err}") from None
        return self.cache[rel]


def _variants(spec: BatchSpec, source: str, raw_of: _RawFiles) -> list[_VariantRow]:
    """The batch's variants: each listed scenario, each named variant, else the base."""
    variants: list[_VariantRow] = []
    for i, rel in enumerate(spec.scenarios):
        raw, _ = raw_of(rel, f"scenarios[{i}]")
        variants.append((str(raw.get("name") or Path(rel).stem), rel, {}, f"scenarios[{i}]"))
    for v in spec.variants:
        rel = v.scenario or spec.base
        if rel is None:
            raise ScenarioError(f"{source}: variants: {v.name!r} names no scenario and there is no base")
        variants.append((v.name, rel, dict(v.set), "base" if rel == spec.base else f"variants[{v.name!r}].scenario"))
    if not variants:
        raw, _ = raw_of(spec.base, "base")
        variants.append((str(raw.get("name") or Path(spec.base).stem), spec.base, {}, "base"))
    return variants


def _variant_raw(raw_origin: tuple[dict[str, Any], dict[str, str]], overrides: dict[str, Any],
                 source: str) -> dict[str, Any]:
    """A variant's scenario as its points start from (its file with its ``set`` applied):
    what a swept or sampled key's type is looked up in (a table only a variant brings in,
    ``policy.allocation = { rule = "head_boost" }``, has ``head_count`` an integer)."""
    raw, origin = raw_origin
    return apply_overrides(raw, list(overrides.items()), dict(origin), source=source) if overrides else raw


def _check_variants(spec: BatchSpec, folder: Path, source: str, variants: list[_VariantRow]) -> None:
    """No scenario listed twice, no two identical variants, no two sharing a name."""
    for i, rel in enumerate(spec.scenarios):
        if rel in spec.scenarios[:i]:
            raise ScenarioError(f"{source}: scenarios[{i}] = {rel!r}: is listed twice (also scenarios"
                                f"[{spec.scenarios.index(rel)}]); list each scenario file once")
    same: dict[str, str] = {}
    for vname, rel, overrides, _ in variants:
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


def _check_set_once(variants: list[_VariantRow], keys: list[str], design: str, source: str) -> None:
    """Nothing set twice, in a variant or by a variant and the design."""
    for vname, _, overrides, _ in variants:
        problem = nested_override_problem(list(overrides.items()))
        if problem is not None:
            raise ScenarioError(f"{source}: variants[{vname!r}].set: {problem}")
        both = [k for k in keys if k in overrides]
        if both:
            raise ScenarioError(f"{source}: variants[{vname!r}].set and {design} both set {both[0]!r}; the variant's "
                                f"value would never be used: set it in one place only")


def _design(spec: BatchSpec, keys: list[str], raws: list[dict[str, Any]], variants: list[_VariantRow],
            source: str) -> tuple[list[tuple[Any, ...]] | None, set[str], list[tuple[Any, ...]]]:
    """The swept values (None for a sample), the rounded keys, and each key's values to
    check (a sample's lower bounds, or the swept values)."""
    if spec.sample is not None:
        integer = _integer_keys(keys, raws)
        _check_integer_sample(spec, integer, raws, source)
        integer |= set(spec.sample.integer)
        return None, integer, [(spec.sample.bounds[k][0],) for k in keys]
    if not keys:
        return None, set(), []
    values = [tuple(v) for v in _sweep_values(spec, _integer_keys(keys, raws), source)]
    _check_sweep_names(keys, values, variants, source)
    return values, set(), values


def _check_sweep_names(keys: list[str], values: list[tuple[Any, ...]], variants: list[_VariantRow],
                       source: str) -> None:
    """Point names are unique iff each swept key's labels are."""
    for j, (k, vals) in enumerate(zip(keys, values)):
        seen: dict[str, int] = {}
        for a, x in enumerate(vals):
            label = _label(x)
            if label in seen:
                stride = math.prod(len(v) for v in values[j + 1:])
                combo = {k2: (x if k2 == k else v2[0]) for k2, v2 in zip(keys, values)}
                name = _point_name(variants[0][0], combo, show_variant=len(variants) > 1)
                raise ScenarioError(
                    f"{source}: points {seen[label] * stride} and {a * stride} share the name {name!r} "
                    f"(sweep.'{k}' = {vals[seen[label]]!r} and {x!r}); give [sweep] values that differ in "
                    "their first 6 significant digits")
            seen[label] = a


def _check_nested(variants: list[_VariantRow], keys: list[str], checked: list[tuple[Any, ...]], design: str,
                  source: str) -> None:
    """A table and a key inside it (a variant's and the design's keys together): whether
    the table also sets that key depends on the table's value only, so each value of a
    table key is checked with the first value of every other key."""
    for vname, _, overrides, _ in variants:
        base = list(overrides.items())
        firsts = [(k, vals[0]) for k, vals in zip(keys, checked)]
        problem = nested_override_problem(base + firsts)
        for j, k in enumerate(keys):
            if problem is None and any(k2.startswith(k + ".") for k2 in [*overrides, *keys]):
                for x in checked[j][1:]:
                    problem = problem or nested_override_problem(base + firsts[:j] + [(k, x)] + firsts[j + 1:])
        if problem is not None:
            where = f"variants[{vname!r}].set and {design}" if base and keys else (
                f"variants[{vname!r}].set" if base else design)
            raise ScenarioError(f"{source}: {where}: {problem}")
