"""The contract every registered allocation rule keeps (sim.policies).

Parametrised over :func:`sim.policies.registered_rules` at collection time, so a rule
registered anywhere in ``sim`` (or by a test module collected earlier) is covered without
touching this file; this module registers a user-defined rule of its own first, as a
scenario author would, and checks that it is covered too.

The contract, as the model uses a rule (``normalise(policy.weights(view, rng), active)``
then a multinomial draw of the day's impressions over the shares):

* ``weights`` returns float64 of shape (n_merchants,), finite and non-negative;
* a merchant not on the platform gets weight 0, hence no share and no impression;
* the shares sum to 1 over the active merchants (0 everywhere when none is active), so the
  impressions drawn sum to exactly the day's total;
* the same generator state gives the same weights (and the same impressions);
* the view's arrays are not modified.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pytest
from pydantic import Field, StrictFloat

from sim.policies import (
    AllocationParams,
    MerchantView,
    make_policy,
    normalise,
    params_class,
    register,
    registered_rules,
)
from sim.policies.builtin import BUILTIN_RULES


class NoisyFollowersParams(AllocationParams):
    """A user rule that draws from the generator: followers ** exponent times lognormal noise."""

    rule: Literal["contract_noisy_followers"] = "contract_noisy_followers"
    exponent: StrictFloat = Field(default=0.5, ge=0.0)


@register("contract_noisy_followers", NoisyFollowersParams)
class NoisyFollowers:
    """Weights ``(followers + 1) ** exponent * LogNormal(0, 1)`` on active merchants."""

    def __init__(self, params: NoisyFollowersParams) -> None:
        self.params = params

    def weights(self, view: MerchantView, rng: np.random.Generator) -> np.ndarray:
        noise = rng.lognormal(0.0, 1.0, size=view.active.size)
        return np.where(view.active, (view.followers + 1.0) ** self.params.exponent * noise, 0.0)


RULES = registered_rules()  # after the registration above
USER_RULE = "contract_noisy_followers"


def make_view(n: int, seed: int, *, active_share: float = 0.7, day: int = 30,
              expected: float = 5_000.0) -> MerchantView:
    """A plausible day's view of ``n`` merchants: some inactive (never joined or left), new
    and old merchants, sales and impressions consistent with each other."""
    rng = np.random.default_rng(seed)
    active = rng.random(n) < active_share
    joined = np.where(rng.random(n) < 0.9, rng.integers(0, day + 1, n), -1).astype(np.int32)
    active &= joined >= 0
    total_impressions = np.where(joined >= 0, rng.integers(0, 20_000, n), 0).astype(np.float64)
    total_orders = np.floor(total_impressions * rng.uniform(0.0, 0.01, n))
    return MerchantView(
        day=day, step_days=1.0, active=active,
        kind=rng.integers(0, 3, n).astype(np.int8),
        followers=np.floor(rng.pareto(1.5, n) * 100.0),
        joined_day=joined,
        recent_orders=np.floor(total_orders * rng.uniform(0.0, 0.5, n)),
        total_orders=total_orders, total_impressions=total_impressions,
        quality=rng.uniform(0.0, 1.0, n), expected_impressions=float(expected),
    )


def _views() -> dict[str, MerchantView]:
    base = make_view(40, 1)
    n = base.active.size
    return {
        "mixed": base,
        "all_active": _replace(base, active=np.ones(n, dtype=bool), joined_day=np.maximum(base.joined_day, 0)),
        "one_active": _replace(base, active=np.arange(n) == 7, joined_day=np.where(np.arange(n) == 7, 3, -1)
                               .astype(np.int32)),
        "none_active": _replace(base, active=np.zeros(n, dtype=bool)),
        "all_new": _replace(base, joined_day=np.full(n, base.day, dtype=np.int32)),
        "no_traffic_expected": _replace(base, expected_impressions=0.0),
        "no_sales": _replace(base, recent_orders=np.zeros(n), total_orders=np.zeros(n),
                             total_impressions=np.zeros(n)),
    }


def _replace(view: MerchantView, **changes) -> MerchantView:
    fields = {k: getattr(view, k) for k in MerchantView.__dataclass_fields__}
    fields.update(changes)
    return MerchantView(**fields)


VIEWS = _views()


def _copy(view: MerchantView) -> dict[str, object]:
    return {k: (v.copy() if isinstance(v, np.ndarray) else v)
            for k, v in ((k, getattr(view, k)) for k in MerchantView.__dataclass_fields__)}


def _allocate(policy, view: MerchantView, seed: int, total: int):
    """What the model does with a rule on one day: weights, shares, impressions."""
    rng = np.random.default_rng(seed)
    w = policy.weights(view, rng)
    shares = normalise(w, view.active)
    impressions = rng.multinomial(total, shares) if view.active.any() else np.zeros(view.active.size, np.int64)
    return w, shares, impressions


def violations(policy, view: MerchantView, total: int = 7_919, seed: int = 12345) -> list[str]:
    """What ``policy`` breaks of the contract on ``view`` (empty when it keeps it)."""
    n = view.active.size
    before = _copy(view)
    out = []
    w = np.asarray(policy.weights(view, np.random.default_rng(seed)))
    if w.shape != (n,) or w.dtype != np.float64:
        return [f"weights of shape {w.shape} and dtype {w.dtype}, not ({n},) float64"]
    if not (np.all(np.isfinite(w)) and np.all(w >= 0)):
        return ["weights not finite and >= 0"]
    if np.any(w[~view.active] != 0):
        out.append("inactive merchants get weight")
    _, shares, impressions = _allocate(policy, view, seed, total)
    if np.any(shares[~view.active] != 0) or np.any(impressions[~view.active] != 0):
        out.append("inactive merchants get impressions")
    expected = (1.0, total) if view.active.any() else (0.0, 0)
    if abs(shares.sum() - expected[0]) > 1e-12 or int(impressions.sum()) != expected[1]:
        out.append(f"shares sum to {shares.sum()}, impressions to {impressions.sum()}; expected {expected}")
    for k, v in before.items():
        now = getattr(view, k)
        same = (np.array_equal(now, v) and now.dtype == v.dtype) if isinstance(v, np.ndarray) else now == v
        if not same:
            out.append(f"view.{k} modified")
    return out


def test_the_registry_is_what_is_covered():
    assert set(BUILTIN_RULES) <= set(RULES)
    assert USER_RULE in RULES
    assert RULES == sorted(RULES) and len(RULES) == len(set(RULES))


@pytest.mark.parametrize("view_name", list(VIEWS))
@pytest.mark.parametrize("rule", RULES)
def test_contract(rule, view_name):
    assert violations(make_policy(params_class(rule)()), VIEWS[view_name]) == []


@pytest.mark.parametrize("rule", RULES)
def test_same_generator_state_same_result(rule):
    view = VIEWS["mixed"]
    a = _allocate(make_policy(params_class(rule)()), view, 99, 10_000)
    b = _allocate(make_policy(params_class(rule)()), view, 99, 10_000)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    # a generator restored to the same state (after earlier draws) gives the same weights
    rng = np.random.default_rng(5)
    rng.random(17)
    state = rng.bit_generator.state
    w1 = make_policy(params_class(rule)()).weights(view, rng)
    rng2 = np.random.default_rng()
    rng2.bit_generator.state = state
    np.testing.assert_array_equal(w1, make_policy(params_class(rule)()).weights(view, rng2))


def test_the_user_rule_draws_from_the_generator():
    # the registered user rule is random, so the determinism test above has teeth
    view = VIEWS["mixed"]
    p = make_policy(NoisyFollowersParams())
    w1 = p.weights(view, np.random.default_rng(1))
    w2 = p.weights(view, np.random.default_rng(2))
    assert not np.array_equal(w1[view.active], w2[view.active])


class _Broken:
    """Rules that break one clause each, to show the contract check is not vacuous."""

    def __init__(self, how: str) -> None:
        self.how = how

    def weights(self, view: MerchantView, rng: np.random.Generator) -> np.ndarray:
        w = np.where(view.active, view.followers + 1.0, 0.0)
        if self.how == "feeds_inactive":
            return view.followers + 1.0
        if self.how == "negative":
            return w - 1e6
        if self.how == "shape":
            return w[:-1]
        if self.how == "int":
            return w.astype(np.int64)
        if self.how == "mutates":
            view.total_orders[:] += 1.0
            return w
        return w


@pytest.mark.parametrize("how", ["feeds_inactive", "negative", "shape", "int", "mutates"])
def test_the_contract_check_catches_a_broken_rule(how):
    view = _replace(VIEWS["mixed"], total_orders=VIEWS["mixed"].total_orders.copy())
    assert violations(_Broken(how), view) != []
    assert violations(_Broken("fine"), VIEWS["mixed"]) == []
