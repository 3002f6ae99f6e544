"""The explorer's graph picture and charts as components of Mesa's SolaraViz.

Mesa 3.5's ``SolaraViz(model, components=[...])`` takes components as ``(function, page)``
pairs, each function taking the model and returning a Solara element; SolaraViz renders
them again after every step (its Step and Play buttons). These make giftsim's:

* :func:`make_graph_component`: the social graph, users coloured by state and the last
  days' gifts drawn (the explorer's :class:`~sim.viz.graph_view.GraphPicture`, a thin
  wrapper so that another picture can replace it);
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

from collections.abc import Callable
from pathlib import Path

import solara

from ..model import GiftModel
from . import charts
from .graph_view import GraphPicture
from .layout import DEFAULT_NODE_CAP, ViewNodes, graph_layout, view_nodes
from .state import recent_gifts, user_states
from .widgets import Html, VegaChart

__all__ = ["CHARTS", "GraphFrames", "make_graph_component", "make_chart_component"]

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


class GraphFrames:
    """Pictures of a model's graph: the layout and background are made once per graph
    (a Reset's new model with a new graph gets its own), each frame draws the states and
    the recent gifts (:meth:`GraphPicture.render`).

    Parameters
    ----------
    node_cap : int
        Most users drawn; a larger graph is shown as an ego subgraph (:func:`view_nodes`).
    gift_days : float
        Gifts of the last this many days are drawn.
    layout_seed : int
    cache : Path, optional
        Layout cache folder (default the user's cache, :func:`sim.viz.layout.cache_dir`).
    """

    def __init__(self, node_cap: int = DEFAULT_NODE_CAP, gift_days: float = 3.0, layout_seed: int = 0,
                 cache: Path | None = None) -> None:
        self.node_cap, self.gift_days, self.layout_seed, self.cache = node_cap, gift_days, layout_seed, cache
        self._graph = None
        self.view: ViewNodes | None = None
        self.picture: GraphPicture | None = None

    def render(self, model: GiftModel) -> bytes:
        """The model's graph now, as lossless WebP bytes."""
        if self._graph is not model.graph:
            self.view = view_nodes(model.graph, self.node_cap)
            lay = graph_layout(model.graph, self.view.nodes, seed=self.layout_seed, cache=self.cache)
            self.picture = GraphPicture(model.graph, self.view.nodes, lay.xy)
            self._graph = model.graph
        gifts = recent_gifts(model, self.gift_days)
        return self.picture.render(user_states(model), gifts["sender"].to_numpy(), gifts["recipient"].to_numpy(),
                                   gifts["outcome"].to_numpy())


def _day_line(model: GiftModel):
    done = model.step_index
    date = str(model.calendar.dates[done - 1])[:10] if done else "before the first day"
    return Html("div", [f"{model.gift_scenario.name}: {date} (day {done} of {model.n_steps})"],
                classes="giftsim-mesa-day", style="font-size:13px;margin-bottom:4px", **{"data-day": str(done)})


def make_graph_component(node_cap: int = DEFAULT_NODE_CAP, gift_days: float = 3.0, *, layout_seed: int = 0,
                         cache: Path | None = None, width: str = "min(100%, 380px)",
                         page: int = 0) -> tuple[Callable[[GiftModel], object], int]:
    """The graph picture as a SolaraViz component.

    Parameters
    ----------
    node_cap, gift_days, layout_seed, cache
        As :class:`GraphFrames`.
    width : str, default "min(100%, 380px)"
        CSS width of the (square) picture: SolaraViz's grid cells start about 400 px high.
    page : int, default 0
        SolaraViz page (tab) of the component.

    Returns
    -------
    (function, int)
        ``GiftGraph(model)``, returning a Solara element (the day line and the picture,
        ``.giftsim-graph``), and ``page``: an item of ``SolaraViz(components=[...])``.
    """
    frames = GraphFrames(node_cap, gift_days, layout_seed, cache)

    def GiftGraph(model: GiftModel):
        with solara.Column(gap="0px", classes=["giftsim-mesa-graph"]) as column:
            _day_line(model)
            solara.Image(frames.render(model), width=width, format="webp", classes=["giftsim-graph"])
            if frames.view is not None and frames.view.sampled:
                solara.Warning(frames.view.message, dense=True)
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
