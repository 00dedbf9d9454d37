"""Test set-up: every source reads the recorded answers in snapshot/, caches go to a temporary folder,
and any attempt at real HTTP fails the test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

FIXTURE_MIRROR = Path(__file__).resolve().parents[1] / "snapshot"  # the recorded answers the project ships
ORACLE = FIXTURE_MIRROR / "geo"


@pytest.fixture(scope="session", autouse=True)
def offline_environment(tmp_path_factory):
    work = tmp_path_factory.mktemp("sote")
    saved = {k: os.environ.get(k) for k in ("SOTE_MIRROR", "SOTE_CACHE_DIR", "SOTE_GEODATA_DIR", "SOTE_OUTPUTS_DIR")}
    os.environ["SOTE_MIRROR"] = str(FIXTURE_MIRROR)
    os.environ["SOTE_CACHE_DIR"] = str(work / "cache")
    os.environ["SOTE_GEODATA_DIR"] = str(work / "geodata")
    os.environ["SOTE_OUTPUTS_DIR"] = str(work / "outputs")
    yield work
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(autouse=True)
def no_real_http(monkeypatch):
    """pytest-socket blocks sockets to other hosts; this makes a real HTTP send fail loudly as well."""

    def refuse(self, request, **kwargs):
        raise AssertionError(f"test tried the network: {request.method} {request.url}")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", refuse)


@pytest.fixture
def live_mode(monkeypatch, tmp_path):
    """Sources read 'live' (mirror off) with a fresh cache; tests patch HTTPAdapter.send to fake the service."""
    monkeypatch.delenv("SOTE_MIRROR", raising=False)
    monkeypatch.setenv("SOTE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SOTE_GEODATA_DIR", str(tmp_path / "geodata"))
    return tmp_path


@pytest.fixture(scope="session")
def refreshed(offline_environment):
    """The whole refresh (every run of runs.yaml) over the fixture mirror, once per session: the site under test."""
    from helpers.pipeline.job import refresh, summary

    outputs = offline_environment / "refreshed"
    report = refresh(outputs=outputs, workers=max(2, os.cpu_count() or 1), timeout=300, progress=False)
    assert not report.failures, summary(report)
    return outputs


@pytest.fixture
def mirror_copy(tmp_path, monkeypatch):
    """A private copy of the fixture mirror that a test may edit (never the fixture files), read by every source."""
    import shutil

    dest = tmp_path / "mirror"
    shutil.copytree(FIXTURE_MIRROR, dest)
    monkeypatch.setenv("SOTE_MIRROR", str(dest))
    return dest


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic"]


@pytest.fixture(scope="module")
def chromium_browser():
    """Debian's chromium driven by Playwright (no browser download); skipped without it, except under CI."""
    from helpers.figures.export import chromium_path

    exe = chromium_path()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs Debian's chromium for the browser tests (./run tests installs it as root)")
        pytest.skip("no chromium: install Debian's 'chromium' package to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def case(tmp_path, shared):
    """One hostile CLI case (tests/hostile_harness.py); the module defines ``shared`` (its warm caches and mirror)."""
    from tests.hostile_harness import HostileCase

    c = HostileCase(tmp_path, shared)
    yield c
    c.release()
    c.leftover_processes(0)
