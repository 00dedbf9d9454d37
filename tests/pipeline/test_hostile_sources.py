"""The refresh driven from outside with hostile or changed SOURCE data: markup in every text source, a changed or
corrupt cache, a THL answer without the asked level, PxWeb notes, and answers whose numbers cannot be right (a row
given twice, a negative population, a share below zero, a mirror file outside the mirror). Same checks as
tests/pipeline/test_hostile_cli.py (exit code, message, nothing outside outputs/ changed, no process left) through
tests/hostile_harness.py.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil

import pytest

from tests.hostile_harness import FIXTURE_MIRROR, Shared

PAYLOAD = "<img src=x onerror=alert(1)><script>alert(2)</script>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;"
RAW = re.compile(r"<script>alert|<img src=x", re.I)
HELSINKI_NOTE = "Vuoden 2024 luku on ennakkotieto."


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile_sources")
    return Shared(cache=root / "cache", geodata=root / "geodata", mirror=FIXTURE_MIRROR)




def _mirror_file(mirror, service: str, response_part: str):
    index = json.loads((mirror / service / "INDEX.json").read_text(encoding="utf-8"))
    [hit] = [e for e in index["entries"] if response_part in e["response"]]
    return mirror / service / hit["response"]


def _rename_region(mirror, code: str, new_name: str, year: int = 2025):
    path = _mirror_file(mirror, "geo", f"hyvinvointialue4500k_{year}.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    [feature] = [f for f in data["features"] if str(f["properties"]["hyvinvointialue"]).zfill(2) == code]
    feature["properties"]["nimi"] = new_name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _catalogue_name(project, indicator: str, new_name: str):
    path = project / "data" / "indikaattorit.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    for row in rows:
        if row["indicator_id"] == indicator:
            row["name_fi"] = new_name
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _boundary_run(name="aluerajat_hyvinvointialue_2025"):
    return {"name": name, "notebook": "01_aluerajat.ipynb", "parameters": {"level": "hyvinvointialue", "year": 2025}}


def _page_html(case, rel):
    return (case.outputs / "site" / rel).read_text(encoding="utf-8")


def test_markup_in_boundary_names_catalogue_and_pxweb_notes_reaches_pages_as_text(case):
    """Region names (WFS), the indicator catalogue (data/) and a PxWeb note on Helsinki in one refresh of two real runs."""
    case.copy_project()
    mirror = case.copy_mirror()
    _rename_region(mirror, "90", f"Helsinki {PAYLOAD}")
    _catalogue_name(case.project, "vaesto", f"Väkiluku {PAYLOAD}")
    answer = _mirror_file(mirror, "stat", "11re_POST_all-municipalities_2023-2024_json-stat2")
    data = json.loads(answer.read_text(encoding="utf-8"))
    [area] = [d for d in data["dimension"] if d.startswith("alue")]
    data["dimension"][area]["category"]["note"] = {"KU091": [HELSINKI_NOTE]}
    answer.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    case.write_runs([_boundary_run(), {"name": "indikaattori_vaesto", "notebook": "02_indikaattorit.ipynb",
                                       "parameters": {"indicators": ["vaesto"], "years": [2023, 2024], "level": "hyvinvointialue"}}])
    res = case.run_cli("--runs", case.runs_file, "--workers", "2", "--timeout", "300")
    case.assert_clean(res, code=0, mentions=["2 ran", "0 failed"])
    boundary = _page_html(case, "aluerajat/hyvinvointialue_2025.html")
    indicator = next((case.outputs / "site" / "indikaattorit").glob("vaesto_hyvinvointialue_2024*.html")).read_text(encoding="utf-8")
    for page in (boundary, indicator):
        assert not RAW.search(page.split("class=\"plotly-figure\"")[0]), "markup from the data reached the page as markup"
    assert ESCAPED in boundary and f"Väkiluku {ESCAPED}" in indicator
    # The figure JSON carries the payload only in \u003c-escaped form, so it cannot close its script element.
    assert "\\u003cscript\\u003e" in indicator and "</script><script>" not in indicator
    # The preliminary value is marked on the page where Helsinki's row is.
    assert "ennakkotieto" in indicator
    manifest = case.manifest()
    assert manifest["runs"]["indikaattori_vaesto"]["status"] == "ok"


def test_a_changed_boundary_answer_is_republished_and_recorded_with_its_sha256(case, tmp_path):
    mirror = case.copy_mirror()
    geodata = tmp_path / "geodata_own"
    case.write_runs([_boundary_run()])
    first = case.run_cli("--runs", case.runs_file, "--workers", "1", env={"SOTE_GEODATA_DIR": geodata})
    assert first.code == 0, first.text[-3000:]
    path = _rename_region(mirror, "05", "Varsinais-Suomen uusi nimi")
    case.snapshot()
    res = case.run_cli("--runs", case.runs_file, "--workers", "1", env={"SOTE_GEODATA_DIR": geodata})
    case.assert_clean(res, code=0, mentions=["1 ran"])
    assert "Varsinais-Suomen uusi nimi" in _page_html(case, "aluerajat/hyvinvointialue_2025.html")
    [record] = [r for r in case.manifest()["runs"]["aluerajat_hyvinvointialue_2025"]["inputs"] if "hyvinvointialue4500k_2025" in r["url"]]
    assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_corrupt_layer_cache_is_rebuilt_and_the_page_is_the_same(case, tmp_path):
    geodata = tmp_path / "geodata_own"
    case.write_runs([_boundary_run()])
    first = case.run_cli("--runs", case.runs_file, "--workers", "1", env={"SOTE_GEODATA_DIR": geodata})
    assert first.code == 0, first.text[-3000:]
    page = case.outputs / "site" / "aluerajat" / "hyvinvointialue_2025.html"
    before = page.read_bytes()
    parquets = sorted(geodata.glob("hyvinvointialue4500k_2025*.parquet"))
    assert parquets, sorted(p.name for p in geodata.iterdir())
    for p in parquets:
        p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 3])  # truncated, as by a full disk
    for sidecar in geodata.glob("kunta4500k_2025*.json"):
        sidecar.write_text("{ei json", encoding="utf-8")
    case.snapshot()
    res = case.run_cli("--runs", case.runs_file, "--workers", "1", "--force", env={"SOTE_GEODATA_DIR": geodata})
    case.assert_clean(res, code=0, mentions=["1 ran", "0 failed"])
    normalise = lambda b: re.sub(rb'content="[^"]*" name="generated"|\d{4}-\d\d-\d\dT[\d:+.]+', b"", b)
    assert normalise(page.read_bytes()) == normalise(before)
    executed = (case.outputs / "notebooks" / "aluerajat_hyvinvointialue_2025.ipynb").read_text(encoding="utf-8")
    # Said where the entry was first read: the refresh's own checks (every model file's coverage needs the layers)
    # or the run.
    seen = executed + res.text
    assert "CacheWarning" in seen and "discarded and rebuilt from its source" in seen


def test_a_thl_answer_without_the_asked_level_fails_that_run_naming_indicator_level_and_years(case):
    mirror = case.copy_mirror()
    answer = _mirror_file(mirror, "sotkanet", "json_indicator683_years2021+2022+2023_total")
    rows = json.loads(answer.read_text(encoding="utf-8"))
    kept = [r for r in rows if not (r["year"] == 2022 and 956 <= r["region"] <= 978)]
    assert len(kept) < len(rows)
    answer.write_text(json.dumps(kept), encoding="utf-8")
    case.write_runs([{"name": "indikaattori_sotkanet_683", "notebook": "02_indikaattorit.ipynb",
                      "parameters": {"indicators": ["sotkanet_683"], "years": [2021, 2022, 2023], "level": "hyvinvointialue"}}])
    res = case.run_cli("--runs", case.runs_file, "--workers", "1")
    case.assert_clean(res, code=1, mentions=["FAILED indikaattori_sotkanet_683", "EmptyLevel", "indicator 683", "hyvinvointialue",
                                             "[2021, 2022, 2023]", "outputs/failed/indikaattori_sotkanet_683.ipynb"])
    assert not list((case.outputs / "site").rglob("sotkanet_683_*"))  # no page of the failed run was published
    assert (case.outputs / "failed" / "indikaattori_sotkanet_683.ipynb").is_file()


# --------------------------------------------------------------------------- numbers that cannot be right
# One refresh of two indicator runs over the untouched fixture mirror publishes the site every case starts from (a
# copy of its outputs); each case then damages its own copy of the mirror and refreshes only the affected run. The
# run fails alone (exit 1) naming the error, and every file it published before is byte-identical afterwards.

VALUE_RUNS = [
    {"name": "indikaattori_vaesto", "notebook": "02_indikaattorit.ipynb",
     "parameters": {"indicators": ["vaesto"], "years": [2023, 2024], "level": "hyvinvointialue"}},
    {"name": "indikaattori_sotkanet_683", "notebook": "02_indikaattorit.ipynb",
     "parameters": {"indicators": ["sotkanet_683"], "years": [2021, 2022, 2023], "level": "hyvinvointialue"}},
]
SOTKANET_683 = "json_indicator683_years2021+2022+2023_total"
PX_ALL = "11re_POST_all-municipalities_2023-2024_json-stat2"
KAINUU_ID = 962  # Sotkanet's id of Kainuu (welfare region 20)


@pytest.fixture(scope="module")
def published(shared, tmp_path_factory):
    from tests.hostile_harness import HostileCase

    first = HostileCase(tmp_path_factory.mktemp("published"), shared)
    first.write_runs(VALUE_RUNS)
    res = first.run_cli("--runs", first.runs_file, "--workers", "2")
    assert res.code == 0, res.text[-3000:]
    assert not first.leftover_processes()
    return first.outputs


def _kainuu_2023(rows):
    [row] = [r for r in rows if r["region"] == KAINUU_ID and r["year"] == 2023]
    return row


def _duplicated_kainuu(mirror, tmp):
    path = _mirror_file(mirror, "sotkanet", SOTKANET_683)
    rows = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(rows + [dict(_kainuu_2023(rows))]), encoding="utf-8")


def _negative_kainuu(mirror, tmp):
    path = _mirror_file(mirror, "sotkanet", SOTKANET_683)
    rows = json.loads(path.read_text(encoding="utf-8"))
    _kainuu_2023(rows)["value"] = -12.9
    path.write_text(json.dumps(rows), encoding="utf-8")


def _negative_alajarvi(mirror, tmp):
    path = _mirror_file(mirror, "stat", PX_ALL)
    data = json.loads(path.read_text(encoding="utf-8"))
    areas = data["dimension"]["alue_23_20260101"]["category"]["index"]
    years = data["dimension"]["timeperiod_y"]["category"]["index"]
    assert data["size"] == [309, 1, 1, 2, 1]  # area × age × sex × year × contents
    alajarvi, country = areas["KU005"] * 2 + years["2024"], areas["SSS"] * 2 + years["2024"]
    assert data["value"][alajarvi] == 9078
    data["value"][alajarvi] = -9078
    data["value"][country] -= 2 * 9078  # the whole country still equals the sum of the municipalities
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _answer_outside_the_mirror(mirror, tmp):
    index_path = mirror / "sotkanet" / "INDEX.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    [entry] = [e for e in index["entries"] if SOTKANET_683 in e["response"]]
    rows = json.loads((mirror / "sotkanet" / entry["response"]).read_text(encoding="utf-8"))
    _kainuu_2023(rows)["value"] = 73.6
    (tmp / "x.json").write_text(json.dumps(rows), encoding="utf-8")  # beside the mirror folder
    entry["response"] = "../../x.json"
    index_path.write_text(json.dumps(index, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize("damage, run, mentions", [
    (_duplicated_kainuu, "indikaattori_sotkanet_683",
     ["ValidationError: THL Sotkanet indicator 683", "rows not unique (area × year × gender): area 20 year 2023 gender total ×2"]),
    (_negative_alajarvi, "indikaattori_vaesto",
     ["ValidationError: vaesto (Tilastokeskus (StatFin); POST https://pxdata.stat.fi/PxWeb/api/v1/fi/StatFin/11re.px)",
      "counts must be whole numbers ≥ 0: area KU005 year 2024 (vaesto = -9078)"]),
    (_negative_kainuu, "indikaattori_sotkanet_683",
     ["ValidationError: sotkanet_683 (THL, Sotkanet; GET https://sotkanet.fi/rest/1.1/json?indicator=683",
      "share must be within 0–100: area 20 year 2023 = -12.9"]),
    (_answer_outside_the_mirror, "indikaattori_sotkanet_683",
     ["MirrorMiss: mirror index entry GET https://sotkanet.fi/rest/1.1/json?indicator=683", "response '../../x.json' resolves to"]),
], ids=["duplicated-row", "negative-population", "negative-share", "path-outside-mirror"])
def test_a_wrong_number_fails_its_run_and_the_published_page_stays(case, published, damage, run, mentions):
    shutil.copytree(published, case.outputs)
    before = json.loads((case.outputs / "manifest.json").read_text(encoding="utf-8"))["runs"][run]
    pages = [case.outputs / rel for rel in before["outputs"]]
    assert before["status"] == "ok" and any(p.suffix == ".html" for p in pages)
    case.survive(*pages)  # byte-identical after the hostile refresh: the numbers published before stay
    damage(case.copy_mirror(), case.tmp)
    case.write_runs(VALUE_RUNS)
    res = case.run_cli("--runs", case.runs_file, "--workers", "1", "--only", run)
    case.assert_clean(res, code=1, mentions=[f"FAILED {run}", *mentions, f"outputs/failed/{run}.ipynb", "1 failed"])
    entry = case.manifest()["runs"][run]
    assert entry["status"] == "failed" and all(m in entry["error"] for m in mentions)
    assert (case.outputs / "failed" / f"{run}.ipynb").is_file()
    # What the kept files say is what the fixture says: Kainuu 12.9 % in 2023, Etelä-Pohjanmaa 189 929 in 2024.
    csv_text = (case.outputs / "site" / "indikaattorit" / ("sotkanet_683_hyvinvointialue_2023.arvot.csv" if "sotkanet" in run
                                                          else "vaesto_hyvinvointialue_2024.arvot.csv")).read_text(encoding="utf-8-sig")
    # (the indicator page's CSV: year, area, value, [a share's rank and its range,] series break, unit, area code, ...)
    expected = (r"2023;Kainuun hyvinvointialue;12,9;\d+(?: \(\d+–\d+\))?;järjestäjä vaihtui 2023;%;20;" if "sotkanet" in run
                else "2024;Etelä-Pohjanmaan hyvinvointialue;189929;;henkeä;16;")
    assert re.search(expected, csv_text), expected
