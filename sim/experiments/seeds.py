"""Seeds derived in one place: a run's seed from a master seed and its place in a design,
a run's independent random streams from its seed, and the seeds of a design's sampler.

Every random draw of giftsim comes from a generator seeded through these functions, so
the same master seed gives the same runs on any number of workers, in any order.
"""

from __future__ import annotations

import numpy as np

__all__ = ["run_seed", "seed_streams", "STREAMS", "sampler_seed", "SAMPLER_POINT", "analysis_seed"]

STREAMS = ("graph", "population", "merchants", "dynamics", "groups")
"""The random streams of a run, in the order they are spawned (:func:`seed_streams`)."""

SAMPLER_POINT = 2**31 - 1
"""The point index whose first replicate's seed seeds a sampled design (:func:`sampler_seed`):
no plan has that many points, so it never equals a run's seed."""


def run_seed(master: int, point: int, replicate: int, *, common_random_numbers: bool = False) -> int:
    """The seed of one run: ``SeedSequence(master, spawn_key=(point, replicate))`` (or
    ``(replicate,)`` with common random numbers) reduced to a 63-bit integer.

    The seed depends only on the master seed and the run's place in the plan, never on
    the worker or the order in which runs finish.

    Parameters
    ----------
    master : int
        The batch's (or calibration's) seed, >= 0.
    point, replicate : int
        The run's place, >= 0.
    common_random_numbers : bool, default False
        Every point's replicate ``r`` gets the same seed.

    Returns
    -------
    int
        In ``[0, 2**63)``.
    """
    key = (replicate,) if common_random_numbers else (point, replicate)
    ss = np.random.SeedSequence(master, spawn_key=key)
    hi, lo = (int(x) for x in ss.generate_state(2, np.uint32))
    return ((hi << 32) | lo) >> 1


def seed_streams(seed: int | np.random.SeedSequence) -> dict[str, np.random.SeedSequence]:
    """The independent random streams of a run, derived from its seed.

    Parameters
    ----------
    seed : int or numpy.random.SeedSequence

    Returns
    -------
    dict with keys ``graph``, ``population``, ``merchants``, ``dynamics``, ``groups``
        ``numpy.random.SeedSequence`` children of ``SeedSequence(seed)``, always in
        this order (:data:`STREAMS`), so a stream does not change when another one is used more.
    """
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return dict(zip(STREAMS, ss.spawn(len(STREAMS)), strict=True))


def sampler_seed(master: int) -> int:
    """The seed of a sampled design (SALib's ``seed``) of a batch with seed ``master``:
    ``run_seed(master, SAMPLER_POINT, 0) % (2**31 - 1)``, in ``[0, 2**31 - 1)``."""
    return int(run_seed(master, SAMPLER_POINT, 0) % (2**31 - 1))


def analysis_seed(master: int) -> int:
    """The seed of the resampling in a batch's sensitivity analysis (Sobol bootstrap
    intervals, Morris): the first word of ``SeedSequence(master)`` modulo ``2**31 - 1``."""
    return int(np.random.SeedSequence(master).generate_state(1)[0] % (2**31 - 1))
