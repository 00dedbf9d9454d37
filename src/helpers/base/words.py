"""Words the pages, notebooks and downloads share, in each reader's language: units, source-line labels, survey
answers, the 2021 model's area names, dates and Finlex links.

One table, so a Swedish or English page never shows a Finnish unit or label because one module kept its own copy.
The Finnish text is the key readers' words are looked up by (``word("Lähde", "en")`` -> ``"Source"``); a short
English key works too (``word("source", "sv")`` -> ``"Källa"``).
"""

from __future__ import annotations

import datetime as dt
import re

from helpers.base.languages import LANGS, check_lang

# Units as the indicator catalogue (data/indikaattorit.csv) and the models write them -> what a reader reads.
UNITS: dict[str, dict[str, str]] = {
    "henkeä": {"fi": "henkeä", "sv": "personer", "en": "persons"},
    "kuntaa": {"fi": "kuntaa", "sv": "kommuner", "en": "municipalities"},
    "65+/100 15–64": {"fi": "65 vuotta täyttänyttä 100 15–64-vuotiasta kohden", "sv": "65 år och äldre per 100 i åldern 15–64",
                      "en": "aged 65+ per 100 aged 15–64"},
    "%": {"fi": "%", "sv": "%", "en": "%"},
    "km²": {"fi": "km²", "sv": "km²", "en": "km²"},
    "km": {"fi": "km", "sv": "km", "en": "km"},
    "htv": {"fi": "htv", "sv": "årsverken", "en": "person-years"},
    "yhdistystä": {"fi": "yhdistystä", "sv": "föreningar", "en": "associations"},
}
# Units whose values are whole numbers on every page (others: one decimal unless the catalogue says otherwise).
WHOLE_NUMBER_UNITS = frozenset({"henkeä", "kuntaa", "km²", "yhdistystä"})

# Labels and short words; the key is a short English id, "fi" the Finnish text it is also found by.
WORDS: dict[str, dict[str, str]] = {
    # source lines
    "source": {"fi": "Lähde", "sv": "Källa", "en": "Source"},
    "sources": {"fi": "Lähteet", "sv": "Källor", "en": "Sources"},
    "population": {"fi": "Väestö", "sv": "Befolkning", "en": "Population"},
    "boundaries": {"fi": "Aluerajat", "sv": "Områdesgränser", "en": "Boundaries"},
    "licence": {"fi": "Lisenssi", "sv": "Licens", "en": "Licence"},
    "retrieved": {"fi": "haettu", "sv": "hämtad", "en": "retrieved"},
    "data_producer": {"fi": "tiedontuottaja", "sv": "uppgiftsproducent", "en": "data producer"},
    "base_map": {"fi": "pohja-aineisto Maanmittauslaitos", "sv": "basmaterial Lantmäteriverket", "en": "base data National Land Survey of Finland"},
    "statistics_finland": {"fi": "Tilastokeskus", "sv": "Statistikcentralen", "en": "Statistics Finland"},
    "population_grid": {"fi": "väestöruudukko", "sv": "befolkningsrutnät", "en": "population grid"},
    "municipal_population": {"fi": "kuntien väestö", "sv": "kommunernas befolkning", "en": "population of municipalities"},
    "calculation_notebook": {"fi": "Laskentamuistio", "sv": "Beräkningsanteckningar", "en": "Calculation notebook"},
    "recorded_answers": {"fi": "tallennetut lähdevastaukset", "sv": "sparade källsvar", "en": "recorded source answers"},
    "translation": {"fi": "käännös", "sv": "översättning", "en": "translation"},
    "site_translation": {"fi": "sivuston käännös", "sv": "webbplatsens översättning", "en": "the site's translation"},
    # survey answers
    "yes": {"fi": "Kyllä", "sv": "Ja", "en": "Yes"},
    "no": {"fi": "Ei", "sv": "Nej", "en": "No"},
    "dont_know": {"fi": "En osaa sanoa", "sv": "Vet inte", "en": "Don't know"},
    "no_answer": {"fi": "Ei vastausta", "sv": "Inget svar", "en": "No answer"},
}

# The 2021 support-structure model's areas (data/mallit/rakenne_2021.yaml names them in Finnish only), with the
# regions' Swedish and English names the pages use for the maakunnat elsewhere; the words around them translated.
AREA_NAMES_2021: dict[str, dict[str, str]] = {
    "Lappi, Kainuu, Pohjois-Pohjanmaa, Keski-Pohjanmaa": {
        "fi": "Lappi, Kainuu, Pohjois-Pohjanmaa, Keski-Pohjanmaa",
        "sv": "Lappland, Kajanaland, Norra Österbotten, Mellersta Österbotten",
        "en": "Lapland, Kainuu, North Ostrobothnia, Central Ostrobothnia"},
    "Pohjois-Savo, Etelä-Savo, Keski-Suomi, Pohjois-Karjala": {
        "fi": "Pohjois-Savo, Etelä-Savo, Keski-Suomi, Pohjois-Karjala",
        "sv": "Norra Savolax, Södra Savolax, Mellersta Finland, Norra Karelen",
        "en": "North Savo, South Savo, Central Finland, North Karelia"},
    "Pirkanmaa, Etelä-Pohjanmaa, Kanta-Häme": {
        "fi": "Pirkanmaa, Etelä-Pohjanmaa, Kanta-Häme",
        "sv": "Birkaland, Södra Österbotten, Egentliga Tavastland",
        "en": "Pirkanmaa, South Ostrobothnia, Kanta-Häme"},
    "Etelä-Karjala, Kymenlaakso, Päijät-Häme": {
        "fi": "Etelä-Karjala, Kymenlaakso, Päijät-Häme",
        "sv": "Södra Karelen, Kymmenedalen, Päijänne-Tavastland",
        "en": "South Karelia, Kymenlaakso, Päijät-Häme"},
    "Varsinais-Suomi, Satakunta, Pohjanmaa": {
        "fi": "Varsinais-Suomi, Satakunta, Pohjanmaa",
        "sv": "Egentliga Finland, Satakunta, Österbotten",
        "en": "Southwest Finland, Satakunta, Ostrobothnia"},
    "Uusimaa (neljä hyvinvointialuetta ja Helsinki)": {
        "fi": "Uusimaa (neljä hyvinvointialuetta ja Helsinki)",
        "sv": "Nyland (fyra välfärdsområden och Helsingfors)",
        "en": "Uusimaa (four wellbeing services counties and Helsinki)"},
}

_BY_FI = {v["fi"].casefold(): k for k, v in WORDS.items()}
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")
# The clock words before a local time: "5.12.2026 klo 17.41", "5.12.2026 kl. 17.41", "5 December 2026, 17:41".
_CLOCK = {"fi": " klo ", "sv": " kl. ", "en": ", "}
LOCAL_ZONE = "Europe/Helsinki"


def unit_text(unit, lang: str) -> str:
    """A unit as the reader of ``lang`` reads it: the catalogue's Finnish unit written out per language
    (``unit_text("henkeä", "en")`` -> ``"persons"``, ``unit_text("65+/100 15–64", "sv")`` -> ``"65 år och äldre per 100 i
    åldern 15–64"``, ``"%"`` and ``"km²"`` unchanged). A unit the table does not know is returned as it is
    (``""`` for a missing one), so a new catalogue unit shows rather than fails; add it to ``UNITS``.
    """
    check_lang(lang)
    if unit is None or unit != unit:  # None or NaN
        return ""
    unit = str(unit)
    return UNITS.get(unit, {}).get(lang, unit)


def unit_decimals(unit) -> int:
    """Decimals a value in ``unit`` is shown with when nothing else says: 0 for counts and areas, else 1."""
    return 0 if unit in WHOLE_NUMBER_UNITS else 1


def word(key_or_fi_text: str, lang: str) -> str:
    """A shared word in ``lang``, found by its key (``"source"``) or its Finnish text (``"Lähde"``, any case; a
    2021 area name in Finnish too). A word not in the table is a ``KeyError`` naming it: add it to ``WORDS``."""
    check_lang(lang)
    if key_or_fi_text in WORDS:
        return WORDS[key_or_fi_text][lang]
    if key_or_fi_text in AREA_NAMES_2021:
        return AREA_NAMES_2021[key_or_fi_text][lang]
    key = _BY_FI.get(str(key_or_fi_text).strip().casefold())
    if key is None:
        raise KeyError(f"no shared word {key_or_fi_text!r} in helpers.base.words.WORDS")
    return WORDS[key][lang]


def area_name(name: str, lang: str) -> str:
    """A 2021 model area's name in ``lang`` (another name is returned unchanged: a place name is a name)."""
    check_lang(lang)
    return AREA_NAMES_2021.get(name, {}).get(lang, name) if isinstance(name, str) else name


def finnish_words(lang: str) -> dict[str, str]:
    """Every Finnish text of the table whose ``lang`` text differs -> that text (what a page in ``lang`` must not
    show in Finnish)."""
    check_lang(lang)
    out = {}
    for table in (UNITS, WORDS, AREA_NAMES_2021):
        for texts in table.values():
            if texts[lang] != texts["fi"]:
                out[texts["fi"]] = texts[lang]
    return out


_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def _parse(value) -> tuple[dt.date | dt.datetime | None, str]:
    """(date or datetime, precision "year"/"month"/"day"/"time") of a date, datetime or ISO string."""
    if isinstance(value, dt.datetime):
        return value, "time"
    if isinstance(value, dt.date):
        return value, "day"
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return value.to_pydatetime(), "time"
    text = str(value).strip()
    m = _ISO_DATE.match(text)
    if m:
        y, mo, d = m.groups()
        if d:
            return dt.date(int(y), int(mo), int(d)), "day"
        if mo:
            return dt.date(int(y), int(mo), 1), "month"
        return dt.date(int(y), 1, 1), "year"
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")), "time"
    except ValueError:
        return None, text


def local_time(moment: dt.datetime) -> dt.datetime:
    """A moment in Finnish local time (a naive one is taken as UTC, as the manifest and provenance write them)."""
    from zoneinfo import ZoneInfo

    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(ZoneInfo(LOCAL_ZONE))


def date_text(value, lang: str, time: bool = False) -> str:
    """A date as a reader of ``lang`` writes it: fi and sv ``"5.12.2026"``, en ``"5 December 2026"``; a month
    ``"4/2023"`` / ``"April 2023"``, a year as is. A timestamp (datetime or ISO string with a time) is shown in
    Finnish local time, as its date only or, with ``time=True``, with the clock: ``"5.12.2026 klo 17.41"``,
    ``"5.12.2026 kl. 17.41"``, ``"5 December 2026, 17:41"`` — never ISO, never UTC. Text that is no date is
    returned unchanged; ``None`` or NaN is ``""``."""
    check_lang(lang)
    if value is None or (isinstance(value, float) and value != value) or str(value) in ("", "NaT", "nan", "None"):
        return ""
    parsed, precision = _parse(value)
    if parsed is None:
        return precision  # not a date: the text itself
    if precision == "time":
        parsed = local_time(parsed)
    if precision == "year":
        return str(parsed.year)
    if precision == "month":
        return f"{MONTHS_EN[parsed.month - 1]} {parsed.year}" if lang == "en" else f"{parsed.month}/{parsed.year}"
    day = f"{parsed.day} {MONTHS_EN[parsed.month - 1]} {parsed.year}" if lang == "en" else f"{parsed.day}.{parsed.month}.{parsed.year}"
    if precision == "time" and time:
        sep = ":" if lang == "en" else "."
        return f"{day}{_CLOCK[lang]}{parsed.hour:02d}{sep}{parsed.minute:02d}"
    return day


_FINLEX = re.compile(r"^(https?://(?:www\.)?finlex\.fi/)(fi|sv|en)(/.*)$")


def finlex_url(url: str | None, lang: str, translation_url: str | None = None) -> str | None:
    """A Finlex link in the page's language: ``/fi/…`` on Finnish pages, ``/sv/…`` on Swedish ones; on English
    pages the English translation when one is recorded (``translation_url``), otherwise the Finnish page (Finlex
    has no English original). Any other address is returned unchanged."""
    check_lang(lang)
    if not url:
        return url
    m = _FINLEX.match(str(url))
    if not m:
        return url
    if lang == "en":
        return translation_url or f"{m.group(1)}fi{m.group(3)}"
    return f"{m.group(1)}{lang}{m.group(3)}"


# Where a long compound may break in a narrow column (a soft hyphen: a hyphen shows only when it breaks there).
# Without it "specialupptagningsområden" kept the Swedish decision table 1 340 px wide on a 1 280 px screen.
COMPOUND_BREAKS = {
    "specialupptagningsområden": "special\u00adupptagnings\u00adområden",
    "samarbetsområden": "samarbets\u00adområden",
    "erityisvastuualueet": "erityis\u00advastuualueet",
    "yhteistyöalueet": "yhteistyö\u00adalueet",
}


def breakable(text: str) -> str:
    """``text`` with soft hyphens at the joints of the long compounds above (a header in a narrow column)."""
    for word, marked in COMPOUND_BREAKS.items():
        text = text.replace(word, marked)
    return text


__all__ = ["LANGS", "UNITS", "WORDS", "AREA_NAMES_2021", "unit_text", "unit_decimals", "word", "area_name",
           "finnish_words", "date_text", "local_time", "finlex_url", "COMPOUND_BREAKS", "breakable"]
