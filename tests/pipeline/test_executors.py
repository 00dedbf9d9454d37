"""The executor seam: choosing the executor, clear errors before any run, and the tarball a Dask worker returns.

The pipeline tests in test_pipeline.py run the toy notebooks on both executors (the ``executor`` fixture)."""

import builtins
import io
import socket
import tarfile
from pathlib import Path

import pytest

from helpers.pipeline.cli import main as cli_main
from helpers.base.errors import ConfigError, UnsafePath
from helpers.pipeline.executors import DASK_ENV, DaskExecutor, LocalExecutor, RunOutcome, _pack, make_executor, unpack
from helpers.pipeline.runs import declared_parameters, parse_parameters

TOY_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "notebooks"


def test_make_executor_picks_local_or_dask(monkeypatch):
    monkeypatch.delenv(DASK_ENV, raising=False)
    assert isinstance(make_executor(3, None), LocalExecutor) and make_executor(3, None).workers == 3
    monkeypatch.setenv(DASK_ENV, "tcp://127.0.0.1:8786")
    chosen = make_executor(2, None)
    assert isinstance(chosen, DaskExecutor) and chosen.address == "tcp://127.0.0.1:8786"
    assert make_executor(2, "tcp://10.0.0.1:9000").address == "tcp://10.0.0.1:9000"
    with pytest.raises(ConfigError, match="--dask '' is not allowed; allowed: a scheduler address"):
        make_executor(2, "  ")


def test_workers_on_this_machine_get_the_refreshs_thread_settings_and_others_keep_their_nannys(monkeypatch):
    from helpers.pipeline.executors import forwarded_env

    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    monkeypatch.setenv("SOTE_MIRROR", "/peili")
    here, elsewhere = forwarded_env(True), forwarded_env(False)
    assert here["OMP_NUM_THREADS"] == "3" and "PYTHONHASHSEED" in here and here["PYTHONHASHSEED"] is None
    assert "OMP_NUM_THREADS" not in elsewhere and "PYTHONHASHSEED" not in elsewhere and "MALLOC_TRIM_THRESHOLD_" not in elsewhere
    assert here["SOTE_MIRROR"] == elsewhere["SOTE_MIRROR"] == "/peili"
    assert LocalExecutor(2).this_machine is True and DaskExecutor("tcp://127.0.0.1:8786").this_machine is False  # until connected


def test_an_unreachable_scheduler_stops_the_refresh_with_exit_2(tmp_path, capsys, monkeypatch):
    with socket.socket() as s:  # a free port on 127.0.0.1 that nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr("helpers.pipeline.executors.DASK_CONNECT_TIMEOUT_S", 2)
    ex = DaskExecutor(f"tcp://127.0.0.1:{port}", connect_timeout=2)
    with pytest.raises(ConfigError, match=rf"--dask tcp://127.0.0.1:{port}: cannot reach the Dask scheduler within 2 s"):
        ex.connect()
    runs = tmp_path / "runs.yaml"
    runs.write_text("runs:\n  - {name: t, notebook: putki.ipynb}\n", encoding="utf-8")
    monkeypatch.setenv("SOTE_OUTPUTS_DIR", str(tmp_path / "outputs"))
    code = cli_main(["refresh", "--runs", str(runs), "--notebooks", str(TOY_DIR), "--dask", f"tcp://127.0.0.1:{port}"])
    err = capsys.readouterr().err
    assert code == 2 and "refresh stopped: --dask tcp://127.0.0.1:" in err and "cannot reach the Dask scheduler" in err
    assert not (tmp_path / "outputs" / "manifest.json").exists()  # nothing ran, nothing was written


def test_dask_not_installed_is_a_clear_message(monkeypatch):
    real_import = builtins.__import__

    def no_distributed(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError("No module named 'distributed'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_distributed)
    with pytest.raises(ConfigError, match=r"the Dask extra is not installed; install it with .* -m pip install -e '\.\[dask\]'"):
        DaskExecutor("tcp://127.0.0.1:8786").connect()


def test_the_worker_tarball_round_trips_and_hostile_members_are_refused(tmp_path):
    staging = tmp_path / "remote"
    (staging / "outputs" / "site").mkdir(parents=True)
    (staging / "outputs" / "site" / "a.html").write_text("sivu", encoding="utf-8")
    (staging / "executed.ipynb").write_text("{}", encoding="utf-8")
    payload = _pack(staging, [("site/a.html", "x")])
    local = tmp_path / "local"
    local.mkdir()
    unpack(payload, local)
    assert (local / "outputs" / "site" / "a.html").read_text(encoding="utf-8") == "sivu" and (local / "executed.ipynb").is_file()
    assert not (local / "kernel.log").exists()

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        link = tarfile.TarInfo("outputs/site/b.html")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    with pytest.raises(UnsafePath, match="the worker sent outputs/site/b.html, which is not a plain file"):
        unpack(buffer.getvalue(), tmp_path / "other")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("../../pako.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(tarfile.OutsideDestinationError):
        unpack(buffer.getvalue(), tmp_path / "third")
    assert not (tmp_path.parent / "pako.txt").exists()
    assert RunOutcome("t").payload is None  # the local pool's outcome carries no files: they are on this disk


def test_parameters_are_read_without_papermill_as_papermill_reads_them():
    declared = declared_parameters(TOY_DIR / "putki.ipynb")
    assert declared["message"] == {"name": "message", "inferred_type_name": "str", "default": '"hei"', "help": "sivun nimi"}
    assert declared["version"] == {"name": "version", "inferred_type_name": "int", "default": "1", "help": ""}
    assert declared["sleep_s"]["default"] == "0.0" and declared["fail"]["inferred_type_name"] == "bool"
    multi = parse_parameters("years: list = [\n    2023,  # first\n    2024,\n]  # the years\nlevel = 'kunta'\nx, y = 1, 2\n")
    assert multi["years"]["default"] == "[\n    2023,  # first\n    2024,\n]" and multi["years"]["help"] == "the years"
    assert multi["level"] == {"name": "level", "inferred_type_name": "None", "default": "'kunta'", "help": ""}
    assert set(multi) == {"years", "level"}


def _slow_exit(seconds: float) -> int:
    """In a pool worker: its interpreter takes ``seconds`` to end (as papermill's and ZeroMQ's clean-up does)."""
    import atexit
    import os
    import time

    atexit.register(time.sleep, seconds)
    return os.getpid()


def test_the_local_pool_ends_while_the_site_is_written_and_the_next_stop_waits_for_it():
    executor = LocalExecutor(1)
    executor.start(1)
    executor.pool.submit(_slow_exit, 0.8).result(timeout=120)
    workers = list(executor.pool._processes.values())
    executor.stop(graceful=True)  # asks the worker to end and returns
    assert executor.pool is None and any(w.is_alive() for w in workers)
    executor.stop(graceful=True)  # waits for it
    assert not any(w.is_alive() for w in workers)


def test_a_pool_asked_to_end_is_stopped_at_once_when_the_refresh_is_interrupted():
    import time

    executor = LocalExecutor(1)
    executor.start(1)
    executor.pool.submit(_slow_exit, 60).result(timeout=120)
    workers = list(executor.pool._processes.values())
    executor.stop(graceful=True)
    started = time.monotonic()
    executor.stop(graceful=False)  # a signal during the site step: no minute-long wait
    assert not any(w.is_alive() for w in workers) and time.monotonic() - started < 30
