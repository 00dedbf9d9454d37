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
* Exactly one byte order mark: ``csv_text`` starts with it, so its text is written as plain UTF-8 (``write_csv``,
  ``table_files``); a column name that still carries the mark of a CSV read back without ``utf-8-sig`` (pandas'
  default ``utf-8`` keeps it as the first name's first character) loses it, so such a table written again does not
  start with two marks.

The same table as an Excel workbook (``write_xlsx``): numbers stored as numbers, rounded as in the CSV, with an Excel
number format of the same decimals (Excel shows the decimal comma of the reader's regional settings: in the file a
format is always written with a point), text as text (never a formula), the column names as headers.
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
from helpers.tables.aggregate import refuse_former_flag_column
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


BOM = "\ufeff"


def column_name(col) -> str:
    """A column name as a header: text, without the byte order mark a CSV read as plain ``utf-8`` leaves on it."""
    return str(col).lstrip(BOM)


def csv_text(df: pd.DataFrame, *, lang: str = "fi", decimals: Mapping[str, int] | None = None) -> str:
    """The table as CSV text in ``lang``'s format, beginning with the one byte order mark: write it as plain UTF-8
    (``encoding="utf-8"``; ``utf-8-sig`` would add a second mark), or use ``write_csv``."""
    delimiter, decimal = CSV_FORMAT[check_lang(lang)]
    decimals = dict(decimals or {})
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([guard_text(column_name(c)) for c in df.columns])
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
    return BOM + out.getvalue()


def write_csv(df: pd.DataFrame, path: str | Path, *, lang: str = "fi", decimals: Mapping[str, int] | None = None) -> Path:
    """Write the table as the site's CSV (``csv_text``: one byte order mark, ``lang``'s delimiter and decimal
    separator, ``decimals`` as the page rounds) atomically, and return its path."""
    from helpers.base.files import atomic_write_text

    path = Path(path)
    atomic_write_text(path, csv_text(df, lang=lang, decimals=decimals))
    return path


SHEET_NAMES = {"fi": "Taulukko", "sv": "Tabell", "en": "Table"}
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def number_format(decimals: int | None, integer: bool = False) -> str:
    """Excel's number format for a column shown with ``decimals`` decimals (None: as stored, "General"); the same
    digits as the CSV and the page, no thousands separator (as in the CSV). Excel shows the decimal separator of the
    reader's regional settings (a comma in fi/sv), whatever the file says."""
    if decimals is None:
        return "0" if integer else "General"
    return "0" if decimals <= 0 else "0." + "0" * int(decimals)


def _cell_number(value, decimals: int | None):
    """A number for a workbook cell: rounded as the CSV rounds it (``format_number``), a rounded zero unsigned."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    x = float(value)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"  # no infinity in a workbook: as the CSV writes it
    if decimals is not None:
        x = float(f"{x:.{decimals}f}")
    return x + 0.0  # -0.0 -> 0.0


def write_xlsx(df: pd.DataFrame, path: str | Path, *, lang: str = "fi", decimals: Mapping[str, int] | None = None,
               labels: Mapping[str, str] | None = None, sheet: str | None = None) -> Path:
    """Write the table as an Excel workbook (.xlsx, one sheet) atomically and return its path.

    Headers are the column names, or ``labels[name]`` (e.g. ``helpers.notebook.COLUMN_LABELS["fi"]`` for a tidy
    table's Finnish headers); ``decimals`` (by column name or label) sets a numeric column's rounding and number
    format, as in the CSV (``number_format``); other numeric columns are stored unrounded ("General", whole numbers
    "0"). Numbers stay numbers, missing values are empty cells, text is stored as text (a cell beginning with ``=``
    is not a formula). The header row is bold and frozen. The sheet is named ``sheet`` (default "Taulukko" /
    "Tabell" / "Table" by ``lang``).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from helpers.base.files import atomic_write

    lang = check_lang(lang)
    labels, decimals = dict(labels or {}), dict(decimals or {})
    title = _SHEET_FORBIDDEN.sub(" ", sheet or SHEET_NAMES[lang]).strip()[:31] or SHEET_NAMES[lang]
    book = Workbook()
    ws = book.active
    ws.title = title

    def text_cell(row: int, col: int, text: str):
        cell = ws.cell(row=row, column=col)
        cell.value = text
        cell.data_type = "s"  # openpyxl would store "=..." as a formula
        return cell

    widths = []
    for j, col in enumerate(df.columns, start=1):
        name = column_name(col)
        header = column_name(labels.get(str(col), labels.get(name, name)))
        text_cell(1, j, header).font = Font(bold=True)
        series = df.iloc[:, j - 1]
        width = len(header)
        if _numeric(series):
            d = decimals.get(str(col), decimals.get(name, decimals.get(header)))
            fmt = number_format(d, pd.api.types.is_integer_dtype(series))
            for i, v in enumerate(series.tolist(), start=2):
                if _is_missing(v):
                    continue
                cell = ws.cell(row=i, column=j, value=_cell_number(v, d))
                cell.number_format = fmt
                width = max(width, len(format_number(v, decimals=d)))
        else:
            for i, v in enumerate(series.tolist(), start=2):
                if not _is_missing(v):
                    width = max(width, len(text_cell(i, j, str(v)).value))
        widths.append(width)
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 60)
    ws.freeze_panes = "A2"
    path = Path(path)
    atomic_write(path, lambda tmp: book.save(tmp))
    return path


def _flag_meanings(df: pd.DataFrame, lang: str, given: Mapping[str, str] | None) -> dict[str, str]:
    """Flag word -> meaning for the flags the table carries (its ``value_flags`` column, its ``attrs['flag_meanings']``),
    plus any the caller names."""
    refuse_former_flag_column(df)
    found: dict[str, str] = {}
    attrs = getattr(df, "attrs", {}).get("flag_meanings") or {}
    if "value_flags" in df.columns:
        for value in df["value_flags"].dropna().astype(str):
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
