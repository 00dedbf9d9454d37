"""Writing files so that no reader ever sees half of one, and OSErrors that name the file they are about."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def hidden_prefix(path: Path) -> str:
    """The name prefix of the temporary files written beside ``path`` (dot files: no run publishes them)."""
    return f".{Path(path).name[:200]}."


def _about(name, path: Path) -> bool:
    named = Path(os.fsdecode(name))
    return named == path or (named.parent == path.parent and named.name.startswith(hidden_prefix(path)))


def naming(exc: OSError, path) -> OSError:
    """``exc`` naming ``path`` when it names no file (a write that fills the disk), a temporary file beside ``path``,
    or ``path`` only as the second file (a copy onto it); an error about another file (a parent folder that is a file)
    is returned as it is. The same kind of error (errno: PermissionError, …) either way."""
    path = Path(path)
    if exc.filename is not None and not _about(exc.filename, path) and not (
            exc.filename2 is not None and _about(exc.filename2, path)):
        return exc
    if exc.errno is not None:
        return OSError(exc.errno, exc.strerror or str(exc), str(path))
    renamed = OSError(str(exc))
    renamed.filename = str(path)
    return renamed


def atomic_write(path: Path, fill: Callable[[Path], object], *, check: Callable[[], object] | None = None) -> None:
    """``fill`` a temporary file beside ``path`` and rename it over ``path``, so no reader sees half a file (a reader
    holding the old one keeps its bytes; the new file has its own inode); an OSError names ``path`` (or the folder
    that stopped it). ``check`` runs once the folder exists, before anything is written."""
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if check is not None:
            check()
        fd, tmp = tempfile.mkstemp(prefix=hidden_prefix(path), suffix=".tmp", dir=path.parent)
        os.close(fd)
        fill(Path(tmp))
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; pages must be readable by a web server
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        named = naming(exc, path)
        if named is exc:
            raise
        raise named from exc
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) through ``atomic_write``."""
    def fill(tmp: Path) -> None:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_TRUNC), "w", encoding="utf-8") as fh:
            fh.write(text)

    atomic_write(path, fill)
