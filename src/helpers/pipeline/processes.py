"""The refresh's process tree: finding a process's descendants, stopping processes (SIGTERM, then SIGKILL), the
worker processes' set-up (signals, exit with the parent) and stopping the local pool with its kernels."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

STOP_GRACE_S = 3.0  # after SIGTERM, how long workers and kernels get before SIGKILL


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


def worker_init(parent: int) -> None:
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


def end_workers(workers: list, graceful: bool, wait_s: float = 10.0) -> None:
    """Wait for pool workers already asked to end (``graceful``, up to ``wait_s``), then stop whatever is left of
    them and of what they started; not graceful: stop them at once."""
    if graceful:
        deadline = time.monotonic() + wait_s
        for proc in workers:
            proc.join(timeout=max(0.0, deadline - time.monotonic()))
    alive = [proc.pid for proc in workers if proc.pid and proc.is_alive()]
    if alive:
        # Only the workers' own trees (kernels, what they started): multiprocessing's resource tracker stays.
        tree = [d for w in alive for d in descendants(w)]
        stop_processes(alive)  # each worker stops its kernel first
        stop_processes([p for p in tree if _alive(p)], grace_s=1.0)  # anything that outlived its worker
    for proc in workers:
        proc.join(timeout=2)


def stop_pool(pool, graceful: bool) -> None:
    if graceful:
        pool.shutdown(wait=True)
        return
    end_workers(list((getattr(pool, "_processes", None) or {}).values()), graceful=False)
    pool.shutdown(wait=False, cancel_futures=True)
