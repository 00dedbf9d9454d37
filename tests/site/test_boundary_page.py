"""The municipalities' boundary page (helpers.site.boundary_pages): the largest and the smallest ten as charts, all
308 in a table that a search box filters; and the map-class check the every-page browser test calls
(tests/site/map_checks.py), on the refreshed collaborative areas' indicator page and on a page that breaks it."""

import json
import re

import pytest

from tests.site.map_checks import map_class_problems

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def municipal_page(tmp_path_factory):
    import os

    from helpers.site.boundary_pages import write_boundary_page

    saved = os.environ.get("SOTE_OUTPUTS_DIR")
    os.environ["SOTE_OUTPUTS_DIR"] = str(tmp_path_factory.mktemp("kunnat"))
    try:
        yield write_boundary_page("kunta", 2025, langs=("fi",))
    finally:
        if saved is None:
            os.environ.pop("SOTE_OUTPUTS_DIR", None)
        else:
            os.environ["SOTE_OUTPUTS_DIR"] = saved


def _figures(html: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(r'class="plotly-figure">(.*?)</script>', html, re.S)]


def test_municipal_page_shows_the_ten_largest_and_smallest_and_a_table_of_all(municipal_page):
    html = municipal_page.read_text(encoding="utf-8")
    figures = _figures(html)
    assert len(figures) == 3  # the map, the largest ten, the smallest ten
    largest, smallest = (f["data"][0] for f in figures[1:])
    assert len(largest["y"]) == len(smallest["y"]) == 10
    assert largest["y"][-1] == "Helsinki" and largest["text"][-1] == "684\u00a0018\u00a0henkeä"  # largest on top
    assert min(largest["x"]) > max(smallest["x"])
    assert "Kaikki kunnat" not in html and "Kuntia" not in html  # a municipality is one municipality: its population instead
    body = html[html.index("id='kuntahaku-taulu'"):]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body[body.index("<tbody>"):body.index("</tbody>")])
    assert len(rows) == 308
    assert "<td>091</td><td>Helsinki</td><td class='num'>684\u00a0018</td>" in rows
    assert "<tr data-haku='Helsinki'><td>091</td>" in body
    assert "<p class='suodatin' hidden>" in html and "<input type='search' id='kuntahaku-kentta'" in html
    assert re.search(r"<script src='\.\./assets/taulukkohaku\.js' defer></script>", html)
    assert (municipal_page.parents[1] / "assets" / "taulukkohaku.js").is_file()


def test_the_search_filters_the_rows_and_the_table_is_whole_without_it(municipal_page, chromium_browser):
    page = chromium_browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
        page.goto(municipal_page.as_uri())
        page.fill("#kuntahaku-kentta", "kuopio")
        shown = page.eval_on_selector_all("#kuntahaku-taulu tbody tr", "rs => rs.filter(r => !r.hidden).map(r => r.cells[1].textContent)")
        assert shown == ["Kuopio"] and page.text_content("#kuntahaku-tila") == "Näkyvissä 1/308 kuntaa"
        page.fill("#kuntahaku-kentta", "")
        assert page.eval_on_selector_all("#kuntahaku-taulu tbody tr:not([hidden])", "rs => rs.length") == 308
        # the page is about as tall as the other boundary pages, not 17 700 px
        assert page.evaluate("document.documentElement.scrollHeight") < 3000
    finally:
        page.close()
    quiet = chromium_browser.new_context(java_script_enabled=False)
    try:
        p = quiet.new_page()
        p.goto(municipal_page.as_uri())
        assert p.eval_on_selector_all("#kuntahaku-taulu tbody tr:not([hidden])", "rs => rs.length") == 308
        assert not p.is_visible("#kuntahaku-kentta")  # no box that does nothing
    finally:
        quiet.close()


@pytest.mark.notebook
def test_map_class_check_passes_the_collaborative_areas(refreshed, chromium_browser):
    page = chromium_browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
        page.goto((refreshed / "site" / "indikaattorit" / "osuus_65_yhteistyoalue_2024.html").as_uri())
        page.wait_for_selector("#sr-svg-kartta path")
        assert page.eval_on_selector_all("#sr-svg-kartta path", "ps => new Set(ps.map(p => p.getAttribute('fill'))).size") == 6
        assert map_class_problems(page) == []
    finally:
        page.close()


def test_map_class_check_catches_two_values_in_one_colour(chromium_browser, tmp_path):
    broken = tmp_path / "kartta.html"
    broken.write_text("<!DOCTYPE html><meta charset='utf-8'><svg class='kartta' width='100' height='100'>"
                      "<path d='M0 0L10 0L10 10Z' fill='#fde725'><title>Etelä-Suomi: 20,8 %</title></path>"
                      "<path d='M20 0L30 0L30 10Z' fill='#fde725'><title>Pohjois-Suomi: 24,3 %</title></path>"
                      "<path d='M40 0L50 0L50 10Z' fill='#d9d9d9'><title>A: ei tietoa</title></path>"
                      "<path d='M60 0L70 0L70 10Z' fill='#d9d9d9'><title>B: ei tietoa</title></path></svg>", encoding="utf-8")
    page = chromium_browser.new_page()
    try:
        page.goto(broken.as_uri())
        assert map_class_problems(page) == ["SVG map 1: Etelä-Suomi (20,8 %) and Pohjois-Suomi (24,3 %) share the colour #fde725"]
    finally:
        page.close()
