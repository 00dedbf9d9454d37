"""Small numbers: the threshold from the catalogue, the exact Poisson interval, rank ranges, and the marks an
indicator page shows. Reference values: Garwood intervals from published tables (n = 0: 0–3,689; n = 10:
4,795–18,390; n = 12: 6,201–20,962) and the raw WFS answer's counts (Kökar 2024: 12 aged 0–14 of 227)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from helpers.base.errors import ValidationError
from helpers.tables import small_numbers
from helpers.tables.indicators import catalogue_row
from tests.conftest import FIXTURE_MIRROR


def test_the_exact_interval_matches_published_tables():
    low, high = small_numbers.poisson_interval([0, 10, 12])
    assert low.tolist() == pytest.approx([0.0, 4.7954, 6.2006], abs=1e-4)
    assert high.tolist() == pytest.approx([3.689, 18.390, 20.962], abs=1e-3)


def test_thresholds_follow_the_catalogue():
    assert small_numbers.threshold(catalogue_row("osuus_0_14")) == 20       # empty: the default
    assert small_numbers.threshold(catalogue_row("sotkanet_683")) == 20
    assert small_numbers.threshold(catalogue_row("vaesto")) is None          # a sum, not a share
    assert small_numbers.threshold(catalogue_row("vaesto_muutos")) is None   # the numerator is a change, not a count
    row = catalogue_row("osuus_65").copy()
    row["small_n"] = "0"
    assert small_numbers.threshold(row) is None
    row["small_n"] = "50"
    assert small_numbers.threshold(row) == 50
    assert small_numbers.threshold_problem("viisi").startswith("small_n 'viisi' is not a whole number")
    assert small_numbers.threshold_problem("-1").startswith("small_n '-1' is negative")


def test_the_catalogue_refuses_a_bad_threshold(tmp_path, monkeypatch):
    from helpers.base import config
    from helpers.tables import indicators

    data = tmp_path / "data"
    data.mkdir()
    text = (config.DATA_DIR / "indikaattorit.csv").read_text(encoding="utf-8")
    head, *lines = text.splitlines()
    col = head.split(",").index("small_n")
    first = lines[3].split(",")  # osuus_0_14: no quoted fields before small_n
    assert first[0] == "osuus_0_14"
    first[col] = "paljon"
    (data / "indikaattorit.csv").write_text("\n".join([head, *lines[:3], ",".join(first), *lines[4:]]) + "\n", encoding="utf-8")
    monkeypatch.setattr(config, "DATA_DIR", data)
    with pytest.raises(ValidationError, match=r"row osuus_0_14: small_n 'paljon' is not a whole number"):
        indicators.catalogue()


def test_rank_ranges_by_hand():
    # A above B surely; B and C overlap; D has no interval (a point) inside C's
    t = pd.DataFrame({"year": 2024, "value": [50.0, 30.0, 28.0, 27.0], "low": [45.0, 25.0, 26.5, None], "high": [55.0, 35.0, 29.0, None]})
    got = small_numbers.add_rank_ranges(t)
    assert got["rank"].tolist() == [1, 2, 3, 4]
    assert got["rank_best"].tolist() == [1, 2, 2, 2]  # only A lies surely above D's 27
    assert got["rank_worst"].tolist() == [1, 4, 4, 4]
    assert [small_numbers.rank_text(*r) for r in got[["rank", "rank_best", "rank_worst"]].itertuples(index=False)] == \
        ["1", "2 (2–4)", "3 (2–4)", "4 (2–4)"]


def _kokar() -> dict:
    features = json.loads((FIXTURE_MIRROR / "stat" / "wfs" / "vaestoalue_kunta_vaki2024.json").read_text(encoding="utf-8"))["features"]
    return next(f["properties"] for f in features if f["properties"]["nimi"] == "Kökar")


def test_kokar_share_of_children_is_small_with_its_interval():
    from helpers.tables.indicators import indicator_table, value_scale

    raw = _kokar()
    row = catalogue_row("osuus_0_14")
    table = small_numbers.mark(indicator_table("osuus_0_14", [2024], level="kunta", division_year=2025), row, value_scale(row))
    k = table.set_index("area_code").loc[raw["kunta"]]
    assert (k["numerator"], k["denominator"]) == (raw["ika_0_14"], raw["vaesto"]) == (12, 227)
    assert bool(k["small"]) and k["value"] == pytest.approx(100 * 12 / 227)
    assert (k["low"], k["high"]) == pytest.approx((100 * 6.2006 / 227, 100 * 20.9616 / 227), abs=1e-3)
    # below 20: Kökar (12) and Sottunga (17) only, from the raw counts
    features = json.loads((FIXTURE_MIRROR / "stat" / "wfs" / "vaestoalue_kunta_vaki2024.json").read_text(encoding="utf-8"))["features"]
    expected = sorted(f["properties"]["kunta"] for f in features if f["properties"]["ika_0_14"] < 20)
    assert sorted(table.loc[table["small"], "area_code"]) == expected and len(expected) == 2
    assert int(k["rank"]) == 308 and int(k["rank_best"]) < 300  # lowest share, but its rank is not sure


def test_the_indicator_page_marks_small_numbers_in_map_table_csv(tmp_path, monkeypatch):
    from helpers.site.downloads import read_csv
    from helpers.site.indicator_pages import write_indicator_page

    monkeypatch.setenv("SOTE_OUTPUTS_DIR", str(tmp_path / "outputs"))  # not the session's site
    raw = _kokar()
    path = write_indicator_page("osuus_0_14", 2024, level="kunta", division_year=2025, years=[2024], langs=("fi", "en"))
    assert tmp_path in path.parents
    html = path.read_text(encoding="utf-8")
    small_paths = re.findall(r"<path [^>]*class='sr-alue sr-pieni' data-code='(\d+)'><title>([^<]*)</title>", html)
    assert {c for c, _ in small_paths} == {raw["kunta"], "766"}  # Kökar and Sottunga
    assert dict(small_paths)[raw["kunta"]] == "Kökar: 5,3\u00a0% (95 %:n väli 2,7–9,2; osoittaja alle 20)"
    assert "katkoviivareuna: osoittaja alle 20" in html and "◊ osoittaja alle 20" in html
    assert re.search(r"<td>Kökar</td><td class='num'>5,3 ◊</td><td>308 \(\d+–308\)</td>", html)
    csv = read_csv(path.with_name(path.stem + ".arvot.csv"))
    k = csv[csv["area_code"].astype(str).str.zfill(3) == raw["kunta"]].iloc[0]
    assert (int(k["numerator"]), int(k["small_numerator"]), int(k["rank"])) == (12, 1, 308)
    assert int(csv["small_numerator"].sum()) == 2
    en = (path.parent.parent / "en" / "indikaattorit" / path.name).read_text(encoding="utf-8")
    assert "dashed edge: numerator below 20" in en and "Rank (range)" in en


def test_the_threshold_is_strict_below():
    row = catalogue_row("osuus_65")
    toy = pd.DataFrame({"year": 2024, "area_code": ["a", "b", "c"], "value": [19.0, 20.0, 0.0],
                        "numerator": [19, 20, 0], "denominator": [100, 100, 100]})
    got = small_numbers.mark(toy, row, 100.0)
    assert got["small"].tolist() == [True, False, True]
    assert got.loc[2, "high"] == pytest.approx(100 * 3.6889 / 100, abs=1e-3)  # a count of 0: the scale over the denominator
