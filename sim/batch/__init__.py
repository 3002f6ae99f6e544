"""Scenario batches: plan points x replicates with recorded seeds, run them on a local
process pool or a Dask cluster, store every run atomically, consolidate the tables."""

from .executors import SchedulerError
from .plan import Plan, PlannedRun, Point, make_plan, run_seed
from .runner import BatchBusyError, BatchExistsError, BatchOutcome, plan_batch, run_batch
from .spec import DEFAULT_OUTCOMES, BatchSpec, Range, Sample, Variant, load_batch
from .tables import BatchResults, comparison, load_results

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
]
