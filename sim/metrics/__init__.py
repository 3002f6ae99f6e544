"""Metrics of a run: cascades (depth, size, structural virality, R), concentration, triggers,
the receive-give lift, summary. The paired-run causal estimate is in
:mod:`sim.metrics.causal` (imported on use: it runs the model)."""

from .cascades import (
    cascade_table,
    forest_depth,
    forest_roots,
    restrict,
    structural_virality,
    subtree_sizes,
)
from .concentration import gini, hhi, lorenz_curve, top_k_share
from .lift import LIFT_WINDOW_DAYS, ReceiveGiveLift, receive_give_lift
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
from .triggers import TRIGGER_NAMES, first_gift_triggers, first_gifts_by_trigger, gift_triggers

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
    "LIFT_WINDOW_DAYS",
    "ReceiveGiveLift",
    "receive_give_lift",
    "TRIGGER_NAMES",
    "gift_triggers",
    "first_gift_triggers",
    "first_gifts_by_trigger",
]
