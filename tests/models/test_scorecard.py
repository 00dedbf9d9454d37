"""PRH associations, the staffing convention 'as in the source', the scorecard, its findings and the site data."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from helpers.models import associations, findings, partitions, scorecard, site_data
from helpers.base.errors import InvalidParameter, ValidationError
from helpers.models.metrics import STAFFING, STAFFING_LABELS, model_summary, unit_metrics
from helpers.base.numbers import fmt_number


@pytest.fixture(scope="module")
def card():
    return scorecard.scorecard(references=partitions.optimum_models((5, 6)))


def test_prh_table_totals_as_in_the_file():
    t = associations.prh_table()
    by = t.groupby("as_of")[["c3", "total"]].sum()
    assert by.loc["2025-01-02"].tolist() == [8150, 107851]  # Åland's 2025 total is blank, not counted
    assert by.loc["2024-01-02"].tolist() == [7874, 106066]
    assert by.loc["2022-08-31"].tolist() == [6912, 78876]
    uusimaa = t[(t["as_of"] == "2025-01-02") & (t["maakunta_code"] == "01")].iloc[0]
    assert (uusimaa["c3"], uusimaa["total"]) == (2746, 32272)
    aland = t[(t["as_of"] == "2025-01-02") & (t["maakunta_code"] == "21")].iloc[0]
    assert aland["c4"] == 163 and pd.isna(aland["c5"]) and pd.isna(aland["total"])  # cut after class 4: missing, not 0
    assert t.loc[t["as_of"] == "2022-08-31", "unclassified"].isna().all()
    assert set(t.loc[t["as_of"] == "2024-01-02", "maakunta_code"]) & {"16", "21"} == set()


def test_prh_validation_catches_a_changed_number(tmp_path, monkeypatch):
    text = associations.PRH_FILE.read_text(encoding="utf-8").replace("2025-01-02,06,Pirkanmaa,520,927,759", "2025-01-02,06,Pirkanmaa,520,927,760")
    (tmp_path / "prh.csv").write_text(text, encoding="utf-8")
    monkeypatch.setattr(associations, "PRH_FILE", tmp_path / "prh.csv")
    associations._read.cache_clear()
    try:
        with pytest.raises(ValidationError, match=r"2025-01-02 06: classes sum to 9307, total is 9306"):
            associations.prh_table()
    finally:
        associations._read.cache_clear()


def test_indicator_at_maakunta_level_keeps_gaps():
    ind = associations.sote_associations("2024-01-02").set_index("area_code")
    assert len(ind) == 19 and ind.loc["01", "value"] == 2712 and ind.loc["01", "area_name_sv"] == "Nyland"
    assert np.isnan(ind.loc["16", "value"]) and "Keski-Pohjanmaa" in ind.loc["16", "missing_reason_fi"]
    with pytest.raises(InvalidParameter, match=r"as_of='2023-01-01' is not allowed"):
        associations.sote_associations("2023-01-01")


def test_class_3_sums_for_unions_of_maakunnat_and_reasons_otherwise():
    yta = associations.by_model("malli_5_1_yta").set_index("unit_code")
    assert yta.loc["1", "sote_associations"] == 2746 + 252 + 250 + 131  # Uusimaa, Päijät-Häme, Kymenlaakso, Etelä-Karjala
    assert yta["sote_associations"].sum() == 8150 - 51  # mainland = national minus Åland
    b21 = associations.by_model("rakenne_2021").set_index("unit_code")["sote_associations"]
    assert (b21["kaakko"], b21["uusimaa"], b21["pohjoinen"]) == (633, 2746, 120 + 461 + 119 + 263)
    erva = associations.by_model("malli_5_1_erva2020").set_index("unit_code")
    assert erva.loc["1", "sote_associations"] == 3379 and np.isnan(erva.loc["2", "sote_associations"])
    assert "Pirkanmaa" in erva.loc["2", "missing_reason_fi"] and erva.loc["2", "method"] == "missing"
    est = associations.by_model("malli_5_1_erva2020", method="population_share").set_index("unit_code")
    assert est.loc["2", "method"] == "population_share" and est["sote_associations"].sum() == pytest.approx(8099)
    hva = associations.by_level("hyvinvointialue").set_index("unit_code")
    assert np.isnan(hva.loc["90", "sote_associations"]) and hva.loc["05", "sote_associations"] == 691


def test_staffing_as_in_the_source():
    assert set(STAFFING) == {"sama_per_yksikko", "sama_kokonaismaara", "lahteen_mukaan"}
    assert all(set(v) == {"fi", "sv", "en"} for v in STAFFING_LABELS.values())
    u = unit_metrics("rakenne_2021", 2025, "lahteen_mukaan").set_index("unit_code")
    assert u["regional_htv"].to_dict() == {"ita": 1, "kaakko": 1, "lansi": 1, "pohjoinen": 1, "sisa": 1, "uusimaa": 2}
    s = model_summary("rakenne_2021", 2025, "lahteen_mukaan")
    assert (s["regional_htv"], s["coordination_htv"], s["headcounts"]) == (7, 3, True)
    assert s["staffing"] == "henkilömäärät lähteen mukaan (ei henkilötyövuosia)"
    assert np.isnan(model_summary("malli_5_1_yta", 2025, "lahteen_mukaan")["total_htv"])  # the source gives none
    assert model_summary("malli_18_1", 2025, "lahteen_mukaan")["total_htv"] == 20


def test_scorecard_values(card):
    v = scorecard.value
    assert v(card, "malli_18_1__lahteen_mukaan", "units") == 18
    assert v(card, "malli_18_1__lahteen_mukaan", "total_htv") == 20
    assert v(card, "malli_18_1__lahteen_mukaan", "population_per_htv", "max") == 1_782_300  # Uusimaa 31.12.2024
    assert v(card, "malli_18_1__lahteen_mukaan", "population_per_htv", "min") == 67_723  # Keski-Pohjanmaa
    assert v(card, "malli_18_1__lahteen_mukaan", "sote_associations_per_htv", "value", "01") == 2746
    assert v(card, "malli_18_1__lahteen_mukaan", "survey_yes_pct") == 72
    assert v(card, "malli_5_1_erva2020__sama_per_yksikko", "survey_no_pct") == 54
    assert np.isnan(v(card, "rakenne_2021__lahteen_mukaan", "survey_yes_pct"))
    assert v(card, "malli_5_1_erva2020__sama_per_yksikko", "welfare_regions_split_total") == 3
    assert v(card, "rakenne_2021__lahteen_mukaan", "welfare_regions_per_htv", "value", "uusimaa") == 2.5  # 5 areas, 2 persons
    assert v(card, "rakenne_2021__lahteen_mukaan", "total_htv") == 10
    rows = card[card["scenario"] == "rakenne_2021__lahteen_mukaan"]
    assert set(rows["measure"]) == {"henkilöä"} and "henkilöä/henkilöä" not in set(rows["unit"])
    lappi = v(card, "malli_18_1__lahteen_mukaan", "longest_distance_km", "value", "19")
    assert 450 < lappi < 600 and lappi > v(card, "malli_18_1__lahteen_mukaan", "longest_distance_km", "value", "01")
    # per unit and summarised agree
    units = card[(card["scenario"] == "malli_5_1_yta__sama_per_yksikko") & (card["metric"] == "population") & (card["scope"] == "unit")]["value"]
    assert v(card, "malli_5_1_yta__sama_per_yksikko", "population", "sum") == units.sum() == 5_605_317
    assert v(card, "malli_5_1_yta__sama_per_yksikko", "population", "cv") == pytest.approx(units.std(ddof=0) / units.mean())


def test_allocations_and_optimum_in_the_scorecard(card):
    v = scorecard.value
    sc = "malli_5_1_yta__20_htv_population_webster"
    assert [v(card, sc, "regional_htv", "value", c) for c in "12345"] == [8, 3, 3, 3, 3]
    assert v(card, sc, "total_htv") == 20
    assert card.loc[card["scenario"] == sc, "scenario_label_fi"].iloc[0] == "5+1-malli, yhteistyöalueet 2023, 20 htv väestön mukaan (Sainte-Laguë)"
    assert v(card, "malli_18_1__20_htv_population_webster", "regional_htv", "value", "01") == 3
    opt5 = partitions.optimal_partition(5)
    assert v(card, "optimi_5_population__lahteen_mukaan", "population_per_htv", "max_min") == pytest.approx(opt5.ratio)
    assert v(card, "optimi_5_population__lahteen_mukaan", "welfare_regions_split_total") == 0


def test_no_raw_identifiers_in_reader_labels(card):
    for col in ("scenario_label_fi", "staffing_label_fi", "staffing_label_en", "metric_label_fi"):
        text = " ".join(card[col].unique())
        assert not re.search(r"sama_per_yksikko|sama_kokonaismaara|lahteen_mukaan|huntington_hill|_htv", text), col


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_every_sentence_is_rebuilt_from_the_scorecard(card, lang):
    found = findings.findings(card, lang)
    assert len(found) >= 10
    for f in found:
        assert not re.search(r"\d", re.sub(r"\{\w+\}", "", f["template"]))  # every number comes from the table (or a name)
        values = {f"v{i}": fmt_number(scorecard.value(card, r["scenario"], r["metric"], r["statistic"], r["unit_code"]), r["decimals"], lang)
                  for i, r in enumerate(f["refs"])}
        assert f["text"] == f["template"].format(**f["names"], **values)
    texts = [f["text"] for f in found]
    if lang == "fi":
        assert "18+1-malli (Sotunet 2020): asukkaita työntekijää kohden on 67\u00a0723–1\u00a0782\u00a0300; suurin on 26,3-kertainen" in texts[0]
        relation = next(f["text"] for f in found if f["kind"] == "relation")
        assert "”Uusimaa (neljä hyvinvointialuetta ja Helsinki)”" in relation and "Etelä-Suomen yhteistyöalue" in relation
    else:  # the 2021 build's areas (named in Finnish only in its model file) in the reader's words
        assert not any("neljä hyvinvointialuetta" in t or "Etelä-Pohjanmaa" in t for t in texts), texts
        assert any({"sv": "Nyland (fyra välfärdsområden och Helsingfors)",
                    "en": "Uusimaa (four wellbeing services counties and Helsinki)"}[lang] in t for t in texts)


def test_site_data_files(card, offline_environment):
    json_path, csv_path = site_data.write_site_data(card, partitions.distance_from_optimum((5,)))
    assert csv_path.read_bytes()[:3] == b"\xef\xbb\xbf"
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["value_fields"] == site_data.VALUE_FIELDS and len(data["values"]) == len(card)
    assert data["scenarios"]["rakenne_2021__lahteen_mukaan"]["staffing_label"]["en"] == "headcounts as in the source (not person-years)"
    assert data["findings"]["fi"] == findings.findings_text(card, "fi")
    assert json_path.stat().st_size < 2_000_000


def test_bad_notebook_parameters_are_named():
    with pytest.raises(InvalidParameter, match=r"staffing='puolet' is not allowed"):
        scorecard.check_request(["malli_18_1"], 2025, ["puolet"], 20, [5], "fi")
    with pytest.raises(InvalidParameter, match=r"ks=30 is not allowed; allowed: 2–22"):
        scorecard.check_request(["malli_18_1"], 2025, ["lahteen_mukaan"], 20, [30], "fi")


def _mean_distances_by_hand(unit_column: str) -> tuple[dict[str, float], dict[str, float]]:
    """Population-weighted mean distance (km) from each unit's population centre, from the fixture mirror's raw
    answers with plain numpy: the municipality polygons' representative points (EPSG:3067), population 31.12.2024
    (WFS vaestoalue:kunta_vaki2024) and the mirror's own municipality key. Also the unweighted mean, for contrast."""
    import shapely

    from tests.hostile_harness import FIXTURE_MIRROR

    layer = json.loads((FIXTURE_MIRROR / "geo" / "kunta4500k_2025.json").read_text(encoding="utf-8"))
    points = {f["properties"]["kunta"]: shapely.geometry.shape(f["geometry"]).representative_point() for f in layer["features"]}
    population = json.loads((FIXTURE_MIRROR / "stat" / "wfs" / "vaestoalue_kunta_vaki2024.json").read_text(encoding="utf-8"))
    people = {f["properties"]["kunta"]: float(f["properties"]["vaesto"]) for f in population["features"]}
    key = pd.read_csv(FIXTURE_MIRROR / "geo" / "municipality_key_2025.csv", dtype=str)
    key = key[key["mainland"] == "True"]
    weighted, plain = {}, {}
    for unit, codes in key.groupby(unit_column)["kunta_code"]:
        xy = np.array([(points[c].x, points[c].y) for c in codes])
        w = np.array([people[c] for c in codes])
        centre = (xy * w[:, None]).sum(axis=0) / w.sum()
        d = np.sqrt(((xy - centre) ** 2).sum(axis=1)) / 1000
        weighted[unit] = float((d * w).sum() / w.sum())
        plain[unit] = float(d.mean())
    return weighted, plain


@pytest.mark.parametrize("model, unit_column", [("hyvinvointialueittain", "hyvinvointialue_code"), ("malli_5_1_yta", "yhteistyoalue_code")])
def test_mean_distance_is_population_weighted_as_computed_by_hand(model, unit_column):
    weighted, plain = _mean_distances_by_hand(unit_column)
    got = unit_metrics(model, 2025).set_index("unit_code")["mean_distance_km"]
    assert sorted(got.index) == sorted(weighted)
    for unit, expected in weighted.items():
        assert got[unit] == pytest.approx(expected, rel=1e-9, abs=1e-9), unit
    # The hand computation tells weighting apart: an unweighted mean is off by kilometres in some unit.
    assert max(abs(weighted[u] - plain[u]) for u in weighted) > 5
