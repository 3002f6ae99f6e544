"""Calibration: fit behaviour parameters to published figures with a well-kept optimiser
(scipy's differential evolution), with common random numbers so the fit is reproducible."""

from .fit import (
    UNDEFINED_PENALTY,
    CalibrationExistsError,
    CalibrationResult,
    calibrate,
    evaluate,
    metrics_of,
    parameter_space,
)
from .spec import TARGET_METRICS, TARGET_OUTCOMES, TARGET_RANGE, CalibrationSpec, Target, load_calibration

__all__ = [
    "CalibrationExistsError",
    "CalibrationResult",
    "CalibrationSpec",
    "Target",
    "TARGET_METRICS",
    "TARGET_OUTCOMES",
    "TARGET_RANGE",
    "UNDEFINED_PENALTY",
    "calibrate",
    "evaluate",
    "load_calibration",
    "metrics_of",
    "parameter_space",
]
