"""One explorer session: the current scenario (a base plus overrides), its live model, and
the frames shown in the browser. Independent of the UI, so it is tested without a browser.

A frame carries per-user arrays for the interactive graph view (:class:`~sim.viz.sigma_view.SigmaView`,
up to :data:`~sim.viz.sigma_view.SIGMA_CAP` drawn users: the whole graph, or an ego subgraph above the
node cap). A graph of more users (at least :data:`~sim.viz.raster_view.RASTER_FROM`) is shown whole,
every user, by :class:`~sim.viz.raster_view.GraphRaster` in the browser's
:class:`~sim.viz.raster_widget.RasterView`: its frames carry the users' states and the widget
draws them."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..graph import CSRGraph
from ..model import GiftModel
from ..scenario import Scenario
from .charts import merchant_frame, series_frame
from .controls import ROLLOUT_SPEED, apply_overrides, set_override
from .layout import DEFAULT_NODE_CAP, Layout, ViewNodes, graph_layout, view_nodes
from .raster_view import RASTER_FROM, GraphRaster
from .sigma_view import SIGMA_CAP
from .state import (
    Calendar,
    Cascade,
    calendar_line,
    cascade_of,
    cascade_sizes,
    gift_counts,
    largest_cascades,
    recent_gifts,
    state_counts,
    user_states,
)
from .user_info import UserInfo

__all__ = ["Frame", "ExplorerSession", "make_frame", "shown_whole", "check_node_cap", "drawn_graph"]


@dataclass(frozen=True, eq=False)
class Frame:
    """Everything one screen shows, computed together after a step (immutable).

    Attributes
    ----------
    calendar : Calendar
    counts : dict of str to int
        Users per display state (the whole population).
    series : pandas.DataFrame
        Daily series so far (whole population).
    merchants : pandas.DataFrame
        Per-merchant GMV and kind.
    cascade : Cascade or None
        The chosen user's cascade.
    cascades : pandas.DataFrame
        The largest cascades so far.
    view : ViewNodes
    step_seconds, render_seconds : float
        Time of the last model step(s) and of building this frame.
    chosen : int or None
        The user whose cascade is shown.
    gifts_drawn : int
        Recent gifts with both ends drawn.
    states : ndarray of int8, shape (n_users,)
        :class:`~sim.viz.state.UserState` of every user.
    sent, received, cascade_sizes : ndarray of int64, shape (n_users,)
        Gifts each user sent and received so far, and the size of its cascade (0: not aware);
        empty in the raster view's frames (its tooltip asks :meth:`ExplorerSession.user_details`).
    gifts : pandas.DataFrame
        The recent gifts (:func:`~sim.viz.state.recent_gifts`).
    """

    calendar: Calendar
    counts: dict[str, int]
    series: pd.DataFrame
    merchants: pd.DataFrame
    cascade: Cascade | None
    cascades: pd.DataFrame
    view: ViewNodes
    step_seconds: float
    render_seconds: float
    chosen: int | None = None
    gifts_drawn: int = 0
    states: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    sent: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    received: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    cascade_sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    gifts: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass
class ExplorerSession:
    """A base scenario, the overrides chosen in the browser, a seed, and the live model.

    Every change of overrides or seed builds a new model from day 0 (a reset). ``layout``
    holds the drawn users' positions. ``raster`` is the whole-graph raster of a graph of at
    least :data:`RASTER_FROM` users (None otherwise: the browser's interactive view draws the
    graph). ``node_cap`` (1 .. :data:`SIGMA_CAP`) is the most users that view draws; a graph
    of more users, and up to :data:`SIGMA_CAP`, shows an ego subgraph.
    """

    base: Scenario
    seed: int = 0
    node_cap: int = DEFAULT_NODE_CAP
    gift_days: float = 3.0
    layout_seed: int = 0
    cache: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    chosen: int | None = None
    scenario: Scenario = field(init=False)
    model: GiftModel = field(init=False)
    view: ViewNodes = field(init=False)
    layout: Layout = field(init=False)
    layout_seconds: float = field(init=False, default=0.0)
    layout_cached: bool = field(init=False, default=False)
    raster: GraphRaster | None = field(init=False, default=None)
    _rasters: dict[str, GraphRaster] = field(init=False, default_factory=dict, repr=False)
    _info: UserInfo | None = field(init=False, default=None, repr=False)
    _lock: threading.RLock = field(init=False, default_factory=threading.RLock, repr=False)
    _step_seconds: float = field(init=False, default=0.0, repr=False)

    def __post_init__(self) -> None:
        self.scenario = apply_overrides(self.base, self.overrides)
        self._build()

    # ---------------------------------------------------------------- the model
    def _build(self) -> None:
        """A new model of the scenario and seed; its graph's drawn users, layout, and raster."""
        self.model = GiftModel(self.scenario, seed=self.seed)
        g = self.model.graph
        self.view, lay = drawn_graph(g, self.node_cap, layout_seed=self.layout_seed, cache=self.cache)
        self.layout, self.layout_seconds, self.layout_cached = lay, lay.seconds, lay.cached
        self.raster, self._info = None, None
        if shown_whole(g):
            raster = self._rasters.get(lay.key)
            if raster is None:
                raster = self._rasters[lay.key] = GraphRaster(g, lay.xy)
            self.raster, self._info = raster, UserInfo(self.model)
        self._step_seconds = 0.0
        if self.chosen is not None and self.chosen >= g.n_users:
            self.chosen = None

    def user_details(self, user: int) -> dict[str, int | str]:
        """What the raster view's tooltip shows about ``user`` (:class:`~sim.viz.user_info.UserInfo`).

        Raises
        ------
        ValueError
            If ``user`` is not a user id.
        """
        with self._lock:
            return (self._info or UserInfo(self.model))(user)

    def reset(self) -> None:
        """Start the current scenario and seed again from day 0."""
        with self._lock:
            self._build()

    def set_value(self, key: str, value: Any) -> None:
        """Change one control and reset the model with it.

        Raises
        ------
        sim.scenario.ScenarioError
            If the value is invalid; the session is unchanged.
        """
        with self._lock:
            overrides = set_override(self.overrides, key, value)
            scenario = apply_overrides(self.base, overrides)
            self.overrides, self.scenario = overrides, scenario
            self._build()

    def restore(self) -> None:
        """Drop every override: back to the scenario file, from day 0."""
        with self._lock:
            self.overrides = {}
            self.scenario = self.base
            self._build()

    def set_seed(self, seed: int) -> None:
        """Change the seed and start again from day 0, keeping the overrides.

        Raises
        ------
        ValueError
            If ``seed`` is negative; the session is unchanged.
        """
        if int(seed) < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        with self._lock:
            self.seed = int(seed)
            self._build()

    @property
    def rollout_speed(self) -> float:
        """The rollout speed control's value (1.0 unless overridden): 2 reaches each rollout share
        in half the time."""
        return float(self.overrides.get(ROLLOUT_SPEED, 1.0))

    @property
    def running(self) -> bool:
        """Whether the model has steps left (False once the scenario's end date is reached)."""
        return bool(self.model.running)

    def step(self, days: int = 1) -> int:
        """Advance up to ``days`` steps; return how many were run."""
        with self._lock:
            start = time.perf_counter()
            done = 0
            for _ in range(max(1, int(days))):
                if not self.model.running:
                    break
                self.model.step()
                done += 1
            self._step_seconds = time.perf_counter() - start
            return done

    def choose(self, user: int | None) -> None:
        """Show the cascade of ``user`` (None: no cascade)."""
        if user is not None and not 0 <= int(user) < self.model.population.n_users:
            raise ValueError(f"user {user} is not a user (0..{self.model.population.n_users - 1})")
        self.chosen = None if user is None else int(user)

    # ---------------------------------------------------------------- frames
    def frame(self) -> Frame:
        """What the screen shows now (:func:`make_frame` of the live model)."""
        with self._lock:
            return make_frame(self.model, self.view, self.gift_days, self.chosen, whole=self.raster is not None,
                              step_seconds=self._step_seconds)


def shown_whole(graph: CSRGraph) -> bool:
    """Whether the explorer shows ``graph`` whole, every user, in the raster view
    (:class:`~sim.viz.raster_widget.RasterView`): at least :data:`RASTER_FROM` users (more
    than :data:`SIGMA_CAP`). Otherwise the interactive view draws
    :func:`~sim.viz.layout.view_nodes` of the graph."""
    return graph.n_users >= RASTER_FROM


def check_node_cap(node_cap: int, name: str = "node cap") -> int:
    """``node_cap`` if it is a number of users the interactive view can draw one by one
    (``name`` names it in the message, e.g. ``--node-cap``).

    Raises
    ------
    ValueError
        If it is not an integer in 1 .. :data:`SIGMA_CAP` (10,000), naming the allowed values.
    """
    if isinstance(node_cap, bool) or not isinstance(node_cap, (int, np.integer)) or not 1 <= node_cap <= SIGMA_CAP:
        raise ValueError(f"{name} must be an integer in 1..{SIGMA_CAP:,} (the interactive view's most users; "
                         f"a graph of more users is shown whole by the raster view), got {node_cap!r}")
    return int(node_cap)


def drawn_graph(graph: CSRGraph, node_cap: int = DEFAULT_NODE_CAP, *, layout_seed: int = 0,
                cache: Path | None = None) -> tuple[ViewNodes, Layout]:
    """The users the explorer draws of ``graph`` and their layout: every user of a graph shown
    whole (:func:`shown_whole`), else :func:`~sim.viz.layout.view_nodes` (an ego subgraph above
    ``node_cap`` users).

    Parameters
    ----------
    graph : CSRGraph
    node_cap : int
        1 .. :data:`SIGMA_CAP`.
    layout_seed : int, default 0
    cache : Path, optional
        Layout cache folder (default the user's cache, :func:`sim.viz.layout.cache_dir`).

    Returns
    -------
    (ViewNodes, Layout)
        The drawn users and their positions (:func:`~sim.viz.layout.graph_layout`, read from the
        cache when computed before).

    Raises
    ------
    ValueError
        If ``node_cap`` is not in 1 .. :data:`SIGMA_CAP` (:func:`check_node_cap`).
    """
    check_node_cap(node_cap)
    if shown_whole(graph):
        view = ViewNodes(np.arange(graph.n_users, dtype=np.int64), graph.n_users)
        return view, graph_layout(graph, None, seed=layout_seed, cache=cache)
    view = view_nodes(graph, node_cap)
    return view, graph_layout(graph, view.nodes, seed=layout_seed, cache=cache)


def make_frame(model: GiftModel, view: ViewNodes, gift_days: float = 3.0, chosen: int | None = None, *,
               whole: bool = False, step_seconds: float = 0.0) -> Frame:
    """The frame of ``model`` now: what the explorer's screen shows, and what
    :meth:`SigmaView.show <sim.viz.sigma_view.SigmaView.show>` sends.

    Parameters
    ----------
    model : GiftModel
    view : ViewNodes
        The users drawn.
    gift_days : float, default 3
        Gifts of the last this many days are drawn.
    chosen : int, optional
        The user whose cascade is ringed.
    whole : bool, default False
        The graph is shown whole by the raster view: the frame carries the states only (no
        gifts, gift counts or cascade sizes, see :class:`Frame`).
    step_seconds : float, default 0
        Time of the last model step(s), reported in the frame.

    Returns
    -------
    Frame

    Raises
    ------
    ValueError
        If ``chosen`` is not a user id.
    """
    start = time.perf_counter()
    states = user_states(model)
    cascade = cascade_of(model, chosen) if chosen is not None else None
    common = dict(calendar=calendar_line(model), counts=state_counts(states), series=series_frame(model),
                  merchants=merchant_frame(model), cascade=cascade, cascades=largest_cascades(model), view=view,
                  step_seconds=step_seconds, chosen=chosen, states=states)
    if whole:
        return Frame(render_seconds=time.perf_counter() - start, **common)
    gifts = recent_gifts(model, gift_days)
    ends = gifts["sender"].to_numpy(), gifts["recipient"].to_numpy()
    drawn = len(gifts) if not view.sampled else int(
        (np.isin(ends[0], view.nodes) & np.isin(ends[1], view.nodes)).sum())
    sent, received = gift_counts(model)
    return Frame(render_seconds=time.perf_counter() - start, gifts_drawn=drawn, sent=sent,
                 received=received, cascade_sizes=cascade_sizes(model), gifts=gifts, **common)
