"""Refresh job benchmark: for each executor (the local pool, then a Dask LocalCluster on 127.0.0.1) a cold full refresh
and a warm one (every run skipped; also in a fresh process, as the scheduled job meets it); one empty notebook under
papermill with the same kernel (started afresh - the baseline - and forked from the kernel server as the refresh
does); the ratio of the cold refresh to (runs x empty-notebook time / workers) - how much of a refresh is real work
beyond starting kernels; and where a run's time goes (mean per phase over the cold local refresh's runs).

Usage: python benchmarks/refresh.py --mirror ../shared/mirror [--workers N] [--executors local,dask]
Everything goes to temporary folders (cache, geodata, outputs; fresh ones per executor); the project's outputs/ is
not touched.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--mirror", help="offline mirror folder (as ./run refresh --mirror)")
parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
parser.add_argument("--repeat-empty", type=int, default=5)  # the baseline varies by 0.2 s between runs
parser.add_argument("--executors", default="local,dask", help="comma-separated: local, dask")
parser.add_argument("--only", action="append", help="run names (shell patterns), as ./run refresh --only")
parser.add_argument("--no-index", action="store_true", help="leave out the site index (written once per refresh)")
args = parser.parse_args()

work = Path(tempfile.mkdtemp(prefix="refresh-bench-"))

from helpers.base import config  # noqa: E402

if args.mirror:
    config.set_mirror(args.mirror)

from helpers.pipeline.job import refresh, summary  # noqa: E402

# phases of a run, in the order they happen (seconds, from the run's outcome and the publish step)
PHASES = (("prepare", "worker: set up the run (before papermill)"), ("kernel_start", "kernel start-up (papermill start to first cell)"),
          ("cells", "cells: imports, reading inputs, figures, writing pages"),
          ("imports", "  of which the first cell: package imports and set-up"), ("notebook_io", "papermill besides cells (read, write executed notebook, shutdown)"),
          ("collect", "worker: list and hash the staged files"), ("pack", "worker: tarball for the client (Dask)"),
          ("publish", "refresh: unpack, publish, keep logs"))


def empty_notebook_seconds(warm: bool = False) -> float:
    import nbformat
    import papermill as pm

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": config.KERNEL_NAME, "display_name": config.KERNEL_DISPLAY_NAME, "language": "python"}
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("x")]
    path = work / "empty.ipynb"
    nbformat.write(nb, path)
    extra = {}
    if warm:  # the refresh's own kernels: forked from the kernel server (helpers.pipeline.warm_kernels); its start not counted
        from helpers.pipeline import warm_kernels

        extra = {"kernel_manager_class": warm_kernels.WarmKernelManager}
        pm.execute_notebook(str(path), str(work / "empty.out.ipynb"), parameters={"x": 2}, kernel_name=config.KERNEL_NAME,
                            progress_bar=False, log_output=False, **extra)
    times = []
    for _ in range(args.repeat_empty):
        start = time.perf_counter()
        pm.execute_notebook(str(path), str(work / "empty.out.ipynb"), parameters={"x": 2}, kernel_name=config.KERNEL_NAME,
                            progress_bar=False, log_output=False, **extra)
        times.append(time.perf_counter() - start)
    if warm:
        warm_kernels.stop_server()
    return statistics.median(times)


def one_executor(name: str, dask: str | None):
    folder = work / name
    os.environ["SOTE_CACHE_DIR"] = str(folder / "cache")
    os.environ["SOTE_GEODATA_DIR"] = str(folder / "geodata")
    outputs = folder / "outputs"
    cold = refresh(outputs=outputs, workers=args.workers, progress=False, dask=dask, only=args.only, build_index=not args.no_index)
    print(f"[{name}] {summary(cold)}")
    warm = refresh(outputs=outputs, workers=args.workers, progress=False, dask=dask, only=args.only, build_index=not args.no_index)
    return cold, warm, warm_in_a_fresh_process(outputs, dask)


def warm_in_a_fresh_process(outputs: Path, dask: str | None) -> float:
    """The warm refresh as the scheduled job meets it: a new interpreter that pays its imports (the refresh's own
    wall time, as ./run refresh reports it; the interpreter's start-up before the refresh is not counted)."""
    import json
    import subprocess
    import sys

    code = ("import json, sys; from helpers.pipeline.job import refresh; a = json.loads(sys.argv[1]); "
            "r = refresh(outputs=a['outputs'], workers=a['workers'], progress=False, dask=a['dask'], only=a['only'], "
            "build_index=a['index']); print(json.dumps({'wall': r.wall_s, 'skipped': r.counts()['skipped']}))")
    spec = {"outputs": str(outputs), "workers": args.workers, "dask": dask, "only": args.only, "index": not args.no_index}
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    done = subprocess.run([sys.executable, "-c", code, json.dumps(spec)], capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["wall"]


def phase_table(report) -> float | None:
    ran = [r for r in report.results if r.status != "skipped" and r.timings]
    if not ran:
        return
    print(f"where a run's time goes (mean over {len(ran)} runs, seconds):")
    for key, label in PHASES:
        values = [r.timings.get(key, 0.0) for r in ran]
        print(f"  {key:13s} {statistics.mean(values):6.2f}   {label}")
    print(f"  {'run total':13s} {statistics.mean(r.duration_s for r in ran):6.2f}   papermill incl. retries (manifest duration_s)")
    by_notebook: dict[str, list[float]] = {}
    for r in ran:
        by_notebook.setdefault(str(r.run.notebook), []).append(r.duration_s)
    print("  by notebook (runs, total s, mean s):")
    for notebook, values in sorted(by_notebook.items(), key=lambda item: -sum(item[1])):
        print(f"    {notebook:38s} {len(values):3d} {sum(values):7.1f} {statistics.mean(values):6.2f}")
    fixed = statistics.mean(sum(r.timings.get(k, 0.0) for k in ("prepare", "kernel_start", "notebook_io", "imports")) for r in ran)
    print(f"  fixed cost of a run in a fresh kernel (prepare + kernel start + notebook i/o + first cell): {fixed:.2f} s")
    return fixed


if __name__ == "__main__":
    empty = empty_notebook_seconds()
    empty_warm = empty_notebook_seconds(warm=True)
    rows = []
    fixed = {}
    cluster = None
    for name in [e.strip() for e in args.executors.split(",") if e.strip()]:
        address = None
        if name == "dask":
            from distributed import LocalCluster

            cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None)
            address = cluster.scheduler_address
        cold, warm, fresh = one_executor(name, address)
        rows.append((name, cold, warm, fresh))
        fixed[name] = phase_table(cold)
    if cluster is not None:
        cluster.close()
    print(f"workers: {args.workers}, cores: {os.cpu_count()}; empty notebook (papermill, a fresh kernel): {empty:.2f} s "
          f"(median of {args.repeat_empty}); the same with a kernel forked from the kernel server: {empty_warm:.2f} s")
    for name, cold, warm, fresh in rows:
        runs = len(cold.results)
        floor = runs * empty / args.workers
        print(f"[{name:5s}] runs {runs}: cold {cold.wall_s:6.1f} s ({cold.counts()['ok']} ran, {cold.counts()['failed']} failed), "
              f"warm {warm.wall_s:5.2f} s ({warm.counts()['skipped']} skipped; {fresh:.2f} s in a fresh process, as the "
              f"scheduled job); runs x empty / workers {floor:5.1f} s; ratio cold / that {cold.wall_s / floor:5.2f} "
              f"(target <= 1.5), warm target <= 2 s")
        if fixed.get(name):
            print(f"        a run's fixed cost alone is {fixed[name] / empty:.2f} x the empty notebook: the ratio's floor with no work at all")
    print(f"(work folder: {work})")
