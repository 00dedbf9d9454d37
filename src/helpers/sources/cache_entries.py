"""Cache entries stored as a parquet file with a JSON sidecar: the boundary layers (``helpers.geo.layers``) and the
derived tables (``helpers.tables.table_cache``).

A pair is written under a per-name lock (parallel workers read and write it one at a time), each file atomically,
and the older pairs of the same name are removed. A pair found broken is discarded with one
:class:`~helpers.sources.fetch.CacheWarning` naming the file and why. So is anything of the wrong kind standing at an
entry's path (a directory, a symbolic link, a named pipe): it is removed when the entry's lock is taken, before
anything reads it, and the entry is built again.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
from pathlib import Path

from filelock import FileLock

from helpers.base.files import atomic_write
from helpers.sources.fetch import cache_notice, remove_cache_path, wrong_kind


class BadEntry(Exception):
    """Why a cache entry cannot be trusted."""


def entry_lock(folder: Path, name: str) -> FileLock:
    """The lock of the entries named ``name.*`` in ``folder``; entries of the wrong kind there are healed first."""
    folder.mkdir(parents=True, exist_ok=True)
    heal_wrong_kinds(folder, name)
    return FileLock(str(folder / f".{name}.lock"))


def heal_wrong_kinds(folder: Path, name: str) -> None:
    """Remove what stands at ``folder/name.*`` and is not a regular file, with the rest of its entry (the other file
    of the pair) and one CacheWarning: the cache only ever writes regular files, and a directory there would fail
    every read and write of the entry."""
    for path in sorted(folder.glob(f"{glob.escape(name)}.*")):
        kind = wrong_kind(path)
        if kind is None:
            continue
        pair = [p for p in folder.glob(f"{glob.escape(path.stem)}.*") if p != path and not p.name.endswith(".tmp")]
        for p in [path, *pair]:
            with contextlib.suppress(FileNotFoundError):  # another worker healed it first
                remove_cache_path(p)
        cache_notice(path, f"{kind} where a cache file should be")


def read_pair(data_path: Path, meta_path: Path, check_meta) -> tuple[dict, bytes]:
    """The sidecar (checked by ``check_meta``, which raises BadEntry) and the parquet bytes it describes (its
    ``parquet_sha256``); BadEntry when either is missing, unreadable or does not match."""
    try:
        meta = json.loads(meta_path.read_bytes())
    except FileNotFoundError:
        raise BadEntry("sidecar missing") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadEntry(f"sidecar is not valid JSON ({exc.__class__.__name__})") from None
    check_meta(meta)
    try:
        data = data_path.read_bytes()
    except FileNotFoundError:
        raise BadEntry("parquet missing") from None
    if hashlib.sha256(data).hexdigest() != meta["parquet_sha256"]:
        raise BadEntry(f"parquet bytes ({len(data)}) do not match the sidecar's sha256 (truncated or corrupt)")
    return meta, data


def write_pair(data_path: Path, meta_path: Path, data: bytes, meta: bytes, older: str) -> None:
    """Write the pair; remove the other files named ``older.*`` (entries never read again). Call under the lock."""
    # each file whole or not at all (a reader holding the old one keeps its bytes): base.files.atomic_write
    atomic_write(data_path, lambda tmp: tmp.write_bytes(data))
    atomic_write(meta_path, lambda tmp: tmp.write_bytes(meta))
    for old in data_path.parent.glob(f"{older}.*"):
        if old not in (data_path, meta_path) and not old.name.endswith(".tmp"):
            with contextlib.suppress(FileNotFoundError):
                remove_cache_path(old)


def discard(data_path: Path, meta_path: Path, why: str) -> None:
    """Report the pair (one CacheWarning naming the file and why) and remove both paths, whatever stands there."""
    kinds = [f"{path.name} is {kind}, not a file" for path in (data_path, meta_path) if (kind := wrong_kind(path))]
    cache_notice(data_path, "; ".join(kinds) if kinds else why)
    for path in (data_path, meta_path):
        with contextlib.suppress(FileNotFoundError):
            remove_cache_path(path)
