"""Scenarios: the validated schema, distributions, and loading from TOML files."""

from .distributions import Beta, Constant, Distribution, Gamma, LogNormal, Uniform
from .errors import KeyProblem
from .loader import (
    ScenarioError,
    apply_overrides,
    check_graph_file,
    date_problems,
    describe_errors,
    is_integer_field,
    kind_of,
    load_raw,
    load_scenario,
    nested_override_problem,
    parse_override,
    read_toml,
    schema_field,
    validate_scenario,
    with_overrides,
    wrong_kind,
)
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
    "check_graph_file",
    "scenario_data",
    "value_at",
    "Distribution",
    "Constant",
    "Uniform",
    "Beta",
    "LogNormal",
    "Gamma",
]
