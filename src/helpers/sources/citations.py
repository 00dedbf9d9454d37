"""Citations of the original documents behind the models, surveys and pages, from one table: ``data/lahteet.csv``.

Pages and notebooks cite a document by its key (publisher or author, title, date, URL where the source gives one),
never by an internal file name.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from helpers.base import config
from helpers.base.errors import ValidationError, invalid
from helpers.base.words import date_text, finlex_url, word

SOURCES_FILE = "lahteet.csv"
COLUMNS = ["key", "publisher", "author", "title", "date", "url"]
_DATE = re.compile(r"\d{4}(-\d{2}-\d{2})?")
SOURCE_WORD = {lang: word("source", lang) for lang in ("fi", "sv", "en")}
# English translations of cited acts, where Finlex publishes one (key -> address); none of the cited acts is recorded
# with one, so English pages link to the Finnish original.
TRANSLATIONS: dict[str, str] = {}


def parse_table(text: str) -> list[tuple[int, list[str]]]:
    """The records of a CSV text (the header first), each with the line it starts on. A line starting with ``#``
    (outside a quoted cell) is a comment and a blank line is skipped; a ``#`` inside a line is text (an address may
    carry a fragment: ``pandas.read_csv(comment="#")`` cut ``https://…/sivu#kohta`` to ``https://…/sivu``)."""
    starts: list[int] = []  # physical line of each line handed to the reader

    def lines():
        inside = False  # within a quoted cell that spans lines
        for number, line in enumerate(io.StringIO(text, newline=""), 1):
            if not inside and (line.startswith("#") or not line.strip()):
                continue
            starts.append(number)
            inside ^= line.count('"') % 2 == 1
            yield line

    reader = csv.reader(lines())
    records, used = [], 0
    for record in reader:
        records.append((starts[used], record))
        used = reader.line_num
    return records


def check_table(records: list[tuple[int, list[str]]], where: str = f"data/{SOURCES_FILE}") -> pd.DataFrame:
    """The citations table's rules, the ones every page that cites relies on (``records`` from :func:`parse_table`);
    raises ValidationError naming the file and line, the row (its key), the column, the value and the rule.
    Returns the table (strings)."""
    header_line, header = records[0] if records else (1, [])
    records = records[1:]
    if header != COLUMNS:
        raise ValidationError(f"{where} line {header_line}: columns {header}; expected {COLUMNS}")
    first_line: dict[str, int] = {}
    for line, record in records:
        row = record[0] if record and record[0] else f"{len(first_line) + 1}"
        if len(record) != len(COLUMNS):
            raise ValidationError(f"{where} line {line}: row {row}: {len(record)} cells; expected {len(COLUMNS)} "
                                  f"({', '.join(COLUMNS)}); a cell with a comma needs quotes")
        key, publisher, _author, title, date, url = record
        for column, value in (("key", key), ("publisher", publisher), ("title", title)):
            if not value.strip():
                raise ValidationError(f"{where} line {line}: row {row}: {column} is empty; key, publisher and title are required")
        if key in first_line:
            raise ValidationError(f"{where} line {line}: row {key}: key {key!r} is also on line {first_line[key]}; allowed: each key once")
        first_line[key] = line
        if not _DATE.fullmatch(date):
            raise ValidationError(f"{where} line {line}: row {key}: date {date!r} is not YYYY or YYYY-MM-DD")
        if len(date) > 4:
            try:
                datetime.date.fromisoformat(date)
            except ValueError:
                raise ValidationError(f"{where} line {line}: row {key}: date {date!r} is not a calendar date; allowed: YYYY or YYYY-MM-DD") from None
        if url and not url.startswith("https://"):
            raise ValidationError(f"{where} line {line}: row {key}: url {url!r} is not an https address; allowed: https://… or empty")
        if url and (not urlsplit(url).netloc or any(c.isspace() for c in url)):
            raise ValidationError(f"{where} line {line}: row {key}: url {url!r} is not a web address (no host, or a blank "
                                  "inside); allowed: https://host/… or empty")
    return pd.DataFrame([r for _, r in records], columns=COLUMNS, dtype=str)


@lru_cache(maxsize=2)
def _read(path: str, mtime_ns: int) -> pd.DataFrame:
    return check_table(parse_table(Path(path).read_text(encoding="utf-8-sig"))).set_index("key", drop=False)


def sources() -> pd.DataFrame:
    """The cited documents, one row per key (validated)."""
    path = config.DATA_DIR / SOURCES_FILE
    return _read(str(path), path.stat().st_mtime_ns)


def check_key(key: str) -> str:
    table = sources()
    if key not in table.index:
        raise invalid("source", key, table.index.tolist())
    return key


def format_date(date: str, lang: str = "fi") -> str:
    """``2020-02-13`` -> ``13.2.2020`` (fi, sv) or ``13 February 2020`` (en); a bare year stays as it is."""
    return date_text(date, lang)


def _url(row, lang: str) -> str:
    """The document's address for a page in ``lang`` (a Finlex page in the page's language; see ``finlex_url``)."""
    return finlex_url(row["url"], lang, TRANSLATIONS.get(row["key"])) if row["url"] else ""


def cite(key: str, *, url: bool = True, lang: str = "fi") -> str:
    """One-line citation: ``Publisher (Author): Title, 13.2.2020. https://…`` (the title in its own language, the
    date and a Finlex address in the page's)."""
    row = sources().loc[check_key(key)]
    who = row["publisher"] + (f" ({row['author']})" if row["author"] else "")
    text = f"{who}: {row['title']}, {format_date(row['date'], lang)}."
    return f"{text} {_url(row, lang)}" if url and row["url"] else text


def short_cite(key: str, lang: str = "fi") -> str:
    """Short form for figure notes, where a line must fit the figure: ``Publisher: Title, 13.2.2020``."""
    row = sources().loc[check_key(key)]
    return f"{row['publisher']}: {row['title']}, {format_date(row['date'], lang)}"


def document_url(key: str, lang: str = "fi") -> str:
    """The address of a cited document for a page in ``lang`` (empty when the source gives none)."""
    return _url(sources().loc[check_key(key)], lang)


def source_line(keys, lang: str = "fi") -> str:
    """``Lähde: …`` / ``Lähteet``-style line for one or more keys, in the page's language."""
    keys = [keys] if isinstance(keys, str) else list(dict.fromkeys(keys))
    word = SOURCE_WORD.get(lang, SOURCE_WORD["fi"])
    return f"{word}: " + " ".join(cite(k, lang=lang) for k in keys)


# --------------------------------------------------------------------------- a data table's source in reader words

# The source column of the indicator tables (helpers.tables.indicators) keeps the service's own names (a table id, a
# layer id); a page shows it as publisher, dataset, date and licence in its own language.
_PUBLISHER = {"Tilastokeskus": "statistics_finland"}
_DATA_WORDS = {
    "table": {"fi": "StatFin-taulukko {t}", "sv": "StatFin-tabell {t}", "en": "StatFin table {t}"},
    "division": {"fi": "aluejako {y}", "sv": "indelning {y}", "en": "{y} division"},
    "updated": {"fi": "päivitetty {d}", "sv": "uppdaterad {d}", "en": "updated {d}"},
    "change": {"fi": "muutos {a}–{b}", "sv": "förändring {a}–{b}", "en": "change {a}–{b}"},
    "population": {"fi": "kuntien väestö 31.12.{y} (väestöalueet, WFS)", "sv": "kommunernas befolkning 31.12.{y} (befolkningsområden, WFS)",
                   "en": "population of municipalities 31 December {y} (population areas, WFS)"},
    "boundaries": {"fi": "kuntapohjaiset tilastointialueet {y} (aluerajat 1:4\u00a0500\u00a0000)",
                   "sv": "kommunbaserade statistikområden {y} (gränser 1:4\u00a0500\u00a0000)",
                   "en": "municipality-based statistical units {y} (boundaries 1:4,500,000)"},
    "indicator": {"fi": "indikaattori {i}", "sv": "indikator {i}", "en": "indicator {i}"},
    "retrieved": {"fi": "haettu {d}", "sv": "hämtad {d}", "en": "retrieved {d}"},
}
_PXWEB = re.compile(r"^(?P<who>[^,(]+?) \(StatFin\), taulukko (?:\S+?_pxt_)?(?P<table>[^\s(]+?)(?:\.px)? \(aluejako (?P<div>\d{4})\)"
                    r", päivitetty (?P<updated>[\d-]*)(?:; muutos (?P<a>\d{4})–(?P<b>\d{4}))?; (?P<licence>.+)$")
_WFS = re.compile(r"^(?P<who>[^,(]+?) \(WFS vaestoalue\), vaestoalue:kunta_vaki(?P<year>\d{4})(?: \([^)]*\))?; (?P<licence>.+)$")
_BOUNDS = re.compile(r"^(?P<who>[^,(]+?) \(aluerajat\), kunta4500k_(?P<year>\d{4}); (?P<licence>.+)$")
_SOTKANET = re.compile(r"^THL, Sotkanet, indikaattori (?P<id>\d+); (?P<licence>.+)$")


def _publisher(name: str, lang: str) -> str:
    name = name.strip()
    return word(_PUBLISHER[name], lang) if name in _PUBLISHER else name


def reader_source(text, lang: str = "fi", retrieved=None) -> str:
    """A table's stored source (``Tilastokeskus (StatFin), taulukko 11re (aluejako 2026), päivitetty 2026-04-01;
    CC BY 4.0``) as a reader reads it in ``lang``: publisher, dataset, date, licence, with no layer or file name
    (``Statistics Finland, StatFin table 11re (2026 division), updated 1 April 2026, CC BY 4.0``); ``retrieved`` (a
    date or timestamp) adds when it was fetched. Text of another form is returned as it is."""
    w = {k: v[lang] for k, v in _DATA_WORDS.items()}
    text = str(text)
    parts = None
    if m := _PXWEB.match(text):
        parts = [_publisher(m["who"], lang), w["table"].format(t=m["table"]) + f" ({w['division'].format(y=m['div'])})"]
        if m["updated"]:
            parts.append(w["updated"].format(d=date_text(m["updated"], lang)))
        if m["a"]:
            parts.append(w["change"].format(a=m["a"], b=m["b"]))
    elif m := _WFS.match(text):
        parts = [_publisher(m["who"], lang), w["population"].format(y=m["year"])]
    elif m := _BOUNDS.match(text):
        parts = [_publisher(m["who"], lang), w["boundaries"].format(y=m["year"])]
    elif m := _SOTKANET.match(text):
        parts = ["THL, Sotkanet", w["indicator"].format(i=m["id"])]
    if parts is None:
        return text
    if retrieved:
        parts.append(w["retrieved"].format(d=date_text(retrieved, lang)))
    return ", ".join([*parts, m["licence"]])
