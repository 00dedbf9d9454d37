"""The model view's indicator on the chosen models' units, in headless Chromium (network blocked): the map colours,
the legend and the table the page's script draws match values computed here by hand from the recorded raw answers
(sum of numerators over sum of denominators on each model's municipalities)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from helpers.base.words import unit_text
from helpers.models.unit_indicators import OUTSIDE_CODE
from tests.conftest import FIXTURE_MIRROR
from tests.site.test_browser import PHONE, browser, number, phone, tab  # noqa: F401  (fixtures: the same tabs as test_browser)

pytestmark = [pytest.mark.browser, pytest.mark.notebook]

PAIR = ["malli_18_1", "malli_5_1_erva2020"]


UNIT_COLUMN = {"malli_18_1": "maakunta_code", "malli_5_1_erva2020": "erva2020_code"}
SHOWN = """() => [...document.querySelectorAll('.arvo-malli')].filter(b => !b.hidden).map(b => ({
  model: b.dataset.model,
  mapHidden: b.querySelector('figure.arvokartta').hidden,
  fills: Object.fromEntries([...b.querySelectorAll('.arvokuva path.yksikko')].map(p => [p.dataset.unit, p.getAttribute('fill')])),
  rows: [...b.querySelectorAll('table.arvotaulukko tbody tr')].map(r => [r.dataset.unit, r.querySelector('td.arvo').innerText]),
  legend: [...b.querySelectorAll('ol.selite li')].map(li => [li.querySelector('rect').getAttribute('fill'), li.innerText.trim()]),
  legendTitle: b.querySelector('.selite-otsikko').innerText,
  caption: b.querySelector('table.arvotaulukko caption').innerText,
  source: b.querySelector('figure.arvokartta p.lahde').innerText}))"""


def hand_ratio(numerator: str, denominator: str) -> dict[str, dict[str, float]]:
    """Model -> unit -> 100 × sum(numerator) / sum(denominator) over its municipalities (Åland: outside)."""
    wfs = json.loads((FIXTURE_MIRROR / "stat" / "wfs" / "vaestoalue_kunta_vaki2024.json").read_text(encoding="utf-8"))
    people = pd.DataFrame([f["properties"] for f in wfs["features"]]).rename(columns={"kunta": "kunta_code"})
    key = pd.read_csv(FIXTURE_MIRROR / "geo" / "municipality_key_2025.csv", dtype=str).merge(people, on="kunta_code")
    out = {}
    for model, column in UNIT_COLUMN.items():
        unit = key[column].where(key["mainland"] == "True", OUTSIDE_CODE)
        sums = key.groupby(unit)[[numerator, denominator]].sum()
        out[model] = (sums[numerator] / sums[denominator] * 100).to_dict()
    return out


def page_data(tab) -> dict:
    return json.loads(tab.page.eval_on_selector("#mallit-indikaattorit", "e => e.textContent"))


def expected_colour(value: float, classes: list[dict]) -> str:
    # The class is the first whose upper bound is at or above the value (the top class above the last bound).
    return next((c["colour"] for c in classes if value <= c["upper"]), classes[-1]["colour"])


@pytest.mark.parametrize(("indicator", "numerator", "denominator"),
                         [("vanhushuoltosuhde", "ika_65_", "ika_15_64"), ("osuus_65", "ika_65_", "vaesto")])
def test_indicator_on_18_1_and_5_1_units_matches_a_hand_computation(refreshed, tab, indicator, numerator, denominator):
    page = refreshed / "site" / "mallit" / "index.html"
    seen = tab.visit(page, hash="#" + ",".join(PAIR), settle=False)
    assert not seen["errors"] and not seen["outside"]
    other = "vaesto" if indicator != "vaesto" else "osuus_65"
    tab.page.select_option("#indikaattori-valinta", other)  # a change and back: the script redraws from its data
    tab.page.select_option("#indikaattori-valinta", indicator)
    data = page_data(tab)
    meta = data["indicators"][indicator]
    assert meta["year"] == 2024 and 5 <= len(meta["classes"]) <= 9  # few-unit models keep their values apart
    expected = hand_ratio(numerator, denominator)
    shown = tab.page.evaluate(SHOWN)
    assert [b["model"] for b in shown] == PAIR
    for box in shown:
        model, want = box["model"], expected[box["model"]]
        assert not box["mapHidden"]
        assert set(box["fills"]) == set(want) - {OUTSIDE_CODE}  # every mainland unit drawn, Åland not on the map
        for unit, colour in box["fills"].items():
            assert colour == expected_colour(want[unit], meta["classes"]), (model, unit)
        assert {u for u, _ in box["rows"]} == set(want)  # Åland has its own row
        for unit, text in box["rows"]:
            assert number(text, "fi") == pytest.approx(round(want[unit], 1), abs=1e-9), (model, unit, text)
            assert re.fullmatch(r"\d+,\d" + ("\u00a0%" if indicator == "osuus_65" else ""), text), text  # decimal comma
        assert [c for c, _ in box["legend"]] == [c["colour"] for c in meta["classes"]]
        assert [t for _, t in box["legend"]] == [c["label"] for c in meta["classes"]]
        # the unit in the reader's words (helpers.base.words), not the catalogue's shorthand "65+/100 15–64"
        assert "2024" in box["legendTitle"] and ("%" in box["legendTitle"] or unit_text("65+/100 15–64", "fi") in box["legendTitle"])
        assert box["caption"].startswith(data["labels"][model]) and "2024" in box["caption"]
        assert "Tilastokeskus" in box["source"] and "CC BY 4.0" in box["source"]


def test_english_page_and_phone_width(refreshed, phone):
    page = refreshed / "site" / "en" / "mallit" / "index.html"
    seen = phone.visit(page, hash="#" + ",".join(PAIR), settle=False)
    assert not seen["errors"] and not seen["outside"]
    phone.page.select_option("#indikaattori-valinta", "vanhushuoltosuhde")
    box = phone.page.evaluate(SHOWN)[0]
    want = hand_ratio("ika_65_", "ika_15_64")["malli_18_1"]
    for unit, text in box["rows"]:
        assert number(text, "en") == pytest.approx(round(want[unit], 1), abs=1e-9) and re.fullmatch(r"\d+\.\d", text), text
    assert "year 2024" in box["legendTitle"]
    width = phone.page.evaluate("() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    assert width <= PHONE["width"]
    # A count sums: the population of the 18+1 units adds up to the country's (the page's own numbers).
    phone.page.select_option("#indikaattori-valinta", "vaesto")
    data = page_data(phone)
    units = data["models"]["malli_18_1"]["values"]["vaesto"]
    wfs = json.loads((FIXTURE_MIRROR / "stat" / "wfs" / "vaestoalue_kunta_vaki2024.json").read_text(encoding="utf-8"))
    total = sum(f["properties"]["vaesto"] for f in wfs["features"])
    assert sum(v for v, _ in units) + data["models"]["malli_18_1"]["outside"]["vaesto"][0] == total
