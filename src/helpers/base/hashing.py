"""sha256 of files and of the project's code: what every cache, skip decision and stamp is keyed by."""

from __future__ import annotations

import fnmatch
import hashlib
import os
from functools import lru_cache
from pathlib import Path

from helpers.base import config

# Files whose change invalidates every run's previous result (the code and cited data the notebooks call).
CODE_GLOBS = (("src/helpers", "*.py"), ("src/helpers", "*.j2"), ("src/helpers", "*.js"), ("src/helpers", "*.css"),
              ("data", "*.csv"), ("data", "*.yaml"))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha(path: Path) -> str | None:
    """sha256 of a regular file (symlinks are not followed), None if it is missing or not a plain file."""
    try:
        if path.is_symlink() or not path.is_file():
            return None
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    except OSError:
        return None


def code_files(root: Path | None = None) -> list[Path]:
    """The files ``CODE_GLOBS`` names, in its order and each pattern's files sorted, as ``Path.rglob`` finds them
    (hidden files too, folders behind symbolic links not entered), none under a folder named ``cache``. One walk per
    folder, not one per pattern: every run and every kernel looks at them (5 -> 2 ms a look)."""
    root = Path(root or config.PROJECT_ROOT)
    walked: dict[str, list[Path]] = {}
    found: list[Path] = []
    for folder, pattern in CODE_GLOBS:
        if folder not in walked:
            files = walked[folder] = []
            for dirpath, dirnames, filenames in os.walk(root / folder):
                dirnames[:] = [d for d in dirnames if d != "cache"]
                files.extend(Path(dirpath, name) for name in filenames)
        found.extend(sorted(p for p in walked[folder] if fnmatch.fnmatchcase(p.name, pattern)))
    return found


def code_fingerprint(root: Path | None = None) -> str:
    root = Path(root or config.PROJECT_ROOT)
    h = hashlib.sha256()
    for path in code_files(root):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


_RUN_CODE: dict[tuple, str] = {}


def code_version() -> str:
    """``code_fingerprint()`` of the project, hashed again only when one of its files has another modification time or
    size (a long-lived process asks often: every kernel start, every cached table). Within one refresh run the code
    stays as the run's fingerprint found it: looked at once per run (each look stats every file of the package); a
    worker that outlives the run looks again in the next."""
    root = Path(config.PROJECT_ROOT)
    run = config.run_identity()
    if run is None:
        return _code_version(root)
    key = (str(root), run)
    if key not in _RUN_CODE:
        _RUN_CODE.clear()  # another run's (a worker that outlives runs)
        _RUN_CODE[key] = _code_version(root)
    return _RUN_CODE[key]


def _code_version(root: Path) -> str:
    stamp = []
    for path in code_files(root):
        st = os.stat(path)
        stamp.append((str(path), st.st_mtime_ns, st.st_size))
    return _fingerprint_of(str(root), tuple(stamp))


@lru_cache(maxsize=4)
def _fingerprint_of(root: str, stamp: tuple) -> str:
    return code_fingerprint(Path(root))
