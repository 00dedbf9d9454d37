import json

import geopandas as gpd
import pandas as pd
import pandera.pandas as pa
import pytest

from helpers.tables import indicators
from helpers.tables.aggregate import aggregate
from helpers.base.errors import InvalidParameter, ValidationError
from helpers.geo.layers import load_layer
from helpers.tables.indicators import catalogue, indicator_table
from helpers.tables.joins import join_strict
from helpers.geo.municipal_changes import merger_map, to_division
from helpers.sources.population import municipal_population_wfs


# Whole-country population 31.12. (Statistics Finland 11re; mirror PROVENANCE_DATA.md checks)
FINLAND = {2023: 5_603_851, 2024: 5_635_971}
HELSINKI = {2023: 674_500, 2024: 684_018}


def test_catalogue_rows_and_rules():
    cat = catalogue().set_index("indicator_id")
    for ind in ("vaesto", "vaesto_muutos", "osuus_0_14", "osuus_65", "vanhushuoltosuhde", "kuntien_lkm", "pinta_ala", "sotkanet_683"):
        assert ind in cat.index
        assert cat.loc[ind, "name_fi"] and cat.loc[ind, "name_sv"] and cat.loc[ind, "name_en"]
    assert cat.loc["vaesto", "aggregation"] == "sum"
    assert (cat.loc["osuus_65", "aggregation"], cat.loc["osuus_65", "denominator"]) == ("ratio", "population_total")
    assert "yleistetty" in cat.loc["pinta_ala", "name_fi"]


@pytest.mark.parametrize("year", [2023, 2024])
def test_country_total_equals_sum_over_municipalities_and_welfare_regions(year):
    kunta = indicator_table("vaesto", [2023, 2024], level="kunta")
    hva = indicator_table("vaesto", [2023, 2024], level="hyvinvointialue")
    country = indicator_table("vaesto", [2023, 2024], level="koko_maa")
    assert kunta[kunta.year == year]["value"].sum() == FINLAND[year]
    assert hva[hva.year == year]["value"].sum() == FINLAND[year]
    assert country.set_index("year").loc[year, "value"] == FINLAND[year]
    assert len(kunta[kunta.year == year]) == 308 and len(hva[hva.year == year]) == 23
    assert hva.set_index(["year", "area_code"]).loc[(year, "90"), "value"] == HELSINKI[year]
    assert kunta.set_index(["year", "area_code"]).loc[(year, "091"), "value"] == HELSINKI[year]


def test_tidy_table_shape_citation_and_provenance():
    df = indicator_table("vaesto", [2023, 2024], level="yhteistyoalue")
    assert list(df.columns[:11]) == indicators.TIDY_COLUMNS and indicators.TIDY_COLUMNS[-1] == "value_flags"
    assert (df["value_flags"] == "").all() and df.attrs["flag_meanings"] == {}  # the recorded answers mark nothing
    assert df["source"].iloc[0] == "Tilastokeskus (StatFin), taulukko 11re (aluejako 2026), päivitetty 2026-04-01; CC BY 4.0"
    assert {p["method"] for p in df.attrs["provenance"]} == {"GET", "POST"}
    assert df.groupby("year")["value"].sum().to_dict() == {2023: FINLAND[2023], 2024: FINLAND[2024]}
    assert df.attrs["missing"] == 0


def test_age_groups_sum_to_total_for_every_municipality():
    pop = municipal_population_wfs(2024)
    assert len(pop) == 308 and pop["population_total"].sum() == FINLAND[2024]
    parts = pop["population_0_14"] + pop["population_15_64"] + pop["population_65_plus"]
    assert (parts == pop["population_total"]).all()
    assert pop.set_index("kunta_code").loc["091", "population_total"] == HELSINKI[2024]


def test_ratios_aggregate_from_counts():
    pop = municipal_population_wfs(2024)
    share = indicator_table("osuus_65", 2024, level="koko_maa")["value"].item()
    assert share == pytest.approx(pop["population_65_plus"].sum() / pop["population_total"].sum() * 100)
    ratio = indicator_table("vanhushuoltosuhde", 2024, level="koko_maa")["value"].item()
    assert ratio == pytest.approx(pop["population_65_plus"].sum() / pop["population_15_64"].sum() * 100)
    hki = indicator_table("osuus_0_14", 2024, level="hyvinvointialue").set_index("area_code").loc["90", "value"]
    assert hki == pytest.approx(95775 / 684018 * 100)


def test_population_change_and_counts():
    change = indicator_table("vaesto_muutos", [2023, 2024], level="koko_maa")
    assert change["year"].item() == 2024
    assert change["value"].item() == pytest.approx((FINLAND[2024] - FINLAND[2023]) / FINLAND[2023] * 100)
    n = indicator_table("kuntien_lkm", 2025, level="hyvinvointialue").set_index("area_code")["value"]
    assert n.sum() == 308 and n["90"] == 1 and n["91"] == 16
    area = indicator_table("pinta_ala", 2025, level="koko_maa")["value"].item()
    assert area == pytest.approx(337964, abs=1)  # generalised 1:4.5M (land + inland water)


def test_merger_rule_gives_the_2025_division():
    old = indicator_table("vaesto_historia", [2023], level="kunta", division_year=2024)
    new = indicator_table("vaesto_historia", [2023], level="kunta", division_year=2025)
    assert len(old) == 309 and len(new) == 308
    assert old["value"].sum() == new["value"].sum() == FINLAND[2023]
    o = old.set_index("area_code")["value"]
    assert new.set_index("area_code").loc["507", "value"] == o["507"] + o["588"] == 5522 + 1577
    assert merger_map(2020, 2025) == {"099": "214", "588": "507"}
    with pytest.raises(ValidationError, match="cannot move figures back"):
        merger_map(2025, 2024)


def test_merger_rule_keeps_missing_missing():
    df = pd.DataFrame({"kunta_code": ["507", "588", "091"], "v": [5522.0, float("nan"), 1.0]})
    out = to_division(df, from_division=2024, to_division=2025, value_cols=["v"]).set_index("kunta_code")["v"]
    assert out.isna().tolist() == [False, True]  # 091 kept; 507 missing, not 5522


def test_2023_division_series_on_later_division_matches_2026_table():
    hist = indicator_table("vaesto_historia", [2023], level="kunta", division_year=2025).set_index("area_code")["value"]
    cur = indicator_table("vaesto", [2023, 2024], level="kunta").query("year == 2023").set_index("area_code")["value"]
    assert hist.equals(cur)


def test_sotkanet_welfare_regions_and_unions():
    hv = indicator_table("sotkanet_683", [2021, 2022, 2023], level="hyvinvointialue")
    assert len(hv) == 69 and hv.set_index(["year", "area_code"]).loc[(2023, "90"), "value"] == 8.6
    yta = indicator_table("sotkanet_683", [2021, 2022, 2023], level="yhteistyoalue")
    assert len(yta) == 18
    with pytest.raises(ValidationError, match=r"splits welfare regions \['08', '15', '17'\]"):
        indicator_table("sotkanet_683", [2021, 2022, 2023], level="erva2020")


def test_bad_input_rejected_before_any_download(monkeypatch):
    import helpers.sources.fetch as fetch_mod

    monkeypatch.setattr(fetch_mod, "fetch", lambda *a, **k: (_ for _ in ()).throw(AssertionError("downloaded")))
    with pytest.raises(InvalidParameter, match=r"indicator='tyottomyys' is not allowed; allowed: kuntien_lkm, osuus_0_14"):
        indicator_table("tyottomyys", 2024)
    with pytest.raises(InvalidParameter, match=r"years=1950 is not allowed; allowed: 1972–2025"):
        indicator_table("vaesto", 1950)
    with pytest.raises(InvalidParameter, match=r"years=2023 is not allowed; allowed: 2024"):
        indicator_table("osuus_65", 2023)
    with pytest.raises(InvalidParameter, match=r"level='lääni' is not allowed; allowed: custom, erva2020"):
        indicator_table("vaesto", 2024, level="lääni")
    with pytest.raises(InvalidParameter, match=r"division_year=2019"):
        indicator_table("vaesto", 2024, division_year=2019)
    with pytest.raises(InvalidParameter, match="needs mapping="):
        indicator_table("vaesto", 2024, level="custom")


def test_custom_grouping_and_missing_values():
    key = __import__("helpers.geo.municipality_key", fromlist=["x"]).municipality_key(2025)
    mapping = key.set_index("kunta_code")["mainland"].map({True: "manner", False: "ahvenanmaa"})
    df = indicator_table("vaesto", [2023, 2024], level="custom", mapping=mapping).set_index(["year", "area_code"])
    assert df.loc[(2024, "manner"), "value"] + df.loc[(2024, "ahvenanmaa"), "value"] == FINLAND[2024]
    base = pd.DataFrame({"area_code": ["a", "b", "c"], "year": 2024, "value": [1.0, None, 3.0]})
    out = aggregate(base, pd.Series({"a": "X", "b": "X", "c": "Y"}), rule="sum").set_index("area_code")
    assert pd.isna(out.loc["X", "value"]) and out.loc["X", "missing_members"] == 1 and out.loc["Y", "value"] == 3
    with pytest.raises(ValidationError, match=r"no rows for \['d'\]"):
        aggregate(base, pd.Series({"a": "X", "b": "X", "c": "Y", "d": "Y"}), rule="sum")


def test_aggregation_over_several_years_in_one_grouping():
    # two years at once, in year then unit order, each year's sums, missing members and flags its own; the ratio rule
    # adds numerators and denominators separately (hand-computed)
    from helpers.sources.flags import PRELIMINARY

    base = pd.DataFrame({"area_code": ["c", "a", "b", "a", "b", "c"], "year": [2021, 2020, 2020, 2021, 2021, 2020],
                         "num": [6.0, 1.0, 2.0, None, 5.0, 3.0], "den": [12.0, 10.0, 10.0, 10.0, 10.0, 30.0],
                         "value_flags": [PRELIMINARY, "", "", "", "", ""]})
    mapping = pd.Series({"a": "X", "b": "X", "c": "Y"})
    out = aggregate(base, mapping, rule="ratio", numerator="num", denominator="den")
    assert list(zip(out["year"], out["area_code"])) == [(2020, "X"), (2020, "Y"), (2021, "X"), (2021, "Y")]
    assert out["numerator"].tolist()[:2] == [3.0, 3.0] and out["value"].tolist()[:2] == [15.0, 10.0]
    assert pd.isna(out.loc[2, "value"]) and out["missing_members"].tolist() == [0, 0, 1, 0]
    assert out.loc[3, "value"] == 50.0 and out["members"].tolist() == [2, 1, 2, 1]
    assert out["value_flags"].tolist() == ["", "", "", PRELIMINARY]
    with pytest.raises(ValidationError, match=r"aggregation 2021: no rows for \['b'\]"):
        aggregate(base[~((base["year"] == 2021) & (base["area_code"] == "b"))], mapping, rule="ratio", numerator="num", denominator="den")


def test_strict_join_lists_codes():
    layer = load_layer("hyvinvointialue", 2025)
    table = indicator_table("vaesto", [2023, 2024], level="hyvinvointialue").query("year == 2024")
    joined = join_strict(layer, table)
    assert isinstance(joined, gpd.GeoDataFrame) and len(joined) == 23 and joined["value"].sum() == FINLAND[2024]
    with pytest.raises(ValidationError, match=r"in the layer but not in the table: \['91'\]"):
        join_strict(layer, table[table.area_code != "91"])
    with pytest.raises(ValidationError, match=r"duplicated in the table: \['01'\]"):
        join_strict(layer, pd.concat([table, table.iloc[[0]]]))
    with pytest.raises(ValidationError, match=r"in the table but not in the layer: \['99'\]"):
        join_strict(layer, pd.concat([table, table.iloc[[0]].assign(area_code="99")]))


# --------------------------------------------------------------------------- flags through the tidy table
# The answers are copies of the mirror's answers edited in a temporary mirror (never the fixture files).

PX_2023_2024 = "stat/pxweb/reconstructed/11re_POST_all-municipalities_2023-2024_json-stat2.RECONSTRUCTED.json"
PX_HISTORY = "stat/pxweb/recorded_pre2026/statfin_vaerak_pxt_11re_POST_all-areas_all-years_json.json"


def _edit(mirror, name, change):
    path = mirror / name
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _helsinki_2024_preliminary(data):
    data["dimension"]["alue_23_20260101"]["category"]["note"] = {"KU091": ["Vuoden 2024 luku on ennakkotieto."]}


def test_one_preliminary_municipality_flags_its_welfare_region_only(mirror_copy):
    _edit(mirror_copy, PX_2023_2024, _helsinki_2024_preliminary)
    kunta = indicator_table("vaesto", [2023, 2024], level="kunta")
    assert kunta.loc[kunta["value_flags"] != "", ["year", "area_code", "value_flags"]].values.tolist() == [[2024, "091", "ennakkotieto"]]
    hva = indicator_table("vaesto", [2023, 2024], level="hyvinvointialue")
    assert hva.loc[hva["value_flags"] != "", ["year", "area_code", "value_flags"]].values.tolist() == [[2024, "90", "ennakkotieto"]]
    assert hva.groupby("year")["value"].sum().to_dict() == FINLAND  # the note changes no number
    assert hva.attrs["flag_meanings"] == {"ennakkotieto": {"fi": "ennakkotieto, voi vielä muuttua", "sv": "preliminär uppgift",
                                                           "en": "preliminary figure, may still change"}}
    country = indicator_table("vaesto", [2023, 2024], level="koko_maa").set_index("year")["value_flags"]
    assert country.to_dict() == {2023: "", 2024: "ennakkotieto"}


def test_derived_change_carries_the_flags_of_its_years(mirror_copy):
    _edit(mirror_copy, PX_2023_2024, _helsinki_2024_preliminary)
    change = indicator_table("vaesto_muutos", [2023, 2024], level="hyvinvointialue").set_index("area_code")
    assert change.loc["90", "value_flags"] == "ennakkotieto" and (change.drop(index="90")["value_flags"] == "").all()
    assert change.loc["90", "value"] == pytest.approx((HELSINKI[2024] - HELSINKI[2023]) / HELSINKI[2023] * 100)


def test_merged_municipality_passes_its_flag_to_the_successor(mirror_copy):
    _edit(mirror_copy, PX_HISTORY, lambda d: d.__setitem__("comments", [{"variable": "Alue", "value": "KU588", "comment": "Ennakkotieto"}]))
    new = indicator_table("vaesto_historia", [2023], level="kunta", division_year=2025)
    assert new.loc[new["value_flags"] != "", ["area_code", "value_flags"]].values.tolist() == [["507", "ennakkotieto"]]  # Pertunmaa -> Mäntyharju
    assert new.set_index("area_code").loc["507", "value"] == 5522 + 1577


def test_aggregated_flags_are_the_sorted_union_of_members():
    base = pd.DataFrame({"area_code": ["a", "b", "c", "d"], "year": 2024, "value": [1.0, None, 3.0, 4.0],
                         "value_flags": ["ennakkotieto", "salattu", "", "salattu, ennakkotieto"]})
    out = aggregate(base, pd.Series({"a": "X", "b": "X", "c": "Y", "d": "Z"}), rule="sum").set_index("area_code")
    assert out["value_flags"].to_dict() == {"X": "ennakkotieto, salattu", "Y": "", "Z": "ennakkotieto, salattu"}
    assert pd.isna(out.loc["X", "value"]) and out.loc["Z", "value"] == 4
    assert (aggregate(base.drop(columns="value_flags"), pd.Series({"a": "X", "b": "X", "c": "Y", "d": "Z"}), rule="sum")["value_flags"] == "").all()


def test_schema_rejects_unsorted_or_unknown_flags():
    good = indicator_table("vaesto", [2023, 2024], level="koko_maa")
    with pytest.raises(pa.errors.SchemaError, match="value_flags"):
        indicators.TIDY_SCHEMA.validate(good.assign(value_flags="salattu, ennakkotieto"))
    with pytest.raises(pa.errors.SchemaError, match="value_flags"):
        indicators.TIDY_SCHEMA.validate(good.assign(value_flags="preliminary"))
    with pytest.raises(pa.errors.SchemaError, match="value_flags"):
        indicators.TIDY_SCHEMA.validate(good.assign(value_flags=None))


def test_an_edited_catalogue_or_survey_file_is_read_again_in_the_same_session(tmp_path, monkeypatch):
    import os
    import shutil

    from helpers.base import config
    from helpers.tables import indicators, surveys

    data = tmp_path / "data"
    shutil.copytree(config.DATA_DIR, data, ignore=shutil.ignore_patterns("cache"))
    monkeypatch.setattr(config, "DATA_DIR", data)
    name = indicators.catalogue().set_index("indicator_id").loc["osuus_65", "name_fi"]
    assert surveys.surveys()["kysely_2020"]["respondents"] == 562
    title = surveys.surveys()["kysely_2020"]["title"]["fi"]
    csv = data / "indikaattorit.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace(name, name + " (muokattu)"), encoding="utf-8")
    yaml_file = data / "kyselyt.yaml"
    yaml_file.write_text(yaml_file.read_text(encoding="utf-8").replace(title, title + " (muokattu)"), encoding="utf-8")
    for path in (csv, yaml_file):
        os.utime(path, ns=(1, 1))  # a different modification time even within one clock tick
    assert indicators.catalogue().set_index("indicator_id").loc["osuus_65", "name_fi"] == name + " (muokattu)"
    assert surveys.surveys()["kysely_2020"]["title"]["fi"] == title + " (muokattu)"


def test_a_table_with_the_former_flag_column_name_is_refused_by_name():
    """``flags`` collided with pandas' ``DataFrame.flags``; old code that still builds it gets told the new name."""
    base = pd.DataFrame({"area_code": ["a", "b"], "year": 2024, "value": [1.0, 2.0], "flags": ["", "salattu"]})
    with pytest.raises(ValidationError, match="'flags' is now called 'value_flags'"):
        aggregate(base, pd.Series({"a": "X", "b": "X"}), rule="sum")
    df = pd.DataFrame({"value_flags": ["", "salattu", "salattu"]})
    assert df.value_flags.value_counts().to_dict() == {"salattu": 2, "": 1}  # attribute access works with the new name


def test_flags_join_per_group_as_joining_every_member():
    # join_groups calls join only where a member has a flag: the same strings as joining every member, for one key
    # and for two, with empty groups, repeated and already joined flags.
    import numpy as np

    from helpers.sources import flags

    rng = np.random.default_rng(5)
    words = ["", "", "", "", "ennakko", "luottamuksellinen", "ennakko, luottamuksellinen"]
    frame = pd.DataFrame({"year": rng.integers(2020, 2024, 400), "kunta_code": rng.choice(["005", "091", "049", "999"], 400),
                          "value_flags": rng.choice(words, 400)})
    for keys in (["kunta_code"], ["year", "kunta_code"]):
        expected = frame.groupby(keys, sort=True)["value_flags"].agg(flags.join)
        got = flags.join_groups(frame, keys)
        assert got.index.equals(expected.index) and got.tolist() == expected.tolist()
    small = pd.DataFrame({"unit": ["1", "1", "2", "2", "3"], "value_flags": ["", "luottamuksellinen", "", "", "ennakko, luottamuksellinen"]})
    assert flags.join_groups(small, ["unit"]).to_dict() == {"1": "luottamuksellinen", "2": "", "3": "ennakko, luottamuksellinen"}
    quiet = frame.assign(value_flags="")
    assert set(flags.join_groups(quiet, ["year"])) == {""}
