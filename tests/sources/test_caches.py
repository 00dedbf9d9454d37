"""Derived caches never hide their input: every entry is keyed by the sha256 of the raw bytes it came from, a bad
entry is discarded with a CacheWarning and rebuilt, and the recorded input is the answer this process used."""

import hashlib
import io
import json
import os
import re
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import requests
from geopandas.testing import assert_geodataframe_equal

from helpers.geo import layers as geography
from helpers.base.errors import FetchError, ValidationError
from helpers.sources.fetch import CacheWarning, fetch
from helpers.geo.layers import layer_request, load_layer, parse_layer, validate_layer
from helpers.geo.municipality_key import municipality_key

from tests.conftest import FIXTURE_MIRROR

LEVEL, YEAR, LAYER = "hyvinvointialue", 2025, "hyvinvointialue4500k_2025"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A writable copy of the fixture mirror with its own caches and run log (the fixture itself is never edited)."""
    copy = tmp_path / "mirror"
    shutil.copytree(FIXTURE_MIRROR, copy)
    monkeypatch.setenv("SOTE_MIRROR", str(copy))
    monkeypatch.setenv("SOTE_GEODATA_DIR", str(tmp_path / "geodata"))
    monkeypatch.setenv("SOTE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SOTE_PROVENANCE_LOG", str(tmp_path / "run.jsonl"))
    monkeypatch.setattr(geography, "_DECODED", type(geography._DECODED)())  # as a new process: nothing decoded yet
    return copy


def raw_file(mirror_dir):
    return mirror_dir / "geo" / f"{LAYER}.json"


def recorded_inputs(tmp_path) -> dict[str, dict]:
    """Last record per URL in the run's provenance log (what the refresh keeps as the run's inputs)."""
    out = {}
    for line in (tmp_path / "run.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        out[rec["url"]] = rec
    return out


def layer_url() -> str:
    url, params = layer_request(LEVEL, YEAR)
    return fetch("geo", url, params=params).provenance["url"]


def entry_files(tmp_path):
    folder = tmp_path / "geodata"
    return sorted(p.name for p in folder.glob(f"{LAYER}.*"))


def rename_region(path, code: str, name: str) -> bytes:
    data = json.loads(path.read_bytes())
    for feature in data["features"]:
        if feature["properties"]["hyvinvointialue"] == code:
            feature["properties"]["nimi"] = name
    new = json.dumps(data, ensure_ascii=False).encode("utf-8")
    path.write_bytes(new)
    return new


# --------------------------------------------------------------------------- boundary layers


def test_changed_raw_answer_is_rebuilt_and_recorded(mirror, tmp_path):
    before = load_layer(LEVEL, YEAR)
    assert before.set_index("code").loc["01", "name_fi"] == "Itä-Uudenmaan hyvinvointialue"
    new_bytes = rename_region(raw_file(mirror), "01", "Testialueen hyvinvointialue")

    after = load_layer(LEVEL, YEAR)

    assert len(after) == 23
    assert after.set_index("code").loc["01", "name_fi"] == "Testialueen hyvinvointialue"
    assert after.attrs["provenance"]["sha256"] == sha(new_bytes) != before.attrs["provenance"]["sha256"]
    assert recorded_inputs(tmp_path)[layer_url()]["sha256"] == sha(new_bytes)
    # The entry built from the old answer is gone; the one left is named for (and carries) the new sha256.
    assert entry_files(tmp_path) == [f"{LAYER}.v2.{sha(new_bytes)[:16]}.json", f"{LAYER}.v2.{sha(new_bytes)[:16]}.parquet"]
    sidecar = json.loads((tmp_path / "geodata" / entry_files(tmp_path)[0]).read_text(encoding="utf-8"))
    assert sidecar["raw_sha256"] == sha(new_bytes) and sidecar["features"] == 23


def test_municipality_key_notices_a_changed_layer_in_the_same_process(mirror):
    assert set(municipality_key(YEAR).query("hyvinvointialue_code == '01'")["hyvinvointialue_name_fi"]) == {"Itä-Uudenmaan hyvinvointialue"}
    rename_region(raw_file(mirror), "01", "Testialueen hyvinvointialue")
    key = municipality_key(YEAR)
    assert len(key) == 308
    assert set(key.query("hyvinvointialue_code == '01'")["hyvinvointialue_name_fi"]) == {"Testialueen hyvinvointialue"}


def test_a_grouping_layer_notices_a_changed_layer_in_the_same_process(mirror):
    from helpers.geo.groupings import grouping_layer

    before = grouping_layer(LEVEL, YEAR)
    assert before.set_index("code").loc["01", "name_fi"] == "Itä-Uudenmaan hyvinvointialue"
    before.loc[before["code"] == "01", "name_fi"] = "muokattu"  # a caller's edit stays its own
    assert grouping_layer(LEVEL, YEAR).set_index("code").loc["01", "name_fi"] == "Itä-Uudenmaan hyvinvointialue"
    rename_region(raw_file(mirror), "01", "Testialueen hyvinvointialue")
    after = grouping_layer(LEVEL, YEAR)
    assert after.set_index("code").loc["01", "name_fi"] == "Testialueen hyvinvointialue" and len(after) == 23


def test_municipality_key_is_kept_on_disk_and_a_forged_entry_is_rebuilt(mirror, tmp_path, monkeypatch):
    from helpers.geo import municipality_key as mk

    monkeypatch.setattr(mk, "_KEYS", type(mk._KEYS)())  # an earlier test's key of the same answers is not on this disk
    built = municipality_key(YEAR)
    (parquet,) = (tmp_path / "geodata").glob(f"kuntaavain_{YEAR}.*.parquet")
    monkeypatch.setattr(mk, "_KEYS", type(mk._KEYS)())  # as the next run's process

    def no_layers(*args, **kwargs):
        raise AssertionError("the key was built again, not read")

    monkeypatch.setattr(mk, "load_layer", no_layers)
    pd.testing.assert_frame_equal(municipality_key(YEAR), built)
    assert layer_url() in recorded_inputs(tmp_path)  # the answers are still asked (and recorded) to find the entry
    # One municipality moved to another welfare region in the stored key: its bytes no longer match the sidecar.
    forged = built.copy()
    forged.loc[forged["kunta_code"] == "091", "hyvinvointialue_code"] = "01"
    forged.to_parquet(parquet, index=False)
    monkeypatch.setattr(mk, "_KEYS", type(mk._KEYS)())
    monkeypatch.setattr(mk, "load_layer", load_layer)
    with pytest.warns(CacheWarning, match=rf"kuntaavain_{YEAR}\.[0-9a-f]{{16}}\.parquet: parquet bytes"):
        healed = municipality_key(YEAR)
    pd.testing.assert_frame_equal(healed, built)
    assert healed.set_index("kunta_code").loc["091", "hyvinvointialue_code"] == "90"


def test_truncated_raw_answer_is_an_error_never_the_cached_layer(mirror, tmp_path):
    load_layer(LEVEL, YEAR)
    path = raw_file(mirror)
    truncated = path.read_bytes()[: path.stat().st_size // 2]
    path.write_bytes(truncated)
    with pytest.raises(ValidationError, match=rf"^{LAYER}: the answer is not a readable GeoJSON layer"):
        load_layer(LEVEL, YEAR)
    with pytest.raises(ValidationError, match=LAYER):
        load_layer(LEVEL, YEAR, use_cache=False)
    assert recorded_inputs(tmp_path)[layer_url()]["sha256"] == sha(truncated)


def _parquet(tmp_path):
    (path,) = (tmp_path / "geodata").glob(f"{LAYER}.*.parquet")
    return path


def _sidecar(tmp_path):
    (path,) = (tmp_path / "geodata").glob(f"{LAYER}.*.json")
    return path


def fresh_build(mirror_dir) -> gpd.GeoDataFrame:
    return validate_layer(parse_layer(raw_file(mirror_dir).read_bytes(), LEVEL, YEAR), LEVEL, YEAR)


@pytest.mark.parametrize(
    "damage, why",
    [
        (lambda b: b[: len(b) // 2], "parquet bytes ({size}) do not match the sidecar's sha256 (truncated or corrupt)"),
        (lambda b: b[:1000] + b"\x00garbage\xff" * 50 + b[1500:], "parquet bytes ({size}) do not match the sidecar's sha256"),
        (lambda b: b"", "parquet bytes (0) do not match the sidecar's sha256"),
        (None, "parquet missing"),
    ],
    ids=["truncated", "garbled", "empty", "deleted"],
)
def test_damaged_parquet_is_rebuilt_with_a_notice(mirror, tmp_path, damage, why):
    load_layer(LEVEL, YEAR)
    path = _parquet(tmp_path)
    good = path.read_bytes()
    if damage is None:
        path.unlink()
    else:
        path.write_bytes(damage(good))
    geography._DECODED.clear()
    size = path.stat().st_size if path.exists() else 0
    with pytest.warns(CacheWarning, match=re.escape(f"{path.name}: {why.format(size=size)}")):
        healed = load_layer(LEVEL, YEAR)
    assert_geodataframe_equal(healed, fresh_build(mirror))
    assert sha(path.read_bytes()) == json.loads(_sidecar(tmp_path).read_text(encoding="utf-8"))["parquet_sha256"]


def test_parquet_that_matches_a_forged_sidecar_but_is_not_a_layer_is_rebuilt(mirror, tmp_path):
    load_layer(LEVEL, YEAR)
    path, side = _parquet(tmp_path), _sidecar(tmp_path)
    garbage = b"PAR1 not a parquet file PAR1"
    path.write_bytes(garbage)
    meta = json.loads(side.read_text(encoding="utf-8"))
    side.write_text(json.dumps(dict(meta, parquet_sha256=sha(garbage))), encoding="utf-8")
    with pytest.warns(CacheWarning, match=r"parquet unreadable"):
        healed = load_layer(LEVEL, YEAR)
    assert len(healed) == 23 and healed.set_index("code").loc["90", "name_fi"] == "Helsingin kaupunki"


@pytest.mark.parametrize(
    "edit, why",
    [
        (lambda text, meta: text[: len(text) // 2], "sidecar is not valid JSON"),
        (lambda text, meta: "", "sidecar is not valid JSON"),
        (lambda text, meta: json.dumps([1, 2]), "sidecar is not a JSON object"),
        (lambda text, meta: json.dumps({k: v for k, v in meta.items() if k != "parquet_sha256"}), r"sidecar fields \['parquet_sha256'\] missing"),
        (lambda text, meta: json.dumps(dict(meta, features="23")), r"sidecar fields \['features'\] missing or of the wrong type"),
        (lambda text, meta: json.dumps(dict(meta, raw_sha256="0" * 64)), "built from raw sha256 0000000000000000"),
        (lambda text, meta: json.dumps(dict(meta, features=22)), "parquet has 23 features, the sidecar says 22"),
        (None, "sidecar missing"),
    ],
    ids=["truncated", "empty", "not-object", "missing-field", "wrong-type", "other-raw", "wrong-count", "deleted"],
)
def test_broken_sidecar_is_rebuilt_with_a_notice(mirror, tmp_path, edit, why):
    load_layer(LEVEL, YEAR)
    side = _sidecar(tmp_path)
    text = side.read_text(encoding="utf-8")
    if edit is None:
        side.unlink()
    else:
        side.write_text(edit(text, json.loads(text)), encoding="utf-8")
    with pytest.warns(CacheWarning, match=rf"{LAYER}\.v2\.[0-9a-f]{{16}}\.parquet: {why}"):
        healed = load_layer(LEVEL, YEAR)
    assert_geodataframe_equal(healed, fresh_build(mirror))
    meta = json.loads(side.read_text(encoding="utf-8"))
    assert meta["raw_sha256"] == sha(raw_file(mirror).read_bytes()) and meta["features"] == 23


def test_valid_entry_is_used_without_parsing_and_records_the_raw_answer(mirror, tmp_path, monkeypatch, recwarn):
    first = load_layer(LEVEL, YEAR)
    (tmp_path / "run.jsonl").unlink()
    geography._DECODED.clear()
    monkeypatch.setattr(geography, "parse_layer", lambda *a, **k: pytest.fail("parsed again"))
    again = load_layer(LEVEL, YEAR)
    assert_geodataframe_equal(again, first.copy())
    assert not [w for w in recwarn if issubclass(w.category, CacheWarning)]
    assert recorded_inputs(tmp_path)[layer_url()]["sha256"] == sha(raw_file(mirror).read_bytes())


# --------------------------------------------------------------------------- HTTP cache (live mode)


def _answer(body: bytes, request):
    from requests.adapters import HTTPAdapter
    from urllib3.response import HTTPResponse

    raw = HTTPResponse(body=io.BytesIO(body), headers={"Content-Type": "application/json;charset=UTF-8"}, status=200,
                       reason="OK", preload_content=False, request_url=request.url)
    return HTTPAdapter().build_response(request, raw)


@pytest.fixture
def fake_wfs(live_mode, monkeypatch):
    """The WFS answering the layer request with the fixture's GeoJSON; counts the requests that reach it."""
    body = (FIXTURE_MIRROR / "geo" / f"{LAYER}.json").read_bytes()
    calls = []

    def send(self, request, **kwargs):
        assert LAYER in request.url, request.url
        calls.append(request.url)
        return _answer(body, request)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    return {"calls": calls, "body": body, "cache": live_mode / "cache" / "http" / "geo"}


def test_cached_answer_has_the_live_answers_sha256(fake_wfs):
    live = load_layer(LEVEL, YEAR)
    cached = load_layer(LEVEL, YEAR)
    assert len(fake_wfs["calls"]) == 1
    assert live.attrs["provenance"]["origin"] == "live" and cached.attrs["provenance"]["origin"] == "cache"
    assert cached.attrs["provenance"]["sha256"] == live.attrs["provenance"]["sha256"] == sha(fake_wfs["body"])
    assert not list(fake_wfs["cache"].glob("*.sqlite"))  # no shared redirects database to break


def test_only_downloads_are_logged_beside_the_cache_and_every_use_in_the_runs_log(fake_wfs, tmp_path, monkeypatch):
    run_log = tmp_path / "run.jsonl"
    monkeypatch.setenv("SOTE_PROVENANCE_LOG", str(run_log))
    for _ in range(3):
        load_layer(LEVEL, YEAR)
    beside = [json.loads(line) for line in (fake_wfs["cache"].parent.parent / "provenance.jsonl").read_text(encoding="utf-8").splitlines()]
    used = [json.loads(line) for line in run_log.read_text(encoding="utf-8").splitlines()]
    assert [r["origin"] for r in beside] == ["live"]  # one download; the two answers read back from the cache are not
    # the run's inputs: every use that changed the last record of the request (the third read is the second again)
    assert [r["origin"] for r in used] == ["live", "cache"]
    assert {r["sha256"] for r in beside + used} == {sha(fake_wfs["body"])}


def test_the_runs_log_keeps_the_last_record_of_every_request(tmp_path, monkeypatch):
    from helpers.pipeline.fingerprints import inputs_from_log
    from helpers.sources.fetch import record_input

    log = tmp_path / "run.jsonl"
    monkeypatch.setenv("SOTE_PROVENANCE_LOG", str(log))
    a = {"source": "stat", "method": "GET", "url": "https://example.org/a", "body": None, "sha256": "1" * 64, "origin": "cache"}
    b = {**a, "url": "https://example.org/b"}
    a_new = {**a, "sha256": "2" * 64, "origin": "live"}
    for rec in (a, a, b, a, a_new, a, b):
        record_input(rec)
    written = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    # a repeat of the request's last record is left out; a record that differs from it (even an older one) is not
    assert [(r["url"][-1], r["sha256"][0]) for r in written] == [("a", "1"), ("b", "1"), ("a", "2"), ("a", "1")]
    assert {r["url"][-1]: r["sha256"][0] for r in inputs_from_log(log)} == {"a": "1", "b": "1"}
    # the request as the log's reader keys it: a body with its keys in another order is the same request
    log.unlink()
    posted = {**a, "method": "POST", "body": {"query": [1], "response": {"format": "json"}}}
    reordered = {**posted, "body": {"response": {"format": "json"}, "query": [1]}, "sha256": "3" * 64}
    for rec in (posted, reordered, posted):
        record_input(rec)
    assert [json.loads(line)["sha256"][0] for line in log.read_text(encoding="utf-8").splitlines()] == ["1", "3", "1"]
    assert [r["sha256"][0] for r in inputs_from_log(log)] == ["1"]
    # a log another writer appended to (or that was removed) is written to again
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(a_new) + "\n")
    record_input(b)
    log.unlink()
    record_input(b)
    assert [json.loads(line)["url"] for line in log.read_text(encoding="utf-8").splitlines()] == [b["url"]]
    assert len(log.read_text(encoding="utf-8").splitlines()) == 1


@pytest.mark.parametrize(
    "damage, why",
    [
        (lambda text: text[: len(text) // 2], "not a cached response"),
        (lambda text: "\x00garbage", "not a cached response"),
        (lambda text: "{}", r"wrong fields \(status 0\)"),
        (lambda text: json.dumps(dict(json.loads(text), status_code="x")), "unreadable"),
    ],
    ids=["truncated", "garbage", "empty-object", "wrong-type"],
)
def test_corrupt_http_cache_entry_is_refetched_with_a_notice(fake_wfs, damage, why):
    load_layer(LEVEL, YEAR)
    (entry,) = fake_wfs["cache"].glob("*.json")
    entry.write_text(damage(entry.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.warns(CacheWarning, match=rf"{entry.name}: HTTP cache entry {why}"):
        healed = load_layer(LEVEL, YEAR)
    assert len(fake_wfs["calls"]) == 2
    assert healed.attrs["provenance"]["origin"] == "live" and healed.attrs["provenance"]["sha256"] == sha(fake_wfs["body"])
    assert len(healed) == 23
    again = load_layer(LEVEL, YEAR)  # the refetched answer was cached again
    assert again.attrs["provenance"]["origin"] == "cache" and len(fake_wfs["calls"]) == 2


# --------------------------------------------------------------------------- results derived from several answers


def test_model_metrics_notice_a_changed_population_answer_in_the_same_process(mirror):
    from helpers.models.metrics import unit_metrics

    before = unit_metrics("malli_18_1", 2025)
    path = mirror / "stat" / "wfs" / "vaestoalue_kunta_vaki2024.json"
    data = json.loads(path.read_bytes())
    (alajarvi,) = [f["properties"] for f in data["features"] if f["properties"]["kunta"] == "005"]
    assert alajarvi["vaesto"] == 9078
    for field in ("vaesto", "miehet", "ika_15_64"):  # parts still add up to the total
        alajarvi[field] += 100
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    after = unit_metrics("malli_18_1", 2025)

    assert after["population"].sum() == before["population"].sum() + 100
    changed = after.set_index("unit_code")["population"] - before.set_index("unit_code")["population"]
    assert sorted(changed[changed != 0].tolist()) == [100]


# --------------------------------------------------------------------------- mirror index


def test_edited_mirror_index_is_read_again(mirror):
    from helpers.base.errors import MirrorMiss

    url, params = layer_request(LEVEL, YEAR)
    assert fetch("geo", url, params=params).provenance["mirror_file"].endswith(f"{LAYER}.json")
    index_path = mirror / "geo" / "INDEX.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    kept = [e for e in index["entries"] if LAYER not in e["url"]]
    assert len(kept) == len(index["entries"]) - 1
    index_path.write_text(json.dumps(dict(index, entries=kept), ensure_ascii=False), encoding="utf-8")
    with pytest.raises(MirrorMiss, match=rf"does not hold GET .*{LAYER}"):
        fetch("geo", url, params=params)
    index_path.write_text('{"entries": [', encoding="utf-8")
    with pytest.raises(FetchError, match=r"geo/INDEX\.json: not a readable mirror index \(JSONDecodeError"):
        fetch("geo", url, params=params)


# --------------------------------------------------------------------------- derived tables (helpers.tables.table_cache)


def _logged_requests(log) -> list:
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
    return sorted({(r["source"], r["method"], r["url"]) for r in lines})


def test_an_indicator_table_is_read_back_while_its_answers_stay_the_same(mirror, tmp_path, monkeypatch):
    from helpers.tables import indicators

    built = []
    real = indicators._build_table
    monkeypatch.setattr(indicators, "_build_table", lambda *a: built.append(a) or real(*a))
    log = tmp_path / "run.jsonl"
    first = indicators.indicator_table("osuus_65", [2024], level="erva2020")
    first_inputs = _logged_requests(log)
    log.unlink()
    second = indicators.indicator_table("osuus_65", [2024], level="erva2020")
    assert len(built) == 1  # the second came from cache/tables/
    from pandas.testing import assert_frame_equal

    assert_frame_equal(first, second)
    assert second.attrs["missing"] == first.attrs["missing"] and second.attrs["indicator"] == first.attrs["indicator"]
    assert [p["sha256"] for p in second.attrs["provenance"]] == [p["sha256"] for p in first.attrs["provenance"]]
    assert _logged_requests(log) == first_inputs  # a table read back records the same inputs as one built
    # Helsinki's erva (HUS): the 65+ share of 31.12.2024 from the WFS age groups, as built
    assert round(float(second.loc[second["area_code"] == "1", "value"].item()), 4) == round(float(first.loc[first["area_code"] == "1", "value"].item()), 4)
    assert int(second.loc[second["area_code"] == "1", "denominator"].item()) == 2269460

    # One of its answers changes (a byte more): the table is built again from the new answer.
    wfs = next(p for p in first.attrs["provenance"] if "kunta_vaki2024" in p["url"])
    answer = Path(wfs["mirror_file"])
    assert answer.is_relative_to(mirror)  # the test's own copy
    answer.write_bytes(answer.read_bytes() + b"\n")
    third = indicators.indicator_table("osuus_65", [2024], level="erva2020")
    assert len(built) == 2 and third.attrs["provenance"] != first.attrs["provenance"]
    assert_frame_equal(first, third)  # the same numbers (only a newline more)


@pytest.mark.parametrize("damage, why", [
    (lambda p, m: p.write_bytes(p.read_bytes()[:100]), "do not match the sidecar's sha256"),
    (lambda p, m: m.write_text("{", encoding="utf-8"), "sidecar is not valid JSON"),
    (lambda p, m: m.unlink(), "half an entry"),
])
def test_a_broken_table_entry_is_discarded_and_rebuilt(mirror, tmp_path, damage, why):
    from helpers.tables import indicators

    first = indicators.indicator_table("osuus_65", [2024], level="maakunta")
    [parquet] = (tmp_path / "cache" / "tables").glob("indicator.*.parquet")
    damage(parquet, parquet.with_suffix(".json"))
    with pytest.warns(CacheWarning, match=re.escape(why)):
        again = indicators.indicator_table("osuus_65", [2024], level="maakunta")
    assert again["value"].tolist() == first["value"].tolist()
    assert parquet.exists() and parquet.with_suffix(".json").exists()  # written again


def test_in_a_refresh_run_answers_and_layers_asked_again_come_from_memory(mirror, tmp_path, monkeypatch):
    from helpers.sources import fetch as fetch_module
    from helpers.sources.fetch import MirrorAdapter

    sent = []
    real_send = MirrorAdapter.send
    monkeypatch.setattr(MirrorAdapter, "send", lambda self, request, **kw: sent.append(request.url) or real_send(self, request, **kw))
    monkeypatch.setattr(fetch_module, "_RUN_MEMO", type(fetch_module._RUN_MEMO)())
    monkeypatch.setattr(geography, "_RUN_LAYERS", {})
    url, params = layer_request(LEVEL, YEAR)
    log = tmp_path / "run.jsonl"

    fetch("geo", url, params=params)
    fetch("geo", url, params=params)
    assert len(sent) == 2  # an interactive session reads the mirror (or HTTP cache) each time

    monkeypatch.setenv("SOTE_RUN_NAME", "t_run")
    log.unlink()
    a = load_layer(LEVEL, YEAR)
    b = load_layer(LEVEL, YEAR)
    assert len(sent) == 3  # in a run: once
    assert_geodataframe_equal(a, b)
    b.loc[0, "name_fi"] = "muutettu"
    assert load_layer(LEVEL, YEAR).loc[0, "name_fi"] != "muutettu"  # each caller gets its own copy
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    # recorded (a repeat of the request's last record is left out: record_input)
    assert len(records) == 1 and records[0]["sha256"] == a.attrs["provenance"]["sha256"]
    log.unlink()
    load_layer(LEVEL, YEAR)  # from memory, and still recorded
    assert [json.loads(line)["sha256"] for line in log.read_text(encoding="utf-8").splitlines()] == [records[0]["sha256"]]


def test_an_edit_to_the_code_gives_a_new_table_entry_and_drops_the_old(mirror, tmp_path, monkeypatch):
    from helpers.base import config
    from helpers.tables import indicators

    root = tmp_path / "project"
    for folder in ("src/helpers", "data"):
        shutil.copytree(config.PROJECT_ROOT / folder, root / folder, ignore=shutil.ignore_patterns("cache", "__pycache__"))
    monkeypatch.setattr(config, "PROJECT_ROOT", root)  # what the fingerprint is taken of
    built = []
    real = indicators._build_table
    monkeypatch.setattr(indicators, "_build_table", lambda *a: built.append(a) or real(*a))
    indicators.indicator_table("osuus_65", [2024], level="maakunta")
    indicators.indicator_table("osuus_65", [2024], level="maakunta")
    tables = tmp_path / "cache" / "tables"
    before = sorted(p.name for p in tables.glob("indicator.*"))
    assert len(built) == 1 and len(before) == 2
    code = root / "src" / "helpers" / "tables" / "aggregate.py"
    code.write_text(code.read_text(encoding="utf-8") + "\n# muutettu\n", encoding="utf-8")
    indicators.indicator_table("osuus_65", [2024], level="maakunta")
    after = sorted(p.name for p in tables.glob("indicator.*"))
    assert len(built) == 2 and len(after) == 2 and not set(after) & set(before)


# --------------------------------------------------------------------------- cache entries of the wrong kind
# A directory (or a link, or a pipe) where a cache file should be is healed like a corrupt entry: removed with one
# CacheWarning naming the path and why, then fetched or built again; the next run uses the healthy entry.


def _as_directory(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "inside.txt").write_text("not a cache entry", encoding="utf-8")


def test_a_directory_in_place_of_an_http_cache_file_is_refetched_with_a_notice(fake_wfs):
    load_layer(LEVEL, YEAR)
    (entry,) = fake_wfs["cache"].glob("*.json")
    _as_directory(entry)
    with pytest.warns(CacheWarning, match=rf"^{re.escape(str(entry))}: HTTP cache entry is a directory, not a file; discarded and rebuilt"):
        healed = load_layer(LEVEL, YEAR)
    assert len(fake_wfs["calls"]) == 2 and healed.attrs["provenance"]["origin"] == "live"
    assert healed.attrs["provenance"]["sha256"] == sha(fake_wfs["body"]) and len(healed) == 23
    assert entry.is_file()
    again = load_layer(LEVEL, YEAR)  # healed for good: the next read comes from the cache
    assert again.attrs["provenance"]["origin"] == "cache" and len(fake_wfs["calls"]) == 2


def test_a_link_in_place_of_an_http_cache_file_is_removed_not_what_it_points_to(fake_wfs, tmp_path):
    load_layer(LEVEL, YEAR)
    (entry,) = fake_wfs["cache"].glob("*.json")
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_bytes(entry.read_bytes())
    entry.unlink()
    entry.symlink_to(elsewhere)
    with pytest.warns(CacheWarning, match=r"HTTP cache entry is a symbolic link, not a file"):
        healed = load_layer(LEVEL, YEAR)
    assert len(fake_wfs["calls"]) == 2 and len(healed) == 23
    assert entry.is_file() and not entry.is_symlink() and elsewhere.is_file()


@pytest.mark.parametrize("which", ["parquet", "sidecar"])
def test_a_directory_in_place_of_a_layer_cache_file_is_rebuilt_with_one_notice(mirror, tmp_path, which):
    load_layer(LEVEL, YEAR)
    path = _parquet(tmp_path) if which == "parquet" else _sidecar(tmp_path)
    _as_directory(path)
    geography._DECODED.clear()
    with pytest.warns(CacheWarning) as caught:
        healed = load_layer(LEVEL, YEAR)
    notices = [str(w.message) for w in caught if issubclass(w.category, CacheWarning)]
    assert notices == [f"{path}: a directory where a cache file should be; discarded and rebuilt from its source"]
    assert_geodataframe_equal(healed, fresh_build(mirror))
    assert _parquet(tmp_path).is_file() and _sidecar(tmp_path).is_file()
    assert sha(_parquet(tmp_path).read_bytes()) == json.loads(_sidecar(tmp_path).read_text(encoding="utf-8"))["parquet_sha256"]


def test_a_directory_found_while_reading_an_entry_is_removed_with_its_pair(tmp_path):
    """The reader's own path (geo.layers, tables.table_cache): an unreadable entry, whatever stands there, is discarded."""
    from helpers.sources.cache_entries import discard

    data_path, meta_path = tmp_path / "x.v1.ab.parquet", tmp_path / "x.v1.ab.json"
    data_path.mkdir()
    (data_path / "inside").write_text("x", encoding="utf-8")
    meta_path.write_text("{}", encoding="utf-8")
    with pytest.warns(CacheWarning, match=rf"^{re.escape(str(data_path))}: x\.v1\.ab\.parquet is a directory, not a file; discarded"):
        discard(data_path, meta_path, "[Errno 21] Is a directory")
    assert not data_path.exists() and not meta_path.exists()


@pytest.mark.parametrize("which", ["parquet", "json"])
def test_a_directory_in_place_of_a_table_cache_file_is_rebuilt(mirror, tmp_path, which):
    from helpers.tables import indicators

    first = indicators.indicator_table("osuus_65", [2024], level="maakunta")
    [parquet] = (tmp_path / "cache" / "tables").glob("indicator.*.parquet")
    path = parquet if which == "parquet" else parquet.with_suffix(".json")
    _as_directory(path)
    with pytest.warns(CacheWarning, match=rf"^{re.escape(str(path))}: a directory where a cache file should be; discarded and rebuilt"):
        again = indicators.indicator_table("osuus_65", [2024], level="maakunta")
    assert again["value"].tolist() == first["value"].tolist()
    assert parquet.is_file() and parquet.with_suffix(".json").is_file()  # written again


def test_a_named_pipe_in_place_of_a_layer_cache_file_is_removed_before_anything_reads_it(mirror, tmp_path):
    import os
    import stat
    import threading

    load_layer(LEVEL, YEAR)
    path = _sidecar(tmp_path)
    path.unlink()
    os.mkfifo(path)  # reading it would wait for a writer for ever
    done = threading.Event()

    def unblock():  # only if the pipe was read after all: end the read (empty), so the test fails instead of hanging
        if not done.wait(60) and path.exists() and stat.S_ISFIFO(os.lstat(path).st_mode):
            with open(path, "wb"):
                pass

    threading.Thread(target=unblock, daemon=True).start()
    try:
        with pytest.warns(CacheWarning) as caught:
            healed = load_layer(LEVEL, YEAR)
    finally:
        done.set()
    assert [str(w.message) for w in caught if issubclass(w.category, CacheWarning)] == [
        f"{path}: a named pipe where a cache file should be; discarded and rebuilt from its source"]
    assert len(healed) == 23 and _sidecar(tmp_path).is_file()


def test_a_json_value_is_read_back_while_its_answers_stay_the_same_and_rebuilt_when_one_changes(mirror, tmp_path):
    from helpers.geo.layers import answer_sha256, layer_request
    from helpers.sources.fetch import fetch
    from helpers.tables.table_cache import cached_json

    built = []

    def build():
        built.append(1)
        return {"sha": answer_sha256("kunta", 2025), "pairs": (1, 2)}

    first = cached_json("test_value", {"year": 2025}, build)
    assert first == {"sha": answer_sha256("kunta", 2025), "pairs": [1, 2]}  # what a read gives, also the first time
    assert cached_json("test_value", {"year": 2025}, build) == first and len(built) == 1

    [value] = (tmp_path / "cache" / "tables").glob("test_value.*.value.json")
    value.write_text('{"sha": "forged"}', encoding="utf-8")  # no longer the sidecar's sha256
    with pytest.warns(CacheWarning, match="do not match the sidecar's sha256"):
        assert cached_json("test_value", {"year": 2025}, build) == first
    assert len(built) == 2

    url, params = layer_request("kunta", 2025)
    answer = Path(fetch("geo", url, params=params).provenance["mirror_file"])
    assert answer.is_relative_to(mirror)  # the test's own copy
    answer.write_bytes(answer.read_bytes() + b"\n")
    again = cached_json("test_value", {"year": 2025}, build)
    assert len(built) == 3 and again["sha"] != first["sha"]


def test_in_a_refresh_run_a_table_read_again_comes_from_memory_and_still_records_its_answers(mirror, tmp_path, monkeypatch):
    from helpers.sources.fetch import recording_fetches
    from helpers.tables import indicators, table_cache

    monkeypatch.setattr(table_cache, "_RUN_TABLES", type(table_cache._RUN_TABLES)())
    first = indicators.indicator_table("osuus_65", [2024], level="maakunta")  # builds the entry (not in a run)
    with recording_fetches() as read_calls:
        indicators.indicator_table("osuus_65", [2024], level="maakunta")  # read back from the files: these answers
    reads = []
    real_read = table_cache._read_table
    monkeypatch.setattr(table_cache, "_read_table", lambda name: reads.append(name) or real_read(name))
    monkeypatch.setenv("SOTE_RUN_NAME", "t_run")
    log = tmp_path / "run.jsonl"
    log.unlink(missing_ok=True)
    a = indicators.indicator_table("osuus_65", [2024], level="maakunta")
    with recording_fetches() as calls:  # a table built from it: built from the same answers
        b = indicators.indicator_table("osuus_65", [2024], level="maakunta")
    assert len(reads) == 1  # the entry's files once a run
    assert a["value"].tolist() == b["value"].tolist() == first["value"].tolist()
    assert calls and calls == read_calls
    b.loc[0, "value"] = -1.0
    assert indicators.indicator_table("osuus_65", [2024], level="maakunta").loc[0, "value"] != -1.0  # each caller its own copy
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(read_calls)  # each answer recorded as an input of the run (repeats left out: record_input)
    log.unlink()
    indicators.indicator_table("osuus_65", [2024], level="maakunta")  # from memory, and still recorded
    assert len(log.read_text(encoding="utf-8").splitlines()) == len(read_calls)


def test_the_code_version_is_looked_at_once_a_run_and_again_in_the_next(monkeypatch, tmp_path):
    """A Dask worker outlives refreshes and is in a run while it executes one: a code edit between two refreshes must
    reach its next run (its kernel server is keyed by the code version)."""
    from helpers.base import config, hashing

    looks = []
    monkeypatch.setattr(hashing, "_code_version", lambda root: looks.append(root) or f"v{len(looks)}")
    monkeypatch.setattr(hashing, "_RUN_CODE", {})
    monkeypatch.delenv(config.RUN_NAME_ENV, raising=False)
    hashing.code_version(), hashing.code_version()
    assert len(looks) == 2  # outside a run: every time (an interactive session sees its edits)
    monkeypatch.setenv(config.RUN_NAME_ENV, "t_a")
    monkeypatch.setenv(config.OUTPUTS_ENV, str(tmp_path / "staging-1" / "outputs"))
    assert hashing.code_version() == hashing.code_version() == "v3" and len(looks) == 3
    monkeypatch.setenv(config.OUTPUTS_ENV, str(tmp_path / "staging-2" / "outputs"))  # the same run name, a later refresh
    assert hashing.code_version() == "v4" and len(looks) == 4


def test_a_cache_entry_is_replaced_whole_never_written_in_place(tmp_path):
    # A worker reading an entry while another writes it keeps the bytes it opened (the pair's files are swapped in,
    # each under its own new inode), and no temporary file is left beside them.
    from helpers.sources.cache_entries import write_pair

    data, meta = tmp_path / "kuntaavain_2025.a.parquet", tmp_path / "kuntaavain_2025.a.json"
    write_pair(data, meta, b"vanha", b"{}", older="kuntaavain_2025")
    with open(data, "rb") as reader:
        before = os.fstat(reader.fileno()).st_ino
        write_pair(data, meta, b"uusi, pidempi", b"{\"x\": 1}", older="kuntaavain_2025")
        assert reader.read() == b"vanha"
    assert os.stat(data).st_ino != before and data.read_bytes() == b"uusi, pidempi"
    assert sorted(p.name for p in tmp_path.iterdir()) == [meta.name, data.name]
