"""The whole-graph view in a real browser: ``giftsim viz`` on a generated 100,000-user graph
(tests/viz/raster_100k.toml, drawn as its ring: tests/viz/ring_layout.py), driven by
Playwright with Debian's Chromium. Every user is drawn; the wheel zooms in about the cursor;
resting the pointer on a user shows its details, checked against the model run directly."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from sim.model import GiftModel
from sim.scenario import load_scenario
from sim.viz.server import VizProcess
from sim.viz.state import STATE_COLOURS, UserState, user_states

from .conftest import ARTIFACTS, ROOT, needs_chromium
from .raster_page import isolated_sender, screen, view, zoom_about
from .ring_layout import cache_ring_layout

SCENARIO = Path(__file__).resolve().parent / "raster_100k.toml"
SEED = 1
DAYS = 4

pytestmark = [needs_chromium, pytest.mark.slow]


@pytest.fixture(scope="module")
def model_and_xy(tmp_path_factory):
    cache = tmp_path_factory.mktemp("raster-cache")
    m = GiftModel(load_scenario(SCENARIO), seed=SEED)
    xy = cache_ring_layout(m.graph, cache)
    for _ in range(DAYS):
        m.step()
    return m, xy, cache


@pytest.fixture(scope="module")
def server(model_and_xy):
    s = VizProcess(SCENARIO, "--seed", str(SEED), cache=model_and_xy[2], cwd=ROOT, timeout=240)
    yield s
    s.stop()


def _colour_pixels(page) -> dict[str, int]:
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(page.locator(".giftsim-raster").screenshot())).convert("RGB")).astype(int)
    return {s.name.lower(): int((np.abs(img - [int(STATE_COLOURS[s][i:i + 2], 16) for i in (1, 3, 5)]).sum(axis=2)
                                 < 6).sum()) for s in UserState}


def test_every_user_drawn_zoom_and_hover(browser, server, model_and_xy):
    m, xy, _ = model_and_xy
    page = browser.new_page(viewport={"width": 1600, "height": 1400})
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("requestfailed", lambda r: failed.append(f"failed {r.url}"))
    page.goto(server.url)
    page.wait_for_selector('.giftsim-raster[data-users-drawn="100000"][data-shown]', timeout=120_000)
    assert page.locator(".giftsim-sampled").count() == 0  # no ego subgraph
    for k in range(1, DAYS + 1):
        page.locator(".giftsim-step").click()
        page.wait_for_function(f"document.querySelector('.giftsim-day')?.dataset.day === '{k}'", timeout=60_000)
    sent = m.ledger.column("sender")
    page.wait_for_function("document.querySelector('.giftsim-raster img').complete", timeout=30_000)
    page.wait_for_timeout(1500)  # the last frame's picture
    colours = _colour_pixels(page)
    assert all(colours[s] > 0 for s in ("button", "aware", "recipient", "sender")), colours
    counts = {s.name.lower(): int(page.locator(f".giftsim-count-{s.name.lower()}").get_attribute("data-count"))
              for s in UserState}
    assert counts == {s.name.lower(): int((user_states(m) == s).sum()) for s in UserState}
    page.screenshot(path=str(ARTIFACTS / "raster-whole.png"))

    # zoom in twice about a sender: the window narrows, fewer users are in it, the picture changes
    user = isolated_sender(m, xy)
    whole = view(page)
    before = page.locator(".giftsim-raster").screenshot()
    zoomed = zoom_about(page, *xy[user], times=2)
    width = zoomed["vp"][1] - zoomed["vp"][0]
    assert width < (whole["vp"][1] - whole["vp"][0]) / 4, (whole["vp"], zoomed["vp"])
    assert 0 < zoomed["drawn"] < 100000
    x0, x1, y0, y1 = zoomed["vp"]
    inside = int(((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)).sum())
    assert abs(zoomed["drawn"] - inside) <= 2, (zoomed["drawn"], inside)  # users on the window's edge
    assert page.locator(".giftsim-raster").screenshot() != before
    page.screenshot(path=str(ARTIFACTS / "raster-zoomed.png"))

    # rest the pointer on the sender: the tooltip names it, its state and its gifts
    sx, sy = screen(zoomed, *xy[user])
    page.mouse.move(sx + 3, sy + 3)
    page.mouse.move(sx, sy)
    tip = page.locator(f'.giftsim-hover[data-user="{user}"]')
    tip.wait_for(state="visible", timeout=30_000)
    text = tip.inner_text()
    assert f"user {user}" in text and "state: sender" in text, text
    assert f"gifts sent: {int((sent == user).sum())}, received: " in text and "cascade: " in text, text
    page.screenshot(path=str(ARTIFACTS / "raster-hover.png"))
    page.mouse.move(5, 5)  # off the view (the app bar): the tooltip goes
    page.wait_for_selector(".giftsim-hover", state="hidden", timeout=30_000)

    # drag 200 pixels towards the layout's centre: the window moves 200 pixels' worth the other way
    dx = 200 if (x0 + x1) / 2 > 0.5 else -200
    start = screen(zoomed, (x0 + x1) / 2, (y0 + y1) / 2)
    page.mouse.move(*start)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(start[0] + dx * k / 10, start[1])
    page.mouse.up()
    page.wait_for_function("Math.abs(JSON.parse(document.querySelector('.giftsim-raster').dataset.viewport)[0] - "
                           f"{x0}) > {width / 10}", timeout=30_000)
    page.wait_for_timeout(500)
    panned = view(page)["vp"]
    assert panned[0] - x0 == pytest.approx(-dx / zoomed["width"] * width, rel=0.05)
    assert panned[1] - panned[0] == pytest.approx(width) and panned[2:] == pytest.approx([y0, y1])

    # double-click: the whole graph again
    page.mouse.dblclick(*screen(zoomed, (x0 + x1) / 2, (y0 + y1) / 2))
    page.wait_for_selector('.giftsim-raster[data-users-drawn="100000"]', timeout=60_000)
    assert failed == [], failed  # everything served locally
    page.close()
