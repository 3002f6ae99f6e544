"""What batches, calibration and search share: outcomes declared once, evaluators behind one
protocol, parameter roles over dotted scenario keys, and seeds derived in one place.

Nothing here knows what a day of the model is: outcome functions take what their registry's
owner hands them (the run summary's :class:`sim.metrics.RunFacts`), evaluators run any
picklable function over tasks. Dask's evaluator is in :mod:`sim.experiments.dask_evaluator`
(imported on use).
"""

from .evaluators import (
    BaseEvaluator,
    Evaluator,
    ProcessPoolEvaluator,
    SequentialEvaluator,
    make_evaluator,
    map_ordered,
)
from .outcomes import Direction, Outcome, OutcomeInterval, OutcomeRegistry, clip_interval, outcome_interval
from .pool import MainGuardError, WorkerLostError, default_workers
from .roles import Parameter, ParameterSpace, Role
from .seeds import run_seed, sampler_seed, seed_streams

__all__ = [
    "Direction", "Outcome", "OutcomeRegistry", "OutcomeInterval", "clip_interval", "outcome_interval",
    "Evaluator", "BaseEvaluator", "SequentialEvaluator", "ProcessPoolEvaluator", "make_evaluator", "map_ordered",
    "MainGuardError", "WorkerLostError", "default_workers",
    "Role", "Parameter", "ParameterSpace",
    "run_seed", "seed_streams", "sampler_seed",
]
