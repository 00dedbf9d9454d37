import pandas as pd
import pytest
import shapely

from helpers.base.errors import InvalidParameter, MirrorMiss, ValidationError
from helpers.geo.layers import load_layer, parse_layer, validate_layer
from helpers.geo.groupings import dissolve_municipalities, for_web, grouping_layer
from helpers.geo.municipality_key import erva_yta_differences, municipality_key

from tests.conftest import ORACLE

COUNTS = {  # feature counts of the mirrored layers (shared/mirror/geo/PROVENANCE.md)
    (2024, "kunta"): 309, (2024, "maakunta"): 19, (2024, "hyvinvointialue"): 23,
    (2025, "kunta"): 308, (2025, "maakunta"): 19, (2025, "hyvinvointialue"): 23,
    (2026, "kunta"): 308, (2026, "maakunta"): 19, (2026, "hyvinvointialue"): 23,
    (2023, "hyvinvointialue"): 23,
}


@pytest.mark.parametrize(("year", "level"), sorted(COUNTS))
def test_layer_counts_codes_crs(year, level):
    gdf = load_layer(level, year)
    assert len(gdf) == COUNTS[(year, level)]
    assert gdf.crs.to_epsg() == 3067
    assert gdf["code"].is_unique
    width = 3 if level == "kunta" else 2
    assert gdf["code"].str.len().eq(width).all()
    assert (gdf["year"] == year).all()
    assert gdf.geometry.is_valid.all()
    assert gdf.attrs["provenance"]["layer"].endswith(str(year))


def test_mainland_drops_aland():
    assert len(load_layer("hyvinvointialue", 2025, mainland=True)) == 22
    assert len(load_layer("maakunta", 2025, mainland=True)) == 18
    assert len(load_layer("kunta", 2025, mainland=True)) == 308 - 16


def test_names_keep_scandinavian_letters_and_are_stripped():
    kunta = load_layer("kunta", 2025).set_index("code")
    assert kunta.loc["853", "name_sv"] == "Åbo"
    assert kunta.loc["989", "name_fi"] == "Ähtäri"
    assert kunta.loc["081", "name_sv"] == "Gustav Adolfs"  # trailing blanks in the source
    assert kunta.loc["480", "name_sv"] == "S:t Mårtens"
    hva = load_layer("hyvinvointialue", 2025).set_index("code")
    assert hva.loc["90", "name_fi"] == "Helsingin kaupunki"
    assert hva.loc["91", "name_sv"] == "Åland"
    assert hva.loc["11", "name_fi"] == "Etelä-Karjalan hyvinvointialue"


def test_total_area_matches_source():
    # 337 964 km² land + inland water in every 4500k layer (WFS_FORMAT.md section 5)
    for level in ("kunta", "hyvinvointialue"):
        assert load_layer(level, 2025).geometry.area.sum() / 1e6 == pytest.approx(337964, abs=1)


def test_bad_year_and_level_name_allowed_values():
    with pytest.raises(InvalidParameter, match=r"level='county' is not allowed; allowed: hyvinvointialue, kunta, maakunta"):
        load_layer("county", 2025)
    with pytest.raises(InvalidParameter, match=r"year=2019 is not allowed; allowed: 2022, 2023, 2024, 2025, 2026"):
        load_layer("hyvinvointialue", 2019)
    with pytest.raises(InvalidParameter, match=r"year='2025x'"):
        load_layer("kunta", "2025x")


def test_validate_and_parse_name_the_known_years_instead_of_a_bare_key_error():
    """validate_layer(…, 2019) used to raise ``KeyError: 2019`` from the per-year expected counts."""
    gdf = load_layer("kunta", 2025)
    with pytest.raises(InvalidParameter) as caught:
        validate_layer(gdf, "kunta", 2019)
    assert str(caught.value) == "year=2019 is not allowed; allowed: 2020, 2021, 2022, 2023, 2024, 2025, 2026"
    assert not isinstance(caught.value, KeyError)
    with pytest.raises(InvalidParameter, match=r"^year=2021 is not allowed; allowed: 2022, 2023, 2024, 2025, 2026$"):
        validate_layer(load_layer("hyvinvointialue", 2025), "hyvinvointialue", 2021)  # no welfare regions before 2022
    with pytest.raises(InvalidParameter, match=r"^level='county' is not allowed; allowed: hyvinvointialue, kunta, maakunta$"):
        validate_layer(gdf, "county", 2025)
    with pytest.raises(InvalidParameter, match=r"^year=2019 is not allowed; allowed: 2020, 2021, 2022, 2023, 2024, 2025, 2026$"):
        parse_layer(b'{"type": "FeatureCollection", "features": []}', "kunta", 2019)
    import numpy as np

    assert len(validate_layer(gdf, "kunta", np.int64(2025))) == 308  # a year read from a table is still a year


def test_offline_year_without_mirror_file_is_a_clear_miss():
    with pytest.raises(MirrorMiss, match="kunta4500k_2023"):
        load_layer("kunta", 2023)


def test_validation_rejects_wrong_count_and_duplicates():
    gdf = load_layer("hyvinvointialue", 2025)
    with pytest.raises(ValidationError, match="22 features, expected 23"):
        validate_layer(gdf.iloc[:22], "hyvinvointialue", 2025)
    dup = pd.concat([gdf.iloc[:22], gdf.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValidationError, match=r"duplicated codes \['01'\]"):
        validate_layer(dup, "hyvinvointialue", 2025)
    with pytest.raises(ValidationError, match="not a readable GeoJSON"):
        parse_layer(b'{"type": "FeatureColl', "kunta", 2025)


def test_second_load_comes_from_geodata_cache(monkeypatch):
    first = load_layer("maakunta", 2026)
    import helpers.geo.layers as geo

    # The raw answer is still read (to check its sha256 against the entry); the GeoJSON is not parsed again.
    monkeypatch.setattr(geo, "parse_layer", lambda *a, **k: (_ for _ in ()).throw(AssertionError("parsed again")))
    second = load_layer("maakunta", 2026)
    assert len(second) == 19
    assert second.attrs["provenance"]["sha256"] == first.attrs["provenance"]["sha256"]
    assert second.crs == first.crs and second.geometry.geom_equals_exact(first.geometry, 0).all()


@pytest.mark.parametrize("year", [2024, 2025])
def test_municipality_key_equals_oracle(year):
    key = municipality_key(year)
    oracle = pd.read_csv(ORACLE / f"municipality_key_{year}.csv", dtype=str, keep_default_na=False)
    assert len(key) == len(oracle) == {2024: 309, 2025: 308}[year]
    merged = key.merge(oracle, on="kunta_code", suffixes=("", "_oracle"), validate="one_to_one")
    for col in ("maakunta_code", "hyvinvointialue_code", "yhteistyoalue_code", "erva2020_code", "erva2020_abbr",
                "kunta_name_fi", "kunta_name_sv", "hyvinvointialue_name_fi", "yhteistyoalue_name_fi"):
        assert (merged[col] == merged[f"{col}_oracle"]).all(), col


def test_every_municipality_in_exactly_one_region_and_counts_sum():
    key = municipality_key(2025)
    per_region = key.groupby("hyvinvointialue_code").size()
    assert len(per_region) == 23 and per_region.sum() == 308
    assert per_region["90"] == 1 and per_region["91"] == 16  # Helsinki; Åland's 16 municipalities
    # per-welfare-region municipality counts of the mirror's own lookup table
    lookup = pd.read_csv(ORACLE / "hyvinvointialue_yhteistyoalue_2025.csv", dtype={"hyvinvointialue_code": str})
    assert per_region.to_dict() == lookup.set_index("hyvinvointialue_code")["municipalities"].to_dict()
    # erva 2020: the hospital districts' 2020 municipality counts add up per erva; 2025 differs by the
    # 2021 merger (Honkajoki, Satakunta SHP -> TYKS) and the 2025 one (Pertunmaa, Etelä-Savo SHP -> KYS)
    shp = pd.read_csv(ORACLE / "sairaanhoitopiiri_erva_2020.csv", dtype=str)
    per_erva_2020 = shp.assign(n=shp["municipalities_2020"].astype(int)).groupby("erva2020_code")["n"].sum()
    per_erva_2020["2"] -= 1
    per_erva_2020["4"] -= 1
    assert key.groupby("erva2020_code").size().to_dict() == per_erva_2020.to_dict()
    per_yta = lookup.astype({"yhteistyoalue_code": str}).groupby("yhteistyoalue_code")["municipalities"].sum()
    assert key.groupby("yhteistyoalue_code").size().to_dict() == per_yta.to_dict()
    assert per_yta.sum() == 308


def test_the_three_erva_yta_exceptions():
    diff = erva_yta_differences(2025).set_index("kunta_code")
    assert sorted(diff.index) == ["182", "288", "619"]
    assert diff.loc["182", "kunta_name_fi"] == "Jämsä" and diff.loc["182", "erva2020_abbr"] == "TAYS" and diff.loc["182", "yhteistyoalue_university_hospital"] == "KYS"
    assert diff.loc["288", "kunta_name_fi"] == "Kruunupyy" and diff.loc["288", "erva2020_abbr"] == "OYS" and diff.loc["288", "yhteistyoalue_university_hospital"] == "TYKS"
    assert diff.loc["619", "kunta_name_fi"] == "Punkalaidun" and diff.loc["619", "erva2020_abbr"] == "TYKS" and diff.loc["619", "yhteistyoalue_university_hospital"] == "TAYS"


def test_dissolve_reproduces_welfare_region_layer():
    dissolved = grouping_layer("hyvinvointialue", 2025).set_index("code")
    official = load_layer("hyvinvointialue", 2025).set_index("code")
    assert list(dissolved.index) == list(official.index)
    for code in official.index:
        a, b = dissolved.geometry[code], official.geometry[code]
        assert a.symmetric_difference(b).area < 1.0, code  # m²
    assert dissolved["municipalities"].sum() == 308


def test_dissolve_rejects_incomplete_or_unknown_mapping():
    kunta = load_layer("kunta", 2025)
    mapping = pd.Series("A", index=kunta["code"])
    with pytest.raises(ValidationError, match=r"unmapped \['005'\]"):
        dissolve_municipalities(kunta, mapping.drop("005"))
    with pytest.raises(ValidationError, match=r"not in the layer \['588'\]"):
        dissolve_municipalities(kunta, pd.concat([mapping, pd.Series({"588": "A"})]))


def test_grouping_layers_mainland_and_with_aland():
    assert len(grouping_layer("yhteistyoalue", 2025)) == 6
    assert len(grouping_layer("yhteistyoalue", 2025, mainland=True)) == 5
    assert len(grouping_layer("erva2020", 2024, mainland=True)) == 5


def test_web_geometry_keeps_shared_borders_and_clockwise_rings():
    web = for_web(grouping_layer("hyvinvointialue", 2025), tolerance_m=500)
    assert web.crs.to_epsg() == 4326
    assert shapely.coverage_is_valid(web.to_crs(3067).geometry.values, gap_width=0)
    for geom in web.geometry:
        for poly in getattr(geom, "geoms", [geom]):
            assert not poly.exterior.is_ccw
    xy = shapely.get_coordinates(web.geometry.values)
    assert (abs(xy * 1e5 - (xy * 1e5).round()) < 1e-6).all()
