"""The CSV and metadata JSON beside a page (helpers.site.downloads): Excel-friendly encoding and format, the page's own
numbers, metadata fields, safe names, no formula injection, and the links macro."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pandas as pd
import pytest

from helpers.site import downloads
from helpers.base.errors import SoteError
from helpers.sources.flags import MEANINGS
from helpers.base.numbers import fmt_number

PROVENANCE = [{"source": "statfin", "source_title": "Tilastokeskus (StatFin)", "url": "https://pxdata.stat.fi/x.px",
               "fetched_at": "2025-03-01T04:17:00+00:00", "licence": "CC BY 4.0", "origin": "live", "sha256": "ab" * 32,
               "body": {"query": []}}]


def regions() -> pd.DataFrame:
    df = pd.DataFrame({
        "alue": ["Länsi-Uusimaa", "Ahvenanmaa – Åland", "Pohjois-Savo", "Keski-Pohjanmaa"],
        "osuus_65": [18.2549, 21.05, 26.349999, -0.04],
        "asukkaat": pd.array([487_000, 30_541, None, 68_000], dtype="Int64"),
        "value_flags": ["", "ennakkotieto", "", "ennakkotieto, salattu"],
    })
    df.attrs["provenance"] = PROVENANCE
    return df


def write(tmp_path, df=None, lang="fi", **kw):
    page = tmp_path / "indikaattorit" / "osuus_65_hyvinvointialue_2024.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text("<!DOCTYPE html>", encoding="utf-8")
    kw.setdefault("decimals", {"osuus_65": 1})
    links = downloads.table_files(regions() if df is None else df, page=page, name="taulukko", title="65 vuotta täyttäneet",
                                  sources=["Tilastokeskus (StatFin)"], licence="CC BY 4.0", lang=lang,
                                  definitions={"osuus_65": "65 vuotta täyttäneiden osuus väestöstä"}, units={"osuus_65": "%"}, **kw)
    return page, links


def test_files_beside_the_page_with_relative_links(tmp_path):
    page, links = write(tmp_path)
    assert links["csv"] == "osuus_65_hyvinvointialue_2024.taulukko.csv"
    assert links["json"] == "osuus_65_hyvinvointialue_2024.taulukko.json"
    assert links["label"]["csv"] == "Lataa taulukko (CSV)" and links["label"]["json"] == "Tietojen kuvaus (JSON)"
    assert sorted(p.name for p in page.parent.iterdir()) == sorted([page.name, links["csv"], links["json"]])  # no temp files left


def test_bom_and_nordic_letters_round_trip(tmp_path):
    page, links = write(tmp_path)
    raw = (page.parent / links["csv"]).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert not raw[3:].startswith(b"\xef\xbb\xbf")
    back = downloads.read_csv(page.parent / links["csv"], "fi")
    assert back["alue"].tolist() == ["Länsi-Uusimaa", "Ahvenanmaa – Åland", "Pohjois-Savo", "Keski-Pohjanmaa"]
    assert list(back.columns) == ["alue", "osuus_65", "asukkaat", "value_flags"]


def test_finnish_format_semicolons_and_decimal_comma(tmp_path):
    page, links = write(tmp_path)
    lines = (page.parent / links["csv"]).read_bytes().decode("utf-8-sig").split("\r\n")
    assert lines[0] == "alue;osuus_65;asukkaat;value_flags"
    assert lines[1] == "Länsi-Uusimaa;18,3;487000;"
    assert lines[3] == "Pohjois-Savo;26,3;;"          # 26.349999 rounds to 26,3 as on the page; missing is empty
    assert lines[4] == "Keski-Pohjanmaa;0,0;68000;ennakkotieto, salattu"  # -0.04 -> 0,0 (no sign, as fmt_number)


def test_english_format_commas_and_point(tmp_path):
    page, links = write(tmp_path, lang="en")
    lines = (page.parent / links["csv"]).read_bytes().decode("utf-8-sig").split("\r\n")
    assert lines[1] == "Länsi-Uusimaa,18.3,487000,"
    assert lines[4] == 'Keski-Pohjanmaa,0.0,68000,"ennakkotieto, salattu"'
    assert links["label"]["csv"] == "Download the table (CSV)"
    assert json.loads((page.parent / links["json"]).read_text(encoding="utf-8"))["csv_format"]["delimiter"] == ","


def test_numbers_equal_the_page_table(tmp_path):
    """The page shows fmt_number(x, 1); the CSV holds the same digits."""
    df = regions()
    page, links = write(tmp_path, df)
    back = downloads.read_csv(page.parent / links["csv"], "fi")
    shown = [float(fmt_number(x, 1).replace("\u00a0", "").replace(",", ".").replace("\u2212", "-")) for x in df["osuus_65"]]
    assert back["osuus_65"].tolist() == shown == [18.3, 21.1, 26.3, 0.0]
    assert back["asukkaat"].tolist()[:2] == [487000, 30541] and pd.isna(back["asukkaat"][2])


def test_unrounded_columns_round_trip_exactly(tmp_path):
    df = pd.DataFrame({"x": [0.1 + 0.2, 1e-7, 123456789.125, -2.5]})
    page, links = write(tmp_path, df, decimals=None)
    text = (page.parent / links["csv"]).read_bytes().decode("utf-8-sig")
    assert "0,0000001" in text and "e-" not in text
    assert downloads.read_csv(page.parent / links["csv"])["x"].tolist() == df["x"].tolist()


def test_metadata_fields(tmp_path):
    page, links = write(tmp_path)
    meta = json.loads((page.parent / links["json"]).read_text(encoding="utf-8"))
    assert meta["title"] == "65 vuotta täyttäneet" and meta["language"] == "fi"
    assert meta["file"] == links["csv"] and meta["page"] == page.name and meta["rows"] == 4
    cols = {c["name"]: c for c in meta["columns"]}
    assert cols["osuus_65"] == {"name": "osuus_65", "type": "number", "definition": "65 vuotta täyttäneiden osuus väestöstä",
                                "unit": "%", "decimals": 1}
    assert cols["alue"]["type"] == "text" and cols["asukkaat"]["decimals"] is None
    assert meta["sources"] == ["Tilastokeskus (StatFin)"] and meta["licence"] == "CC BY 4.0"
    assert meta["retrieved"] == [{k: PROVENANCE[0][k] for k in ("source", "source_title", "url", "fetched_at", "licence", "origin", "sha256")}]
    assert meta["flags"] == {"ennakkotieto": MEANINGS["ennakkotieto"][0], "salattu": MEANINGS["salattu"][0]}
    assert meta["csv_format"]["delimiter"] == ";" and meta["csv_format"]["decimal_separator"] == ","
    assert meta["csv_format"]["encoding"].startswith("UTF-8 with byte order mark")
    assert datetime.fromisoformat(meta["generated"]).tzinfo is not None


def test_given_retrievals_and_flags_win(tmp_path):
    given = [{"source": "sotkanet", "url": "https://sotkanet.fi/rest", "fetched_at": "2025-01-02T00:00:00+00:00", "licence": "CC BY 4.0"}] * 2
    page, links = write(tmp_path, retrieved=given, flags={"arvio": "oma arvio"}, lang="sv")
    meta = json.loads((page.parent / links["json"]).read_text(encoding="utf-8"))
    assert meta["retrieved"] == given[:1]  # duplicates once
    assert meta["flags"]["arvio"] == "oma arvio" and meta["flags"]["ennakkotieto"] == MEANINGS["ennakkotieto"][1]
    assert links["label"]["json"] == "Beskrivning av uppgifterna (JSON)"


@pytest.mark.parametrize("name", ["../ulos", "a/b", "a\\b", "Taulukko", "x.csv", "", ".piilo", "-alku", "loppu-", "ä",
                                  "a\x00b", "a b", "x" * 65, None, 5])
def test_hostile_names_refused(tmp_path, name):
    with pytest.raises(SoteError, match="download name"):
        downloads.table_files(regions(), page=tmp_path / "s.html", name=name, title="t", sources=[], licence="CC BY 4.0")
    assert list(tmp_path.rglob("*.csv")) == [] and list(tmp_path.parent.glob("*.csv")) == []


def test_unknown_language_refused(tmp_path):
    with pytest.raises(SoteError, match="lang"):
        downloads.table_files(regions(), page=tmp_path / "s.html", name="t", title="t", sources=[], licence="x", lang="de")


def test_markup_stays_literal_and_formulas_are_defused(tmp_path):
    df = pd.DataFrame({"nimi": ["<script>alert(1)</script>", "=HYPERLINK(\"http://x\";\"y\")", "+358", "-1", "@SUM(A1)",
                                "\tkaava", "a;b \"c\"\nd", "Åbo & <b>"],
                       "arvo": [-3.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]})
    page, links = write(tmp_path, df, decimals={"arvo": 1})
    text = (page.parent / links["csv"]).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert [r[0] for r in rows[1:]] == ["<script>alert(1)</script>", "'=HYPERLINK(\"http://x\";\"y\")", "'+358", "'-1", "'@SUM(A1)",
                                        "'\tkaava", "a;b \"c\"\nd", "Åbo & <b>"]
    assert rows[1][1] == "-3,5"  # a negative number stays a number
    assert "&lt;" not in text and "&amp;" not in text


def test_formula_guard_on_column_names(tmp_path):
    page, links = write(tmp_path, pd.DataFrame({"=cmd": ["x"], "ok": ["y"]}), decimals=None)
    assert (page.parent / links["csv"]).read_bytes().decode("utf-8-sig").split("\r\n")[0] == "'=cmd;ok"


@pytest.mark.parametrize("lang,csv_label,json_label", [("fi", "Lataa taulukko (CSV)", "Tietojen kuvaus (JSON)"),
                                                       ("sv", "Ladda ner tabellen (CSV)", "Beskrivning av uppgifterna (JSON)"),
                                                       ("en", "Download the table (CSV)", "About the data (JSON)")])
def test_links_macro(tmp_path, lang, csv_label, json_label):
    from helpers.site.pages import environment

    _, links = write(tmp_path, lang=lang)
    html = environment().from_string('{% from "_downloads.html.j2" import download_links %}{{ download_links(d) }}').render(d=links)
    assert f"<a href='osuus_65_hyvinvointialue_2024.taulukko.csv' download type='text/csv'>{csv_label}</a>" in html
    assert f"<a href='osuus_65_hyvinvointialue_2024.taulukko.json' type='application/json'>{json_label}</a>" in html
    hostile = environment().from_string('{% from "_downloads.html.j2" import download_links %}{{ download_links(d) }}').render(
        d={"csv": "x.csv' onclick='alert(1)", "json": "y.json", "label": {"csv": "<b>", "json": "j"}})
    assert "onclick='alert" not in hostile and "&lt;b&gt;" in hostile
