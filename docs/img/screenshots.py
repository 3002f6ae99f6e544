"""Remake the README's screenshots of the explorer and the dashboard.

Run from the repository root, with the project's virtual environment (``python3 run.py``
builds it) and its test extra (Playwright for Python), and Debian's Chromium at
``/usr/bin/chromium`` (``apt-get install chromium``; never ``playwright install``)::

    .venv/bin/pip install -e .[test]          # once, if Playwright is missing
    .venv/bin/python docs/img/screenshots.py  # about a minute (35 s more with no cached layout)

It starts ``giftsim viz scenarios/wechat_gift_launch.toml --seed 0`` on a free port, drives
it headless the way ``tests/viz/test_browser.py`` does, and writes, in ``docs/img/``:

* ``explorer.png``: the whole explorer on day 45 (equal allocation, the scenario file);
* ``explorer-head-boost.png``: the merchant charts (top merchants by GMV with HHI and
  top-10 share, Lorenz curve) on day 45 under equal allocation, then again on day 45 after
  switching the allocation rule to ``head_boost`` in the sidebar, one labelled row each
  (composed with Pillow);
* ``dashboard.png``: the dashboard of the ``launch_policies`` batch on its Curves tab; the
  batch is run afresh into a temporary folder (about 20 s; ``--batch DIR`` uses a finished
  one, ``--no-dashboard`` skips it).

The explorer's totals on day 45 are checked against the model run directly, and the HHI and
top-10 share the charts should show are printed, to compare with the pictures. The graph
layout comes from the default layout cache (``GIFTSIM_CACHE`` or ``~/.cache/giftsim``);
``--fresh-cache`` uses an empty temporary one instead (the first layout of the Facebook
graph takes about 35 s). Every server started is stopped before the script ends.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from sim.viz.server import VizProcess

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "wechat_gift_launch.toml"
BATCH = ROOT / "scenarios" / "launch_policies.toml"
CHROMIUM = os.environ.get("GIFTSIM_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
HEAD_BOOST = {"policy.allocation": {"rule": "head_boost"}}
ROW_LABELS = ("allocation rule = equal (the WeChat scenario), day {day}",
              "allocation rule = head_boost (chosen in the explorer), day {day}")


def _day(page) -> int:
    return int(page.locator(".giftsim-day").get_attribute("data-day"))


def _wait_day(page, day: int) -> None:
    page.wait_for_function(f"document.querySelector('.giftsim-day')?.dataset.day === '{day}'", timeout=60_000)


def _step_to(page, day: int) -> None:
    for d in range(_day(page) + 1, day + 1):
        page.locator(".giftsim-step").click()
        _wait_day(page, d)


def _wait_charts(page, n: int = 6) -> None:
    page.wait_for_function("document.querySelectorAll('.giftsim-charts .vega-embed canvas, "
                           f".giftsim-charts .vega-embed svg').length >= {n}", timeout=60_000)


def _settled(shoot: Callable[[], bytes], page, tries: int = 40) -> bytes:
    """``shoot()`` once two pictures in a row, 400 ms apart, are identical (the charts
    redraw a moment after the day changes)."""
    last = shoot()
    for _ in range(tries):
        page.wait_for_timeout(400)
        now = shoot()
        if now == last:
            return now
        last = now
    return last


def _save(picture, path: Path) -> None:
    """Save a Pillow image or PNG bytes as a 256-colour PNG (a third of the size, same look)."""
    from PIL import Image

    img = picture if isinstance(picture, Image.Image) else Image.open(io.BytesIO(picture))
    img = img.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    img.save(path, optimize=True)
    print("wrote", path)


def _whole_page(page, path: Path) -> None:
    """The window scrolled to the top, once it stops changing, saved to ``path``."""
    page.evaluate("window.scrollTo(0, 0); document.querySelectorAll('*')"
                  ".forEach(e => { if (e.scrollTop) e.scrollTop = 0; })")
    _save(_settled(page.screenshot, page), path)


def _merchant_charts(page) -> tuple[bytes, bytes]:
    """Screenshots of the top-merchants and Lorenz chart cards (5th and 6th chart)."""
    # Solara's "This website runs on Solara" banner sits at the bottom of the window and
    # would cover part of a chart scrolled there
    page.evaluate("document.querySelectorAll('a[href=\"https://solara.dev\"]')"
                  ".forEach(a => { a.closest('div').style.display = 'none'; })")
    cards = page.locator(".giftsim-charts > .v-card")
    return _settled(cards.nth(4).screenshot, page), _settled(cards.nth(5).screenshot, page)


def _expected(overrides: dict, seed: int, days: int) -> dict[str, float]:
    """Day-``days`` totals, HHI and top-10 share of the model run directly."""
    import numpy as np

    from sim.metrics import hhi, top_k_share
    from sim.model import GiftModel
    from sim.scenario import load_scenario
    from sim.viz.controls import apply_overrides

    scenario = load_scenario(SCENARIO)
    if overrides:
        scenario = apply_overrides(scenario, overrides)
    m = GiftModel(scenario, seed=seed)
    for _ in range(days):
        m.step()
    c = m.recorder.columns
    g = np.asarray(m.merchant_table.gmv, dtype=float)
    return {"gmv": round(float(c["gmv_rmb"][:days].sum()), 2), "aware": float(c["aware_users"][days - 1]),
            "hhi": hhi(g), "top10": top_k_share(g, 10)}


def _check(page, want: dict[str, float], label: str) -> None:
    el = page.locator(".giftsim-totals")
    got = {k: float(el.get_attribute(f"data-{k}")) for k in ("gmv", "aware")}
    if any(abs(got[k] - want[k]) > 0.01 for k in got):
        raise SystemExit(f"{label}: the explorer shows {got}, the model gives {want}")
    print(f"{label}: GMV {got['gmv']:,.2f} RMB, aware {got['aware']:,.0f} (as the model); the charts "
          f"should read HHI {want['hhi']:.3f} · top-10 share {want['top10']:.0%} "
          f"(exact {want['hhi']:.4f}, {want['top10']:.4f})")


def _compose(rows: list[tuple[bytes, bytes]], labels: list[str], path: Path) -> None:
    """Rows of (left, right) chart pictures side by side, each row under its label."""
    from PIL import Image, ImageDraw, ImageFont

    pics = [[Image.open(io.BytesIO(b)).convert("RGB") for b in row] for row in rows]
    font = ImageFont.load_default(size=13)
    label_h, gap = 24, 8
    width = max(sum(p.width for p in row) + gap * (len(row) - 1) for row in pics)
    height = sum(label_h + max(p.height for p in row) for row in pics) + gap * (len(pics) - 1)
    out = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(out)
    y = 0
    for row, label in zip(pics, labels):
        draw.text((10, y + 5), label, fill="black", font=font)
        y += label_h
        x = 0
        for p in row:
            out.paste(p, (x, y))
            x += p.width + gap
        y += max(p.height for p in row) + gap
    _save(out, path)


def explorer_shots(browser, out: Path, seed: int, day: int, cache: Path | None) -> None:
    server = VizProcess(SCENARIO, "--seed", str(seed), cache=cache, cwd=ROOT)
    try:
        page = browser.new_page(viewport={"width": 1500, "height": 1900})
        page.goto(server.url)
        page.wait_for_selector(".giftsim-sigma[data-frame]", timeout=120_000)
        _wait_charts(page)
        _step_to(page, day)
        _check(page, _expected({}, seed, day), "equal")
        equal = _merchant_charts(page)
        _whole_page(page, out / "explorer.png")

        page.locator(".control-policy-allocation-rule .v-select__slot").click()
        page.locator(".v-menu__content .v-list-item", has_text="head_boost").click()
        _wait_day(page, 0)
        page.wait_for_selector(".giftsim-overrides", timeout=30_000)
        changed = page.locator(".giftsim-overrides").inner_text()
        if "'rule': 'head_boost'" not in changed:
            raise SystemExit(f"the allocation rule did not change: {changed!r}")
        _step_to(page, day)
        _check(page, _expected(HEAD_BOOST, seed, day), "head_boost")
        boosted = _merchant_charts(page)
        page.close()
    finally:
        server.stop()
    labels = [t.format(day=day) for t in ROW_LABELS]
    _compose([equal, boosted], labels, out / "explorer-head-boost.png")


def dashboard_shot(browser, out: Path, batch: Path | None, tmp: Path) -> None:
    if batch is None:
        batch = tmp / "launch_policies"
        print("running", BATCH.relative_to(ROOT), "into", batch)
        subprocess.run([sys.executable, "-m", "sim", "batch", str(BATCH), "--out", str(batch),
                        "--workers", "1", "--quiet"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    server = VizProcess(batch, cwd=ROOT)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1150})
        page.goto(server.url)
        page.wait_for_selector(".giftsim-batch", timeout=120_000)
        page.get_by_role("tab", name=re.compile("Curves")).click()
        page.wait_for_function("document.querySelectorAll('.giftsim-curves .vega-embed canvas').length >= 2",
                               timeout=60_000)
        _whole_page(page, out / "dashboard.png")
        page.close()
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="folder (default docs/img)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--day", type=int, default=45)
    p.add_argument("--fresh-cache", action="store_true", help="lay the graph out again in a temporary cache")
    p.add_argument("--batch", type=Path, help="finished launch_policies batch folder for the dashboard")
    p.add_argument("--no-dashboard", action="store_true")
    a = p.parse_args(argv)
    if not os.access(CHROMIUM, os.X_OK):
        raise SystemExit(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    a.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="giftsim-shots-") as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            explorer_shots(browser, a.out, a.seed, a.day, Path(tmp) / "cache" if a.fresh_cache else None)
            if not a.no_dashboard:
                dashboard_shot(browser, a.out, a.batch, Path(tmp))
        finally:
            browser.close()


if __name__ == "__main__":
    main()
