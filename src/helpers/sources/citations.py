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

SOURCES_FILE = "lahteet.csv"
COLUMNS = ["key", "publisher", "author", "title", "date", "url"]
_DATE = re.compile(r"\d{4}(-\d{2}-\d{2})?")
SOURCE_WORD = {"fi": "Lähde", "sv": "Källa", "en": "Source"}


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


def format_date(date: str) -> str:
    """``2020-02-13`` -> ``13.2.2020`` (the Finnish way; a bare year stays as it is)."""
    if len(date) == 4:
        return date
    y, m, d = date.split("-")
    return f"{int(d)}.{int(m)}.{y}"


def cite(key: str, *, url: bool = True) -> str:
    """One-line citation: ``Publisher (Author): Title, 13.2.2020. https://…``."""
    row = sources().loc[check_key(key)]
    who = row["publisher"] + (f" ({row['author']})" if row["author"] else "")
    text = f"{who}: {row['title']}, {format_date(row['date'])}."
    return f"{text} {row['url']}" if url and row["url"] else text


def short_cite(key: str) -> str:
    """Short form for figure notes, where a line must fit the figure: ``Publisher: Title, 13.2.2020``."""
    row = sources().loc[check_key(key)]
    return f"{row['publisher']}: {row['title']}, {format_date(row['date'])}"


def source_line(keys, lang: str = "fi") -> str:
    """``Lähde: …`` / ``Lähteet``-style line for one or more keys, in the page's language."""
    keys = [keys] if isinstance(keys, str) else list(dict.fromkeys(keys))
    word = SOURCE_WORD.get(lang, SOURCE_WORD["fi"])
    return f"{word}: " + " ".join(cite(k) for k in keys)
