"""A newcomer's first ``./run refresh`` on a machine that reaches no service, and why a second one must not replace
live numbers. The network is blocked for the command by pointing its proxy at a closed local port (every request
fails at once, as without a network); sources, caches and outputs stay in temporary folders.
"""

from __future__ import annotations

import json
import shutil

import pytest
import requests

from helpers.base import config
from helpers.base.errors import ConfigError
from helpers.pipeline import data_origin
from helpers.pipeline.manifest import MANIFEST, live_refresh
from helpers.sources import snapshot
from tests.hostile_harness import REPO, Shared, tree_snapshot

# Every request through requests (the probe and the clients) goes to this proxy, where nothing listens.
NO_NETWORK = {"SOTE_MIRROR": None, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
              "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9", "NO_PROXY": None, "no_proxy": None}
REAL_SEND = requests.adapters.HTTPAdapter.send  # before the suite's per-test guard replaces it
ONE_RUN = ["--only", "aluerajat_hyvinvointialue_2025", "--workers", "1", "--timeout", "240"]
PAGE = "aluerajat/hyvinvointialue_2025.html"


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    root = tmp_path_factory.mktemp("first_run")
    return Shared(cache=root / "cache", geodata=root / "geodata", mirror=REPO / "snapshot")


def _recorded_months() -> dict[str, tuple[str, str]]:
    """The months SNAPSHOT.json gives per service, read here independently of the package."""
    data = json.loads((REPO / "snapshot" / "SNAPSHOT.json").read_text(encoding="utf-8"))
    fmt = lambda t: f"{int(t[5:7])}/{t[:4]}"  # noqa: E731
    return {s["folder"]: (fmt(s["from"]), fmt(s["to"])) for s in data["services"]}


def test_first_run_without_network_builds_from_the_snapshot_and_then_keeps_live_numbers(case):
    res = case.run_cli(*ONE_RUN, env=NO_NETWORK)
    case.assert_clean(res, code=0, mentions=["none of the services", "building from the recorded answers in snapshot/", "not live"])
    first_line = res.err.strip().splitlines()[0]
    assert first_line.startswith("refresh: none of the services") and "Sotkanet 9/2025–6/2026" in first_line
    manifest = case.manifest()
    assert manifest["mode"] == "snapshot" and manifest["data_origin"]["kind"] == "snapshot"
    assert manifest["runs"]["aluerajat_hyvinvointialue_2025"]["last_success"]["mode"] == "snapshot"
    months = _recorded_months()
    for lang, folder in (("fi", ""), ("sv", "sv/"), ("en", "en/")):
        page = (case.outputs / "site" / f"{folder}{PAGE}").read_text(encoding="utf-8")
        banner = page.split('<p class="tallenne" role="note"><strong>', 1)[1].split("</p>", 1)[0]
        assert all(f"{a}–{b}" in banner for a, b in months.values()), (lang, banner)
        assert {"fi": "ei suora haku", "sv": "inte direkt hämtning", "en": "not live"}[lang] in banner

    # The same outputs after a live refresh (simulated: the manifest records its runs as read live) are kept.
    for entry in manifest["runs"].values():
        entry["last_success"]["mode"] = "live"
    manifest["mode"] = "live"
    (case.outputs / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    before = tree_snapshot(case.outputs)
    res = case.run_cli(*ONE_RUN, "--force", env=NO_NETWORK)
    assert res.code == 2, res.text[-3000:]
    assert "refreshed live" in res.err and "not replaced by the older recorded answers" in res.err
    assert len(res.err.strip().splitlines()) == 1 and "Traceback" not in res.text
    assert tree_snapshot(case.outputs) == before


def test_live_only_never_falls_back(case):
    res = case.run_cli(*ONE_RUN, "--live-only", env=NO_NETWORK)
    case.assert_clean(res, code=2, mentions=["--live-only was given: nothing was run"])
    assert not case.outputs.exists()
    res = case.run_cli(*ONE_RUN, "--live-only", "--mirror", str(REPO / "snapshot"), env=NO_NETWORK)
    case.assert_clean(res, code=2, mentions=["--live-only with --mirror"])


# --------------------------------------------------------------------------- the decision itself


def test_choose_reads_live_when_a_service_answers(tmp_path, monkeypatch):
    monkeypatch.delenv(config.MIRROR_ENV, raising=False)
    assert data_origin.choose(tmp_path, probe=lambda: True) is None
    assert config.mirror_dir() is None


def test_choose_switches_to_the_snapshot_only_over_outputs_without_live_numbers(tmp_path, monkeypatch):
    monkeypatch.delenv(config.MIRROR_ENV, raising=False)
    line = data_origin.choose(tmp_path, probe=lambda: False)
    assert config.mirror_dir() == snapshot.snapshot_dir() and "snapshot/" in line
    monkeypatch.delenv(config.MIRROR_ENV, raising=False)
    (tmp_path / MANIFEST).write_text(json.dumps({"mode": "snapshot", "runs": {"a": {"last_success": {
        "started_at": "2026-12-01T04:17:00+00:00", "mode": "live", "outputs": [], "sha256": {}, "inputs": []}}}}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"refreshed live \(2026-12-01T04:17:00\+00:00\)"):
        data_origin.choose(tmp_path, probe=lambda: False)
    assert config.mirror_dir() is None


def test_a_live_manifest_from_before_runs_recorded_their_mode_counts_as_live():
    old = {"mode": "live", "runs": {"a": {"last_success": {"started_at": "2026-11-30T04:17:00+00:00"}}, "b": {"last_success": None}}}
    assert live_refresh(old) == "2026-11-30T04:17:00+00:00"
    assert live_refresh({"mode": "mirror", "runs": {"a": {"last_success": {"started_at": "x"}}}}) is None
    assert live_refresh({"runs": {}}) is None


def test_probe_fails_fast_through_a_closed_proxy(monkeypatch):
    # the suite's guard refuses every send: restore the real adapter for this probe, which only meets the closed port
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", REAL_SEND)
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert snapshot.services_reachable() is False


def test_snapshot_dates_are_shown_as_recorded_and_a_broken_dates_file_is_named(tmp_path, monkeypatch):
    months = _recorded_months()
    origin = snapshot.origin(snapshot.snapshot_dir())
    assert origin["dates"]["en"] == "; ".join(f"{n} {a}–{b}" for n, (a, b) in zip(
        ["Statistics Finland, boundaries", "Statistics Finland, StatFin and population", "THL, Sotkanet"], months.values()))
    other = snapshot.origin(tmp_path)
    assert other["kind"] == "mirror" and tmp_path.name in other["text"]["fi"]
    copy = tmp_path / "snapshot"
    copy.mkdir()
    shutil.copy(REPO / "snapshot" / "SNAPSHOT.json", copy / "SNAPSHOT.json")
    (copy / "SNAPSHOT.json").write_text("{", encoding="utf-8")
    monkeypatch.setattr(snapshot, "SNAPSHOT_DIR", copy)
    snapshot._dates.cache_clear()
    try:
        with pytest.raises(ConfigError, match="dates of the recorded answers cannot be read"):
            snapshot.dates_text("fi")
    finally:
        snapshot._dates.cache_clear()


def test_jupyterlab_without_network_reads_the_snapshot(capsys):
    """``./run lab`` asks the same question: no service in reach -> the recorded answers, said in one line."""
    assert data_origin.lab_folder(probe=lambda: True) == ""
    assert data_origin.lab_folder(probe=lambda: False) == str(snapshot.snapshot_dir())
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "snapshot/" in err and "not live" in err
    assert "data_origin lab" in (REPO / "run").read_text(encoding="utf-8")
