"""Every page of the refreshed site in headless Chromium (Debian's package, no browser download), network blocked.

For each page: no request leaves the machine (anything but file: and data: is aborted and recorded), no console
error, every map draws as many region shapes as its data has regions (and as many as the source layer or model has),
the title and the attribution are present. Screenshots go to outputs/screenshots/.
"""

import os
import shutil
from pathlib import Path

import pytest

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


@pytest.fixture(scope="module")
def browser():
    exe = chromium_path()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs Debian's chromium for the browser tests (./run tests installs it as root)")
        pytest.skip("no chromium: install Debian's 'chromium' package to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_every_page_in_a_real_browser_offline(refreshed, browser):
    site = refreshed / "site"
    shots = refreshed / "screenshots"
    shutil.rmtree(shots, ignore_errors=True)
    pages = sorted(p for p in site.rglob("*.html") if p.relative_to(site).parts[0] != "assets")
    assert len(pages) == 65
    problems, maps_checked = [], 0
    context = browser.new_context(viewport={"width": 1200, "height": 900}, service_workers="block")
    for path in pages:
        rel = path.relative_to(site).as_posix()
        page = context.new_page()
        outside, errors = [], []

        def route(r, outside=outside):
            if r.request.url.startswith(("file:", "data:")):
                r.continue_()
            else:
                outside.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].every(d => d._fullLayout)", timeout=30_000)
        maps = page.evaluate(MAPS_JS)
        title = page.title()
        body = page.inner_text("body")
        shot = shots / rel.replace("/", "__").replace(".html", ".png")
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=False)
        page.close()
        if outside:
            problems.append(f"{rel}: requests left the machine: {outside}")
        if errors:
            problems.append(f"{rel}: console errors: {errors}")
        if not title.strip():
            problems.append(f"{rel}: no title")
        if "CC BY 4.0" not in body or not any(s in body for s in ("Tilastokeskus", "Lähde", "Lähteet")):
            problems.append(f"{rel}: no source and licence line")
        for m in maps:
            if m["drawn"] != m["data"]:
                problems.append(f"{rel}: map draws {m['drawn']} shapes for {m['data']} regions of data")
        expected = expected_maps(rel)
        if expected is not None and [m["data"] for m in maps] != expected:
            problems.append(f"{rel}: maps have {[m['data'] for m in maps]} regions, the sources {expected}")
        maps_checked += len(maps)
    context.close()
    assert not problems, "\n".join(problems)
    assert maps_checked >= 64 + 20  # every page but the index has a map; model pages have two or three
    assert len(list(shots.glob("*.png"))) == len(pages)
