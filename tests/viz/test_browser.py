"""The explorer and the dashboard in a real browser: ``giftsim viz`` started as a user
would, driven by Playwright with Debian's Chromium (headless, no browser download).
Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest

from sim.model import GiftModel
from sim.scenario import load_scenario
from sim.viz.controls import apply_overrides
from sim.viz.server import VizProcess
from sim.viz.state import STATE_COLOURS

from .conftest import ARTIFACTS, ROOT, needs_chromium

pytestmark = needs_chromium

SMALL = """
name = "small_browser"
[graph]
kind = "holme_kim"
n = 300
m = 4
p = 0.3
seed = 11
[time]
start = 2024-12-19
end = 2025-01-31
[rollout]
schedule = [{ date = 2024-12-19, share = 0.3 }, { date = 2025-01-10, share = 1.0 }]
[policy]
commercial_share = 0.2
[gifts]
send_probability = 0.5
"""

BATCH = """
name = "tiny_sweep"
description = "a tiny sweep made by the browser test"
base = "small.toml"
replicates = 3
seed = 5
[sweep]
"policy.commercial_share" = [0.05, 0.2]
"policy.allocation" = [{ rule = "equal" }, { rule = "head_boost" }]
"""


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("viz")
    (d / "small.toml").write_text(SMALL)
    (d / "sweep.toml").write_text(BATCH)
    return d


@pytest.fixture(scope="module")
def explorer(work):
    s = VizProcess(work / "small.toml", "--seed", "3", cache=work / "cache", cwd=ROOT, timeout=90)
    yield s
    s.stop()


def _open(browser, url: str, ready: str):
    page = browser.new_page(viewport={"width": 1600, "height": 1400})
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("requestfailed", lambda r: failed.append(f"failed {r.url}"))
    page.goto(url)
    page.wait_for_selector(ready, timeout=60_000)
    return page, failed


def _day(page) -> int:
    return int(page.locator(".giftsim-day").get_attribute("data-day"))


def _wait_day(page, day: int) -> None:
    page.wait_for_function(f"document.querySelector('.giftsim-day')?.dataset.day === '{day}'", timeout=30_000)


def _totals(page) -> dict[str, float]:
    el = page.locator(".giftsim-totals")
    return {k: float(el.get_attribute(f"data-{k}")) for k in ("sent", "accepted", "expired", "aware", "senders", "gmv")}


def _expected(scenario, seed: int, days: int) -> dict[str, float]:
    m = GiftModel(scenario, seed=seed)
    for _ in range(days):
        m.step()
    c = m.recorder.columns
    i = days - 1
    return {"sent": c["gifts_sent"][i], "accepted": c["gifts_accepted"][i], "expired": c["gifts_expired"][i],
            "aware": c["aware_users"][i], "senders": c["senders"][i], "gmv": round(float(c["gmv_rmb"][:days].sum()), 2)}


GRAPH_READY = ".giftsim-sigma[data-frame]"  # the interactive graph view has drawn its first frame


def _colour_pixels(page) -> dict[str, int]:
    """Pixels of the graph view close to each state's colour."""
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(page.locator(".giftsim-graph").screenshot())).convert("RGB")).astype(int)
    out = {}
    for s, hexc in STATE_COLOURS.items():
        rgb = np.array([int(hexc[i:i + 2], 16) for i in (1, 3, 5)])
        out[s.name.lower()] = int((np.abs(img - rgb).sum(axis=2) < 30).sum())
    return out


def _step(page, times: int) -> None:
    start = _day(page)
    for k in range(1, times + 1):
        page.locator(".giftsim-step").click()
        _wait_day(page, start + k)


def test_explorer_loads_offline(browser, explorer):
    page, failed = _open(browser, explorer.url, GRAPH_READY)
    page.wait_for_function("document.querySelectorAll('.giftsim-charts .vega-embed canvas, "
                           ".giftsim-charts .vega-embed svg').length >= 6", timeout=60_000)
    assert _day(page) == 0 and page.locator(".giftsim-day").get_attribute("data-seed") == "3"
    assert "small_browser" in page.locator(".giftsim-day").inner_text()
    assert int(page.locator(".giftsim-count-unaware").get_attribute("data-count")) + int(
        page.locator(".giftsim-count-button").get_attribute("data-count")) == 300
    assert page.locator(".giftsim-control").count() >= 10  # generated from the schema (policy panel)
    page.screenshot(path=str(ARTIFACTS / "explorer-loaded.png"))
    assert failed == [], failed  # every asset served locally
    page.close()


def test_stepping_changes_colours_and_charts(browser, explorer):
    page, _ = _open(browser, explorer.url, GRAPH_READY)
    before = _colour_pixels(page)
    aware0 = int(page.locator(".giftsim-count-aware").get_attribute("data-count"))
    _step(page, 6)
    page.wait_for_function(f"document.querySelector('{GRAPH_READY}').dataset.frame === '7'", timeout=20_000)
    page.wait_for_timeout(500)
    after = _colour_pixels(page)
    scenario = load_scenario(Path(explorer.proc.args[4]))
    want = _expected(scenario, 3, 6)
    got = _totals(page)
    assert got == pytest.approx(want), (got, want)
    assert got["aware"] > aware0 and got["senders"] > 0
    spread = ("aware", "recipient", "sender")
    assert sum(after[k] for k in spread) > sum(before[k] for k in spread) + 50, (before, after)
    assert after["sender"] > before["sender"]
    assert page.locator(".giftsim-day").get_attribute("data-date") == "2024-12-24"
    # the chosen user's cascade is described and outlined
    page.locator(".giftsim-cascade input").last.fill(str(_a_child(scenario, 3, 6)))
    page.locator(".giftsim-cascade input").last.press("Enter")
    page.wait_for_selector(".giftsim-cascade-text", timeout=20_000)
    text = page.locator(".giftsim-cascade-text").inner_text()
    size = re.search(r"cascade of root \d+: (\d+) users, depth [1-9]", text)
    assert size, text
    page.wait_for_function(f"document.querySelector('.giftsim-sigma').dataset.ringed === '{size.group(1)}'",
                           timeout=20_000)
    page.screenshot(path=str(ARTIFACTS / "explorer-stepped.png"))
    page.close()


def _a_child(scenario, seed: int, days: int) -> int:
    m = GiftModel(scenario, seed=seed)
    for _ in range(days):
        m.step()
    return int(np.flatnonzero(m.population.parent >= 0)[0])


def test_changing_a_control_resets_with_the_new_value(browser, explorer):
    page, _ = _open(browser, explorer.url, GRAPH_READY)
    _step(page, 2)
    page.locator(".control-policy-allocation-rule .v-select__slot").click()
    page.locator(".v-menu__content .v-list-item", has_text="head_boost").click()
    _wait_day(page, 0)
    page.wait_for_selector(".giftsim-overrides", timeout=20_000)
    assert "policy.allocation = {'rule': 'head_boost'}" in page.locator(".giftsim-overrides").inner_text()
    assert page.locator(".control-policy-allocation-boost").count() == 1  # the new rule's parameters
    _step(page, 4)
    base = load_scenario(Path(explorer.proc.args[4]))
    want = _expected(apply_overrides(base, {"policy.allocation": {"rule": "head_boost"}}), 3, 4)
    assert _totals(page) == pytest.approx(want)
    page.screenshot(path=str(ARTIFACTS / "explorer-head-boost.png"))
    page.close()


def test_dashboard_loads_a_batch_made_here(browser, work):
    from sim.batch import load_results, run_batch

    run_batch(work / "sweep.toml", out=work / "batch", workers=1)
    res = load_results(work / "batch")
    s = VizProcess(work / "batch", cache=work / "cache", cwd=ROOT, timeout=90)
    try:
        page, failed = _open(browser, s.url, ".giftsim-batch")
        title = page.locator(".giftsim-batch-title")
        assert title.get_attribute("data-runs") == str(len(res.runs)) == "12"
        assert title.get_attribute("data-points") == "4" and title.get_attribute("data-ok") == "12"
        page.wait_for_function("document.querySelectorAll('.giftsim-outcomes .vega-embed canvas').length >= 11",
                               timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "dashboard-points.png"))
        for tab, cls, n in (("Curves", "giftsim-curves", 4), ("Distributions", "giftsim-distributions", 4),
                            ("Parameters", "giftsim-params-outcomes", 4)):
            page.get_by_role("tab", name=re.compile(tab)).click()
            page.wait_for_function(f"document.querySelectorAll('.{cls} .vega-embed canvas').length >= {n}",
                                   timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / f"dashboard-{tab.lower()}.png"))
        assert failed == [], failed
        page.close()
    finally:
        s.stop()


def test_dashboard_opens_a_batch_of_more_than_5000_point_days(browser, work):
    """120 points x 44 days: past Altair's 5,000-row limit, which once showed a traceback
    in place of the dashboard; the curves draw a sample of points, and say so."""
    from sim.batch import run_batch

    shares = ", ".join(f"{x:.4f}" for x in np.linspace(0.0, 0.6, 120))
    (work / "big.toml").write_text(f'name = "big"\nbase = "small.toml"\nreplicates = 1\nseed = 2\n'
                                   f'[sweep]\n"policy.commercial_share" = [{shares}]\n')
    run_batch(work / "big.toml", out=work / "big", workers=2)
    s = VizProcess(work / "big", cache=work / "cache", cwd=ROOT, timeout=90)
    try:
        page, failed = _open(browser, s.url, ".giftsim-batch")
        assert page.locator(".giftsim-batch-title").get_attribute("data-points") == "120"
        page.wait_for_function("document.querySelectorAll('.giftsim-outcomes .vega-embed canvas').length >= 1",
                               timeout=60_000)
        page.get_by_role("tab", name=re.compile("Curves")).click()
        page.wait_for_function("document.querySelectorAll('.giftsim-curves .vega-embed canvas').length >= 1",
                               timeout=60_000)
        body = page.inner_text("body")
        assert "Traceback" not in body and "MaxRowsError" not in body
        page.screenshot(path=str(ARTIFACTS / "dashboard-big-curves.png"))
        assert failed == [], failed
        page.close()
    finally:
        s.stop()
    assert "MaxRowsError" not in s.proc.stdout.read()
