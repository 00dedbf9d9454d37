"""Refresh job benchmark: cold full refresh, warm refresh (every run skipped), one empty notebook under papermill with
the same kernel, and the ratio of the full refresh to (runs x empty-notebook time / workers) - how much of a refresh is
real work beyond starting kernels.

Usage: python benchmarks/refresh.py --mirror ../shared/mirror [--workers N]
Everything goes to temporary folders (cache, geodata, outputs); the project's outputs/ is not touched.
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
parser.add_argument("--repeat-empty", type=int, default=3)
args = parser.parse_args()

work = Path(tempfile.mkdtemp(prefix="refresh-bench-"))
os.environ["SOTE_CACHE_DIR"] = str(work / "cache")
os.environ["SOTE_GEODATA_DIR"] = str(work / "geodata")
os.environ["SOTE_OUTPUTS_DIR"] = str(work / "outputs")

from helpers import config  # noqa: E402

if args.mirror:
    config.set_mirror(args.mirror)

import nbformat  # noqa: E402
import papermill as pm  # noqa: E402

from helpers.pipeline import refresh, summary  # noqa: E402


def empty_notebook_seconds() -> float:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": config.KERNEL_NAME, "display_name": config.KERNEL_DISPLAY_NAME, "language": "python"}
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("x")]
    path = work / "empty.ipynb"
    nbformat.write(nb, path)
    times = []
    for _ in range(args.repeat_empty):
        start = time.perf_counter()
        pm.execute_notebook(str(path), str(work / "empty.out.ipynb"), parameters={"x": 2}, kernel_name=config.KERNEL_NAME,
                            progress_bar=False, log_output=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


if __name__ == "__main__":
    empty = empty_notebook_seconds()
    cold = refresh(workers=args.workers, progress=False)
    print(summary(cold))
    warm = refresh(workers=args.workers, progress=False)
    runs = len(cold.results)
    floor = runs * empty / args.workers
    print(f"runs: {runs}, workers: {args.workers}, cores: {os.cpu_count()}")
    print(f"cold full refresh:          {cold.wall_s:7.1f} s  ({cold.counts()['ok']} ran, {cold.counts()['failed']} failed)")
    print(f"warm refresh (all skipped): {warm.wall_s:7.1f} s  ({warm.counts()['skipped']} skipped)")
    print(f"empty notebook (papermill): {empty:7.2f} s  (median of {args.repeat_empty})")
    print(f"runs x empty / workers:     {floor:7.1f} s")
    print(f"ratio full / that:          {cold.wall_s / floor:7.2f}")
    print(f"(work folder: {work})")
