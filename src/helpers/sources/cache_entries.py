"""Cache entries stored as a parquet file with a JSON sidecar: the boundary layers (``helpers.geo.layers``) and the
derived tables (``helpers.tables.table_cache``).

A pair is written under a per-name lock (parallel workers read and write it one at a time), each file atomically,
and the older pairs of the same name are removed. A pair found broken is discarded with one
:class:`~helpers.sources.fetch.CacheWarning` naming the file and why.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from filelock import FileLock

from helpers.sources.fetch import cache_notice


class BadEntry(Exception):
    """Why a cache entry cannot be trusted."""


def entry_lock(folder: Path, name: str) -> FileLock:
    folder.mkdir(parents=True, exist_ok=True)
    return FileLock(str(folder / f".{name}.lock"))


def atomic_write(path: Path, data: bytes) -> None:
    # Unique temporary name + rename: a reader never sees half a file.
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def write_pair(data_path: Path, meta_path: Path, data: bytes, meta: bytes, older: str) -> None:
    """Write the pair; remove the other files named ``older.*`` (entries never read again). Call under the lock."""
    atomic_write(data_path, data)
    atomic_write(meta_path, meta)
    for old in data_path.parent.glob(f"{older}.*"):
        if old not in (data_path, meta_path) and not old.name.endswith(".tmp"):
            old.unlink(missing_ok=True)


def discard(data_path: Path, meta_path: Path, why: str) -> None:
    cache_notice(data_path, why)
    for path in (data_path, meta_path):
        path.unlink(missing_ok=True)
