"""The reference model: giftsim's gift rules as plain per-agent Mesa code.

A readable statement of the rules, one :class:`User` agent per person and one
:class:`Shop` agent per merchant, used as the oracle for the vectorised engine
(:mod:`sim.model`): both are run on the same scenario and graph over many seeds and
their outcomes compared (:mod:`sim.reference.oracle`, ``tests/reference/test_reference.py``), and
as the baseline of the engine's speed (``benchmarks/reference.py``). Rules covered and
not covered: see :mod:`sim.reference.model`.
"""

from .agents import Gift, Shop, User
from .model import ReferenceModel, unsupported
from .oracle import OUTCOMES, Comparison, compare, engine_outcomes, replicate

__all__ = ["ReferenceModel", "User", "Shop", "Gift", "unsupported", "OUTCOMES", "Comparison",
           "compare", "engine_outcomes", "replicate"]
