"""The refresh command driven from outside (a subprocess, as cron or CI runs it) with hostile or broken input.

Every case checks its exit code and message, that nothing outside the outputs folder changed, that outputs which
should survive did, that no staging folder is left, that the manifest lists exactly the files on disk, and that no
process is left behind (tests/hostile_harness.py). Kernel cases use the toy notebook putki.ipynb.
"""

from __future__ import annotations

import json
import shutil
import signal
import time

import pytest

from tests.hostile_harness import FIXTURE_MIRROR, Shared, processes_with_marker



@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile_shared")
    mirror = root / "mirror"
    shutil.copytree(FIXTURE_MIRROR, mirror)
    return Shared(cache=root / "cache", geodata=root / "geodata", mirror=mirror)




def toy_args(case):
    return ["--runs", case.runs_file, "--notebooks", case.toy_notebooks, "--workers", "2", "--timeout", "120"]


# --------------------------------------------------------------------------- paths and names


@pytest.mark.parametrize("template, message, shown", [
    ("t_{message}", "../../sentinel/keep", "'t_../../sentinel/keep'"),
    ("t_{message}", "/tmp/absoluuttinen", "'t_/tmp/absoluuttinen'"),
    ("{message}", "alue/ala", "'alue/ala'"),
    ("tulos_{message}", "äö", "'tulos_äö'"),
])
def test_unsafe_run_names_stop_before_any_run(case, template, message, shown):
    case.toy_runs({"name": template, "parameters": {"message": message}})
    res = case.run_cli(*toy_args(case))
    case.assert_clean(res, code=2, mentions=[f"refresh stopped: runs file {case.runs_file}, entry 1", f"run name {shown} is not allowed",
                                             "allowed: 1–120 ASCII letters, digits, '_' and '-'"])
    assert not case.outputs.exists()


@pytest.mark.parametrize("template, shown", [
    ("t_{message:>400}", "'{message:>400}'"),
    ("t_{message.__class__.__name__}", "'{message.__class__.__name__}'"),
    ("t_{message[0]}", "'{message[0]}'"),
    ("t_{message!r}", "'{message!r}'"),
])
def test_name_templates_substitute_parameter_values_only(case, template, shown):
    case.toy_runs({"name": template, "parameters": {"message": "a"}})
    res = case.run_cli(*toy_args(case))
    case.assert_clean(res, code=2, mentions=[f"name template field {shown} is not allowed; allowed: {{param}}"])


def test_notebook_path_outside_the_notebooks_folder_is_refused(case):
    case.toy_runs({"name": "t", "notebook": "../notebooks/putki.ipynb"})
    res = case.run_cli(*toy_args(case))
    case.assert_clean(res, code=2, mentions=["notebook '../notebooks/putki.ipynb' not found; available: putki.ipynb"])


def test_symlinked_outputs_subfolder_fails_that_run_only(case):
    (case.outputs / "site").mkdir(parents=True)
    (case.outputs / "site" / "putki").symlink_to(case.sentinel / "sub")
    case.toy_runs({"name": "t_a", "parameters": {"message": "a"}})
    res = case.run_cli(*toy_args(case))
    case.assert_clean(res, code=1, mentions=["FAILED t_a:", "outside the outputs folder"])
    assert not (case.sentinel / "sub" / "a.html").exists()
    assert case.manifest()["runs"]["t_a"]["status"] == "failed"


def test_hostile_manifest_paths_are_never_deleted(case):
    case.outputs.mkdir(parents=True)
    hostile = {"runs": {"t_a": {"outputs": ["../sentinel/keep.txt"], "last_success": {"outputs": ["../sentinel/keep.txt", "/etc/hostname"]}}}}
    (case.outputs / "manifest.json").write_text(json.dumps(hostile), encoding="utf-8")
    case.survive(case.outputs / "manifest.json", case.sentinel / "keep.txt")
    case.toy_runs({"name": "t_a", "parameters": {"message": "a"}})
    res = case.run_cli(*toy_args(case))
    case.assert_clean(res, code=2, mentions=["manifest.json is malformed", "'../sentinel/keep.txt' is not allowed",
                                             "move it aside (mv ", "every run then runs afresh"])


@pytest.mark.notebook
def test_a_run_that_makes_a_symlink_is_not_published(case):
    case.toy_runs({"name": "t_a", "parameters": {"message": "a", "link_to": str(case.sentinel / "keep.txt")}},
                  {"name": "t_b", "parameters": {"message": "b"}})
    res = case.run_cli(*toy_args(case))
    case.assert_clean(res, code=1, mentions=["FAILED t_a: not published: the run made a symbolic link site/putki/a_linkki.html", "1 ran"])
    assert not (case.outputs / "site" / "putki" / "a.html").exists() and (case.outputs / "site" / "putki" / "b.html").is_file()


# --------------------------------------------------------------------------- publish faults


@pytest.mark.notebook
def test_file_where_a_folder_should_be_and_folder_where_a_file_should_be(case):
    (case.outputs / "lisat" / "c.txt").mkdir(parents=True)  # a folder at the path of run c's file
    (case.outputs / "erillinen").write_text("tiedosto, ei kansio\n", encoding="utf-8")  # a file where run b needs a folder
    case.survive(case.outputs / "erillinen")
    case.toy_runs({"name": "t_a", "parameters": {"message": "a"}},
                  {"name": "t_b", "parameters": {"message": "b", "also_write": "erillinen/b.txt"}},
                  {"name": "t_c", "parameters": {"message": "c"}})
    res = case.run_cli(*toy_args(case))
    case.assert_clean(res, code=1, mentions=["1 ran, 0 skipped (unchanged), 2 failed", "FAILED t_b: publishing failed at erillinen/b.txt",
                                             "FAILED t_c: publishing failed at lisat/c.txt"])
    runs = case.manifest()["runs"]
    assert runs["t_a"]["status"] == "ok" and (case.outputs / "site" / "putki" / "a.html").is_file()
    assert runs["t_b"]["outputs"] == [] and (case.outputs / "failed" / "t_b.ipynb").is_file()
    assert runs["t_c"]["outputs"] == [] and (case.outputs / "failed" / "t_c.ipynb").is_file()  # its log kept


@pytest.mark.notebook
def test_read_only_folder_fails_that_run_only(case):
    (case.outputs / "lukittu").mkdir(parents=True)
    case.make_immutable(case.outputs / "lukittu")
    case.toy_runs({"name": "t_a", "parameters": {"message": "a"}},
                  {"name": "t_b", "parameters": {"message": "b", "also_write": "lukittu/b.txt"}})
    res = case.run_cli(*toy_args(case))
    case.assert_clean(res, code=1, mentions=["FAILED t_b: publishing failed at lukittu/b.txt after 1 of 3 files", "1 ran"])
    runs = case.manifest()["runs"]
    assert runs["t_a"]["outputs"] == ["lisat/a.txt", "site/putki/a.html", "notebooks/t_a.ipynb"]
    # b's first file (lisat/b.txt) was moved before the locked folder stopped it: listed, since it is on disk
    assert runs["t_b"]["status"] == "failed" and runs["t_b"]["outputs"] == ["lisat/b.txt"] and runs["t_b"]["last_success"] is None
    assert not (case.outputs / "site" / "putki" / "b.html").exists()


@pytest.mark.notebook
def test_two_runs_producing_one_file_fail_the_later_one(case):
    case.toy_runs({"name": "t_a", "parameters": {"message": "a", "also_write": "yhteinen.txt"}},
                  {"name": "t_b", "parameters": {"message": "b", "also_write": "yhteinen.txt"}})
    res = case.run_cli(*toy_args(case))
    case.assert_clean(res, code=1, mentions=["the run wrote yhteinen.txt, which run t_", "also writes in this refresh"])
    runs = case.manifest()["runs"]
    assert sorted(r["status"] for r in runs.values()) == ["failed", "ok"]
    winner = next(r for r in runs.values() if r["status"] == "ok")
    assert (case.outputs / "yhteinen.txt").read_text(encoding="utf-8") == f"{winner['parameters']['message']} 1"


def test_two_runs_mapping_to_one_page_stop_before_any_run(case):
    case.write_runs([{"name": "kysely_a", "notebook": "04_kyselyt.ipynb", "parameters": {"year": 2025}},
                     {"name": "kysely_b", "notebook": "04_kyselyt.ipynb", "parameters": {"year": 2026}}])
    res = case.run_cli("--runs", case.runs_file)
    case.assert_clean(res, code=2, mentions=["runs kysely_a and kysely_b both write site/kyselyt/kyselyt_2020_2021.html"])


# --------------------------------------------------------------------------- model files


GROUPS_MODEL = """id: {id}
name: {{fi: Testimalli}}
source: {{seed: testi, date: '2026-01-01', citation: testiaineisto}}
basis: groups
member_level: hyvinvointialue
units:
  - {{code: a, name: {{fi: A}}, members: [{first}]}}
  - {{code: b, name: {{fi: B}}, members: [{second}]}}
"""
ALL_REGIONS = [f"'{i:02d}'" for i in range(1, 22)] + ["'90'"]  # quoted: codes are strings


def _model_case(case, text: str, name: str = "testimalli"):
    project = case.copy_project()
    (project / "data" / "mallit" / f"{name}.yaml").write_text(text, encoding="utf-8")
    case.write_runs([{"name": "mallit_{models}", "notebook": "03_mallivertailu.ipynb", "parameters": {"year": 2025},
                      "matrix": {"models": [["malli_18_1", "malli_5_1_yta"]]}}])
    return case.run_cli("--runs", case.runs_file)


def test_model_file_with_a_yaml_syntax_error_names_the_line(case):
    res = _model_case(case, "id: testimalli\nname: {fi: Testi\nbasis: groups\n")
    case.assert_clean(res, code=2, mentions=["data/mallit/testimalli.yaml", "not valid YAML", "line 3", "nothing was executed"])


def test_model_file_with_an_unknown_code(case):
    res = _model_case(case, GROUPS_MODEL.format(id="testimalli", first=", ".join(ALL_REGIONS[:-1]), second="'99'"))
    case.assert_clean(res, code=2, mentions=["model testimalli: unknown hyvinvointialue codes ['99']"])


def test_model_file_with_a_region_in_two_units(case):
    res = _model_case(case, GROUPS_MODEL.format(id="testimalli", first=", ".join(ALL_REGIONS), second="'05'"))
    case.assert_clean(res, code=2, mentions=["data/mallit/testimalli.yaml", "members in more than one unit: ['05']"])


def test_model_file_missing_a_municipality(case):
    res = _model_case(case, GROUPS_MODEL.format(id="testimalli", first=", ".join(ALL_REGIONS[:-2]), second="'90'"))
    case.assert_clean(res, code=2, mentions=["model testimalli (2025): municipalities in no unit"])


def test_a_model_twice_in_one_comparison(case):
    case.write_runs([{"name": "mallit_kaksi", "notebook": "03_mallivertailu.ipynb",
                      "parameters": {"models": ["malli_18_1", "malli_18_1"], "year": 2025}}])
    res = case.run_cli("--runs", case.runs_file)
    case.assert_clean(res, code=2, mentions=["run mallit_kaksi (03_mallivertailu.ipynb): models=['malli_18_1', 'malli_18_1'] lists malli_18_1 more than once"])


# --------------------------------------------------------------------------- the mirror


def test_a_year_the_mirror_cannot_serve(case):
    case.write_runs([{"name": "aluerajat_kunta_2023", "notebook": "01_aluerajat.ipynb", "parameters": {"level": "kunta", "year": 2023}},
                     {"name": "sotkanet_2020", "notebook": "02_indikaattorit.ipynb",
                      "parameters": {"indicators": ["sotkanet_683"], "years": [2021, 2022]}}])
    res = case.run_cli("--runs", case.runs_file)
    case.assert_clean(res, code=2, mentions=[
        "run aluerajat_kunta_2023 (01_aluerajat.ipynb): year=2023 needs the layer tilastointialueet:kunta4500k_2023",
        "allowed years for kunta: 2024, 2025, 2026",
        "run sotkanet_2020 (02_indikaattorit.ipynb): sotkanet_683 years=[2021, 2022] is not a Sotkanet request the mirror holds",
        "sotkanet/INDEX.json"])


@pytest.mark.parametrize("make, shown", [
    (lambda c: "", "--mirror '' is not allowed"),
    (lambda c: str(c.tmp / "ei_ole"), "does not exist"),
    (lambda c: str((c.tmp / "tyhja").mkdir() or c.tmp / "tyhja"), "has no INDEX.json in geo/, sotkanet/, stat/"),
])
def test_bad_mirror_option(case, make, shown):
    case.toy_runs({"name": "t"})
    res = case.run_cli("--mirror", make(case), *toy_args(case))
    case.assert_clean(res, code=2, mentions=["refresh stopped:", shown])


def test_empty_mirror_variable_is_not_live_mode(case):
    case.toy_runs({"name": "t"})
    res = case.run_cli(*toy_args(case), env={"SOTE_MIRROR": ""})
    case.assert_clean(res, code=2, mentions=["SOTE_MIRROR='' is not allowed"])


def test_broken_mirror_index(case):
    mirror = case.copy_mirror()
    (mirror / "geo" / "INDEX.json").write_text("{ei json", encoding="utf-8")
    case.write_runs([{"name": "kyselyt", "notebook": "04_kyselyt.ipynb"}])
    case.snapshot()
    res = case.run_cli("--runs", case.runs_file)
    case.assert_clean(res, code=2, mentions=[f"mirror index {mirror / 'geo' / 'INDEX.json'}: not valid JSON"])


# --------------------------------------------------------------------------- bounded input


def test_oversized_runs_file(case):
    case.write_runs("# " + "x" * (1024 * 1024) + "\nruns: []\n")
    res = case.run_cli(*toy_args(case))
    case.assert_clean(res, code=2, mentions=["bytes; allowed: at most 1048576 bytes"])


def test_yaml_alias_bomb(case):
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    lines.append("runs: [{name: t, notebook: putki.ipynb, parameters: {message: *i}}]")
    case.write_runs("\n".join(lines) + "\n")
    res = case.run_cli(*toy_args(case))
    case.assert_clean(res, code=2, mentions=["more than 200000 values after expanding YAML aliases"])
    assert len(res.text) < 2000


def test_hundred_thousand_expanded_runs(case):
    case.toy_runs({"name": "t_{message}_{version}", "matrix": {"message": [f"m{i}" for i in range(500)], "version": list(range(200))}})
    res = case.run_cli(*toy_args(case))
    case.assert_clean(res, code=2, mentions=["more than 20000 runs after expanding the matrices", "alone makes 100000"])


def test_huge_parameter_value(case):
    case.toy_runs({"name": "t", "parameters": {"message": "x" * 200_000}})
    res = case.run_cli(*toy_args(case))
    case.assert_clean(res, code=2, mentions=["parameter 'message' is 200002 characters as JSON; allowed: at most 10000"])
    assert len(res.text) < 2000


def test_error_list_is_capped(case):
    case.write_runs([{"name": "k_{year}", "notebook": "04_kyselyt.ipynb", "matrix": {"year": list(range(1000, 1500))}}])
    res = case.run_cli("--runs", case.runs_file)
    case.assert_clean(res, code=2, mentions=["500 run(s) have bad parameters", "… and 480 more"])
    assert len(res.text) < 10_000


# --------------------------------------------------------------------------- options and configuration


@pytest.mark.parametrize("args, shown", [
    (["--workers", "0"], "argument --workers: 0 is not allowed; allowed: a whole number of 1 or more"),
    (["--workers", "-1"], "argument --workers: -1 is not allowed"),
    (["--workers", "x"], "argument --workers: 'x' is not allowed"),
    (["--timeout", "0"], "argument --timeout: 0 is not allowed"),
    (["--kaikki"], "unrecognized arguments: --kaikki"),
    (["--runs", "ei_ole.yaml"], "argument --runs: 'ei_ole.yaml': no such file"),
    (["--notebooks", "ei_ole"], "argument --notebooks: 'ei_ole': no such folder"),
])
def test_bad_options(case, args, shown):
    case.toy_runs({"name": "t"})
    res = case.run_cli(*args)
    case.assert_clean(res, code=2, mentions=["refresh stopped: ", shown])


def test_unwritable_outputs(case):
    blocker = case.work / "tiedosto"
    blocker.write_text("ei kansio\n", encoding="utf-8")
    case.survive(blocker)
    case.toy_runs({"name": "t"})
    res = case.run_cli(*toy_args(case), env={"SOTE_OUTPUTS_DIR": str(blocker / "outputs")})
    case.assert_clean(res, code=2, mentions=[f"outputs folder {blocker / 'outputs'} is not writable", "allowed: a folder this user can write"])


@pytest.mark.parametrize("debug", [False, True])
def test_malformed_manifest(case, debug):
    case.outputs.mkdir(parents=True)
    (case.outputs / "manifest.json").write_text('{"runs": {"t": ', encoding="utf-8")
    case.survive(case.outputs / "manifest.json")
    case.toy_runs({"name": "t"})
    res = case.run_cli(*toy_args(case), *(["--debug"] if debug else []))
    case.assert_clean(res, code=2, mentions=["manifest.json is malformed (not valid JSON", "move it aside"], traceback_ok=debug)
    assert ("Traceback (most recent call last)" in res.text) == debug


# --------------------------------------------------------------------------- signals and a dying parent


def _wait_mid_run(case, proc):
    def kernel_running():
        if proc.poll() is not None:
            raise AssertionError(f"the CLI ended early ({proc.returncode}): {proc.stderr.read()[-2000:]}")
        staged = list((case.outputs / ".staging").glob("t_*/executed.ipynb")) if (case.outputs / ".staging").is_dir() else []
        return bool(staged) and len(processes_with_marker(case.marker)) >= 3  # the CLI, a worker, a kernel
    case.wait_for(kernel_running, timeout=90, what="a kernel mid-run")
    time.sleep(1.0)


@pytest.mark.notebook
@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_mid_run_stops_workers_and_kernels(case, sig, code):
    case.outputs.mkdir(parents=True)
    case.toy_runs({"name": "t_slow", "parameters": {"message": "slow", "sleep_s": 120}})
    proc = case.start_cli(*toy_args(case))
    _wait_mid_run(case, proc)
    sent = time.monotonic()
    proc.send_signal(sig)
    res = case.finish(proc, timeout=60)
    assert time.monotonic() - sent < 30  # a few seconds on an idle machine
    case.assert_clean(res, code=code, mentions=[f"stopping on {sig.name}", f"stopped by {sig.name}"], process_wait_s=5)
    entry = case.manifest()["runs"]["t_slow"]
    assert entry["status"] == "failed" and entry["error"] == f"stopped by {sig.name} before it finished" and entry["outputs"] == []


@pytest.mark.notebook
def test_killed_parent_takes_its_workers_and_kernels_along(case):
    case.toy_runs({"name": "t_slow", "parameters": {"message": "slow", "sleep_s": 120}})
    proc = case.start_cli(*toy_args(case))
    _wait_mid_run(case, proc)
    proc.kill()
    proc.communicate(timeout=10)
    left = case.leftover_processes(wait_s=6)
    assert not left, f"workers or kernels outlived the killed refresh: {left}"
    # The next refresh starts clean: staging from the killed one is removed, the lock is free.
    case.toy_runs({"name": "t_a", "parameters": {"message": "a"}})
    case.snapshot()
    res = case.run_cli(*toy_args(case))
    case.assert_clean(res, code=0, mentions=["1 ran, 0 skipped (unchanged), 0 failed"])


# --------------------------------------------------------------------------- a machine without a browser


@pytest.mark.notebook
def test_png_without_a_browser_is_skipped_with_a_notice(case):
    case.toy_runs({"name": "t_kuva", "parameters": {"message": "kuva", "png": True}})
    res = case.run_cli(*toy_args(case), env={"BROWSER_PATH": str(case.tmp / "ei_selainta")})
    case.assert_clean(res, code=0, mentions=["1 ran, 0 skipped (unchanged), 0 failed"])
    entry = case.manifest()["runs"]["t_kuva"]
    assert entry["notices"] == ["PNG ohitettu: kuva.png (Chromium puuttuu; asenna Debianin chromium-paketti tai aseta BROWSER_PATH)"]
    assert not (case.outputs / "site" / "putki" / "kuva.png").exists() and (case.outputs / "site" / "putki" / "kuva.html").is_file()
