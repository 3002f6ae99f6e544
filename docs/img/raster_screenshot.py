"""Remake the README's screenshot of the whole-graph view: ``docs/img/raster_100k.png``.

Run from the repository root, with the project's virtual environment and its test extra
(Playwright for Python), and Debian's Chromium at ``/usr/bin/chromium`` (never
``playwright install``)::

    .venv/bin/python docs/img/raster_screenshot.py  # about 40 s

It starts ``giftsim viz tests/viz/raster_100k.toml --seed 1`` (100,000 users on a
Watts-Strogatz ring) on a free port, with the ring as the cached layout (in a temporary
cache: tests/viz/ring_layout.py), steps to day 4, and composes three pictures in a row: the
whole graph (every user), the view zoomed in twice about a sender with the pointer resting on
it (its tooltip), and the legend with the day's counts. The tooltip's gifts are checked
against the model run directly. The server is stopped before the script ends.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `tests` is importable from the repository root
    sys.path.insert(0, str(ROOT))

from sim.model import GiftModel  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from sim.viz.server import VizProcess  # noqa: E402
from tests.viz.raster_page import isolated_sender, screen, zoom_about  # noqa: E402
from tests.viz.ring_layout import cache_ring_layout  # noqa: E402

SCENARIO = ROOT / "tests" / "viz" / "raster_100k.toml"
OUT = ROOT / "docs" / "img" / "raster_100k.png"
CHROMIUM = os.environ.get("GIFTSIM_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SEED, DAYS, SIDE = 1, 4, 520
LABELS = ("all 100,000 users, day {day}", "zoomed in about a sender (wheel), pointer on it (detail)", "legend")


def _shots(page, model, xy) -> tuple[list[bytes], tuple[float, float]]:
    page.wait_for_selector('.giftsim-raster[data-users-drawn="100000"][data-shown]', timeout=120_000)
    for k in range(1, DAYS + 1):
        page.locator(".giftsim-step").click()
        page.wait_for_function(f"document.querySelector('.giftsim-day')?.dataset.day === '{k}'", timeout=60_000)
    page.wait_for_timeout(2000)
    whole = page.locator(".giftsim-raster").screenshot()
    user = isolated_sender(model, xy)
    zoomed = zoom_about(page, *xy[user], times=2)
    page.mouse.move(*screen(zoomed, xy[user][0] + 0.002, xy[user][1]))
    page.mouse.move(*screen(zoomed, *xy[user]))
    tip = page.locator(f'.giftsim-hover[data-user="{user}"]')
    tip.wait_for(state="visible", timeout=30_000)
    sent = int((model.ledger.column("sender") == user).sum())
    assert f"gifts sent: {sent}," in tip.inner_text(), tip.inner_text()
    page.wait_for_timeout(300)
    sx, sy = screen(zoomed, *xy[user])
    focus = (sx - zoomed["left"] + 60, sy - zoomed["top"] + 20)  # the user and its tooltip
    return [whole, page.locator(".giftsim-raster").screenshot(), page.locator(".giftsim-legend").screenshot()], focus


def _palette() -> np.ndarray:
    """The colours of the saved picture, uint8 of shape (k, 3): the legend's exactly, grey ramps
    (text, friendships) and ramps from each state's colour to white and to the friendships' grey
    (resized dots)."""
    from sim.viz.state import OUTCOME_COLOURS, STATE_COLOURS

    def rgb(h: str) -> tuple[int, ...]:
        return tuple(int(h[i:i + 2], 16) for i in (1, 3, 5))

    def ramp(a, b, k: int) -> list[tuple[int, ...]]:
        return [tuple(round(x + (y - x) * t / k) for x, y in zip(a, b)) for t in range(k + 1)]

    edge, white = (140, 140, 153), (255, 255, 255)
    cols = [rgb(c) for c in [*STATE_COLOURS.values(), *OUTCOME_COLOURS.values()]]
    cols += ramp((0, 0, 0), white, 40) + ramp(edge, white, 20)
    for c in [rgb(c) for c in STATE_COLOURS.values()]:
        cols += ramp(c, white, 6)[1:-1] + ramp(c, edge, 6)[1:-1]
    return np.array(list(dict.fromkeys(cols))[:256], dtype=np.uint8)


def _save(img, path: Path) -> None:
    """``img`` in :func:`_palette`'s colours (each pixel the nearest one, exactly), as PNG."""
    from PIL import Image
    from scipy.spatial import cKDTree

    pal = _palette()
    rgb = np.asarray(img.convert("RGB"))
    _, idx = cKDTree(pal.astype(float)).query(rgb.reshape(-1, 3).astype(float))
    out = Image.fromarray(idx.reshape(rgb.shape[:2]).astype(np.uint8), "P")
    out.putpalette(pal.ravel().tolist())
    out.save(path, optimize=True)


def _compose(shots: list[bytes], focus: tuple[float, float], path: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    pics = [Image.open(io.BytesIO(b)).convert("RGB") for b in shots]
    pics[0] = pics[0].resize((SIDE, SIDE), Image.Resampling.LANCZOS)
    fx, fy = (min(max(0, int(f) - SIDE // 2), pics[1].width - SIDE) for f in focus)
    pics[1] = pics[1].crop((fx, fy, fx + SIDE, fy + SIDE))  # the zoomed view's pixels around the pointer
    font = ImageFont.load_default(size=14)
    pad, head = 12, 24
    width = sum(p.width for p in pics) + pad * (len(pics) + 1)
    out = Image.new("RGB", (width, SIDE + head + 2 * pad), "white")
    draw = ImageDraw.Draw(out)
    x = pad
    for pic, label in zip(pics, LABELS):
        draw.text((x, pad), label.format(day=DAYS), fill="#222222", font=font)
        out.paste(pic, (x, pad + head))
        x += pic.width + pad
    _save(out, path)


def main() -> None:
    from playwright.sync_api import sync_playwright

    model = GiftModel(load_scenario(SCENARIO), seed=SEED)
    with tempfile.TemporaryDirectory() as tmp:
        xy = cache_ring_layout(model.graph, Path(tmp))
        for _ in range(DAYS):
            model.step()
        with VizProcess(SCENARIO, "--seed", str(SEED), cache=tmp, cwd=ROOT, timeout=240) as server, \
                sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1400})
            page.goto(server.url)
            shots, focus = _shots(page, model, xy)
            browser.close()
    _compose(shots, focus, OUT)
    print(f"{OUT.relative_to(ROOT)}: {OUT.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
