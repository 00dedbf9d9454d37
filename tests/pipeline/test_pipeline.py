"""The refresh pipeline: parameter checks before execution, atomic outputs, failures, skipping, lock, manifest.

Mechanics use a small notebook in tests/fixtures/notebooks (putki.ipynb: it writes a page and its own extra file,
reads one Sotkanet answer from the mirror and fails when asked); the parameter checks use the project's own
notebooks and runs.yaml. The command line is driven from outside in test_hostile_cli.py.
"""

import errno
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from filelock import FileLock

from helpers.base import config
from helpers.pipeline.cli import main as cli_main
from helpers.base.errors import ConfigError, InvalidParameter, SoteError, UnsafePath
from helpers.pipeline.execute import execute_with_retries
from helpers.pipeline.job import RefreshLocked, refresh, run_order
from helpers.pipeline.preflight import check_relative
from helpers.pipeline.publish import LOCK
from helpers.pipeline.runs import RUNS_FILE, Run, load_runs, safe_yaml_load, select, template_fields, validate

TOY_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "notebooks"
MIRROR = Path(__file__).resolve().parents[2] / "snapshot"


def write_runs(path: Path, runs: list[dict]) -> Path:
    import yaml

    path.write_text(yaml.safe_dump({"runs": runs}, allow_unicode=True), encoding="utf-8")
    return path


def toy(tmp_path, outputs, runs, **kw):
    runs_file = write_runs(tmp_path / "runs.yaml", runs)
    return refresh(runs_file=runs_file, notebooks_dir=TOY_DIR, outputs=outputs, workers=2, timeout=120, progress=False,
                   build_index=kw.pop("build_index", False), **kw)


@pytest.fixture(scope="session")
def dask_cluster():
    """A Dask LocalCluster on 127.0.0.1: two worker processes of one thread (a run owns its process while it runs)."""
    import logging

    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None, silence_logs=logging.ERROR)
    yield cluster.scheduler_address
    cluster.close(timeout=20)


@pytest.fixture(params=["local", "dask"])
def executor(request):
    """None (the local process pool) or the address of the test cluster; pass as ``dask=`` to refresh."""
    return request.getfixturevalue("dask_cluster") if request.param == "dask" else None


# --------------------------------------------------------------------------- the project's runs file


def test_project_runs_file_expands_and_validates():
    runs = load_runs()
    names = [r.name for r in runs]
    assert len(names) == len(set(names)) == 42
    # The model comparison is one client-side page written at the end of the refresh, not a run per pair.
    assert not [r for r in runs if r.notebook.name == "03_mallivertailu.ipynb"]
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
        ("03_mallivertailu.ipynb", {"staffing": "enemmän"}, "staffing='enemmän' is not allowed; allowed: "),
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
def test_failed_run_keeps_previous_output_and_logs_the_failure(tmp_path, monkeypatch, capsys, executor):
    outputs = tmp_path / "outputs"
    first = toy(tmp_path, outputs, [{"name": "t_{message}", "notebook": "putki.ipynb", "parameters": {"version": 1}, "matrix": {"message": ["a", "b"]}}],
                dask=executor)
    assert first.counts() == {"ok": 2, "skipped": 0, "failed": 0}
    page_a = outputs / "site" / "putki" / "a.html"
    assert "versio 1" in page_a.read_text(encoding="utf-8")
    assert (outputs / "notebooks" / "t_a.ipynb").is_file()

    # Version 2 of run a fails mid-way (after writing its page to staging); run b succeeds with version 2.
    second = toy(tmp_path, outputs, [
        {"name": "t_a", "notebook": "putki.ipynb", "parameters": {"message": "a", "version": 2, "fail": True}},
        {"name": "t_b", "notebook": "putki.ipynb", "parameters": {"message": "b", "version": 2}},
    ], dask=executor)
    assert second.counts() == {"ok": 1, "skipped": 0, "failed": 1}
    assert "versio 1" in page_a.read_text(encoding="utf-8")  # previous good output untouched
    assert "versio 2" in (outputs / "site" / "putki" / "b.html").read_text(encoding="utf-8")
    failed_nb = json.loads((outputs / "failed" / "t_a.ipynb").read_text(encoding="utf-8"))
    assert "kaatui tarkoituksella: a" in json.dumps(failed_nb)
    [failure] = second.failures
    assert failure.run.name == "t_a" and "RuntimeError" in failure.error and "kaatui tarkoituksella: a" in failure.error
    manifest = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["runs"]["t_a"]
    assert entry["status"] == "failed" and entry["last_success"]["outputs"] == ["lisat/a.txt", "site/putki/a.html", "notebooks/t_a.ipynb"]
    assert entry["outputs"] == entry["last_success"]["outputs"]  # what is on disk: the previous good files
    assert not (outputs / ".staging").exists()

    # The CLI lists every failure and exits non-zero after finishing the other runs.
    runs_file = write_runs(tmp_path / "cli.yaml", [
        {"name": "t_a", "notebook": "putki.ipynb", "parameters": {"message": "a", "fail": True}},
        {"name": "t_c", "notebook": "putki.ipynb", "parameters": {"message": "c"}},
    ])
    monkeypatch.setenv(config.OUTPUTS_ENV, str(outputs))
    assert cli_main(["refresh", "--runs", str(runs_file), "--notebooks", str(TOY_DIR), "--workers", "2"]
                    + (["--dask", executor] if executor else [])) == 1
    captured = capsys.readouterr()
    assert "0 skipped (unchanged), 1 failed" in captured.out and "FAILED t_a: " in captured.out and "outputs/failed/t_a.ipynb" in captured.out
    assert (outputs / "site" / "putki" / "c.html").is_file() and "versio 1" in page_a.read_text(encoding="utf-8")


@pytest.mark.notebook
def test_unchanged_runs_are_skipped_and_changes_rerun(tmp_path, monkeypatch, executor):
    mirror = tmp_path / "mirror"
    shutil.copytree(MIRROR, mirror)
    monkeypatch.setenv(config.MIRROR_ENV, str(mirror))
    outputs = tmp_path / "outputs"
    spec = [{"name": "t_a", "notebook": "putki.ipynb", "parameters": {"message": "a", "read_source": True}}]
    from helpers.pipeline import warm_kernels

    servers = []
    real_start = warm_kernels.start_shared
    monkeypatch.setattr(warm_kernels, "start_shared", lambda kernel: servers.append(kernel) or real_start(kernel))
    assert toy(tmp_path, outputs, spec, dask=executor).counts()["ok"] == 1
    again = toy(tmp_path, outputs, spec, dask=executor)
    assert again.counts() == {"ok": 0, "skipped": 1, "failed": 0}
    # the kernel server is started for runs that run: not for a refresh that skips them all
    assert len(servers) == 1
    assert toy(tmp_path, outputs, spec, force=True, dask=executor).counts()["ok"] == 1
    changed = [{"name": "t_a", "notebook": "putki.ipynb", "parameters": {"message": "a", "version": 3, "read_source": True}}]
    assert toy(tmp_path, outputs, changed, dask=executor).counts()["ok"] == 1
    assert len(servers) == 3
    assert toy(tmp_path, outputs, changed, dask=executor).counts()["skipped"] == 1
    # The source answers differently (one byte more in the mirror's file): the run is no longer up to date.
    entry = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))["runs"]["t_a"]
    [record] = entry["inputs"]
    index = json.loads((mirror / "sotkanet" / "INDEX.json").read_text(encoding="utf-8"))
    [hit] = [e for e in index["entries"] if e["url"] == record["url"]]
    answer = mirror / "sotkanet" / hit["response"]
    answer.write_bytes(answer.read_bytes() + b"\n")
    assert toy(tmp_path, outputs, changed, dask=executor).counts()["ok"] == 1
    # A deleted output is made again even if nothing else changed.
    (outputs / "site" / "putki" / "a.html").unlink()
    assert toy(tmp_path, outputs, changed, dask=executor).counts()["ok"] == 1
    # So is one changed by hand (its sha256 no longer matches the manifest's).
    page = outputs / "lisat" / "a.txt"
    page.write_text("käsin muutettu", encoding="utf-8")
    assert toy(tmp_path, outputs, changed, dask=executor).counts()["ok"] == 1
    assert page.read_text(encoding="utf-8") == "versio 3"
    entry = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))["runs"]["t_a"]
    assert entry["sha256"]["lisat/a.txt"] == hashlib.sha256(b"versio 3").hexdigest()
    assert toy(tmp_path, outputs, changed, dask=executor).counts()["skipped"] == 1


@pytest.mark.notebook
def test_manifest_records_runs_inputs_and_versions(tmp_path, executor):
    outputs = tmp_path / "outputs"
    report = toy(tmp_path, outputs, [{"name": "t_{message}", "notebook": "putki.ipynb", "tags": ["testi"], "parameters": {"read_source": True},
                                      "matrix": {"message": ["a", "b", "c"]}}], build_index=True, dask=executor)
    manifest = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest) >= {"refreshed_at", "mode", "packages", "kernel", "counts", "runs"}
    assert manifest["mode"] == "snapshot" and manifest["data_origin"]["kind"] == "snapshot" and manifest["kernel"] == config.KERNEL_NAME
    assert manifest["counts"] == {"ok": 3, "skipped": 0, "failed": 0}
    from importlib.metadata import version

    assert manifest["packages"]["papermill"] == version("papermill") and manifest["packages"]["plotly"] == version("plotly")
    entry = manifest["runs"]["t_b"]
    assert entry["notebook"].endswith("putki.ipynb") and entry["parameters"] == {"read_source": True, "message": "b"} and entry["tags"] == ["testi"]
    assert entry["status"] == "ok" and entry["duration_s"] > 0 and entry["started_at"].startswith("20")
    assert entry["outputs"] == ["lisat/b.txt", "site/putki/b.html", "notebooks/t_b.ipynb"]
    assert entry["sha256"]["lisat/b.txt"] == hashlib.sha256(b"versio 1").hexdigest() and entry["notices"] == []
    [record] = entry["inputs"]
    assert record["source"] == "sotkanet" and record["url"].endswith("/indicators/186") and record["origin"] == "mirror"
    index = json.loads((MIRROR / "sotkanet" / "INDEX.json").read_text(encoding="utf-8"))
    [hit] = [e for e in index["entries"] if e["url"] == record["url"]]
    assert record["sha256"] == hashlib.sha256((MIRROR / "sotkanet" / hit["response"]).read_bytes()).hexdigest()
    assert "CC BY 4.0" in record["licence"]
    # The index page is written from the manifest: every page, its description, data year and the refresh date.
    index_html = (outputs / "site" / "index.html").read_text(encoding="utf-8")
    from helpers.base.words import date_text

    # The front page says when this refresh ran (from the manifest, in Finnish local time); the pages themselves are
    # listed with their run dates on the sources page, which reads the same manifest.
    assert f"Päivitetty {date_text(manifest['refreshed_at'], 'fi', time=True)}." in index_html
    assert (outputs / "site" / "lahteet.html").is_file() and (outputs / "site" / "sv" / "index.html").is_file()
    assert report.wall_s > 0


def test_a_runs_kernel_has_the_refreshs_settings_and_its_kernel_server_on_both_executors(tmp_path, executor, monkeypatch):
    """A Dask nanny sets thread counts, malloc trimming and a hash seed for its worker process; a run's kernel gets the
    refresh's own values, as in the local pool, and forks from the refresh's kernel server on either executor."""
    from helpers.pipeline import warm_kernels

    servers = []
    start_shared = warm_kernels.start_shared

    def recorded(kernel):
        server = start_shared(kernel)
        servers.append(server.process.pid)
        return server

    monkeypatch.setattr(warm_kernels, "start_shared", recorded)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # the nanny's value is 1
    for name in ("MALLOC_TRIM_THRESHOLD_", "PYTHONHASHSEED"):
        monkeypatch.delenv(name, raising=False)
    outputs = tmp_path / "outputs"
    report = toy(tmp_path, outputs, [{"name": "t_{message}", "notebook": "putki.ipynb", "parameters": {"report_env": True},
                                      "matrix": {"message": ["a", "b"]}}], dask=executor)
    assert not report.failures
    for name in ("t_a", "t_b"):
        executed = json.loads((outputs / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
        [line] = [text for cell in executed["cells"] for out in cell.get("outputs", []) if out.get("name") == "stdout"
                  for text in "".join(out["text"]).splitlines() if text.startswith("{")]
        assert json.loads(line) == {"ppid": servers[0], "OMP_NUM_THREADS": "3", "MALLOC_TRIM_THRESHOLD_": None, "PYTHONHASHSEED": None}
    assert len(servers) == 1


def test_a_second_refresh_is_refused_while_one_holds_the_lock(tmp_path):
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    runs_file = write_runs(tmp_path / "runs.yaml", [{"name": "t", "notebook": "putki.ipynb"}])
    with FileLock(str(outputs / LOCK)):
        with pytest.raises(RefreshLocked, match=r"another refresh is running on .*outputs \(it holds .*\.refresh\.lock\); wait for it"):
            refresh(runs_file=runs_file, notebooks_dir=TOY_DIR, outputs=outputs, progress=False)
    assert not (outputs / "manifest.json").exists()


# --------------------------------------------------------------------------- limits, names, paths, retries


@pytest.mark.parametrize("template, expected", [
    ("t_{message.__class__}", "field '{message.__class__}' is not allowed"),
    ("t_{message[0]}", "field '{message[0]}' is not allowed"),
    ("t_{message!r}", "field '{message!r}' is not allowed"),
    ("t_{message:>300}", "field '{message:>300}' is not allowed"),
    ("t_{message", "is malformed"),
])
def test_name_templates_only_substitute_parameters(template, expected):
    with pytest.raises(ConfigError, match=None) as err:
        template_fields(template, "runs file x, entry 1")
    assert expected in str(err.value) and "allowed: {param}" in str(err.value) or "allowed: text and {param}" in str(err.value)
    assert template_fields("a_{level}_{year}", "w") == ["level", "year"]


@pytest.mark.parametrize("message, shown", [("../../x", "'t_../../x'"), ("/etc", "'t_/etc'"), ("ä", "'t_ä'"), ("a b", "'t_a b'")])
def test_run_names_must_be_safe_slugs(tmp_path, message, shown):
    runs_file = write_runs(tmp_path / "r.yaml", [{"name": "t_{message}", "notebook": "putki.ipynb", "parameters": {"message": message}}])
    with pytest.raises(ConfigError) as err:
        load_runs(runs_file, TOY_DIR)
    assert f"run name {shown} is not allowed; allowed: 1–120 ASCII letters, digits, '_' and '-'" in str(err.value)


def test_yaml_alias_bomb_and_sizes_are_bounded(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 12)}]\n" for i in range(9))
    with pytest.raises(ConfigError, match="more than 100 YAML aliases"):
        safe_yaml_load(bomb, "runs file b.yaml")
    few = "a: &a [" + ", ".join(["x"] * 5000) + "]\n" + "b: [" + ", ".join(["*a"] * 60) + "]\n"
    with pytest.raises(ConfigError, match="more than 200000 values after expanding YAML aliases"):
        safe_yaml_load(few, "runs file c.yaml")
    assert safe_yaml_load("a: &a [1, 2]\nb: *a\n", "ok") == {"a": [1, 2], "b": [1, 2]}
    with pytest.raises(ConfigError, match=r"runs file d.yaml: line 2: not valid YAML \(mapping values are not allowed here\)"):
        safe_yaml_load("a: 1\nb: c: d\n", "runs file d.yaml")
    big = tmp_path / "big.yaml"
    big.write_text("#" * (1024 * 1024 + 1), encoding="utf-8")
    with pytest.raises(ConfigError, match="1048577 bytes; allowed: at most 1048576 bytes"):
        load_runs(big, TOY_DIR)
    many = write_runs(tmp_path / "many.yaml", [{"name": "t_{message}_{version}", "notebook": "putki.ipynb",
                                                "matrix": {"message": [f"m{i}" for i in range(400)], "version": list(range(300))}}])
    with pytest.raises(ConfigError, match=r"more than 20000 runs after expanding the matrices .* alone makes 120000"):
        load_runs(many, TOY_DIR)
    huge = write_runs(tmp_path / "huge.yaml", [{"name": "t", "notebook": "putki.ipynb", "parameters": {"message": "x" * 20000}}])
    with pytest.raises(ConfigError, match="parameter 'message' is 20002 characters as JSON; allowed: at most 10000"):
        load_runs(huge, TOY_DIR)


def test_error_lists_are_short(tmp_path):
    runs_file = write_runs(tmp_path / "r.yaml", [{"name": "k_{year}", "notebook": "04_kyselyt.ipynb", "matrix": {"year": list(range(1000, 1100))}}])
    with pytest.raises(InvalidParameter) as err:
        validate(load_runs(runs_file))
    message = str(err.value)
    assert message.startswith("100 run(s) have bad parameters") and message.endswith("… and 80 more")
    assert len(message.splitlines()) == 22 and max(len(line) for line in message.splitlines()) <= 302


def test_output_paths_must_stay_inside_outputs(tmp_path):
    outputs = tmp_path / "outputs"
    (outputs / "site").mkdir(parents=True)
    assert check_relative("site/a.html", outputs) == (outputs / "site" / "a.html").resolve()
    for bad in ("../x", "/etc/passwd", "site/../../x", "", "~/x"):
        with pytest.raises(UnsafePath, match="is not allowed; allowed: a relative path inside the outputs folder"):
            check_relative(bad, outputs)
    (tmp_path / "elsewhere").mkdir()
    (outputs / "site" / "linkki").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(UnsafePath, match="outside the outputs folder"):
        check_relative("site/linkki/a.html", outputs)


def test_two_runs_writing_one_page_are_rejected_before_any_kernel(tmp_path):
    runs_file = write_runs(tmp_path / "r.yaml", [
        {"name": "kysely_a", "notebook": "04_kyselyt.ipynb", "parameters": {"year": 2025}},
        {"name": "kysely_b", "notebook": "04_kyselyt.ipynb", "parameters": {"year": 2026}},
    ])
    with pytest.raises(ConfigError, match="runs kysely_a and kysely_b both write site/kyselyt/kyselyt_2020_2021.html"):
        refresh(runs_file=runs_file, outputs=tmp_path / "outputs", progress=False)
    assert not (tmp_path / "outputs").exists()


class _CellError(Exception):
    ename, evalue, exec_count = "ValueError", "solu kaatui", 3


def test_kernel_start_is_retried_but_cell_errors_are_not(tmp_path):
    import zmq

    run = Run("t", TOY_DIR / "putki.ipynb", {})
    calls, pauses = [], []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) < 3:
            raise zmq.error.ZMQError(98, "Address already in use")

    out = execute_with_retries(flaky, run, tmp_path, 10, "k", sleep=pauses.append)
    assert out["error"] == "" and out["attempts"] == 3 and pauses == [1.0, 2.0]

    calls.clear()

    def always_down(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("Kernel died before replying to kernel_info")

    out = execute_with_retries(always_down, run, tmp_path, 10, "k", sleep=pauses.append)
    assert len(calls) == 3 and out["error"] == "kernel did not start after 3 attempts: RuntimeError: Kernel died before replying to kernel_info"

    calls.clear()

    def cell_fails(*args, **kwargs):
        calls.append(1)
        raise _CellError()

    out = execute_with_retries(cell_fails, run, tmp_path, 10, "k", sleep=pauses.append)
    assert len(calls) == 1 and out["error"] == "ValueError: solu kaatui (cell 3)"


def test_a_kernel_that_never_answers_is_tried_again(tmp_path, monkeypatch):
    """Real papermill: when the kernel does not reply in time papermill still marks every cell "completed", so the
    start-up failure must be told apart by the cells' missing start times (CI once lost a run to this)."""
    import json

    import papermill

    spec = tmp_path / "kernels" / "mykkä"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({"argv": ["sleep", "20"], "display_name": "mykkä", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    calls, pauses = [], []

    def execute(*args, **kwargs):
        calls.append(1)
        return papermill.execute_notebook(*args, start_timeout=1, **kwargs)

    run = Run("t", TOY_DIR / "putki.ipynb", {})
    out = execute_with_retries(execute, run, tmp_path, 10, "mykkä", sleep=pauses.append)
    assert len(calls) == 3 and pauses == [1.0, 2.0]
    assert out["error"] == "kernel did not start after 3 attempts: RuntimeError: Kernel didn't respond in 1 seconds"


# --------------------------------------------------------------------------- publishing: whole or not at all


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def _staging(tmp_path: Path, files: dict[str, str]) -> tuple[Path, list[tuple[str, str]]]:
    staged = _tree(tmp_path / "staging" / "outputs", files)
    return staged, [(rel, hashlib.sha256(files[rel].encode()).hexdigest()) for rel in sorted(files)]


def _hidden(outputs: Path) -> list[str]:
    """Files and folders of publishing left in outputs/ (staged new files, kept previous ones, the journal)."""
    return sorted(p.relative_to(outputs).as_posix() for p in outputs.rglob(".*"))


def _inodes(outputs: Path, rels) -> dict[str, int]:
    return {rel: os.stat(outputs / rel).st_ino for rel in rels}


def _steps(journal_path: Path) -> list[str]:
    return [json.loads(line)["op"] for line in journal_path.read_text(encoding="utf-8").splitlines()]


OLD = {"site/a.html": "vanha a", "site/b.html": "vanha b", "site/c.html": "vanha c", "lisat/pois.txt": "vanha, ei enää tehdä"}
NEW = {"site/a.html": "uusi a, pidempi", "site/b.html": "uusi b", "site/b2/uusi.html": "uusi sivu", "site/c.html": "uusi c"}


def _entry(present: dict) -> dict:
    return {"status": "ok", "outputs": list(present), "sha256": present,
            "last_success": {"fingerprint": "uusi", "outputs": list(present), "sha256": present, "inputs": []}}


def test_publish_renames_each_file_over_the_old_one_and_a_reader_keeps_the_old_bytes(tmp_path):
    """Breaks caught: a copy onto the page instead of os.replace (the reader then reads the new bytes from its open
    file, the page keeps its inode); a file the run no longer makes that is copied aside instead of renamed (it stays)."""
    from helpers.pipeline.publish import JOURNAL, Journal, publish_files

    outputs = _tree(tmp_path / "outputs", OLD)
    staged, files = _staging(tmp_path, NEW)
    notebook = tmp_path / "executed.ipynb"
    notebook.write_text('{"cells": []}', encoding="utf-8")
    journal = Journal(outputs)
    page = outputs / "site" / "a.html"
    with open(page, "rb") as reader:
        inode = os.fstat(reader.fileno()).st_ino
        published = publish_files(staged, files, outputs, [*OLD, "notebooks/t.ipynb"], {}, "t", copies=[(notebook, "notebooks/t.ipynb")],
                                  journal=journal, entry=_entry)
        assert reader.read() == b"vanha a"
    assert os.stat(page).st_ino != inode and page.read_text(encoding="utf-8") == NEW["site/a.html"]
    assert published == [*sorted(NEW), "notebooks/t.ipynb"]
    assert {rel: (outputs / rel).read_text(encoding="utf-8") for rel in NEW} == NEW
    assert (outputs / "notebooks" / "t.ipynb").read_text(encoding="utf-8") == '{"cells": []}'
    assert not (outputs / "lisat" / "pois.txt").exists()  # the run no longer makes it
    assert _hidden(outputs) == [JOURNAL] and _steps(outputs / JOURNAL) == ["begin", "published"]
    [_begin, commit] = [json.loads(line) for line in (outputs / JOURNAL).read_text(encoding="utf-8").splitlines()]
    assert commit["entry"]["sha256"]["site/c.html"] == hashlib.sha256(b"uusi c").hexdigest()
    assert journal.close() and not (outputs / JOURNAL).exists()


def test_atomic_copy_gives_the_copy_a_new_file_and_names_its_target(tmp_path):
    """The failure logs' copy (outputs/failed/): a reader of the previous log keeps it; a fault names the log, not the
    temporary file beside it. Break caught: a copy onto the log instead of os.replace."""
    from helpers.pipeline.publish import atomic_copy

    outputs = _tree(tmp_path / "outputs", {"failed/t.ipynb": "vanha loki"})
    source = _tree(tmp_path, {"executed.ipynb": "uusi loki"}) / "executed.ipynb"
    log = outputs / "failed" / "t.ipynb"
    with open(log, "rb") as reader:
        inode = os.fstat(reader.fileno()).st_ino
        atomic_copy(source, log, outputs)
        assert reader.read() == b"vanha loki"
    assert os.stat(log).st_ino != inode and log.read_text(encoding="utf-8") == "uusi loki" and _hidden(outputs) == []
    (outputs / "tiedosto").write_text("ei kansio", encoding="utf-8")
    with pytest.raises(OSError) as err:
        atomic_copy(source, outputs / "tiedosto" / "t.ipynb", outputs)
    assert err.value.filename == str(outputs / "tiedosto")  # the file where the folder should be


@pytest.mark.parametrize("where", ["swap", "rename", "commit"])
def test_a_publish_that_fails_part_way_leaves_every_previous_file(tmp_path, monkeypatch, where):
    """A fault at the third file's swap (after two files and a new one were swapped in: before its previous file got
    its second name, or at the rename after it), or when the commit cannot be written (every file swapped): every
    previous file is back, the very same file (inode), the new ones are gone.
    Breaks caught: a copy onto the page instead of os.replace (the kept previous file is the same file, so its old
    bytes are lost); a copy back instead of a rename when putting back (another inode)."""
    from helpers.pipeline import publish
    from helpers.pipeline.publish import JOURNAL, Journal, PublishError, publish_files

    outputs = _tree(tmp_path / "outputs", OLD)
    before = _inodes(outputs, OLD)
    staged, files = _staging(tmp_path, NEW)
    if where == "swap":
        keep = publish._keep_previous

        def failing(target, old):
            if target.name == "c.html":
                raise OSError(errno.EIO, os.strerror(errno.EIO), str(old))
            keep(target, old)

        monkeypatch.setattr(publish, "_keep_previous", failing)
    elif where == "rename":
        keep = publish._keep_previous

        def lose_the_new_file(target, old):
            keep(target, old)
            if target.name == "c.html":
                next(target.parent.glob(".c.html.*.new")).unlink()  # the rename over c.html then fails

        monkeypatch.setattr(publish, "_keep_previous", lose_the_new_file)
    else:
        record = Journal.record

        def full(self, **fields):
            if fields["op"] == "published":
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            record(self, **fields)

        monkeypatch.setattr(Journal, "record", full)
    journal = Journal(outputs)
    with pytest.raises(PublishError) as err:
        publish_files(staged, files, outputs, list(OLD), {}, "t", journal=journal, entry=_entry)
    if where == "swap":
        assert str(err.value).startswith("publishing failed at site/c.html: OSError: Input/output error (site/c.html); ")
    elif where == "rename":
        assert str(err.value).startswith("publishing failed at site/c.html: FileNotFoundError: No such file or directory (site/c.html); ")
    else:
        assert str(err.value).startswith("publishing failed when committing it: OSError: No space left on device (.publish-journal.jsonl); ")
    assert str(err.value).endswith("nothing of the run was published, its previous files are as they were") and err.value.moved == []
    assert {rel: (outputs / rel).read_text(encoding="utf-8") for rel in OLD} == OLD
    assert _inodes(outputs, OLD) == before  # the previous files themselves, renamed back
    assert not (outputs / "site" / "b2").exists()  # the run's new file and the folder made for it
    assert _hidden(outputs) == [JOURNAL] and _steps(outputs / JOURNAL) == ["begin", "put_back"]
    assert journal.close()


def test_a_put_back_the_journal_cannot_record_keeps_the_journal_and_the_new_paths_claimed(tmp_path, monkeypatch):
    """A full disk at the commit and at recording the put-back: the previous files are back all the same; the journal
    is kept for the next refresh (which finds nothing left to do), and the paths that were new are reported as the
    run's, so that no later run of this refresh publishes a file that repair would remove."""
    from helpers.pipeline.publish import Journal, PublishError, publish_files, recover

    outputs = _tree(tmp_path / "outputs", OLD)
    staged, files = _staging(tmp_path, NEW)
    record = Journal.record

    def full(self, **fields):
        if fields["op"] != "begin":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        record(self, **fields)

    monkeypatch.setattr(Journal, "record", full)
    journal = Journal(outputs)
    with pytest.raises(PublishError) as err:
        publish_files(staged, files, outputs, list(OLD), {}, "t", journal=journal, entry=_entry)
    assert err.value.moved == ["site/b2/uusi.html"] and not journal.close()
    assert {rel: (outputs / rel).read_text(encoding="utf-8") for rel in OLD} == OLD
    monkeypatch.undo()
    assert recover(outputs, {"runs": {}})[1].endswith("got their previous files back (t)")
    assert {rel: (outputs / rel).read_text(encoding="utf-8") for rel in OLD} == OLD and _hidden(outputs) == []


def _publish_and_die(outputs: str, staged: str, files: list, previous: list, at: str) -> None:
    """In a process of its own: publish, and SIGKILL this process at ``at`` (a kill at that moment)."""
    import signal

    from helpers.pipeline import publish

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    if at == "swap":  # after a.html and b.html (and the new b2/uusi.html) were swapped in, c.html kept aside
        keep = publish._keep_previous

        def keep_then_die(target, old):
            keep(target, old)
            if target.name == "c.html":
                die()

        publish._keep_previous = keep_then_die
    else:  # committed, the previous files not yet deleted, the manifest not written
        record = publish.Journal.record

        def record_then_die(self, **fields):
            record(self, **fields)
            if fields["op"] == "published":
                die()

        publish.Journal.record = record_then_die
    publish.publish_files(Path(staged), [tuple(f) for f in files], Path(outputs), previous, {}, "t", journal=publish.Journal(Path(outputs)),
                          entry=_entry)


@pytest.mark.parametrize("at", ["swap", "commit"])
def test_a_refresh_killed_while_publishing_is_finished_by_the_next(tmp_path, at):
    """SIGKILL mid-swap: the next refresh's repair puts every previous file back and the previous manifest describes
    the disk again; SIGKILL after the commit: the run's new files stay and its entry enters the manifest. Either way
    nothing of publishing is left (journal, kept or staged files)."""
    import multiprocessing
    import signal

    from helpers.pipeline.manifest import load_manifest, write_json
    from helpers.pipeline.publish import JOURNAL, recover

    outputs = _tree(tmp_path / "outputs", OLD)
    old_sha = {rel: hashlib.sha256(text.encode()).hexdigest() for rel, text in OLD.items()}
    write_json(outputs / "manifest.json", {"runs": {"t": {"status": "ok", "outputs": list(OLD), "sha256": old_sha}}})
    before = _inodes(outputs, OLD)
    staged, files = _staging(tmp_path, NEW)
    child = multiprocessing.get_context("spawn").Process(target=_publish_and_die, args=(str(outputs), str(staged), files, list(OLD), at))
    child.start()
    child.join(120)
    assert child.exitcode == -signal.SIGKILL
    assert (outputs / "site" / "a.html").read_text(encoding="utf-8") == NEW["site/a.html"]  # the kill left it half-done
    assert (outputs / JOURNAL).exists()

    manifest, said = recover(outputs, load_manifest(outputs))
    entry = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))["runs"]["t"]
    assert manifest["runs"]["t"] == entry
    if at == "swap":
        assert said.endswith("1 run(s) caught part-way got their previous files back (t)")
        assert {rel: (outputs / rel).read_text(encoding="utf-8") for rel in OLD} == OLD and _inodes(outputs, OLD) == before
        assert not (outputs / "site" / "b2" / "uusi.html").exists()
        assert entry["sha256"] == old_sha
    else:
        assert said.endswith("1 run(s) it had published entered the manifest (t)")
        assert {rel: (outputs / rel).read_text(encoding="utf-8") for rel in NEW} == NEW and not (outputs / "lisat" / "pois.txt").exists()
        assert entry["sha256"] == {rel: hashlib.sha256(text.encode()).hexdigest() for rel, text in sorted(NEW.items())}
        assert entry["last_success"]["fingerprint"] == "uusi"
    assert _hidden(outputs) == []
    assert recover(outputs, manifest) == (manifest, "")  # nothing left to do


def test_a_malformed_or_hostile_journal_stops_the_refresh_before_anything(tmp_path):
    from helpers.pipeline.publish import JOURNAL, recover

    outputs = _tree(tmp_path / "outputs", {"site/a.html": "a"})
    (tmp_path / "sentinel.txt").write_text("älä koske", encoding="utf-8")
    begin = {"op": "begin", "tx": "0123456789abcdef", "run": "t", "files": [["../sentinel.txt", False]], "stale": []}
    (outputs / JOURNAL).write_text(json.dumps(begin) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"publish-journal.jsonl is malformed \(line 1: output path '../sentinel.txt' is not allowed"):
        recover(outputs, {"runs": {}})
    assert (tmp_path / "sentinel.txt").read_text(encoding="utf-8") == "älä koske"
    (outputs / JOURNAL).write_text('{"op": "published", "tx": "0123456789abcdef", "entry": null}\n{"op": "begin", "tx": "0', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 1: 'published' of a publishing that did not begin\); move it aside"):
        recover(outputs, {"runs": {}})
    # a line torn by the kill (the last one) never started its step: the journal is finished without it
    torn = {"op": "begin", "tx": "0123456789abcdef", "run": "t", "files": [["site/a.html", True]], "stale": []}
    (outputs / JOURNAL).write_text(json.dumps(torn) + '\n{"op": "publi', encoding="utf-8")
    _manifest, said = recover(outputs, {"runs": {}})
    assert said.endswith("got their previous files back (t)") and (outputs / "site" / "a.html").read_text(encoding="utf-8") == "a"
    assert not (outputs / JOURNAL).exists()


@pytest.mark.notebook
def test_refresh_publishes_whole_runs_over_open_pages_or_nothing_of_them(tmp_path, monkeypatch):
    """End to end with the toy notebook: a reader of the previous page keeps reading it while the next refresh
    publishes (the page is a new file); a run whose publishing fails at its third file leaves all four previous
    files, the very same ones, and the manifest lists them; nothing of publishing is left in outputs/."""
    from helpers.pipeline import publish

    outputs = tmp_path / "outputs"
    spec = {"name": "t_a", "notebook": "putki.ipynb", "parameters": {"message": "a", "version": 1, "also_write": "extra/a.txt"}}
    assert toy(tmp_path, outputs, [spec]).counts()["ok"] == 1
    page = outputs / "site" / "putki" / "a.html"
    with open(page, "rb") as reader:
        inode = os.fstat(reader.fileno()).st_ino
        old = page.read_bytes()
        assert toy(tmp_path, outputs, [{**spec, "parameters": {**spec["parameters"], "version": 2}}]).counts()["ok"] == 1
        assert reader.read() == old and b"versio 1" in old
    assert os.stat(page).st_ino != inode and "versio 2" in page.read_text(encoding="utf-8")

    files = ["extra/a.txt", "lisat/a.txt", "site/putki/a.html", "notebooks/t_a.ipynb"]
    before = {rel: ((outputs / rel).read_bytes(), os.stat(outputs / rel).st_ino) for rel in files}
    keep = publish._keep_previous

    def failing(target, old):
        if target.name == "a.html":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(old))
        keep(target, old)

    monkeypatch.setattr(publish, "_keep_previous", failing)
    report = toy(tmp_path, outputs, [{**spec, "parameters": {**spec["parameters"], "version": 3}}])
    [failure] = report.failures
    assert failure.error == ("publishing failed at site/putki/a.html: PermissionError: Permission denied (site/putki/a.html); "
                             "nothing of the run was published, its previous files are as they were")
    assert {rel: ((outputs / rel).read_bytes(), os.stat(outputs / rel).st_ino) for rel in files} == before
    entry = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))["runs"]["t_a"]
    assert entry["status"] == "failed" and entry["outputs"] == files
    assert entry["sha256"] == {rel: hashlib.sha256(before[rel][0]).hexdigest() for rel in files}
    assert (outputs / "failed" / "t_a.ipynb").is_file() and _hidden(outputs) == [".refresh.lock"]


@pytest.mark.notebook
def test_a_manifest_that_cannot_be_written_is_named_and_the_next_refresh_enters_the_runs(tmp_path, monkeypatch):
    """A full disk at the manifest, after the runs published: the report names manifest.json (exit 1), the journal
    stays, and the next refresh enters the published run before anything else (it is then skipped as unchanged)."""
    from helpers.pipeline import job
    from helpers.pipeline.job import summary

    outputs = tmp_path / "outputs"
    spec = [{"name": "t_a", "notebook": "putki.ipynb", "parameters": {"message": "a"}}]
    write_json = job.write_json

    def full(path, data):
        if path.name == "manifest.json":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        write_json(path, data)

    monkeypatch.setattr(job, "write_json", full)
    report = toy(tmp_path, outputs, spec)
    assert report.counts()["ok"] == 1 and report.problems == [
        ("manifest.json: OSError: No space left on device (manifest.json); the next refresh enters the runs published now "
         "from .publish-journal.jsonl first")]
    assert "1 file(s) not written after the runs" in summary(report) and "NOT WRITTEN manifest.json: OSError" in summary(report)
    assert not (outputs / "manifest.json").exists() and (outputs / ".publish-journal.jsonl").exists()
    monkeypatch.undo()
    again = toy(tmp_path, outputs, spec)
    assert again.repaired.endswith("1 run(s) it had published entered the manifest (t_a)")
    assert again.counts() == {"ok": 0, "skipped": 1, "failed": 0} and not again.problems
    assert "REPAIRED: finished the publishing of a refresh" in summary(again)
    entry = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))["runs"]["t_a"]
    assert entry["sha256"]["lisat/a.txt"] == hashlib.sha256(b"versio 1").hexdigest() and _hidden(outputs) == [".refresh.lock"]


@pytest.mark.notebook
def test_a_hub_page_that_cannot_be_built_is_named_and_the_others_are_written(tmp_path, monkeypatch, capsys):
    """Whatever fails while the index and hub pages are built after the runs (here the sources page, as a bad
    citation would make it) is one line in the summary; the other pages are written and the exit code is 1, not 2."""
    from helpers.site import sources_page

    def broken(manifest=None, site=None, langs=("fi", "sv", "en")):
        raise SoteError("data/lahteet.csv: row x: url 'javascript:alert(1)' is not an https address")

    monkeypatch.setattr(sources_page, "write_sources_page", broken)
    outputs = tmp_path / "outputs"
    monkeypatch.setenv(config.OUTPUTS_ENV, str(outputs))
    runs_file = write_runs(tmp_path / "runs.yaml", [{"name": "t_{message}", "notebook": "putki.ipynb", "parameters": {"fail": False},
                                                     "matrix": {"message": ["a"]}},
                                                    {"name": "t_b", "notebook": "putki.ipynb", "parameters": {"message": "b", "fail": True}}])
    code = cli_main(["refresh", "--runs", str(runs_file), "--notebooks", str(TOY_DIR), "--workers", "2"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "FAILED t_b: RuntimeError: kaatui tarkoituksella: b" in out
    for page in ("site/lahteet.html", "site/sv/lahteet.html", "site/en/lahteet.html"):
        assert f"NOT WRITTEN {page}: SoteError: data/lahteet.csv: row x: url 'javascript:alert(1)'" in out
    assert "3 file(s) not written after the runs" in out
    for page in ("index.html", "sv/index.html", "mallit/index.html", "indikaattorit/index.html", "alueet/index.html"):
        assert (outputs / "site" / page).is_file()


# --------------------------------------------------------------------------- executors


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _stderr_target(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/fd/2")
    except OSError:
        return ""


def _kill_worker_of_running_kernel(outputs: Path, stop: "threading.Event", scratch: tuple = ()) -> list[int]:
    """SIGKILL the process (pool or Dask worker) whose kernel is executing a run of this refresh: its staging folder
    is in ``outputs`` (local pool) or in one of the ``scratch`` folders of this test's Dask workers."""
    import os
    import signal
    import time

    marks = (str(outputs / ".staging"), *(f"{d}/sote-t_slow." for d in scratch))
    killed: list[int] = []
    while not stop.is_set() and not killed:
        kernel, workers = False, []
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                cmdline = Path(f"/proc/{entry.name}/cmdline").read_bytes()
                env = Path(f"/proc/{entry.name}/environ").read_bytes()
            except OSError:
                continue
            # the kernel of the run: started the usual way, its environment points SOTE_OUTPUTS_DIR into staging (or
            # a worker's temp folder); forked by a kernel server (helpers.pipeline.warm_kernels), /proc shows the server's
            # command and environment, so the run is told by its stderr (the run's kernel log)
            served = b"helpers.pipeline.warm_kernels import serve" in cmdline
            if (b"ipykernel_launcher" in cmdline and any(m.encode() in env for m in marks)) or (
                    served and any(m in _stderr_target(int(entry.name)) for m in marks)):
                kernel = True
            # the worker running it has the run's kernel log as its stderr while the run lasts (executors.execute_in)
            elif not served and b"ipykernel_launcher" not in cmdline and any(m in _stderr_target(int(entry.name)) for m in marks):
                workers.append(int(entry.name))
        if kernel and workers:
            time.sleep(1.0)  # let the slow cell start: the run is mid-way
            for pid in workers:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            break
        time.sleep(0.1)
    return killed


@pytest.mark.notebook
def test_a_worker_that_dies_mid_run_publishes_nothing_half_way(tmp_path, executor):
    import threading

    outputs = tmp_path / "outputs"
    spec = {"name": "t_slow", "notebook": "putki.ipynb", "parameters": {"message": "hidas", "version": 1}}
    assert toy(tmp_path, outputs, [spec], dask=executor).counts()["ok"] == 1
    before = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))["runs"]["t_slow"]["sha256"]

    scratch = ()
    if executor is not None:
        from distributed import Client

        with Client(executor, timeout=10, set_as_default=False) as client:
            scratch = tuple(client.run(lambda dask_worker: dask_worker.local_directory).values())
    stop = threading.Event()
    killed: list[int] = []
    watcher = threading.Thread(target=lambda: killed.extend(_kill_worker_of_running_kernel(outputs, stop, scratch)), daemon=True)
    watcher.start()
    second_started = time.time()
    try:
        report = toy(tmp_path, outputs, [{**spec, "parameters": {"message": "hidas", "version": 2, "sleep_s": 4.0}}], dask=executor)
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert killed, "no worker was killed"
    [result] = report.results
    entry = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))["runs"]["t_slow"]
    page = (outputs / "site" / "putki" / "hidas.html").read_text(encoding="utf-8")
    if executor is None:
        # The local pool breaks with its worker: the run fails and the previous outputs stay as they were.
        assert result.status == "failed" and "worker failed" in result.error
        assert "versio 1" in page and entry["sha256"] == before and entry["status"] == "failed"
    else:
        # The Dask scheduler retries the task on a living worker: the run completes and publishes all its files.
        assert result.status == "ok", result.error
        assert "versio 2" in page and (outputs / "lisat" / "hidas.txt").read_text(encoding="utf-8") == "versio 2"
        assert entry["sha256"]["lisat/hidas.txt"] == hashlib.sha256(b"versio 2").hexdigest()
        # The dead attempt's staging folder was in the killed worker's own folder, which Dask removes when the
        # nanny starts its replacement; nothing of this refresh stays in the temporary folder.
        import tempfile

        places = [Path(tempfile.gettempdir()) / "sote-t_slow.*", *(d / "*" / "sote-t_slow.*" for d in {Path(d).parent for d in scratch})]

        def left():
            found = []
            for pattern in places:
                for path in Path(pattern.anchor).glob(str(pattern.relative_to(pattern.anchor))):
                    try:
                        if path.stat().st_mtime >= second_started - 1:  # not left by another test or an older suite
                            found.append(str(path))
                    except OSError:
                        pass  # removed meanwhile
            return found

        deadline = time.monotonic() + 15
        while left() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not left()
    on_disk = sorted(p.relative_to(outputs).as_posix() for p in outputs.rglob("*") if p.is_file() and p.name not in ("manifest.json", ".refresh.lock"))
    assert sorted(entry["outputs"]) == [p for p in on_disk if not p.startswith("failed/")]
    assert not (outputs / ".staging").exists()


# --------------------------------------------------------------------------- files no run made


@pytest.mark.notebook
def test_a_page_no_run_made_is_gone_after_the_next_refresh_and_not_listed(tmp_path, monkeypatch):
    """An old trial page in the published site (a notebook run by hand once wrote there) is removed by the next refresh
    before the index is built, so the indicator list does not link it. A run the refresh did not select keeps its
    files, and so do the shared assets, the hub pages and the researchers' scratch folder. Without a manifest a
    selective refresh cannot know the other runs' files and removes nothing."""
    from helpers.pipeline.publish import JOURNAL
    from helpers.site.pages import write_page

    outputs = tmp_path / "outputs"
    site = outputs / "site"
    spec = [{"name": "t_{message}", "notebook": "putki.ipynb", "parameters": {}, "matrix": {"message": ["a", "b"]}}]
    assert toy(tmp_path, outputs, spec).counts()["ok"] == 2
    monkeypatch.setenv(config.OUTPUTS_ENV, str(outputs))
    trials = [write_page(site / "indikaattorit" / "vaesto_kunta_2023.html", title="Kokeilu: väkiluku kunnittain", data_year=2023),
              write_page(site / "kokeilu" / "sv" / "sida.html", title="Kokeilu", lang="sv")]
    _tree(outputs, {"scratch/site/indikaattorit/vaesto_kunta_2023.html": "kokeilu"})
    before = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    page_a = (site / "putki" / "a.html").read_bytes()

    report = toy(tmp_path, outputs, spec, build_index=True, only=["t_b"])
    assert report.counts()["failed"] == 0 and not report.problems
    after = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    assert before - after == {"indikaattorit/vaesto_kunta_2023.html", "kokeilu/sv/sida.html"}
    assert {"assets/site.js", "putki/b.html", "index.html", "sv/indikaattorit/index.html"} <= after
    assert not (site / "kokeilu").exists()  # the folders it emptied go too
    assert (site / "putki" / "a.html").read_bytes() == page_a  # t_a was not selected: its page stays as it was
    for lang in ("", "sv/", "en/"):
        listing = (site / f"{lang}indikaattorit" / "index.html").read_text(encoding="utf-8")
        assert "vaesto_kunta_2023" not in listing and "Kokeilu" not in listing
    assert (outputs / "scratch" / "site" / "indikaattorit" / "vaesto_kunta_2023.html").is_file()
    assert not (outputs / JOURNAL).exists()
    # the site step's own pages (the builder and its data too) are not "unmade": the next refresh leaves them be
    hubs = {"mallit/oma.html", "sv/mallit/oma.html", "en/mallit/oma.html", "data/rakentaja.json", "mallit/index.html"}
    assert hubs <= after
    from helpers.pipeline.publish import unmade_files

    assert unmade_files(outputs, json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))) == []

    (outputs / "manifest.json").rename(outputs / "manifest.json.bad")
    trials[0] = write_page(trials[0], title="Kokeilu", data_year=2023)
    assert toy(tmp_path, outputs, spec, build_index=True, only=["t_b"]).counts()["ok"] == 1
    assert trials[0].is_file() and (site / "putki" / "a.html").read_bytes() == page_a


def test_removing_files_no_run_made_is_journaled_and_a_killed_refresh_gets_them_back(tmp_path):
    """Breaks caught: files deleted outright (a kill part-way loses them, with no record of what went); a hub page, a
    download beside it, a shared asset or data file (a warm refresh removed the profiles' comparison data and wrote it
    again), a hidden file or a file a run lists taken for unmade."""
    from helpers.pipeline import publish
    from helpers.pipeline.publish import JOURNAL, Journal, recover, remove_unmade, unmade_files

    files = {"site/putki/a.html": "ajon sivu", "lisat/a.txt": "ajon tiedosto", "site/index.html": "etusivu",
             "site/sv/indikaattorit/index.html": "lista", "site/mallit/index.tulostaulu.csv": "lataus",
             "site/assets/site.js": "//", "site/.mallit.inputs.json": "{}", "site/data/alueet.json": "{}",
             "site/data/rakentaja.json": "{}",
             "site/indikaattorit/kokeilu.html": "kokeilu", "site/en/kokeilu/x.html": "kokeilu"}
    outputs = _tree(tmp_path / "outputs", files)
    manifest = {"runs": {"t_a": _entry({"site/putki/a.html": "x", "lisat/a.txt": "y"})}}
    unmade = ["site/en/kokeilu/x.html", "site/indikaattorit/kokeilu.html"]
    assert unmade_files(outputs, manifest) == ["site/data/alueet.json", *unmade]  # no run makes a profile page
    manifest["runs"]["t_p"] = _entry({"site/alueet/07.html": "z"})
    assert unmade_files(outputs, manifest) == unmade  # a profile's comparison data: the site step's own

    record = Journal.record

    def killed_at_commit(self, **fields):  # as SIGKILL would: after the files went aside, before the commit
        if fields["op"] == "published":
            raise KeyboardInterrupt
        record(self, **fields)

    publish.Journal.record = killed_at_commit
    try:
        with pytest.raises(KeyboardInterrupt):
            remove_unmade(outputs, manifest, Journal(outputs))
    finally:
        publish.Journal.record = record
    assert not (outputs / unmade[0]).exists() and _steps(outputs / JOURNAL) == ["begin"]
    _, said = recover(outputs, manifest)
    assert said.endswith("got their previous files back (site: files no run made)")
    assert {rel: (outputs / rel).read_text(encoding="utf-8") for rel in files} == files and _hidden(outputs) == ["site/.mallit.inputs.json"]

    journal = Journal(outputs)
    assert remove_unmade(outputs, manifest, journal) == (unmade, "")
    assert _steps(outputs / JOURNAL) == ["begin", "published"] and journal.close()
    left = {p.relative_to(outputs).as_posix() for p in outputs.rglob("*") if p.is_file()} - {"manifest.json"}  # (recover wrote it)
    assert left == set(files) - set(unmade)
    assert not (outputs / "site" / "en").exists()


def test_runs_go_longest_first_and_new_ones_one_notebook_at_a_time():
    # A notebook's first run builds the tables its other runs read: with no times yet, one run of each notebook
    # starts before a second of any (two profiles started together both built the same tables).
    def runs(*names):
        return [(Run(n, Path(f"{n.split('_')[0]}.ipynb"), {}), "fp") for n in names]

    order = run_order(runs("card_1", "map_a", "map_b", "profile_01", "profile_02", "survey_1", "map_c"), {})
    assert [r.name for r, _ in order] == ["card_1", "map_a", "profile_01", "survey_1", "map_b", "profile_02", "map_c"]
    previous = {"map_a": {"duration_s": 1.0}, "profile_02": {"duration_s": 3.5}, "card_1": {"duration_s": 9.0},
                "map_b": {"duration_s": True}}  # not a time: as if there were none
    order = run_order(runs("card_1", "map_a", "map_b", "profile_01", "profile_02", "map_c"), previous)
    assert [r.name for r, _ in order] == ["map_b", "profile_01", "map_c", "card_1", "profile_02", "map_a"]
