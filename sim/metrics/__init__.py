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
from .summary import OUTCOME_RANGE, SUMMARY_KEYS, adoption_forest, summarise

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
    "adoption_forest",
    "summarise",
]
