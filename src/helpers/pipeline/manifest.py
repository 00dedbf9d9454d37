"""``outputs/manifest.json``: reading it back checked (structure, every listed path inside outputs/), the package
versions it records, and building it from a refresh's results (each output listed with its sha256, exactly the files
on disk)."""

from __future__ import annotations

import json
import os
import platform
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from helpers.base import config
from helpers.base.errors import ConfigError, UnsafePath
from helpers.base.hashing import file_sha
from helpers.sources import snapshot
from helpers.pipeline.fingerprints import ShaMemo
from helpers.pipeline.preflight import check_relative
from helpers.pipeline.results import RunResult
from helpers.pipeline.runs import clip

MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
PACKAGES = ("pandas", "numpy", "geopandas", "shapely", "pyogrio", "pyproj", "plotly", "kaleido", "mapclassify", "requests",
            "requests-cache", "pandera", "pydantic", "papermill", "nbclient", "ipykernel", "jupyterlab")


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def write_json(path: Path, data) -> None:
    from helpers.base.files import atomic_write_text

    atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def _manifest_problem(path: Path, what: str) -> ConfigError:
    return ConfigError(f"{path} is malformed ({clip(what, 200)}); move it aside (mv {path} {path}.bad) and run again: "
                       "every run then runs afresh")


def _check_paths(value, where: str, path: Path, outputs: Path, problem=None) -> None:
    problem = problem or _manifest_problem
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise problem(path, f"{where} is not a list of paths")
    real = os.path.realpath(outputs)
    for rel in value:
        try:
            check_relative(rel, outputs, real_root=real)
        except UnsafePath as exc:
            raise problem(path, f"{where}: {exc}") from None


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
    return check_manifest(data, path, outputs)


def check_manifest(data, path: Path, outputs: Path, problem=None) -> dict:
    """``data`` (read from ``path``) as a manifest: an object with a 'runs' object whose entries list paths inside
    outputs/; a ConfigError naming ``path`` otherwise (``problem(path, what)`` builds it: the manifest's by default)."""
    problem = problem or _manifest_problem
    if not isinstance(data, dict) or not isinstance(data.get("runs", {}), dict):
        raise problem(path, "expected an object with a 'runs' object")
    for name, entry in data.get("runs", {}).items():
        if not isinstance(entry, dict):
            raise problem(path, f"run {name!r} is not an object")
        _check_paths(entry.get("outputs", []), f"run {name!r} outputs", path, outputs, problem)
        last = entry.get("last_success")
        if last is not None:
            if not isinstance(last, dict):
                raise problem(path, f"run {name!r} last_success is not an object")
            _check_paths(last.get("outputs", []), f"run {name!r} last_success outputs", path, outputs, problem)
            if not isinstance(last.get("sha256", {}), dict) or not isinstance(last.get("inputs", []), list):
                raise problem(path, f"run {name!r} last_success sha256/inputs have the wrong type")
            if not all(isinstance(i, dict) for i in last.get("inputs", [])):
                raise problem(path, f"run {name!r} last_success inputs are not objects")
    data.setdefault("runs", {})
    return data


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


def rechecked(entry: dict, outputs: Path, shas: ShaMemo | None = None) -> dict:
    """A run's entry with its outputs re-checked: exactly those on disk now, each with its sha256 now."""
    present = _present(outputs, entry.get("outputs"), shas)
    return {**entry, "outputs": list(present), "sha256": present}


def run_entry(r: RunResult, present: dict[str, str], previous_entry: dict | None = None) -> dict:
    """The manifest entry of one run of this refresh; ``present``: its outputs on disk (path -> sha256)."""
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
                                 "sha256": present, "inputs": r.inputs, "mode": mode()}
    else:
        entry["last_success"] = (previous_entry or {}).get("last_success")
    return entry


def mode() -> str:
    """'live', 'snapshot' (the project's recorded answers) or 'mirror' (any other offline folder)."""
    mirror = config.mirror_dir()
    return "live" if mirror is None else "snapshot" if snapshot.is_snapshot(mirror) else "mirror"


def live_refresh(manifest: dict) -> str | None:
    """When the outputs a manifest describes hold numbers read live: the newest start time of a run whose last
    success was live (or the refresh time of a live manifest written before runs recorded their mode), else None."""
    times = [str(e["last_success"].get("started_at") or "") for e in manifest.get("runs", {}).values()
             if isinstance(e, dict) and isinstance(e.get("last_success"), dict)
             and e["last_success"].get("mode", manifest.get("mode")) == "live"]
    return max(times) if times else None


def counts(runs: dict) -> dict[str, int]:
    return {s: sum(1 for e in runs.values() if e.get("status") == s) for s in ("ok", "skipped", "failed")}


def build_manifest(results: list[RunResult], previous: dict, outputs: Path, shas: ShaMemo | None = None) -> dict:
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    # runs not selected this time keep their entries, re-checked against the disk
    runs = {name: rechecked(entry, outputs, shas) for name, entry in previous.items()}
    for r in results:
        runs[r.run.name] = run_entry(r, _present(outputs, r.outputs, shas), previous.get(r.run.name))
    return {
        "refreshed_at": now,
        "mode": mode(),
        "data_origin": snapshot.origin(),  # None when live; else what every page says about where its numbers came from
        "packages": package_versions(),
        "kernel": config.KERNEL_NAME,
        "counts": counts(runs),
        "runs": runs,
    }
