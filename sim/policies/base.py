"""The traffic-allocation policy plug-in interface and its registry.

A traffic-allocation policy splits the commercial impressions of a day among the
merchants on the platform (domain.md §2, §5). A policy is a small class with

* ``Params``: a frozen pydantic model of its scenario parameters (the scenario's
  ``[policy.allocation]`` table, tagged by ``rule``), and
* ``weights(view, rng)``: non-negative weights over all merchants, given a read-only
  :class:`MerchantView` of their public state.

Register a new rule with :func:`register`; scenario files then name it by ``rule``::

    from sim.policies import AllocationParams, MerchantView, register

    class FollowersParams(AllocationParams):
        rule: Literal["followers"] = "followers"
        exponent: float = 1.0

    @register("followers", FollowersParams)
    class Followers:
        def __init__(self, params: FollowersParams) -> None:
            self.params = params

        def weights(self, view: MerchantView, rng) -> np.ndarray:
            return np.where(view.active, view.followers ** self.params.exponent, 0.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, ConfigDict

__all__ = [
    "AllocationParams",
    "AllocationPolicy",
    "MerchantView",
    "register",
    "registered_rules",
    "params_class",
    "make_policy",
    "normalise",
]


class AllocationParams(BaseModel):
    """Base of every rule's parameters; ``rule`` names the registered policy."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False,
                              use_attribute_docstrings=True)
    rule: str
    """Name of the registered allocation rule."""

    KIND_FIELDS: ClassVar[tuple[str, ...]] = ()
    """Parameters that hold merchant kind names (a tuple of str, or None for "not
    given"): a scenario checks them against its ``[merchants.<name>]`` kinds."""


@dataclass(frozen=True, slots=True)
class MerchantView:
    """Read-only public state of all merchants on one day, the only input of a policy.

    Every array has shape (n_merchants,); merchants not on the platform have
    ``active == False`` and must receive weight 0.

    Attributes
    ----------
    day : int
        Step number of the day being allocated (0 = start date).
    step_days : float
        Length of a step in days (1.0 by default).
    active : ndarray of bool
        Merchant is on the platform today.
    kind : ndarray of int8
        Kind code: the merchant's kind is ``kind_names[kind[i]]``.
    followers : ndarray of float64
        Follower count (hidden from users under WeChat's policy, still known to the platform).
    joined_day : ndarray of int32
        Step on which the merchant last joined (-1 if never).
    recent_orders : ndarray of float64
        Gift orders over the last ``window`` steps (see ``window_days`` of the model).
    total_orders : ndarray of float64
        Gift orders since joining.
    total_impressions : ndarray of float64
        Commercial impressions received since joining.
    quality : ndarray of float64
        Product quality in [0, 1].
    expected_impressions : float
        Commercial impressions the platform expects to allocate today (all merchants).
    kind_names : tuple of str
        Name of each merchant kind, indexed by kind code: the scenario's
        ``[merchants.<name>]`` tables in id order (``brand``, ``sme``, ``white_label``, then
        the scenario's own). Empty when the caller names no kinds.
    head_kinds : tuple of str
        The kinds the scenario marks ``head = true`` (imported top merchants).

    Notes
    -----
    A policy reads this view and its own parameters only, never the model: kinds are
    data of the scenario, and a rule that selects kinds by name looks them up in
    ``kind_names`` (see :meth:`kind_codes`).
    """

    day: int
    step_days: float
    active: np.ndarray
    kind: np.ndarray
    followers: np.ndarray
    joined_day: np.ndarray
    recent_orders: np.ndarray
    total_orders: np.ndarray
    total_impressions: np.ndarray
    quality: np.ndarray
    expected_impressions: float
    kind_names: tuple[str, ...] = ()
    head_kinds: tuple[str, ...] = ()

    def kind_codes(self, names) -> np.ndarray:
        """Kind codes of the kinds named ``names``, int8 of shape (len(names),).

        Raises
        ------
        ValueError
            If a name is not one of :attr:`kind_names` (the message lists them).
        """
        missing = [n for n in names if n not in self.kind_names]
        if missing:
            raise ValueError(f"merchant kind {missing[0]!r} is not one of this run's kinds "
                             f"({', '.join(self.kind_names) or 'none named'})")
        return np.array([self.kind_names.index(n) for n in names], dtype=np.int8)

    @property
    def days_on_platform(self) -> np.ndarray:
        """Days since the merchant joined, float64 of shape (n_merchants,); inf if never joined."""
        since = (self.day - self.joined_day).astype(np.float64) * self.step_days
        return np.where(self.joined_day >= 0, since, np.inf)


@runtime_checkable
class AllocationPolicy(Protocol):
    """What the model needs from a traffic-allocation policy."""

    def weights(self, view: MerchantView, rng: np.random.Generator) -> np.ndarray:
        """Return non-negative weights, float64 of shape (n_merchants,), 0 where not active."""
        ...


_REGISTRY: dict[str, tuple[type[AllocationParams], type]] = {}


def register(rule: str, params: type[AllocationParams]):
    """Class decorator: make ``cls(params)`` available to scenarios as ``rule``.

    Raises
    ------
    ValueError
        If ``rule`` is already registered to another class.
    """

    def deco(cls: type) -> type:
        old = _REGISTRY.get(rule)
        if old is not None and old[1] is not cls:
            raise ValueError(f"allocation rule {rule!r} is already registered to {old[1].__name__}")
        _REGISTRY[rule] = (params, cls)
        return cls

    return deco


def registered_rules() -> list[str]:
    """Names of the registered allocation rules, sorted."""
    return sorted(_REGISTRY)


def params_class(rule: str) -> type[AllocationParams]:
    """The parameter model of ``rule``.

    Raises
    ------
    KeyError
        If no policy is registered under ``rule``.
    """
    return _REGISTRY[rule][0]


def make_policy(params: AllocationParams) -> AllocationPolicy:
    """Instantiate the registered policy for validated ``params``."""
    return _REGISTRY[params.rule][1](params)


def normalise(weights: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Turn policy weights into shares summing to 1 over active merchants.

    Parameters
    ----------
    weights : ndarray of float64, shape (n_merchants,)
    active : ndarray of bool, shape (n_merchants,)

    Returns
    -------
    ndarray of float64, shape (n_merchants,)
        Shares in [0, 1]; all zero when no merchant is active. If every active merchant
        has weight 0, the split falls back to equal.

    Raises
    ------
    ValueError
        If a weight is negative or not finite.
    """
    w = np.where(active, np.asarray(weights, dtype=np.float64), 0.0)
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("allocation weights must be finite and >= 0")
    total = w.sum()
    if total <= 0:
        n = int(active.sum())
        return active / n if n else np.zeros_like(w)
    return w / total
