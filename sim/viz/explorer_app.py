"""The live explorer page: the social graph spreading, run controls, schema-generated
parameter controls and live charts, over one :class:`ExplorerSession` per browser tab.

Start it with ``giftsim viz SCENARIO`` (which calls :func:`configure`, then serves
``sim.viz.explorer_app:Page``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from itertools import groupby
from types import SimpleNamespace
from typing import Any

import solara
import solara.lab

from ..scenario import load_scenario
from . import charts
from .actions import ExplorerActions
from .controls import SECTIONS, control_specs
from .layout import DEFAULT_NODE_CAP
from .raster_widget import RasterView
from .session import ExplorerSession, Frame
from .sigma_view import SigmaView
from .widgets import Control, Html, Legend, VegaChart

__all__ = ["ExplorerConfig", "configure", "Explorer", "Page"]


@dataclass(frozen=True)
class ExplorerConfig:
    """What the explorer opens.

    Attributes
    ----------
    scenario : str
        Path of the scenario file.
    seed : int, default 0
    node_cap : int
        Most users drawn one by one; a larger graph is shown as an ego subgraph, or whole by
        the raster view from :data:`~sim.viz.raster_view.RASTER_FROM` users.
    gift_days : float, default 3
        Gifts of the last this many days are drawn as arrows.
    """

    scenario: str
    seed: int = 0
    node_cap: int = DEFAULT_NODE_CAP
    gift_days: float = 3.0


_config: ExplorerConfig | None = None


def configure(config: ExplorerConfig) -> None:
    """Set what the page opens (called by ``giftsim viz`` before serving)."""
    global _config
    _config = config


def _current_config() -> ExplorerConfig:
    if _config is not None:
        return _config
    path = os.environ.get("GIFTSIM_VIZ_SCENARIO")
    if not path:
        raise RuntimeError("no scenario: start the explorer with `giftsim viz SCENARIO`")
    return ExplorerConfig(path, int(os.environ.get("GIFTSIM_VIZ_SEED", "0")))


def _draw(graph: SigmaView, session: ExplorerSession, frame: Frame) -> None:
    """Show ``frame`` in the interactive view (sending the graph first if its layout changed);
    nothing for a graph shown whole by the raster view."""
    if session.raster is None:
        graph.set_graph(session.model.graph, session.view.nodes, session.layout.xy, session.layout.key)
        graph.show(frame)


def _new_graph_view(session: ExplorerSession, frame: Frame) -> SigmaView:
    graph = SigmaView(height=720)
    _draw(graph, session, frame)
    return graph


@solara.component
def GraphPanel(frame: Frame, graph: SigmaView):
    """The interactive view (updated in place by the callbacks, never re-created per frame)."""
    # the widget itself as a child: solara.display would format it (its buffers' repr) on every render
    solara.Div(classes=["giftsim-graph"], style={"width": "100%"}, children=[graph])
    if frame.view.sampled:
        solara.Warning(frame.view.message, dense=True, classes=["giftsim-sampled"])


def _show_raster(view: RasterView, session: ExplorerSession, frame: Frame) -> None:
    """Draw ``frame``'s states in the whole-graph view, in place (nothing for a graph not shown
    whole, :attr:`ExplorerSession.raster`)."""
    if session.raster is not None and frame.states.size == session.raster.n_users:
        view.show(frame.states, session.raster, session.user_details)


@solara.component
def RasterPanel(view: RasterView, n_users: int):
    """The whole graph (:class:`~sim.viz.raster_widget.RasterView`), every user."""
    # the widget itself as a child: solara.display would format it on every render
    solara.Div(classes=["giftsim-graph", "giftsim-raster-panel"], style={"width": "100%"}, children=[view])
    Html("div", [f"All {n_users:,} users drawn. Scroll to zoom, drag to move, double-click to see the whole "
                 "graph again; rest the pointer on a user for its details."],
         style="font-size:12px;color:#555;margin-top:4px")


@solara.component
def CascadePanel(frame: Frame, session: ExplorerSession, refresh):
    def pick(value: Any) -> None:
        try:
            session.choose(None if value in (None, "") else int(value))
        except (ValueError, TypeError):
            return
        refresh()

    with solara.Card("Cascade", margin=0, classes=["giftsim-cascade"]):
        options = [f"{int(r.root)} (size {int(r.size)})" for r in frame.cascades.itertuples()]
        solara.Select("largest cascades (root)", values=options, value=None, dense=True,
                      on_value=lambda v: pick(v.split(" ")[0] if v else None))
        solara.InputInt("user id", value=frame.chosen, optional=True, dense=True, on_value=pick)
        c = frame.cascade
        whole = session.raster is not None  # the whole-graph view draws no cascade: the panel describes it
        if frame.chosen is None:
            solara.Text("Choose a user here to read the cascade they belong to (the whole-graph view does not "
                        "draw cascades; rest the pointer on a user for its cascade's size)." if whole else
                        "Click a user in the graph, or choose one here, to ring the cascade they belong to.")
        elif c is None:
            solara.Text(f"User {frame.chosen} is not aware of the feature yet.")
        else:
            drawn = "" if whole else " Members are ringed, who-told-whom links drawn in black."
            Html("div", [f"User {c.user} is in the cascade of root {c.root}: {c.size:,} users, depth "
                         f"{c.depth}, structural virality {c.structural_virality:.2f}.{drawn}"],
                 classes="giftsim-cascade-text")


@solara.component
def Charts(frame: Frame, session: ExplorerSession):
    m = session.model
    s = frame.series
    with solara.Row(style={"flex-wrap": "wrap", "gap": "8px"}, classes=["giftsim-charts"]):
        for chart in (charts.gifts_chart(m, s), charts.adoption_chart(m, s), charts.gmv_chart(m, s),
                      charts.merchants_chart(m, s), charts.top_merchants_chart(frame.merchants),
                      charts.lorenz_chart(frame.merchants)):
            with solara.Card(margin=0, style={"padding": "4px"}):
                VegaChart(chart.configure_legend(orient="bottom", columns=3, labelLimit=200))


def _totals(frame: Frame) -> dict[str, str]:
    s = frame.series
    last = s.iloc[-1] if len(s) else None

    def v(col: str) -> int:
        return int(last[col]) if last is not None else 0

    return {
        "sent": str(v("gifts_sent")), "accepted": str(v("gifts_accepted")),
        "expired": str(v("gifts_expired")), "aware": str(v("aware_users")),
        "senders": str(v("senders")), "gmv": f"{float(s['gmv_rmb'].sum()) if len(s) else 0.0:.2f}",
        "merchants": str(v("active_merchants")),
    }


@solara.component
def StatusBar(frame: Frame, session: ExplorerSession):
    cal = frame.calendar
    t = _totals(frame)
    with solara.Card(margin=0, classes=["giftsim-status"]):
        Html("div", [f"{session.scenario.name} · seed {session.seed} · " + cal.text()],
             classes="giftsim-day", style="font-size:18px;font-weight:500",
             **{"data-day": str(cal.day), "data-seed": str(session.seed), "data-date": cal.date,
                "data-occasion": cal.occasion})
        Html("div", [f"Last day: {t['sent']} gifts sent, {t['accepted']} accepted, {t['expired']} expired · "
                     f"{t['aware']} aware, {t['senders']} senders so far · GMV {float(t['gmv']):,.0f} RMB · "
                     f"{t['merchants']} active merchants"],
             classes="giftsim-totals", **{f"data-{k}": v for k, v in t.items()})
        Html("div", [f"step {frame.step_seconds * 1000:.0f} ms · frame {frame.render_seconds * 1000:.0f} ms · "
                     f"layout {'cached' if session.layout_cached else 'computed'} "
                     f"({session.layout_seconds:.1f} s)"],
             classes="giftsim-timing", style="font-size:11px;color:#666",
             **{"data-step-ms": f"{frame.step_seconds * 1000:.1f}",
                "data-frame-ms": f"{frame.render_seconds * 1000:.1f}"})


@solara.component
def ParameterControls(session: ExplorerSession, on_change, on_restore, error: str | None,
                      state: str = ""):
    """``state`` names the scenario shown (overrides and seed), so a change re-renders."""
    specs = control_specs(session.scenario, rollout_speed=session.rollout_speed)
    if error:
        solara.Error(error, dense=True, classes=["giftsim-error"])
    if session.overrides:
        changed = ", ".join(f"{k} = {v}" for k, v in session.overrides.items())
        Html("div", [f"Changed: {changed}"], classes="giftsim-overrides",
             style="font-size:12px;margin-bottom:4px")
        solara.Button("Back to the scenario file", on_click=on_restore, text=True, color="primary")
    for section in SECTIONS:
        group = [s for s in specs
                 if s.key.split(".")[0] == section or (section == "policy" and s.key.startswith("rollout."))]
        with solara.Details(section, expand=section == "policy"):
            for sub, items in groupby(group, key=lambda s: s.section):
                if sub != section:
                    Html("div", [sub], style="font-weight:500;margin-top:6px")
                for spec in items:
                    Control(spec, on_change)


def _callbacks(session: ExplorerSession, graph: SigmaView, frame, playing, days_per_tick, interval_ms, error,
               actions: ExplorerActions) -> SimpleNamespace:
    """The page's callbacks, as closures over its reactive variables (``frame``, ``playing``,
    ``days_per_tick``, ``interval_ms``, ``error``) and the graph view: closures with equal cells
    compare equal between renders, so the sidebar is not re-sent when nothing changed."""

    def refresh() -> None:
        f = session.frame()
        _draw(graph, session, f)  # the graph first: its few arrays reach the browser before the page's update
        frame.value = f

    def on_click(change: dict) -> None:
        user = int(change["new"])
        if user == (-1 if session.chosen is None else session.chosen):
            return  # the view echoing the panel's choice
        session.choose(None if user < 0 else user)
        refresh()

    def play_loop() -> None:
        while playing.value and session.running:
            start = time.perf_counter()
            session.step(days_per_tick.value)
            refresh()
            rest = interval_ms.value / 1000 - (time.perf_counter() - start)
            if rest > 0:
                time.sleep(rest)
        playing.value = False

    def do_step() -> None:
        session.step(days_per_tick.value)
        refresh()

    def do_reset() -> None:
        playing.value = False
        session.reset()
        refresh()

    def on_change(key: str, value: Any) -> None:
        playing.value = False
        error.value = actions.set_value(key, value)
        refresh()

    def on_restore() -> None:
        playing.value = False
        error.value = actions.restore()
        refresh()

    def on_seed(value: int | None) -> None:
        before = session.seed
        error.value = actions.set_seed(value)
        if session.seed != before:
            playing.value = False
            refresh()

    return SimpleNamespace(refresh=refresh, on_click=on_click, play_loop=play_loop, do_step=do_step, do_reset=do_reset,
                           on_change=on_change, on_restore=on_restore, on_seed=on_seed)


@solara.component
def Explorer(cfg: ExplorerConfig, overrides: dict[str, Any] | None = None, on_back=None, title: str = ""):
    """The explorer of one scenario in the current page: the sidebar holds the run controls
    (reset, play/pause, step, days per step, pause between steps, seed) and the
    schema-generated parameters; the main column the status bar, the graph, its legend, the
    cascade panel and the charts.

    Parameters
    ----------
    cfg : ExplorerConfig
        The scenario file, seed, node cap and gift days (read once, when the component mounts).
    overrides : dict of str to value, optional
        Explorer overrides (:func:`sim.viz.controls.set_override`'s form) the session starts
        from, e.g. a searched policy; shown as "Changed" and undone by "Back to the scenario file".
    on_back : callable, optional
        Adds a "Back" button to the app bar that calls it (the search dashboard's way back).
    title : str
        Appended to the app bar's title (e.g. which policy is open).

    Raises
    ------
    sim.scenario.ScenarioError
        If the scenario file or the overrides are invalid.
    """
    session = solara.use_memo(
        lambda: ExplorerSession(load_scenario(cfg.scenario), seed=cfg.seed, node_cap=cfg.node_cap,
                                gift_days=cfg.gift_days, overrides=dict(overrides or {})), [])
    first = solara.use_memo(session.frame, [])
    graph = solara.use_memo(lambda: _new_graph_view(session, first), [])
    raster = solara.use_memo(RasterView, [])  # the whole-graph view, created once, drawn by _show_raster
    frame = solara.use_reactive(first)
    playing = solara.use_reactive(False)
    days_per_tick = solara.use_reactive(1)
    interval_ms = solara.use_reactive(400)
    error = solara.use_reactive(None)
    actions = solara.use_memo(lambda: ExplorerActions(session), [])
    cb = _callbacks(session, graph, frame, playing, days_per_tick, interval_ms, error, actions)
    solara.lab.use_task(cb.play_loop, dependencies=[playing.value], prefer_threaded=True)
    solara.use_effect(lambda: _show_raster(raster, session, frame.value), [frame.value])
    solara.use_effect(lambda: raster.close, [])  # closed when the explorer goes
    solara.use_effect(lambda: _listen(graph, cb.on_click), [])

    solara.Title(f"giftsim · {session.scenario.name}")
    with solara.AppBar():
        solara.AppBarTitle(f"giftsim explorer · {session.base.name}{title}")
        if on_back is not None:
            solara.Button("Back", on_click=lambda: (playing.set(False), on_back()), text=True,
                          classes=["giftsim-back"])
    with solara.Sidebar():
        _run_card(session, cb, playing, days_per_tick, interval_ms)
        with solara.Card("Parameters", margin=0, classes=["giftsim-params"]):
            ParameterControls(session, cb.on_change, cb.on_restore, error.value,
                              state=f"{session.overrides!r} {session.seed}")

    f = frame.value
    with solara.Column(gap="8px"):
        StatusBar(f, session)
        with solara.Columns([3, 1]):
            if session.raster is not None:
                RasterPanel(raster, session.model.population.n_users)
            else:
                GraphPanel(f, graph)
            with solara.Column():
                Legend(f.counts, session.gift_days, f.gifts_drawn)
                CascadePanel(f, session, cb.refresh)
        Charts(f, session)


def _listen(graph: SigmaView, on_click):
    """Call ``on_click`` on clicks in the view while the explorer is shown; close the view after."""
    graph.observe(on_click, "clicked")

    def cleanup() -> None:
        graph.unobserve(on_click, "clicked")
        graph.close()

    return cleanup


@solara.component
def Page():
    """The explorer page of one browser tab: :func:`Explorer` of the scenario set by
    :func:`configure` (or ``GIFTSIM_VIZ_SCENARIO``), in a new :class:`ExplorerSession`.

    Raises
    ------
    RuntimeError
        If no scenario was configured.
    """
    Explorer(_current_config())


def _run_card(session: ExplorerSession, cb: SimpleNamespace, playing, days_per_tick, interval_ms) -> None:
    """The sidebar's Run card (reset, play/pause, step, speed, seed), inside the current render."""
    with solara.Card("Run", margin=0, classes=["giftsim-run"]):
        with solara.Row():
            solara.Button("Reset", on_click=cb.do_reset, color="primary", outlined=True,
                          classes=["giftsim-reset"])
            solara.Button("Pause" if playing.value else "Play", color="primary",
                          on_click=lambda: playing.set(not playing.value),
                          disabled=not session.running, classes=["giftsim-play"])
            solara.Button("Step", on_click=cb.do_step, color="primary",
                          disabled=playing.value or not session.running, classes=["giftsim-step"])
        solara.SliderInt(f"days per step: {days_per_tick.value}", value=days_per_tick, min=1, max=14)
        solara.SliderInt(f"pause between steps: {interval_ms.value} ms", value=interval_ms,
                         min=0, max=2000, step=50)
        solara.InputInt("seed", value=session.seed, on_value=cb.on_seed, classes=["giftsim-seed"])
