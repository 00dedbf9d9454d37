"""Every page of the refreshed site in headless Chromium (Debian's package, no browser download), network blocked.

Finnish pages at 360×740 and 1280×900 (screenshots of both under the project's outputs/screenshots/), Swedish and
English pages at 360×740 without screenshots (to keep CI time in check). For each: no request leaves the machine
(anything but file: and data: is aborted and recorded), no console error, no horizontal overflow of the page at
360 px, no overlap between a figure's title, toolbar, legend, source note and a map's regions, every map fills its
slot's height (or width), every map draws as many region shapes
as its data has regions (and as many as the source layer has), title and attribution present. Besides: every page
is reachable from the front page within two clicks, every CSV link resolves and its numbers equal the page table's,
the language switch lands on the same page, and the model view's selection lives in the URL hash.
"""

import re
import shutil
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag

import pytest

from helpers.base import config

from tests.site.map_checks import map_class_problems
from tests.site.reader_words import reader_text_problems
from tests.site.table_checks import table_problems
from helpers.site.downloads import read_csv
from helpers.geo.groupings import grouping_layer

pytestmark = [pytest.mark.browser, pytest.mark.notebook]

PHONE, DESKTOP = {"width": 360, "height": 740}, {"width": 1280, "height": 900}
MAPS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].filter(d => d.data.some(t => t.type === 'choropleth')).map(d => ({
    data: d.data.filter(t => t.type === 'choropleth').reduce((n, t) => n + t.locations.length, 0),
    drawn: [...d.querySelectorAll('path.choroplethlocation')].filter(p => (p.getAttribute('d') || '').length > 10).length,
    slot: (r => [r.width, r.height])(d.getBoundingClientRect()),
    shapes: (r => [r.width, r.height])(d.querySelector('.choroplethlayer').getBoundingClientRect())}))"""
# Boxes of the parts of every figure that must not overlap (plotly figures and the pre-drawn SVG maps); a plotly
# map's regions count as one box, so its legend may not cover them either.
OVERLAP_JS = """() => {
  const out = [];
  const box = el => { if (!el) return null; const r = el.getBoundingClientRect(); return r.width * r.height > 0 ? r : null; };
  const cut = (a, b) => Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left)) * Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
  document.querySelectorAll('figure').forEach((f, i) => {
    if (f.closest('[hidden]')) return;
    const parts = {title: box(f.querySelector(':scope > figcaption')), toolbar: box(f.querySelector('.modebar')),
                   legend: box(f.querySelector('g.legend')) || box(f.querySelector('ol.selite')), source: box(f.querySelector(':scope > p.lahde')),
                   regions: box(f.querySelector('.choroplethlayer'))};
    const names = Object.keys(parts).filter(k => parts[k]);
    for (let a = 0; a < names.length; a++) for (let b = a + 1; b < names.length; b++) {
      if (cut(parts[names[a]], parts[names[b]]) > 2) out.push(`figure ${i + 1}: ${names[a]} overlaps ${names[b]}`);
    }
    const src = parts.source;
    if (src && src.right > document.documentElement.clientWidth + 1) out.push(`figure ${i + 1}: source note runs off the right edge`);
  });
  return out;
}"""
TABLES_JS = """() => [...document.querySelectorAll('p.lataukset')].map(p => {
  let el = p.previousElementSibling;
  while (el && !el.matches('.taulukko')) el = el.previousElementSibling;
  const table = el ? el.querySelector('table') : null;
  return {csv: p.querySelector('a[type="text/csv"]').getAttribute('href'),
          rows: table ? [...table.tBodies[0].rows].map(r => [...r.cells].map(c => ({text: c.innerText, num: c.classList.contains('num')}))) : null};
})"""


def rel_in_lang(rel: str) -> tuple[str, str]:
    parts = rel.split("/")
    return (parts[0], "/".join(parts[1:])) if parts[0] in ("sv", "en") else ("fi", rel)


def expected_maps(rel: str) -> list[int] | None:
    """Region counts from the sources for the page's plotly maps (None: check drawn against the page's data only)."""
    _, rel = rel_in_lang(rel)
    parts = Path(rel).stem.split("_")
    if rel.startswith("aluerajat/"):
        return [len(grouping_layer(parts[0], int(parts[1])))]
    if rel.startswith("indikaattorit/") and not rel.endswith("index.html"):
        return []  # pre-drawn SVG maps, no plotly (their regions: tests/site/test_series_pages.py)
    if rel.startswith("alueet/") and not rel.endswith("index.html"):
        return []  # the locator is a pre-drawn SVG map (tests/site/test_profiles_compare.py counts its 23 regions)
    return None


def number(text: str, lang: str) -> float | None:
    """The first number in a table cell as the page writes it (Finnish/Swedish: spaces and a decimal comma)."""
    t = text.replace("\u2212", "-")
    group, decimal = (r"[ \u00a0\u202f]", ",") if lang in ("fi", "sv") else (",", r"\.")
    m = re.search(rf"-?\d{{1,3}}(?:{group}\d{{3}})+(?:{decimal}\d+)?(?!\d)|-?\d+(?:{decimal}\d+)?", t)
    if not m:
        return None
    digits = re.sub(group, "", m.group())
    return float(digits.replace(",", ".") if lang in ("fi", "sv") else digits)


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href and not href.startswith(("http:", "https:", "#", "mailto:")):
            self.hrefs.append(href)


def links_of(page: Path) -> set[Path]:
    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return {(page.parent / unquote(urldefrag(h)[0])).resolve() for h in parser.hrefs}


class Tab:
    """One browser tab per viewport for all pages (plotly.js is compiled once, not once per page) that records, per
    visit, requests for anything but file: and data: URLs (aborted) and console errors."""

    def __init__(self, browser, viewport=DESKTOP):
        self.context = browser.new_context(viewport=viewport, service_workers="block")
        self.page = self.context.new_page()
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.page.route(lambda url: not url.startswith(("file:", "data:")), self._block)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _block(self, route):
        self.outside.append(route.request.url)
        route.abort()

    def visit(self, path: Path, screenshot: Path | None = None, *, hash: str = "", settle: bool = True) -> dict:
        """``settle``: wait for 0.5 s without requests (0.4 s a visit, most of it) so that late requests are seen too;
        left out where the same page was already watched or only its content is read."""
        self.outside.clear()
        self.errors.clear()
        self.page.goto(path.as_uri() + hash, wait_until="load")
        # data-ready: site.js has drawn the figure and, where its legend covered the map, moved the legend
        self.page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].every(d => d._fullLayout)"
                                    " && [...document.querySelectorAll('[data-drawn]')].every(d => d.hasAttribute('data-ready'))", timeout=30_000)
        if settle:
            self.page.wait_for_load_state("networkidle")
        found = {"maps": self.page.evaluate(MAPS_JS), "title": self.page.title(), "body": self.page.inner_text("body"),
                 "width": self.page.evaluate("() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"),
                 "overlaps": self.page.evaluate(OVERLAP_JS)}
        if screenshot:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(screenshot), full_page=False)
        return {**found, "outside": list(self.outside), "errors": list(self.errors)}


@pytest.fixture(scope="module")
def browser(chromium_browser):
    return chromium_browser


@pytest.fixture(scope="module")
def tab(browser):
    t = Tab(browser, DESKTOP)
    yield t
    t.context.close()


@pytest.fixture(scope="module")
def phone(browser):
    t = Tab(browser, PHONE)
    yield t
    t.context.close()


def test_the_harness_sees_outside_requests_and_console_errors(tmp_path, tab):
    page = tmp_path / "huono.html"
    page.write_text("<!DOCTYPE html><html lang='fi'><head><title>Huono</title></head><body>"
                    "<img src='https://example.org/kuva.png'><script>console.error('virhe sivulla')</script></body></html>", encoding="utf-8")
    seen = tab.visit(page)
    assert seen["outside"] == ["https://example.org/kuva.png"]
    assert "virhe sivulla" in seen["errors"] and "Failed to load resource: net::ERR_FAILED" in seen["errors"]


def check_page(rel: str, seen: dict, width: int) -> list[str]:
    problems = []
    if seen["outside"]:
        problems.append(f"requests left the machine: {seen['outside']}")
    if seen["errors"]:
        problems.append(f"console errors: {seen['errors']}")
    if not seen["title"].strip():
        problems.append("no title")
    if width == PHONE["width"] and seen["width"] > width:
        problems.append(f"page is {seen['width']} px wide at {width} px")
    problems += seen["overlaps"]
    body = seen["body"]
    if "CC BY 4.0" not in body:
        problems.append("no licence line")
    for m in seen["maps"]:
        if m["drawn"] != m["data"]:
            problems.append(f"map draws {m['drawn']} shapes for {m['data']} regions of data")
        # Finland is about twice as tall as wide: the map is as tall as its slot lets it be (a square world frame
        # left it 305 px tall in a 660 px slot at 360 px).
        w, h = m["shapes"]
        if h < 0.6 * m["slot"][1] and w < 0.75 * m["slot"][0]:
            problems.append(f"map fills {w:.0f}×{h:.0f} px of its {m['slot'][0]:.0f}×{m['slot'][1]:.0f} px slot")
    expected = expected_maps(rel)
    if expected is not None and [m["data"] for m in seen["maps"]] != expected:
        problems.append(f"maps have {[m['data'] for m in seen['maps']]} regions, the sources {expected}")
    return [f"{rel} @{width}: {p}" for p in problems]


def test_every_page_in_a_real_browser_offline(refreshed, tab, phone):
    site = refreshed / "site"
    shots = config.PROJECT_ROOT / "outputs" / "screenshots"  # the project's outputs/, for a person to look at
    shutil.rmtree(shots, ignore_errors=True)
    pages = sorted(p for p in site.rglob("*.html") if p.relative_to(site).parts[0] != "assets")
    assert len(pages) == 3 * 47
    problems, started, shot = [], time.perf_counter(), 0
    for path in pages:
        rel = path.relative_to(site).as_posix()
        lang, _ = rel_in_lang(rel)
        name = rel.replace("/", "__").replace(".html", "")
        if lang == "fi":
            problems += check_page(rel, tab.visit(path, shots / f"{name}__1280.png"), DESKTOP["width"])
            shot += 1
        # Late requests are watched once per page kind, on the Finnish page at 1280 px: the Swedish and English pages
        # load the same scripts and assets (0.5 s of waiting per page saved 94 times).
        seen = phone.visit(path, shots / f"{name}__360.png" if lang == "fi" else None, settle=False)
        problems += check_page(rel, seen, PHONE["width"])
        # what a reader of the page's language meets: no Finnish word that has a translation, no internal names, and
        # at 360 px every table's row label and deciding column in view
        problems += [f"{rel} @360: {p}" for p in reader_text_problems(seen["body"], lang)]
        problems += [f"{rel} @360: {p}" for p in table_problems(phone.page)]
        # a map of few areas: two different values never share a colour
        problems += [f"{rel} @360: {p}" for p in map_class_problems(phone.page)]
        shot += lang == "fi"
    print(f"\n{len(pages)} pages checked in {time.perf_counter() - started:.0f} s")
    assert not problems, "\n".join(problems)
    assert len(list(shots.glob("*.png"))) == shot == 2 * 47


def test_every_page_is_within_two_clicks_of_the_front_page(refreshed):
    site = (refreshed / "site").resolve()
    pages = {p.resolve() for p in site.rglob("*.html") if p.relative_to(site).parts[0] != "assets"}
    for lang_root in (site, site / "sv", site / "en"):
        front = lang_root / "index.html"
        one = links_of(front)
        two = one | {q for p in one if p in pages for q in links_of(p)}
        mine = {p for p in pages if (p.relative_to(site).parts[0] in ("sv", "en")) == (lang_root != site)
                and (lang_root == site or p.is_relative_to(lang_root))}
        assert not sorted(mine - two - {front}), sorted(str(p) for p in mine - two - {front})[:10]


def test_every_csv_link_resolves_and_matches_its_table(refreshed, tab):
    site = refreshed / "site"
    checked, problems = 0, []
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site).as_posix()
        lang, _ = rel_in_lang(rel)
        if rel.startswith("assets/") or lang != "fi" and not rel.endswith(("index.html", "90.html")):
            continue  # Swedish and English: the hubs, the front page and one profile (same writers as Finnish)
        tab.visit(path, settle=False)
        for block in tab.page.evaluate(TABLES_JS):
            csv = path.parent / unquote(block["csv"])
            if not csv.is_file():
                problems.append(f"{rel}: {block['csv']} does not exist")
                continue
            if block["rows"] is None:
                continue  # the figure's numbers (no table beside it)
            df = read_csv(csv, lang)
            if len(df) != len(block["rows"]):
                problems.append(f"{rel}: {csv.name} has {len(df)} rows, the table {len(block['rows'])}")
                continue
            for i, row in enumerate(block["rows"]):
                for j, c in enumerate(row):
                    if not c["num"]:
                        continue
                    shown, value = number(c["text"], lang), df.iloc[i, j]
                    if shown is None:
                        ok = value != value  # a missing value: empty in the CSV
                    else:
                        ok = value == value and abs(float(value) - shown) < 1e-6 * max(1.0, abs(shown))
                    if not ok:
                        problems.append(f"{rel}: {csv.name} row {i + 1} column {j + 1}: {value!r} vs {c['text']!r}")
            checked += 1
    assert not problems, "\n".join(problems[:30])
    assert checked >= 46


@pytest.mark.parametrize("rel", ["index.html", "mallit/index.html", "indikaattorit/osuus_65_hyvinvointialue_2024.html", "alueet/15.html"])
def test_the_language_switch_lands_on_the_same_page(refreshed, tab, rel):
    site = refreshed / "site"
    tab.visit(site / rel, settle=False)
    tab.page.click("nav.kielet a[hreflang=sv]")
    tab.page.wait_for_load_state("load")
    assert urldefrag(tab.page.url)[0] == (site / "sv" / rel).as_uri()
    assert tab.page.evaluate("document.documentElement.lang") == "sv"
    tab.page.click("nav.kielet a[hreflang=en]")
    tab.page.wait_for_load_state("load")
    assert urldefrag(tab.page.url)[0] == (site / "en" / rel).as_uri()
    tab.page.click("nav.kielet a[hreflang=fi]")
    tab.page.wait_for_load_state("load")
    assert urldefrag(tab.page.url)[0] == (site / rel).as_uri()


def test_model_view_keeps_the_choice_in_the_url(refreshed, tab):
    page = refreshed / "site" / "mallit" / "index.html"
    shown = "() => [...document.querySelectorAll('figure.svgkartta')].filter(f => !f.hidden).map(f => f.dataset.model)"
    rows = "() => [...document.querySelectorAll('tr[data-model]')].filter(r => !r.hidden).map(r => r.dataset.model)"
    seen = tab.visit(page, hash="#rakenne_2021,malli_18_1,jarjesto_2_0")
    assert not seen["errors"] and not seen["outside"]
    assert tab.page.evaluate(shown) == ["rakenne_2021", "malli_18_1", "jarjesto_2_0"]  # in the order of the link
    assert set(tab.page.evaluate(rows)) == {"rakenne_2021", "malli_18_1", "jarjesto_2_0"}
    assert tab.page.is_disabled("input[value=koordinoimaton]")  # three is the most
    tab.page.keyboard.press("Tab")
    tab.page.focus("input[value=jarjesto_2_0]")
    tab.page.keyboard.press("Space")  # keyboard works: unchecks the third
    assert tab.page.evaluate("location.hash") == "#rakenne_2021,malli_18_1"
    tab.page.check("input[value=koordinoimaton]")
    assert tab.page.evaluate("location.hash") == "#rakenne_2021,malli_18_1,koordinoimaton"
    assert tab.page.evaluate(shown) == ["rakenne_2021", "malli_18_1", "koordinoimaton"]
    tab.page.click("nav.kielet a[hreflang=sv]")  # the same choice in Swedish
    tab.page.wait_for_load_state("load")
    assert tab.page.url == (refreshed / "site" / "sv" / "mallit" / "index.html").as_uri() + "#rakenne_2021,malli_18_1,koordinoimaton"
    assert tab.page.evaluate(shown) == ["rakenne_2021", "malli_18_1", "koordinoimaton"]
    tab.visit(page, settle=False)  # no hash: the default pair
    assert tab.page.evaluate(shown) == ["malli_18_1", "malli_5_1_erva2020"]
