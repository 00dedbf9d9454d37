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
    assert pd.isna(rows.loc["90", "value"]) and rows.loc["90", "value_flags"] == "salattu"
    assert (rows.drop(index="90")["value_flags"] == "").all() and rows.drop(index="90")["value"].notna().all()
    assert rows.drop(index="90")["abs_value"].sum() == 359956 - 28167  # the other 22 exactly as recorded
    yta = indicator_table("sotkanet_683", [2023], level="yhteistyoalue").set_index("area_code")
    hki_yta = municipality_key(2025).set_index("kunta_code").loc["091", "yhteistyoalue_code"]
    assert pd.isna(yta.loc[hki_yta, "value"]) and yta.loc[hki_yta, "missing_members"] == 1
    assert yta.loc[hki_yta, "value_flags"] == "salattu"
    assert (yta.drop(index=hki_yta)["value_flags"] == "").all() and yta.drop(index=hki_yta)["value"].notna().all()
    assert yta.attrs["flag_meanings"]["salattu"]["fi"].startswith("tietoa ei julkaista")


def test_recorded_answers_carry_no_flags():
    rows = sotkanet.data(683, [2021, 2022, 2023])
    assert (rows["value_flags"] == "").all() and rows["value"].notna().all()


# --------------------------------------------------------------------------- values checked against their meaning
# Kainuu (welfare region 20, Sotkanet region id 962) in 2023: 12.9 %, 5591 persons (the fixture answer, read below).

KAINUU_ID, KAINUU = 962, "20"
JSON_683 = "https://sotkanet.fi/rest/1.1/json?indicator=683&years=2021&years=2022&years=2023&genders=total"


def _kainuu_2023(rows):
    [row] = [r for r in rows if r["region"] == KAINUU_ID and r["year"] == 2023]
    return row


def test_the_untouched_answer_gives_kainuu_as_recorded():
    recorded = _kainuu_2023(json.loads((FIXTURE_MIRROR / JSON_2021_2023).read_text(encoding="utf-8")))
    assert (recorded["value"], recorded["absValue"]) == (12.9, 5591)
    table = indicator_table("sotkanet_683", [2021, 2022, 2023], level="hyvinvointialue").set_index(["year", "area_code"])
    assert table.loc[(2023, KAINUU), "value"] == 12.9 and table.loc[(2023, KAINUU), "numerator"] == 5591
    assert table.loc[(2023, KAINUU), "area_name_fi"] == "Kainuun hyvinvointialue"


def test_a_duplicated_row_is_an_error_naming_the_area_and_year(mirror_copy):
    _edit(mirror_copy, JSON_2021_2023, lambda rows: rows + [dict(_kainuu_2023(rows))])
    with pytest.raises(ValidationError) as caught:
        sotkanet.data_by_level(683, [2021, 2022, 2023], "hyvinvointialue")
    assert str(caught.value) == (f"THL Sotkanet indicator 683, level 'hyvinvointialue' (GET {JSON_683}): "
                                 "rows not unique (area × year × gender): area 20 year 2023 gender total ×2")
    with pytest.raises(ValidationError, match=r"rows not unique \(area × year × gender\): area 20 year 2023"):
        indicator_table("sotkanet_683", [2021, 2022, 2023], level="yhteistyoalue")


def test_a_duplicated_row_with_another_value_is_an_error_too(mirror_copy):
    _edit(mirror_copy, JSON_2021_2023, lambda rows: rows + [dict(_kainuu_2023(rows), value=73.6, absValue=31900)])
    with pytest.raises(ValidationError, match=r"area 20 year 2023 gender total ×2$"):
        indicator_table("sotkanet_683", [2021, 2022, 2023], level="hyvinvointialue")


def test_a_negative_share_is_an_error_naming_indicator_source_request_area_year_and_rule(mirror_copy):
    def negative(rows):
        _kainuu_2023(rows)["value"] = -12.9
        return rows

    _edit(mirror_copy, JSON_2021_2023, negative)
    with pytest.raises(ValidationError) as caught:
        indicator_table("sotkanet_683", [2021, 2022, 2023], level="hyvinvointialue")
    # The implied denominator 5591 × 100 / -12.9 = -43341.0853 (four decimals shown) is no population either.
    assert str(caught.value) == (f"sotkanet_683 (THL, Sotkanet; GET {JSON_683}): share must be within 0–100: "
                                 "area 20 year 2023 = -12.9; denominator implied_denominator must be finite and > 0: "
                                 "area 20 year 2023 = -43341.0853")
    # Aggregated to a larger area, the bad member is still found before it could be averaged away.
    with pytest.raises(ValidationError, match=r"share must be within 0–100: area 20 year 2023 = -12\.9"):
        indicator_table("sotkanet_683", [2021, 2022, 2023], level="koko_maa")


@pytest.mark.parametrize("value, count, rule", [
    (112.9, 5591, r"share must be within 0–100: area 20 year 2023 = 112\.9"),
    (0.0, 5591, r"denominator implied_denominator must be finite and > 0: area 20 year 2023 = inf"),
    (12.9, 0, r"denominator implied_denominator must be finite and > 0: area 20 year 2023 = 0"),
    (12.9, -5591, r"counts must be whole numbers ≥ 0: area 20 year 2023 \(abs_value = -5591\)"),
    (12.9, 5591.5, r"counts must be whole numbers ≥ 0: area 20 year 2023 \(abs_value = 5591\.5\)"),
], ids=["share-over-100", "count-at-zero-share", "share-of-nobody", "negative-count", "fractional-count"])
def test_a_share_and_its_count_must_agree(mirror_copy, value, count, rule):
    def change(rows):
        _kainuu_2023(rows).update(value=value, absValue=count)
        return rows

    _edit(mirror_copy, JSON_2021_2023, change)
    with pytest.raises(ValidationError, match=rf"^sotkanet_683 \(THL, Sotkanet; GET .*indicator=683.*\): (.*; )?{rule}"):
        indicator_table("sotkanet_683", [2021, 2022, 2023], level="hyvinvointialue")
