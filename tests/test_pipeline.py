"""The refresh pipeline: parameter checks before execution, atomic outputs, failures, skipping, lock, manifest.

Mechanics use a small notebook in tests/fixtures/notebooks (it writes a page, reads one Sotkanet answer from the
mirror and fails when asked); the parameter checks use the project's own notebooks and runs.yaml.
"""

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from filelock import FileLock

from helpers import config
from helpers.cli import main as cli_main
from helpers.errors import InvalidParameter, SoteError
from helpers.pipeline import LOCK, RefreshLocked, refresh
from helpers.runs import RUNS_FILE, load_runs, select, validate

TOY_DIR = Path(__file__).parent / "fixtures" / "notebooks"
MIRROR = Path(__file__).parent / "fixtures" / "mirror"


def write_runs(path: Path, runs: list[dict]) -> Path:
    import yaml

    path.write_text(yaml.safe_dump({"runs": runs}, allow_unicode=True), encoding="utf-8")
    return path


def toy(tmp_path, outputs, runs, **kw):
    runs_file = write_runs(tmp_path / "runs.yaml", runs)
    return refresh(runs_file=runs_file, notebooks_dir=TOY_DIR, outputs=outputs, workers=2, timeout=120, progress=False,
                   build_index=kw.pop("build_index", False), **kw)


# --------------------------------------------------------------------------- the project's runs file


def test_project_runs_file_expands_and_validates():
    runs = load_runs()
    names = [r.name for r in runs]
    assert len(names) == len(set(names)) == 64
    pairs = [r for r in runs if r.notebook.name == "03_mallivertailu.ipynb" and len(r.parameters["models"]) == 2]
    assert len(pairs) == 21  # every pair of the seven model files
    profiles = sorted(r.parameters["region"] for r in runs if r.notebook.name == "05_alueprofiili.ipynb")
    assert profiles == [f"{i:02d}" for i in range(1, 22)] + ["90", "91"]
    validate(runs)  # every run of the project passes its own checks
    assert {r.name for r in select(runs, tags=["kyselyt"])} == {"kyselyt_2025"}
    assert [r.name for r in select(runs, only=["alueprofiili_9*"])] == ["alueprofiili_90_2025", "alueprofiili_91_2025"]


@pytest.mark.parametrize(
    "notebook, parameters, expected",
    [
        ("01_aluerajat.ipynb", {"year": 2025, "levl": "kunta"}, "unknown parameter levl='kunta'; the notebook declares: year, level, mainland, lang, png"),
        ("01_aluerajat.ipynb", {"year": "2025"}, "parameter year='2025' has type str; allowed: int"),
        ("01_aluerajat.ipynb", {"level": "lääni"}, "level='lääni' is not allowed; allowed: erva2020, hyvinvointialue, kunta, maakunta, yhteistyoalue"),
        ("01_aluerajat.ipynb", {"year": 2019}, "year=2019 is not allowed; allowed: 2020, 2021, 2022, 2023, 2024, 2025, 2026"),
        ("02_indikaattorit.ipynb", {"indicators": ["vakiluku"]}, "indicator='vakiluku' is not allowed"),
        ("02_indikaattorit.ipynb", {"indicators": ["osuus_65"], "years": [2030]}, "years=2030 is not allowed; allowed: 2024"),
        ("03_mallivertailu.ipynb", {"models": ["malli_18_1", "malli_7_1"]}, "models='malli_7_1' is not allowed; allowed: hyvinvointialueittain, jarjesto_2_0"),
        ("03_mallivertailu.ipynb", {"models": "malli_18_1"}, "parameter models='malli_18_1' has type str; allowed: list"),
        ("03_mallivertailu.ipynb", {"staffing": "enemmän"}, "staffing='enemmän' is not allowed; allowed: sama_kokonaismaara, sama_per_yksikko"),
        ("05_alueprofiili.ipynb", {"region": "22"}, "region='22' is not allowed; allowed: 01, 02"),
        ("05_alueprofiili.ipynb", {"lang": "de"}, "lang='de' is not allowed; allowed: en, fi, sv"),
    ],
)
def test_bad_parameters_are_rejected_before_any_kernel(tmp_path, notebook, parameters, expected):
    runs_file = write_runs(tmp_path / "runs.yaml", [{"name": "huono", "notebook": notebook, "parameters": parameters}])
    outputs = tmp_path / "outputs"
    with pytest.raises(InvalidParameter) as err:
        refresh(runs_file=runs_file, outputs=outputs, progress=False)
    message = str(err.value)
    assert expected in message and f"run huono ({notebook})" in message and "nothing was executed" in message
    assert not outputs.exists()  # stopped before the lock, the staging folder or a kernel


def test_runs_file_errors_name_the_problem(tmp_path):
    bad = write_runs(tmp_path / "a.yaml", [{"name": "x", "notebook": "99_puuttuu.ipynb"}])
    with pytest.raises(SoteError, match="notebook '99_puuttuu.ipynb' not found; available: 01_aluerajat.ipynb"):
        load_runs(bad)
    dup = write_runs(tmp_path / "b.yaml", [{"name": "sama", "notebook": "04_kyselyt.ipynb", "matrix": {"year": [2025, 2026]}}])
    with pytest.raises(SoteError, match="run name 'sama' is used twice"):
        load_runs(dup)
    extra = write_runs(tmp_path / "c.yaml", [{"name": "x", "notebook": "04_kyselyt.ipynb", "params": {}}])
    with pytest.raises(SoteError, match="runs.0.params: Extra inputs are not permitted"):
        load_runs(extra)
    with pytest.raises(InvalidParameter, match="--tag 'eiole' is not used by any run; tags: alueet, aluerajat"):
        select(load_runs(), tags=["eiole"])


def test_cli_exit_codes_and_messages(tmp_path, capsys):
    bad = write_runs(tmp_path / "bad.yaml", [{"name": "x", "notebook": "04_kyselyt.ipynb", "parameters": {"year": 1999}}])
    assert cli_main(["refresh", "--runs", str(bad)]) == 2
    assert "refresh stopped: 1 run(s) have bad parameters" in capsys.readouterr().err
    assert cli_main(["refresh", "--list", "--tag", "kyselyt"]) == 0
    assert capsys.readouterr().out.startswith("kyselyt_2025\t04_kyselyt.ipynb\tkyselyt\t{'year': 2025}")


# --------------------------------------------------------------------------- execution, failures, skipping


@pytest.mark.notebook
def test_failed_run_keeps_previous_output_and_logs_the_failure(tmp_path, monkeypatch, capsys):
    outputs = tmp_path / "outputs"
    first = toy(tmp_path, outputs, [{"name": "t_{message}", "notebook": "testi.ipynb", "parameters": {"version": 1}, "matrix": {"message": ["a", "b"]}}])
    assert first.counts() == {"ok": 2, "skipped": 0, "failed": 0}
    page_a = outputs / "site" / "testi" / "a.html"
    assert "versio 1" in page_a.read_text(encoding="utf-8")
    assert (outputs / "notebooks" / "t_a.ipynb").is_file()

    # Version 2 of run a fails mid-way (after writing its page to staging); run b succeeds with version 2.
    second = toy(tmp_path, outputs, [
        {"name": "t_a", "notebook": "testi.ipynb", "parameters": {"message": "a", "version": 2, "fail": True}},
        {"name": "t_b", "notebook": "testi.ipynb", "parameters": {"message": "b", "version": 2}},
    ])
    assert second.counts() == {"ok": 1, "skipped": 0, "failed": 1}
    assert "versio 1" in page_a.read_text(encoding="utf-8")  # previous good output untouched
    assert "versio 2" in (outputs / "site" / "testi" / "b.html").read_text(encoding="utf-8")
    failed_nb = json.loads((outputs / "failed" / "t_a.ipynb").read_text(encoding="utf-8"))
    assert "kaatui tarkoituksella: a" in json.dumps(failed_nb)
    [failure] = second.failures
    assert failure.run.name == "t_a" and "RuntimeError" in failure.error and "kaatui tarkoituksella: a" in failure.error
    manifest = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["runs"]["t_a"]
    assert entry["status"] == "failed" and entry["last_success"]["outputs"] == ["extra.txt", "site/testi/a.html", "notebooks/t_a.ipynb"]
    assert not (outputs / ".staging").exists()

    # The CLI lists every failure and exits non-zero after finishing the other runs.
    runs_file = write_runs(tmp_path / "cli.yaml", [
        {"name": "t_a", "notebook": "testi.ipynb", "parameters": {"message": "a", "fail": True}},
        {"name": "t_c", "notebook": "testi.ipynb", "parameters": {"message": "c"}},
    ])
    monkeypatch.setenv(config.OUTPUTS_ENV, str(outputs))
    assert cli_main(["refresh", "--runs", str(runs_file), "--notebooks", str(TOY_DIR), "--workers", "2"]) == 1
    captured = capsys.readouterr()
    assert "0 skipped (unchanged), 1 failed" in captured.out and "FAILED t_a: " in captured.out and "outputs/failed/t_a.ipynb" in captured.out
    assert (outputs / "site" / "testi" / "c.html").is_file() and "versio 1" in page_a.read_text(encoding="utf-8")


@pytest.mark.notebook
def test_unchanged_runs_are_skipped_and_changes_rerun(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    shutil.copytree(MIRROR, mirror)
    monkeypatch.setenv(config.MIRROR_ENV, str(mirror))
    outputs = tmp_path / "outputs"
    spec = [{"name": "t_a", "notebook": "testi.ipynb", "parameters": {"message": "a"}}]
    assert toy(tmp_path, outputs, spec).counts()["ok"] == 1
    again = toy(tmp_path, outputs, spec)
    assert again.counts() == {"ok": 0, "skipped": 1, "failed": 0}
    assert toy(tmp_path, outputs, spec, force=True).counts()["ok"] == 1
    changed = [{"name": "t_a", "notebook": "testi.ipynb", "parameters": {"message": "a", "version": 3}}]
    assert toy(tmp_path, outputs, changed).counts()["ok"] == 1
    assert toy(tmp_path, outputs, changed).counts()["skipped"] == 1
    # The source answers differently (one byte more in the mirror's file): the run is no longer up to date.
    entry = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))["runs"]["t_a"]
    [record] = entry["inputs"]
    index = json.loads((mirror / "sotkanet" / "INDEX.json").read_text(encoding="utf-8"))
    [hit] = [e for e in index["entries"] if e["url"] == record["url"]]
    answer = mirror / "sotkanet" / hit["response"]
    answer.write_bytes(answer.read_bytes() + b"\n")
    assert toy(tmp_path, outputs, changed).counts()["ok"] == 1
    # A deleted output is made again even if nothing else changed.
    (outputs / "site" / "testi" / "a.html").unlink()
    assert toy(tmp_path, outputs, changed).counts()["ok"] == 1


@pytest.mark.notebook
def test_manifest_records_runs_inputs_and_versions(tmp_path):
    outputs = tmp_path / "outputs"
    report = toy(tmp_path, outputs, [{"name": "t_{message}", "notebook": "testi.ipynb", "tags": ["testi"],
                                      "matrix": {"message": ["a", "b", "c"]}}], build_index=True)
    manifest = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest) >= {"refreshed_at", "mode", "packages", "kernel", "counts", "runs"}
    assert manifest["mode"] == "mirror" and manifest["kernel"] == config.KERNEL_NAME
    assert manifest["counts"] == {"ok": 3, "skipped": 0, "failed": 0}
    from importlib.metadata import version

    assert manifest["packages"]["papermill"] == version("papermill") and manifest["packages"]["plotly"] == version("plotly")
    entry = manifest["runs"]["t_b"]
    assert entry["notebook"].endswith("testi.ipynb") and entry["parameters"] == {"message": "b"} and entry["tags"] == ["testi"]
    assert entry["status"] == "ok" and entry["duration_s"] > 0 and entry["started_at"].startswith("20")
    assert entry["outputs"] == ["extra.txt", "site/testi/b.html", "notebooks/t_b.ipynb"]
    [record] = entry["inputs"]
    assert record["source"] == "sotkanet" and record["url"].endswith("/indicators/186") and record["origin"] == "mirror"
    index = json.loads((MIRROR / "sotkanet" / "INDEX.json").read_text(encoding="utf-8"))
    [hit] = [e for e in index["entries"] if e["url"] == record["url"]]
    assert record["sha256"] == hashlib.sha256((MIRROR / "sotkanet" / hit["response"]).read_bytes()).hexdigest()
    assert "CC BY 4.0" in record["licence"]
    # The index page is written from the manifest: every page, its description, data year and the refresh date.
    index_html = (outputs / "site" / "index.html").read_text(encoding="utf-8")
    assert f"Päivitetty {manifest['refreshed_at'][:16].replace('T', ' ')}" in index_html
    for m in "abc":
        assert f"<a href='testi/{m}.html'>Testi {m}</a> – testisivu (tiedot 2024, ajettu {manifest['runs']['t_' + m]['started_at'][:10]})" in index_html
    assert report.wall_s > 0


def test_a_second_refresh_is_refused_while_one_holds_the_lock(tmp_path):
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    runs_file = write_runs(tmp_path / "runs.yaml", [{"name": "t", "notebook": "testi.ipynb"}])
    with FileLock(str(outputs / LOCK)):
        with pytest.raises(RefreshLocked, match=r"another refresh is running on .*outputs \(it holds .*\.refresh\.lock\); wait for it"):
            refresh(runs_file=runs_file, notebooks_dir=TOY_DIR, outputs=outputs, progress=False)
    assert not (outputs / "manifest.json").exists()
