"""Planning at scale: validate and list a generated runs file of 5,000 runs, as ``./run refresh --list`` does
(runs file, parameter names and types, values, mirror, model files, expected outputs), in a fresh process.

The generated file is the project's runs.yaml plus a matrix of the toy notebook (tests/fixtures/notebooks) up to the
wanted count; a second figure validates 5,000 runs of 02_indikaattorit (every value check) in this process.

Usage: python benchmarks/planning.py [--runs 5000] [--mirror ../shared/mirror]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
parser = argparse.ArgumentParser()
parser.add_argument("--runs", type=int, default=5000)
parser.add_argument("--mirror", help="offline mirror folder (as ./run refresh --mirror)")
args = parser.parse_args()

if __name__ == "__main__":
    work = Path(tempfile.mkdtemp(prefix="planning-bench-"))
    notebooks = work / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks)
    shutil.copy(ROOT / "tests" / "fixtures" / "notebooks" / "putki.ipynb", notebooks / "putki.ipynb")
    project = yaml.safe_load((ROOT / "runs.yaml").read_text(encoding="utf-8"))["runs"]
    from helpers.base import config
    from helpers.pipeline.runs import load_runs

    if args.mirror:
        config.set_mirror(args.mirror)

    base = len(load_runs(ROOT / "runs.yaml"))
    extra = max(0, args.runs - base)
    side = math.ceil(math.sqrt(extra)) or 1
    messages = [f"m{i}" for i in range(side)]
    versions = list(range(math.ceil(extra / side))) if extra else [0]
    entries = project + ([{"name": "toy_{message}_{version}", "notebook": "putki.ipynb", "tags": ["toy"],
                           "matrix": {"message": messages, "version": versions}}] if extra else [])
    runs_file = work / "runs.yaml"
    runs_file.write_text(yaml.safe_dump({"runs": entries}), encoding="utf-8")
    total = len(load_runs(runs_file, notebooks))

    env = {**os.environ, "SOTE_OUTPUTS_DIR": str(work / "outputs")}
    cmd = [sys.executable, "-m", "helpers.pipeline.cli", "refresh", "--list", "--runs", str(runs_file), "--notebooks", str(notebooks)]
    if args.mirror:
        cmd += ["--mirror", args.mirror]
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    listed = len(done.stdout.splitlines())
    if done.returncode:
        print(done.stderr[-2000:])
    print(f"runs file: {total} runs ({base} from runs.yaml + {total - base} toy runs)")
    print(f"refresh --list (fresh process, every check): {wall:5.2f} s, exit {done.returncode}, {listed} runs listed (target <= 5 s)")

    from helpers.pipeline.runs import Run, validate

    nb = ROOT / "notebooks" / "02_indikaattorit.ipynb"
    heavy = [Run(f"i{i}", nb, {"indicators": ["osuus_65"], "years": [2024], "level": "hyvinvointialue", "division_year": 2025})
             for i in range(args.runs)]
    start = time.perf_counter()
    validate(heavy)
    print(f"validate() of {len(heavy)} runs of 02_indikaattorit (value checks each): {time.perf_counter() - start:5.2f} s")
    shutil.rmtree(work, ignore_errors=True)
