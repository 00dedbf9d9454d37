import pytest

from helpers import sotkanet
from helpers.errors import InvalidParameter, MirrorMiss
from helpers.municipality_key import municipality_key


def test_indicator_metadata_titles_and_licence():
    meta = sotkanet.indicator_metadata(186)
    assert meta["title"] == {"fi": "Kuolleisuus / 100 000 asukasta", "sv": "Dödlighet / 100 000 invånare", "en": "Mortality per 100 000 inhabitants"}
    assert meta["organization"]["fi"] == "Tilastokeskus"
    assert meta["licence"]["fi"] == "Lähde: THL, Sotkanet.fi; tiedontuottaja Tilastokeskus. Lisenssi CC BY 4.0."
    assert meta["licence"]["en"].startswith("Source: THL, Sotkanet.fi; data producer Statistics Finland")
    assert sotkanet.indicator_metadata(5527)["title"]["fi"].startswith("Terveysliikuntasuosituksen")


def test_region_codes_map_to_all_23_welfare_region_codes():
    regs = sotkanet.regions()
    hv = regs[regs["category"] == "HYVINVOINTIALUE"]
    key_codes = set(municipality_key(2025)["hyvinvointialue_code"])
    assert len(hv) == 23 and set(hv["code"]) == key_codes
    assert hv.set_index("code").loc["90", "region_id"] == 960 and hv.set_index("code").loc["91", "region_id"] == 956
    assert regs.set_index("region_id").loc[46, "code"] == "091"  # Helsinki, KUNTA


def test_welfare_region_data_683():
    rows = sotkanet.data_by_level(683, [2023], "hyvinvointialue").set_index("code")
    assert len(rows) == 23
    assert rows.loc["90", "value"] == 8.6 and rows.loc["90", "abs_value"] == 28167  # PROVENANCE_DATA.md check
    # Σ absValue of the 23 areas = 359 956 (mirror provenance: id 727 + Åland)
    assert rows["abs_value"].sum() == 359956


def test_all_rows_of_a_year_and_years_repeated():
    assert len(sotkanet.data(683, [2023])) == 465
    assert len(sotkanet.data(683, [2021, 2022, 2023])) == 3 * 465


def test_bad_arguments_rejected_before_download():
    with pytest.raises(InvalidParameter, match="gender='both'"):
        sotkanet.data(683, [2023], gender="both")
    with pytest.raises(InvalidParameter, match="indicator='abc'"):
        sotkanet.data("abc", [2023])
    with pytest.raises(InvalidParameter, match="level='seutukunta'"):
        sotkanet.data_by_level(683, [2023], "seutukunta")


def test_request_not_in_mirror():
    with pytest.raises(MirrorMiss, match=r"json\?indicator=683&years=2020"):
        sotkanet.data(683, [2020])
