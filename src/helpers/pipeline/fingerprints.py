"""What decides whether a run is skipped: the run's fingerprint (notebook, parameters, code, mode), the inputs it
read (from its provenance log) re-checked by sha256, and the sha256 of its published outputs (memoised per refresh)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from helpers.base import config
from helpers.base.errors import UnsafePath
from helpers.base.hashing import file_sha, sha256_hex as _sha
from helpers.pipeline.preflight import check_relative
from helpers.pipeline.runs import Run


class ShaMemo:
    """sha256 of output files, each hashed at most once per refresh: an entry is reused while the file's size,
    modification time and inode are those it was hashed (or published) with."""

    def __init__(self):
        self._known: dict[str, tuple[tuple, str]] = {}

    @staticmethod
    def _stat_key(path: Path):
        try:
            st = os.lstat(path)
        except OSError:
            return None
        return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_mode)

    def remember(self, path: Path, sha: str) -> None:
        key = self._stat_key(path)
        if key is not None:
            self._known[str(path)] = (key, sha)

    def sha(self, path: Path) -> str | None:
        key = self._stat_key(path)
        if key is None:
            return None
        hit = self._known.get(str(path))
        if hit is not None and hit[0] == key:
            return hit[1]
        sha = file_sha(path)
        if sha is not None:
            self._known[str(path)] = (key, sha)
        return sha


def run_fingerprint(run: Run, code_fp: str, notebook_bytes: bytes | None = None) -> str:
    """Notebook bytes, parameters, code and data files, and which mode (live or mirror) the sources are read in."""
    mode = f"mirror:{config.mirror_dir()}" if config.mirror_dir() else "live"
    data = run.notebook.read_bytes() if notebook_bytes is None else notebook_bytes
    parts = [_sha(data), json.dumps(run.parameters, sort_keys=True, ensure_ascii=False), code_fp, mode]
    return _sha("\n".join(parts).encode())


def inputs_from_log(log: Path) -> list[dict]:
    """Unique inputs of a run (last record per request), the fields the manifest keeps."""
    from helpers.sources.fetch import request_key  # the key record_input writes by (imported here: requests is heavy)

    found: dict[str, dict] = {}
    if log.is_file():
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip():
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue  # a torn last line of a killed run
                if not isinstance(rec, dict):
                    continue
                found[request_key(rec)] = {k: rec.get(k) for k in ("source", "method", "url", "body", "fetched_at", "sha256", "origin", "licence")}
    return sorted(found.values(), key=lambda r: (str(r["source"] or ""), str(r["url"] or "")))


class InputChecker:
    """Re-reads each recorded input through the cache or mirror (memoised per refresh) and compares sha256."""

    def __init__(self):
        self._seen: dict[str, str | None] = {}

    def current_sha(self, rec: dict) -> str | None:
        from helpers.sources.fetch import fetch, request_key

        key = request_key(rec)
        if key not in self._seen:
            try:
                self._seen[key] = fetch(rec["source"], rec["url"], method=rec.get("method") or "GET", json_body=rec.get("body")).provenance["sha256"]
            except Exception:  # noqa: BLE001 - an input that cannot be read now counts as changed; the run reports why
                self._seen[key] = None
        return self._seen[key]

    def unchanged(self, inputs: list[dict]) -> bool:
        return all(self.current_sha(rec) == rec.get("sha256") for rec in inputs)


def skip_ok(last_ok: dict, fp: str, outputs: Path, checker: InputChecker, shas: ShaMemo) -> bool:
    """Can the run be skipped: the same fingerprint as its last success, every output it published still on disk
    with the recorded sha256, and its inputs unchanged."""
    recorded = last_ok.get("sha256") or {}
    listed = last_ok.get("outputs") or []
    if last_ok.get("fingerprint") != fp or not listed:
        return False
    # An output changed or deleted by hand (or by anyone) no longer matches what the run published: run again.
    real = os.path.realpath(outputs)
    for rel in listed:
        try:
            path = check_relative(rel, outputs, real_root=real)
        except UnsafePath:
            return False
        if recorded.get(rel) is None or shas.sha(path) != recorded.get(rel):
            return False
    return checker.unchanged(last_ok.get("inputs", []))

