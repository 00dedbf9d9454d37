import itertools
import re

import pytest

from helpers.models import model_files as models
from helpers.base.errors import InvalidParameter, ValidationError
from helpers.models.metrics import REFERENCE, compare, model_summary, unit_metrics
from helpers.geo.municipality_key import municipality_key
from helpers.sources.population import municipal_population_wfs

ALL = ["hyvinvointialueittain", "jarjesto_2_0", "koordinoimaton", "malli_18_1", "malli_5_1_erva2020", "malli_5_1_yta", "rakenne_2021"]
FINLAND_2024 = 5_635_971  # population 31.12.2024, Statistics Finland


def test_model_files_present():
    assert models.model_names() == ALL


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("year", [2025, 2026])
def test_every_mainland_municipality_exactly_once(name, year):
    res = models.resolve(name, year)
    key = municipality_key(year)
    assert sorted(res["kunta_code"]) == sorted(key.loc[key["mainland"], "kunta_code"])  # Åland excluded by every model
    assert res["kunta_code"].is_unique and res["unit_code"].notna().all()


def test_unit_counts():
    counts = {m: models.resolve(m, 2025)["unit_code"].nunique() for m in ALL}
    assert counts == {"hyvinvointialueittain": 22, "jarjesto_2_0": 18, "koordinoimaton": 1, "malli_18_1": 18,
                      "malli_5_1_erva2020": 5, "malli_5_1_yta": 5, "rakenne_2021": 6}


def test_18_plus_1_has_18_units_and_20_htv():
    s = model_summary("malli_18_1", 2025)
    assert s["units"] == 18 and s["regional_htv"] == 18 and s["coordination_htv"] == 2 and s["total_htv"] == 20
    assert s["staffing"] == "mallin oma henkilöstö lähteen mukaan"
    m = models.load_model("malli_18_1")
    assert (m.regional_htv_per_unit, m.coordination_htv, m.source.date) == (1, 2, "2020-02-13")


def test_unit_populations_sum_to_the_country():
    pop = municipal_population_wfs(2024)
    key = municipality_key(2025).merge(pop, on="kunta_code")
    aland = key.loc[~key["mainland"], "population_total"].sum()
    for m in ALL:
        units = unit_metrics(m, 2025)
        assert units["population"].sum() + aland == FINLAND_2024, m
        assert units["municipalities"].sum() == 292


def test_the_three_exceptions_land_in_the_right_units():
    erva = models.resolve("malli_5_1_erva2020", 2025).set_index("kunta_code")["unit_code"]
    yta = models.resolve("malli_5_1_yta", 2025).set_index("kunta_code")["unit_code"]
    # erva codes: 2 TYKS, 3 TAYS, 5 OYS; collaboration areas: 2 Itä-Suomi (KYS), 3 Sisä-Suomi (TAYS), 4 Länsi-Suomi (TYKS)
    assert (erva["182"], yta["182"]) == ("3", "2")  # Jämsä: TAYS erva, KYS area
    assert (erva["288"], yta["288"]) == ("5", "4")  # Kruunupyy: OYS erva, TYKS area
    assert (erva["619"], yta["619"]) == ("2", "3")  # Punkalaidun: TYKS erva, TAYS area
    assert model_summary("malli_5_1_erva2020", 2025)["welfare_regions_split"] == ["08", "15", "17"]
    assert model_summary("malli_5_1_yta", 2025)["welfare_regions_split"] == []


def test_staffing_conventions():
    same_unit = unit_metrics("malli_5_1_yta", 2025, "sama_per_yksikko")
    assert same_unit["regional_htv"].tolist() == [1.0] * 5
    same_total = unit_metrics("malli_5_1_yta", 2025, "sama_kokonaismaara")
    assert same_total["regional_htv"].sum() == pytest.approx(REFERENCE["regional_htv_total"])
    assert same_total["population_per_htv"].round(6).nunique() == 1  # shared by population
    assert model_summary("malli_5_1_yta", 2025, "sama_kokonaismaara")["total_htv"] == pytest.approx(20)
    j = model_summary("jarjesto_2_0", 2025)
    assert j["staffing"] == "henkilötyövuodet eivät ole tiedossa" and j["total_htv"] != j["total_htv"]  # NaN
    with pytest.raises(InvalidParameter, match="staffing='sama'"):
        unit_metrics("malli_18_1", 2025, "sama")


def test_2021_build_and_jarjesto_2_0_state_only_what_the_seeds_say():
    m = models.load_model("rakenne_2021")
    assert [u.headcount for u in m.units] == [1, 1, 1, 1, 1, 2] and m.coordination_headcount == 3
    assert m.regional_htv_per_unit is None
    j = models.load_model("jarjesto_2_0")
    assert j.projects == {"count": 17, "of": 18, "missing_unit": None}
    assert set(j.known_projects) == {"14", "02"}


def test_survey_support_and_ngo_counts_are_the_cited_figures():
    s = model_summary("malli_18_1", 2025)
    assert (s["survey_yes_pct"], s["survey_no_pct"], s["survey_dont_know_pct"]) == (72, 12, 16)
    e = model_summary("malli_5_1_erva2020", 2025)
    assert (e["survey_yes_pct"], e["survey_no_pct"], e["survey_dont_know_pct"]) == (26, 54, 20)
    ngo = unit_metrics("hyvinvointialueittain", 2025).set_index("unit_code")["ngo_count"]
    assert ngo.dropna().to_dict() == {"05": 938.0, "08": 935.0, "90": 1799.0}
    assert unit_metrics("malli_18_1", 2025)["ngo_count"].isna().all()  # never filled in


def test_relations_to_collaboration_areas():
    rel = unit_metrics("malli_5_1_yta", 2025)["yta_relation"].tolist()
    assert rel == [f"sama kuin yhteistyöalue {i}" for i in range(1, 6)]
    assert unit_metrics("koordinoimaton", 2025)["yta_relation"].item() == "yhteistyöalueiden 1 + 2 + 3 + 4 + 5 yhdiste"
    assert unit_metrics("malli_18_1", 2025).set_index("unit_code").loc["19", "yta_relation"] == "osa yhteistyöaluetta 5"


def test_distances_are_plausible():
    u = unit_metrics("malli_18_1", 2025).set_index("unit_name_fi")
    assert u.loc["Lappi", "max_distance_km"] > u.loc["Uusimaa", "max_distance_km"]
    assert 0 < u.loc["Uusimaa", "mean_distance_km"] < u.loc["Uusimaa", "max_distance_km"] < 200


@pytest.mark.parametrize(("text", "message"), [
    ("id: x\nname: {fi: X}\nsource: {seed: s, date: d, citation: c}\nbasis: lääni\n", r"basis: Input should be"),
    ("id: x\nname: {fi: X}\nsource: {seed: s, date: d, citation: c}\nbasis: maakunta\nregional_htv_per_unit: -1\n", r"regional_htv_per_unit: Input should be greater than or equal to 0"),
    ("id: x\nname: {fi: X}\nsource: {seed: s, date: d}\nbasis: maakunta\n", r"source.citation: Field required"),
    ("id: x\nname: {fi: X\n", r"not valid YAML"),
])
def test_malformed_model_files_are_rejected(text, message):
    with pytest.raises(ValidationError, match=message):
        models.parse_model(text, "data/mallit/x.yaml")


def test_unknown_region_code_and_missing_municipalities(tmp_path, monkeypatch):
    head = "id: x\nname: {fi: X}\nsource: {seed: s, date: d, citation: c}\nbasis: groups\nmember_level: hyvinvointialue\nunits:\n"
    bad_code = models.parse_model(head + "  - {code: a, name: {fi: A}, members: ['99']}\n", "x")
    with pytest.raises(ValidationError, match=r"unknown hyvinvointialue codes \['99'\]"):
        models.resolve(bad_code, 2025)
    partial = models.parse_model(head + "  - {code: a, name: {fi: A}, members: ['01']}\n", "x")
    with pytest.raises(ValidationError, match=r"municipalities in no unit: the \d+ municipalities of welfare regions "
                                              r"02 Keski-Uudenmaan hyvinvointialue, 03 Länsi-Uudenmaan hyvinvointialue"):
        models.resolve(partial, 2025)
    twice = models.parse_model(head + "  - {code: a, name: {fi: A}, members: ['01', '02']}\n  - {code: b, name: {fi: B}, members: ['02']}\n", "x")
    with pytest.raises(ValidationError, match=r"members in more than one unit: \['02'\] \(02 Keski-Uudenmaan hyvinvointialue in units a, b\)"):
        models.resolve(twice, 2025)


# --------------------------------------------------------------------------- own models

REGIONS = [f"{i:02d}" for i in range(1, 22)] + ["90"]


def own_model(unit_a: list[str], unit_b: list[str], source: str = "") -> str:
    """A researcher's own model: no source (unless given), two units of welfare regions."""
    return ("id: oma\nname: {fi: Oma malli, sv: Egen modell, en: Own model}\n" + source
            + "basis: groups\nmember_level: hyvinvointialue\nregional_htv_per_unit: 1\ncoordination_htv: 1\nunits:\n"
            + f"  - {{code: a, name: {{fi: A}}, members: {unit_a}}}\n  - {{code: b, name: {{fi: B}}, members: {unit_b}}}\n")


SOUTH = [r for r in REGIONS if r != "21"]


def test_an_own_model_needs_no_source_and_says_so_in_three_languages(tmp_path):
    (tmp_path / "oma.yaml").write_text(own_model(SOUTH, ["21"]), encoding="utf-8")
    assert models.file_problems(tmp_path / "oma.yaml", {2025, 2026}) == []
    m = models.parse_model(own_model(SOUTH, ["21"]), "oma.yaml")
    assert m.own and m.source.seed is None and m.source.ref is None
    assert [models.source_text(m, lang) for lang in ("fi", "sv", "en")] == [
        "oma malli, ei lähteestä", "egen modell, inte från en källa", "own model, not from a source"]
    # pages that cite a model by one string (whatever the language) show all three
    assert m.source.citation == "oma malli, ei lähteestä / egen modell, inte från en källa / own model, not from a source"
    assert models.resolve(m, 2025)["unit_code"].value_counts()["b"] == 21  # Lapland's municipalities
    # a file that names a source still cites it; the seed is optional
    cited = models.parse_model(own_model(SOUTH, ["21"], source="source: {date: '2026-01-01', citation: Oma selvitys}\n"), "oma.yaml")
    assert not cited.own and models.source_text(cited, "en") == "Oma selvitys, 2026-01-01"
    assert models.source_text("malli_18_1", "sv").startswith("Sotunet")


@pytest.mark.parametrize(("unit_b", "named"), [
    (["20"], r"oma \(2025\): municipalities in no unit: the 21 municipalities of welfare region 21 Lapin hyvinvointialue"),
    (["22"], r"oma: unknown hyvinvointialue codes \['22'\] \(no welfare region of 2025 has this code\); "
             r"model oma \(2025\): municipalities in no unit: the 21 municipalities of welfare region 21 Lapin"),
    (["21", "05"], r"oma \(2025\): members in more than one unit: \['05'\] \(05 Varsinais-Suomen hyvinvointialue in units a, b\)"),
], ids=["omits_lappi", "code_22", "region_twice"])
def test_a_bad_own_model_names_the_areas_by_code_and_name(tmp_path, unit_b, named):
    path = tmp_path / "oma.yaml"
    path.write_text(own_model([r for r in SOUTH if r != "20"] if unit_b == ["20"] else SOUTH, unit_b), encoding="utf-8")
    [problem] = models.file_problems(path, {2025})
    assert problem.startswith(f"{path}: model oma")
    assert re.search(named, problem), problem
    assert "allowed: each welfare region of 2025 in exactly one unit, codes 01, 02" in problem


def test_adding_a_model_is_adding_a_file(tmp_path, monkeypatch):
    for p in models.MODELS_DIR.glob("*.yaml"):
        (tmp_path / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "kaksi_aluetta.yaml").write_text(
        "id: kaksi_aluetta\nname: {fi: Kaksi aluetta}\nsource: {seed: s, date: '2026-01-01', citation: c}\nbasis: groups\n"
        "member_level: hyvinvointialue\nregional_htv_per_unit: 1\ncoordination_htv: 1\nunits:\n"
        "  - {code: etela, name: {fi: Etelä}, members: ['01','02','03','04','90','05','06','07','08','09','10','11']}\n"
        "  - {code: pohjoinen, name: {fi: Pohjoinen}, members: ['12','13','14','15','16','17','18','19','20','21']}\n", encoding="utf-8")
    monkeypatch.setattr(models, "MODELS_DIR", tmp_path)
    assert "kaksi_aluetta" in models.model_names()
    assert model_summary("kaksi_aluetta", 2025)["total_htv"] == 3


def test_unknown_model_and_year_rejected():
    with pytest.raises(InvalidParameter, match=r"model='19\+1' is not allowed; allowed: hyvinvointialueittain, jarjesto_2_0"):
        models.resolve("19+1", 2025)
    with pytest.raises(InvalidParameter, match=r"year=2024 is not allowed; allowed: 2025, 2026"):
        models.resolve("malli_18_1", 2024)
    with pytest.raises(InvalidParameter, match="models="):
        compare(["malli_18_1"], 2025, "sama_per_yksikko")


def test_all_pairs_compare():
    for a, b in itertools.combinations(ALL, 2):
        assert len(compare([a, b], 2025, "sama_kokonaismaara")) == 2


def test_a_resolved_model_is_reused_and_each_caller_gets_its_own_copy(monkeypatch):
    calls = []
    real = models._resolve
    monkeypatch.setattr(models, "_resolve", lambda m, y: calls.append(m.id) or real(m, y))
    monkeypatch.setattr(models, "_RESOLVED", {})
    a = models.resolve("malli_18_1", 2025)
    a.loc[0, "unit_code"] = "muutettu"
    b = models.resolve("malli_18_1", 2025)
    assert calls == ["malli_18_1"] and b.loc[0, "unit_code"] != "muutettu"
    assert len(b) == 308 - 16  # mainland municipalities of 2025 (Åland's 16 are outside 18+1)
