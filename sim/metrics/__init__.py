"""Metrics of a run: cascades (depth, size, structural virality, R), concentration, summary."""

from .cascades import (
    cascade_table,
    forest_depth,
    forest_roots,
    restrict,
    structural_virality,
    subtree_sizes,
)
from .concentration import gini, hhi, lorenz_curve, top_k_share
from .summary import (
    OUTCOME_RANGE,
    RUN_OUTCOMES,
    SUMMARY_KEYS,
    UNDEFINED_KEYS,
    OutcomeInterval,
    RunFacts,
    adoption_forest,
    clip_interval,
    outcome_interval,
    run_facts,
    summarise,
)

__all__ = [
    "cascade_table",
    "forest_depth",
    "forest_roots",
    "restrict",
    "structural_virality",
    "subtree_sizes",
    "gini",
    "hhi",
    "lorenz_curve",
    "top_k_share",
    "RUN_OUTCOMES",
    "RunFacts",
    "run_facts",
    "SUMMARY_KEYS",
    "OUTCOME_RANGE",
    "UNDEFINED_KEYS",
    "OutcomeInterval",
    "clip_interval",
    "outcome_interval",
    "adoption_forest",
    "summarise",
]
