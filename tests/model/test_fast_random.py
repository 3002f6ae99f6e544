"""sim.model.fast_random.poisson gives numpy's Poisson draws bit for bit and leaves the
generator where numpy would (the seeded outputs of every run depend on it)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model import fast_random


def _sequential_ends(u: np.ndarray, enlam: float) -> list[int]:
    """The positions that end a value by numpy's random_poisson_mult, written out."""
    ends, prod = [], 1.0
    for i, x in enumerate(u.tolist()):
        prod *= x
        if prod <= enlam:
            ends.append(i)
            prod = 1.0
    return ends


@pytest.mark.parametrize("lam", [0.5, 1e-9, 0.01, 0.9, 2.0, 2.999, 3.0])
@pytest.mark.parametrize("size", [fast_random.MIN_SIZE, 25_001, 200_000])
def test_same_values_and_state_as_numpy(lam, size):
    a, b = np.random.default_rng(size), np.random.default_rng(size)
    expected, got = a.poisson(lam, size), fast_random.poisson(b, lam, size)
    assert got.dtype == expected.dtype and got.shape == (size,)
    np.testing.assert_array_equal(got, expected)
    assert b.bit_generator.state == a.bit_generator.state
    np.testing.assert_array_equal(b.random(7), a.random(7))


def test_buffered_32_bit_half_survives():
    """A 32-bit draw leaves half a 64-bit word buffered; numpy's loop keeps it, and so
    must the rewind (PCG64.advance alone would clear it)."""
    a, b = np.random.default_rng(3), np.random.default_rng(3)
    for g in (a, b):
        g.integers(0, 100, dtype=np.int32)
    assert a.bit_generator.state["has_uint32"] == 1
    np.testing.assert_array_equal(fast_random.poisson(b, 0.5, 20_000), a.poisson(0.5, 20_000))
    assert b.bit_generator.state == a.bit_generator.state
    np.testing.assert_array_equal(b.integers(0, 2**31, 9, dtype=np.int32), a.integers(0, 2**31, 9, dtype=np.int32))


@pytest.mark.parametrize("lam, size, bitgen", [(5.0, 10_000, np.random.PCG64), (0.0, 10_000, np.random.PCG64),
                                               (0.5, 9_999, np.random.PCG64), (0.5, 10_000, np.random.Philox)])
def test_other_cases_fall_back_to_numpy(lam, size, bitgen):
    a, b = np.random.Generator(bitgen(11)), np.random.Generator(bitgen(11))
    np.testing.assert_array_equal(fast_random.poisson(b, lam, size), a.poisson(lam, size))
    np.testing.assert_array_equal(b.random(7), a.random(7))


def test_too_few_uniforms_drawn_at_first(monkeypatch):
    """When the first block of uniforms holds fewer values than asked (practically never
    with the margin), the generator is reset and a larger block drawn: same values."""
    monkeypatch.setattr(fast_random, "block_size", lambda size, lam: size // 3)
    a, b = np.random.default_rng(21), np.random.default_rng(21)
    np.testing.assert_array_equal(fast_random.poisson(b, 0.5, 30_000), a.poisson(0.5, 30_000))
    assert b.bit_generator.state == a.bit_generator.state


def test_bad_mean_raises_as_numpy():
    with pytest.raises(ValueError):
        fast_random.poisson(np.random.default_rng(0), -1.0, 1_000)


def test_value_ends_match_the_sequential_rule_on_hard_inputs():
    """Long runs of large uniforms, uniforms exactly at exp(-lam), products that land on
    it, and a run reaching the end of the block."""
    lam = 0.5
    enlam = math.exp(-lam)
    rng = np.random.default_rng(5)
    u = rng.random(20_000)
    u[100:140] = 0.999  # a run of 40 large uniforms
    u[500] = enlam  # equal: ends the value
    u[600], u[601] = np.nextafter(enlam, 1.0), 0.999  # large, then a product just below enlam
    u[-30:] = 0.9999  # the block ends inside a run
    expected = _sequential_ends(u, enlam)
    assert 500 in expected and 601 in expected and expected[-1] < u.size - 30
    assert fast_random._value_ends(u, enlam).tolist() == expected


def test_the_model_uses_it_for_impressions():
    """The impressions of a step come from fast_random.poisson (with daily steps), so the
    speed-up is in the path a run takes."""
    from sim.model.steps import traffic

    assert traffic.fast_random is fast_random


@pytest.mark.parametrize("n", [1, 7, 8_500])
@pytest.mark.parametrize("size", [0, 100, 4_096, 18_000, 60_000])
def test_choice_equals_numpy_choice_values_and_state(n, size):
    from sim.model.fast_random import choice

    gen = np.random.default_rng(n * 1_000 + size)
    p = gen.random(n) ** 3
    p[gen.random(n) < 0.2] = 0.0  # categories never drawn, equal cumulative shares
    p[0] += 1e-3
    p /= p.sum()
    a, b = np.random.default_rng(size), np.random.default_rng(size)
    a.random(3)
    b.random(3)
    got, want = choice(a, n, size, p), b.choice(n, size=size, p=p)
    assert got.dtype == want.dtype and np.array_equal(got, want)
    assert a.bit_generator.state == b.bit_generator.state
    assert a.random() == b.random()


def test_choice_keeps_numpy_errors():
    from sim.model.fast_random import choice

    for p in (np.full(5, 0.3), np.array([0.5, 0.6, -0.1, 0.0, 0.0]), np.array([np.nan, 1.0, 0, 0, 0])):
        with pytest.raises(ValueError):
            choice(np.random.default_rng(1), 5, 10_000, p)
