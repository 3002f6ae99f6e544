"""giftsim's components in Mesa's own SolaraViz page (``sim.viz.mesa_app``), served
offline and driven in Chromium: the graph picture and the charts render, Mesa's Step
advances the model's day, Mesa's plot reads the DataCollector, Reset keeps the scenario."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest

from sim.model import GiftModel
from sim.viz.mesa_components import CHARTS, GraphFrames, make_chart_component, make_graph_component
from sim.viz.server import VizProcess
from sim.viz.state import STATE_COLOURS, UserState
from tests.viz.test_browser import ARGS, ARTIFACTS, CHROMIUM

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
CHART_SELECTOR = ".giftsim-mesa-chart .vega-embed canvas, .giftsim-mesa-chart .vega-embed svg"
browser_only = pytest.mark.skipif(not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)),
                                  reason=f"no Chromium at {CHROMIUM}")


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


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _day(page) -> int:
    return int(page.locator(".giftsim-mesa-day").get_attribute("data-day"))


def _wait_day(page, day: int) -> None:
    page.wait_for_function(f"document.querySelector('.giftsim-mesa-day')?.dataset.day === '{day}'",
                           timeout=30_000)


def _pixels_like(png: bytes, colour: str) -> int:
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(img - rgb).sum(axis=2) < 30).sum())


@browser_only
def test_solaraviz_page_with_giftsim_components_offline(browser, app, work):
    page = browser.new_page(viewport={"width": 1600, "height": 1300})
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("requestfailed", lambda r: failed.append(f"failed {r.url}"))
    page.goto(app.url)
    page.wait_for_selector(".giftsim-graph", timeout=60_000)
    page.wait_for_function(f"document.querySelectorAll('{CHART_SELECTOR}').length >= 2", timeout=60_000)
    assert _day(page) == 0 and "small_mesa_viz" in page.locator(".giftsim-mesa-day").inner_text()
    before = page.locator(".giftsim-graph").screenshot()
    assert _pixels_like(before, STATE_COLOURS[UserState.BUTTON]) > 500  # the users, drawn in their state's colour

    for day in (1, 2, 3):  # Mesa's own Step button advances giftsim's day
        page.get_by_role("button", name="Step").click()
        _wait_day(page, day)
    assert "2024-12-21 (day 3 of 23)" in page.locator(".giftsim-mesa-day").inner_text()
    assert page.get_by_text("Time: 3.0").count() == 1  # Mesa's clock, in its Information card
    after = page.locator(".giftsim-graph").screenshot()
    m = GiftModel(work / "small.toml", seed=3)  # the served model, stepped here too
    for _ in range(3):
        m.step()
    assert m.population.aware.sum() > 0 and _pixels_like(after, STATE_COLOURS[UserState.AWARE]) > _pixels_like(
        before, STATE_COLOURS[UserState.AWARE])
    page.screenshot(path=str(ARTIFACTS / "mesa-solaraviz-page0.png"))

    page.get_by_role("tab", name="Page 1").click()  # Mesa's make_plot_component over our DataCollector
    page.wait_for_selector(".giftsim-mesa-chart-top_merchants .vega-embed", timeout=30_000)
    page.wait_for_function("document.querySelectorAll('.vega-embed').length >= 2", timeout=30_000)
    assert page.locator(".vega-embed").count() >= 2
    page.screenshot(path=str(ARTIFACTS / "mesa-solaraviz-page1.png"))

    page.get_by_role("tab", name="Page 0").click()
    page.wait_for_selector(".giftsim-mesa-day", timeout=30_000)
    page.get_by_role("button", name="Reset").click()  # rebuilt from model_params: same scenario, day 0
    _wait_day(page, 0)
    assert "small_mesa_viz" in page.locator(".giftsim-mesa-day").inner_text()
    assert failed == [], failed  # every asset served locally
    page.close()


def test_graph_frames_reuse_the_layout_per_graph(work, tmp_path):
    frames = GraphFrames(cache=tmp_path)
    m = GiftModel(work / "small.toml", seed=3)
    first = frames.render(m)
    picture = frames.picture
    m.step()
    assert frames.render(m) != first and frames.picture is picture  # same graph: same picture, new frame
    other = GiftModel(work / "small.toml", seed=3)
    frames.render(other)
    assert frames.picture is not picture and frames.view.nodes.size == 300


def test_component_makers_follow_mesas_convention():
    graph, page = make_graph_component(page=2)
    assert callable(graph) and page == 2
    for name in CHARTS:
        chart, page = make_chart_component(name)
        assert callable(chart) and page == 0
    with pytest.raises(ValueError, match="unknown chart 'gift'; allowed: gifts, adoption, gmv"):
        make_chart_component("gift")
