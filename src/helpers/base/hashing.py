"""sha256 of files and of the project's code: what every cache, skip decision and stamp is keyed by."""

from __future__ import annotations

import hashlib
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


def code_fingerprint(root: Path | None = None) -> str:
    root = Path(root or config.PROJECT_ROOT)
    h = hashlib.sha256()
    for folder, pattern in CODE_GLOBS:
        for path in sorted((root / folder).rglob(pattern)):
            if "cache" in path.relative_to(root).parts:
                continue
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
    for folder, pattern in CODE_GLOBS:
        for path in sorted((root / folder).rglob(pattern)):
            if "cache" not in path.relative_to(root).parts:
                st = path.stat()
                stamp.append((str(path), st.st_mtime_ns, st.st_size))
    return _fingerprint_of(str(root), tuple(stamp))


@lru_cache(maxsize=4)
def _fingerprint_of(root: str, stamp: tuple) -> str:
    return code_fingerprint(Path(root))
