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
    SUMMARY_KEYS,
    UNDEFINED_KEYS,
    OutcomeInterval,
    adoption_forest,
    clip_interval,
    outcome_interval,
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
    "SUMMARY_KEYS",
    "OUTCOME_RANGE",
    "UNDEFINED_KEYS",
    "OutcomeInterval",
    "clip_interval",
    "outcome_interval",
    "adoption_forest",
    "summarise",
]
