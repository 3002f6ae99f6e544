"""The one entry point: ``run(scenario, seed) -> RunResult``, shared by the CLI, batches,
the browser and the tests."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .graph import CSRGraph
from .metrics import summarise
from .model import ClassicModel, GiftModel, make_model
from .scenario import Scenario, load_scenario

__all__ = ["RunResult", "run", "collect", "check_seed", "MAX_SEED", "invitations_frame", "series_table"]

MAX_SEED = 2**63 - 1
"""The largest seed (a batch's master seed and its runs' seeds are 63-bit too)."""


@dataclass(frozen=True, eq=False)
class RunResult:
    """Everything a run produced, as tables.

    Attributes
    ----------
    scenario : Scenario
    seed : int
    series : pandas.DataFrame
        One row per step: ``step``, ``date`` and every series of
        :data:`sim.model.SERIES`.
    gifts : pandas.DataFrame
        One row per gift: ``gift_id`` and :data:`sim.model.GIFT_COLUMNS` (``source`` and
        ``outcome`` as the names of :class:`GiftSource` / :class:`GiftOutcome`), then
        ``trigger`` (the name of its :class:`Trigger`, :data:`TRIGGER_OF_SOURCE`).
    invitations : pandas.DataFrame
        One row per induced-sharing invitation (:func:`invitations_frame`; empty
        without induced sharing): who invited whom to which product, when, how it ended
        and whether its visit made the invitee aware (the cascade edge).
    users : pandas.DataFrame
        One row per user who became aware: ``user``, ``parent`` (-1 for a cascade
        root), ``aware_step``, ``aware_via``, ``first_send_step`` (-1 if never sent),
        ``muted_step`` (-1 if never muted).
    merchants : pandas.DataFrame
        One row per merchant: traits, final state and totals.
    cascades : pandas.DataFrame
        One row per adoption cascade: ``root``, ``size``, ``depth``, ``structural_virality``.
    summary : dict of str to float or int
        See :data:`sim.metrics.SUMMARY_KEYS`; an undefined rate or share (nothing to
        divide) is NaN, the keys of :data:`sim.metrics.UNDEFINED_KEYS`.
    graph_report : list of str
        What was cleaned when the graph was read (never silent).
    wall_seconds : float
        Time the simulation took (not part of the outputs compared across runs).
    """

    scenario: Scenario
    seed: int
    series: pd.DataFrame
    gifts: pd.DataFrame
    invitations: pd.DataFrame
    users: pd.DataFrame
    merchants: pd.DataFrame
    cascades: pd.DataFrame
    summary: dict[str, float]
    graph_report: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0


def _enum_names(values: np.ndarray, enum) -> pd.Categorical:
    names = [e.name.lower() for e in enum]
    return pd.Categorical.from_codes(values.astype(np.int64) - min(int(e) for e in enum), names)


def invitations_frame(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """The invitations table from :meth:`sim.model.InvitationLog.to_columns`.

    Returns
    -------
    pandas.DataFrame
        One row per invitation, in sending order: ``invitation_id`` (int64), ``inviter``,
        ``invitee``, ``merchant`` (int32), ``step_sent`` (int32), ``outcome`` (the names
        of :class:`sim.model.InvitationOutcome`, categorical), ``step_ended`` (int32, -1
        while pending), ``made_aware`` (bool: the visit made the invitee aware, so the
        invitee's ``parent`` is ``inviter`` and ``aware_step`` is ``step_ended``).
    """
    from .model.states import InvitationOutcome

    out = pd.DataFrame(columns)
    out["outcome"] = _enum_names(out["outcome"].to_numpy(), InvitationOutcome)
    return out


def series_table(model: GiftModel | ClassicModel) -> pd.DataFrame:
    """The daily series of a (finished or partly run) model, one row per step done.

    Returns
    -------
    pandas.DataFrame
        ``step`` (int64, from 0), ``date`` (the calendar's dates, as the model holds
        them) and every series of :data:`sim.model.SERIES` with its dtype; as many rows
        as ``model.step_index``.
    """
    done = model.step_index
    series = pd.DataFrame({k: v[:done] for k, v in model.recorder.columns.items()})
    series.insert(0, "date", model.calendar.dates[:done])
    series.insert(0, "step", np.arange(done, dtype=np.int64))
    return series


def collect(model: GiftModel | ClassicModel, wall_seconds: float = 0.0) -> RunResult:
    """Turn a (finished or partly run) model into a :class:`RunResult`."""
    from .metrics.triggers import gift_triggers
    from .model.states import AwareVia, GiftOutcome, GiftSource, Trigger

    series = series_table(model)
    gifts = pd.DataFrame(model.ledger.to_columns())
    gifts["trigger"] = _enum_names(gift_triggers(gifts["source"].to_numpy()), Trigger)
    gifts["source"] = _enum_names(gifts["source"].to_numpy(), GiftSource)
    gifts["outcome"] = _enum_names(gifts["outcome"].to_numpy(), GiftOutcome)
    invitations = invitations_frame(model.invitations.to_columns())
    pop = model.population
    aware = np.flatnonzero(pop.aware)
    users = pd.DataFrame({
        "user": aware.astype(np.int64),
        "parent": pop.parent[aware],
        "aware_step": pop.aware_step[aware],
        "aware_via": _enum_names(pop.aware_via[aware], [v for v in AwareVia if v >= 0]),
        "first_send_step": pop.first_send_step[aware],
        "muted_step": pop.muted_step[aware],
    })
    merchants = pd.DataFrame(model.merchant_table.as_columns())
    merchants["kind"] = pd.Categorical.from_codes(merchants["kind"].to_numpy().astype(np.int64),
                                                  model.gift_scenario.merchants.kind_names)
    merchants["category"] = pd.Categorical.from_codes(merchants["category"].to_numpy().astype(np.int64),
                                                      model.gift_scenario.categories.names)  # -1: none (NaN)
    summary, cascades = summarise(model)
    return RunResult(
        scenario=model.gift_scenario,
        seed=int(model.seed) if not isinstance(model.seed, np.random.SeedSequence) else -1,
        series=series, gifts=gifts, invitations=invitations, users=users, merchants=merchants, cascades=cascades,
        summary=summary, graph_report=model.graph.report.lines(), wall_seconds=wall_seconds,
    )


def check_seed(seed: object, name: str = "seed") -> None:
    """Refuse a seed :func:`run` cannot take; ``name`` is how the message calls it
    (``--seed`` on the command line).

    Raises
    ------
    TypeError
        If ``seed`` is not an integer (bools are refused too).
    ValueError
        If ``seed`` is negative or above :data:`MAX_SEED`.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {seed!r}")
    if not 0 <= int(seed) <= MAX_SEED:
        text = str(int(seed))  # 10**300 is shown by its first digits and length
        shown = text if len(text) <= 30 else f"{text[:12]}... ({len(text.lstrip('-'))} digits)"
        raise ValueError(f"{name} must be between 0 and 2**63 - 1 ({MAX_SEED}), got {shown}")


def run(scenario: Scenario | str | os.PathLike, seed: int = 0, *, graph: CSRGraph | None = None,
        on_step: Callable[[int, int], None] | None = None) -> RunResult:
    """Run one simulation of ``scenario`` with ``seed``.

    The scenario's ``mode`` picks the model: the full gift model, or a classic
    reduction (independent cascade, Bass) for validation (:func:`sim.model.make_model`).

    Parameters
    ----------
    scenario : Scenario, or str or path-like
        A validated scenario (see :func:`sim.scenario.load_scenario`), or the path of a
        scenario file, loaded with :func:`~sim.scenario.load_scenario` (no overrides).
    seed : int, default 0
        0 to :data:`MAX_SEED` (2**63 - 1); the same scenario and seed always give the
        same result.
    graph : CSRGraph, optional
        A prebuilt graph to use instead of building ``scenario.graph``.
    on_step : callable(done, total), optional
        Called after every step (for progress bars).

    Returns
    -------
    RunResult

    Raises
    ------
    TypeError
        If ``seed`` is not an integer (a float, string or bool would silently pick
        another run), or ``scenario`` is neither a Scenario nor a path.
    ValueError
        If ``seed`` is negative or above :data:`MAX_SEED`.
    sim.scenario.ScenarioError
        If ``scenario`` is a path to a file that cannot be loaded.
    sim.graph.GraphFileError, sim.graph.GraphConfigError
        If the graph cannot be read or generated.
    """
    check_seed(seed)
    if isinstance(scenario, str | os.PathLike):
        scenario = load_scenario(scenario)
    elif not isinstance(scenario, Scenario):
        raise TypeError(f"scenario must be a Scenario or the path of a scenario file, got "
                        f"{type(scenario).__name__}; load one with sim.load_scenario(path)")
    start = time.perf_counter()
    model = make_model(scenario, seed=int(seed), graph=graph)
    while model.running:
        model.step()
        if on_step is not None:
            on_step(model.step_index, model.n_steps)
    return collect(model, wall_seconds=time.perf_counter() - start)
