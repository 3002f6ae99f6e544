"""The search dashboard in a real browser: ``giftsim viz SEARCH_FOLDER`` started as a user
would, driven by Playwright with Debian's Chromium (as tests/viz/test_browser.py). The Pareto
view opens a finished search, a policy chosen from the list shows its levers, and "Open in
explorer" runs that policy in the live explorer. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import io

import numpy as np
import pytest

from sim.scenario import load_scenario
from sim.search.folder import read_search
from sim.viz.controls import apply_overrides
from sim.viz.search_charts import CHOSEN_COLOUR, PARETO_COLOUR, explorer_overrides
from sim.viz.server import VizProcess

from ..search.search_folder import example_search
from .test_browser import (
    ARTIFACTS,
    ROOT,
    _expected,
    _open,
    _totals,
    _wait_day,
    pytestmark,  # noqa: F401  (skipped without Chromium)
)


def _pixels(page, selector: str, colour: str) -> int:
    """Pixels of ``selector``'s screenshot within a small distance of ``colour``."""
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(page.locator(selector).screenshot())).convert("RGB")).astype(int)
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(img - rgb).sum(axis=2) < 40).sum())


def _wait_pixels(page, selector: str, colour: str, least: int, timeout_ms: int = 20_000) -> int:
    """Poll the screenshot until ``least`` pixels have ``colour`` (charts redraw asynchronously)."""
    n = 0
    for _ in range(timeout_ms // 250):
        n = _pixels(page, selector, colour)
        if n >= least:
            break
        page.wait_for_timeout(250)
    return n


def _click_rightmost(page, selector: str, colour: str) -> None:
    """Click the centre of the rightmost blob of ``colour`` in ``selector`` (a chart's point)."""
    from PIL import Image

    box = page.locator(selector).bounding_box()
    img = np.asarray(Image.open(io.BytesIO(page.locator(selector).screenshot())).convert("RGB")).astype(int)
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    ys, xs = np.nonzero(np.abs(img - rgb).sum(axis=2) < 40)
    near = xs >= xs.max() - 8
    page.mouse.click(box["x"] + float(xs[near].mean()), box["y"] + float(ys[near].mean()))


def _choose(page, label_start: str) -> None:
    page.locator(".giftsim-choose .v-select__slot").click()
    page.locator(".v-menu__content .v-list-item:visible", has_text=label_start).first.click()


def test_search_dashboard_opens_a_policy_in_the_explorer(browser, tmp_path):
    folder = example_search(tmp_path)
    search = read_search(folder)
    s = VizProcess(folder, "--seed", "3", cache=tmp_path / "cache", cwd=ROOT, timeout=90)
    try:
        page, failed = _open(browser, s.url, ".giftsim-search-title")
        title = page.locator(".giftsim-search-title")
        assert (title.get_attribute("data-trials"), title.get_attribute("data-pareto")) == ("12", "8")
        page.wait_for_function("document.querySelectorAll('.giftsim-pareto .vega-embed canvas').length >= 1",
                               timeout=60_000)
        assert _wait_pixels(page, ".giftsim-pareto", PARETO_COLOUR, 200) >= 200  # the Pareto points are drawn
        assert page.locator(".giftsim-policy-trial").get_attribute("data-trial") == "8"  # best GMV first
        page.screenshot(path=str(ARTIFACTS / "search-pareto.png"))

        _choose(page, "trial 3:")
        page.wait_for_function("document.querySelector('.giftsim-policy-trial')?.dataset.trial === '3'",
                               timeout=30_000)
        levers = {el.get_attribute("data-key"): el.get_attribute("data-value")
                  for el in page.locator(".giftsim-lever").all()}
        assert levers == {"policy.commercial_share": "0.06", "policy.allocation.rule": "head_boost",
                          "policy.push.enabled": "false", "policy.push.reach": "-"}
        ringed = _wait_pixels(page, ".giftsim-pareto", CHOSEN_COLOUR, 50)
        page.screenshot(path=str(ARTIFACTS / "search-chosen.png"))
        assert ringed >= 50  # the chosen policy is ringed

        # the y selector redraws the front against another objective
        before = page.locator(".giftsim-pareto").screenshot()
        page.locator(".giftsim-y .v-select__slot").click()
        page.locator(".v-menu__content .v-list-item:visible", has_text="muted_share").first.click()
        page.wait_for_function("document.querySelector('.giftsim-y')?.innerText.includes('muted_share')",
                               timeout=30_000)
        for _ in range(80):
            page.wait_for_timeout(250)
            if (page.locator(".giftsim-pareto").screenshot() != before
                    and _pixels(page, ".giftsim-pareto", CHOSEN_COLOUR) >= 50):
                break
        assert page.locator(".giftsim-pareto").screenshot() != before
        page.screenshot(path=str(ARTIFACTS / "search-muted.png"))
        # clicking a point chooses it: the rightmost red point is trial 8 (the highest GMV)
        _click_rightmost(page, ".giftsim-pareto", PARETO_COLOUR)
        page.wait_for_function("document.querySelector('.giftsim-policy-trial')?.dataset.trial === '8'",
                               timeout=30_000)
        _choose(page, "trial 3:")
        page.wait_for_function("document.querySelector('.giftsim-policy-trial')?.dataset.trial === '3'",
                               timeout=30_000)
        page.locator(".giftsim-open").click()
        page.wait_for_selector(".giftsim-sigma[data-frame]", timeout=60_000)  # the explorer's graph view
        assert _wait_day_text(page) == 0
        assert "base scenario search_base: 300 users; layout computed" in s.log  # at start-up, so
        assert "layout cached" in page.locator(".giftsim-timing").inner_text()  # opening reads the cache
        assert "policy.commercial_share = 0.06" in page.locator(".giftsim-overrides").inner_text()
        assert "commercial share: 0.06" in page.locator(".control-policy-commercial_share").inner_text()
        assert page.locator(".control-policy-allocation-boost").count() == 1  # head_boost's parameters
        for k in (1, 2, 3):
            page.locator(".giftsim-step").click()
            _wait_day(page, k)
        scenario = apply_overrides(load_scenario(search.base), explorer_overrides(search.overrides(3)))
        assert scenario.policy.commercial_share == 0.06
        assert _totals(page) == pytest.approx(_expected(scenario, 3, 3))
        page.screenshot(path=str(ARTIFACTS / "search-explorer.png"))

        page.locator(".giftsim-back").click()
        page.wait_for_selector(".giftsim-search-title", timeout=30_000)
        assert failed == [], failed
        page.close()
    finally:
        s.stop()


def _wait_day_text(page) -> int:
    return int(page.locator(".giftsim-day").get_attribute("data-day"))
