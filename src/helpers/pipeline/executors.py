"""Where runs execute: the local process pool (default) or a Dask distributed cluster (``--dask ADDRESS``).

Both run the same function, :func:`execute_in`, which executes one notebook in a staging folder and returns a
:class:`RunOutcome` (error, attempts, duration, the files it made with their sha256, the inputs it read, its notices
and per-phase timings). The refresh (``helpers.pipeline.job``) validates, publishes and writes the manifest from that
outcome the same way for both:

* local: the staging folder is ``outputs/.staging/RUN.*`` on the refresh's own disk; nothing is copied;
* Dask: the staging folder is a temporary folder on the worker; the outcome carries it as a tarball
  (``payload``), which the refresh unpacks into its own staging folder before publishing. The outputs folder need
  not be shared with the workers.

A Dask worker must have the same pinned environment and the registered kernel (see README, "Dask"). Runs change
process-wide state (environment variables for the kernel, the stderr file descriptor), so one process executes one
run at a time; give workers one thread (``--nthreads 1``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import os
import socket
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from helpers.base import config
from helpers.base.errors import ConfigError, UnsafePath
from helpers.base.notices import NOTICES_LOG_ENV, read_notices
from helpers.pipeline.execute import execute_with_retries
from helpers.pipeline.fingerprints import inputs_from_log
from helpers.pipeline.processes import end_workers, stop_pool, worker_init
from helpers.pipeline.publish import staged_files
from helpers.pipeline.runs import Run, clip

DASK_ENV = "SOTE_DASK_SCHEDULER"
DASK_CONNECT_TIMEOUT_S = 10
# Settings the refresh forwards to each run (a Dask worker has its own environment): the mirror decides the mode,
# the cache folders where answers and layers are kept, and the refresh's kernel server.
FORWARDED_ENV = (config.MIRROR_ENV, config.CACHE_ENV, config.GEODATA_ENV, config.KERNEL_SERVER_ENV)
# Settings a Dask nanny gives its worker process (distributed.nanny.pre-spawn-environ, and a fixed hash seed). Workers
# on this machine get the refresh's own values instead, as the local pool has them: then their kernels can fork from
# the refresh's kernel server (with the nanny's values each started a server of its own: cold refresh on 2 cores
# 37.0 s against 35.1 s, measured). Workers elsewhere keep the nanny's (one BLAS thread per worker on a shared node).
NANNY_ENV = ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "PYTHONHASHSEED")
EXECUTED = "executed.ipynb"
KERNEL_LOG = "kernel.log"

_ONE_RUN_PER_PROCESS = threading.Lock()


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run: the notebook as the refresh validated and fingerprinted it."""

    run: Run
    notebook_bytes: bytes
    timeout: int
    kernel: str
    env: dict = field(default_factory=dict)  # name -> value, or None to unset


@dataclass
class RunOutcome:
    """What a run produced, the same structure from every executor."""

    name: str
    error: str = ""
    attempts: int = 0
    duration_s: float = 0.0
    files: list = field(default_factory=list)  # [(path relative to outputs/, sha256)] of the staged outputs
    rejected: str = ""  # why the staged outputs cannot be published (a symlink, a special file)
    inputs: list = field(default_factory=list)
    notices: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)  # phase -> seconds
    host: str = ""
    payload: bytes | None = None  # tar of the staging folder when it is not on the refresh's disk


def forwarded_env(this_machine: bool = True) -> dict:
    """What each run gets from the refresh's environment (None: unset); ``this_machine``: the workers run here."""
    return {k: os.environ.get(k) for k in (*FORWARDED_ENV, *(NANNY_ENV if this_machine else ()))}


# --------------------------------------------------------------------------- one run (in a worker)


def _sha_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _cell_timings(executed: Path) -> dict:
    """Kernel start-up and cell time from papermill's metadata in the executed notebook."""
    try:
        nb = json.loads(executed.read_bytes())
    except (OSError, ValueError):
        return {}
    from datetime import datetime

    def stamp(value):
        try:
            return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None

    meta = (nb.get("metadata") or {}).get("papermill") or {}
    starts = [stamp(((c.get("metadata") or {}).get("papermill") or {}).get("start_time")) for c in nb.get("cells", [])]
    starts = [s for s in starts if s]
    durations = [((c.get("metadata") or {}).get("papermill") or {}).get("duration") for c in nb.get("cells", [])]
    out = {"cells": round(sum(d for d in durations if isinstance(d, (int, float))), 3)}
    # The first cell after the parameters imports the package and sets up: a cost every fresh kernel pays.
    for c in nb.get("cells", []):
        tags = set((c.get("metadata") or {}).get("tags") or [])
        if c.get("cell_type") == "code" and not tags & {"parameters", "injected-parameters"}:
            first = ((c.get("metadata") or {}).get("papermill") or {}).get("duration")
            if isinstance(first, (int, float)):
                out["imports"] = round(first, 3)
            break
    begin = stamp(meta.get("start_time"))
    if begin and starts:
        out["kernel_start"] = round(min(starts) - begin, 3)
    return out


REFRESH_ENGINE = "sote-refresh"


@functools.cache
def _register_engine() -> str:
    """papermill's nbclient engine, saving the executed notebook when it starts, when it ends (also after an
    error or a timeout) and every 30 s of a long cell - not twice per cell as papermill does, which rewrote a
    map notebook of 0.4 MB 28 times a run."""
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

    class FewSaves(NotebookExecutionManager):
        _in_cell_hook = False

        def save(self, **kwargs):
            if not self._in_cell_hook:
                super().save(**kwargs)

        def _without_save(self, hook, *args, **kwargs):
            self._in_cell_hook = True
            try:
                return hook(*args, **kwargs)
            finally:
                self._in_cell_hook = False

        def cell_start(self, *args, **kwargs):
            return self._without_save(super().cell_start, *args, **kwargs)

        def cell_complete(self, *args, **kwargs):
            return self._without_save(super().cell_complete, *args, **kwargs)

    class RefreshEngine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                             autosave_cell_every=30, **kwargs):
            # as papermill's Engine.execute_notebook, with FewSaves
            nb_man = FewSaves(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                              autosave_cell_every=autosave_cell_every)
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

    papermill_engines.register(REFRESH_ENGINE, RefreshEngine)
    return REFRESH_ENGINE


@contextlib.contextmanager
def _environment(settings: dict):
    """The run's settings in os.environ (its kernel inherits them; None unsets), put back as they were afterwards:
    a Dask worker lives on and runs other tasks, and pages written later in this process belong to no run."""
    before = {k: os.environ.get(k) for k in settings}

    def apply(values):
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    apply(settings)
    try:
        yield
    finally:
        apply(before)


def execute_in(task: RunTask, staging: Path, execute=None) -> RunOutcome:
    """Execute one run into ``staging`` (outputs/, executed.ipynb, kernel.log, provenance and notices logs)."""
    t0 = time.perf_counter()
    staging = Path(staging)
    run = task.run
    settings = {**task.env, config.OUTPUTS_ENV: str(staging / "outputs"),
                config.RUN_NAME_ENV: run.name,  # pages link to the run's executed notebook (pages.method_link)
                "SOTE_PROVENANCE_LOG": str(staging / "provenance.jsonl"), NOTICES_LOG_ENV: str(staging / "notices.jsonl")}
    with _ONE_RUN_PER_PROCESS, _environment(settings):
        notebook = run.notebook
        try:
            same = notebook.is_file() and notebook.read_bytes() == task.notebook_bytes
        except OSError:
            same = False
        if not same:  # a worker without this checkout (or a changed file): run the bytes the refresh validated
            notebook = staging / f".input.{run.notebook.name}"
            notebook.write_bytes(task.notebook_bytes)
        cwd = run.notebook.parent if run.notebook.parent.is_dir() else staging
        if execute is None:
            config.skip_iri_grammars()  # before papermill imports nbformat (2 s of a worker's first run)
            import papermill as pm

            from helpers.pipeline import warm_kernels

            options = {"engine_name": _register_engine()}
            if warm_kernels.enabled():  # kernels forked from a server that has the imports done (helpers.pipeline.warm_kernels)
                options["kernel_manager_class"] = warm_kernels.WarmKernelManager
            execute = functools.partial(pm.execute_notebook, **options)
        t_ready = time.perf_counter()
        # The kernel's own stderr (start-up warnings, crashes) goes to the run's log, not over the progress bar;
        # restored afterwards, since a Dask worker process lives on.
        saved_fd = os.dup(2)
        saved_stderr = sys.stderr
        try:
            with open(staging / KERNEL_LOG, "ab") as log:
                os.dup2(log.fileno(), 2)
            sys.stderr = open(2, "w", closefd=False)
            staged_run = Run(run.name, notebook, run.parameters, run.tags)
            out = execute_with_retries(execute, staged_run, staging, task.timeout, task.kernel, cwd=cwd)
        finally:
            sys.stderr.flush()
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            sys.stderr = saved_stderr
            kernels = sys.modules.get(f"{__package__}.warm_kernels")
            for line in kernels.take_messages() if kernels else []:
                print(f"worker {os.getpid()} ({run.name}): {line}", file=sys.stderr, flush=True)
        t_done = time.perf_counter()
        outcome = RunOutcome(run.name, error=out["error"], attempts=out["attempts"], duration_s=out["duration_s"],
                             host=socket.gethostname())
        if not out["error"]:
            try:
                outcome.files = [(rel, _sha_file(path)) for path, rel in staged_files(staging / "outputs")]
            except UnsafePath as exc:
                outcome.rejected = str(exc)
            except OSError as exc:
                outcome.rejected = f"the staged outputs cannot be read ({exc.__class__.__name__}: {exc.strerror or exc})"
        outcome.inputs = inputs_from_log(staging / "provenance.jsonl")
        outcome.notices = read_notices(staging / "notices.jsonl")
        timings = {"prepare": round(t_ready - t0, 3), "papermill": round(t_done - t_ready, 3)}
        timings.update(_cell_timings(staging / EXECUTED))
        if "cells" in timings and "kernel_start" in timings:
            # what papermill spends besides start-up and cells: reading, writing the executed notebook, shutdown
            timings["notebook_io"] = round(max(0.0, timings["papermill"] - timings["cells"] - timings["kernel_start"]), 3)
        timings["collect"] = round(time.perf_counter() - t_done, 3)
        outcome.timings = timings
        return outcome


def execute_local(task: RunTask, staging: str) -> RunOutcome:
    """Local pool: the staging folder is already on the refresh's disk."""
    return execute_in(task, Path(staging))


def _pack(staging: Path, files: list) -> bytes:
    """Tar of what the refresh needs: the staged outputs (plain files only), the executed notebook, the kernel log."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
        for rel, _sha in files:
            tar.add(staging / "outputs" / rel, arcname=f"outputs/{rel}", recursive=False)
        for name in (EXECUTED, KERNEL_LOG):
            if (staging / name).is_file():
                tar.add(staging / name, arcname=name, recursive=False)
    return buffer.getvalue()


def _worker_scratch() -> str | None:
    """The Dask worker's own folder. A worker killed mid-run cannot remove its run's staging folder; Dask removes a
    dead worker's folder when the next worker starts on that machine, whereas one in /tmp would stay."""
    try:
        from distributed import get_worker

        return get_worker().local_directory
    except (ImportError, ValueError, AttributeError):
        return None  # not in a Dask worker


def execute_remote(task: RunTask) -> RunOutcome:
    """Dask task: run in a temporary folder on the worker, return the files as a tarball in the outcome."""
    import shutil

    staging = Path(tempfile.mkdtemp(prefix=f"sote-{task.run.name}.", dir=_worker_scratch()))
    try:
        outcome = execute_in(task, staging)
        t0 = time.perf_counter()
        outcome.payload = _pack(staging, outcome.files)
        outcome.timings["pack"] = round(time.perf_counter() - t0, 3)
        return outcome
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def unpack(payload: bytes, staging: Path) -> None:
    """The worker's tarball into the refresh's staging folder: plain files and folders only, nothing outside it."""
    with tarfile.open(fileobj=io.BytesIO(payload), mode="r:gz") as tar:
        for member in tar.getmembers():
            if not (member.isfile() or member.isdir()):
                raise UnsafePath(f"the worker sent {clip(member.name, 120)}, which is not a plain file")
        tar.extractall(staging, filter="data")


# --------------------------------------------------------------------------- executors


class LocalExecutor:
    """A pool of worker processes on this machine (spawned; they stop with their kernels when the refresh dies)."""

    name = "local"
    this_machine = True  # its workers run here (forwarded_env, the refresh's kernel server)

    def __init__(self, workers: int):
        self.workers = workers
        self.pool = None
        self._exiting = None  # the workers of a pool asked to end while the refresh writes the site (stop)

    def start(self, pending: int) -> None:
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context

        self.pool = ProcessPoolExecutor(max_workers=max(1, min(self.workers, pending)), mp_context=get_context("spawn"),
                                        initializer=worker_init, initargs=(os.getpid(),))

    def submit(self, task: RunTask, staging: Path):
        return self.pool.submit(execute_local, task, str(staging))

    def completed(self, futures):
        from concurrent.futures import as_completed

        return as_completed(futures)

    def stop(self, graceful: bool) -> None:
        """Graceful: the first call asks the idle workers to end and returns - they end (0.2 s: their interpreters
        and ZeroMQ contexts) while the refresh writes the manifest and the site - and the next call waits for them.
        Otherwise workers and kernels are stopped at once."""
        if self.pool is not None:
            pool, self.pool = self.pool, None
            if graceful:
                # shutdown(wait=False) forgets the worker processes: kept here to wait for (or stop) them later
                workers = list((getattr(pool, "_processes", None) or {}).values())
                pool.shutdown(wait=False)
                self._exiting = workers
                return
            stop_pool(pool, graceful=False)
        exiting, self._exiting = self._exiting, None
        if exiting:
            end_workers(exiting, graceful)


class DaskExecutor:
    """Runs as tasks on a Dask distributed scheduler (LocalCluster, dask-jobqueue, Kubernetes, ...)."""

    name = "dask"

    def __init__(self, address: str, connect_timeout: float = DASK_CONNECT_TIMEOUT_S):
        self.address = address
        self.connect_timeout = connect_timeout
        self.client = None
        self.workers = 0
        self.this_machine = False  # known once connected
        self._futures: list = []

    def connect(self) -> None:
        """Before the lock and any run: a clear message if distributed is missing or the scheduler is unreachable."""
        try:
            from distributed import Client
        except ImportError:
            raise ConfigError(f"--dask {clip(self.address, 120)}: the Dask extra is not installed; install it with "
                              f"{sys.executable} -m pip install -e '.[dask]' (or leave --dask out for the local pool)") from None
        try:
            self.client = Client(self.address, timeout=self.connect_timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise ConfigError(f"--dask {clip(self.address, 120)}: cannot reach the Dask scheduler within {self.connect_timeout:g} s "
                              f"({clip(exc, 200)}); allowed: the address of a running scheduler, e.g. tcp://127.0.0.1:8786") from None
        self.workers = len(self.client.scheduler_info().get("workers", {}))
        self.this_machine = self.on_this_machine()

    def on_this_machine(self) -> bool:
        """Does a worker run on this machine (a LocalCluster)? Its kernels can then come from the refresh's server."""
        hosts = {info.get("host") for info in self.client.scheduler_info().get("workers", {}).values()}
        mine = {"127.0.0.1", "localhost", "::1", socket.gethostname()}
        try:
            mine.add(socket.gethostbyname(socket.gethostname()))
        except OSError:
            pass
        return bool(hosts & mine)

    def start(self, pending: int) -> None:
        if self.client is None:
            self.connect()

    def submit(self, task: RunTask, staging: Path):
        # pure=False: a run is executed afresh each time (its inputs may have changed upstream)
        future = self.client.submit(execute_remote, task, key=f"sote-run-{task.run.name}-{os.urandom(4).hex()}", pure=False)
        self._futures.append(future)
        return future

    def completed(self, futures):
        from distributed import as_completed

        return as_completed(list(futures), loop=self.client.loop)

    def stop(self, graceful: bool) -> None:
        if self.client is None:
            return
        try:
            if not graceful:
                # Tasks not started are dropped; a run already executing on a worker finishes there, its result is
                # discarded and its temporary folder removed on the worker.
                self.client.cancel(self._futures, force=True)
        except Exception:  # noqa: BLE001 - stopping must not hide why the refresh stopped
            pass
        finally:
            try:
                self.client.close(timeout=5)
            except Exception:  # noqa: BLE001
                pass
            self.client = None


def make_executor(workers: int, dask: str | None):
    """The executor for a refresh: Dask when an address is given (argument or SOTE_DASK_SCHEDULER), else local."""
    address = dask if dask is not None else os.environ.get(DASK_ENV)
    if address is None:
        return LocalExecutor(workers)
    if not str(address).strip():
        raise ConfigError(f"--dask '' is not allowed; allowed: a scheduler address like tcp://127.0.0.1:8786 "
                          f"(unset {DASK_ENV} / leave --dask out for the local pool)")
    return DaskExecutor(str(address).strip())
