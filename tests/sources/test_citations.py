"""Citations come from one table (data/lahteet.csv) and name the original documents, never internal file names."""

import re

import pytest

from helpers.sources import citations
from helpers.base import config
from helpers.base.errors import InvalidParameter
from helpers.tables.surveys import source_line, surveys


def test_every_cited_key_exists_and_reads_as_a_citation():
    table = citations.sources()
    assert table["key"].is_unique and len(table) >= 10
    assert citations.cite("sotunet_18_1_2020") == (
        "Sotunet (sosiaaliturvayhdistysten yhteistyöelin): Verkostojärjestöjen esitys maakunnallisesta järjestörakenteesta "
        "STEA:lle: Järjestöyhteistyön rakenne 2021 – 18+1-mallin sisältö, 13.2.2020.")
    assert citations.format_date("2021-08-25") == "25.8.2021" and citations.format_date("2020") == "2020"
    for which in ("kysely_2020", "kysely_2021"):
        citations.check_key(surveys()[which]["source"]["ref"])
    with pytest.raises(InvalidParameter, match="source='seed_000' is not allowed; allowed: "):
        citations.cite("seed_000")


def test_survey_source_lines_cite_publisher_title_date_not_files():
    line = source_line("kysely_2020")
    assert line.startswith("Lähde: Sosiaaliturvayhdistykset / Sotunet") and "Kysely maakuntien tukirakenteista – vastaukset, 2020." in line
    assert line.endswith("https://www.sosiaaliturvayhdistykset.fi/jarjestoyhteistyon-rakenteista-maakunnissa-tanaan-ja-tulevaisuudessa/")
    assert source_line("kysely_2021", "en", short=True) == ("Source: SOSTE / Järjestöjen sote-muutostuki: Miltä näyttää järjestöjen "
                                                              "kiinnittyminen sote-uudistuksen toimeenpanoon (Järjestöjen sote-muutostuen webinaari), 25 August 2021")
    for text in (line, source_line("kysely_2021")):
        assert not re.search(r"seeds?/|\.txt|\d{3}_[0-9a-f]{16}", text)


def test_table_is_validated(tmp_path, monkeypatch):
    bad = tmp_path / "lahteet.csv"
    bad.write_text("key,publisher,author,title,date,url\nx,P,,T,13.2.2020,\n", encoding="utf-8")
    monkeypatch.setattr(config, "DATA_DIR", tmp_path)
    with pytest.raises(Exception, match=r"row x: date '13.2.2020' is not YYYY or YYYY-MM-DD"):
        citations.sources()
