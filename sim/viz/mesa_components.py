"""The explorer's graph view and charts as components of Mesa's SolaraViz.

Mesa 3.5's ``SolaraViz(model, components=[...])`` takes components as ``(function, page)``
pairs, each function taking the model and returning a Solara element; SolaraViz renders
them again after every step (its Step and Play buttons). These make giftsim's:

* :func:`make_graph_component`: the social graph in the explorer's own interactive view
  (:class:`GraphViews`): sigma.js (:class:`~sim.viz.sigma_view.SigmaView`, zoom, pan, hover a
  user for its details, click one to ring its cascade) for graphs up to
  :data:`~sim.viz.sigma_view.SIGMA_CAP` drawn users, and the whole-graph raster view
  (:class:`~sim.viz.raster_widget.RasterView`, wheel zoom, hover) for graphs of
  :data:`~sim.viz.raster_view.RASTER_FROM` users or more; with the explorer's legend;
* :func:`make_chart_component`: one of the explorer's live charts (:data:`CHARTS`).

Mesa's own ``make_plot_component("gifts_sent")`` works as well: it plots the model's
``datacollector`` (:mod:`sim.model.mesa_data`). Example::

    from mesa.visualization import SolaraViz, make_plot_component
    from sim.model import GiftModel
    from sim.viz.mesa_components import make_chart_component, make_graph_component

    model = GiftModel("scenarios/wechat_gift_launch.toml", seed=7)
    page = SolaraViz(model, components=[make_graph_component(), make_chart_component("adoption"),
                                        make_plot_component("gmv_rmb", backend="altair")],
                     model_params={"scenario": "scenarios/wechat_gift_launch.toml", "seed": 7})
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import anywidget
import solara

from ..model import GiftModel
from . import charts
from .layout import DEFAULT_NODE_CAP, Layout, ViewNodes
from .raster_view import GraphRaster
from .raster_widget import RasterView
from .session import Frame, check_node_cap, drawn_graph, make_frame, shown_whole
from .sigma_view import SigmaView
from .user_info import UserInfo
from .widgets import Html, Legend, VegaChart

__all__ = ["CHARTS", "GraphViews", "make_graph_component", "make_chart_component"]

CHARTS: dict[str, Callable] = {
    "gifts": lambda m: charts.gifts_chart(m, charts.series_frame(m)),
    "adoption": lambda m: charts.adoption_chart(m, charts.series_frame(m)),
    "gmv": lambda m: charts.gmv_chart(m, charts.series_frame(m)),
    "merchants": lambda m: charts.merchants_chart(m, charts.series_frame(m)),
    "top_merchants": lambda m: charts.top_merchants_chart(charts.merchant_frame(m)),
    "lorenz": lambda m: charts.lorenz_chart(charts.merchant_frame(m)),
}
"""Chart name -> function of a GiftModel returning the explorer's Altair chart
(:mod:`sim.viz.charts`): gifts sent/accepted/expired, adoption, GMV and active merchants
per day, the top merchants by GMV and the Lorenz curve of merchants' GMV."""


class GraphViews:
    """The explorer's graph view of the models a SolaraViz shows, updated in place.

    The view is made once: a :class:`SigmaView` for a graph drawn user by user (up to
    :data:`SIGMA_CAP` users; an ego subgraph above ``node_cap``), a :class:`RasterView` for a
    graph shown whole (:func:`~sim.viz.session.shown_whole`). A model with a new graph (a
    SolaraViz Reset) gets the graph sent to the same widget (nothing is sent when its layout is
    the one shown); each :meth:`update` sends the model's frame (:func:`~sim.viz.session.make_frame`).
    A click on a user in the sigma view rings its cascade (:meth:`choose`), as in the explorer.

    Parameters
    ----------
    node_cap : int, default DEFAULT_NODE_CAP
        Most users drawn one by one, at most :data:`SIGMA_CAP`.
    gift_days : float, default 3
        Gifts of the last this many days are drawn.
    layout_seed : int, default 0
    cache : Path, optional
        Layout cache folder (default the user's cache, :func:`sim.viz.layout.cache_dir`).
    height : int, default 320
        Height of the view, CSS pixels.

    Attributes
    ----------
    model : GiftModel or None
        The model shown (None before the first :meth:`update`).
    whole : bool
        The graph is shown whole by the raster view.
    view : ViewNodes or None
        The users drawn.
    frame : Frame or None
        The frame shown.
    chosen : int or None
        The user whose cascade is ringed.
    on_choose : callable(int or None), optional
        Called after a click in the view changed :attr:`chosen` (e.g. to re-render a page).

    Raises
    ------
    ValueError
        If ``node_cap`` is not in 1 .. :data:`SIGMA_CAP`.
    """

    def __init__(self, node_cap: int = DEFAULT_NODE_CAP, gift_days: float = 3.0, layout_seed: int = 0,
                 cache: Path | None = None, height: int = 320) -> None:
        self.node_cap = check_node_cap(node_cap, "node_cap")
        self.gift_days, self.layout_seed, self.cache = gift_days, layout_seed, cache
        self.height = int(height)
        self.model: GiftModel | None = None
        self.whole = False
        self.view: ViewNodes | None = None
        self.layout: Layout | None = None
        self.frame: Frame | None = None
        self.chosen: int | None = None
        self.on_choose: Callable[[int | None], None] | None = None
        self._graph = None
        self._raster: GraphRaster | None = None
        self._info: UserInfo | None = None
        self._sigma: SigmaView | None = None
        self._raster_view: RasterView | None = None
        self._shown: tuple | None = None
        self._lock = threading.RLock()

    @property
    def widget(self) -> anywidget.AnyWidget:
        """The widget to put in the page: the raster view of a graph shown whole, else the sigma
        view (each made on first use, then kept)."""
        if self.whole:
            if self._raster_view is None:
                self._raster_view = RasterView(size_px=self.height)
            return self._raster_view
        if self._sigma is None:
            self._sigma = SigmaView(height=self.height)
            self._sigma.observe(self._on_click, "clicked")
        return self._sigma

    def update(self, model: GiftModel) -> Frame:
        """Show ``model`` now: its graph first if new, then its frame (nothing is sent again for
        the step and choice already shown).

        Returns
        -------
        Frame
            The frame shown.
        """
        with self._lock:
            if model is not self.model:
                self._set_model(model)
            shown = (model.step_index, self.chosen)
            if self.frame is None or shown != self._shown:
                self.frame = make_frame(model, self.view, self.gift_days, self.chosen, whole=self.whole)
                self._send()
                self._shown = shown
            return self.frame

    def _set_model(self, model: GiftModel) -> None:
        g = model.graph
        if g is not self._graph:
            self.whole = shown_whole(g)
            self.view, self.layout = drawn_graph(g, self.node_cap, layout_seed=self.layout_seed, cache=self.cache)
            if self.whole:
                self._raster = GraphRaster(g, self.layout.xy)
            self._graph = g
        self.model = model
        self._info = UserInfo(model) if self.whole else None
        if self.chosen is not None and self.chosen >= g.n_users:
            self.chosen = None
        self.frame = None

    def _send(self) -> None:
        widget = self.widget
        if self.whole:
            widget.show(self.frame.states, self._raster, self._info)
        else:
            widget.set_graph(self._graph, self.view.nodes, self.layout.xy, self.layout.key)
            widget.show(self.frame)

    def choose(self, user: int | None) -> Frame:
        """Ring the cascade of ``user`` (None: none) and show it.

        Returns
        -------
        Frame
            The frame shown.

        Raises
        ------
        RuntimeError
            If no model was shown yet.
        ValueError
            If ``user`` is not a user id of the model shown.
        """
        with self._lock:
            if self.model is None:
                raise RuntimeError("GraphViews.choose before update: no model shown yet")
            n = self.model.population.n_users
            if user is not None and not 0 <= int(user) < n:
                raise ValueError(f"user {user} is not a user (0..{n - 1})")
            self.chosen = None if user is None else int(user)
            return self.update(self.model)

    def _on_click(self, change: dict) -> None:
        user = int(change["new"])
        if self.model is None or user == (-1 if self.chosen is None else self.chosen):
            return  # the view echoing the frame's choice
        self.choose(None if user < 0 else user)
        if self.on_choose is not None:
            self.on_choose(self.chosen)


def _day_line(model: GiftModel):
    done = model.step_index
    date = str(model.calendar.dates[done - 1])[:10] if done else "before the first day"
    return Html("div", [f"{model.gift_scenario.name}: {date} (day {done} of {model.n_steps})"],
                classes="giftsim-mesa-day", style="font-size:13px;margin-bottom:4px", **{"data-day": str(done)})


def _cascade_line(frame: Frame):
    c = frame.cascade
    if frame.chosen is None:
        text = "Click a user to ring the cascade it belongs to."
    elif c is None:
        text = f"User {frame.chosen} is not aware of the feature yet."
    else:
        text = (f"User {c.user} is in the cascade of root {c.root}: {c.size:,} users, depth {c.depth}, "
                f"structural virality {c.structural_virality:.2f}.")
    return Html("div", [text], classes="giftsim-mesa-cascade", style="font-size:12px;color:#444",
                **{"data-chosen": "" if frame.chosen is None else str(frame.chosen)})


def make_graph_component(node_cap: int = DEFAULT_NODE_CAP, gift_days: float = 3.0, *, layout_seed: int = 0,
                         cache: Path | None = None, height: int = 320, legend: bool = True,
                         page: int = 0) -> tuple[Callable[[GiftModel], object], int]:
    """The explorer's graph view (:class:`GraphViews`) as a SolaraViz component.

    Each browser tab (Solara kernel) gets its own :class:`GraphViews`, made on the first render
    and kept while the tab is open: a SolaraViz Reset or a change of page sends no new widget,
    and a step sends only the new frame.

    Parameters
    ----------
    node_cap, gift_days, layout_seed, cache, height
        As :class:`GraphViews`.
    legend : bool, default True
        Show the explorer's legend (state colours and counts) beside the view.
    page : int, default 0
        SolaraViz page (tab) of the component.

    Returns
    -------
    (function, int)
        ``GiftGraph(model)``, returning a Solara element (the day line, the view in
        ``.giftsim-graph``, the legend and the ringed cascade's line), and ``page``: an item of
        ``SolaraViz(components=[...])``.

    Raises
    ------
    ValueError
        If ``node_cap`` is not in 1 .. :data:`SIGMA_CAP`.
    """
    GraphViews(node_cap)  # checks the arguments now, not in the page
    tabs = solara.reactive(None)  # the GraphViews of each browser tab: Solara keeps a value per kernel
    picked = solara.reactive(-1)  # the user clicked in each tab: re-renders the cascade line

    def views() -> GraphViews:
        v = tabs.peek()
        if v is None:
            v = GraphViews(node_cap, gift_days, layout_seed, cache, height)
            v.on_choose = lambda user: picked.set(-1 if user is None else user)
            tabs.set(v)
        return v

    def GiftGraph(model: GiftModel):
        picked.value  # noqa: B018  (subscribes: a click renders again)
        v = views()
        frame = v.update(model)
        with solara.Column(gap="4px", classes=["giftsim-mesa-graph"]) as column:
            _day_line(model)
            with solara.Row(gap="12px", style={"align-items": "flex-start"}):
                # the widget itself as a child: solara.display would format it on every render
                solara.Div(classes=["giftsim-graph"], children=[v.widget],
                           style={"flex": "1 1 auto", "min-width": "0", "max-width": f"{height}px" if v.whole else ""})
                if legend:
                    Legend(frame.counts, gift_days, None if v.whole else frame.gifts_drawn)
            if not v.whole:
                _cascade_line(frame)
            if frame.view.sampled:
                solara.Warning(frame.view.message, dense=True)
        return column

    return GiftGraph, page


def make_chart_component(chart: str, *, page: int = 0) -> tuple[Callable[[GiftModel], object], int]:
    """One of the explorer's live charts as a SolaraViz component.

    Parameters
    ----------
    chart : str
        A name of :data:`CHARTS`.
    page : int, default 0
        SolaraViz page (tab) of the component.

    Returns
    -------
    (function, int)
        ``GiftChart(model)``, returning the chart (a Vega-Lite element in
        ``.giftsim-mesa-chart``), and ``page``.

    Raises
    ------
    ValueError
        If ``chart`` is not a name of :data:`CHARTS` (the message lists them).
    """
    if chart not in CHARTS:
        raise ValueError(f"make_chart_component: unknown chart {chart!r}; allowed: {', '.join(CHARTS)}")
    draw = CHARTS[chart]

    def GiftChart(model: GiftModel):
        with solara.Column(gap="0px", classes=["giftsim-mesa-chart", f"giftsim-mesa-chart-{chart}"]) as column:
            VegaChart(draw(model).configure_legend(orient="bottom", columns=3, labelLimit=200))
        return column

    return GiftChart, page
