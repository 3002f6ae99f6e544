"""The search file: which policy keys a search chooses, which outcomes it optimises, under
which constraints and uncertainty, and its budget; read and checked into a
:class:`sim.search.spec.SearchSpec` by :func:`load_search`.

A search file is TOML::

    name = "policy_search"
    description = "..."
    base = "wechat_gift_launch.toml"          # the scenario the levers are set on, relative to this file
    seed = 20241219

    [levers]                                  # policy keys (see is_policy_key)
    "policy.commercial_share" = [0.005, 0.10]                    # two numbers: a range
    "policy.allocation.rule" = ["equal", "head_boost"]           # strings or booleans: choices
    "merchants.max_admissions_per_week" = { range = [1, 20], integer = true }
    "policy.allocation.boost" = { range = [2, 50], log = true, when = { "policy.allocation.rule" = "head_boost" } }
    # table form: range = [low, high] or choices = [...]; integer, log (ranges); when = { LEVER = VALUE }

    [objectives]                              # run outcomes (sim.metrics.RUN_OUTCOMES)
    gmv_rmb = "max"
    muted_share = "min"

    [constraints]                             # min and/or max on a run outcome's robust value
    muted_share = { max = 0.05 }

    uncertainty = "posterior"                 # or [uncertainty] posterior = FILE | ranges = {...}, draws = S
    robustness = "mean"                       # or "regret", or { percentile = 10 }

    [search]
    sampler = "nsga2"                         # nsga2 | tpe | random
    population = 16
    generations = 10
    replicates = 2
    final_replicates = 8

Every problem is one :class:`sim.scenario.ScenarioError` line naming the file, the key and
the allowed values; nothing is run or allocated before the whole file is checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from ..batch.plan import DEFAULT_MAX_RUNS
from ..batch.spec import ResultsName, Uncertainty
from ..experiments.outcomes import Direction
from ..scenario import (
    KeyProblem,
    Scenario,
    ScenarioError,
    describe_errors,
    is_integer_field,
    kind_of,
    load_scenario,
    read_toml,
    scenario_data,
    schema_field,
    value_at,
    with_overrides,
)
from ..scenario.text import toml_value
from .spec import SAMPLERS, Constraint, Lever, Objective, RobustnessMeasure, SearchBudget, SearchSpec

__all__ = ["SearchFile", "LeverTable", "ConstraintTable", "PercentileTable", "SearchTable", "load_search",
           "POLICY_KEY_PREFIXES", "is_policy_key", "MAX_SEARCH_RUNS", "search_runs", "same_value"]

POLICY_KEY_PREFIXES = ("policy.", "merchants.max_admissions_per_week")
"""The scenario keys a search may choose (its levers): an entry ending in ``.`` is a prefix
(every key under ``policy.``: commercial share, allocation rule and its parameters, push,
induced sharing, paid traffic), any other is one whole key (the onboarding cap)."""

MAX_SEARCH_RUNS = DEFAULT_MAX_RUNS
"""The most runs a search may ask for (population x generations x draws x replicates):
10,000,000, as a batch's default limit."""


def is_policy_key(key: str) -> bool:
    """Whether the dotted scenario ``key`` is a policy key a search may choose
    (:data:`POLICY_KEY_PREFIXES`)."""
    return any(key.startswith(p) and len(key) > len(p) if p.endswith(".") else key == p
               for p in POLICY_KEY_PREFIXES)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, use_attribute_docstrings=True)


Number = StrictInt | StrictFloat
Choice = StrictBool | StrictInt | StrictFloat | StrictStr
"""A choice's value: a TOML boolean, integer, float or string."""


def same_value(a: Any, b: Any) -> bool:
    """Whether two TOML values are the same scenario value: numbers by value (``1`` and
    ``1.0``), booleans and strings only as themselves (``true`` is not ``1``)."""
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or isinstance(b, str):
        return type(a) is type(b) and a == b
    return a == b


def _lever_shorthand(value: Any) -> Any:
    """A lever given as a list: two numbers are a range, strings or booleans are choices."""
    allowed = ("allowed: two numbers [low, high] for a range, strings or booleans for choices, or a table "
               "{ range = [low, high] } or { choices = [...] }")
    if isinstance(value, dict):
        return value
    if not isinstance(value, list):
        raise ValueError(f"is a single value; {allowed}")
    if not value:
        raise ValueError(f"is empty; {allowed}")
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    if numbers and len(value) == 2:
        return {"range": value}
    if not numbers:
        return {"choices": value}
    raise ValueError(f"{len(value)} numbers; {allowed} (for numeric choices)")


class LeverTable(_Strict):
    """One lever: a range of numbers or a list of choices, optionally only under another
    lever's value (``when``)."""

    range: Annotated[list[Number], Field(min_length=2, max_length=2)] | None = None
    """``[low, high]``, low < high: the lever is a number in between."""
    choices: list[Choice] | None = None
    """Two or more distinct values (strings, booleans or numbers): the lever is one of them."""
    integer: bool = False
    """A range of whole numbers (its ends whole numbers); set by itself for an integer scenario key."""
    log: bool = False
    """A range searched on a log scale (low > 0)."""
    when: dict[str, Choice] = {}
    """The lever applies only where each named choice lever has that value (``{ "policy.allocation.rule" =
    "head_boost" }``); empty: always."""

    @model_validator(mode="after")
    def _one_kind(self) -> LeverTable:
        if (self.range is None) == (self.choices is None):
            raise KeyProblem("range", "give exactly one of range = [low, high] or choices = [...]")
        if self.range is not None:
            lo, hi = self.range
            if not lo < hi:
                raise KeyProblem("range", f"low ({lo}) must be below high ({hi}); allowed: [low, high] with "
                                 "low < high")
            if self.log and lo <= 0:
                raise KeyProblem("log", f"a log-scale range needs low > 0, got {lo}; allowed: log = false, or "
                                 "a range above 0", True)
            if self.integer and not all(float(x).is_integer() for x in self.range):
                raise KeyProblem("range", "an integer range needs whole-number ends, e.g. [1, 20]")
            return self
        if self.integer or self.log:
            raise KeyProblem("integer" if self.integer else "log", "applies to a range only; allowed: leave it "
                             "out for choices", True)
        if len(self.choices) < 2:
            raise KeyProblem("choices", "needs at least two values to choose from")
        seen: list[Any] = []
        for v in self.choices:
            if any(same_value(v, s) for s in seen):
                raise KeyProblem("choices", f"lists {v!r} more than once; allowed: distinct values")
            seen.append(v)
        return self


class ConstraintTable(_Strict):
    """Bounds on an outcome: ``min <= value <= max`` (at least one of them)."""

    min: Number | None = None
    """The smallest value allowed."""
    max: Number | None = None
    """The largest value allowed."""

    @model_validator(mode="after")
    def _some_bound(self) -> ConstraintTable:
        if self.min is None and self.max is None:
            raise ValueError("no bound; allowed: min, max or both, e.g. { max = 0.05 }")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise KeyProblem("min", f"is above max ({self.max}), so no policy can meet it; allowed: min <= max")
        return self


class PercentileTable(_Strict):
    """Robustness as a percentile of the draws (the p-th worst)."""

    percentile: Number = Field(gt=0, lt=100)
    """``p``, 0 < p < 100 (10: the value beaten in the good direction in 90% of draws)."""


class SearchTable(_Strict):
    """The search's sampler and budget."""

    sampler: Literal[SAMPLERS] = SearchBudget.sampler
    """Optuna sampler: nsga2 (genetic, larger budgets), tpe (small budgets) or random."""
    population: StrictInt = Field(default=SearchBudget.population, ge=1)
    """Trials per generation, run together."""
    generations: StrictInt = Field(default=SearchBudget.generations, ge=1)
    """Generations; trials = population x generations."""
    replicates: StrictInt = Field(default=SearchBudget.replicates, ge=1)
    """Runs per trial and uncertainty draw."""
    final_replicates: StrictInt = Field(default=SearchBudget.final_replicates, ge=1)
    """Runs per draw when the Pareto set is re-evaluated at the end."""


def _outcomes() -> Any:
    from ..metrics import RUN_OUTCOMES

    return RUN_OUTCOMES


def _known_outcome(name: str) -> None:
    import difflib

    outcomes = _outcomes()
    if name not in outcomes:
        near = difflib.get_close_matches(name, list(outcomes), n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise KeyProblem((name,), f"is not an outcome of a run{hint}; allowed: " + ", ".join(outcomes))


class SearchFile(_Strict):
    """A search file as written (see the module's docstring); :func:`load_search` checks it
    against its base scenario and makes the :class:`sim.search.spec.SearchSpec`."""

    name: ResultsName
    """Results go to ``results/<name>/`` (letters, digits, ``_.-``)."""
    description: str = ""
    base: str = Field(min_length=1)
    """The scenario file the levers are set on, relative to the search file."""
    seed: StrictInt = Field(default=0, ge=0, le=2**63 - 1)
    """Master seed of the runs, the uncertainty draws and the sampler."""
    levers: dict[str, Annotated[LeverTable, BeforeValidator(_lever_shorthand)]] = {}
    """Policy keys the search chooses: ``[low, high]``, a list of choices, or a table."""
    objectives: dict[str, Literal["max", "min"]] = {}
    """Run outcomes to maximise (``"max"``) or minimise (``"min"``); at least one."""
    constraints: dict[str, ConstraintTable] = {}
    """Run outcomes and the bounds their robust value must meet."""
    uncertainty: Uncertainty | None = None
    """As a batch's: a table (posterior = FILE or ranges, draws), or ``"posterior"`` (the shipped
    posterior, the default number of draws); None: the base values only."""
    robustness: Literal["mean", "regret"] | PercentileTable = "mean"
    """Across draws: the mean, the regret against the best policy of each draw, or { percentile = p }."""
    search: SearchTable = SearchTable()
    """Sampler and budget."""

    @field_validator("uncertainty", mode="before")
    @classmethod
    def _posterior_name(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value != "posterior":
                raise ValueError('allowed: "posterior" or a table [uncertainty] with posterior = FILE or ranges')
            return {"posterior": "shipped"}
        return value

    @field_validator("robustness", mode="before")
    @classmethod
    def _one_robustness(cls, value: Any) -> Any:
        # one message for a bad value, rather than one per member of the union
        allowed = 'allowed: "mean", "regret" or { percentile = p } with 0 < p < 100'
        if isinstance(value, dict):
            for key in value:
                if key != "percentile":
                    raise KeyProblem((key,), f"unknown key; {allowed}", value[key])
            p = value.get("percentile")
            if isinstance(p, bool) or not isinstance(p, int | float) or not 0 < p < 100:
                raise KeyProblem(("percentile",), allowed, p)
        elif value not in ("mean", "regret"):
            raise ValueError(allowed)
        return value

    @field_validator("levers")
    @classmethod
    def _policy_keys(cls, levers: dict[str, LeverTable]) -> dict[str, LeverTable]:
        for key in levers:
            if not is_policy_key(key):
                raise KeyProblem((key,), "is not a policy key; allowed: keys under policy. (e.g. "
                                 "policy.commercial_share, policy.allocation.rule) and "
                                 "merchants.max_admissions_per_week", levers[key].range or levers[key].choices)
        return levers

    @field_validator("objectives", "constraints")
    @classmethod
    def _outcome_names(cls, table: dict[str, Any]) -> dict[str, Any]:
        for name in table:
            _known_outcome(name)
        return table

    @field_validator("constraints")
    @classmethod
    def _meetable(cls, table: dict[str, ConstraintTable]) -> dict[str, ConstraintTable]:
        ranges = _outcomes().ranges()
        for name, c in table.items():
            lo, hi = ranges[name]
            if c.min is not None and c.min > hi:
                raise KeyProblem((name, "min"), f"no policy can meet it: {name} is at most {hi:g}; allowed: "
                                 f"min <= {hi:g}")
            if c.max is not None and c.max < lo:
                raise KeyProblem((name, "max"), f"no policy can meet it: {name} is at least {lo:g}; allowed: "
                                 f"max >= {lo:g}")
        return table

    @model_validator(mode="after")
    def _complete(self) -> SearchFile:
        if not self.objectives:
            raise KeyProblem("objectives", 'no objective; give [objectives] with at least one run outcome = "max" '
                             'or "min", e.g. gmv_rmb = "max"; allowed outcomes: ' + ", ".join(_outcomes()))
        if not self.levers:
            raise KeyProblem("levers", 'no lever; give [levers] with at least one policy key, e.g. '
                             '"policy.commercial_share" = [0.01, 0.1]')
        for key, lever in self.levers.items():
            for other, value in lever.when.items():
                _check_condition(self.levers, key, other, value)
        for key in self.levers:
            _conditions(self.levers, key)  # refuses a cycle of conditions
        return self


def _check_condition(levers: dict[str, LeverTable], key: str, other: str, value: Any) -> None:
    """``levers[key].when[other] = value`` names another choice lever and one of its choices."""
    where = ("levers", key, "when", other)
    if other == key:
        raise KeyProblem(where, "a lever cannot depend on itself; allowed: another choice lever")
    if other not in levers:
        named = [k for k, v in levers.items() if v.choices is not None and k != key]
        raise KeyProblem(where, "is not a lever of this search; allowed: " + (", ".join(named) or "none (no "
                                                                              "other choice lever)"))
    choices = levers[other].choices
    if choices is None:
        raise KeyProblem(where, "is a range lever; allowed: a choice lever and one of its choices")
    if not any(same_value(value, c) for c in choices):
        raise KeyProblem(where, f"is not one of its choices; allowed: {', '.join(map(repr, choices))}")


def _conditions(levers: dict[str, LeverTable], key: str) -> list[tuple[str, Any]]:
    """Every (lever, value) that ``key`` needs, its conditions' own conditions first.

    Raises
    ------
    KeyProblem
        If the conditions loop back to ``key``.
    """
    out: list[tuple[str, Any]] = []
    path = [key]

    def visit(k: str) -> None:
        for other, value in levers[k].when.items():
            if other in path:
                raise KeyProblem(("levers", key, "when"), "its conditions loop back to it ("
                                 + " -> ".join([*path, other]) + "); allowed: conditions without a loop")
            path.append(other)
            visit(other)
            path.pop()
            if (other, value) not in out:
                out.append((other, value))

    visit(key)
    return out


def search_runs(population: int, generations: int, draws: int, replicates: int) -> int:
    """Runs of a search before its final re-evaluation: trials (population x generations)
    x uncertainty draws (1 without uncertainty) x replicates."""
    return population * generations * draws * replicates


def load_search(path: str | Path, checks: tuple = ()) -> SearchSpec:
    """Read and check a search file.

    Parameters
    ----------
    path : str or Path
        The search file (TOML).
    checks : tuple of callables
        Further checks of the base scenario, passed to :func:`sim.scenario.load_scenario`
        (``giftsim check`` passes :func:`sim.graph.check_graph_file`).

    Returns
    -------
    SearchSpec
        Levers in file order, except that a lever comes after every lever its ``when`` names
        (set them in this order); a range lever on an integer scenario key is ``integer`` (its
        ends ints); a posterior file named by the search file is given as an absolute path
        (``"shipped"`` stays as it is: :data:`sim.evidence.POSTERIOR_FILE`).

    Raises
    ------
    ScenarioError
        One line naming the file, the key and the allowed values: an unknown key, no
        objective, an objective or constraint that is not a run outcome, a constraint no policy
        can meet, a lever that is not a policy key or whose values the base scenario refuses, a
        ``when`` naming an unknown lever or value, a budget of 0, an unknown sampler, more than
        :data:`MAX_SEARCH_RUNS` runs (searching, or re-evaluating one Pareto policy), an
        uncertain key that is also a lever. Nothing is run; the run count is refused before
        the base scenario is read.
    """
    path = Path(path)
    raw = read_toml(path)
    try:
        file = SearchFile.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(describe_errors(exc, raw, str(path), root=SearchFile)) from None
    b = file.search
    draws = file.uncertainty.draws if file.uncertainty is not None else 1
    runs = search_runs(b.population, b.generations, draws, b.replicates)
    if runs > MAX_SEARCH_RUNS:
        raise ScenarioError(f"{path}: search: {b.population:,} population x {b.generations:,} generations x "
                            f"{draws:,} draws x {b.replicates:,} replicates = {runs:,} runs; allowed: at most "
                            f"{MAX_SEARCH_RUNS:,} (lower population, generations, replicates or uncertainty.draws)")
    if b.final_replicates * draws > MAX_SEARCH_RUNS:
        raise ScenarioError(f"{path}: search.final_replicates = {b.final_replicates:,}: x {draws:,} draws = "
                            f"{b.final_replicates * draws:,} runs for each Pareto policy; allowed: at most "
                            f"{MAX_SEARCH_RUNS:,} in all")
    scenario = _base(path, file, checks)
    levers = _levers(path, file, scenario)
    uncertainty = _uncertainty(path, file, scenario)
    robust = (RobustnessMeasure("percentile", float(file.robustness.percentile))
              if isinstance(file.robustness, PercentileTable) else RobustnessMeasure(file.robustness))
    return SearchSpec(
        name=file.name, description=file.description, path=path, scenario=scenario, seed=file.seed, levers=levers,
        objectives=tuple(Objective(k, Direction.MAXIMIZE if d == "max" else Direction.MINIMIZE)
                         for k, d in file.objectives.items()),
        constraints=tuple(Constraint(k, None if c.min is None else float(c.min), None if c.max is None
                                     else float(c.max)) for k, c in file.constraints.items()),
        uncertainty=uncertainty, robustness=robust, budget=SearchBudget(**b.model_dump()),
        base_path=(path.parent / file.base).resolve())


def _base(path: Path, file: SearchFile, checks: tuple) -> Scenario:
    """The base scenario, loaded with the scenario loader (its errors name its own file)."""
    base = path.parent / file.base
    if not base.is_file():
        raise ScenarioError(f"{path}: base = {file.base!r}: no such scenario file ({base}); allowed: a scenario "
                            "file, relative to the search file")
    kind = kind_of(read_toml(base))
    if kind != "scenario":
        raise ScenarioError(f"{path}: base = {file.base!r}: is a {kind} file, not a scenario file; allowed: a "
                            "scenario file, relative to the search file")
    return load_scenario(base, checks=checks)


def _levers(path: Path, file: SearchFile, scenario: Scenario) -> tuple[Lever, ...]:
    """Each lever checked on the base scenario (each range end and its middle, each choice,
    with the values its ``when`` needs), in an order where conditions come first."""
    out: dict[str, Lever] = {}
    for key, t in file.levers.items():
        conds = _conditions(file.levers, key)
        where = f"{path}: levers.'{key}'" + (" (with " + ", ".join(f"{k} = {v!r}" for k, v in conds) + ")"
                                             if conds else "")
        integer = t.integer
        if t.range is not None:
            lo, hi = t.range
            first = _set(scenario, [*conds, (key, lo)], where)
            field = schema_field(key, scenario_data(first))
            if not integer and field is not None and is_integer_field(field):
                if not all(float(x).is_integer() for x in t.range):
                    raise ScenarioError(f"{where}: range = [{lo}, {hi}]: {key} takes whole numbers; allowed: "
                                        "whole-number ends, e.g. [1, 20]")
                integer = True
            lo, hi = (int(lo), int(hi)) if integer else (float(lo), float(hi))
            values = [lo, hi] if integer else [lo, (lo + hi) / 2, hi]
        else:
            values = list(t.choices)
        for v in values:
            got = _read_back(_set(scenario, [*conds, (key, v)], where), key, v)
            if t.choices is not None and not same_value(got, v):  # a lax read ("yes" as true, 2.5 as 2)
                read = "leaves it unset" if got is None else f"reads it as {toml_value(got)}"
                raise ScenarioError(f"{where}: choices: {toml_value(v)}: the scenario {read}; allowed: values "
                                    f"of {key}'s own type, each a different setting")
        out[key] = (Lever(key, "range", lo, hi, integer=integer, log=t.log, when=tuple(t.when.items()))
                    if t.range is not None else Lever(key, "choice", choices=tuple(t.choices),
                                                      when=tuple(t.when.items())))
    ordered: list[str] = []
    for key in out:
        for k in [c for c, _ in _conditions(file.levers, key)] + [key]:
            if k not in ordered:
                ordered.append(k)
    return tuple(out[k] for k in ordered)


def _set(scenario: Scenario, pairs: list[tuple[str, Any]], where: str) -> Scenario:
    """The base scenario with a lever's value (and its conditions') set; a parameter of an
    allocation rule set without its rule gets a hint to add ``when``."""
    try:
        return with_overrides(scenario, pairs, source=where)
    except ScenarioError as err:
        key = pairs[-1][0]
        if key.startswith("policy.allocation.") and key != "policy.allocation.rule" and not any(
                k == "policy.allocation.rule" for k, _ in pairs[:-1]):
            raise ScenarioError(f"{err}; a parameter of one allocation rule needs when = "
                                '{ "policy.allocation.rule" = RULE }') from None
        raise


def _read_back(scenario: Scenario, key: str, default: Any) -> Any:
    """The value of the dotted ``key`` in ``scenario`` (``default`` where the dump leaves a
    table out at its defaults, e.g. ``policy.paid_traffic``)."""
    try:
        return value_at(scenario_data(scenario), key)
    except KeyError:
        node: Any = scenario
        for part in key.split("."):
            node = node.get(part, default) if isinstance(node, dict) else getattr(node, part, default)
        return node


def _uncertainty(path: Path, file: SearchFile, scenario: Scenario) -> Uncertainty | None:
    """The uncertainty, its keys checked: none is (under, or holds) a lever, and the base
    scenario accepts each range's ends (or the posterior's mean values)."""
    from ..batch.uncertainty import posterior_file, read_posterior
    u = file.uncertainty
    if u is None:
        return None
    if u.ranges is not None:
        keys, where = list(u.ranges), f"{path}: uncertainty.ranges"
        ends = [[(k, lohi[i]) for k, lohi in u.ranges.items()] for i in (0, 1)]
    else:
        post = posterior_file() if u.posterior == "shipped" else (path.parent / u.posterior).resolve()
        keys, values, _ = read_posterior(post, str(path))
        where = f"{path}: uncertainty.posterior ({post})"
        ends = [[(k, float(values[:, j].mean())) for j, k in enumerate(keys)]]
        if u.posterior != "shipped":
            u = u.model_copy(update={"posterior": str(post)})
    for key in keys:
        for lever in file.levers:
            if key == lever or key.startswith(lever + ".") or lever.startswith(key + "."):
                raise ScenarioError(f"{where}: {key!r} is also a lever (levers.'{lever}'); a key is either "
                                    "uncertain or chosen by the search: remove it from one")
    for pairs in ends:
        with_overrides(scenario, pairs, source=where)
    return u
