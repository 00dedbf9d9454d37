import json
import re
import time
from dataclasses import replace
from datetime import timedelta

import pytest
import requests

from helpers.sources import registry as sources
from helpers.base.errors import FetchError, MirrorMiss
from helpers.sources.fetch import canonical_request, fetch
from helpers.geo.layers import layer_request

from tests.conftest import FIXTURE_MIRROR


def test_mirror_answers_indexed_request_with_provenance():
    url, params = layer_request("hyvinvointialue", 2025)
    got = fetch("geo", url, params=params)
    data = got.json()
    assert data["totalFeatures"] == 23
    p = got.provenance
    assert p["origin"] == "mirror" and p["source"] == "geo" and p["licence"] == "CC BY 4.0"
    assert p["mirror_file"].endswith("hyvinvointialue4500k_2025.json")
    import hashlib

    assert p["sha256"] == hashlib.sha256((FIXTURE_MIRROR / "geo" / "hyvinvointialue4500k_2025.json").read_bytes()).hexdigest()
    assert p["method"] == "GET" and "typeName=tilastointialueet%3Ahyvinvointialue4500k_2025" in p["url"]


def test_mirror_miss_names_the_request_and_never_uses_network():
    url, params = layer_request("kunta", 2023)  # the mirror holds no 2023 municipality layer
    with pytest.raises(MirrorMiss) as exc:
        fetch("geo", url, params=params)
    msg = str(exc.value)
    assert "kunta4500k_2023" in msg and "INDEX.json" in msg and "does not hold" in msg


def test_mirror_post_body_must_match():
    url = "https://pxdata.stat.fi/PxWeb/api/v1/fi/StatFin/11re.px"
    body = {"query": [], "response": {"format": "json-stat2"}}
    with pytest.raises(MirrorMiss, match=r"POST .*11re\.px with body"):
        fetch("stat", url, method="POST", json_body=body)


def test_canonical_request_ignores_param_order_case_and_default_port():
    a = canonical_request("GET", "https://pxdata.stat.fi:443/x?B=2&a=1")
    b = canonical_request("get", "https://PXDATA.stat.fi/x", {"a": "1", "b": "2"})
    assert a == b
    assert canonical_request("POST", "https://h/x", None, {"b": 1, "a": 2}) == canonical_request("POST", "https://h/x", None, {"a": 2, "b": 1})


def _fake_response(status, body=b"{}", url="https://example.invalid/", request=None):
    """A response as the HTTP adapter would build it from a urllib3 answer (requests-cache needs .raw)."""
    import io

    from requests.adapters import HTTPAdapter
    from urllib3.response import HTTPResponse

    raw = HTTPResponse(body=io.BytesIO(body), headers={"Content-Type": "application/json"}, status=status,
                       reason="Internal Server Error" if status == 500 else "OK", preload_content=False, request_url=url)
    return HTTPAdapter().build_response(request, raw)


def test_http_error_names_url_and_status(live_mode, monkeypatch):
    calls = []

    def send(self, request, **kwargs):
        calls.append(request.url)
        return _fake_response(500, b"boom", request.url, request)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    with pytest.raises(FetchError) as exc:
        fetch("sotkanet", "https://sotkanet.fi/rest/1.1/indicators/127")
    assert "GET https://sotkanet.fi/rest/1.1/indicators/127" in str(exc.value)
    assert "HTTP 500" in str(exc.value)


def test_connection_error_names_url(live_mode, monkeypatch):
    def send(self, request, **kwargs):
        raise requests.exceptions.ConnectionError("name resolution failed")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    with pytest.raises(FetchError, match=r"GET https://sotkanet\.fi/rest/1\.1/regions failed: ConnectionError"):
        fetch("sotkanet", "https://sotkanet.fi/rest/1.1/regions")


def test_cache_serves_fresh_and_refetches_stale_never_serving_stale_on_error(live_mode, monkeypatch):
    monkeypatch.setitem(sources.SOURCES, "stat", replace(sources.SOURCES["stat"], max_age=timedelta(seconds=1)))
    calls = []
    state = {"fail": False}

    def send(self, request, **kwargs):
        calls.append(request.url)
        if state["fail"]:
            raise requests.exceptions.ConnectionError("down")
        return _fake_response(200, json.dumps({"n": len(calls)}).encode(), request.url, request)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    url = "https://pxdata.stat.fi/PxWeb/api/v1/fi/StatFin/11re.px"
    first = fetch("stat", url)
    second = fetch("stat", url)
    assert first.provenance["origin"] == "live" and second.provenance["origin"] == "cache"
    assert second.json() == {"n": 1} and len(calls) == 1
    time.sleep(1.2)
    state["fail"] = True
    with pytest.raises(FetchError, match="ConnectionError"):
        fetch("stat", url)  # expired: refetch fails, the stale copy is not served


def test_invalid_json_is_a_clear_error():
    from helpers.sources.fetch import Fetched

    with pytest.raises(FetchError, match=r"GET https://x/y: the answer is not valid JSON"):
        Fetched(b'{"trunc', {"method": "GET", "url": "https://x/y"}).json()


def test_unknown_source_rejected():
    with pytest.raises(ValueError, match=r"source='nope' is not allowed; allowed: geo, sotkanet, stat"):
        fetch("nope", "https://x")


# --------------------------------------------------------------------------- mirror files stay inside the mirror
# A copy of the fixture mirror (mirror_copy); the file outside it carries other numbers, which must never be read.

SOTKANET_2023 = "reconstructed/json_indicator683_years2023_total.RECONSTRUCTED.json"
JSON_2023_URL = "https://sotkanet.fi/rest/1.1/json?indicator=683&years=2023&genders=total"


def _point_entry(mirror, service: str, response: str, new: str, field_name: str = "response"):
    index_path = mirror / service / "INDEX.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    [entry] = [e for e in index["entries"] if e.get(field_name) == response]
    entry[field_name] = new
    index_path.write_text(json.dumps(index, ensure_ascii=False), encoding="utf-8")
    return entry


def _outside_copy(mirror):
    """The 2023 answer with Kainuu (region 962) at 99.9 %, beside the mirror folder."""
    rows = json.loads((mirror / "sotkanet" / SOTKANET_2023).read_text(encoding="utf-8"))
    for r in rows:
        if r["region"] == 962:
            r["value"] = 99.9
    outside = mirror.parent / "x.json"
    outside.write_text(json.dumps(rows), encoding="utf-8")
    return outside


def test_an_index_path_leading_out_of_the_mirror_is_an_error_naming_entry_and_path(mirror_copy):
    from helpers.sources import sotkanet

    outside = _outside_copy(mirror_copy)
    _point_entry(mirror_copy, "sotkanet", SOTKANET_2023, "../../x.json")
    folder = (mirror_copy / "sotkanet").resolve()
    with pytest.raises(MirrorMiss) as caught:
        sotkanet.data(683, [2023])
    assert str(caught.value) == (f"mirror index entry GET {JSON_2023_URL}: response '../../x.json' resolves to {outside.resolve()}, "
                                 f"outside the service folder {folder} (index {mirror_copy / 'sotkanet' / 'INDEX.json'}); "
                                 "allowed: files inside that folder")
    # The index is refused as a whole: no request of the service is answered from it.
    with pytest.raises(MirrorMiss, match=r"response '\.\./\.\./x\.json' resolves to"):
        fetch("sotkanet", "https://sotkanet.fi/rest/1.1/regions")


def test_an_absolute_index_path_is_an_error(mirror_copy):
    outside = _outside_copy(mirror_copy)
    _point_entry(mirror_copy, "sotkanet", SOTKANET_2023, str(outside))
    with pytest.raises(MirrorMiss, match=rf"response '{re.escape(str(outside))}' resolves to {re.escape(str(outside.resolve()))}, "
                       "outside the service folder"):
        fetch("sotkanet", JSON_2023_URL)


def test_a_symlink_to_a_file_outside_the_mirror_is_an_error(mirror_copy):
    outside = _outside_copy(mirror_copy)
    link = mirror_copy / "sotkanet" / SOTKANET_2023
    link.unlink()
    link.symlink_to(outside)
    with pytest.raises(MirrorMiss, match=rf"^mirror index entry GET {re.escape(JSON_2023_URL)}: response '{re.escape(SOTKANET_2023)}' "
                       rf"resolves to {re.escape(str(outside.resolve()))}, outside the service folder"):
        fetch("sotkanet", JSON_2023_URL)


def test_a_file_that_becomes_a_link_after_the_index_was_read_is_refused_too(mirror_copy):
    assert fetch("sotkanet", JSON_2023_URL).json()  # the index is read and kept
    outside = _outside_copy(mirror_copy)
    link = mirror_copy / "sotkanet" / SOTKANET_2023
    link.unlink()
    link.symlink_to(outside)
    with pytest.raises(MirrorMiss, match="outside the service folder"):
        fetch("sotkanet", JSON_2023_URL)


def test_a_symlink_inside_the_service_folder_is_followed(mirror_copy):
    import hashlib

    original = mirror_copy / "sotkanet" / SOTKANET_2023
    moved = mirror_copy / "sotkanet" / "reconstructed" / "moved.json"
    original.rename(moved)
    original.symlink_to(moved)
    got = fetch("sotkanet", JSON_2023_URL)
    assert got.provenance["sha256"] == hashlib.sha256((FIXTURE_MIRROR / "sotkanet" / SOTKANET_2023).read_bytes()).hexdigest()


def test_a_post_body_file_outside_the_mirror_is_an_error(mirror_copy):
    body = "pxweb/reconstructed/11re_POST_all-municipalities_2023-2024.query.json"
    outside = mirror_copy.parent / "body.json"
    outside.write_bytes((mirror_copy / "stat" / body).read_bytes())
    _point_entry(mirror_copy, "stat", body, "../../body.json", field_name="body")
    with pytest.raises(MirrorMiss, match=r"^mirror index entry POST https://pxdata\.stat\.fi/PxWeb/api/v1/fi/StatFin/11re\.px: "
                       r"body '\.\./\.\./body\.json' resolves to .*body\.json, outside the service folder"):
        fetch("stat", "https://pxdata.stat.fi/PxWeb/api/v1/fi/StatFin/11re.px")
