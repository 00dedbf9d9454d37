"""The headline comparison (helpers.models.decision): one staffing rule for every model, recomputed here from the
fixture mirror's raw answers (population per municipality, the mirror's own municipality key, PRH's class-3 counts)
with a divisor method written for the test, not with the scorecard's or the apportionment module's code."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from helpers.models import decision, partitions
from tests.conftest import FIXTURE_MIRROR

BUDGET = 18


@pytest.fixture(scope="module")
def data():
    refs = [partitions.as_model(partitions.optimal_partition(5, "population"))]
    return decision.decision(references=refs)


def _raw_units(column: str) -> dict[str, int]:
    """Population 31.12.2024 per unit of a key column, from the raw WFS answer and the mirror's municipality key."""
    answer = json.loads((FIXTURE_MIRROR / "stat" / "wfs" / "vaestoalue_kunta_vaki2024.json").read_text(encoding="utf-8"))
    people = {f["properties"]["kunta"]: int(f["properties"]["vaesto"]) for f in answer["features"]}
    key = pd.read_csv(FIXTURE_MIRROR / "geo" / "municipality_key_2025.csv", dtype=str)
    key = key[key["mainland"] == "True"]
    out: dict[str, int] = {}
    for code, unit in zip(key["kunta_code"], key[column]):
        out[unit] = out.get(unit, 0) + people[code]
    return out


def _webster(weights: list[float], seats: int, floor: int) -> list[int]:
    """Sainte-Laguë by the textbook's other definition: find a divisor d with sum(round(w / d)) == seats (rounding
    halves up), each unit at least ``floor``; bisection on d."""
    lo, hi = 1e-9, sum(weights) * 2
    for _ in range(200):
        d = (lo + hi) / 2
        got = [max(floor, math.floor(w / d + 0.5)) for w in weights]
        if sum(got) > seats:
            lo = d
        elif sum(got) < seats:
            hi = d
        else:
            return got
    raise AssertionError("no divisor found")


def _column(data, model_id):
    return next(c for c in data["columns"] if c["id"] == model_id)


@pytest.mark.parametrize("model, key_column", [("malli_18_1", "maakunta_code"), ("malli_5_1_erva2020", "erva2020_code"),
                                               ("malli_5_1_yta", "yhteistyoalue_code")])
def test_headline_numbers_recomputed_from_the_raw_answers(data, model, key_column):
    pops = _raw_units(key_column)
    col = _column(data, model)
    by_code = dict(zip(col["unit_codes"], col["population"]))
    assert {str(int(k)) if k.isdigit() and key_column != "maakunta_code" else k: v for k, v in pops.items()} == \
        {str(int(k)) if k.isdigit() and key_column != "maakunta_code" else k: v for k, v in by_code.items()}
    codes = sorted(pops)
    seats = _webster([pops[c] for c in codes], BUDGET, floor=1)
    published = dict(zip(col["unit_codes"], col["variants"]["floor"]["seats"]))
    assert [published[c] for c in col["unit_codes"]] == [dict(zip(codes, seats))[c] for c in col["unit_codes"]]
    per = [pops[c] / s for c, s in zip(codes, seats)]
    crit = col["variants"]["floor"]["criteria"]
    assert crit["residents_ratio"] == pytest.approx(max(per) / min(per), rel=1e-12)
    assert crit["residents_max"] == pytest.approx(max(per), rel=1e-12)


def test_18_plus_1_under_the_rule_is_its_own_staffing_and_exact(data):
    pops = _raw_units("maakunta_code")
    col = _column(data, "malli_18_1")
    assert col["variants"]["floor"]["seats"] == [1] * 18  # 18 units, 18 person-years, one each
    assert col["variants"]["floor"]["criteria"]["residents_ratio"] == pytest.approx(max(pops.values()) / min(pops.values()))
    assert max(pops.values()) == 1782300 and round(max(pops.values()) / min(pops.values()), 2) == 26.32


def test_every_model_in_one_table_is_under_the_same_rule(data):
    """Every column of a variant: whole person-years summing to the one budget, allocated by the same method and
    floor from the unit populations (recomputed here), or marked infeasible with the units named."""
    for variant, floor in (("floor", 1), ("no_floor", 0)):
        for col in data["columns"]:
            entry = col["variants"][variant]
            if not entry["feasible"]:
                assert variant == "floor" and col["units"] > BUDGET and entry["left_out"]["fi"]
                continue
            assert sum(entry["seats"]) == BUDGET, (variant, col["id"])
            assert entry["seats"] == _webster([float(p) for p in col["population"]], BUDGET, floor), (variant, col["id"])
    # the rule is stated once per variant and names the method and the floor
    assert "Sainte-Laguë" in data["rule"]["text"]["floor"]["fi"] and "vähintään" in decision.RULE_TAG["floor"]["fi"]
    assert data["rule"]["headline"] == "floor" and data["rule"]["why_headline"]["en"]


def test_no_figure_is_even_by_construction(data):
    for col in data["columns"]:
        ratio = col["variants"]["floor"]["criteria"]["residents_ratio"]
        assert ratio is None or ratio > 1.0 + 1e-9, col["id"]


def test_infeasible_floor_names_the_units_left_out(data):
    col = _column(data, "hyvinvointialueittain")
    entry = col["variants"]["floor"]
    assert col["units"] == 22 and not entry["feasible"] and entry["seats"] is None
    assert all(v is None for k, v in entry["criteria"].items() if k in decision.STAFFING_CRITERIA)
    # the units a floorless allocation gives nothing, recomputed: the seven smallest by the test's own method
    pops = _raw_units("hyvinvointialue_code")
    codes = sorted(pops)
    none = {c for c, s in zip(codes, _webster([pops[c] for c in codes], BUDGET, 0)) if s == 0}
    assert len(none) == 7 and len(entry["left_out"]["fi"]) == 7
    note = " ".join(data["notes"]["floor"]["fi"])
    assert "22 yksikköä mutta 18 htv" in note and "Kainuun hyvinvointialue" in note
    assert any("22 units but 18 person-years" in n for n in data["notes"]["floor"]["en"])


def test_without_a_floor_units_with_no_worker_are_named_never_zero(data):
    col = _column(data, "malli_18_1")
    entry = col["variants"]["no_floor"]
    zero = [n for n, s in zip(col["unit_names"]["fi"], entry["seats"]) if s == 0]
    assert sorted(zero) == sorted(entry["left_out"]["fi"]) and "Kainuu" in zero
    assert entry["criteria"]["residents_ratio"] is None  # not a zero or an infinity
    assert any(n.startswith("18+1: ilman työntekijää: ") for n in data["notes"]["no_floor"]["fi"])


def test_persons_and_person_years_never_share_a_column(data):
    rows = {r["id"]: r for r in data["sources_view"]}
    assert rows["malli_18_1"]["regional_htv"] == 18 and rows["malli_18_1"]["coordination_htv"] == 2
    assert rows["malli_18_1"]["regional_persons"] is None
    assert rows["rakenne_2021"]["regional_persons"] == 7 and rows["rakenne_2021"]["coordination_persons"] == 3
    assert rows["rakenne_2021"]["regional_htv"] is None and rows["rakenne_2021"]["coordination_htv"] is None
    for m in ("malli_5_1_erva2020", "malli_5_1_yta"):
        assert all(rows[m][k] is None for k in ("regional_htv", "coordination_htv", "regional_persons", "coordination_persons"))
        assert rows[m]["note"]["en"] == "not given by the source"
    assert rows["hyvinvointialueittain"]["note"]["en"].startswith("computed reference")


def test_survey_support_is_only_where_the_survey_asked_and_carries_its_caveat(data):
    support = {c["id"]: c["support_pct"] for c in data["columns"]}
    assert support["malli_18_1"] == 72 and support["malli_5_1_erva2020"] == 26
    assert support["malli_5_1_yta"] is None  # the 2023 collaboration areas did not exist in 2020
    from helpers.models.metrics import model_summary

    yes = model_summary("malli_5_1_yta", 2025)["survey_yes_pct"]
    assert yes is None or math.isnan(yes)  # nor does the scorecard credit it
    assert "n = 562" in data["survey_caveat"]["fi"] and "80 %" in data["survey_caveat"]["fi"]
    assert "proponents of 18+1" in data["survey_caveat"]["en"]
    assert "18+1" in data["verdicts"]["floor"]["support_pct"]["en"] and "proponents" in data["verdicts"]["floor"]["support_pct"]["en"]


def test_associations_use_the_erva_estimate_with_its_method_named(data):
    col = _column(data, "malli_5_1_erva2020")
    assert col["associations_estimated"] and col["associations_method"]["fi"]
    prh = pd.read_csv(Path(__file__).resolve().parents[2] / "data" / "prh_yhdistykset_maakunnittain.csv", dtype={"maakunta_code": str})
    mainland = prh[(prh["as_of"] == "2025-01-02") & (prh["maakunta_code"] != "21")]
    assert sum(col["associations"]) == pytest.approx(float(mainland["c3"].sum()))  # shares of the same 8 099
    assert int(mainland["c3"].sum()) == 8099
    assert "8\u00a0099" in data["associations_note"]["fi"] and "10\u00a0708" in data["associations_note"]["fi"]


def test_findings_at_most_eight_each_naming_its_rule(data):
    for lang in decision.LANGS:
        found = data["findings"][lang]
        assert 1 <= len(found) <= 8
        tags = [decision.RULE_TAG[k][lang] for k in decision.RULE_TAG]
        assert all(any(f"({tag})" in s for tag in tags) for s in found), lang
    assert not any("sama kokonaismäärä" in s for s in data["findings"]["fi"])


def test_verdicts_name_the_better_of_the_two_proposals(data):
    v = data["verdicts"]["floor"]["residents_ratio"]
    assert v["fi"].startswith("Paras: ") and "5+1 (erva 2020) parempi kuin 18+1: 1,39 vs 26,32." in v["fi"]
    assert "18+1 better than 5+1 (2020 special responsibility areas): 516 vs 793." in data["verdicts"]["floor"]["longest_distance_km"]["en"]


def test_the_census_summary_is_used_only_for_the_inputs_it_was_computed_from(data, monkeypatch):
    from helpers.models import evenness

    s5, s6 = data["evenness"]["5"], data["evenness"]["6"]
    assert s5["origin"] == "stored" and s6["origin"] == "stored"  # the fixture mirror's inputs are those of the file
    assert s5["count"] == 40912254 and len(s5["optima"]) == 2 and s5["within"][0]["count"] == 437
    assert s6["count"] == 160240582 and len(s6["optima"]) == 3
    yta = s5["official"][0]
    assert yta["model"] == "malli_5_1_yta" and yta["at_least_as_even"] == 1617694
    assert yta["share"] == pytest.approx(1617694 / 40912254)
    # the optimum of the exact search is one of the census's tied optima, with the same exact ratio
    opt = partitions.optimal_partition(5, "population")
    assert sorted(map(sorted, opt.parts)) in [sorted(map(sorted, o["parts"])) for o in s5["optima"]]
    assert s5["optimum"]["max"] / s5["optimum"]["min"] == pytest.approx(opt.ratio)
    # a changed population is another input: the stored summary is not used for it
    g = evenness._graph(2025)
    g.nodes["21"]["weight"] += 1
    monkeypatch.setattr(evenness, "_graph", lambda year: g)
    assert evenness.summaries(2025, compute=False) == {}
    text = decision.evenness_text(data, "en")[0]["text"]
    assert "in 40,912,254 ways" in text and "2 groupings tie" in text and "4.0 % of all groupings" in text


def test_a_computed_reference_is_never_named_the_answer(data):
    for variant in decision.VARIANTS:
        for crit, v in data["verdicts"][variant].items():
            assert not v["fi"].startswith("Paras: Tasaisin") and not v["en"].startswith("Best: Most balanced"), crit
    assert "Vertailukohta: Tasaisin 5 yksikön jako (laskettu) 1,26." in data["verdicts"]["floor"]["residents_ratio"]["fi"]
    assert all("Tasaisin 5 yksikön jako" not in s.split(";")[0] for s in data["findings"]["fi"][:3])
