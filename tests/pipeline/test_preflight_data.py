"""The data tables the runs read are checked before any kernel starts, with the validators the kernels use: a bad
cell stops the refresh (exit 2) with one line naming the file, line, row, column and rule, and nothing is run.

In-process cases (fast) edit one cell of a copy of ``data/`` and call ``preflight.data_problems()``; three cases
drive the command line from outside (tests/hostile_harness.py: a copy of the project, exit code, message, nothing
changed, no process left): a bad URL in data/lahteet.csv through a real refresh, a broken survey row and a
malformed catalogue row through ``--list`` (which makes every check the refresh makes before a kernel starts).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest

import helpers.pipeline.preflight as preflight  # noqa: PLR0402 - the module (the package attribute is the former name of job.preflight)
from helpers.base import config
from tests.hostile_harness import FIXTURE_MIRROR, Shared

REAL_DATA = config.PROJECT_ROOT / "data"


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    root = tmp_path_factory.mktemp("preflight_data")
    return Shared(cache=root / "cache", geodata=root / "geodata", mirror=FIXTURE_MIRROR)


# --------------------------------------------------------------------------- editing a copy of data/


def set_cell(path: Path, key_column: str, key: str, column: str, value: str) -> int:
    """Set one cell of a CSV file (comment lines kept); returns the line of the edited row."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    comments = [line for line in lines if line.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("".join(line for line in lines if not line.startswith("#")))))
    [row] = [r for r in rows if r[key_column] == key]
    row[column] = value
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text("".join(comments) + out.getvalue(), encoding="utf-8")
    return len(comments) + 2 + rows.index(row)


def replace_text(path: Path, old: str, new: str) -> int:
    """Replace the first ``old`` in a file; returns the line it was on."""
    text = path.read_text(encoding="utf-8")
    assert old in text, (path.name, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A copy of data/ that every loader reads (config.DATA_DIR, the PRH file, the model folder)."""
    from helpers.models import associations, model_files

    data = tmp_path / "data"
    shutil.copytree(REAL_DATA, data, ignore=shutil.ignore_patterns("cache"))
    monkeypatch.setattr(config, "DATA_DIR", data)
    monkeypatch.setattr(associations, "PRH_FILE", data / associations.PRH_FILE.name)
    monkeypatch.setattr(model_files, "MODELS_DIR", data / "mallit")
    associations._read.cache_clear()
    yield data
    associations._read.cache_clear()


def test_the_tables_as_they_are_pass():
    assert preflight.data_problems() == []


# (file, edit(data) -> line, what the one message says)
CASES = {
    "url not https": ("lahteet.csv", lambda d: set_cell(d / "lahteet.csv", "key", "vna_erva_2017", "url", "javascript:alert(1)"),
                      "row vna_erva_2017: url 'javascript:alert(1)' is not an https address; allowed: https://… or empty"),
    "url without host": ("lahteet.csv", lambda d: set_cell(d / "lahteet.csv", "key", "vna_erva_2017", "url", "https:// finlex.fi"),
                         "row vna_erva_2017: url 'https:// finlex.fi' is not a web address"),
    "date not a date": ("lahteet.csv", lambda d: set_cell(d / "lahteet.csv", "key", "vna_erva_2017", "date", "2017-02-30"),
                        "row vna_erva_2017: date '2017-02-30' is not a calendar date; allowed: YYYY or YYYY-MM-DD"),
    "key twice": ("lahteet.csv", lambda d: set_cell(d / "lahteet.csv", "key", "prh_yhdistysrekisteri", "key", "vna_erva_2017"),
                  "row vna_erva_2017: key 'vna_erva_2017' is also on line "),
    "survey mean off the scale": ("kyselyt.yaml", lambda d: replace_text(d / "kyselyt.yaml", "mean: 3.4", "mean: 34"),
                                  "kysely_2021 question 2 (id yhdistaminen): mean 34 is not on the answer scale; allowed: a number from 1 to 5"),
    "survey region unknown": ("kyselyt.yaml", lambda d: replace_text(d / "kyselyt.yaml", 'weakest: ["20"]', 'weakest: ["20", "99"]'),
                              "kysely_2021 question 1 (id osallistaminen): weakest ['99'] are not welfare-region codes"),
    "survey shares": ("kyselyt.yaml", lambda d: replace_text(d / "kyselyt.yaml", "kylla: 72", "kylla: 71"),
                      "kysely_2020 maakunta shares sum to 99, not 100"),
    "survey source key": ("kyselyt.yaml", lambda d: replace_text(d / "kyselyt.yaml", "ref: soste_muutostuki_2021", "ref: soste_2021"),
                          "kysely_2021 source ref: source='soste_2021' is not allowed"),
    "survey yaml syntax": ("kyselyt.yaml", lambda d: replace_text(d / "kyselyt.yaml", "  answers: 39", "  answers: [39") + 1,
                           "not valid YAML (expected ',' or ']'"),  # the parser notices on the next line
    "catalogue aggregation": ("indikaattorit.csv", lambda d: set_cell(d / "indikaattorit.csv", "indicator_id", "vaesto", "aggregation", "summa"),
                              "row vaesto: aggregation 'summa' is not an aggregation rule; allowed: sum, ratio"),
    "catalogue base level": ("indikaattorit.csv", lambda d: set_cell(d / "indikaattorit.csv", "indicator_id", "osuus_65", "base_level", "kunnat"),
                             "row osuus_65: base_level 'kunnat' is not a level the tables are built from"),
    "catalogue years": ("indikaattorit.csv", lambda d: set_cell(d / "indikaattorit.csv", "indicator_id", "vaesto_historia", "years", "1972-2O23"),
                        "row vaesto_historia: years '1972-2O23' is not a year or a span of years; allowed: YYYY or YYYY-YYYY"),
    "catalogue id twice": ("indikaattorit.csv", lambda d: set_cell(d / "indikaattorit.csv", "indicator_id", "vaesto_historia", "indicator_id", "vaesto"),
                           "row vaesto: indicator_id 'vaesto' is also on line 2; allowed: each indicator_id once"),
    "catalogue sotkanet id": ("indikaattorit.csv", lambda d: set_cell(d / "indikaattorit.csv", "indicator_id", "sotkanet_683", "table_or_id", "683a"),
                              "row sotkanet_683: table_or_id '683a' is not a Sotkanet indicator number"),
    "collaboration area code": ("yhteistyoalueet.csv", lambda d: set_cell(d / "yhteistyoalueet.csv", "hyvinvointialue_code", "05", "hyvinvointialue_code", "5"),
                                "row 5: hyvinvointialue_code '5' is not a two-digit welfare-region code"),
    "collaboration area name": ("yhteistyoalueet.csv", lambda d: set_cell(d / "yhteistyoalueet.csv", "hyvinvointialue_code", "06", "yhteistyoalue_name_sv", "Västra Finland"),
                                "row 06: yhteistyoalue_name_sv 'Västra Finland' differs from line"),
    "collaboration area hospital": ("yhteistyoalueet.csv", lambda d: set_cell(d / "yhteistyoalueet.csv", "hyvinvointialue_code", "05", "university_hospital", "TYKZ"),
                                    "row 05: university_hospital 'TYKZ' is not in the erva abbreviations of data/erva2020_alueet.csv"),
    "erva of a maakunta": ("erva2020_maakunnat.csv", lambda d: set_cell(d / "erva2020_maakunnat.csv", "maakunta_code", "07", "erva2020_code", "7"),
                           "row 07: erva2020_code '7' is not in data/erva2020_alueet.csv"),
    "erva exception": ("erva2020_poikkeukset.csv", lambda d: set_cell(d / "erva2020_poikkeukset.csv", "kunta_code", "182", "kunta_code", "18"),
                       "row 18: kunta_code '18' is not a three-digit municipality code"),
    "merger date": ("kuntaliitokset.csv", lambda d: set_cell(d / "kuntaliitokset.csv", "old_code", "099", "effective", "2021-13-01"),
                    "row 099: effective '2021-13-01' is not a date; allowed: YYYY-MM-DD"),
    "merger into itself": ("kuntaliitokset.csv", lambda d: set_cell(d / "kuntaliitokset.csv", "old_code", "588", "new_code", "588"),
                           "row 588: new_code '588' is the municipality itself"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_cell_is_named_with_file_line_row_column_and_rule(data_copy, case):
    name, edit, says = CASES[case]
    line = edit(data_copy)
    problems = preflight.data_problems()
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"data/{name} line {line}: "), problems
    assert says in problems[0], problems


def test_tables_checked_against_each_other_and_by_the_kernels_own_readers(data_copy):
    """A merger cycle (municipal_changes.merger_map), a PRH class count (associations.check_prh) and a model's
    citation key (data/lahteet.csv) are named too; a table another one needs is checked first."""
    with open(data_copy / "kuntaliitokset.csv", "a", encoding="utf-8") as fh:
        fh.write("2026-01-01,507,Mäntyharju,588,Pertunmaa,testi\n")
    replace_text(data_copy / "prh_yhdistykset_maakunnittain.csv", "2025-01-02,06,Pirkanmaa,520,927,759", "2025-01-02,06,Pirkanmaa,520,927,760")
    replace_text(data_copy / "mallit" / "malli_18_1.yaml", 'ref: "sotunet_18_1_2020"', 'ref: "sotunet_2020"')
    problems = preflight.data_problems()
    assert len(problems) == 3, problems
    assert "data/kuntaliitokset.csv: merger cycle at" in problems[0]
    assert "data/prh_yhdistykset_maakunnittain.csv 2025-01-02 06: classes sum to 9307, total is 9306" in problems[1]
    assert problems[2].startswith("data/mallit/malli_18_1.yaml: source.ref 'sotunet_2020' is not a key of data/lahteet.csv; allowed: ")
    # A broken citations table is named once; the survey file that cites it is not checked against it.
    set_cell(data_copy / "lahteet.csv", "key", "vna_erva_2017", "url", "http://finlex.fi")
    problems = preflight.data_problems()
    assert next(p for p in problems if "lahteet.csv" in p).startswith("data/lahteet.csv line ")
    assert not any("kyselyt.yaml" in p for p in problems), problems


def test_an_address_keeps_its_fragment(data_copy):
    """A '#' inside a cell is text: pandas' comment='#' cut https://…/sivu#kohta to https://…/sivu."""
    from helpers.sources import citations

    set_cell(data_copy / "lahteet.csv", "key", "vna_erva_2017", "url", "https://www.finlex.fi/sv/laki/alkup/2017/20170156#1")
    assert preflight.data_problems() == []
    assert citations.sources().loc["vna_erva_2017", "url"] == "https://www.finlex.fi/sv/laki/alkup/2017/20170156#1"
    assert citations.cite("vna_erva_2017").endswith("20170156#1")


def test_runs_of_other_notebooks_do_not_read_the_tables(data_copy):
    from helpers.pipeline.runs import Run

    set_cell(data_copy / "lahteet.csv", "key", "vna_erva_2017", "url", "http://finlex.fi")
    toy = Run(name="t", notebook=Path("toy/putki.ipynb"), parameters={})
    preflight.check_data_tables([toy])  # a runs file of other notebooks: data/ is not theirs
    survey = Run(name="k", notebook=Path("notebooks/04_kyselyt.ipynb"), parameters={})
    with pytest.raises(preflight.ConfigError, match=r"^data/lahteet.csv line \d+: row vna_erva_2017: url 'http://finlex.fi' is not an https "
                                                    r"address; allowed: https://… or empty; nothing was executed$"):
        preflight.check_data_tables([toy, survey])


# --------------------------------------------------------------------------- from outside, as cron runs it


def _stopped(case, res, file: str, says: str):
    case.assert_clean(res, code=2, mentions=[f"refresh stopped: data/{file} line ", says, "nothing was executed"])
    lines = [line for line in res.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("refresh stopped: "), res.err  # one line
    assert not case.outputs.exists(), sorted(p.name for p in case.outputs.iterdir())  # no run, no outputs folder, no kernel log


def test_a_bad_url_in_the_citations_stops_the_refresh_before_any_kernel(case):
    project = case.copy_project()
    line = set_cell(project / "data" / "lahteet.csv", "key", "vna_erva_2017", "url", "javascript:alert(1)")
    res = case.run_cli("--workers", "2")
    _stopped(case, res, "lahteet.csv", f"data/lahteet.csv line {line}: row vna_erva_2017: url 'javascript:alert(1)' is not an https address")


def test_a_broken_survey_row_stops_the_refresh(case):
    project = case.copy_project()
    line = replace_text(project / "data" / "kyselyt.yaml", "mean: 3.4", "mean: 34")
    res = case.run_cli("--list")
    _stopped(case, res, "kyselyt.yaml", f"data/kyselyt.yaml line {line}: kysely_2021 question 2 (id yhdistaminen): mean 34 is not on the answer scale")


def test_a_malformed_catalogue_row_stops_the_refresh(case):
    project = case.copy_project()
    line = set_cell(project / "data" / "indikaattorit.csv", "indicator_id", "osuus_65", "base_level", "kunnat")
    res = case.run_cli("--list")
    _stopped(case, res, "indikaattorit.csv", f"data/indikaattorit.csv line {line}: row osuus_65: base_level 'kunnat' is not a level the tables are built from")
    assert not re.search(r"^indikaattori_", res.out, re.MULTILINE)  # no run listed: the list is printed only after every check
