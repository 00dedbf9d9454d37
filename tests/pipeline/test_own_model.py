"""A researcher's own model: one new file in data/mallit/, no runs.yaml edit, no source.

From outside, as a researcher meets it (tests/hostile_harness.py: a copy of the project, the command line, exit code,
message, nothing changed outside the outputs, no process left):

* a valid file joins the scorecard (site/data/tulostaulu.json) and the model view (site/mallit/index.html, every
  language, "own model, not from a source") after one refresh of the scorecard run alone (``--only tulostaulu_2025``);
* a bad file (an area missing, an unknown code, an area in two units, broken YAML) stops every kind of refresh
  (``--tag kyselyt``, ``--only`` one run, ``--list``) with exit 2 before any run, naming the areas by code and name.

Kept to one refresh and four quick ``--list``/stopped cases (CI runs on two cores); the messages themselves are
tested in-process in tests/models/test_models.py.
"""

from __future__ import annotations

import json
import re

import pytest

from helpers.base.numbers import MISSING_LABEL
from tests.hostile_harness import FIXTURE_MIRROR, Shared

UNITS_WORD = {"fi": "yksiköt", "sv": "enheter", "en": "units"}  # the units table's caption after the model's name
SOUTH = [f"{i:02d}" for i in range(1, 21)] + ["90"]  # every welfare region (and Helsinki) but Lapland (21)


def own_model(unit_b: list[str], *, unit_a: list[str] = SOUTH, id: str = "oma_malli") -> str:
    return (f"# Tutkijan oma malli: etelä ja Lappi. Ei lähdettä.\nid: {id}\n"
            "name: {fi: Oma malli (testi), sv: Egen modell (test), en: Own model (test)}\n"
            "basis: groups\nmember_level: hyvinvointialue\nregional_htv_per_unit: 1\ncoordination_htv: 1\nunits:\n"
            f"  - {{code: etela, name: {{fi: Etelä, sv: Syd, en: South}}, members: {unit_a}}}\n"
            f"  - {{code: lappi, name: {{fi: Lappi, sv: Lappland, en: Lapland}}, members: {unit_b}}}\n")


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    root = tmp_path_factory.mktemp("own_model")
    return Shared(cache=root / "cache", geodata=root / "geodata", mirror=FIXTURE_MIRROR)


def test_a_new_model_file_joins_the_scorecard_and_the_model_view_after_one_refresh(case):
    project = case.copy_project()
    runs_yaml = (project / "runs.yaml").read_bytes()
    (project / "data" / "mallit" / "oma_malli.yaml").write_text(own_model(["21"]), encoding="utf-8")
    res = case.run_cli("--only", "tulostaulu_2025", "--workers", "1")
    case.assert_clean(res, code=0)
    assert (project / "runs.yaml").read_bytes() == runs_yaml  # nothing to add there
    site = case.outputs / "site"
    card = json.loads((site / "data" / "tulostaulu.json").read_text(encoding="utf-8"))
    mine = {sc: meta for sc, meta in card["scenarios"].items() if meta["model"] == "oma_malli"}
    assert mine, sorted(card["scenarios"])
    assert "oma_malli__sama_per_yksikko" in mine  # one worker per unit: 2 htv + 1 coordination
    fields = card["value_fields"]
    values = [dict(zip(fields, v)) for v in card["values"] if v[fields.index("scenario")] in mine]
    assert {v["unit_code"] for v in values} >= {"etela", "lappi"}
    assert any(v["value"] is not None for v in values if v["unit_code"] == "lappi")
    for lang, prefix, source in (("fi", "", "oma malli, ei lähteestä"), ("sv", "sv/", "egen modell, inte från en källa"),
                                 ("en", "en/", "own model, not from a source")):
        page = (site / prefix / "mallit" / "index.html").read_text(encoding="utf-8")
        assert "data-model='oma_malli'" in page, lang  # its map, in the picker's set
        label = {"fi": "Oma malli (testi)", "sv": "Egen modell (test)", "en": "Own model (test)"}[lang]
        # its units table carries the scorecard's figures (Lapland: 176 151 residents, one person-year), not 'no data'
        start = page.index(f"aria-label='{label}: {UNITS_WORD[lang]},")
        units = page[start:page.index("</table>", start)]
        assert re.search(r"176[\s\xa0\u202f,]151", units), units[:2000]
        assert MISSING_LABEL[lang] not in units, units[:2000]
        assert source in page, lang


BAD = {
    "omits_lappi": (own_model(["20"], unit_a=[r for r in SOUTH if r != "20"]),
                    "model oma_malli (2025): municipalities in no unit: the 21 municipalities of welfare region 21 Lapin hyvinvointialue"),
    "code_22": (own_model(["22"]), "model oma_malli: unknown hyvinvointialue codes ['22'] (no welfare region of 2025 has this code)"),
    "region_twice": (own_model(["21", "05"]),
                     "members in more than one unit: ['05'] (05 Varsinais-Suomen hyvinvointialue in units etela, lappi)"),
    "broken_yaml": ("id: oma_malli\nname: {fi: Oma\nbasis: groups\n", "not valid YAML"),
}


@pytest.mark.parametrize(("bad", "selection"), [
    ("omits_lappi", ["--tag", "kyselyt"]),  # a real refresh of an unrelated run
    ("code_22", ["--only", "aluerajat_kunta_2025", "--list"]),
    ("region_twice", ["--list"]),
    ("broken_yaml", ["--tag", "kyselyt", "--list"]),
])
def test_a_bad_model_file_stops_every_kind_of_refresh_naming_the_areas(case, bad, selection):
    project = case.copy_project()
    text, says = BAD[bad]
    (project / "data" / "mallit" / "oma_malli.yaml").write_text(text, encoding="utf-8")
    res = case.run_cli(*selection)
    case.assert_clean(res, code=2, mentions=["refresh stopped: data/mallit/oma_malli.yaml: ", says, "nothing was executed"])
    assert res.out == ""  # --list prints the runs only after every check
    assert not case.outputs.exists()  # no run, no outputs folder
