"""The one checking function every source's rows pass (helpers.sources.checks): one test per rule, on small tables
written out by hand here (the numbers and the messages are this file's, not computed by the code under test)."""

import math

import pandas as pd
import pytest

from helpers.base.errors import ValidationError
from helpers.sources.checks import KINDS, Rules, bounds, check_values, number, problems, requests_text

WHERE = {"what": "testi", "request": "GET https://example.invalid/data"}


def rows(**cols) -> pd.DataFrame:
    """Three welfare-region rows of 2023 unless the columns say otherwise."""
    base = {"area_code": ["01", "02", "20"], "year": [2023, 2023, 2023]}
    base.update(cols)
    return pd.DataFrame(base)


def test_good_rows_pass_and_missing_values_stay_missing():
    df = rows(value=[12.6, float("nan"), 100.0], abs_value=[5543.0, float("nan"), 0.0])
    assert problems(df, Rules(kind="share", counts=("abs_value",))) == []
    check_values(df, Rules(kind="share", counts=("abs_value",)), **WHERE)  # no error


def test_a_duplicated_row_names_its_key_and_how_many_times():
    df = pd.concat([rows(value=[1.0, 2.0, 12.9]), rows(value=[1.0, 2.0, 12.9]).iloc[[2]]], ignore_index=True)
    with pytest.raises(ValidationError) as caught:
        check_values(df, Rules(kind="share"), **WHERE)
    assert str(caught.value) == "testi (GET https://example.invalid/data): rows not unique (area × year): area 20 year 2023 ×2"


def test_every_other_dimension_is_part_of_the_key():
    df = pd.DataFrame({"area": ["KU005", "KU005"], "year": [2024, 2024], "sex": ["1", "2"], "value": [4575.0, 4503.0]})
    assert problems(df, Rules(keys=("area", "year", "sex")), area="area") == []
    df.loc[1, "sex"] = "1"
    assert problems(df, Rules(keys=("area", "year", "sex")), area="area") == ["rows not unique (area × year × sex): area KU005 year 2024 sex 1 ×2"]


@pytest.mark.parametrize("bad, shown", [(-9078.0, "-9078"), (9078.5, "9078.5"), (5635971.5, "5635971.5"), (math.inf, "inf")])
def test_counts_are_whole_numbers_at_least_zero(bad, shown):
    df = rows(vaesto=[99415.0, bad, 69639.0])
    assert problems(df, Rules(counts=("vaesto",))) == [f"counts must be whole numbers ≥ 0: area 02 year 2023 (vaesto = {shown})"]


def test_several_count_columns_of_one_row_are_named_together():
    df = rows(population_total=[10.0, -9078.0, 5.0], population_men=[4.0, -4575.0, 2.0])
    assert problems(df, Rules(counts=("population_total", "population_men"))) == [
        "counts must be whole numbers ≥ 0: area 02 year 2023 (population_total = -9078, population_men = -4575)"]


@pytest.mark.parametrize("value", [-12.9, 100.1, -0.1])
def test_a_share_is_within_0_and_100(value):
    df = rows(value=[0.0, 100.0, value])
    assert problems(df, Rules(kind="share")) == [f"share must be within 0–100: area 20 year 2023 = {value}"]


def test_declared_bounds_replace_the_kinds_own():
    assert bounds("share") == (0.0, 100.0) and bounds("count") == (0.0, None) and bounds("rate") == (None, None)
    assert bounds("rate", -100.0) == (-100.0, None) and bounds("share", None, 50.0) == (0.0, 50.0)
    df = rows(value=[-5.0, -100.0, -100.5])
    assert problems(df, Rules(kind="rate")) == []
    assert problems(df, Rules(kind="rate", lo=-100.0)) == ["rate must be ≥ -100: area 20 year 2023 = -100.5"]
    assert problems(rows(value=[1.0, 40.0, 51.0]), Rules(kind="share", hi=50.0)) == ["share must be within 0–50: area 20 year 2023 = 51"]


def test_a_ratio_is_finite():
    df = rows(value=[38.1, math.inf, -math.inf])
    assert problems(df, Rules(kind="ratio")) == ["ratio must be finite: area 02 year 2023 = inf, area 20 year 2023 = -inf"]


def test_a_count_value_is_whole_and_an_amount_need_not_be():
    assert problems(rows(value=[1.0, 2.0, 2.5]), Rules(kind="count")) == ["count must be a whole number: area 20 year 2023 = 2.5"]
    assert problems(rows(value=[1.0, 2.0, 2.5]), Rules(kind="amount")) == []
    assert problems(rows(value=[1.0, 2.0, -2.5]), Rules(kind="amount")) == ["amount must be ≥ 0: area 20 year 2023 = -2.5"]


def test_rows_without_a_value_are_checked_as_numerator_over_denominator():
    df = rows(population_65_plus=[2865.0, 3000.0, 10.0], population_total=[9078.0, 2000.0, 0.0])
    assert problems(df, Rules(kind="share", numerator="population_65_plus", denominator="population_total")) == [
        "share (population_65_plus / population_total × 100) must be within 0–100: area 02 year 2023 = 150",
        "denominator population_total must be finite and > 0: area 20 year 2023 = 0"]


def test_an_implied_denominator_that_does_not_agree_with_its_value_is_an_error():
    # Sotkanet: absValue × 100 / value. 5591 persons at 0 % has no denominator; so has 12.9 % of nobody.
    value, count = [12.9, 0.0, 12.9], [5591.0, 5591.0, 0.0]
    df = rows(value=value, abs_value=count, implied_denominator=[c * 100 / v if v else math.inf for c, v in zip(count, value)])
    assert problems(df, Rules(kind="share", counts=("abs_value",), numerator="abs_value", denominator="implied_denominator")) == [
        "denominator implied_denominator must be finite and > 0: area 02 year 2023 = inf, area 20 year 2023 = 0"]


def test_at_most_five_rows_are_listed():
    df = pd.DataFrame({"area_code": [f"{i:02d}" for i in range(1, 9)], "year": 2023, "value": -1.0})
    [text] = problems(df, Rules(kind="share"))
    assert text == ("share must be within 0–100: area 01 year 2023 = -1, area 02 year 2023 = -1, area 03 year 2023 = -1, "
                    "area 04 year 2023 = -1, area 05 year 2023 = -1 and 3 more")


def test_several_broken_rules_are_one_error_naming_each():
    df = pd.concat([rows(value=[1.0, 2.0, -12.9]), rows(value=[1.0, 2.0, -12.9]).iloc[[2]]], ignore_index=True)
    with pytest.raises(ValidationError, match=r"^testi \(GET https://example\.invalid/data\): rows not unique \(area × year\): "
                       r"area 20 year 2023 ×2; share must be within 0–100: area 20 year 2023 = -12\.9, area 20 year 2023 = -12\.9$"):
        check_values(df, Rules(kind="share"), **WHERE)


def test_messages_name_the_data_requests_and_numbers_plainly():
    meta = {"method": "GET", "url": "https://pxdata.stat.fi/PxWeb/api/v1/fi/StatFin/11re.px"}
    post = {"method": "POST", "url": "https://pxdata.stat.fi/PxWeb/api/v1/fi/StatFin/11re.px"}
    assert requests_text([meta, post, post]) == "POST https://pxdata.stat.fi/PxWeb/api/v1/fi/StatFin/11re.px"
    assert requests_text({"method": "GET", "url": "https://x/y"}) == "GET https://x/y"
    assert requests_text([]) == "request unknown"
    assert [number(v) for v in (189929.0, -12.9, float("nan"), -math.inf, 0.1 + 0.2, -43341.08527, 0.000012)] == [
        "189929", "-12.9", "missing", "-inf", "0.3", "-43341.0853", "1.2e-05"]
    assert set(KINDS) == {"count", "amount", "share", "rate", "ratio", "index"}
