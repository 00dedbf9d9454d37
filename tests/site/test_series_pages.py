"""Indicator pages over every year (helpers.site.indicator_pages.write_series_page) in the refreshed site: the years,
the 2023 reform marked, the CSV of every year with its break column and numbers equal to the raw recorded answers,
the first visit's bytes, and in Chromium (network blocked) the year control changing map, address and table."""

import json
import re

import pytest

from helpers.site.downloads import read_csv
from helpers.geo.groupings import grouping_layer

from tests.tables.test_series import ORGANISER, _current, _pre2026

pytestmark = pytest.mark.notebook

POPULATION = "indikaattorit/vaesto_hyvinvointialue_2024.html"
SOTKANET = "indikaattorit/sotkanet_683_hyvinvointialue_2023.html"
FIRST_VISIT_LIMIT = 300_000


def page_data(path) -> dict:
    html = path.read_text(encoding="utf-8")
    return json.loads(re.search(r'<script type="application/json" id="sr-data">(.*?)</script>', html, re.S).group(1))


def test_population_page_covers_1972_2024_with_the_reform_marked(refreshed):
    page = refreshed / "site" / POPULATION
    html = page.read_text(encoding="utf-8")
    assert "<h1>Väkiluku 31.12. 1972–2024</h1>" in html
    data = page_data(page)
    assert data["years"] == list(range(1972, 2025)) and data["year"] == 2024
    [reform] = data["breaks"]
    assert reform["y"] == 2023 and not reform["gap"] and reform["label"] == ORGANISER
    assert set(reform["areas"]) == {f"{i:02d}" for i in range(1, 22)}  # not Helsinki (90), not Åland (91)
    assert "kaikki alueet paitsi Helsingin kaupunki, Ahvenanmaa" in html
    # the pre-drawn map: every region of the layer, and no plotly on the page
    assert html.count("class='sr-alue'") == len(grouping_layer("hyvinvointialue", 2025)) == 23
    assert "plotly" not in html
    old, new = _pre2026(), _current()
    assert data["v"]["90"][data["years"].index(1972)] == old[("KU091", 1972)]
    assert data["v"]["90"][data["years"].index(2024)] == new[("KU091", 2024)]


def test_population_csv_holds_every_year_with_its_break_column(refreshed):
    page = refreshed / "site" / POPULATION
    csv = read_csv(page.with_name(page.stem + ".arvot.csv"), "fi")
    assert list(csv.columns[:4]) == ["Vuosi", "Alue", "Arvo (henkeä)", "Sarjakatko"]
    assert len(csv) == 53 * 23 and sorted(set(csv["Vuosi"])) == list(range(1972, 2025))
    assert set(csv.loc[csv["Sarjakatko"].fillna("") != "", "Vuosi"]) == {2023}
    assert set(csv["table"]) == {"vaerak/statfin_vaerak_pxt_11re", "11re"}
    old, new = _pre2026(), _current()
    value = csv.assign(area_code=csv["area_code"].astype(str).str.zfill(2)).set_index(["area_code", "Vuosi"])["Arvo (henkeä)"]
    assert value[("90", 1985)] == old[("KU091", 1985)]
    assert value[("90", 2023)] == new[("KU091", 2023)] == old[("KU091", 2023)]
    english = read_csv(refreshed / "site" / "en" / POPULATION.replace(".html", ".arvot.csv"), "en")
    assert len(english) == 53 * 23 and set(english["Series break"].fillna("")) == {"", "organiser changed 2023"}
    en_page = refreshed / "site" / "en" / POPULATION
    assert [b["label"] for b in page_data(en_page)["breaks"]] == ["organiser changed 2023"]
    assert "every area but City of Helsinki, Åland" in en_page.read_text(encoding="utf-8")


def test_sotkanet_683_page_covers_2021_2023(refreshed):
    page = refreshed / "site" / SOTKANET
    data = page_data(page)
    assert data["years"] == [2021, 2022, 2023]
    assert [b["y"] for b in data["breaks"]] == [2023]
    csv = read_csv(page.with_name(page.stem + ".arvot.csv"), "fi")
    assert len(csv) == 3 * 23 and "Sarjakatko" in csv.columns and "value_flags" in csv.columns


def test_first_visit_of_an_indicator_page_stays_small(refreshed):
    site = refreshed / "site"
    assets = sum((site / "assets" / name).stat().st_size for name in ("site.js", "site.css", "series.js"))
    for rel in (POPULATION, SOTKANET, "indikaattorit/osuus_65_kunta_2024.html"):
        html = (site / rel).read_text(encoding="utf-8")
        assert "assets/series.js" in html and "plotly" not in html, rel
        total = (site / rel).stat().st_size + assets
        assert total <= FIRST_VISIT_LIMIT, (rel, total)


@pytest.mark.browser
def test_the_year_control_changes_map_address_and_table(refreshed, chromium_browser):
    page_path = refreshed / "site" / POPULATION
    context = chromium_browser.new_context(viewport={"width": 360, "height": 740}, service_workers="block")
    outside, errors = [], []
    page = context.new_page()
    page.route(lambda url: not url.startswith(("file:", "data:")), lambda route: (outside.append(route.request.url), route.abort()))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(page_path.as_uri(), wait_until="load")
        page.wait_for_selector("#sr-svg-kaavio[data-ready]")
        fill = "code => document.querySelector(`path.sr-alue[data-code='${code}']`).getAttribute('fill')"
        shown_rows = "() => [...document.querySelectorAll('table.sarjataulu tbody tr')].filter(r => !r.hidden).map(r => [...r.cells].map(c => c.innerText))"
        data = page_data(page_path)
        colour = lambda code, year: data["colours"][next(i for i, b in enumerate(data["bins"]) if data["v"][code][data["years"].index(year)] <= b)]
        # an area whose class differs between 1972 and 2024: its colour must change with the year
        area = next(a["c"] for a in data["areas"] if colour(a["c"], 1972) != colour(a["c"], 2024))
        assert page.evaluate("location.hash") == "#v=2024"
        assert page.evaluate(fill, area) == colour(area, 2024)
        assert len(page.evaluate(shown_rows)) == 23
        page.fill("#sr-vuosi", "1972")
        page.dispatch_event("#sr-vuosi", "input")
        assert page.evaluate("location.hash") == "#v=1972"
        assert page.evaluate(fill, area) == colour(area, 1972)
        rows = page.evaluate(shown_rows)
        assert len(rows) == 23 and {r[0] for r in rows} == {"1972"}
        helsinki = next(r for r in rows if r[1] == "Helsingin kaupunki")
        assert helsinki[2].replace("\u00a0", " ") == f"{int(_pre2026()[('KU091', 1972)]):,}".replace(",", " ")
        page.click("#sr-seuraava")
        assert page.evaluate("location.hash") == "#v=1973"
        # an address with a year and areas: the year shown, the areas highlighted, the language links carry it
        page.goto(page_path.as_uri() + "#v=2023&a=90,12", wait_until="load")
        page.wait_for_selector("#sr-svg-kaavio[data-ready]")
        assert page.input_value("#sr-vuosi") == "2023" and page.inner_text("#sr-karttavuosi") == "2023"
        assert page.evaluate("document.querySelectorAll('#sr-valitut button').length") == 2
        assert page.evaluate("document.querySelectorAll('#sr-svg-kaavio .sr-katko').length") == 1
        assert page.get_attribute("nav.kielet a[hreflang=en]", "href").endswith("#v=2023&a=90,12")
        assert page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)") <= 360
        assert not outside and not errors, (outside, errors)
    finally:
        context.close()


@pytest.mark.browser
def test_small_numbers_and_rank_ranges_follow_the_year(refreshed, chromium_browser, tmp_path, monkeypatch):
    """The script marks small numerators on the map for the year shown and says how many ranks are unsure that year
    (the counts from the page's own data, which tests/tables/test_small_numbers.py checks against the raw answers)."""
    from helpers.site.indicator_pages import write_indicator_page

    monkeypatch.setenv("SOTE_OUTPUTS_DIR", str(tmp_path / "outputs"))
    municipal = write_indicator_page("osuus_0_14", 2024, level="kunta", division_year=2025, years=[2024], langs=("fi",))
    sotkanet = refreshed / "site" / SOTKANET
    unsure = page_data(sotkanet)["unsure"]
    context = chromium_browser.new_context(viewport={"width": 360, "height": 740}, service_workers="block")
    errors = []
    page = context.new_page()
    page.route(lambda url: not url.startswith(("file:", "data:")), lambda route: route.abort())
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(municipal.as_uri(), wait_until="load")
        page.wait_for_function("document.getElementById('sr-ilman').hidden")
        marked = page.evaluate("[...document.querySelectorAll('path.sr-alue.sr-pieni')].map(p => [p.dataset.code, p.textContent])")
        assert sorted(c for c, _ in marked) == ["318", "766"]  # Kökar, Sottunga
        assert "95 %:n väli 2,7–9,2; osoittaja alle 20" in dict(marked)["318"]
        assert page.inner_text("#sr-epavarma") == "Vuonna 2024 308/308 alueen sija voisi satunnaisvaihtelun rajoissa olla toinen."
        page.goto(sotkanet.as_uri() + "#v=2021", wait_until="load")
        page.wait_for_selector("#sr-svg-kaavio[data-ready]")
        k, n = unsure["2021"]
        assert n == 23 and 0 < k <= n
        assert page.inner_text("#sr-epavarma") == f"Vuonna 2021 {k}/{n} alueen sija voisi satunnaisvaihtelun rajoissa olla toinen."
        assert page.evaluate("document.querySelectorAll('path.sr-alue.sr-pieni').length") == 0
        assert not errors, errors
    finally:
        context.close()
