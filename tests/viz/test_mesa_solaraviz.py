"""giftsim's components in Mesa's own SolaraViz page (``sim.viz.mesa_app``), served
offline and driven in Chromium: the explorer's sigma.js view draws the graph with WebGL,
Mesa's Step advances the model's day and the view's frame, hovering a user shows its
details, clicking one rings its cascade, the charts render, Mesa's plot reads the
DataCollector, Reset keeps the scenario and the widget. Without a browser: the component's
update logic (:class:`GraphViews`)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from sim.model import GiftModel
from sim.viz.layout import graph_layout
from sim.viz.mesa_components import CHARTS, GraphViews, make_chart_component, make_graph_component
from sim.viz.raster_widget import RasterView
from sim.viz.server import VizProcess
from sim.viz.sigma_view import SIGMA_CAP, SigmaView
from sim.viz.state import STATE_COLOURS, UserState, cascade_of, gift_counts, user_states
from tests.viz.conftest import ARTIFACTS, needs_chromium

ROOT = Path(__file__).resolve().parents[2]
SMALL = """
name = "small_mesa_viz"
[graph]
kind = "holme_kim"
n = 300
m = 4
p = 0.3
seed = 11
[time]
start = 2024-12-19
end = 2025-01-10
[rollout]
schedule = [{ date = 2024-12-19, share = 1.0 }]
[policy]
commercial_share = 0.2
[gifts]
send_probability = 0.5
"""
VIEW = ".giftsim-mesa-graph .giftsim-sigma"
CHART_SELECTOR = ".giftsim-mesa-chart .vega-embed canvas, .giftsim-mesa-chart .vega-embed svg"
browser_only = needs_chromium


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("mesa_viz")
    (d / "small.toml").write_text(SMALL)
    return d


@pytest.fixture(scope="module")
def app(work):
    s = VizProcess(work / "small.toml", "--seed", "3", cache=work / "cache", cwd=ROOT, timeout=90,
                   command="sim.viz.mesa_app")
    yield s
    s.stop()


def _day(page) -> int:
    return int(page.locator(".giftsim-mesa-day").get_attribute("data-day"))


def _wait_day(page, day: int) -> None:
    page.wait_for_function(f"document.querySelector('.giftsim-mesa-day')?.dataset.day === '{day}'",
                           timeout=30_000)


def _data(page, selector: str) -> dict[str, str]:
    return page.evaluate(f"({{...document.querySelector('{selector}').dataset}})")


def _wait_frame(page, frame: int) -> None:
    page.wait_for_function(f"document.querySelector('{VIEW}')?.dataset.frame === '{frame}'", timeout=30_000)


def _pixels_like(png: bytes, colour: str) -> int:
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(img - rgb).sum(axis=2) < 30).sum())


def _stepped(work, days: int) -> GiftModel:
    m = GiftModel(work / "small.toml", seed=3)  # the served model, stepped here too
    for _ in range(days):
        m.step()
    return m


def _lonely_child(m: GiftModel, cache: Path) -> int:
    """A user told by a friend whose dot lies farthest from any other's (the mouse finds it and no other)."""
    xy = graph_layout(m.graph, np.arange(m.graph.n_users), cache=cache).xy  # the page's layout, from its cache
    children = np.flatnonzero(m.population.parent >= 0)
    assert children.size, "no cascade yet: step further"
    gap = [np.sort(np.hypot(*(xy - xy[u]).T))[1] for u in children]
    return int(children[int(np.argmax(gap))])


def _hover(page, user: int) -> dict[str, str]:
    p = page.evaluate(f"document.querySelector('{VIEW}').giftsimPosition({user})")
    page.mouse.move(p["x"] + 40, p["y"] + 40)
    page.mouse.move(p["x"], p["y"], steps=4)
    page.wait_for_function(f"document.querySelector('.giftsim-hover')?.dataset.user === '{user}' && "
                           "document.querySelector('.giftsim-hover').style.display !== 'none'", timeout=10_000)
    return {**_data(page, ".giftsim-hover"), "xy": p}


@browser_only
def test_solaraviz_page_with_giftsim_components_offline(browser, app, work):
    page = browser.new_page(viewport={"width": 1600, "height": 1300})
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("requestfailed", lambda r: failed.append(f"failed {r.url}"))
    page.goto(app.url)
    page.wait_for_selector(f"{VIEW}[data-frame]", timeout=60_000)
    page.wait_for_function(f"document.querySelectorAll('{CHART_SELECTOR}').length >= 2", timeout=60_000)
    assert _day(page) == 0 and "small_mesa_viz" in page.locator(".giftsim-mesa-day").inner_text()
    view = _data(page, VIEW)
    assert (view["nodes"], view["ringed"]) == ("300", "0")
    kinds = page.evaluate(f"""[...document.querySelectorAll('{VIEW} canvas')].map(c =>
        c.getContext('webgl2') ? 'webgl2' : c.getContext('webgl') ? 'webgl' : '2d')""")
    assert kinds.count("webgl2") + kinds.count("webgl") >= 2, kinds  # sigma.js: friendships and users
    before = page.locator(".giftsim-graph").screenshot()
    assert _pixels_like(before, STATE_COLOURS[UserState.BUTTON]) > 200  # the users, drawn in their state's colour
    legend = page.locator(".giftsim-mesa-graph .giftsim-count-button").get_attribute("data-count")
    assert int(legend) == int((user_states(_stepped(work, 0)) == UserState.BUTTON).sum())

    frame = int(view["frame"])
    for day in (1, 2, 3):  # Mesa's own Step button advances giftsim's day, and the view's frame in place
        page.get_by_role("button", name="Step", exact=True).click()
        _wait_day(page, day)
        _wait_frame(page, frame + day)
    assert "2024-12-21 (day 3 of 23)" in page.locator(".giftsim-mesa-day").inner_text()
    assert page.get_by_text("Time: 3.0").count() == 1  # Mesa's clock, in its Information card
    m = _stepped(work, 3)
    after = page.locator(".giftsim-graph").screenshot()
    assert m.population.aware.sum() > 0 and _pixels_like(after, STATE_COLOURS[UserState.AWARE]) > _pixels_like(
        before, STATE_COLOURS[UserState.AWARE])
    _hover_and_click(page, m, work)
    page.screenshot(path=str(ARTIFACTS / "mesa-solaraviz-page0.png"))

    page.get_by_role("tab", name="Page 1").click()  # Mesa's make_plot_component over our DataCollector
    page.wait_for_selector(".giftsim-mesa-chart-top_merchants .vega-embed", timeout=30_000)
    page.wait_for_function("document.querySelectorAll('.vega-embed').length >= 2", timeout=30_000)
    assert page.locator(".vega-embed").count() >= 2
    page.screenshot(path=str(ARTIFACTS / "mesa-solaraviz-page1.png"))

    page.get_by_role("tab", name="Page 0").click()
    page.wait_for_selector(f"{VIEW}[data-frame]", timeout=30_000)
    shown = int(_data(page, VIEW)["frame"])
    page.get_by_role("button", name="Reset", exact=True).click()  # rebuilt from model_params: same scenario, day 0
    _wait_day(page, 0)
    _wait_frame(page, shown + 1)  # the same widget (its frame count goes on), the new model's day 0
    assert "small_mesa_viz" in page.locator(".giftsim-mesa-day").inner_text()
    assert failed == [], failed  # every asset served locally
    page.close()


def _hover_and_click(page, m: GiftModel, work) -> None:
    """Hovering a user shows its details; clicking it rings its cascade (the component handles the click)."""
    user = _lonely_child(m, work / "cache")
    c = cascade_of(m, user)
    sent, received = gift_counts(m)
    tip = _hover(page, user)
    p = tip.pop("xy")
    assert tip == {"user": str(user), "state": UserState(user_states(m)[user]).name.lower(),
                   "sent": str(sent[user]), "received": str(received[user]), "cascade": str(c.size)}
    page.locator(".giftsim-mesa-graph").screenshot(path=str(ARTIFACTS / "mesa-solaraviz-hover.png"))
    frame = int(_data(page, VIEW)["frame"])
    page.mouse.click(p["x"], p["y"])
    page.wait_for_function(f"document.querySelector('{VIEW}').dataset.chosen === '{user}'", timeout=20_000)
    _wait_frame(page, frame + 1)
    assert _data(page, VIEW)["ringed"] == str(c.size) and c.size >= 2
    page.wait_for_function(f"document.querySelector('.giftsim-mesa-cascade')?.dataset.chosen === '{user}'",
                           timeout=20_000)
    assert (f"User {user} is in the cascade of root {c.root}: {c.size:,} users"
            in page.locator(".giftsim-mesa-cascade").inner_text())
    page.locator(".giftsim-mesa-graph").screenshot(path=str(ARTIFACTS / "mesa-solaraviz-ringed.png"))


def test_graph_views_update_one_widget_in_place(work, tmp_path):
    views = GraphViews(cache=tmp_path)
    m = GiftModel(work / "small.toml", seed=3)
    first = views.update(m)
    sigma = views.widget
    assert isinstance(sigma, SigmaView) and not views.whole and sigma.frame == 1 and sigma.nodes.size == 300
    assert views.update(m) is first and sigma.frame == 1  # the same step: nothing sent again
    for _ in range(4):
        m.step()
    frame = views.update(m)
    assert frame.calendar.day == 4 and sigma.frame == 2 and views.widget is sigma
    np.testing.assert_array_equal(np.frombuffer(sigma.states, np.uint8), user_states(m))
    key = sigma.graph_key
    again = GiftModel(work / "small.toml", seed=3)  # a Reset: a new model, its graph the same
    sent: list = []
    sigma.observe(lambda change: sent.append(change["name"]), ["x", "edges"])
    views.update(again)
    assert views.widget is sigma and sigma.graph_key == key and sent == [] and sigma.frame == 3
    other = GiftModel(work / "small.toml", seed=3, **{"graph.seed": 12})  # a Reset to another graph
    views.update(other)
    assert views.widget is sigma and sigma.graph_key != key and sent == ["x", "edges"] and sigma.frame == 4


def test_a_click_rings_the_cascade_as_in_the_explorer(work, tmp_path):
    views = GraphViews(cache=tmp_path)
    chosen: list = []
    views.on_choose = chosen.append
    m = _stepped(work, 8)
    views.update(m)
    sigma = views.widget
    user = int(np.flatnonzero(m.population.parent >= 0)[0])
    c = cascade_of(m, user)
    sigma.clicked = user  # what the browser sets on a click
    assert views.chosen == user and chosen == [user] and views.frame.cascade.root == c.root
    assert np.frombuffer(sigma.ring, np.int32).size == c.size and sigma.clicked == user
    m.step()
    views.update(m)  # a step keeps the choice
    assert views.frame.chosen == user and np.frombuffer(sigma.ring, np.int32).size == cascade_of(m, user).size
    sigma.clicked = -1  # a click on the background: no cascade
    assert views.chosen is None and chosen == [user, None] and sigma.ring == b""
    with pytest.raises(ValueError, match="user 300 is not a user"):
        views.choose(300)


def test_a_graph_shown_whole_goes_to_the_raster_view(work, tmp_path, monkeypatch):
    from sim.viz import session as session_module

    monkeypatch.setattr(session_module, "RASTER_FROM", 200)  # the explorer's rule, on a small graph
    views = GraphViews(node_cap=50, cache=tmp_path)
    m = _stepped(work, 6)
    frame = views.update(m)
    raster = views.widget
    assert views.whole and isinstance(raster, RasterView) and raster.n_users == 300 and raster.users_drawn == 300
    np.testing.assert_array_equal(raster.states, user_states(m))
    assert not frame.view.sampled and sum(frame.counts.values()) == 300
    sender = int(m.ledger.column("sender")[0])
    x, y = raster.raster.xy[sender]
    tip = raster.at(x, y)  # the hover: the explorer's user details
    assert tip["user"] == sender and tip["sent"] == int(gift_counts(m)[0][sender]) and tip["sent"] >= 1
    answered = raster.answered
    m.step()
    views.update(m)
    assert views.widget is raster and raster.answered == answered + 1
    np.testing.assert_array_equal(raster.states, user_states(m))
    views.update(GiftModel(work / "small.toml", seed=3))  # a Reset: fresh details, the same widget
    assert views.widget is raster and raster.at(x, y)["sent"] == 0


def test_component_makers_follow_mesas_convention():
    graph, page = make_graph_component(page=2)
    assert callable(graph) and page == 2
    for bad in (0, SIGMA_CAP + 1, 2.5):
        with pytest.raises(ValueError, match=f"node_cap must be an integer in 1..{SIGMA_CAP:,}"):
            make_graph_component(node_cap=bad)
    for name in CHARTS:
        chart, page = make_chart_component(name)
        assert callable(chart) and page == 0
    with pytest.raises(ValueError, match="unknown chart 'gift'; allowed: gifts, adoption, gmv"):
        make_chart_component("gift")
