"""The refresh job: execute every run of ``runs.yaml`` with papermill and publish the outputs safely.

* Parameters are validated for all selected runs before any kernel starts (:mod:`helpers.runs`).
* Runs execute in parallel worker processes (default: one per core), each with the named kernel, a per-cell
  timeout and its own staging folder (``SOTE_OUTPUTS_DIR`` points there while it runs).
* A successful run's files replace the previous ones file by file (``os.replace``); a failed run leaves the previous
  outputs untouched, and its executed notebook goes to ``outputs/failed/`` as the log.
* A run whose notebook, parameters, code/data files and inputs (re-checked by sha256 through the cache or mirror)
  are unchanged since its last success is skipped.
* ``outputs/.refresh.lock`` keeps two refreshes apart; ``outputs/manifest.json`` records every run (each output
  with its sha256; an output changed or deleted by hand makes its run run again), and the site index is written
  from it.
* Every path a run writes, copies or deletes is checked to lie inside the outputs folder; a publish error fails
  that run only; the manifest always lists exactly the files on disk; staging is removed on every exit.
* Workers are stopped with their kernels on SIGINT/SIGTERM, and exit by themselves when the refresh process dies.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from . import config
from .errors import ConfigError, SoteError, UnsafePath
from .preflight import check_relative, inside, preflight
from .runs import RUNS_FILE, Run, clip, load_runs, select, validate

MANIFEST = "manifest.json"
LOCK = ".refresh.lock"
STAGING = ".staging"
RESERVED = (MANIFEST, LOCK, STAGING, "notebooks", "failed")  # top-level names of outputs/ a run's files may not use
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
KERNEL_START_ATTEMPTS = 3
KERNEL_START_BACKOFF_S = 1.0  # 1 s, then 2 s
STOP_GRACE_S = 3.0  # after SIGTERM, how long workers and kernels get before SIGKILL
SHARED_ASSET = "site/assets/plotly.min.js"  # the full plotly.js's name: never published by a run, whichever file pages load
PACKAGES = ("pandas", "numpy", "geopandas", "shapely", "pyogrio", "pyproj", "plotly", "kaleido", "mapclassify", "requests",
            "requests-cache", "pandera", "pydantic", "papermill", "nbclient", "ipykernel", "jupyterlab")
# Files whose change invalidates every run's previous result (the code and cited data the notebooks call).
CODE_GLOBS = (("src/helpers", "*.py"), ("src/helpers", "*.j2"), ("src/helpers", "*.js"), ("src/helpers", "*.css"),
              ("data", "*.csv"), ("data", "*.yaml"))


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class RefreshLocked(SoteError):
    """Another refresh holds the lock."""


class Interrupted(BaseException):
    """SIGINT or SIGTERM reached the refresh; cleanup runs, then the command exits 128 + signal."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@dataclass
class RunResult:
    run: Run
    status: str  # ok | failed | skipped
    started_at: str = ""
    duration_s: float = 0.0
    outputs: list[str] = field(default_factory=list)
    inputs: list[dict] = field(default_factory=list)
    error: str = ""
    fingerprint: str = ""
    notices: list[str] = field(default_factory=list)
    published: bool = False  # the run's new files replaced the previous ones
    timings: dict = field(default_factory=dict)  # phase -> seconds (where the run's time went)


@dataclass
class RefreshReport:
    results: list[RunResult]
    manifest_path: Path
    wall_s: float
    interrupted: int = 0  # the signal that stopped the refresh, 0 if none

    @property
    def failures(self) -> list[RunResult]:
        return [r for r in self.results if r.status == "failed"]

    def counts(self) -> dict[str, int]:
        out = {"ok": 0, "skipped": 0, "failed": 0}
        for r in self.results:
            out[r.status] += 1
        return out


# --------------------------------------------------------------------------- fingerprints


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha(path: Path) -> str | None:
    """sha256 of a regular file (symlinks are not followed), None if it is missing or not a plain file."""
    try:
        if path.is_symlink() or not path.is_file():
            return None
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    except OSError:
        return None


class ShaMemo:
    """sha256 of output files, each hashed at most once per refresh: an entry is reused while the file's size,
    modification time and inode are those it was hashed (or published) with."""

    def __init__(self):
        self._known: dict[str, tuple[tuple, str]] = {}

    @staticmethod
    def _stat_key(path: Path):
        try:
            st = os.lstat(path)
        except OSError:
            return None
        return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_mode)

    def remember(self, path: Path, sha: str) -> None:
        key = self._stat_key(path)
        if key is not None:
            self._known[str(path)] = (key, sha)

    def sha(self, path: Path) -> str | None:
        key = self._stat_key(path)
        if key is None:
            return None
        hit = self._known.get(str(path))
        if hit is not None and hit[0] == key:
            return hit[1]
        sha = file_sha(path)
        if sha is not None:
            self._known[str(path)] = (key, sha)
        return sha


def code_fingerprint(root: Path | None = None) -> str:
    root = Path(root or config.PROJECT_ROOT)
    h = hashlib.sha256()
    for folder, pattern in CODE_GLOBS:
        for path in sorted((root / folder).rglob(pattern)):
            if "cache" in path.relative_to(root).parts:
                continue
            h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def code_version() -> str:
    """``code_fingerprint()`` of the project, hashed again only when one of its files has another modification time or
    size (a long-lived process asks often: every kernel start, every cached table)."""
    root = Path(config.PROJECT_ROOT)
    stamp = []
    for folder, pattern in CODE_GLOBS:
        for path in sorted((root / folder).rglob(pattern)):
            if "cache" not in path.relative_to(root).parts:
                st = path.stat()
                stamp.append((str(path), st.st_mtime_ns, st.st_size))
    return _fingerprint_of(str(root), tuple(stamp))


@lru_cache(maxsize=4)
def _fingerprint_of(root: str, stamp: tuple) -> str:
    return code_fingerprint(Path(root))


def run_fingerprint(run: Run, code_fp: str, notebook_bytes: bytes | None = None) -> str:
    """Notebook bytes, parameters, code and data files, and which mode (live or mirror) the sources are read in."""
    mode = f"mirror:{config.mirror_dir()}" if config.mirror_dir() else "live"
    data = run.notebook.read_bytes() if notebook_bytes is None else notebook_bytes
    parts = [_sha(data), json.dumps(run.parameters, sort_keys=True, ensure_ascii=False), code_fp, mode]
    return _sha("\n".join(parts).encode())


def _input_key(rec: dict) -> str:
    return json.dumps([rec.get("source"), rec.get("method"), rec.get("url"), rec.get("body")], sort_keys=True, ensure_ascii=False)


def _inputs_from_log(log: Path) -> list[dict]:
    """Unique inputs of a run (last record per request), the fields the manifest keeps."""
    found: dict[str, dict] = {}
    if log.is_file():
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip():
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue  # a torn last line of a killed run
                if not isinstance(rec, dict):
                    continue
                found[_input_key(rec)] = {k: rec.get(k) for k in ("source", "method", "url", "body", "fetched_at", "sha256", "origin", "licence")}
    return sorted(found.values(), key=lambda r: (str(r["source"] or ""), str(r["url"] or "")))


class InputChecker:
    """Re-reads each recorded input through the cache or mirror (memoised per refresh) and compares sha256."""

    def __init__(self):
        self._seen: dict[str, str | None] = {}

    def current_sha(self, rec: dict) -> str | None:
        key = _input_key(rec)
        if key not in self._seen:
            from .fetch import fetch

            try:
                self._seen[key] = fetch(rec["source"], rec["url"], method=rec.get("method") or "GET", json_body=rec.get("body")).provenance["sha256"]
            except Exception:  # noqa: BLE001 - an input that cannot be read now counts as changed; the run reports why
                self._seen[key] = None
        return self._seen[key]

    def unchanged(self, inputs: list[dict]) -> bool:
        return all(self.current_sha(rec) == rec.get("sha256") for rec in inputs)


# --------------------------------------------------------------------------- processes


def _proc_tree() -> dict[int, int]:
    """pid -> parent pid of every process visible in /proc (Linux)."""
    parents = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as fh:
                    stat = fh.read()
                # the command name may hold spaces and parentheses: fields start after the last ')'
                fields = stat[stat.rindex(b")") + 2:].split()
                if fields[0] != b"Z":
                    parents[int(entry.name)] = int(fields[1])
            except (OSError, ValueError, IndexError):
                continue
    return parents


def descendants(pid: int) -> list[int]:
    """Living (non-zombie) descendants of a process: workers, their kernels, whatever those started."""
    if not os.path.isdir("/proc"):
        return []
    tree = _proc_tree()
    children: dict[int, list[int]] = {}
    for child, parent in tree.items():
        children.setdefault(parent, []).append(child)
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
        return stat[stat.rindex(b")") + 2:][:1] != b"Z"
    except (OSError, ValueError):
        return False


def stop_processes(pids: list[int], grace_s: float = STOP_GRACE_S) -> None:
    """SIGTERM, wait up to ``grace_s``, then SIGKILL whatever is left."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    for pid in pids:
        if _alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def _worker_exit(signum=signal.SIGTERM, _frame=None) -> None:
    # The kernel was started in its own session: it must be stopped explicitly or it outlives the worker.
    stop_processes(descendants(os.getpid()), grace_s=1.0)
    os._exit(128 + int(signum))


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            _worker_exit(signal.SIGTERM)


def _worker_init(parent: int) -> None:
    """Runs first in every worker: SIGINT is the refresh's to handle, SIGTERM and the parent's death end the worker
    together with its kernel."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_exit)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass  # the watcher thread below still notices
    if os.getppid() != parent:
        _worker_exit(signal.SIGTERM)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="parent-watch").start()


# --------------------------------------------------------------------------- one run (in a worker process)

_STARTUP_ERRORS = ("ZMQError", "ZMQBindError", "DeadKernelError", "TimeoutError", "RuntimeError", "OSError", "CellTimeoutError")


def _cells_started(executed: Path) -> bool:
    """Did the kernel get as far as running a cell? papermill marks every cell "completed" when it gives up, even cells
    that never ran, so a cell counts as started only with an execution count or a start time."""
    try:
        nb = json.loads(executed.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        meta = (cell.get("metadata") or {}).get("papermill") or {}
        if cell.get("execution_count") is not None or meta.get("start_time") or meta.get("status") in ("running", "failed"):
            return True
    return False


def is_startup_failure(exc: BaseException, executed: Path) -> bool:
    """Kernel start-up went wrong (port clash, kernel died before replying) — worth another try; a cell error or a
    cell timeout is not."""
    if getattr(exc, "ename", None):
        return False
    names = {c.__name__ for c in type(exc).__mro__}
    return bool(names & set(_STARTUP_ERRORS)) and "CellTimeoutError" not in names and not _cells_started(executed)


def _error_text(exc: BaseException) -> str:
    if getattr(exc, "ename", None):  # a cell raised: its exception, the traceback stays in the notebook
        return f"{exc.ename}: {_ANSI.sub('', str(exc.evalue))}"[:2000] + f" (cell {getattr(exc, 'exec_count', '?')})"
    return f"{exc.__class__.__name__}: {_ANSI.sub('', str(exc)).strip()}"[:2000]  # timeout, dead kernel, missing kernel


def execute_with_retries(execute, run: Run, staging_dir: Path, timeout: int, kernel: str, *,
                         attempts: int = KERNEL_START_ATTEMPTS, sleep=time.sleep, cwd: Path | None = None) -> dict:
    """Run ``execute`` (papermill's execute_notebook); a kernel that fails to start is tried again with backoff."""
    executed = staging_dir / "executed.ipynb"
    started = time.perf_counter()
    out = {"error": "", "attempts": 0}
    for attempt in range(1, attempts + 1):
        out["attempts"] = attempt
        try:
            execute(str(run.notebook), str(executed), parameters=run.parameters, kernel_name=kernel,
                    cwd=str(cwd or run.notebook.parent), execution_timeout=timeout, progress_bar=False, log_output=False,
                    report_mode=False)
            out["error"] = ""
            break
        except Exception as exc:  # noqa: BLE001 - reported per run; the refresh goes on with the others
            out["error"] = _error_text(exc)
            if attempt < attempts and is_startup_failure(exc, executed):
                print(f"kernel start failed (attempt {attempt} of {attempts}): {out['error'][:300]}", file=sys.stderr, flush=True)
                sleep(KERNEL_START_BACKOFF_S * 2 ** (attempt - 1))
                continue
            if is_startup_failure(exc, executed):
                out["error"] = f"kernel did not start after {attempt} attempts: {out['error']}"
            break
    out["duration_s"] = round(time.perf_counter() - started, 2)
    return out


# --------------------------------------------------------------------------- publishing


class PublishError(SoteError):
    """Publishing a run's files failed part-way; ``moved`` lists what did reach outputs/."""

    def __init__(self, message: str, moved: list[str]):
        super().__init__(message)
        self.moved = moved


def _atomic_copy(src: Path, dst: Path, outputs: Path) -> None:
    inside(outputs, dst.parent)
    dst.parent.mkdir(parents=True, exist_ok=True)
    inside(outputs, dst)
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dst)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _shared_assets() -> set[str]:
    """Files every page shares (plotly.js, the site script, the stylesheet): the pipeline writes them once, runs do not
    publish them."""
    from .pages import SHARED_ASSETS

    return {SHARED_ASSET} | {f"site/{Path(a).as_posix()}" for a in SHARED_ASSETS}


def staged_files(staged: Path) -> list[tuple[Path, str]]:
    """(file, path relative to outputs) of a run's staging folder; a symlink or special file there is an error."""
    found = []
    if not staged.is_dir():
        return found
    shared = _shared_assets()
    for folder, dirs, files in os.walk(staged, followlinks=False):
        for name in dirs + files:
            path = Path(folder) / name
            rel = path.relative_to(staged).as_posix()
            if path.is_symlink():
                raise UnsafePath(f"the run made a symbolic link {clip(rel, 120)}; allowed: plain files and folders")
            if name in files and not path.is_file():
                raise UnsafePath(f"the run made a special file {clip(rel, 120)}; allowed: plain files")
        for name in sorted(files):
            path = Path(folder) / name
            rel = path.relative_to(staged).as_posix()
            if rel in shared or any(part.startswith(".") for part in Path(rel).parts):
                continue
            found.append((path, rel))
    return sorted(found, key=lambda f: f[1])


def _publish(staged: Path, files: list[tuple[str, str]], outputs: Path, previous: list[str], claimed: dict[str, str],
             run_name: str, shas: "ShaMemo | None" = None) -> list[str]:
    """Move the run's files (``files``: path relative to outputs/ and sha256, as the worker listed them) into
    outputs/ one by one (atomic per file); drop files the run no longer makes.

    Everything is checked first (a plain file in staging, inside outputs/, not reserved, not written by another run
    of this refresh), so a check failure publishes nothing; an OSError part-way raises PublishError naming what was
    moved."""
    targets = []
    for rel, sha in files:
        path = staged / rel
        if path.is_symlink() or not path.is_file():
            raise UnsafePath(f"the run's file {clip(rel, 120)} is not a plain file in staging; allowed: plain files")
        if Path(rel).parts[0] in RESERVED:
            raise UnsafePath(f"the run wrote {clip(rel, 120)}; allowed: files outside the reserved {', '.join(RESERVED)}")
        if rel in claimed and claimed[rel] != run_name:
            raise UnsafePath(f"the run wrote {clip(rel, 120)}, which run {claimed[rel]} also writes in this refresh; allowed: one run per output file")
        targets.append((path, rel, sha, check_relative(rel, outputs)))
    stale = []
    for rel in sorted(set(previous) - {rel for _, rel, _, _ in targets}):
        stale.append(check_relative(rel, outputs))
    moved: list[str] = []
    rel = ""
    try:
        for path, rel, sha, target in targets:
            inside(outputs, target.parent)
            target.parent.mkdir(parents=True, exist_ok=True)
            target = inside(outputs, outputs / rel)  # again, now that every parent exists
            os.chmod(path, 0o644)
            os.replace(path, target)
            moved.append(rel)
            if shas is not None:
                shas.remember(target, sha)
        for target in stale:
            rel = target.relative_to(outputs).as_posix()
            target.unlink(missing_ok=True)
    except OSError as exc:
        raise PublishError(f"publishing failed at {clip(rel, 120)} after {len(moved)} of {len(targets)} files: "
                           f"{exc.__class__.__name__}: {exc.strerror or exc}", moved) from None
    return moved


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def _write_json(path: Path, data) -> None:
    from .pages import atomic_write_text

    atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def _manifest_problem(path: Path, what: str) -> ConfigError:
    return ConfigError(f"{path} is malformed ({clip(what, 200)}); move it aside (mv {path} {path}.bad) and run again: "
                       "every run then runs afresh")


def _check_paths(value, where: str, path: Path, outputs: Path) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _manifest_problem(path, f"{where} is not a list of paths")
    real = os.path.realpath(outputs)
    for rel in value:
        try:
            check_relative(rel, outputs, real_root=real)
        except UnsafePath as exc:
            raise _manifest_problem(path, f"{where}: {exc}") from None


def load_manifest(outputs: Path | None = None) -> dict:
    """The previous manifest, checked: its structure, and that every path it lists lies inside outputs/."""
    outputs = Path(outputs or config.outputs_dir())
    path = outputs / MANIFEST
    if not path.exists():
        return {"runs": {}}
    try:
        if path.is_symlink() or not path.is_file():
            raise _manifest_problem(path, "not a plain file")
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise _manifest_problem(path, f"larger than {MAX_MANIFEST_BYTES} bytes")
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror or exc}); check the outputs folder's permissions") from None
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise _manifest_problem(path, f"not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("runs", {}), dict):
        raise _manifest_problem(path, "expected an object with a 'runs' object")
    for name, entry in data.get("runs", {}).items():
        if not isinstance(entry, dict):
            raise _manifest_problem(path, f"run {name!r} is not an object")
        _check_paths(entry.get("outputs", []), f"run {name!r} outputs", path, outputs)
        last = entry.get("last_success")
        if last is not None:
            if not isinstance(last, dict):
                raise _manifest_problem(path, f"run {name!r} last_success is not an object")
            _check_paths(last.get("outputs", []), f"run {name!r} last_success outputs", path, outputs)
            if not isinstance(last.get("sha256", {}), dict) or not isinstance(last.get("inputs", []), list):
                raise _manifest_problem(path, f"run {name!r} last_success sha256/inputs have the wrong type")
            if not all(isinstance(i, dict) for i in last.get("inputs", [])):
                raise _manifest_problem(path, f"run {name!r} last_success inputs are not objects")
    data.setdefault("runs", {})
    return data


def check_kernel(kernel: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel)
    except NoSuchKernel:
        raise ConfigError(f"Jupyter kernel {kernel!r} is not registered; './run refresh' registers it, or run: "
                          f"{sys.executable} -m ipykernel install --sys-prefix --name {kernel}") from None


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
    from . import warm_kernels
    from .executors import make_executor

    wall = time.perf_counter()
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ConfigError(f"workers={workers!r} is not allowed; allowed: a whole number of 1 or more")
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0:
        raise ConfigError(f"timeout={timeout!r} is not allowed; allowed: a positive number of seconds per cell")
    outputs = Path(outputs or config.outputs_dir()).expanduser().resolve()
    workers = max(1, workers or os.cpu_count() or 1)
    executor = make_executor(workers, dask)
    # The kernel server imports while the runs are planned (it only imports; nothing is written).
    server = warm_kernels.start_shared(kernel) if executor.name == "local" else None
    try:
        runs = select(load_runs(runs_file or RUNS_FILE, notebooks_dir), only, tags)
        validate(runs)  # before any kernel starts
        expected = preflight(runs, outputs)
        check_kernel(kernel)
        if hasattr(executor, "connect"):
            executor.connect()  # an unreachable scheduler stops the refresh here, before anything is written
            if executor.this_machine:
                server = warm_kernels.start_shared(kernel)
        return _refresh_checked(runs, expected, outputs, force, executor, timeout, kernel, progress, build_index, wall)
    finally:
        warm_kernels.stop_shared(server)


def _refresh_checked(runs, expected, outputs, force, executor, timeout, kernel, progress, build_index, wall) -> RefreshReport:
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
            return _refresh_locked(runs, manifest, expected, outputs, force, executor, timeout, kernel, progress, build_index, wall)
        finally:
            lock.release()
    finally:
        executor.stop(graceful=True)  # closes a Dask client; the local pool was already shut down


def preflight_only(*, runs_file=None, notebooks_dir=None, outputs=None, only=None, tags=None) -> list[Run]:
    """Every check ``refresh`` makes before a kernel starts (``--list``); returns the selected runs."""
    outputs = Path(outputs or config.outputs_dir()).expanduser().resolve()
    runs = select(load_runs(runs_file or RUNS_FILE, notebooks_dir), only, tags)
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


def _skip_ok(last_ok: dict, fp: str, outputs: Path, checker: InputChecker, shas: ShaMemo) -> bool:
    recorded = last_ok.get("sha256") or {}
    listed = last_ok.get("outputs") or []
    if last_ok.get("fingerprint") != fp or not listed:
        return False
    # An output changed or deleted by hand (or by anyone) no longer matches what the run published: run again.
    real = os.path.realpath(outputs)
    for rel in listed:
        try:
            path = check_relative(rel, outputs, real_root=real)
        except UnsafePath:
            return False
        if recorded.get(rel) is None or shas.sha(path) != recorded.get(rel):
            return False
    return checker.unchanged(last_ok.get("inputs", []))


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


def _refresh_locked(runs, manifest, expected, outputs, force, executor, timeout, kernel, progress, build_index, wall) -> RefreshReport:
    from .executors import RunTask, forwarded_env

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
        if not force and _skip_ok(last_ok, fp, outputs, checker, shas):
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
    interrupted = 0
    completed = False
    started_executor = False
    env = forwarded_env(executor.this_machine)
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
                # Longest first (by the last refresh's times; runs without one keep their order, ahead): a long run
                # started last would keep one worker busy while the others idle.
                def last_duration(item):
                    d = (previous.get(item[0].name) or {}).get("duration_s")
                    return -d if isinstance(d, (int, float)) and not isinstance(d, bool) else float("-inf")

                pending.sort(key=last_duration)
                executor.start(len(pending))
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
                            from .executors import RunOutcome

                            outcome = RunOutcome(run.name, error=f"worker failed: {exc.__class__.__name__}: {clip(exc, 500)}")
                        signals.critical = True
                        results[run.name] = _finish(run, fp, staging, started, outcome, outputs, previous.get(run.name, {}), claimed, shas)
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
            for run, fp in pending:
                if run.name not in results:
                    why = f"stopped by {signal.Signals(interrupted).name}" if interrupted else "not finished (the refresh stopped)"
                    prev_ok = (previous.get(run.name) or {}).get("last_success") or {}
                    results[run.name] = RunResult(run, "failed", "", 0.0, list(prev_ok.get("outputs", [])), [],
                                                  f"{why} before it finished", fp)
            ordered = [results[r.name] for r in runs if r.name in results]
            manifest = _manifest(ordered, previous, outputs, shas)
            _write_json(outputs / MANIFEST, manifest)
    if build_index and not interrupted:
        from . import pages
        from .site import write_index

        pages.ensure_plotly_asset(outputs / "site")  # also the site script and the stylesheet
        write_index(manifest, site=outputs / "site")
    return RefreshReport(ordered, outputs / MANIFEST, round(time.perf_counter() - wall, 2), interrupted)


def _stop_pool(pool, graceful: bool) -> None:
    if graceful:
        pool.shutdown(wait=True)
        return
    workers = [p.pid for p in (getattr(pool, "_processes", None) or {}).values() if p.pid]
    # Only the workers' own trees (kernels, what they started): multiprocessing's resource tracker stays.
    tree = [d for w in workers for d in descendants(w)]
    stop_processes(workers)  # each worker stops its kernel first
    stop_processes([p for p in tree if _alive(p)], grace_s=1.0)  # anything that outlived its worker
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        proc.join(timeout=2)


def _finish(run: Run, fp: str, staging: Path, started: str, outcome, outputs: Path, prev: dict, claimed: dict[str, str],
            shas: ShaMemo | None = None) -> RunResult:
    """Publish one run's outcome (from any executor) or keep its log in failed/; the single publish path."""
    from .executors import EXECUTED, KERNEL_LOG, unpack

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
        old = [o for o in kept if not o.startswith("notebooks/")]
        try:
            produced = _publish(staging / "outputs", list(outcome.files), outputs, old, claimed, run.name, shas)
            for rel in produced:
                claimed[rel] = run.name
            nb_rel = f"notebooks/{run.name}.ipynb"
            _atomic_copy(executed, outputs / nb_rel, outputs)
            produced.append(nb_rel)
            for suffix in (".ipynb", ".kernel.log"):
                (inside(outputs, outputs / "failed" / f"{run.name}{suffix}")).unlink(missing_ok=True)
            result = RunResult(run, "ok", started, outcome.duration_s, produced, outcome.inputs, "", fp, outcome.notices, published=True)
        except PublishError as exc:
            for rel in exc.moved:
                claimed[rel] = run.name
            kept = sorted(set(kept) | set(exc.moved))
            error = str(exc)
        except SoteError as exc:
            error = f"not published: {exc}"
        except OSError as exc:
            error = f"publishing failed: {exc.__class__.__name__}: {exc.strerror or exc}"
    if result is None:
        try:
            if executed.is_file():
                _atomic_copy(executed, outputs / "failed" / f"{run.name}.ipynb", outputs)
            log = staging / KERNEL_LOG
            if log.is_file() and log.stat().st_size:
                _atomic_copy(log, outputs / "failed" / f"{run.name}.kernel.log", outputs)
        except (OSError, SoteError) as exc:
            error += f" (the log could not be kept in failed/: {clip(exc, 200)})"
        result = RunResult(run, "failed", started, outcome.duration_s, kept, outcome.inputs, error, fp, outcome.notices)
    shutil.rmtree(staging, ignore_errors=True)
    result.timings = {**(outcome.timings or {}), "publish": round(time.perf_counter() - t0, 3)}
    return result


def _present(outputs: Path, rels, shas: ShaMemo | None = None) -> dict[str, str]:
    """rel -> sha256 of the listed files that are on disk now (the manifest lists exactly these)."""
    found = {}
    real = os.path.realpath(outputs)
    for rel in rels or []:
        try:
            path = check_relative(rel, outputs, real_root=real)
        except UnsafePath:
            continue
        sha = shas.sha(path) if shas is not None else file_sha(path)
        if sha is not None:
            found[rel] = sha
    return found


def _manifest(results: list[RunResult], previous: dict, outputs: Path, shas: ShaMemo | None = None) -> dict:
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    runs = {}
    for name, entry in previous.items():  # runs not selected this time keep their entries, re-checked against the disk
        present = _present(outputs, entry.get("outputs"), shas)
        runs[name] = {**entry, "outputs": list(present), "sha256": present}
    for r in results:
        present = _present(outputs, r.outputs, shas)
        entry = {
            "name": r.run.name,
            "notebook": f"notebooks/{r.run.notebook.name}" if r.run.notebook.parent == config.NOTEBOOKS_DIR else str(r.run.notebook),
            "parameters": r.run.parameters,
            "tags": list(r.run.tags),
            "status": r.status,
            "started_at": r.started_at,
            "duration_s": r.duration_s,
            "outputs": list(present),
            "sha256": present,
            "inputs": r.inputs,
            "error": r.error,
            "notices": r.notices,
        }
        if r.status == "ok":
            entry["last_success"] = {"fingerprint": r.fingerprint, "started_at": r.started_at, "outputs": list(present),
                                     "sha256": present, "inputs": r.inputs}
        else:
            entry["last_success"] = (previous.get(r.run.name) or {}).get("last_success")
        runs[r.run.name] = entry
    return {
        "refreshed_at": now,
        "mode": "mirror" if config.mirror_dir() else "live",
        "packages": package_versions(),
        "kernel": config.KERNEL_NAME,
        "counts": {s: sum(1 for e in runs.values() if e.get("status") == s) for s in ("ok", "skipped", "failed")},
        "runs": runs,
    }


def summary(report: RefreshReport) -> str:
    c = report.counts()
    lines = [f"refresh: {c['ok']} ran, {c['skipped']} skipped (unchanged), {c['failed']} failed in {report.wall_s:.0f} s; "
             f"manifest {report.manifest_path}"]
    if report.interrupted:
        lines[0] += f"; stopped by {signal.Signals(report.interrupted).name}"
    shown = report.failures[:20]
    for r in shown:
        lines.append(f"  FAILED {r.run.name}: {clip(r.error.splitlines()[0] if r.error else '', 300)} (log: outputs/failed/{r.run.name}.ipynb)")
    if len(report.failures) > len(shown):
        lines.append(f"  … and {len(report.failures) - len(shown)} more failures (see the manifest)")
    return "\n".join(lines)
