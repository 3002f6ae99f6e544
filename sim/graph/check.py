"""Refuse a scenario's graph file before any run, in the scenario's words."""

from __future__ import annotations

from collections.abc import Mapping

from ..scenario import Scenario, ScenarioError
from ..scenario.messages import problem_lines
from .build import graph_problems

__all__ = ["check_graph_file"]


def check_graph_file(scenario: Scenario, source: str, origin: Mapping[str, str] | None = None) -> None:
    """Read the scenario's graph file (once per process, see
    :func:`sim.graph.graph_file_facts`) and refuse it before any run: missing,
    unreadable or malformed, ``tie_strength = "file"`` without weights, or more
    ``mode.seeds`` than its users. Nothing to do for a generated graph.

    Parameters
    ----------
    scenario : Scenario
        A valid scenario.
    source : str
        The file to name when ``origin`` does not know a key.
    origin : mapping of dotted key to file, optional
        Which file set each key (from :func:`sim.scenario.load_raw`).

    Raises
    ------
    ScenarioError
        One line per problem naming ``source`` (or the file that set the key) and the key.
    """
    problems = graph_problems(scenario)
    if problems:
        raise ScenarioError(problem_lines(problems, source, origin))
