"""Validation: the engine against closed forms, a peer library and published data.

Every check is a function returning a :class:`CheckResult` (verdict, figures, tolerance,
plot data); the tests (``tests/test_validation*.py``) and ``giftsim validate`` call the
same functions (see :data:`CHECKS`). ``docs/validation.md`` lists them with their
sources, formulas and measured figures.
"""

from .bass_check import check_bass
from .branching import check_borel
from .peer import check_cynetdiff
from .percolation import check_ic_giant, check_ic_threshold
from .plausibility import (
    PUBLISHED,
    SWEEP,
    landing,
    plausibility_metrics,
    purchase_by_received,
    sweep,
)
from .plots import save_plot
from .result import CheckResult, Curve, Plot
from .suite import CHECKS, PLOT_EXTRAS, MissingPeer, names, run_check
from .trees import check_structural_virality

__all__ = [
    "CHECKS",
    "PLOT_EXTRAS",
    "PUBLISHED",
    "SWEEP",
    "CheckResult",
    "Curve",
    "MissingPeer",
    "Plot",
    "check_bass",
    "check_borel",
    "check_cynetdiff",
    "check_ic_giant",
    "check_ic_threshold",
    "check_structural_virality",
    "landing",
    "names",
    "plausibility_metrics",
    "purchase_by_received",
    "run_check",
    "save_plot",
    "sweep",
]
