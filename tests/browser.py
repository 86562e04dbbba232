"""Debian's Chromium driven by Playwright, and axe-core's accessibility rules, for the web's tests.

``make test`` installs both (``tools/debian-packages chromium``; ``npm ci`` for axe-core); a test
that uses them fails loudly when either is missing, never skips.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 768}


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session; each test opens its own context (cookies, viewport)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium is not installed at {CHROMIUM}: run `make test-packages` (as root)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def accessibility_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations of ``impacts`` on the page as it is now.

    axe is evaluated through the DevTools protocol, which the page's CSP (no inline scripts) does
    not govern, so the page is checked exactly as it is served.
    """
    if not AXE.exists():
        raise RuntimeError(f"axe-core is not installed at {AXE}: run `npm ci` (make test does)")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => await axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})""")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in impacts]
