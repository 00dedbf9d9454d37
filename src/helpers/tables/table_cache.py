"""Derived tables kept on disk while the answers they were built from stay the same.

A region profile needs fourteen indicator tables for the whole country; built from their answers they cost 1-3 s
(parsing, aggregation, pandera validation; measured), and every one of the 23 profile runs of a refresh built the
same ones. An entry under ``cache/tables/`` holds the table (parquet), its ``attrs`` and the requests it was built
from with the sha256 of each answer. Reading an entry asks for each of those requests again (HTTP cache or mirror,
so each is recorded as an input of the run exactly as when building) and uses the table only when every answer has
the same sha256; the package's code and data files are part of the key. A broken entry is discarded with a
:class:`~helpers.base.errors.CacheWarning` and the table is built again; a cache folder that cannot be written only
costs the time.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
from collections import OrderedDict
from pathlib import Path
from typing import Callable

import pandas as pd

from helpers.base import config
from helpers.sources.cache_entries import BadEntry, discard, entry_lock, write_pair
from helpers.sources.fetch import fetch, recording_fetches

CACHE_VERSION = 1


def _folder() -> Path:
    return config.cache_dir() / "tables"


def digest(value) -> str:
    """A short sha256 of a JSON-able value: what names an entry (and stands for a large value in a key)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()[:24]


def _entry_name(kind: str, key: dict) -> tuple[str, str]:
    """(the table's stem: kind and arguments, the entry's name: stem and code version)."""
    from helpers.base.hashing import code_version

    stem = f"{kind}.{digest([CACHE_VERSION, kind, key])}"
    return stem, f"{stem}.{digest(code_version())}"


def _read(name: str, suffix: str = ".parquet") -> tuple[bytes, dict] | None:
    """An entry's data bytes and sidecar when both are there and agree (sha256); a broken entry raises BadEntry."""
    data_path, meta_path = _folder() / f"{name}{suffix}", _folder() / f"{name}.json"
    if not data_path.exists() and not meta_path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_bytes())
        data = data_path.read_bytes()
    except FileNotFoundError:
        raise BadEntry("half an entry (data or sidecar missing)") from None
    except (ValueError, UnicodeDecodeError):
        raise BadEntry("sidecar is not valid JSON") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("calls"), list) or not isinstance(meta.get("attrs"), dict):
        raise BadEntry("sidecar fields missing or of the wrong type")
    if hashlib.sha256(data).hexdigest() != meta.get("parquet_sha256"):
        raise BadEntry(f"data bytes ({len(data)}) do not match the sidecar's sha256 (truncated or corrupt)")
    return data, meta


def _read_table(name: str) -> tuple[pd.DataFrame, dict] | None:
    data_path, meta_path = _folder() / f"{name}.parquet", _folder() / f"{name}.json"
    try:
        entry = _read(name)
        if entry is None:
            return None
        data, meta = entry
        try:
            df = pd.read_parquet(io.BytesIO(data))
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for broken files
            raise BadEntry(f"parquet unreadable ({exc.__class__.__name__})") from None
        if len(df) != meta.get("rows"):
            raise BadEntry(f"parquet has {len(df)} rows, the sidecar says {meta.get('rows')}")
    except (BadEntry, OSError) as exc:
        discard(data_path, meta_path, str(exc))
        return None
    return df, meta


def _answers_unchanged(calls: list) -> list[dict] | None:
    """Ask every recorded request again; their fresh provenance records if each answer is the same, else None."""
    fresh = []
    for entry in calls:
        try:
            call = entry["call"]
            got = fetch(call["source"], call["url"], method=call["method"], params=call["params"], json_body=call["json_body"])
        except (KeyError, TypeError):
            return None
        if got.provenance["sha256"] != entry.get("sha256"):
            return None
        fresh.append(got.provenance)
    return fresh


def _same_request(a: dict, b: dict) -> bool:
    return all(a.get(k) == b.get(k) for k in ("source", "method", "url", "body"))


# In a refresh run a table read once is kept in memory (its answers are still asked again, so they are recorded as
# inputs and as what a table built from it was built from): a region profile read the same tables eight times.
_RUN_TABLES: OrderedDict = OrderedDict()
_RUN_TABLES_OF: list = [None]  # the run they were read in (config.run_identity)
_RUN_TABLES_MAX = 32


def _keep_for_run(name: str, df: pd.DataFrame, meta: dict) -> None:
    kept = df.copy()
    kept.attrs = {}
    _RUN_TABLES[name] = (kept, copy.deepcopy(meta))
    while len(_RUN_TABLES) > _RUN_TABLES_MAX:
        _RUN_TABLES.popitem(last=False)


def cached_table(kind: str, key: dict, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """``build()``'s table, from ``cache/tables/`` when it was built from the answers the sources give now.

    ``key`` names the table (JSON-able arguments); ``attrs`` must be JSON-able too (provenance records, counts).
    """
    stem, name = _entry_name(kind, key)
    entry = None
    run = config.run_identity()
    if _RUN_TABLES_OF[0] != run:  # another run's tables (a process that outlives runs)
        _RUN_TABLES.clear()
        _RUN_TABLES_OF[0] = run
    if run is not None and name in _RUN_TABLES:
        _RUN_TABLES.move_to_end(name)
        kept, meta = _RUN_TABLES[name]
        entry = kept.copy(), copy.deepcopy(meta)  # read earlier in this run; its answers are asked again below
    else:
        try:
            with entry_lock(_folder(), stem):  # two workers: one writes an entry's two files while the other would read them
                entry = _read_table(name)
        except OSError:
            entry = None  # a cache folder that cannot be written: built every time
        if entry is not None and run is not None:
            _keep_for_run(name, *entry)
    if entry is not None:
        df, meta = entry
        fresh = _answers_unchanged(meta["calls"])
        if fresh is not None:
            attrs = meta["attrs"]
            # the provenance of the answers as fetched now (time of the cached or mirrored answer)
            attrs["provenance"] = [next((f for f in fresh if _same_request(f, p)), p) for p in attrs.get("provenance", [])]
            df.attrs = attrs
            return df
    with recording_fetches() as calls:
        df = build()
    try:
        attrs_json = json.dumps(df.attrs, ensure_ascii=False)
        calls_json = json.loads(json.dumps(calls))
    except (TypeError, ValueError):
        return df  # not storable as JSON: built every time
    try:
        buffer = io.BytesIO()
        df.attrs, saved = {}, df.attrs
        try:
            df.to_parquet(buffer, index=False)
        finally:
            df.attrs = saved
        data = buffer.getvalue()
        meta = {"cache_version": CACHE_VERSION, "kind": kind, "key": key, "rows": len(df), "calls": calls_json,
                "attrs": json.loads(attrs_json), "parquet_sha256": hashlib.sha256(data).hexdigest()}
        with entry_lock(_folder(), stem):  # the same table built by other code is never read again
            write_pair(_folder() / f"{name}.parquet", _folder() / f"{name}.json", data,
                       json.dumps(meta, ensure_ascii=False).encode("utf-8"), older=stem)
    except OSError:
        return df  # a read-only cache folder: the table is still right, only not kept
    if run is not None:
        _keep_for_run(name, df, meta)
    return df


def cached_json(kind: str, key: dict, build: Callable[[], dict]) -> dict:
    """``build()``'s JSON-able value, from ``cache/tables/`` when it was built from the answers the sources give now:
    the same rules as :func:`cached_table` (for what the site step derives, such as the model builder's data)."""
    stem, name = _entry_name(kind, key)
    entry = None
    try:
        with entry_lock(_folder(), stem):
            try:
                entry = _read(name, ".value.json")
                if entry is not None:
                    value = json.loads(entry[0])
            except (BadEntry, OSError, ValueError, UnicodeDecodeError) as exc:
                discard(_folder() / f"{name}.value.json", _folder() / f"{name}.json", str(exc))
                entry = None
    except OSError:
        entry = None
    if entry is not None and _answers_unchanged(entry[1]["calls"]) is not None:
        return value
    with recording_fetches() as calls:
        built = build()
    try:
        data = json.dumps(built, ensure_ascii=False).encode("utf-8")
        value = json.loads(data)  # what a read gives (lists for tuples), also the first time
    except (TypeError, ValueError):
        return built  # not storable as JSON: built every time
    try:
        meta = {"cache_version": CACHE_VERSION, "kind": kind, "key": key, "calls": json.loads(json.dumps(calls)), "attrs": {},
                "parquet_sha256": hashlib.sha256(data).hexdigest()}
        with entry_lock(_folder(), stem):
            write_pair(_folder() / f"{name}.value.json", _folder() / f"{name}.json", data,
                       json.dumps(meta, ensure_ascii=False).encode("utf-8"), older=stem)
    except OSError:
        pass  # a read-only cache folder: the value is still right, only not kept
    return value
