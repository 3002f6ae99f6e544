"""Traffic-allocation policies: the plug-in protocol, its registry and the built-in rules."""

from .base import (
    AllocationParams,
    AllocationPolicy,
    MerchantView,
    make_policy,
    normalise,
    params_class,
    register,
    registered_rules,
)
from .builtin import (
    ColdStart,
    ColdStartParams,
    Equal,
    EqualParams,
    HeadBoost,
    HeadBoostParams,
    SalesProportional,
    SalesProportionalParams,
)

__all__ = [
    "AllocationParams",
    "AllocationPolicy",
    "MerchantView",
    "make_policy",
    "normalise",
    "params_class",
    "register",
    "registered_rules",
    "Equal",
    "EqualParams",
    "SalesProportional",
    "SalesProportionalParams",
    "HeadBoost",
    "HeadBoostParams",
    "ColdStart",
    "ColdStartParams",
]
