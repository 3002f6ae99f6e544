"""How :class:`~sim.model.GiftModel` reads Mesa-style arguments.

Mesa's tools build a model from keyword arguments alone: ``mesa.batch_run(GiftModel,
parameters={...})`` calls ``GiftModel(**point, seed=...)`` for every point of its grid,
and SolaraViz's Reset calls ``GiftModel(**model_params)``. Here those arguments become
giftsim's: the scenario (None, a file path or a :class:`~sim.scenario.Scenario`) with
dotted overrides of its keys (``"policy.commercial_share": 0.05``), and the run's seed
(``seed=`` or Mesa's ``rng=``); a user's merchant class is checked. :class:`GiftRun` is
the Mesa scenario (``model.scenario``) of a giftsim model: giftsim's own scenario is
``model.gift_scenario``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Any

import numpy as np
from mesa.experimental.scenarios import Scenario as MesaScenario

from ..scenario.loader import load_scenario, validate_scenario, with_overrides
from ..scenario.overrides import apply_overrides
from ..scenario.schema import Scenario
from .merchants import Merchant

__all__ = ["DEFAULT_SCENARIO", "OVERRIDE_SOURCE", "GiftRun", "resolve_scenario", "resolve_seed", "check_merchant_class",
           "MAX_SEED"]

MAX_SEED = 2**63 - 1
"""The largest run seed (as :data:`sim.runner.MAX_SEED`)."""

OVERRIDE_SOURCE = "GiftModel keyword arguments"
"""How error messages name the keyword overrides of a scenario given as an object or None."""

DEFAULT_SCENARIO: dict[str, Any] = {
    "name": "giftsim_default",
    "description": "every key at its default, on a generated 1,000-user Holme-Kim graph",
    "graph": {"kind": "holme_kim", "n": 1000, "m": 4, "p": 0.3, "seed": 1},
}
"""The raw scenario of ``GiftModel(scenario=None)``: every key at its default
(``docs/model.md``) on a generated graph of 1,000 users (no file needed)."""


def resolve_scenario(scenario: Scenario | str | os.PathLike | None, overrides: Mapping[str, Any]) -> Scenario:
    """The giftsim scenario from ``GiftModel``'s ``scenario`` and keyword overrides.

    Parameters
    ----------
    scenario : Scenario, str, path-like or None
        A validated scenario; the path of a scenario file (loaded with
        :func:`~sim.scenario.load_scenario`); None for :data:`DEFAULT_SCENARIO`.
    overrides : mapping of str to object
        Dotted scenario keys and their values (``{"policy.commercial_share": 0.05}``),
        applied as ``giftsim run --set`` applies them.

    Returns
    -------
    Scenario

    Raises
    ------
    TypeError
        If ``scenario`` is none of the above (a Mesa scenario, a list of paths, ...).
    sim.scenario.ScenarioError
        If the file cannot be loaded, or an override names an unknown key or gives a
        value the key does not allow (the message names the key and what is allowed).
    """
    pairs = [(str(k), _plain(v)) for k, v in overrides.items()]
    if isinstance(scenario, str | os.PathLike):
        return load_scenario(scenario, pairs, set_by=OVERRIDE_SOURCE)
    if isinstance(scenario, Scenario):
        return with_overrides(scenario, pairs, source=OVERRIDE_SOURCE) if pairs else scenario
    if scenario is None:
        raw = apply_overrides(DEFAULT_SCENARIO, pairs, None, OVERRIDE_SOURCE)
        return validate_scenario(raw, OVERRIDE_SOURCE)
    raise TypeError(f"GiftModel: scenario must be None, a giftsim Scenario or the path of a scenario file, got "
                    f"{type(scenario).__name__}; mesa.batch_run iterates any parameter value that is iterable but "
                    f'a string, so give it a path string or a Scenario object in a one-item list ("scenario": [sc])')

def _plain(value: Any) -> Any:
    """A numpy scalar (as a sweep over a numpy array gives) as the Python number it holds."""
    return value.item() if isinstance(value, np.generic) else value


def resolve_seed(seed: int | np.random.SeedSequence | None, rng: Any) -> int | np.random.SeedSequence:
    """The run's seed from ``GiftModel``'s ``seed`` or Mesa's ``rng`` (at most one given).

    Parameters
    ----------
    seed : int, numpy.random.SeedSequence or None
        0 to :data:`MAX_SEED`.
    rng : int, numpy.random.SeedSequence, numpy.random.Generator or None
        As Mesa's ``Model(rng=...)``: an int or a SeedSequence is the seed; a Generator
        gives one (a 63-bit integer drawn from it).

    Returns
    -------
    int or numpy.random.SeedSequence
        With neither given, a fresh 63-bit seed from the operating system's entropy
        (as Mesa does with no seed; ``model.seed`` records it, so the run can be repeated).

    Raises
    ------
    ValueError
        If both are given, or a seed is outside [0, 2**63 - 1].
    TypeError
        If a seed is not an integer (bools refused) or a SeedSequence.
    """
    if seed is not None and rng is not None:
        raise ValueError("GiftModel: pass either seed or rng, not both")
    value = seed if seed is not None else rng
    if value is None:
        return secrets.randbits(63)
    if isinstance(value, np.random.Generator):
        return int(value.integers(0, MAX_SEED, endpoint=True))
    if isinstance(value, np.random.SeedSequence):
        return value
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"GiftModel: seed must be an integer, a numpy SeedSequence or Generator, got {value!r}")
    if not 0 <= int(value) <= MAX_SEED:
        raise ValueError(f"GiftModel: seed must be between 0 and 2**63 - 1, got {int(value)}")
    return int(value)


def check_merchant_class(merchant_class: object) -> None:
    """Refuse a ``merchant_class`` that is not :class:`sim.model.Merchant` or a subclass of it.

    Raises
    ------
    TypeError
        Naming what was given.
    """
    if not (isinstance(merchant_class, type) and issubclass(merchant_class, Merchant)):
        raise TypeError(f"GiftModel: merchant_class must be sim.model.Merchant or a subclass of it, got "
                        f"{merchant_class!r}")


class GiftRun(MesaScenario):
    """The Mesa scenario (``model.scenario``) of a giftsim model.

    Mesa 3.5 keeps a model's experiment in ``model.scenario`` (a
    ``mesa.experimental.scenarios.Scenario``); giftsim's scenario, a different thing, is
    ``model.gift_scenario``, and this object points at it.

    Parameters
    ----------
    rng : numpy.random.Generator
        The model's dynamics generator (Mesa seeds ``model.random`` from it).
    seed : int or numpy.random.SeedSequence
        The giftsim run's seed.
    gift_scenario : Scenario
        giftsim's scenario of the run.

    Notes
    -----
    A ``GiftRun`` is falsy: it holds no parameter Mesa could pass back to the model.
    SolaraViz's Reset rebuilds a model with a truthy scenario as ``GiftModel(scenario=<a new
    Mesa scenario>, ...)``, which would replace giftsim's scenario argument; with a falsy
    one it calls ``GiftModel(**model_params)``, the arguments the app was given.
    """

    def __bool__(self) -> bool:
        return False

