"""Series breaks as data: the cited table, the mergers, and which rows of a tidy table carry a break."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from helpers.base import config
from helpers.base.errors import ValidationError
from helpers.tables import breaks
from helpers.tables.indicators import catalogue, indicator_table

ALL_REGIONS = [f"{i:02d}" for i in range(1, 22)] + ["90", "91"]


def _mergers() -> list[dict]:
    with open(config.DATA_DIR / "kuntaliitokset.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_cited_table_is_valid_and_the_reform_spares_helsinki_and_aland():
    cited = breaks.cited_breaks(catalogue()["indicator_id"])
    reform = cited[cited["kind"] == "organiser"].iloc[0]
    assert reform["year"] == 2023 and reform["indicator"] == "*" and not reform["gap"]
    assert list(reform["regions"]) == [c for c in ALL_REGIONS if c not in ("90", "91")]
    assert "612/2021" in breaks.citations.cite(reform["source"])


def test_every_merger_is_a_municipal_boundary_break_in_its_year():
    rows = breaks.merger_breaks()
    expected = [(int(m["effective"][:4]), m["new_code"]) for m in _mergers()]
    assert list(zip(rows["year"], rows["municipality"])) == expected
    assert set(rows["kind"]) == {"boundary"} and set(rows["level"]) == {"kunta"} and not rows["gap"].any()


def test_welfare_region_rows_of_the_reform_year_are_marked():
    marked = breaks.mark(indicator_table("vaesto", [2023, 2024], level="hyvinvointialue"), division_year=2025)
    flagged = sorted(marked.loc[marked["break"] != "", "area_code"])
    assert flagged == [c for c in ALL_REGIONS if c not in ("90", "91")]
    assert set(marked.loc[marked["break"] != "", "year"]) == {2023}
    assert set(marked.loc[marked["break"] != "", "break"]) == {"järjestäjä vaihtui 2023"}
    (info,) = marked.attrs["breaks"]
    assert info["kind"] == "organiser" and "612/2021" in info["source"]["fi"] and "/sv/" not in info["source"]["fi"] and info["text"]["sv"].startswith("Ordnandet")
    sv = breaks.mark(indicator_table("vaesto", [2023, 2024], level="hyvinvointialue"), division_year=2025, lang="sv")
    assert set(sv["break"]) == {"", "huvudmannen byttes 2023"}


def test_municipal_rows_carry_their_merger_and_their_region():
    years = list(range(2019, 2024))
    marked = breaks.mark(indicator_table("vaesto_historia", years, level="kunta", division_year=2025), division_year=2025)
    cell = marked.set_index(["area_code", "year"])["break"]
    honkajoki = next(m for m in _mergers() if m["old_name_fi"] == "Honkajoki")
    assert cell[(honkajoki["new_code"], 2021)] == "aluejako muuttui 2021"
    assert cell[("091", 2023)] == ""                                     # Helsinki organises as before
    assert cell[("049", 2023)] == "järjestäjä vaihtui 2023"              # Espoo: Länsi-Uusimaa
    assert (marked.loc[marked["year"] == 2022, "break"] == "").all()


def test_model_units_are_marked_when_any_member_region_is():
    table = indicator_table("vaesto", [2023, 2024], level="hyvinvointialue")
    key = breaks.municipality_key(2025)
    unit = key["hyvinvointialue_code"].map(lambda c: "H" if c == "90" else "A" if c == "91" else "U" if c == "01" else "M")
    mapping = pd.Series(unit.values, index=key["kunta_code"])
    custom = pd.DataFrame({"area_level": "custom", "area_code": ["H", "A", "U", "M"], "year": 2023,
                           "indicator_id": "vaesto", "value": 1.0})
    with pytest.raises(ValidationError, match="mapping"):
        breaks.mark(custom, division_year=2025)
    marked = breaks.mark(custom, division_year=2025, mapping=mapping).set_index("area_code")["break"]
    assert marked.to_dict() == {"H": "", "A": "", "U": "järjestäjä vaihtui 2023", "M": "järjestäjä vaihtui 2023"}
    assert len(table)  # the welfare-region table the units were built from answers the mirror


@pytest.mark.parametrize("column, value, message", [
    ("kind", "reform", "kind 'reform'"),
    ("regions", "01 99", "regions '01 99'"),
    ("source", "keksitty_lahde", "source 'keksitty_lahde' is not a key"),
    ("gap", "yes", "gap 'yes'"),
    ("indicator", "ei_ole", "indicator 'ei_ole' is not in the catalogue"),
    ("text_sv", " ", "text_fi, text_sv and text_en are all needed"),
])
def test_a_bad_row_is_refused_naming_row_and_rule(column, value, message):
    df = pd.read_csv(config.DATA_DIR / breaks.BREAKS_FILE, dtype=str, keep_default_na=False, comment="#")
    df.loc[0, column] = value
    with pytest.raises(ValidationError, match=f"row 1: {message}"):
        breaks.check_table(df, catalogue()["indicator_id"])
