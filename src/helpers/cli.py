"""Command line: ``python -m helpers.cli refresh [--mirror DIR] [options]`` (``./run refresh`` calls it)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./run", description="Sote-järjestökartat: refresh outputs from the sources.")
    sub = parser.add_subparsers(dest="command", required=True)
    refresh = sub.add_parser("refresh", help="run the notebooks of runs.yaml and rebuild outputs/")
    refresh.add_argument("--mirror", metavar="DIR", help=f"read every source from this offline mirror folder (same as {config.MIRROR_ENV}=DIR)")
    refresh.add_argument("--runs", metavar="FILE", help="runs file (default: runs.yaml)")
    refresh.add_argument("--notebooks", metavar="DIR", help="folder of the notebooks the runs file names (default: notebooks/)")
    refresh.add_argument("--only", metavar="NAME", action="append", help="run only runs whose name matches (shell pattern; repeatable)")
    refresh.add_argument("--tag", metavar="TAG", action="append", help="run only runs with this tag (repeatable)")
    refresh.add_argument("--force", action="store_true", help="run everything, even runs whose inputs are unchanged")
    refresh.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel notebooks (default: number of cores, %(default)s)")
    refresh.add_argument("--timeout", type=int, default=600, help="seconds a single cell may take (default: %(default)s)")
    refresh.add_argument("--list", action="store_true", help="list the selected runs and their parameters, run nothing")
    args = parser.parse_args(argv)
    if args.mirror:
        config.set_mirror(args.mirror)
    from .errors import SoteError
    from .pipeline import refresh as do_refresh
    from .pipeline import summary
    from .runs import load_runs, select

    try:
        if args.list:
            for run in select(load_runs(args.runs, args.notebooks), args.only, args.tag):
                print(f"{run.name}\t{run.notebook.name}\t{','.join(run.tags)}\t{run.parameters}")
            return 0
        report = do_refresh(runs_file=args.runs, notebooks_dir=args.notebooks and Path(args.notebooks), only=args.only, tags=args.tag, force=args.force, workers=args.workers,
                            timeout=args.timeout)
    except SoteError as exc:
        print(f"refresh stopped: {exc}", file=sys.stderr)
        return 2
    print(summary(report))
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
