"""Scenarios: the validated schema, distributions, and loading from TOML files."""

from .checks import date_problems
from .distributions import Beta, Constant, Distribution, Gamma, LogNormal, Uniform
from .errors import KeyProblem, ScenarioError
from .introspection import is_integer_field, schema_field
from .loader import load_scenario, validate_scenario, with_overrides
from .messages import describe_errors
from .overrides import apply_overrides, nested_override_problem, parse_override
from .reading import kind_of, load_raw, read_toml, wrong_kind
from .schema import Scenario
from .values import scenario_data, value_at

__all__ = [
    "Scenario",
    "ScenarioError",
    "KeyProblem",
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
    "schema_field",
    "is_integer_field",
    "date_problems",
    "scenario_data",
    "value_at",
    "Distribution",
    "Constant",
    "Uniform",
    "Beta",
    "LogNormal",
    "Gamma",
]
