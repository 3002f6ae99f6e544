"""What the browser tests share: Debian's Chromium (never ``playwright install``), its
arguments for a closed network, where screenshots go, and one browser per test module."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("GIFTSIM_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

needs_chromium = pytest.mark.skipif(not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)),
                                    reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
"""Mark of a test that drives Chromium: skipped where there is none."""


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium, launched once per test module (Playwright's synchronous API)."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
