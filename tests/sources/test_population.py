"""The WFS population layer (helpers.sources.population) refuses rows whose numbers cannot be populations, even when
the parts still add up to the total. Each case edits a copy of the fixture answer in a temporary mirror."""

import json

import pytest

from helpers.base.errors import ValidationError
from helpers.sources.population import municipal_population_wfs
from helpers.tables.indicators import indicator_table

from tests.conftest import FIXTURE_MIRROR

WFS = "stat/wfs/vaestoalue_kunta_vaki2024.json"
WFS_GET = ("GET https://geo.stat.fi/geoserver/vaestoalue/wfs?service=WFS&version=2.0.0&request=GetFeature"
           "&typeName=vaestoalue%3Akunta_vaki2024&outputFormat=application%2Fjson")
COUNTS = ("vaesto", "miehet", "naiset", "ika_0_14", "ika_15_64", "ika_65_")


def _features(root):
    return json.loads((root / WFS).read_text(encoding="utf-8"))


def _edit(mirror, change):
    data = _features(mirror)
    change(data["features"])
    (mirror / WFS).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _alajarvi(features):
    [props] = [f["properties"] for f in features if f["properties"]["kunta"] == "005"]
    return props


def test_the_untouched_answer_gives_alajarvi_as_recorded():
    recorded = _alajarvi(_features(FIXTURE_MIRROR)["features"])
    assert [recorded[c] for c in COUNTS] == [9078, 4575, 4503, 1435, 4778, 2865]
    row = municipal_population_wfs(2024).set_index("kunta_code").loc["005"]
    assert (row["population_total"], row["population_65_plus"]) == (9078, 2865)
    share = indicator_table("osuus_65", [2024], level="kunta").set_index("area_code").loc["005", "value"]
    assert share == pytest.approx(2865 / 9078 * 100)


def test_a_negative_municipality_whose_parts_still_add_up_is_an_error(mirror_copy):
    def negate(features):
        props = _alajarvi(features)
        for c in COUNTS:
            props[c] = -props[c]

    _edit(mirror_copy, negate)
    with pytest.raises(ValidationError) as caught:
        municipal_population_wfs(2024)
    assert str(caught.value) == (
        f"Tilastokeskus WFS vaestoalue:kunta_vaki2024 ({WFS_GET}): counts must be whole numbers ≥ 0: area 005 year 2024 "
        "(population_total = -9078, population_men = -4575, population_women = -4503, population_0_14 = -1435, "
        "population_15_64 = -4778, population_65_plus = -2865)")
    with pytest.raises(ValidationError, match="area 005 year 2024"):
        indicator_table("osuus_65", [2024], level="hyvinvointialue")


def test_a_duplicated_municipality_is_an_error(mirror_copy):
    _edit(mirror_copy, lambda features: features.append(json.loads(json.dumps([f for f in features if f["properties"]["kunta"] == "005"][0]))))
    with pytest.raises(ValidationError, match=r"\): rows not unique \(area\): area 005 ×2$"):
        municipal_population_wfs(2024)


def test_a_fractional_count_is_an_error(mirror_copy):
    def half(features):
        props = _alajarvi(features)
        props["ika_65_"] += 0.5
        props["ika_15_64"] -= 0.5

    _edit(mirror_copy, half)
    with pytest.raises(ValidationError, match=r"area 005 year 2024 \(population_15_64 = 4777\.5, population_65_plus = 2865\.5\)$"):
        municipal_population_wfs(2024)


def test_the_table_is_parsed_once_per_answer_and_each_caller_gets_its_own_copy(mirror_copy, monkeypatch):
    from helpers.sources import population

    monkeypatch.setattr(population, "_PARSED", {})
    parsed = []
    real_parse = population._parse
    monkeypatch.setattr(population, "_parse", lambda answer, year: parsed.append(year) or real_parse(answer, year))
    first = municipal_population_wfs(2024)
    first.loc[0, "population_total"] = -1
    again = municipal_population_wfs(2024)
    assert parsed == [2024]
    assert again.set_index("kunta_code").loc["005", "population_total"] == 9078 and again.loc[0, "population_total"] != -1
    assert again.attrs["provenance"]["sha256"] == first.attrs["provenance"]["sha256"]

    def halve_alajarvi(features):  # other bytes: parsed (and checked) again
        props = _alajarvi(features)
        for c in COUNTS:
            props[c] //= 2
        props["vaesto"] = props["ika_0_14"] + props["ika_15_64"] + props["ika_65_"]
        props["miehet"] = props["vaesto"] - props["naiset"]

    _edit(mirror_copy, halve_alajarvi)
    changed = municipal_population_wfs(2024)
    assert parsed == [2024, 2024]
    assert changed.set_index("kunta_code").loc["005", "population_total"] == 717 + 2389 + 1432
    assert changed.attrs["provenance"]["sha256"] != first.attrs["provenance"]["sha256"]
