"""Scenario batches: plan points x replicates with recorded seeds, run them on a local
process pool or a Dask cluster, store every run atomically, consolidate the tables; with
parameter uncertainty and robustness ends, compare points with sign probabilities and flags."""

from .executors import SchedulerError
from .plan import Plan, PlannedRun, Point, make_plan, run_seed
from .runner import BatchBusyError, BatchExistsError, BatchOutcome, plan_batch, run_batch
from .signs import robustness_flags, sign_comparisons
from .spec import DEFAULT_OUTCOMES, BatchSpec, Range, Robustness, Sample, Uncertainty, Variant, load_batch
from .tables import BatchResults, comparison, load_results
from .uncertainty import DEFAULT_ROBUSTNESS, Condition, Draws

__all__ = [
    "BatchSpec",
    "Variant",
    "Range",
    "Sample",
    "DEFAULT_OUTCOMES",
    "load_batch",
    "Plan",
    "PlannedRun",
    "Point",
    "make_plan",
    "run_seed",
    "plan_batch",
    "run_batch",
    "BatchOutcome",
    "BatchExistsError",
    "BatchBusyError",
    "SchedulerError",
    "BatchResults",
    "comparison",
    "load_results",
    "Uncertainty",
    "Robustness",
    "DEFAULT_ROBUSTNESS",
    "Condition",
    "Draws",
    "sign_comparisons",
    "robustness_flags",
]
