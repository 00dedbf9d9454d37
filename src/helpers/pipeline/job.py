"""The refresh job: execute every run of ``runs.yaml`` with papermill and publish the outputs safely.

* Parameters are validated for all selected runs before any kernel starts (:mod:`helpers.pipeline.runs`).
* Runs execute in parallel worker processes (default: one per core), each with the named kernel, a per-cell
  timeout and its own staging folder (``SOTE_OUTPUTS_DIR`` points there while it runs).
* A successful run's files replace the previous ones whole or not at all (staged beside their targets, renamed over
  them, the previous files kept until the run is committed in ``outputs/.publish-journal.jsonl``); a failed run
  leaves the previous outputs untouched, and its executed notebook goes to ``outputs/failed/`` as the log. A refresh
  killed part-way is finished by the next one from that journal before anything else.
* A run whose notebook, parameters, code/data files and inputs (re-checked by sha256 through the cache or mirror)
  are unchanged since its last success is skipped.
* ``outputs/.refresh.lock`` keeps two refreshes apart; ``outputs/manifest.json`` records every run (each output
  with its sha256; an output changed or deleted by hand makes its run run again), and the site index is written
  from it.
* After the runs, a file under ``outputs/site/`` that no run made (none lists it in the manifest, this refresh or an
  earlier one) and the site step does not write is removed before the index is built (journaled like publishing):
  a page a notebook run by hand once wrote there is neither published nor linked.
* Every path a run writes, copies or deletes is checked to lie inside the outputs folder; a publish error fails
  that run only; the manifest always lists exactly the files on disk; staging is removed on every exit. A fault
  after the runs (the manifest, the index and hub pages) is named in the report and leaves the other pages written.
* Workers are stopped with their kernels on SIGINT/SIGTERM, and exit by themselves when the refresh process dies.

This module holds the orchestration (checks, the lock, signals, progress, each run's outcome published or kept as
a log, the summary); its parts: ``fingerprints`` (skip decisions), ``execute`` (one notebook, kernel start retries),
``processes`` (workers and kernels), ``publish``, ``manifest`` and ``results``; the executors run the notebooks.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from helpers.base import config
from helpers.base.errors import ConfigError, SoteError, UnsafePath
from helpers.base.hashing import code_fingerprint
from helpers.pipeline.fingerprints import InputChecker, ShaMemo, run_fingerprint, skip_ok
from helpers.pipeline.manifest import MANIFEST, build_manifest, load_manifest, run_entry, write_json
from helpers.pipeline.preflight import check_data_tables, inside, preflight
from helpers.pipeline.publish import (JOURNAL, LOCK, STAGING, Journal, PublishError, atomic_copy, os_problem, publish_files,
                                      recover, remove_unmade)
from helpers.pipeline.results import RefreshReport, RunResult
from helpers.pipeline.runs import RUNS_FILE, Run, clip, load_runs, select, validate


class RefreshLocked(SoteError):
    """Another refresh holds the lock."""


class Interrupted(BaseException):
    """SIGINT or SIGTERM reached the refresh; cleanup runs, then the command exits 128 + signal."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def check_kernel(kernel: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel)
    except NoSuchKernel:
        raise ConfigError(f"Jupyter kernel {kernel!r} is not registered; './run refresh' registers it, or run: "
                          f"{sys.executable} -m ipykernel install --sys-prefix --name {kernel}") from None


_DASK_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
_DASK_ADDRESS = re.compile(r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_]"
                           r"(?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?)(?::(?P<port>[0-9]{1,5}))?/?$")


def check_dask_address(text, option: str = "--dask") -> str:
    """A Dask scheduler address as the refresh can use it: [scheme://]host[:port], scheme tcp, tls, ws, wss or ucx
    (inproc:// for a cluster in this process), port 1–65535. Checked before connecting: distributed takes seconds
    (and prints a traceback when it gives up) over an address it cannot even parse."""
    text = str(text).strip()
    allowed = (f"allowed: a Dask scheduler address like tcp://127.0.0.1:8786 (scheme {', '.join(_DASK_SCHEMES)}; "
               "a host name or address; a port 1–65535)")
    if not text or len(text) > 500:
        raise ConfigError(f"{option} {clip(text, 80)!r} is not allowed; {allowed}")
    if text.startswith("inproc://") and len(text) > len("inproc://") and not any(c.isspace() for c in text):
        return text
    m = _DASK_ADDRESS.match(text)
    if m is None or (m["scheme"] or "tcp") not in _DASK_SCHEMES or (m["port"] is not None and not 1 <= int(m["port"]) <= 65535):
        raise ConfigError(f"{option} {clip(text, 80)!r} is not allowed; {allowed}")
    return text


def _prepare_outputs(outputs: Path) -> None:
    try:
        outputs.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=outputs, prefix=".write-test.", delete=True)
        probe.close()
    except OSError as exc:
        raise ConfigError(f"outputs folder {outputs} is not writable ({exc.__class__.__name__}: {exc.strerror or exc}); "
                          f"allowed: a folder this user can write (set {config.OUTPUTS_ENV} to choose another)") from None


# --------------------------------------------------------------------------- the refresh


def refresh(*, runs_file: str | Path | None = None, notebooks_dir: Path | None = None, outputs: Path | None = None,
            only: list[str] | None = None, tags: list[str] | None = None, force: bool = False, workers: int | None = None,
            timeout: int = 600, kernel: str = config.KERNEL_NAME, progress: bool = True, build_index: bool = True,
            dask: str | None = None) -> RefreshReport:
    """Run the selected runs and publish their outputs; returns a report (failures do not raise).

    ``dask``: the address of a Dask scheduler to run on (default: the environment variable SOTE_DASK_SCHEDULER,
    unset: the local process pool). Problems found before any run (runs file, parameters, mirror, model files,
    duplicate outputs, manifest, outputs folder, an unreachable scheduler) raise SoteError subclasses;
    SIGINT/SIGTERM during the runs end in a report with ``interrupted`` set after cleanup."""
    from helpers.pipeline import warm_kernels
    from helpers.pipeline.executors import make_executor

    wall = time.perf_counter()
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ConfigError(f"workers={workers!r} is not allowed; allowed: a whole number of 1 or more")
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0:
        raise ConfigError(f"timeout={timeout!r} is not allowed; allowed: a positive number of seconds per cell")
    outputs = Path(outputs or config.outputs_root()).expanduser().resolve()
    workers = max(1, workers or os.cpu_count() or 1)
    from helpers.pipeline.executors import DASK_ENV

    if dask is not None and str(dask).strip():
        dask = check_dask_address(dask)
    elif dask is None and (os.environ.get(DASK_ENV) or "").strip():
        check_dask_address(os.environ[DASK_ENV], DASK_ENV)
    executor = make_executor(workers, dask)
    servers: list = []

    def start_server():
        """The refresh's kernel server (imports what the notebooks use), once, when runs are going to run here."""
        if not servers and (executor.name == "local" or getattr(executor, "this_machine", False)):
            servers.append(warm_kernels.start_shared(kernel))

    # With no manifest (or --force) every run runs: the kernel server imports while the runs are planned. Otherwise
    # it starts only when a run is not skipped - a refresh that skips them all would share its two cores with
    # imports nobody uses.
    if executor.name == "local" and (force or not (outputs / MANIFEST).is_file()):
        start_server()
    try:
        runs = select(load_runs(runs_file or RUNS_FILE, notebooks_dir), only, tags)
        check_data_tables(runs)  # first: a bad cell in data/ is named with its file, line and column, once
        validate(runs)  # before any kernel starts
        expected = preflight(runs, outputs)
        check_kernel(kernel)
        if hasattr(executor, "connect"):
            executor.connect()  # an unreachable scheduler stops the refresh here, before anything is written
        every = not only and not tags  # a selection says nothing about the runs it left out (see _refresh_locked)
        return _refresh_checked(runs, expected, outputs, force, executor, timeout, kernel, progress, build_index, wall, every,
                                start_server)
    finally:
        for server in servers:
            warm_kernels.stop_shared(server)


def _refresh_checked(runs, expected, outputs, force, executor, timeout, kernel, progress, build_index, wall, every=True,
                     start_server=None) -> RefreshReport:
    from filelock import FileLock, Timeout

    try:
        _prepare_outputs(outputs)
        lock = FileLock(str(outputs / LOCK))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise RefreshLocked(f"another refresh is running on {outputs} (it holds {outputs / LOCK}); wait for it to finish. "
                                "The lock is released when that process ends, even if it crashed.") from None
        except OSError as exc:
            raise ConfigError(f"cannot take the lock {outputs / LOCK} ({exc.strerror or exc}); allowed: a writable outputs folder") from None
        try:
            manifest = load_manifest(outputs)
            # what a killed refresh left half-done is finished first: the manifest then describes the disk again
            manifest, repaired = recover(outputs, manifest)
            if repaired and progress:
                print(f"refresh: {repaired}", file=sys.stderr)
            report = _refresh_locked(runs, manifest, expected, outputs, force, executor, timeout, kernel, progress, build_index, wall,
                                     every, start_server)
            report.repaired = repaired
            return report
        finally:
            lock.release()
    finally:
        executor.stop(graceful=True)  # closes a Dask client; waits for the local pool's workers, asked to end after the runs


def preflight_only(*, runs_file=None, notebooks_dir=None, outputs=None, only=None, tags=None) -> list[Run]:
    """Every check ``refresh`` makes before a kernel starts (``--list``); returns the selected runs."""
    outputs = Path(outputs or config.outputs_root()).expanduser().resolve()
    runs = select(load_runs(runs_file or RUNS_FILE, notebooks_dir), only, tags)
    check_data_tables(runs)
    validate(runs)
    preflight(runs, outputs)
    return runs


class _Signals:
    """SIGINT/SIGTERM raise Interrupted in the main thread, except inside a critical section (publishing one run),
    where the signal is noted and raised when the section ends."""

    def __init__(self):
        self.signum = 0
        self.critical = False
        self._saved = {}

    def _handler(self, signum, _frame):
        if not self.signum:
            self.signum = signum
        if not self.critical:
            raise Interrupted(signum)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._saved[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc):
        for sig, old in self._saved.items():
            signal.signal(sig, old)
        return False

    def section_done(self):
        self.critical = False
        if self.signum:
            raise Interrupted(self.signum)


class _Progress:
    """tqdm bar over the runs: done, failed and skipped, and the time left from the mean time per finished run."""

    def __init__(self, total: int, skipped: int, workers: int, enabled: bool):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, desc="refresh", unit="run", disable=not enabled, file=sys.stderr)
        self.counts = {"ok": 0, "failed": 0, "skipped": skipped}
        self.workers = max(1, workers)
        self.started = time.perf_counter()
        self.bar.set_postfix_str(self._postfix(), refresh=False)

    def _postfix(self) -> str:
        done = self.counts["ok"] + self.counts["failed"]
        text = f"ok {self.counts['ok']}, failed {self.counts['failed']}, skipped {self.counts['skipped']}"
        left = self.bar.total - done
        if done and left:
            text += f", ~{(time.perf_counter() - self.started) / done * left:.0f} s left"
        return text

    def update(self, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1
        self.bar.set_postfix_str(self._postfix(), refresh=False)
        self.bar.update()

    def close(self) -> None:
        self.bar.close()


def _refresh_locked(runs, manifest, expected, outputs, force, executor, timeout, kernel, progress, build_index, wall,
                    every=True, start_server=None) -> RefreshReport:
    from helpers.pipeline.executors import RunTask, forwarded_env

    previous: dict = manifest.get("runs", {})
    code_fp = code_fingerprint()
    checker = InputChecker()
    shas = ShaMemo()
    results: dict[str, RunResult] = {}
    pending: list[tuple[Run, str]] = []
    claimed: dict[str, str] = {}  # output -> the run of this refresh that writes it
    for run in runs:
        for rel in expected.get(run.name, []):
            claimed[rel] = run.name
    notebook_bytes: dict[Path, bytes] = {}
    for run in runs:
        data = notebook_bytes.get(run.notebook)
        if data is None:
            data = notebook_bytes[run.notebook] = run.notebook.read_bytes()
        fp = run_fingerprint(run, code_fp, data)
        last_ok = (previous.get(run.name) or {}).get("last_success") or {}
        if not force and skip_ok(last_ok, fp, outputs, checker, shas):
            results[run.name] = RunResult(run, "skipped", started_at=last_ok.get("started_at", ""), duration_s=0.0,
                                          outputs=list(last_ok.get("outputs", [])), inputs=last_ok.get("inputs", []), fingerprint=fp,
                                          notices=list((previous.get(run.name) or {}).get("notices") or []))
            for rel in last_ok.get("outputs", []):
                claimed.setdefault(rel, run.name)
            if progress:
                print(f"skipped (notebook, parameters and inputs unchanged): {run.name}", file=sys.stderr)
            continue
        pending.append((run, fp))

    staging_root = outputs / STAGING
    journal = Journal(outputs)
    problems: list[str] = []  # faults after the runs: the manifest, the index and hub pages
    interrupted = 0
    completed = False
    started_executor = False
    early = None  # the site step's pages made from the scorecard alone, started once it is published
    with _Signals() as signals:
        try:
            try:
                shutil.rmtree(staging_root, ignore_errors=True)  # left by a refresh that was killed
                staging_root.mkdir(exist_ok=True)
                for d in ("notebooks", "failed"):
                    inside(outputs, outputs / d).mkdir(exist_ok=True)
            except (OSError, UnsafePath) as exc:
                raise ConfigError(f"outputs folder {outputs}: cannot prepare {STAGING}, notebooks/ and failed/ ({exc})") from None
            if pending:
                pending = run_order(pending, previous)
                if start_server is not None:
                    start_server()
                env = forwarded_env(executor.this_machine)  # after the server: its socket goes to the workers
                executor.start(len(pending))
                if build_index:
                    _import_site_step(any(run.notebook.name == SCORECARD_NOTEBOOK for run, _ in pending))
                started_executor = True
                futures = {}
                for run, fp in pending:
                    staging = Path(tempfile.mkdtemp(prefix=f"{run.name}.", dir=staging_root))
                    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
                    task = RunTask(run, notebook_bytes[run.notebook], timeout, kernel, env)
                    futures[executor.submit(task, staging)] = (run, fp, staging, started)
                bar = _Progress(len(futures), len(runs) - len(pending), getattr(executor, "workers", 1), progress)
                try:
                    for future in executor.completed(futures):
                        run, fp, staging, started = futures[future]
                        try:
                            outcome = future.result()
                        except Exception as exc:  # noqa: BLE001 - a worker that died is a failed run, not a crashed refresh
                            from helpers.pipeline.executors import RunOutcome

                            outcome = RunOutcome(run.name, error=f"worker failed: {exc.__class__.__name__}: {clip(exc, 500)}")
                        signals.critical = True
                        results[run.name] = _finish(run, fp, staging, started, outcome, outputs, previous.get(run.name, {}), claimed,
                                                    shas, journal)
                        if build_index and early is None and run.notebook.name == SCORECARD_NOTEBOOK and results[run.name].status == "ok":
                            early = _early_site_pages(outputs)
                        signals.section_done()
                        bar.update(results[run.name].status)
                finally:
                    bar.close()
            completed = True
        except (Interrupted, KeyboardInterrupt) as exc:
            interrupted = getattr(exc, "signum", signal.SIGINT)
            print(f"refresh: stopping on {signal.Signals(interrupted).name}; workers and kernels are being stopped", file=sys.stderr)
        finally:
            signals.critical = True  # a second signal during cleanup is only noted
            if started_executor:
                executor.stop(graceful=completed)
            shutil.rmtree(staging_root, ignore_errors=True)
            if early is not None:  # done writing before anything else touches the site (its own faults: the site step's)
                early.join()
            for run, fp in pending:
                if run.name not in results:
                    why = f"stopped by {signal.Signals(interrupted).name}" if interrupted else "not finished (the refresh stopped)"
                    prev_ok = (previous.get(run.name) or {}).get("last_success") or {}
                    results[run.name] = RunResult(run, "failed", "", 0.0, list(prev_ok.get("outputs", [])), [],
                                                  f"{why} before it finished", fp)
            ordered = [results[r.name] for r in runs if r.name in results]
            manifest = build_manifest(ordered, previous, outputs, shas)
            # Before the index lists the site's pages. Without a previous manifest only a refresh of every run knows
            # what the runs make (a manifest moved aside and --tag would otherwise take the other runs' pages).
            if completed and build_index and (previous or every):
                removed, problem = remove_unmade(outputs, manifest, journal)
                problems += [problem] if problem else []
                if removed and progress:
                    print(f"refresh: removed {len(removed)} file(s) no run made: {clip(', '.join(removed), 300)}", file=sys.stderr)
            problems += _write_manifest(manifest, outputs, journal)
    if build_index and not interrupted:
        problems += _write_site(manifest, outputs, early.done if early is not None else ())
    return RefreshReport(ordered, outputs / MANIFEST, round(time.perf_counter() - wall, 2), interrupted, problems=problems)


def run_order(pending: list, previous: dict) -> list:
    """``pending`` (pairs of a run and its fingerprint) in the order the workers take them. Longest first, by the
    last refresh's times (``previous``: run name -> manifest entry): a long run started last keeps one worker busy
    while the others idle. Runs without a time go ahead, in their order but one of each notebook first: a notebook's
    first run builds the tables its other runs read, and two of them started together would both build them (3.5 s
    each for the region profiles on a cold cache)."""
    def last_time(run):
        d = (previous.get(run.name) or {}).get("duration_s")
        return d if isinstance(d, (int, float)) and not isinstance(d, bool) else None

    firsts: dict = {}
    for run, _ in pending:
        if last_time(run) is None:
            firsts.setdefault(run.notebook, run.name)

    def key(item):
        d = last_time(item[0])
        return (1, -d) if d is not None else (0, 0 if firsts[item[0].notebook] == item[0].name else 1)

    return sorted(pending, key=key)


# What the site step after the runs imports: pandas, geopandas and the page modules; and when the scorecard ran (the
# builder's data are made again), scipy's distances - 2 s that would otherwise run with both cores idle.
SITE_STEP_MODULES = ("helpers.site.build", "helpers.site.model_view", "helpers.site.builder", "helpers.site.front_page",
                     "helpers.site.nav", "helpers.site.sources_page")
SCORECARD_STEP_MODULES = ("scipy.spatial.distance",)
SCORECARD_NOTEBOOK = "06_tulostaulu.ipynb"


def _import_site_step(scorecard: bool) -> None:
    """Import the site step's modules in a background thread while the workers run (this process only waits for
    them then). A module that fails to import here fails again, with its message, in the site step itself."""
    import importlib

    def work():
        for name in SITE_STEP_MODULES + (SCORECARD_STEP_MODULES if scorecard else ()):
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - see the docstring
                pass

    threading.Thread(target=work, name="site-step-imports", daemon=True).start()


def _early_site_pages(outputs: Path) -> threading.Thread:
    """Write the model view and the builder in a background thread as soon as the scorecard run is published: they
    read nothing else the runs make, and the site step after the runs (one process, the other core idle) skips what
    was written here (the thread's ``done``: their pages' paths as the site step names them; 2.1 s of a cold
    refresh's end). A fault is left for the site step, which writes that page again and names it."""
    done: set[str] = set()

    def work():
        try:
            from helpers.site.builder import PAGE as BUILDER, write_builder
            from helpers.site.model_view import PAGE as MODEL_VIEW, load_site_data, write_model_view

            site = outputs / "site"
            data = load_site_data(site)
            for page, write in ((MODEL_VIEW, write_model_view), (BUILDER, write_builder)):
                write(site, data)
                done.add(page)
        except Exception:  # noqa: BLE001 - see the docstring
            pass

    thread = threading.Thread(target=work, name="early-site-pages", daemon=True)
    thread.done = done
    thread.start()
    return thread


def _write_manifest(manifest: dict, outputs: Path, journal: Journal) -> list[str]:
    """Write the manifest, then drop the publish journal; a fault is named (the runs are done and published)."""
    try:
        write_json(outputs / MANIFEST, manifest)
    except OSError as exc:
        if journal.path.exists():
            then = f"the next refresh enters the runs published now from {JOURNAL} first"
        else:
            then = "the previous manifest still describes the files on disk"
        return [f"{MANIFEST}: {os_problem(exc, outputs, outputs / MANIFEST)}; {then}"]
    try:
        journal.close()
    except OSError:
        pass  # the next refresh finds the manifest already written and only removes it
    return []


def _write_site(manifest: dict, outputs: Path, done=()) -> list[str]:
    """The shared assets, the index and the hub pages, after the runs; a page that cannot be written is named and
    the others are still written. ``done``: the pages already written during the runs (``_early_site_pages``)."""
    from helpers.site import pages
    from helpers.site.build import page_fault, write_index

    site = outputs / "site"
    problems: list[str] = []
    try:
        pages.ensure_plotly_asset(site)  # also the site script and the stylesheet
    except Exception as exc:  # noqa: BLE001 - named in the summary; the pages are still written
        problems.append(page_fault(site / "assets", exc, outputs))
    try:
        write_index(manifest, site=site, problems=problems, done=done)
    except Exception as exc:  # noqa: BLE001 - before any page (reading the site's data)
        problems.append(page_fault(site / "index.html", exc, outputs))
    return problems


def _finish(run: Run, fp: str, staging: Path, started: str, outcome, outputs: Path, prev: dict, claimed: dict[str, str],
            shas: ShaMemo | None = None, journal: Journal | None = None) -> RunResult:
    """Publish one run's outcome (from any executor) or keep its log in failed/; the single publish path."""
    from dataclasses import replace

    from helpers.pipeline.executors import EXECUTED, KERNEL_LOG, unpack

    t0 = time.perf_counter()
    executed = staging / EXECUTED
    kept = list((prev.get("last_success") or {}).get("outputs", []))
    error = outcome.error
    result = None
    try:
        if outcome.payload is not None:
            unpack(outcome.payload, staging)  # a remote worker's staging folder, now on this disk
    except (OSError, SoteError, ValueError, EOFError) as exc:  # a torn or hostile tarball: nothing of it is published
        error = error or f"not published: the worker's files could not be unpacked ({clip(exc, 200)})"
    if not error and outcome.rejected:
        error = f"not published: {outcome.rejected}"
    if not error:
        ok = RunResult(run, "ok", started, outcome.duration_s, [], outcome.inputs, "", fp, outcome.notices, published=True)

        def entry(present: dict[str, str]) -> dict:  # the manifest entry the journal commits
            return run_entry(replace(ok, outputs=list(present)), present, prev)

        try:
            # the run's files and its executed notebook, whole or not at all; its previous files it no longer makes go
            ok.outputs = publish_files(staging / "outputs", list(outcome.files), outputs, kept, claimed, run.name, shas,
                                       copies=[(executed, f"notebooks/{run.name}.ipynb")], journal=journal, entry=entry)
            for rel in ok.outputs:
                claimed[rel] = run.name
            result = ok
        except PublishError as exc:
            for rel in exc.moved:
                claimed[rel] = run.name
            kept += [rel for rel in exc.moved if rel not in kept]
            error = str(exc)
        except SoteError as exc:
            error = f"not published: {exc}"
        except OSError as exc:
            error = f"publishing failed: {os_problem(exc, outputs)}"
    if result is not None:
        for suffix in (".ipynb", ".kernel.log"):  # an earlier failure's log
            try:
                inside(outputs, outputs / "failed" / f"{run.name}{suffix}").unlink(missing_ok=True)
            except (OSError, SoteError):
                pass  # the run is published; an old log left in failed/ says less than its manifest entry
    else:
        try:
            if executed.is_file():
                atomic_copy(executed, outputs / "failed" / f"{run.name}.ipynb", outputs)
            log = staging / KERNEL_LOG
            if log.is_file() and log.stat().st_size:
                atomic_copy(log, outputs / "failed" / f"{run.name}.kernel.log", outputs)
        except OSError as exc:
            error += f" (the log could not be kept in failed/: {os_problem(exc, outputs)})"
        except SoteError as exc:
            error += f" (the log could not be kept in failed/: {clip(exc, 200)})"
        result = RunResult(run, "failed", started, outcome.duration_s, kept, outcome.inputs, error, fp, outcome.notices)
    shutil.rmtree(staging, ignore_errors=True)
    result.timings = {**(outcome.timings or {}), "publish": round(time.perf_counter() - t0, 3)}
    return result


def summary(report: RefreshReport) -> str:
    c = report.counts()
    lines = [f"refresh: {c['ok']} ran, {c['skipped']} skipped (unchanged), {c['failed']} failed in {report.wall_s:.0f} s; "
             f"manifest {report.manifest_path}"]
    if report.problems:
        lines[0] += f"; {len(report.problems)} file(s) not written after the runs"
    if report.interrupted:
        lines[0] += f"; stopped by {signal.Signals(report.interrupted).name}"
    if report.repaired:
        lines.append(f"  REPAIRED: {clip(report.repaired, 400)}")
    shown = report.failures[:20]
    for r in shown:
        lines.append(f"  FAILED {r.run.name}: {clip(r.error.splitlines()[0] if r.error else '', 300)} (log: outputs/failed/{r.run.name}.ipynb)")
    if len(report.failures) > len(shown):
        lines.append(f"  … and {len(report.failures) - len(shown)} more failures (see the manifest)")
    for problem in report.problems[:20]:
        lines.append(f"  NOT WRITTEN {clip(problem, 400)}")
    if len(report.problems) > 20:
        lines.append(f"  … and {len(report.problems) - 20} more files not written")
    return "\n".join(lines)
