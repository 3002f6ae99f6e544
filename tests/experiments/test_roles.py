"""Parameter roles (sim.experiments.roles) and seeds in one place (sim.experiments.seeds),
as batches' [sample] and calibrations' parameters read them."""

from __future__ import annotations

import numpy as np
import pytest

from sim.batch.plan import salib_problem, sample_space
from sim.batch.spec import BatchSpec
from sim.calibrate.fit import parameter_space
from sim.calibrate.spec import CalibrationSpec
from sim.experiments import Parameter, ParameterSpace, Role, run_seed, sampler_seed, seed_streams
from sim.experiments.seeds import STREAMS, analysis_seed


def test_a_space_of_roles():
    space = ParameterSpace([
        Parameter("policy.commercial_share", Role.LEVER, (0.01, 0.3)),
        Parameter("population.pay_forward.a", Role.UNCERTAINTY, (0.3, 6)),
        Parameter("merchants.sme.count", Role.UNCERTAINTY, (5, 40), integer=True),
        Parameter("time.step_hours", Role.CONSTANT, value=12),
    ])
    assert space.keys == ["policy.commercial_share", "population.pay_forward.a", "merchants.sme.count",
                          "time.step_hours"]
    assert space.of_role(Role.LEVER).keys == ["policy.commercial_share"]
    assert space.varying().keys == space.keys[:3]
    assert space.bounds() == [(0.01, 0.3), (0.3, 6.0), (5.0, 40.0)]
    assert space.midpoint() == [0.155, 3.15, 22.5]
    assert space.salib_problem() == {"num_vars": 3, "names": space.keys[:3],
                                     "bounds": [[0.01, 0.3], [0.3, 6.0], [5.0, 40.0]]}
    assert space.assignments([0.1, 1, 7]) == [("policy.commercial_share", 0.1), ("population.pay_forward.a", 1.0),
                                              ("merchants.sme.count", 7.0), ("time.step_hours", 12)]
    with pytest.raises(ValueError, match="2 values for 3 varying parameters"):
        space.assignments([0.1, 1])


@pytest.mark.parametrize("args, match", [
    (("policy..share", Role.LEVER, (0, 1)), "not a dotted scenario key"),
    (("", Role.LEVER, (0, 1)), "not a dotted scenario key"),
    (("a.b", Role.LEVER, (1, 1)), r"bounds \[1, 1\]: need finite low < high"),
    (("a.b", Role.UNCERTAINTY, (0, float("inf"))), "need finite"),
    (("a.b", Role.LEVER, None), "a lever needs bounds"),
    (("a.b", Role.CONSTANT, (0, 1)), "a constant has a value, not bounds"),
    (("a.b", "lever", (0, 1)), "role must be a Role"),
])
def test_bad_parameters_are_refused(args, match):
    with pytest.raises(ValueError, match=match):
        Parameter(*args)


def test_a_key_twice_is_refused():
    with pytest.raises(ValueError, match="'a.b' is declared twice"):
        ParameterSpace([Parameter("a.b", Role.LEVER, (0, 1)), Parameter("a.b", Role.UNCERTAINTY, (0, 2))])


def test_batch_samples_and_calibrations_read_their_bounds_as_uncertainties():
    spec = BatchSpec.model_validate({
        "name": "s", "base": "x.toml",
        "sample": {"method": "latin", "n": 4, "integer": ["gifts.expiry_hours"],
                   "bounds": {"policy.commercial_share": [0.01, 0.3], "gifts.expiry_hours": [24, 72]}}})
    space = sample_space(spec)
    assert [p.role for p in space] == [Role.UNCERTAINTY] * 2
    assert [p.integer for p in space] == [False, True]
    assert salib_problem(spec) == {"num_vars": 2, "names": ["policy.commercial_share", "gifts.expiry_hours"],
                                   "bounds": [[0.01, 0.3], [24.0, 72.0]]}
    assert sample_space(BatchSpec.model_validate({"name": "s", "base": "x.toml"})) is None
    cal = CalibrationSpec.model_validate({"name": "c", "base": "x.toml", "parameters": {"gifts.accept_intercept": [-1, 2]},
                                          "targets": {"gifts_sent": {"value": 1.0, "scale": 1.0}}})
    assert [(p.key, p.role, p.bounds) for p in parameter_space(cal)] == [
        ("gifts.accept_intercept", Role.UNCERTAINTY, (-1.0, 2.0))]


def test_seeds_are_derived_in_one_place_and_pinned():
    import sim.batch
    import sim.batch.plan
    import sim.model
    import sim.model.model

    # the old import paths are the same functions
    assert sim.batch.run_seed is sim.batch.plan.run_seed is run_seed
    assert sim.model.seed_streams is sim.model.model.seed_streams is seed_streams
    # pinned as tests/batch/test_batch.py pins them (SeedSequence(master, spawn_key=(point, replicate)))
    hi, lo = (int(x) for x in np.random.SeedSequence(20241219, spawn_key=(0, 3)).generate_state(2, np.uint32))
    assert run_seed(20241219, 0, 3) == ((hi << 32) | lo) >> 1
    assert run_seed(5, 7, 3, common_random_numbers=True) == run_seed(5, 0, 3, common_random_numbers=True)
    assert sampler_seed(5) == run_seed(5, 2**31 - 1, 0) % (2**31 - 1)
    assert analysis_seed(5) == int(np.random.SeedSequence(5).generate_state(1)[0] % (2**31 - 1))
    streams = seed_streams(7)
    assert tuple(streams) == STREAMS
    # a stream added at the end (issue 14: groups) leaves the earlier ones unchanged
    assert [s.spawn_key for s in streams.values()] == [(0,), (1,), (2,), (3,), (4,)]
