"""The refresh job: execute every run of ``runs.yaml`` with papermill and publish the outputs safely.

* Parameters are validated for all selected runs before any kernel starts (:mod:`helpers.runs`).
* Runs execute in parallel worker processes (default: one per core), each with the named kernel, a per-cell
  timeout and its own staging folder (``SOTE_OUTPUTS_DIR`` points there while it runs).
* A successful run's files replace the previous ones file by file (``os.replace``); a failed run leaves the previous
  outputs untouched, and its executed notebook goes to ``outputs/failed/`` as the log.
* A run whose notebook, parameters, code/data files and inputs (re-checked by sha256 through the cache or mirror)
  are unchanged since its last success is skipped.
* ``outputs/.refresh.lock`` keeps two refreshes apart; ``outputs/manifest.json`` records every run, and the site
  index is written from it.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from multiprocessing import get_context
from pathlib import Path

from . import config
from .errors import SoteError
from .runs import RUNS_FILE, Run, load_runs, select, validate

MANIFEST = "manifest.json"
LOCK = ".refresh.lock"
STAGING = ".staging"
SHARED_ASSET = "site/assets/plotly.min.js"  # written once into the site by the pipeline, not per run
PACKAGES = ("pandas", "numpy", "geopandas", "shapely", "pyogrio", "pyproj", "plotly", "kaleido", "mapclassify", "requests",
            "requests-cache", "pandera", "pydantic", "papermill", "nbclient", "ipykernel", "jupyterlab")
# Files whose change invalidates every run's previous result (the code and cited data the notebooks call).
CODE_GLOBS = (("src/helpers", "*.py"), ("data", "*.csv"), ("data", "*.yaml"))


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class RefreshLocked(SoteError):
    """Another refresh holds the lock."""


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


@dataclass
class RefreshReport:
    results: list[RunResult]
    manifest_path: Path
    wall_s: float

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


def code_fingerprint(root: Path | None = None) -> str:
    root = Path(root or config.PROJECT_ROOT)
    h = hashlib.sha256()
    for folder, pattern in CODE_GLOBS:
        for path in sorted((root / folder).rglob(pattern)):
            if "cache" in path.relative_to(root).parts:
                continue
            h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def run_fingerprint(run: Run, code_fp: str) -> str:
    """Notebook bytes, parameters, code and data files, and which mode (live or mirror) the sources are read in."""
    mode = f"mirror:{config.mirror_dir()}" if config.mirror_dir() else "live"
    parts = [_sha(run.notebook.read_bytes()), json.dumps(run.parameters, sort_keys=True, ensure_ascii=False), code_fp, mode]
    return _sha("\n".join(parts).encode())


def _input_key(rec: dict) -> str:
    return json.dumps([rec.get("source"), rec.get("method"), rec.get("url"), rec.get("body")], sort_keys=True, ensure_ascii=False)


def _inputs_from_log(log: Path) -> list[dict]:
    """Unique inputs of a run (last record per request), the fields the manifest keeps."""
    found: dict[str, dict] = {}
    if log.is_file():
        for line in log.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                found[_input_key(rec)] = {k: rec.get(k) for k in ("source", "method", "url", "body", "fetched_at", "sha256", "origin", "licence")}
    return sorted(found.values(), key=lambda r: (r["source"] or "", r["url"] or ""))


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


# --------------------------------------------------------------------------- one run (in a worker process)


def _execute(run: Run, staging: str, timeout: int, kernel: str) -> dict:
    """Execute one notebook into its staging folder. Runs in a worker process: the kernel inherits this environment."""
    import papermill as pm

    staging_dir = Path(staging)
    os.environ[config.OUTPUTS_ENV] = str(staging_dir / "outputs")
    os.environ["SOTE_PROVENANCE_LOG"] = str(staging_dir / "provenance.jsonl")
    # The kernel's own stderr (start-up warnings, crashes) goes to the run's log, not over the progress bar.
    with open(staging_dir / "kernel.log", "ab") as log:
        os.dup2(log.fileno(), 2)
    started = time.perf_counter()
    out = {"error": ""}
    try:
        pm.execute_notebook(str(run.notebook), str(staging_dir / "executed.ipynb"), parameters=run.parameters,
                            kernel_name=kernel, cwd=str(run.notebook.parent), execution_timeout=timeout,
                            progress_bar=False, log_output=False, report_mode=False)
    except Exception as exc:  # noqa: BLE001 - reported per run; the refresh goes on with the others
        if getattr(exc, "ename", None):  # a cell raised: its exception, the traceback stays in the notebook
            out["error"] = f"{exc.ename}: {_ANSI.sub('', str(exc.evalue))}"[:2000] + f" (cell {getattr(exc, 'exec_count', '?')})"
        else:  # timeout, dead kernel, missing kernel
            out["error"] = f"{exc.__class__.__name__}: {_ANSI.sub('', str(exc)).strip()}"[:2000]
    out["duration_s"] = round(time.perf_counter() - started, 2)
    return out


# --------------------------------------------------------------------------- publishing


def _atomic_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dst)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _publish(staged_outputs: Path, outputs: Path, previous: list[str]) -> list[str]:
    """Move the run's files into outputs/ one by one (atomic per file); drop files the run no longer makes."""
    produced = []
    if staged_outputs.is_dir():
        for path in sorted(p for p in staged_outputs.rglob("*") if p.is_file()):
            rel = path.relative_to(staged_outputs).as_posix()
            if rel == SHARED_ASSET or path.name.startswith("."):
                continue
            target = outputs / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(path, 0o644)
            os.replace(path, target)
            produced.append(rel)
    for rel in set(previous) - set(produced):
        (outputs / rel).unlink(missing_ok=True)
    return produced


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


def load_manifest(outputs: Path | None = None) -> dict:
    path = Path(outputs or config.outputs_dir()) / MANIFEST
    if not path.is_file():
        return {"runs": {}}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SoteError(f"{path} is not valid JSON ({exc}); move it aside and run with --force") from None


def check_kernel(kernel: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel)
    except NoSuchKernel:
        raise SoteError(f"Jupyter kernel {kernel!r} is not registered; './run refresh' registers it, or run: "
                        f"{sys.executable} -m ipykernel install --sys-prefix --name {kernel}") from None


# --------------------------------------------------------------------------- the refresh


def refresh(*, runs_file: str | Path | None = None, notebooks_dir: Path | None = None, outputs: Path | None = None,
            only: list[str] | None = None, tags: list[str] | None = None, force: bool = False, workers: int | None = None,
            timeout: int = 600, kernel: str = config.KERNEL_NAME, progress: bool = True, build_index: bool = True) -> RefreshReport:
    """Run the selected runs and publish their outputs; returns a report (failures do not raise)."""
    from filelock import FileLock, Timeout
    from tqdm.auto import tqdm

    wall = time.perf_counter()
    outputs = Path(outputs or config.outputs_dir()).resolve()
    runs = select(load_runs(runs_file or RUNS_FILE, notebooks_dir), only, tags)
    validate(runs)  # before any kernel starts
    check_kernel(kernel)
    workers = max(1, workers or os.cpu_count() or 1)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0:
        raise SoteError(f"timeout={timeout!r} is not allowed; allowed: a positive number of seconds per cell")
    outputs.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(outputs / LOCK))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise RefreshLocked(f"another refresh is running on {outputs} (it holds {outputs / LOCK}); wait for it to finish. "
                            "The lock is released when that process ends, even if it crashed.") from None
    try:
        return _refresh_locked(runs, outputs, force, workers, timeout, kernel, progress, build_index, wall, tqdm)
    finally:
        lock.release()


def _refresh_locked(runs, outputs, force, workers, timeout, kernel, progress, build_index, wall, tqdm) -> RefreshReport:
    manifest = load_manifest(outputs)
    previous: dict = manifest.get("runs", {})
    code_fp = code_fingerprint()
    checker = InputChecker()
    results: dict[str, RunResult] = {}
    pending: list[tuple[Run, str]] = []
    for run in runs:
        fp = run_fingerprint(run, code_fp)
        prev = previous.get(run.name, {})
        last_ok = prev.get("last_success") or {}
        if (not force and last_ok.get("fingerprint") == fp and all((outputs / rel).is_file() for rel in last_ok.get("outputs", []))
                and checker.unchanged(last_ok.get("inputs", []))):
            results[run.name] = RunResult(run, "skipped", started_at=last_ok.get("started_at", ""), duration_s=0.0,
                                          outputs=last_ok.get("outputs", []), inputs=last_ok.get("inputs", []), fingerprint=fp)
            continue
        pending.append((run, fp))
    for name in (r.name for r in runs if results.get(r.name)):
        if progress:
            print(f"skipped (notebook, parameters and inputs unchanged): {name}", file=sys.stderr)

    staging_root = outputs / STAGING
    staging_root.mkdir(exist_ok=True)
    for d in ("notebooks", "failed"):
        (outputs / d).mkdir(exist_ok=True)
    if pending:
        with ProcessPoolExecutor(max_workers=min(workers, len(pending)), mp_context=get_context("spawn")) as pool:
            futures = {}
            for run, fp in pending:
                staging = Path(tempfile.mkdtemp(prefix=f"{run.name}.", dir=staging_root))
                started = datetime.now(timezone.utc).isoformat(timespec="seconds")
                futures[pool.submit(_execute, run, str(staging), timeout, kernel)] = (run, fp, staging, started)
            bar = tqdm(total=len(futures), desc="refresh", unit="run", disable=not progress, file=sys.stderr)
            for future in as_completed(futures):
                run, fp, staging, started = futures[future]
                try:
                    out = future.result()
                except Exception as exc:  # noqa: BLE001 - a worker that died is a failed run, not a crashed refresh
                    out = {"error": f"worker failed: {exc.__class__.__name__}: {exc}", "duration_s": 0.0}
                results[run.name] = _finish(run, fp, staging, started, out, outputs, previous.get(run.name, {}))
                bar.set_postfix_str(run.name[:40])
                bar.update()
            bar.close()
    shutil.rmtree(staging_root, ignore_errors=True)

    ordered = [results[r.name] for r in runs]
    manifest = _manifest(ordered, previous, outputs)
    _write_json(outputs / MANIFEST, manifest)
    if build_index:
        from .pages import ensure_plotly_asset
        from .site import write_index

        ensure_plotly_asset(outputs / "site")
        write_index(manifest, site=outputs / "site")
    return RefreshReport(ordered, outputs / MANIFEST, round(time.perf_counter() - wall, 2))


def _finish(run: Run, fp: str, staging: Path, started: str, out: dict, outputs: Path, prev: dict) -> RunResult:
    executed = staging / "executed.ipynb"
    inputs = _inputs_from_log(staging / "provenance.jsonl")
    if out["error"]:
        if executed.is_file():
            _atomic_copy(executed, outputs / "failed" / f"{run.name}.ipynb")
        log = staging / "kernel.log"
        if log.is_file() and log.stat().st_size:
            _atomic_copy(log, outputs / "failed" / f"{run.name}.kernel.log")
        kept = (prev.get("last_success") or {}).get("outputs", [])
        result = RunResult(run, "failed", started, out["duration_s"], kept, inputs, out["error"], fp)
    else:
        old = (prev.get("last_success") or {}).get("outputs", [])
        produced = _publish(staging / "outputs", outputs, [o for o in old if not o.startswith("notebooks/")])
        _atomic_copy(executed, outputs / "notebooks" / f"{run.name}.ipynb")
        produced.append(f"notebooks/{run.name}.ipynb")
        (outputs / "failed" / f"{run.name}.ipynb").unlink(missing_ok=True)
        (outputs / "failed" / f"{run.name}.kernel.log").unlink(missing_ok=True)
        result = RunResult(run, "ok", started, out["duration_s"], produced, inputs, "", fp)
    shutil.rmtree(staging, ignore_errors=True)
    return result


def _manifest(results: list[RunResult], previous: dict, outputs: Path) -> dict:
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    runs = dict(previous)  # runs not selected this time keep their entries
    for r in results:
        entry = {
            "name": r.run.name,
            "notebook": f"notebooks/{r.run.notebook.name}" if r.run.notebook.parent == config.NOTEBOOKS_DIR else str(r.run.notebook),
            "parameters": r.run.parameters,
            "tags": list(r.run.tags),
            "status": r.status,
            "started_at": r.started_at,
            "duration_s": r.duration_s,
            "outputs": r.outputs,
            "inputs": r.inputs,
            "error": r.error,
        }
        if r.status == "ok":
            entry["last_success"] = {"fingerprint": r.fingerprint, "started_at": r.started_at, "outputs": r.outputs, "inputs": r.inputs}
        elif r.status == "skipped":
            entry["last_success"] = previous[r.run.name]["last_success"]
            entry["status"] = "skipped"
        else:
            entry["last_success"] = (previous.get(r.run.name) or {}).get("last_success")
        runs[r.run.name] = entry
    return {
        "refreshed_at": now,
        "mode": "mirror" if config.mirror_dir() else "live",
        "packages": package_versions(),
        "kernel": config.KERNEL_NAME,
        "counts": {s: sum(1 for e in runs.values() if e["status"] == s) for s in ("ok", "skipped", "failed")},
        "runs": runs,
    }


def summary(report: RefreshReport) -> str:
    c = report.counts()
    lines = [f"refresh: {c['ok']} ran, {c['skipped']} skipped (unchanged), {c['failed']} failed in {report.wall_s:.0f} s; "
             f"manifest {report.manifest_path}"]
    for r in report.failures:
        lines.append(f"  FAILED {r.run.name}: {r.error.splitlines()[0] if r.error else ''} (log: outputs/failed/{r.run.name}.ipynb)")
    return "\n".join(lines)
