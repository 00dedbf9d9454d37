"""Every page of the refreshed site in headless Chromium (Debian's package, no browser download), network blocked.

For each page: no request leaves the machine (anything but file: and data: is aborted and recorded), no console
error, every map draws as many region shapes as its data has regions (and as many as the source layer or model has),
the title and the attribution are present. Screenshots go to the project's outputs/screenshots/.
"""

import os
import shutil
from pathlib import Path

import pytest

from helpers import config
from helpers.export import chromium_path
from helpers.groupings import grouping_layer
from helpers.models import load_model, resolve

pytestmark = [pytest.mark.browser, pytest.mark.notebook]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic"]
MAPS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].filter(d => d.data.some(t => t.type === 'choropleth')).map(d => ({
    data: d.data.filter(t => t.type === 'choropleth').reduce((n, t) => n + t.locations.length, 0),
    drawn: [...d.querySelectorAll('path.choroplethlocation')].filter(p => (p.getAttribute('d') || '').length > 10).length}))"""


def expected_maps(rel: str) -> list[int] | None:
    """Region counts from the sources for the page's maps (None: check drawn against the page's data only)."""
    parts = Path(rel).stem.split("_")
    if rel.startswith("aluerajat/"):
        return [len(grouping_layer(parts[0], int(parts[1])))]
    if rel.startswith("indikaattorit/"):
        level = next(lv for lv in ("hyvinvointialue", "yhteistyoalue", "erva2020", "kunta") if f"_{lv}_" in rel)
        return [len(grouping_layer(level, 2025))]
    if rel.startswith("alueet/"):
        return [23]  # locator map: every welfare region, Helsinki and Åland
    if rel.startswith("mallit/"):
        names = Path(rel).stem.split("_2025_")[0].split("__")
        return [resolve(load_model(n), 2025)["unit_code"].nunique() for n in names]
    return None


class Tab:
    """One browser tab for all pages (plotly.js is compiled once, not once per page) that records, per visit,
    requests for anything but file: and data: URLs (aborted) and console errors."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1200, "height": 900}, service_workers="block")
        self.page = self.context.new_page()
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.page.route(lambda url: not url.startswith(("file:", "data:")), self._block)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _block(self, route):
        self.outside.append(route.request.url)
        route.abort()

    def visit(self, path: Path, screenshot: Path | None = None) -> dict:
        self.outside.clear()
        self.errors.clear()
        self.page.goto(path.as_uri(), wait_until="load")
        self.page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].every(d => d._fullLayout)", timeout=30_000)
        self.page.wait_for_load_state("networkidle")
        found = {"maps": self.page.evaluate(MAPS_JS), "title": self.page.title(), "body": self.page.inner_text("body")}
        if screenshot:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(screenshot), full_page=False)
        return {**found, "outside": list(self.outside), "errors": list(self.errors)}


@pytest.fixture(scope="module")
def tab():
    exe = chromium_path()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs Debian's chromium for the browser tests (./run tests installs it as root)")
        pytest.skip("no chromium: install Debian's 'chromium' package to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        t = Tab(browser)
        yield t
        t.context.close()
        browser.close()


def test_the_harness_sees_outside_requests_and_console_errors(tmp_path, tab):
    page = tmp_path / "huono.html"
    page.write_text("<!DOCTYPE html><html lang='fi'><head><title>Huono</title></head><body>"
                    "<img src='https://example.org/kuva.png'><script>console.error('virhe sivulla')</script></body></html>", encoding="utf-8")
    seen = tab.visit(page)
    assert seen["outside"] == ["https://example.org/kuva.png"]
    assert "virhe sivulla" in seen["errors"] and "Failed to load resource: net::ERR_FAILED" in seen["errors"]


def test_every_page_in_a_real_browser_offline(refreshed, tab):
    site = refreshed / "site"
    shots = config.PROJECT_ROOT / "outputs" / "screenshots"  # the project's outputs/, for a person to look at
    shutil.rmtree(shots, ignore_errors=True)
    pages = sorted(p for p in site.rglob("*.html") if p.relative_to(site).parts[0] != "assets")
    assert len(pages) == 65
    problems, maps_checked = [], 0
    for path in pages:
        rel = path.relative_to(site).as_posix()
        seen = tab.visit(path, shots / rel.replace("/", "__").replace(".html", ".png"))
        if seen["outside"]:
            problems.append(f"{rel}: requests left the machine: {seen['outside']}")
        if seen["errors"]:
            problems.append(f"{rel}: console errors: {seen['errors']}")
        if not seen["title"].strip():
            problems.append(f"{rel}: no title")
        body = seen["body"]
        if "CC BY 4.0" not in body or not any(s in body for s in ("Tilastokeskus", "Lähde", "Lähteet")):
            problems.append(f"{rel}: no source and licence line")
        maps = seen["maps"]
        for m in maps:
            if m["drawn"] != m["data"]:
                problems.append(f"{rel}: map draws {m['drawn']} shapes for {m['data']} regions of data")
        expected = expected_maps(rel)
        if expected is not None and [m["data"] for m in maps] != expected:
            problems.append(f"{rel}: maps have {[m['data'] for m in maps]} regions, the sources {expected}")
        maps_checked += len(maps)
    assert not problems, "\n".join(problems)
    assert maps_checked >= 64 + 20  # every page but the index has a map; model pages have two or three
    assert len(list(shots.glob("*.png"))) == len(pages)
