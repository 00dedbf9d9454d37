"""Publishing a run's files into outputs/: the names reserved there, the files a run's staging folder holds (shared
assets left out), the atomic copy, and moving the files in one by one (every path checked to lie inside outputs/)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from helpers.base.errors import SoteError, UnsafePath
from helpers.pipeline.fingerprints import ShaMemo
from helpers.pipeline.manifest import MANIFEST
from helpers.pipeline.preflight import check_relative, inside
from helpers.pipeline.runs import clip

LOCK = ".refresh.lock"
STAGING = ".staging"
RESERVED = (MANIFEST, LOCK, STAGING, "notebooks", "failed")  # top-level names of outputs/ a run's files may not use
SHARED_ASSET = "site/assets/plotly.min.js"  # the full plotly.js's name: never published by a run, whichever file pages load


class PublishError(SoteError):
    """Publishing a run's files failed part-way; ``moved`` lists what did reach outputs/."""

    def __init__(self, message: str, moved: list[str]):
        super().__init__(message)
        self.moved = moved


def atomic_copy(src: Path, dst: Path, outputs: Path) -> None:
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
    from helpers.site.pages import SHARED_ASSETS

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


def publish_files(staged: Path, files: list[tuple[str, str]], outputs: Path, previous: list[str], claimed: dict[str, str],
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
