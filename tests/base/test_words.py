"""The shared reader words (helpers.base.words): units, labels, survey answers, the 2021 area names, dates in the
reader's words and Finlex links in the page's language."""

from __future__ import annotations

import datetime as dt

import pytest

from helpers.base.errors import InvalidParameter
from helpers.base.words import (AREA_NAMES_2021, UNITS, WORDS, area_name, date_text, finlex_url, finnish_words, unit_decimals,
                                unit_text, word)


def test_units_are_written_out_in_each_language():
    assert [unit_text("henkeä", lang) for lang in ("fi", "sv", "en")] == ["henkeä", "personer", "persons"]
    assert [unit_text("kuntaa", lang) for lang in ("fi", "sv", "en")] == ["kuntaa", "kommuner", "municipalities"]
    assert unit_text("htv", "sv") == "årsverken" and unit_text("htv", "en") == "person-years"
    assert unit_text("%", "en") == "%" and unit_text("km²", "sv") == "km²"
    ratio = {lang: unit_text("65+/100 15–64", lang) for lang in ("fi", "sv", "en")}
    assert ratio["en"] == "aged 65+ per 100 aged 15–64"
    assert all("/100" not in text for text in ratio.values())  # the catalogue's shorthand is no reader's unit
    assert unit_text("uusi yksikkö", "en") == "uusi yksikkö" and unit_text(None, "fi") == "" and unit_text(float("nan"), "sv") == ""
    assert unit_decimals("henkeä") == 0 and unit_decimals("%") == 1
    with pytest.raises(InvalidParameter):
        unit_text("henkeä", "de")


def test_words_by_key_or_finnish_text():
    assert word("source", "sv") == "Källa" and word("Lähde", "en") == "Source" and word("lähde", "fi") == "Lähde"
    assert [word(w, "sv") for w in ("Väestö", "Aluerajat", "Lisenssi")] == ["Befolkning", "Områdesgränser", "Licens"]
    assert [word(w, "en") for w in ("Kyllä", "Ei", "En osaa sanoa")] == ["Yes", "No", "Don't know"]
    assert [word(w, "sv") for w in ("Kyllä", "Ei", "En osaa sanoa")] == ["Ja", "Nej", "Vet inte"]
    assert word("calculation_notebook", "en") == "Calculation notebook"
    with pytest.raises(KeyError, match="no shared word 'kissa'"):
        word("kissa", "en")


def test_every_entry_has_all_three_languages():
    for table in (UNITS, WORDS, AREA_NAMES_2021):
        for key, texts in table.items():
            assert set(texts) == {"fi", "sv", "en"} and all(texts.values()), key


def test_the_2021_area_names_translate_their_words_not_the_place_names():
    uusimaa = "Uusimaa (neljä hyvinvointialuetta ja Helsinki)"
    assert area_name(uusimaa, "fi") == uusimaa
    assert area_name(uusimaa, "sv") == "Nyland (fyra välfärdsområden och Helsingfors)"
    assert area_name(uusimaa, "en") == "Uusimaa (four wellbeing services counties and Helsinki)"
    assert area_name("Pirkanmaa, Etelä-Pohjanmaa, Kanta-Häme", "en") == "Pirkanmaa, South Ostrobothnia, Kanta-Häme"
    assert area_name("Kainuu", "sv") == "Kainuu"  # not a 2021 area: a name as it is
    assert word(uusimaa, "en") == AREA_NAMES_2021[uusimaa]["en"]


def test_finnish_words_lists_what_another_language_says_otherwise():
    en = finnish_words("en")
    assert en["henkeä"] == "persons" and en["Lähde"] == "Source" and "%" not in en and "km²" not in en
    assert finnish_words("fi") == {}


@pytest.mark.parametrize("value, lang, expected", [
    ("2026-12-05", "fi", "5.12.2026"), ("2026-12-05", "sv", "5.12.2026"), ("2026-12-05", "en", "5 December 2026"),
    (dt.date(2021, 8, 25), "en", "25 August 2021"), ("2023-04", "fi", "4/2023"), ("2023-04", "en", "April 2023"),
    ("2021", "en", "2021"), ("", "fi", ""), (None, "en", ""), ("ei päivä", "fi", "ei päivä"),
    # a timestamp: Finnish local time, the date only unless the clock is asked for
    ("2026-12-05T15:41:09+00:00", "fi", "5.12.2026"), ("2026-12-05T23:30:00Z", "en", "6 December 2026"),
])
def test_dates_in_the_readers_words(value, lang, expected):
    assert date_text(value, lang) == expected


def test_timestamps_with_the_clock_in_finnish_time_never_utc():
    moment = "2026-12-05T15:41:09+00:00"  # winter: UTC+2
    assert date_text(moment, "fi", time=True) == "5.12.2026 klo 17.41"
    assert date_text(moment, "sv", time=True) == "5.12.2026 kl. 17.41"
    assert date_text(moment, "en", time=True) == "5 December 2026, 17:41"
    assert date_text("2025-07-01T09:05:00+00:00", "fi", time=True) == "1.7.2025 klo 12.05"  # summer: UTC+3
    assert date_text(dt.datetime(2026, 12, 5, 15, 41), "fi", time=True) == "5.12.2026 klo 17.41"  # naive: UTC
    for lang in ("fi", "sv", "en"):
        text = date_text(moment, lang, time=True)
        assert "UTC" not in text and "T" not in text and "-" not in text


def test_finlex_links_in_the_pages_language():
    sv = "https://www.finlex.fi/sv/laki/alkup/2022/20220091"
    assert finlex_url(sv, "fi") == "https://www.finlex.fi/fi/laki/alkup/2022/20220091"
    assert finlex_url(sv, "sv") == sv
    assert finlex_url(sv, "en") == "https://www.finlex.fi/fi/laki/alkup/2022/20220091"  # no translation: the original
    assert finlex_url(sv, "en", "https://www.finlex.fi/en/laki/kaannokset/2022/en20220091") == \
        "https://www.finlex.fi/en/laki/kaannokset/2022/en20220091"
    assert finlex_url("https://example.org/fi/x", "sv") == "https://example.org/fi/x" and finlex_url("", "fi") == ""
