"""The numbers behind a page's table or figure as files a reader can download: a CSV and a metadata JSON beside the
page (``<page stem>.<name>.csv`` and ``.json``), written from the same DataFrame the page renders.

CSV format, chosen for the spreadsheet a reader here opens it with:

* UTF-8 with a byte order mark, so Excel reads å, ä and ö right (without the mark it guesses the legacy code page).
* Finnish and Swedish: ``;`` between fields and a decimal comma (what Excel expects in the fi/sv regional settings,
  where ``,`` is the decimal separator); English: ``,`` and a decimal point. No thousands separator, missing values
  empty, lines end in CRLF (RFC 4180). The JSON names the choice under ``csv_format``.
* Numbers: a column listed in ``decimals`` is rounded as the page table rounds it (the same ``f"{x:.{d}f}"`` as
  ``numbers.fmt_number``), so the CSV and the page show the same digits; other numeric columns are written unrounded
  (shortest exact decimal form, never exponent notation).
* Formula injection: a text cell (and a column name) beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage
  return gets a leading apostrophe, so a spreadsheet shows it as text instead of running it as a formula
  (OWASP's advice for CSV files). Numeric columns are never changed: a negative number stays a number. Markup in the
  data is written as it is: a CSV is not HTML, and the page's own escaping is Jinja2's.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd

from helpers.base.errors import ValidationError
from helpers.sources.flags import MEANINGS, SEPARATOR
from helpers.base.languages import LANGS, check_lang

# lang -> (field delimiter, decimal separator)
CSV_FORMAT = {"fi": (";", ","), "sv": (";", ","), "en": (",", ".")}
LABELS = {
    "fi": {"csv": "Lataa taulukko (CSV)", "json": "Tietojen kuvaus (JSON)", "title": "Tiedot ladattavina"},
    "sv": {"csv": "Ladda ner tabellen (CSV)", "json": "Beskrivning av uppgifterna (JSON)", "title": "Uppgifterna för nedladdning"},
    "en": {"csv": "Download the table (CSV)", "json": "About the data (JSON)", "title": "The data to download"},
}
FORMAT_NOTE = {
    "fi": "UTF-8 ja BOM-merkki (Excel näyttää å, ä, ö oikein); kentät erotettu puolipisteellä, desimaalipilkku, "
          "ei tuhaterottimia; puuttuva arvo on tyhjä. Tekstisolu, joka alkaa merkillä =, +, -, @, sarkain tai "
          "rivinvaihto, alkaa heittomerkillä ('), jottei taulukkolaskenta suorita sitä kaavana.",
    "sv": "UTF-8 med BOM (Excel visar å, ä, ö rätt); fälten skilda med semikolon, decimalkomma, inga "
          "tusentalsavgränsare; ett saknat värde är tomt. En textcell som börjar med =, +, -, @, tabb eller "
          "radbrytning inleds med apostrof (') så att kalkylprogrammet inte kör den som en formel.",
    "en": "UTF-8 with a byte order mark (Excel shows å, ä, ö right); fields separated by commas, decimal point, no "
          "thousands separators; a missing value is empty. A text cell beginning with =, +, -, @, tab or carriage "
          "return starts with an apostrophe (') so that a spreadsheet does not run it as a formula.",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A name becomes part of a file name beside the page: lower-case ASCII, digits, "_" and "-", no dots or slashes.
_NAME = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?")


def check_name(name) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValidationError(f"download name {name!r}: use 1-64 lower-case ASCII letters, digits, '_' and '-' "
                              "(starting and ending with a letter or digit)")
    return name


def guard_text(text: str) -> str:
    """A text cell as a spreadsheet should show it: with a leading apostrophe if it could start a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _is_missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def format_number(value, *, decimals: int | None = None, decimal: str = ",") -> str:
    """One number for the CSV: rounded to ``decimals`` as the page rounds it, else unrounded; no exponent."""
    if _is_missing(value):
        return ""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    x = float(value)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if decimals is not None:
        text = f"{abs(x):.{decimals}f}"
        negative = x < 0 and float(text) != 0  # numbers.fmt_number drops the sign of a value that rounds to zero
        text = ("-" if negative else "") + text
    else:
        text = np.format_float_positional(x, trim="-")
    return text.replace(".", decimal)


def _numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def csv_text(df: pd.DataFrame, *, lang: str = "fi", decimals: Mapping[str, int] | None = None) -> str:
    """The table as CSV text (the byte order mark included), in ``lang``'s format."""
    delimiter, decimal = CSV_FORMAT[check_lang(lang)]
    decimals = dict(decimals or {})
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([guard_text(str(c)) for c in df.columns])
    columns = []
    for i, col in enumerate(df.columns):
        series = df.iloc[:, i]
        if _numeric(series):
            d = decimals.get(str(col))
            columns.append([format_number(v, decimals=d, decimal=decimal) for v in series.tolist()])
        else:
            columns.append(["" if _is_missing(v) else guard_text(str(v)) for v in series.tolist()])
    for row in zip(*columns):
        writer.writerow(row)
    return "\ufeff" + out.getvalue()


def _flag_meanings(df: pd.DataFrame, lang: str, given: Mapping[str, str] | None) -> dict[str, str]:
    """Flag word -> meaning for the flags the table carries (its ``flags`` column, its ``attrs['flag_meanings']``),
    plus any the caller names."""
    found: dict[str, str] = {}
    attrs = getattr(df, "attrs", {}).get("flag_meanings") or {}
    if "flags" in df.columns:
        for value in df["flags"].dropna().astype(str):
            for word in filter(None, (w.strip() for w in value.split(SEPARATOR))):
                m = attrs.get(word)
                if isinstance(m, Mapping):
                    found[word] = m.get(lang) or m.get("fi") or word
                elif word in MEANINGS:
                    found[word] = MEANINGS[word][LANGS.index(lang)]
                else:
                    found[word] = str(m) if m else word
    found.update({str(k): str(v) for k, v in (given or {}).items()})
    return dict(sorted(found.items()))


_RETRIEVAL_KEYS = ("source", "source_title", "url", "fetched_at", "licence", "origin", "sha256")


def _retrievals(df: pd.DataFrame, given: list[dict] | None) -> list[dict]:
    """What was fetched for the table and when: as given, else the table's ``attrs['provenance']``."""
    records = given if given is not None else getattr(df, "attrs", {}).get("provenance") or []
    if isinstance(records, Mapping):
        records = [records]
    out, seen = [], set()
    for r in records:
        if not isinstance(r, Mapping):
            continue
        entry = {k: (str(r[k]) if r[k] is not None else None) for k in _RETRIEVAL_KEYS if k in r}
        key = json.dumps(entry, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(entry)
    return out


def metadata(df: pd.DataFrame, *, csv_name: str, page_name: str, title: str, sources: list[str], licence: str,
             definitions: Mapping[str, str] | None = None, units: Mapping[str, str] | None = None,
             decimals: Mapping[str, int] | None = None, flags: Mapping[str, str] | None = None,
             retrieved: list[dict] | None = None, lang: str = "fi", generated: datetime | None = None) -> dict:
    delimiter, decimal = CSV_FORMAT[check_lang(lang)]
    definitions, units, decimals = dict(definitions or {}), dict(units or {}), dict(decimals or {})
    columns = []
    for i, col in enumerate(df.columns):
        name, numeric = str(col), _numeric(df.iloc[:, i])
        entry = {"name": name, "type": "number" if numeric else "text", "definition": definitions.get(name, ""), "unit": units.get(name, "")}
        if numeric:
            entry["decimals"] = decimals.get(name)  # None: unrounded
        columns.append(entry)
    return {
        "title": title,
        "language": lang,
        "file": csv_name,
        "page": page_name,
        "rows": int(len(df)),
        "columns": columns,
        "sources": [str(s) for s in sources],
        "licence": licence,
        "retrieved": _retrievals(df, retrieved),
        "flags": _flag_meanings(df, lang, flags),
        "csv_format": {"encoding": "UTF-8 with byte order mark", "delimiter": delimiter, "decimal_separator": decimal,
                       "thousands_separator": None, "line_end": "CRLF", "missing_value": "",
                       "numbers": "rounded as on the page where a column gives decimals, else unrounded",
                       "formula_guard": "text cells beginning with = + - @ tab or CR start with an apostrophe (')",
                       "note": FORMAT_NOTE[lang]},
        "generated": (generated or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
    }


def table_files(df: pd.DataFrame, *, page: Path, name: str, title: str, sources: list[str], licence: str,
                definitions: dict[str, str] | None = None, flags: dict[str, str] | None = None,
                retrieved: list[dict] | None = None, lang: str = "fi", units: dict[str, str] | None = None,
                decimals: dict[str, int] | None = None) -> dict:
    """Write ``<page stem>.<name>.csv`` and ``.json`` beside ``page`` (atomically) and return the links for the
    ``download_links`` macro: ``{"csv": href, "json": href, "label": {...}}``, hrefs relative to the page.

    ``definitions`` and ``units``: column -> text; ``decimals``: column -> the decimals the page table shows (those
    columns are rounded the same way; the rest are unrounded); ``flags``: flag word -> meaning (the table's own flags
    are explained from its ``flags`` column and ``attrs``); ``retrieved``: fetch records (source, url, fetched_at,
    licence, ...; default: the table's ``attrs['provenance']``)."""
    from helpers.base.files import atomic_write_text

    name = check_name(name)
    lang = check_lang(lang)
    page = Path(page)
    folder = page.parent
    csv_path, json_path = folder / f"{page.stem}.{name}.csv", folder / f"{page.stem}.{name}.json"
    for target in (csv_path, json_path):  # belt and braces: the name is a slug, so this cannot leave the folder
        if target.resolve().parent != folder.resolve():
            raise ValidationError(f"download {target} is not beside its page {page}")
    meta = metadata(df, csv_name=csv_path.name, page_name=page.name, title=title, sources=sources, licence=licence,
                    definitions=definitions, units=units, decimals=decimals, flags=flags, retrieved=retrieved, lang=lang)
    atomic_write_text(csv_path, csv_text(df, lang=lang, decimals=decimals))
    atomic_write_text(json_path, json.dumps(meta, ensure_ascii=False, indent=1, default=str) + "\n")
    return {"csv": quote(csv_path.name), "json": quote(json_path.name), "label": dict(LABELS[lang]), "title": title}


def read_csv(path: Path, lang: str = "fi") -> pd.DataFrame:
    """A CSV written by ``table_files`` read back (for tests and notebooks): numbers as numbers, text as text."""
    delimiter, decimal = CSV_FORMAT[check_lang(lang)]
    return pd.read_csv(path, sep=delimiter, decimal=decimal, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
