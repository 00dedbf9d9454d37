"""Project paths and the settings read from the environment.

One setting switches every data source to an offline mirror: the environment variable
``SOTE_MIRROR`` (or ``--mirror`` on the command line, which sets it) names a folder laid out like
``../shared/mirror`` (one sub-folder per service, each with an ``INDEX.json``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

KERNEL_NAME = "sote-jarjestokartat"
KERNEL_DISPLAY_NAME = "Python (sote-järjestökartat)"

MIRROR_ENV = "SOTE_MIRROR"
CACHE_ENV = "SOTE_CACHE_DIR"
GEODATA_ENV = "SOTE_GEODATA_DIR"
OUTPUTS_ENV = "SOTE_OUTPUTS_DIR"
RUN_NAME_ENV = "SOTE_RUN_NAME"  # set by the refresh in the kernel of each run
SCRATCH_ENV = "SOTE_SCRATCH"  # set by notebook.setup() in a kernel outside a refresh: it writes to outputs/scratch/
SCRATCH_DIR = "scratch"
KERNEL_SERVER_ENV = "SOTE_KERNEL_SERVER"  # the refresh's kernel server, for its workers (helpers.pipeline.warm_kernels)

# The package is installed editable from src/, so the project root is two levels above this file.
PROJECT_ROOT = Path(os.environ.get("SOTE_PROJECT_ROOT") or Path(__file__).resolve().parents[3])
DATA_DIR = PROJECT_ROOT / "data"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
# Static files the package ships (site script and stylesheet, the pages' partial plotly.js build that the PNG export
# uses too): only the trace types the pages draw, ~1.2 MB instead of 4.8 MB; without it the full copy plotly.py carries.
PACKAGE_ASSETS_DIR = Path(__file__).resolve().parents[1] / "assets"
PARTIAL_PLOTLY = "plotly-sote.min.js"


def _dir_from_env(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default


def cache_dir() -> Path:
    """Raw HTTP responses and their provenance records (not committed)."""
    return _dir_from_env(CACHE_ENV, DATA_DIR / "cache")


def geodata_dir() -> Path:
    """Processed, validated boundary layers (not committed)."""
    return _dir_from_env(GEODATA_ENV, PROJECT_ROOT / "geodata")


def outputs_root() -> Path:
    """The folder the refresh publishes into (``SOTE_OUTPUTS_DIR``, default ``outputs/``; in a refresh run, the run's
    staging folder)."""
    return _dir_from_env(OUTPUTS_ENV, PROJECT_ROOT / "outputs")


def outputs_dir() -> Path:
    """Where this process writes what it makes: ``outputs_root()``, or its ``scratch/`` folder in a notebook run by
    hand (``notebook.setup`` outside a refresh run), so that a trial never lands in the published site."""
    root = outputs_root()
    return root / SCRATCH_DIR if in_scratch() else root


def in_scratch() -> bool:
    """True in a notebook kernel outside a refresh run (``notebook.setup`` marked it); a refresh run never is."""
    return bool(os.environ.get(SCRATCH_ENV)) and not in_refresh_run()


def mirror_dir() -> Path | None:
    """The offline mirror folder, or None when sources are read live."""
    value = os.environ.get(MIRROR_ENV, "").strip()
    if not value:
        return None
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        raise FileNotFoundError(f"{MIRROR_ENV}={value!r}: no such folder (expected a folder laid out like ../shared/mirror)")
    return path


def set_mirror(path: str | os.PathLike | None) -> None:
    """Point every source at a mirror folder (None: back to the live services)."""
    if path is None:
        os.environ.pop(MIRROR_ENV, None)
    else:
        os.environ[MIRROR_ENV] = str(Path(path).expanduser().resolve())
        mirror_dir()  # fail now if it does not exist


def run_identity() -> tuple[str, str] | None:
    """Which refresh run this process is in (its name and its own staging folder, new for every run), None outside
    one. A worker process that outlives a refresh (Dask) is in a run only while it executes one: what is remembered
    for a run is keyed by this."""
    name = os.environ.get(RUN_NAME_ENV)
    return (name, os.environ.get(OUTPUTS_ENV, "")) if name else None


def in_refresh_run() -> bool:
    """True in the kernel of a refresh run. A run's inputs stay put while it runs (the refresh fetched them moments
    ago), so answers and layers asked for again are served from memory; an interactive session re-reads each time."""
    return bool(os.environ.get(RUN_NAME_ENV))


def skip_iri_grammars() -> None:
    """plotly's renderers and papermill import nbformat, whose validator imports jsonschema, which compiles 38 lark
    grammars for its optional IRI format check at import: 2 s in every kernel and refresh worker (measured), for a
    check no notebook schema uses (IRI formats exist from draft 7; nbformat validates with draft 4). jsonschema
    skips that check when the import fails. Called in notebooks and in the refresh's own processes only."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)
