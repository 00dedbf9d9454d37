"""The indicator series (helpers.tables.series): every year on one division, the two population tables joined and
checked where they overlap, the break column, and values equal to the recorded answers, recomputed here from the
raw answer files in snapshot/ without the package."""

import json

import pandas as pd
import pytest

from helpers.base.errors import InvalidParameter, ValidationError
from helpers.tables import series as series_module
from helpers.tables.series import indicator_series

from tests.conftest import FIXTURE_MIRROR

PRE2026 = FIXTURE_MIRROR / "stat" / "pxweb" / "recorded_pre2026" / "statfin_vaerak_pxt_11re_POST_all-areas_all-years_json.json"
CURRENT = FIXTURE_MIRROR / "stat" / "pxweb" / "reconstructed" / "11re_POST_all-municipalities_2023-2024_json-stat2.RECONSTRUCTED.json"
SOTKANET = FIXTURE_MIRROR / "sotkanet" / "reconstructed" / "json_indicator683_years2021+2022+2023_total.RECONSTRUCTED.json"
KEY = FIXTURE_MIRROR / "geo" / "municipality_key_2025.csv"
ORGANISER = "järjestäjä vaihtui 2023"


@pytest.fixture(scope="module")
def population():
    return indicator_series("vaesto", "hyvinvointialue", 2025, years=range(1972, 2025))


def _pre2026() -> dict[tuple[str, int], float]:
    rows = json.loads(PRE2026.read_text(encoding="utf-8"))["data"]
    return {(r["key"][0], int(r["key"][3])): float(r["values"][0]) for r in rows if r["key"][1] == "SSS" and r["key"][2] == "SSS"}


def _current() -> dict[tuple[str, int], float]:
    d = json.loads(CURRENT.read_text(encoding="utf-8"))
    areas, years = (sorted(d["dimension"][k]["category"]["index"].items(), key=lambda kv: kv[1]) for k in (d["id"][0], d["id"][3]))
    return {(a, int(y)): float(d["value"][ai * len(years) + yi]) for a, ai in areas for y, yi in years}


def _region_sum(raw: dict, region: str, year: int) -> float:
    """A welfare region's population as the sum of its 2025 municipalities (Pertunmaa, merged into Mäntyharju in
    2025, is in the 2024-division table on its own and belongs to the same region)."""
    key = pd.read_csv(KEY, dtype=str)
    members = key.loc[key["hyvinvointialue_code"] == region, "kunta_code"].tolist() + (["588"] if region == "12" else [])
    return sum(raw[(f"KU{m}", year)] for m in members if (f"KU{m}", year) in raw)


def test_population_joins_the_two_tables_on_one_division(population):
    assert sorted(set(population["year"])) == list(range(1972, 2025))
    assert population.groupby("year").size().eq(23).all()  # 21 regions, Helsinki and Åland every year
    tables = population.groupby("table")["year"].agg(["min", "max"])
    assert tables.loc["vaerak/statfin_vaerak_pxt_11re"].tolist() == [1972, 2022]
    assert tables.loc["11re"].tolist() == [2023, 2024]  # the overlap year shown from the current table
    assert {"break", "value_flags", "table"} <= set(population.columns)


def test_population_values_equal_the_recorded_answers(population):
    old, new = _pre2026(), _current()
    value = population.set_index(["area_code", "year"])["value"]
    assert value[("90", 1990)] == old[("KU091", 1990)]  # Helsinki is its own area
    assert value[("90", 2024)] == new[("KU091", 2024)] == 684018
    assert value[("12", 1980)] == _region_sum(old, "12", 1980)  # Etelä-Savo, with Pertunmaa moved into Mäntyharju
    assert value[("12", 2023)] == _region_sum(new, "12", 2023)
    assert value[("19", 1972)] == _region_sum(old, "19", 1972)
    country = indicator_series("vaesto", "koko_maa", 2025, years=[1972, 2024]).set_index("year")["value"]
    assert country[1972] == old[("SSS", 1972)] == 4653401 and country[2024] == new[("SSS", 2024)]


def test_the_overlap_year_agrees_in_the_raw_answers():
    old, new = _pre2026(), _current()
    for code in ("SSS", "KU091", "KU020"):
        assert old[(code, 2023)] == new[(code, 2023)]
    # the current table is on the 2026 division: Pertunmaa (588) is already part of Mäntyharju (507)
    assert old[("KU507", 2023)] + old[("KU588", 2023)] == new[("KU507", 2023)]


def test_the_2023_reform_is_marked_outside_helsinki_and_aland(population):
    marked = population[population["break"] != ""]
    assert set(marked["year"]) == {2023}
    assert set(marked["area_code"]) == {f"{i:02d}" for i in range(1, 22)}
    assert set(marked["break"]) == {ORGANISER}
    assert [b["year"] for b in population.attrs["breaks"]] == [2023] and not population.attrs["breaks"][0]["gap"]


def test_a_disagreeing_overlap_year_is_refused(monkeypatch):
    real = series_module.indicator_table

    def shifted(indicator_id, years, **kw):
        t = real(indicator_id, years, **kw)
        if indicator_id == "vaesto":
            t.loc[(t["year"] == 2023) & (t["area_code"] == "90"), "value"] += 1
        return t

    monkeypatch.setattr(series_module, "indicator_table", shifted)
    with pytest.raises(ValidationError, match=r"2023: the older table .* disagree in 1 areas: 90"):
        indicator_series("vaesto", "hyvinvointialue", 2025, years=[2022, 2023, 2024])


def test_sotkanet_683_every_year_equals_the_answer():
    s = indicator_series("sotkanet_683", "hyvinvointialue", 2025)
    assert sorted(set(s["year"])) == [2021, 2022, 2023]
    raw = json.loads(SOTKANET.read_text(encoding="utf-8"))
    ids = pd.read_csv(FIXTURE_MIRROR / "sotkanet" / "reference" / "sotkanet_hyvinvointialueet.csv", dtype=str)
    region_id = {r.uusi_code: {int(r.uusi_id), *([int(r.vanha_id)] if isinstance(r.vanha_id, str) else [])} for r in ids.itertuples()}
    for code, year in (("90", 2021), ("11", 2022), ("19", 2023)):
        found = [r["value"] for r in raw if r["year"] == year and r["region"] in region_id[code]]
        # the package recomputes a share from absValue and the denominator it implies: equal to float rounding
        assert found and s.loc[(s["area_code"] == code) & (s["year"] == year), "value"].item() == pytest.approx(found[0], rel=1e-12)
    assert set(s.loc[s["break"] != "", "year"]) == {2023} and "90" not in set(s.loc[s["break"] != "", "area_code"])
    assert "value_flags" in s.columns


def test_arguments_are_checked_before_any_download():
    with pytest.raises(InvalidParameter, match=r"years=1971 is not allowed; allowed: 1972–2025"):
        indicator_series("vaesto", "hyvinvointialue", 2025, years=[1971, 2024])
    with pytest.raises(InvalidParameter, match="vaesto_muutos"):
        indicator_series("vaesto_muutos", "hyvinvointialue", 2025)
