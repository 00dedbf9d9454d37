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




def _publishing_left(outputs):
    """What publishing leaves only when it did not finish: the journal, files staged beside their targets or kept for
    putting back (``.NAME.TX.new`` / ``.old``), temporary files of atomic writes."""
    import re

    hidden = re.compile(r"^\..*\.([0-9a-f]{16}\.(new|old)|tmp)$")
    return sorted(p.relative_to(outputs).as_posix() for p in outputs.rglob(".*")
                  if p.name == ".publish-journal.jsonl" or hidden.match(p.name))


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
    case.assert_clean(res, code=1, mentions=["FAILED t_b: publishing failed at lukittu/b.txt: PermissionError: ",
                                             "(lukittu/b.txt); nothing of the run was published", "1 ran"])
    runs = case.manifest()["runs"]
    assert runs["t_a"]["outputs"] == ["lisat/a.txt", "site/putki/a.html", "notebooks/t_a.ipynb"]
    # b's files before the locked folder in order (lisat/b.txt) are not published either: a run is whole or absent
    assert runs["t_b"]["status"] == "failed" and runs["t_b"]["outputs"] == [] and runs["t_b"]["last_success"] is None
    assert not (case.outputs / "lisat" / "b.txt").exists() and not (case.outputs / "site" / "putki" / "b.html").exists()
    assert _publishing_left(case.outputs) == []


def _full_folder(case, folder):
    """A folder on a file system of its own that is full (tmpfs; root only): writing any byte there fails (ENOSPC)."""
    import subprocess

    folder.mkdir(parents=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True, check=False).returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    filler = folder / ".taynna"
    try:
        with open(filler, "wb") as fh:
            while True:
                fh.write(b"x" * 4096)
                fh.flush()
    except OSError:
        pass
    return lambda: subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.notebook
@pytest.mark.parametrize("fault", ["read-only", "full"])
def test_a_hub_folder_that_cannot_be_written_fails_softly_after_the_runs(case, fault):
    """The runs fail alone as always; then one language's hub folder is read-only, or on a full disk: its pages are
    named (a full disk's error names no file: the page is named all the same), every other page is written, the
    summary lists the failed run, and the exit code is 1."""
    folder = case.outputs / "site" / "sv"
    if fault == "read-only":
        folder.mkdir(parents=True)
        case.make_immutable(folder)
        release = lambda: None  # assert_clean releases it
    else:
        release = _full_folder(case, folder)
    try:
        case.toy_runs({"name": "t_a", "parameters": {"message": "a"}}, {"name": "t_b", "parameters": {"message": "b", "fail": True}})
        res = case.run_cli(*toy_args(case))
        why = "PermissionError: Operation not permitted" if fault == "read-only" else "OSError: No space left on device"
        case.assert_clean(res, code=1, mentions=[
            "1 ran, 0 skipped (unchanged), 1 failed", "FAILED t_b: RuntimeError: kaatui tarkoituksella: b",
            f"NOT WRITTEN site/sv/index.html: {why}", f"NOT WRITTEN site/sv/lahteet.html: {why}",
            f"NOT WRITTEN site/sv/indikaattorit/index.html: {why}", "file(s) not written after the runs"],
            absent=["refresh stopped", "site/en/", "site/index.html", "site/lahteet.html"])
        for page in ("index.html", "lahteet.html", "en/index.html", "en/lahteet.html", "mallit/index.html", "alueet/index.html"):
            assert (case.outputs / "site" / page).is_file(), page
        assert case.manifest()["runs"]["t_a"]["status"] == "ok"
    finally:
        release()


_KILL_WHILE_PUBLISHING = """
import os, signal, sys
from helpers.pipeline import publish

state = {"committed": 0}
record, keep = publish.Journal.record, publish._keep_previous

def record_counting(self, **fields):
    record(self, **fields)
    state["committed"] += fields["op"] == "published"

def keep_then_die(target, old):
    keep(target, old)
    if state["committed"] and target.name.endswith(".html"):  # the second run, mid-swap: its text file swapped, its page not
        os.kill(os.getpid(), signal.SIGKILL)

publish.Journal.record, publish._keep_previous = record_counting, keep_then_die
from helpers.pipeline.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.notebook
def test_a_refresh_killed_while_publishing_is_repaired_by_the_next(case):
    """SIGKILL in the middle of publishing (one run committed, the next half swapped in): the next refresh first puts
    the half-published run's previous files back and enters the committed run in the manifest, says so, skips the
    committed run as unchanged and runs the other; the manifest then lists exactly the files on disk."""
    import subprocess
    import sys

    case.toy_runs({"name": "t_a", "parameters": {"message": "a"}}, {"name": "t_b", "parameters": {"message": "b"}})
    assert case.run_cli(*toy_args(case)).code == 0
    case.toy_runs({"name": "t_a", "parameters": {"message": "a", "version": 2}}, {"name": "t_b", "parameters": {"message": "b", "version": 2}})
    killed = subprocess.run([sys.executable, "-c", _KILL_WHILE_PUBLISHING, "refresh", *map(str, toy_args(case))], cwd=case.tmp,
                            env=case.env(), capture_output=True, text=True, timeout=240, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert case.leftover_processes(wait_s=6) == []  # its workers and kernels went with it
    journal = [json.loads(line) for line in (case.outputs / ".publish-journal.jsonl").read_text(encoding="utf-8").splitlines()]
    [committed] = [r for r in journal if r["op"] == "published"]
    done = next(r["run"] for r in journal if r["op"] == "begin" and r["tx"] == committed["tx"])
    half = "t_b" if done == "t_a" else "t_a"
    res = case.run_cli(*toy_args(case))
    case.assert_clean(res, code=0, mentions=[
        "1 ran, 1 skipped (unchanged), 0 failed",
        (f"REPAIRED: finished the publishing of a refresh that stopped before writing its manifest: 1 run(s) it had published "
         f"entered the manifest ({done}); 1 run(s) caught part-way got their previous files back ({half})")])
    runs = case.manifest()["runs"]
    assert runs[done]["status"] == "skipped" and runs[half]["status"] == "ok"
    for message in ("a", "b"):
        assert (case.outputs / "lisat" / f"{message}.txt").read_text(encoding="utf-8") == "versio 2"
    assert _publishing_left(case.outputs) == []


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


LONG = "a" * 5000  # longer than any file name: the file system refuses to look it up


@pytest.mark.parametrize("args, shown", [
    (["--workers", "0"], "argument --workers: 0 is not allowed; allowed: a whole number of workers from 1 to 1024"),
    (["--workers", "-1"], "argument --workers: -1 is not allowed"),
    (["--workers", "x"], "argument --workers: 'x' is not allowed"),
    (["--workers", "9" * 5000], "argument --workers: '99999999"),
    (["--timeout", "0"], "argument --timeout: 0 is not allowed; allowed: a whole number of seconds from 1 to 604800"),
    (["--timeout", "1e9"], "argument --timeout: '1e9' is not allowed"),
    (["--kaikki"], "unrecognized arguments: --kaikki"),
    (["--runs", "ei_ole.yaml"], "argument --runs: 'ei_ole.yaml': no such file"),
    (["--notebooks", "ei_ole"], "argument --notebooks: 'ei_ole': no such folder"),
    (["--runs", LONG], f"argument --runs: '{'a' * 79}…': cannot be looked up (File name too long); allowed: a runs file"),
    (["--notebooks", LONG], "argument --notebooks: 'aaaa"),
    (["--mirror", LONG], "argument --mirror: 'aaaa"),
    (["--only", LONG], "argument --only: 'aaaa"),
    (["--only", "t\nrefresh ok"], "refresh stopped: --only 't\\nrefresh ok' matches no run; runs: "),
    (["--dask", "nonsense://::::"], "argument --dask: 'nonsense://::::' is not allowed; allowed: a Dask scheduler address like tcp://"),
    (["--dask", "tcp://::::"], "argument --dask: 'tcp://::::' is not allowed"),
    (["--dask", "tcp://127.0.0.1:99999"], "argument --dask: 'tcp://127.0.0.1:99999' is not allowed"),
    (["--dask", LONG], "argument --dask: 'aaaa"),
])
def test_bad_options(case, args, shown):
    """However long or odd: one line `refresh stopped: …` naming the option, exit 2, at once (no connection tried)."""
    case.toy_runs({"name": "t"})
    res = case.run_cli(*args)
    case.assert_clean(res, code=2, mentions=["refresh stopped: ", shown])
    [line] = [line for line in res.text.splitlines() if "refresh stopped" in line or "refresh ok" in line]
    assert line.startswith("refresh stopped: ") and len(line) < 3000
    assert res.seconds < 15  # distributed gave up on 'nonsense://::::' after 26 s


def test_bad_dask_variable(case):
    case.toy_runs({"name": "t"})
    res = case.run_cli(*toy_args(case), env={"SOTE_DASK_SCHEDULER": "nonsense://::::"})
    case.assert_clean(res, code=2, mentions=["refresh stopped: SOTE_DASK_SCHEDULER 'nonsense://::::' is not allowed; allowed: a Dask"])
    assert res.seconds < 15 and not case.outputs.exists()


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
