"""The region profile's comparison and its per-model rows, on the refreshed site: the trend data equal the tidy
indicator tables, the per-model rows equal the scorecard's numbers under the common staffing rule, and in a real
browser (network blocked) the picker adds two regions, the address keeps them, a new page opened at that address
shows the same comparison, and the values shown are Python's."""

import json
import re

import pytest

from helpers.base import config
from helpers.base.numbers import NBSP

pytestmark = [pytest.mark.notebook]

PAGE = "alueet/07.html"
ADDED = ("19", "90")


def _column(decision: dict, model: str) -> tuple[list[str], dict]:
    for c in decision["columns"]:
        if c["id"] == model:
            return [str(u) for u in c["unit_codes"]], c
    return [str(u) for u in decision["others"][model]["unit_codes"]], decision["others"][model]


def test_trend_data_are_the_tidy_tables_and_mark_the_2023_break(refreshed):
    from helpers.tables.indicators import indicator_table

    data = json.loads((refreshed / "site" / "data" / "alueet.json").read_text(encoding="utf-8"))
    pop = indicator_table("vaesto", [2023, 2024], level="hyvinvointialue", division_year=2025)
    country = indicator_table("vaesto", [2023, 2024], level="koko_maa", division_year=2025).set_index("year").loc[[2024]]
    for code in ("07", *ADDED):
        series = dict(map(tuple, data["series"]["vaesto"][code]))
        assert series[2024] == pop.loc[(pop["area_code"] == code) & (pop["year"] == 2024), "value"].item()
        assert min(series) == 1972 and len(series) == 2024 - 1972 + 1  # the 1972-2023 series, then 11re
    assert dict(map(tuple, data["series"]["vaesto"]["SSS"]))[2024] == country["value"].item() == 5_635_971
    sotka = indicator_table("sotkanet_683", [2021, 2022, 2023], level="hyvinvointialue", division_year=2025)
    assert [v for _, v in data["series"]["sotkanet_683"]["19"]] == sotka[sotka["area_code"] == "19"].sort_values("year")["value"].tolist()
    # data/sarjakatkot.csv: the organiser changed in 2023 for the welfare regions, not for Helsinki or Åland.
    assert "07" in data["break_areas"]["vaesto"]["2023"] and "90" not in data["break_areas"]["vaesto"]["2023"]
    assert [b["kind"] for b in data["breaks"]] == ["organiser"]


def test_each_model_row_is_the_scorecards_unit(refreshed):
    """Keski-Suomi: every model file has a row; its unit's residents, person-years and associations per person-year
    under the common rule are those tulostaulu publishes (data/tulostaulu.json, ``decision``)."""
    from helpers.models.model_files import model_names
    from helpers.site.build import profile_staffing

    site = refreshed / "site"
    decision = json.loads((site / "data" / "tulostaulu.json").read_text(encoding="utf-8"))["decision"]
    rows = profile_staffing(2025)
    own = rows[rows["region_code"] == "15"]
    assert set(own["model_id"]) == set(model_names())
    assert len(own[own["model_id"] == "malli_5_1_erva2020"]) == 2  # Jämsä lay in the Tampere erva in 2020
    checked = 0
    for r in own.itertuples():
        if r.model_id not in {c["id"] for c in decision["columns"]} | set(decision["others"]):
            assert not r.staffing_applies  # the scorecard's rule does not cover it: no person-years shown
            continue
        codes, col = _column(decision, r.model_id)
        i = codes.index(r.unit_code)
        seats = col["variants"]["floor"]["seats"] if "variants" in col else col["seats"]["floor"]
        if seats is None:
            assert not r.feasible and r.workers is pd_na()
            continue
        assert r.workers == seats[i]
        if "population" in col:
            assert r.population == col["population"][i]
            assert r.associations_per_worker == pytest.approx(col["associations"][i] / seats[i])
        checked += 1
    assert checked >= 4
    page = (site / "alueet" / "15.html").read_text(encoding="utf-8")
    assert "Sama sääntö kaikille malleille: 18+1-esityksen 18 alueellista henkilötyövuotta" in page
    assert f"<td>5+1 (yhteistyöalueet, sovitus)</td><td>Itä-Suomen yhteistyöalue</td><td class='num'>814{NBSP}394</td><td class='num'>3</td><td class='num'>378</td>" in page


def pd_na():
    import pandas as pd

    return pd.NA


def _shown(page) -> dict:
    """The comparison table as the reader sees it: row indicator -> [cell text per area], and the areas."""
    return page.evaluate("""() => ({areas: document.getElementById('pv-vertailu').getAttribute('data-areas'),
        rows: Object.fromEntries([...document.querySelectorAll('table.pv-yhteenveto tbody tr')].map(tr =>
            [tr.getAttribute('data-indicator'), [...tr.querySelectorAll('td[data-area]')].map(td => td.textContent)]))})""")


@pytest.mark.browser
def test_picker_address_and_values_in_a_real_browser(refreshed, chromium_browser):
    from helpers.tables.indicators import indicator_table

    site = refreshed / "site"
    shots = config.PROJECT_ROOT / "outputs" / "screenshots-profiles"
    outside = []

    def tab(width, height=900):
        context = chromium_browser.new_context(viewport={"width": width, "height": height}, service_workers="block")
        context.route(lambda url: not url.startswith(("file:", "data:")), lambda route: (outside.append(route.request.url), route.abort()))
        page = context.new_page()
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        return context, page, errors

    context, page, errors = tab(1280)
    page.goto((site / PAGE).as_uri())
    page.wait_for_selector("#pv-vertailu[data-ready]")
    assert page.locator("#pv-ilman").is_hidden()
    page.select_option("#pv-valinta-1", ADDED[0])
    page.select_option("#pv-valinta-2", ADDED[1])
    address = page.url
    assert address.endswith("#vertaa=19,90")
    first = _shown(page)
    assert first["areas"] == "07,19,90,SSS"
    # Map: the added regions coloured like their lines.
    assert page.evaluate("() => document.querySelector(\"#pv-kartta path[data-code='19']\").style.fill") != ""
    context.close()

    context, page, errors2 = tab(1280)
    page.goto(address)  # the copied address in a new page
    page.wait_for_selector("#pv-vertailu[data-ready]")
    again = _shown(page)
    assert again == first
    assert page.eval_on_selector("#pv-valinta-1", "s => s.value") == "19"
    # The values shown are Python's: population 31.12.2024 of each region and the whole country.
    pop = indicator_table("vaesto", [2023, 2024], level="hyvinvointialue", division_year=2025).query("year == 2024").set_index("area_code")["value"]
    country = indicator_table("vaesto", [2023, 2024], level="koko_maa", division_year=2025).set_index("year").loc[[2024]]["value"].item()
    expected = [pop["07"], pop["19"], pop["90"], country]
    assert [int(re.sub(r"\D", "", t)) for t in again["rows"]["vaesto"]] == [int(v) for v in expected]
    assert len(page.locator("svg.pv-kaavio").all()) == 2  # population 1972-2024 and Sotkanet 683 2021-2023
    assert page.locator("svg.pv-kaavio line.pv-katko").count() == 2  # the 2023 change of organiser on both
    assert len(page.locator("#pv-kartta path").all()) == 23
    context.close()

    for lang, width in (("fi", 360), ("fi", 1280), ("en", 360), ("en", 1280)):
        rel = PAGE if lang == "fi" else f"{lang}/{PAGE}"
        context, page, errors3 = tab(width, 740 if width == 360 else 900)
        page.goto((site / rel).as_uri() + "#vertaa=19,90")
        page.wait_for_selector("#pv-vertailu[data-ready]")
        assert page.evaluate("() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)") <= width
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"alueet__07__{lang}__{width}.png"), full_page=True)
        errors += errors3
        context.close()
    assert not outside and not errors and not errors2, (outside, errors, errors2)


def test_the_comparison_data_are_built_once_and_read_back_while_their_answers_hold(monkeypatch):
    # every profile run and the site step ask for them (53 ms a build, measured): kept like the tables they come from
    from helpers.site import build

    first = build.compare_data(2025)
    monkeypatch.setattr(build, "_compare_data", lambda year: pytest.fail("built again"))
    again = build.compare_data(2025)
    assert again == first and again is not first
    assert dict(map(tuple, again["series"]["vaesto"]["SSS"]))[2024] == 5_635_971
