"""Tables on a phone and the figure tools, on the refreshed site in headless Chromium (network blocked).

At 360 px the key-figure tables of the front page, the model view and a region profile show their row label and the
column beside it without scrolling, captions wrap inside the table's box, the page is no wider than the screen, and
a table wider than its box says so ("Vieritä taulukkoa sivulle →") while one that fits does not. Every figure offers
its image: SVG and PNG made in the browser (assets/figure_tools.js), from a pre-drawn SVG map and from a plotly map,
by mouse and by keyboard, and a line to cite the page by, with the page's address, in the page's language.
"""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET

import pytest

from tests.site.table_checks import table_problems

pytestmark = [pytest.mark.browser, pytest.mark.notebook]

PHONE = {"width": 360, "height": 800}
SVG_NS = "{http://www.w3.org/2000/svg}"


def _open(context, url: str, outside: list[str]):
    page = context.new_page()
    page.route(lambda u: not u.startswith(("file:", "data:", "blob:")), lambda route: (outside.append(route.request.url), route.abort()))
    page.goto(url, wait_until="load")
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].every(d => d._fullLayout)", timeout=30_000)
    return page


def test_every_page_loads_the_figure_tools(refreshed):
    from helpers.base.config import PACKAGE_ASSETS_DIR

    site = refreshed / "site"
    for asset in ("figure_tools.js", "figure_export.js"):  # the export: loaded on the first image download
        assert (site / "assets" / asset).read_bytes() == (PACKAGE_ASSETS_DIR / asset).read_bytes()
    pages = sorted(site.glob("**/*.html"))
    assert len(pages) > 100
    for page in pages:
        prefix = "../" * (len(page.relative_to(site).parts) - 1)
        assert f'<script src="{prefix}assets/figure_tools.js" defer></script>' in page.read_text(encoding="utf-8"), page


def test_key_tables_show_label_and_next_column_at_360_px(refreshed, chromium_browser):
    site = refreshed / "site"
    context = chromium_browser.new_context(viewport=PHONE, service_workers="block")
    outside: list[str] = []
    problems = []
    try:
        page = None
        for rel in ("index.html", "mallit/index.html", "alueet/07.html"):
            page = _open(context, (site / rel).as_uri(), outside)
            page.wait_for_selector(".taulukko[data-vierityskatse]", state="attached")
            problems += [f"{rel}: {p}" for p in table_problems(page)]
            width = page.evaluate("() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
            if width > PHONE["width"]:
                problems.append(f"{rel}: page is {width} px wide")
            # The cue shows exactly over the tables that do not fit their box.
            cues = page.evaluate("""() => [...document.querySelectorAll('main .taulukko')].filter(b => b.getBoundingClientRect().width > 0).map(b => {
                const cue = b.previousElementSibling;
                return {over: b.scrollWidth > b.clientWidth + 1, cue: !!cue && cue.matches('.vierita-vihje') && !cue.hidden, text: cue ? cue.textContent : ''};
            })""")
            if any(c["over"] != c["cue"] for c in cues):
                problems.append(f"{rel}: scroll cues {cues}")
            if rel == "alueet/07.html":
                assert any(c["over"] and c["text"] == "Vieritä taulukkoa sivulle →" for c in cues), cues
                assert any(not c["over"] for c in cues), cues  # a table that fits gets no cue
                # Scrolled sideways, the row label stays where it was.
                moved = page.evaluate("""() => { const b = [...document.querySelectorAll('main .taulukko')].find(b => b.scrollWidth > b.clientWidth + 1);
                    const cell = b.querySelector('tbody tr td, tbody tr th'); const x = cell.getBoundingClientRect().left;
                    b.scrollLeft = 120; return [x, cell.getBoundingClientRect().left, b.scrollLeft]; }""")
                assert moved[2] > 0 and abs(moved[1] - moved[0]) < 1, moved
            page.close()
    finally:
        context.close()
    assert not outside, outside
    assert not problems, "\n".join(problems)


def _download(page, button, tmp_path, name: str, *, keyboard: bool = False) -> bytes:
    with page.expect_download(timeout=20_000) as info:
        if keyboard:
            button.focus()
            page.keyboard.press("Enter")
        else:
            button.click()
    target = tmp_path / name
    info.value.save_as(target)
    return target.read_bytes()


def _check_png(data: bytes) -> None:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 640 and height >= 400 and len(data) > 20_000, (width, height, len(data))


@pytest.mark.parametrize("rel, figure, cite", [
    ("index.html", "figure.svgkartta", "Viittaa: Sote-järjestökartat, "),  # a pre-drawn SVG map with its legend
    ("en/aluerajat/hyvinvointialue_2025.html", "figure.kuvio-laatikko", "Cite: \u201cWellbeing services"),  # a plotly map
])
def test_figure_image_downloads_and_cite_line(refreshed, chromium_browser, tmp_path, rel, figure, cite):
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block", accept_downloads=True)
    outside: list[str] = []
    errors: list[str] = []
    try:
        page = _open(context, (refreshed / "site" / rel).as_uri(), outside)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        box = page.locator(f"{figure} .kuvatyokalut").first
        box.wait_for(state="visible")
        title = page.locator(f"{figure} figcaption").first.text_content().strip()

        assert page.evaluate("() => window.SoteFigureExport === undefined")  # the image export is not part of the page's load
        svg = _download(page, box.locator("button[data-muoto=svg]"), tmp_path, "kuva.svg")
        root = ET.fromstring(svg)
        assert root.tag == f"{SVG_NS}svg" and float(root.get("width")) >= 640
        texts = " ".join(t.text or "" for t in root.iter(f"{SVG_NS}text"))
        assert title in texts and "CC BY 4.0" in texts  # the saved image names what it shows and whose data it is
        assert len(list(root.iter(f"{SVG_NS}path"))) >= 5  # the regions

        _check_png(_download(page, box.locator("button[data-muoto=png]"), tmp_path, "kuva.png", keyboard=True))

        line = box.locator(".kuvaviite").text_content()
        assert line.startswith(cite) and page.url in line and "Sote-järjestökartat" in line, line
        labels = box.locator("button").evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))")
        assert labels == (["Download the image as SVG", "Download the image as PNG"] if rel.startswith("en/")
                          else ["Lataa kuva SVG-tiedostona", "Lataa kuva PNG-tiedostona"])
    finally:
        context.close()
    assert not outside and not errors, (outside, errors)
