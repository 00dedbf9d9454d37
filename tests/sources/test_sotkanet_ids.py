"""Any Sotkanet indicator by its id (``sotkanet:ID``): the catalogue row derived from the recorded ``/indicators/{id}``
answers, the refusal of a rule the metadata does not give, the file's own row winning, the search, and mirror misses
that name what the mirror holds. Expected values are read from the recorded files here, not from the package."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from helpers.base.errors import InvalidParameter, MirrorMiss
from helpers.pipeline.runs import Run, validate
from helpers.sources import sotkanet
from helpers.tables.indicators import RuleNotDerivable, catalogue, check_request, indicator_table, search_sotkanet, sotkanet_row

from tests.conftest import FIXTURE_MIRROR

RECORDED = FIXTURE_MIRROR / "sotkanet" / "recorded"
NOTEBOOK_02 = Path(__file__).resolve().parents[2] / "notebooks" / "02_indikaattorit.ipynb"


def recorded(ident: int) -> dict:
    return json.loads((RECORDED / f"indicators_{ident}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("ident", [186, 322])
def test_a_catalogue_row_from_the_id_alone(ident):
    meta = recorded(ident)
    row = catalogue([f"sotkanet:{ident}"]).iloc[0]
    assert row["indicator_id"] == f"sotkanet:{ident}" and row["table_or_id"] == str(ident)
    assert (row["name_fi"], row["name_sv"], row["name_en"]) == (meta["title"]["fi"], meta["title"]["sv"], meta["title"]["en"])
    assert row["years"] == f"{meta['range']['start']}-{meta['range']['end']}"
    assert meta["primaryValueType"]["code"] == "PER100000"
    assert row["unit"] == "/100 000" and row["decimals"] == str(meta["decimals"])
    assert row["producer_fi"] == meta["organization"]["title"]["fi"] and meta["organization"]["title"]["fi"] in row["source"]
    assert row["source"].startswith("THL, Sotkanet")
    # a rate per 100 000: the counts and the populations the values imply add up
    assert (row["aggregation"], row["numerator"], row["denominator"], row["kind"], row["counts"]) == \
        ("ratio", "abs_value", "implied_denominator", "rate", "abs_value")
    assert float(row["scale"]) == 100_000 and row["min"] == "0"
    assert check_request(f"sotkanet:{ident}", [meta["range"]["end"]], "hyvinvointialue", 2025, None) == [meta["range"]["end"]]


def test_years_outside_the_metadata_range_are_refused_before_any_data():
    first = recorded(186)["range"]["start"]
    with pytest.raises(InvalidParameter, match=rf"years={first - 1} is not allowed; allowed: {first}–\d{{4}} for indicator sotkanet:186"):
        indicator_table("sotkanet:186", [first - 1])


def test_a_sample_survey_share_is_refused_with_the_reason():
    meta = recorded(5527)
    assert meta["primaryValueType"]["code"] == "PROS"  # a share by its type: the texts tell it is a survey estimate
    for attempt in (lambda: sotkanet_row(5527), lambda: indicator_table("sotkanet:5527", [2023]),
                    lambda: check_request("sotkanet:5527", [2023], "hyvinvointialue", 2025, None)):
        with pytest.raises(RuleNotDerivable) as caught:
            attempt()
        msg = str(caught.value)
        assert msg.startswith(f"indicator='sotkanet:5527' ({meta['title']['fi']}): it is estimated from a sample survey")
        assert "otostutkimusaineistosta" in meta["limits"]["fi"] and "'otostutkimusaineistosta'" in msg
        assert "data/indikaattorit.csv" in msg


@pytest.mark.parametrize("edit, says", [
    (lambda m: m["primaryValueType"].update(code="EUROA"), "its value type 'EUROA'"),
    (lambda m: m["classifications"]["sex"].update(values=["male", "female"]), "has no 'total'"),
    (lambda m: m["title"].update(fi="Ikävakioitu " + m["title"]["fi"]), "it is standardised"),
    (lambda m: m.pop("range"), "the metadata gives no years"),
])
def test_a_rule_the_metadata_does_not_give_is_refused(mirror_copy, edit, says):
    path = mirror_copy / "sotkanet" / "recorded" / "indicators_186.json"  # a copy: the recorded file stays as it is
    meta = json.loads(path.read_text(encoding="utf-8"))
    edit(meta)
    path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(RuleNotDerivable, match=re.escape(says)):
        sotkanet_row(186, fresh=True)


def test_the_files_own_row_wins_and_builds_the_same_table():
    own = catalogue().set_index("indicator_id").loc["sotkanet_683"]
    row = catalogue(["sotkanet:683"]).iloc[0]
    assert row["indicator_id"] == "sotkanet:683"
    assert all(row[c] == own[c] for c in own.index)
    by_id = indicator_table("sotkanet:683", [2023], level="hyvinvointialue")
    by_name = indicator_table("sotkanet_683", [2023], level="hyvinvointialue")
    assert set(by_id["indicator_id"]) == {"sotkanet:683"}
    assert by_id["value"].tolist() == by_name["value"].tolist()
    # Helsinki (welfare-region code 90) as the recorded /csv answer gives it for its current Sotkanet id
    with open(FIXTURE_MIRROR / "sotkanet" / "reference" / "sotkanet_hyvinvointialueet.csv", encoding="utf-8") as fh:
        helsinki = next(int(r["uusi_id"]) for r in csv.DictReader(fh) if str(r["uusi_code"]).strip() == "90")
    with open(RECORDED / "csv_indicator683_years2023_total.csv", encoding="utf-8") as fh:
        given = next(float(r["primary value"]) for r in csv.DictReader(fh, delimiter=";") if int(r["region"]) == helsinki)
    assert by_id.loc[by_id["area_code"] == "90", "value"].item() == pytest.approx(given)


def test_ids_that_are_not_usable_are_named():
    with pytest.raises(InvalidParameter, match=r"indicator='sotkanet:abc' is not allowed; allowed: .*, or sotkanet:ID"):
        check_request("sotkanet:abc", [2023], "hyvinvointialue", 2025, None)
    held = sorted(int(p.stem.split("_")[1]) for p in RECORDED.glob("indicators_*.json"))
    with pytest.raises(MirrorMiss, match=rf"indicators/999; in https://sotkanet.fi/rest/1.1/indicators/ it holds "
                                         rf"{', '.join(map(str, held))} \(index"):
        check_request("sotkanet:999", [2023], "hyvinvointialue", 2025, None)


def test_the_runs_file_accepts_a_sotkanet_id_and_names_a_refused_one():
    run = Run(name="s", notebook=NOTEBOOK_02, parameters={"indicators": ["sotkanet:186"], "years": [2023]})
    validate([run])
    refused = Run(name="r", notebook=NOTEBOOK_02, parameters={"indicators": ["sotkanet:5527"], "years": [2023]})
    with pytest.raises(InvalidParameter, match=r"run r \(02_indikaattorit.ipynb\): indicator='sotkanet:5527' .* sample survey"):
        validate([refused])


def test_preflight_names_the_sotkanet_years_the_mirror_lacks_for_an_id():
    from helpers.pipeline.preflight import mirror_problems, read_mirror

    cat = read_mirror(FIXTURE_MIRROR)
    run = Run(name="s", notebook=NOTEBOOK_02, parameters={})
    problems = mirror_problems(run, {"indicators": ["sotkanet:186"], "years": [2023], "division_year": 2025}, cat)
    assert any("sotkanet:186 years=[2023] is not a Sotkanet request the mirror holds" in p for p in problems)
    assert not [p for p in mirror_problems(run, {"indicators": ["sotkanet:683"], "years": [2023], "division_year": 2025}, cat)
                if "sotkanet:683" in p]


# --------------------------------------------------------------------------- search


def _titles_matching(word: str) -> list[int]:
    return sorted(int(p.stem.split("_")[1]) for p in RECORDED.glob("indicators_*.json")
                  if any(word.casefold() in t.casefold() for t in json.loads(p.read_text(encoding="utf-8"))["title"].values()))


def test_search_on_the_mirror_covers_what_it_holds_and_says_so():
    hits = search_sotkanet("kuolleisuus")
    assert hits["indicator_id"].tolist() == [f"sotkanet:{i}" for i in _titles_matching("kuolleisuus")] == ["sotkanet:186", "sotkanet:322"]
    assert hits["name_fi"].tolist() == [recorded(186)["title"]["fi"], recorded(322)["title"]["fi"]]
    assert hits.attrs["complete"] is False and "the mirror holds no list" in hits.attrs["coverage"]
    assert search_sotkanet("Dödlighet")["indicator_id"].tolist() == ["sotkanet:186", "sotkanet:322"]  # any language
    assert search_sotkanet("sotkanet:5527")["name_en"].tolist() == [recorded(5527)["title"]["en"]]
    # the catalogue's own Sotkanet rows are searched too: the mirror has no metadata for 683
    diabetes = search_sotkanet("diabetes")
    assert diabetes["indicator_id"].tolist() == ["sotkanet:683"] and diabetes["in_catalogue"].tolist() == ["sotkanet_683"]
    assert search_sotkanet("xyzzy").empty
    with pytest.raises(InvalidParameter, match="word=' ' is not allowed"):
        sotkanet.search_indicators(" ")


def test_search_live_reads_the_whole_list(live_mode, monkeypatch):
    import requests

    # Sotkanet's list answer, here made of the recorded indicator objects (their fields as /indicators/{id} gives them)
    body = json.dumps([recorded(i) for i in (186, 322, 5527)]).encode()
    asked = []

    def answer(self, request, **kwargs):
        from urllib3.response import HTTPResponse

        asked.append(request.url)
        raw = HTTPResponse(body=io.BytesIO(body), headers={"Content-Type": "application/json;charset=UTF-8"}, status=200,
                           reason="OK", preload_content=False, request_url=request.url)
        return requests.adapters.HTTPAdapter().build_response(request, raw)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", answer)
    hits = search_sotkanet("liikku")
    assert asked == ["https://sotkanet.fi/rest/1.1/indicators"]
    assert hits.attrs["complete"] is True and hits["indicator_id"].tolist() == ["sotkanet:5527"]
    assert hits[["unit", "years"]].values.tolist() == [["%", "2020-2024"]]


# --------------------------------------------------------------------------- what a mirror miss says


def test_a_sotkanet_year_the_mirror_lacks_names_the_years_it_holds():
    index = json.loads((FIXTURE_MIRROR / "sotkanet" / "INDEX.json").read_text(encoding="utf-8"))
    held = sorted({"+".join(re.findall(r"years=(\d{4})", e["url"])) for e in index["entries"]
                   if "/json?" in e["url"] and "indicator=683&" in e["url"]})
    with pytest.raises(MirrorMiss) as caught:
        sotkanet.data(683, [2019])
    msg = str(caught.value)
    assert "for genders=total, indicator=683 it holds years " in msg and "; asked years 2019" in msg
    listed = msg.split("it holds years ", 1)[1].split(";", 1)[0].split(", ")
    assert sorted(listed) == held and len(msg) < 400


def test_a_layer_the_mirror_lacks_names_the_levels_and_years_it_holds():
    from helpers.geo.layers import load_layer

    index = json.loads((FIXTURE_MIRROR / "geo" / "INDEX.json").read_text(encoding="utf-8"))
    years = sorted({m.group(1) for e in index["entries"] if (m := re.search(r"typeName=tilastointialueet:kunta4500k_(\d{4})&", e["url"]))})
    with pytest.raises(MirrorMiss) as caught:
        load_layer("kunta", 2023)
    msg = str(caught.value)
    assert f"tilastointialueet:kunta4500k_YYYY ({', '.join(years)})" in msg and "asked typename tilastointialueet:kunta4500k_2023" in msg
    assert len(msg) < 700
