"""Citations of the original documents behind the models, surveys and pages, from one table: ``data/lahteet.csv``.

Pages and notebooks cite a document by its key (publisher or author, title, date, URL where the source gives one),
never by an internal file name.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

from helpers.base import config
from helpers.base.errors import ValidationError, invalid

SOURCES_FILE = "lahteet.csv"
COLUMNS = ["key", "publisher", "author", "title", "date", "url"]
_DATE = re.compile(r"\d{4}(-\d{2}-\d{2})?")
SOURCE_WORD = {"fi": "Lähde", "sv": "Källa", "en": "Source"}


@lru_cache(maxsize=2)
def _read(path: str, mtime_ns: int) -> pd.DataFrame:
    df = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False)
    where = f"data/{SOURCES_FILE}"
    if list(df.columns) != COLUMNS:
        raise ValidationError(f"{where}: columns {list(df.columns)}; expected {COLUMNS}")
    if df["key"].duplicated().any():
        raise ValidationError(f"{where}: duplicated keys {sorted(df.loc[df['key'].duplicated(), 'key'])}")
    for row in df.itertuples():
        if not (row.key and row.publisher and row.title):
            raise ValidationError(f"{where}: row {row.key or row.Index}: key, publisher and title are required")
        if not _DATE.fullmatch(row.date):
            raise ValidationError(f"{where}: row {row.key}: date {row.date!r} is not YYYY or YYYY-MM-DD")
        if row.url and not row.url.startswith("https://"):
            raise ValidationError(f"{where}: row {row.key}: url {row.url!r} is not an https address")
    return df.set_index("key", drop=False)


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
