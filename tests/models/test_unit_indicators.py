"""Any catalogue indicator on the models' units, checked against sums by hand from the recorded raw answers: the
WFS population layer (snapshot/stat/wfs/vaestoalue_kunta_vaki2024.json) and the recorded municipality key's
membership (the 18+1 model's units are the regions (maakunta), the erva-based 5+1 model's the 2020 erva areas)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from helpers.models.unit_indicators import (
    OUTSIDE_CODE,
    indicator_by_unit,
    refresh_indicators,
    site_indicators,
)
from tests.conftest import FIXTURE_MIRROR

MODELS = ["malli_18_1", "malli_5_1_erva2020"]
UNIT_COLUMN = {"malli_18_1": "maakunta_code", "malli_5_1_erva2020": "erva2020_code"}


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """Municipality, its units in both models (Åland: outside), and the WFS layer's raw counts."""
    wfs = json.loads((FIXTURE_MIRROR / "stat" / "wfs" / "vaestoalue_kunta_vaki2024.json").read_text(encoding="utf-8"))
    people = pd.DataFrame([f["properties"] for f in wfs["features"]]).rename(columns={"kunta": "kunta_code"})
    key = pd.read_csv(FIXTURE_MIRROR / "geo" / "municipality_key_2025.csv", dtype=str)
    for model, column in UNIT_COLUMN.items():
        key[model] = key[column].where(key["mainland"] == "True", OUTSIDE_CODE)
    return key[["kunta_code", *MODELS]].merge(people[["kunta_code", "vaesto", "ika_15_64", "ika_65_"]], on="kunta_code", validate="one_to_one")


def by_hand(raw: pd.DataFrame, model: str, numerator: str, denominator: str | None = None) -> dict[str, float]:
    sums = raw.groupby(model)[[numerator] + ([denominator] if denominator else [])].sum()
    values = sums[numerator] / sums[denominator] * 100 if denominator else sums[numerator]
    return {str(k): float(v) for k, v in values.items()}


def test_old_age_dependency_ratio_on_the_18_1_and_5_1_units_is_sum_over_sum(raw):
    long = indicator_by_unit(MODELS, 2025, "vanhushuoltosuhde", [2024])
    assert len(raw) == 308
    for model in MODELS:
        got = long[long["model_id"] == model].set_index("area_code")["value"]
        expected = by_hand(raw, model, "ika_65_", "ika_15_64")
        assert sorted(got.index) == sorted(expected)  # 18 or 5 units and Åland's own row
        for unit, value in expected.items():
            assert got[unit] == pytest.approx(value, rel=1e-12), (model, unit)
    # Not the mean of the members' ratios: Uusimaa's unit in 18+1 is weighted by its people.
    members = raw[raw["malli_18_1"] == "01"]
    assert got_value(long, "malli_18_1", "01") != pytest.approx((members["ika_65_"] / members["ika_15_64"] * 100).mean(), rel=1e-3)


def got_value(long: pd.DataFrame, model: str, unit: str) -> float:
    return float(long.loc[(long["model_id"] == model) & (long["area_code"] == unit), "value"].item())


def test_a_count_sums_exactly(raw):
    long = indicator_by_unit(MODELS, 2025, "vaesto", [2023, 2024])
    for model in MODELS:
        got = long[(long["model_id"] == model) & (long["year"] == 2024)].set_index("area_code")["value"]
        # StatFin 11re and the WFS layer both give the population of 31.12.2024: the unit sums agree to the person.
        assert got.to_dict() == by_hand(raw, model, "vaesto")
        assert got.sum() == raw["vaesto"].sum()


def test_wide_form_has_a_row_per_municipality_and_a_column_per_model(raw):
    wide = indicator_by_unit(MODELS, 2025, "osuus_65", [2024], wide=True)
    assert list(wide.columns) == ["year", "kunta_code", "kunta_name_fi", "hyvinvointialue_code", "hyvinvointialue_name_fi", *MODELS]
    assert len(wide) == 308 and wide["kunta_code"].is_unique and set(wide["year"]) == {2024}
    wide = wide.set_index("kunta_code")
    for model in MODELS:
        expected = by_hand(raw, model, "ika_65_", "vaesto")  # the catalogue's share: 65+ over the whole population
        for code, unit in raw.set_index("kunta_code")[model].items():
            assert wide.loc[code, model] == pytest.approx(expected[unit], rel=1e-12), (model, code)
    assert wide.loc["478", "malli_18_1"] == wide.loc["478", "malli_5_1_erva2020"]  # Maarianhamina: Åland's own value in both
    assert wide.attrs["unit"] == "%" and wide.attrs["aggregation"] == "ratio"


def test_site_data_holds_every_indicator_the_refresh_builds():
    indicators = refresh_indicators(2025)
    assert indicators["vanhushuoltosuhde"] == [[2024]] and [2023, 2024] in indicators["vaesto"] and "sotkanet_683" in indicators
    data = site_indicators(MODELS, 2025, {"vanhushuoltosuhde": [[2024]], "sotkanet_683": [[2021, 2022, 2023]]})
    assert [m["id"] for m in data["indicators"]] == ["vanhushuoltosuhde", "sotkanet_683"]
    assert data["indicators"][1]["year"] == 2023
    # Sotkanet's indicator exists by welfare region only, and the erva-based 5+1 splits three welfare regions.
    assert data["models"]["malli_5_1_erva2020"]["missing"] == {"sotkanet_683": "splits_regions"}
    assert len(data["models"]["malli_18_1"]["values"]["sotkanet_683"]) == 19


def test_custom_tables_read_the_base_once_and_equal_one_table_per_mapping():
    # The scorecard adds each indicator up to every model's units at once: the same tables as one call per mapping,
    # and a mapping that splits welfare regions gets its own error while the others are made.
    from helpers.base.errors import SoteError
    from helpers.geo.municipality_key import municipality_key
    from helpers.models.model_files import mapping
    from helpers.tables.indicators import custom_tables, indicator_table

    key = municipality_key(2025)
    maps = {m: mapping(m, 2025).reindex(key["kunta_code"]).fillna(OUTSIDE_CODE) for m in ("malli_18_1", "malli_5_1_yta", "malli_5_1_erva2020")}
    for indicator, years in (("osuus_65", [2024]), ("sotkanet_683", [2023])):
        got = custom_tables(indicator, years, maps, division_year=2025)
        assert list(got) == list(maps)
        for name, m in maps.items():
            try:
                alone = indicator_table(indicator, years, level="custom", mapping=m, division_year=2025)
            except SoteError as exc:
                assert isinstance(got[name], SoteError) and str(got[name]) == str(exc)
                continue
            pd.testing.assert_frame_equal(got[name], alone)
    assert isinstance(got["malli_5_1_erva2020"], SoteError) and not isinstance(got["malli_18_1"], SoteError)


def test_a_model_that_fails_is_missing_from_the_site_data_and_the_others_are_made(monkeypatch):
    # One model's own error (its units cannot be read) marks that model's indicators unavailable; the scorecard run
    # still publishes every other model's values.
    from helpers.base.errors import ValidationError
    from helpers.models import unit_indicators

    real = unit_indicators.unit_metrics

    def failing(model, year):
        if model == "malli_5_1_erva2020":
            raise ValidationError("units of malli_5_1_erva2020 cannot be read")
        return real(model, year)

    monkeypatch.setattr(unit_indicators, "unit_metrics", failing)
    data = site_indicators(MODELS, 2025, {"osuus_65": [[2024]]})
    assert data["models"]["malli_5_1_erva2020"]["missing"] == {"osuus_65": "unavailable"}
    assert len(data["models"]["malli_18_1"]["values"]["osuus_65"]) == 19  # the 18 mainland maakunnat and Åland outside


def test_custom_tables_check_every_table_in_one_pass_and_name_the_first_bad_one(monkeypatch):
    # The tables are checked against TIDY_SCHEMA together (each table's rows unique by themselves: two mappings may
    # give the same unit codes); a bad table fails the call with the error checking it alone gives.
    import pandera.pandas as pa

    from helpers.geo.municipality_key import municipality_key
    from helpers.models.model_files import mapping
    from helpers.tables import indicators

    key = municipality_key(2025)
    same = mapping("malli_18_1", 2025).reindex(key["kunta_code"]).fillna(OUTSIDE_CODE)
    got = indicators.custom_tables("osuus_65", [2024], {"a": same, "b": same.copy()}, division_year=2025)
    pd.testing.assert_frame_equal(got["a"], got["b"])
    assert got["a"].attrs["provenance"] and got["a"].attrs == got["b"].attrs  # the attrs are kept

    real = indicators._build_table

    def broken(*args, **kwargs):
        out = real(*args, **kwargs)
        if kwargs.get("validate") is False and args[4] is not same:
            out.loc[0, "year"] = 1850  # outside 1900-2100
        return out

    monkeypatch.setattr(indicators, "_build_table", broken)
    other = same.copy()
    with pytest.raises(pa.errors.SchemaError) as caught:
        indicators.custom_tables("osuus_65", [2024], {"a": same, "b": other}, division_year=2025)
    bad = real("osuus_65", [2024], "custom", 2025, other, validate=False)
    bad.loc[0, "year"] = 1850
    with pytest.raises(pa.errors.SchemaError) as alone:
        indicators.TIDY_SCHEMA.validate(bad)
    assert str(caught.value) == str(alone.value)
    # a column of another type is not cast away by putting the tables together
    good = real("osuus_65", [2024], "custom", 2025, same)
    wrong_type = good.assign(year=good["year"].astype("int32"))
    with pytest.raises(pa.errors.SchemaError, match="int32"):
        indicators._validate_all([good, wrong_type])
    indicators._validate_all([good, good.copy()])
