"""The registry of checks, shared by the tests and ``giftsim validate``."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .bass_check import check_bass
from .branching import check_borel
from .peer import check_cynetdiff
from .percolation import check_ic_giant, check_ic_threshold
from .result import CheckResult
from .trees import check_structural_virality

__all__ = ["CHECKS", "PLOT_EXTRAS", "MissingPeer", "names", "run_check"]

CHECKS: dict[str, Callable[..., CheckResult]] = {
    "ic_giant_newman": check_ic_giant,
    "ic_threshold_newman": check_ic_threshold,
    "borel_branching": check_borel,
    "bass_curve": check_bass,
    "peer_cynetdiff": check_cynetdiff,
    "structural_virality": check_structural_virality,
}
"""Check name -> function; each called with no arguments runs the documented check."""

PLOT_EXTRAS: dict[str, dict] = {
    "ic_giant_newman": {"curve_T": (0.3, 0.35, 0.4, 0.6, 0.7, 0.8, 1.0)},
}
"""Extra arguments that only add points to a check's plot (not to its verdict)."""


class MissingPeer(RuntimeError):
    """A peer library needed by a check is not installed."""


def run_check(name: str, *, extras: bool = False) -> CheckResult:
    """Run one registered check with its defaults (plus :data:`PLOT_EXTRAS` if ``extras``).

    Raises
    ------
    ValueError
        If ``name`` is not registered; the message lists the names.
    MissingPeer
        If the check needs a library that is not installed.
    """
    if name not in CHECKS:
        raise ValueError(f"unknown check {name!r}; allowed: {', '.join(CHECKS)}")
    kwargs = PLOT_EXTRAS.get(name, {}) if extras else {}
    try:
        return CHECKS[name](**kwargs)
    except ImportError as err:
        raise MissingPeer(f"{name}: {err} (install the test extras: pip install -e '.[test]')") from None


def names(only: Iterable[str] | None = None) -> list[str]:
    """Registered check names, or ``only`` after checking each is registered.

    Raises
    ------
    ValueError
        For an unknown name.
    """
    if only is None:
        return list(CHECKS)
    out = list(only)
    for n in out:
        if n not in CHECKS:
            raise ValueError(f"unknown check {n!r}; allowed: {', '.join(CHECKS)}")
    return out
