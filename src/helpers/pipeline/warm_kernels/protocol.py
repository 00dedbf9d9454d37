"""What both sides of the kernel server agree on: the settings a server is keyed by (:func:`_server_key`; a server
started under other ones is not used), the variable that turns the forked kernels off, and the size limit of a kernel
request on the socket."""

from __future__ import annotations

import os
import sys

WARM_ENV = "SOTE_WARM_KERNELS"
# Settings read when modules are imported: a server started under other values is not used.
IMPORT_ENV = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "SOTE_PROJECT_ROOT", "PLOTLY_RENDERER")
MAX_MESSAGE = 1 << 20


def enabled() -> bool:
    return os.environ.get(WARM_ENV, "1").strip().lower() not in {"0", "false", "no", "off"}


def _server_key(env: dict, options: list[str]) -> tuple:
    # A server that imported other code, packages or start-up settings than this kernel would get is not used.
    return (sys.executable, tuple(options), _startup_env(env), _installed_state())


def _key_difference(theirs: list, own: list) -> str:
    """What differs between two server keys (JSON form of :func:`_server_key`), in words."""
    try:
        parts = []
        if theirs[0] != own[0] or theirs[1] != own[1]:
            parts.append("interpreter or interpreter options")
        if theirs[2] != own[2]:
            a, b = dict(map(tuple, theirs[2])), dict(map(tuple, own[2]))
            parts.append("start-up settings (" + ", ".join(sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))) + ")")
        if theirs[3] != own[3]:
            parts.append("code or installed packages")
        return "; ".join(parts) or "settings"
    except (TypeError, ValueError, IndexError):
        return "settings"


def _startup_env(env: dict) -> tuple:
    """The settings an interpreter reads when it starts or imports (not per run): the server must share them."""
    names = sorted(k for k in env if k in IMPORT_ENV or k.startswith(("PYTHON", "LC_")) or k == "LANG"
                   or k.endswith("_NUM_THREADS"))
    return tuple((k, env[k]) for k in names)


def _installed_state() -> tuple:
    """What the server imported from: the package's code and data files (the refresh's code fingerprint) and the
    environment's installed packages (its site-packages folder changes when one is installed or removed)."""
    import sysconfig

    from helpers.base.hashing import code_version

    try:
        packages = os.stat(sysconfig.get_paths()["purelib"]).st_mtime_ns
    except OSError:
        packages = None
    return code_version(), packages
