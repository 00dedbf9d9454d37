"""Set-up for the notebooks the suite runs with nbval (pyproject's testpaths and ``--nbval-lax``): each
``notebooks/*.ipynb`` runs cell by cell with its default parameters, offline, in the kernel ``sote-jarjestokartat``.

Here at the root rather than in ``notebooks/`` (JupyterLab's folder, which holds the notebooks only) or in
``tests/conftest.py`` (which applies to tests/ alone): a kernel inherits the environment of the pytest process when
nbval starts it, before the notebook's first cell, and nbval's cells take no fixtures, so the environment is set by
a hook around each notebook cell and put back once the notebooks are done. Every source reads the recorded answers
in ``snapshot/`` (``SOTE_MIRROR``: a request it does not hold is an error, never the network), caches go to a
temporary folder shared by the notebooks of one session, and each notebook writes into a temporary outputs folder of
its own (never the project's ``outputs/`` or ``data/cache/``). HTTP proxies point at a closed local port, so that
anything in a kernel that tried the network anyway fails at once.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SNAPSHOT = ROOT / "snapshot"
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, so a request is refused at once
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
NO_PROXY = ("NO_PROXY", "no_proxy")

_saved: dict[str, str | None] | None = None  # the environment before the first notebook, put back after the last
_work: Path | None = None


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """nbval collects every ``.ipynb`` it meets: not the toy notebooks of tests/fixtures or executed ones in outputs/."""
    if collection_path.suffix == ".ipynb" and any(
        collection_path.is_relative_to(ROOT / folder) for folder in ("tests", "outputs")
    ):
        return True
    return None


def _is_notebook(item: pytest.Item | None) -> bool:
    return item is not None and item.path.suffix == ".ipynb"


def _enter(item: pytest.Item) -> None:
    global _saved, _work
    if _saved is None:
        names = ("SOTE_MIRROR", "SOTE_CACHE_DIR", "SOTE_GEODATA_DIR", "SOTE_OUTPUTS_DIR", "SOTE_RUN_NAME",
                 *PROXIES, *NO_PROXY)
        _saved = {name: os.environ.get(name) for name in names}
        _work = Path(tempfile.mkdtemp(prefix="sote-notebooks-"))
    assert _work is not None
    os.environ["SOTE_MIRROR"] = str(SNAPSHOT)
    os.environ["SOTE_CACHE_DIR"] = str(_work / "cache")
    os.environ["SOTE_GEODATA_DIR"] = str(_work / "geodata")
    os.environ["SOTE_OUTPUTS_DIR"] = str(_work / "outputs" / item.path.stem)
    os.environ.pop("SOTE_RUN_NAME", None)  # a notebook run by hand, never part of a refresh run
    for name in PROXIES:
        os.environ[name] = CLOSED
    for name in NO_PROXY:
        os.environ[name] = "127.0.0.1,localhost,::1"  # the kernel's own channels stay reachable


def _leave() -> None:
    global _saved, _work
    if _saved is None:
        return
    for name, value in _saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    if _work is not None:
        shutil.rmtree(_work, ignore_errors=True)
    _saved = _work = None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before nbval starts the notebook's kernel (in the setup of its first cell)."""
    if _is_notebook(item):
        _enter(item)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After the last cell of a run of notebooks (its kernel stopped): the environment as it was."""
    if _is_notebook(item) and not _is_notebook(nextitem):
        _leave()


def pytest_sessionfinish(session: pytest.Session) -> None:
    _leave()  # a session stopped part-way (-x, Ctrl-C) leaves nothing behind either
