"""Executing one notebook (in a worker process): papermill's call with retries when the kernel fails to start, and
the run's error text."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

from helpers.pipeline.runs import Run

KERNEL_START_ATTEMPTS = 3
KERNEL_START_BACKOFF_S = 1.0  # 1 s, then 2 s

_ANSI = re.compile(r"\x1b\[[0-9;]*m")

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
