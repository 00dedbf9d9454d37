import json

import pandas as pd
import pytest

from helpers.sources import sotkanet
from helpers.base.errors import InvalidParameter, MirrorMiss, ValidationError
from helpers.tables.indicators import indicator_table
from helpers.geo.municipality_key import municipality_key

from tests.conftest import FIXTURE_MIRROR


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


# --------------------------------------------------------------------------- answers that hide a problem
# Each case edits a copy of a recorded/reconstructed answer in a temporary mirror (never the fixture files).

JSON_2023 = "sotkanet/reconstructed/json_indicator683_years2023_total.RECONSTRUCTED.json"
JSON_2021_2023 = "sotkanet/reconstructed/json_indicator683_years2021+2022+2023_total.RECONSTRUCTED.json"
REGIONS = "sotkanet/reconstructed/regions.RECONSTRUCTED.json"


def _edit(mirror, name, change):
    path = mirror / name
    rows = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(change(rows)), encoding="utf-8")


def _welfare_region_ids() -> set[int]:
    regions = json.loads((FIXTURE_MIRROR / REGIONS).read_text(encoding="utf-8"))
    return {r["id"] for r in regions if r["category"] == "HYVINVOINTIALUE"}


def test_no_rows_for_the_level_is_an_error_naming_indicator_level_and_years(mirror_copy):
    hv = _welfare_region_ids()
    _edit(mirror_copy, JSON_2023, lambda rows: [r for r in rows if r["region"] not in hv])
    with pytest.raises(sotkanet.EmptyLevel) as caught:
        sotkanet.data_by_level(683, [2023], "hyvinvointialue")
    # The stand-in /regions knows 7 of the 442 remaining regions (5 municipalities, 2 maakunta): 435 unclassifiable.
    assert str(caught.value) == ("Sotkanet indicator 683, level 'hyvinvointialue' (Sotkanet category HYVINVOINTIALUE), "
                                 "years asked [2023]: the answer has no rows for this level in [2023] "
                                 "(435 rows of those years have region ids /regions does not know)")
    assert isinstance(caught.value, ValidationError)


def test_one_empty_year_among_several_is_named_and_the_callers_level_too(mirror_copy):
    hv = _welfare_region_ids()
    _edit(mirror_copy, JSON_2021_2023, lambda rows: [r for r in rows if not (r["region"] in hv and r["year"] == 2022)])
    with pytest.raises(sotkanet.EmptyLevel) as caught:
        indicator_table("sotkanet_683", [2021, 2022, 2023], level="yhteistyoalue")
    assert str(caught.value) == ("sotkanet_683 at level 'yhteistyoalue': Sotkanet indicator 683, level 'hyvinvointialue' "
                                 "(Sotkanet category HYVINVOINTIALUE), years asked [2021, 2022, 2023]: "
                                 "the answer has no rows for this level in [2022] "
                                 "(435 rows of those years have region ids /regions does not know)")


def test_whole_country_level_missing_from_regions_is_an_error_not_an_empty_table():
    # The stand-in /regions knows no MAA row (id 658), so the country row cannot be classified.
    rows = json.loads((FIXTURE_MIRROR / JSON_2023).read_text(encoding="utf-8"))
    known = {r["id"] for r in json.loads((FIXTURE_MIRROR / REGIONS).read_text(encoding="utf-8"))}
    unknown = sum(r["region"] not in known for r in rows)
    assert unknown == 435
    with pytest.raises(sotkanet.EmptyLevel, match=r"^Sotkanet indicator 683, level 'koko_maa' \(Sotkanet category MAA\), "
                       r"years asked \[2023\]: the answer has no rows for this level in \[2023\] \(435 rows of those years have region ids "
                       r"/regions does not know\)$"):
        sotkanet.data_by_level(683, [2023], "koko_maa")


def test_a_missing_welfare_region_is_still_an_error(mirror_copy):
    _edit(mirror_copy, JSON_2023, lambda rows: [r for r in rows if r["region"] != 960])  # Helsinki
    with pytest.raises(ValidationError, match=r"^Sotkanet indicator 683 2023: welfare regions \['90'\] missing from the answer$"):
        sotkanet.data_by_level(683, [2023], "hyvinvointialue")


def test_suppressed_value_stays_missing_and_is_flagged(mirror_copy):
    def suppress(rows):
        for r in rows:
            if r["region"] == 960:  # Helsinki: value and count withheld, the row kept
                r.pop("value")
                r["absValue"] = None
        return rows

    _edit(mirror_copy, JSON_2023, suppress)
    rows = sotkanet.data_by_level(683, [2023], "hyvinvointialue").set_index("code")
    assert pd.isna(rows.loc["90", "value"]) and rows.loc["90", "flags"] == "salattu"
    assert (rows.drop(index="90")["flags"] == "").all() and rows.drop(index="90")["value"].notna().all()
    assert rows.drop(index="90")["abs_value"].sum() == 359956 - 28167  # the other 22 exactly as recorded
    yta = indicator_table("sotkanet_683", [2023], level="yhteistyoalue").set_index("area_code")
    hki_yta = municipality_key(2025).set_index("kunta_code").loc["091", "yhteistyoalue_code"]
    assert pd.isna(yta.loc[hki_yta, "value"]) and yta.loc[hki_yta, "missing_members"] == 1
    assert yta.loc[hki_yta, "flags"] == "salattu"
    assert (yta.drop(index=hki_yta)["flags"] == "").all() and yta.drop(index=hki_yta)["value"].notna().all()
    assert yta.attrs["flag_meanings"]["salattu"]["fi"].startswith("tietoa ei julkaista")


def test_recorded_answers_carry_no_flags():
    rows = sotkanet.data(683, [2021, 2022, 2023])
    assert (rows["flags"] == "").all() and rows["value"].notna().all()
