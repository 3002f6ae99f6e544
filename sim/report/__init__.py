"""Batch reports: ``write_report("results/<batch>")`` writes a self-contained HTML page
(outcomes per point with 95% intervals, adoption and GMV curves with bands, merchant
concentration, SALib sensitivity indices for sampled batches) and its PNG figures."""

from .build import ReportOutcome, write_report
from .sensitivity import point_means, sensitivity
from .source import BatchFolder, ReportInputError, read_batch_folder

__all__ = ["write_report", "ReportOutcome", "ReportInputError", "BatchFolder", "read_batch_folder",
           "sensitivity", "point_means"]
