"""Policy search: which traffic policy is best on several outcomes at once, robustly across
uncertain behaviour (``giftsim optimize``).

A search file names levers (policy keys, as ranges or choices), objectives (run outcomes to
maximise or minimise), constraints, the uncertainty the policies are evaluated over and the
robustness measure across it. Optuna's multi-objective samplers propose policies by
ask/tell; each generation of trials runs through giftsim's evaluators with the batch's
seeding (common random numbers across trials). See :mod:`sim.search.spec`.
"""

from .spec import Constraint, Lever, Objective, RobustnessMeasure, SearchBudget, SearchSpec

__all__ = ["Lever", "Objective", "Constraint", "RobustnessMeasure", "SearchBudget", "SearchSpec"]

from .load import POLICY_KEY_PREFIXES, is_policy_key, load_search  # noqa: E402  (reading a search file)

__all__ += ["load_search", "POLICY_KEY_PREFIXES", "is_policy_key"]

def __getattr__(name: str):
    """``optimize`` and ``SearchResult`` (:mod:`sim.search.engine`), imported when first used:
    the engine imports Optuna, which reading or checking a search file does not need."""
    if name in ("optimize", "SearchResult"):
        from . import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ += ["optimize", "SearchResult"]
