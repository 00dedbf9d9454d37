"""Client for Statistics Finland's PxWeb API v1 (StatFin).

The table's variable codes are read from its GET metadata, never hard-coded: on 8 June 2026 the codes changed
(``Alue``/``Vuosi``/``Tiedot`` became e.g. ``alue_23_20260101``/``timeperiod_y``/``contentscode``). Variables are
identified by role: the area variable carries ``map``, the time variable ``time: true``, the contents variable is the
one named Tiedot/Uppgifter/Information (or coded ``contentscode``); others (age, sex) by their text.
Answers in JSON-stat2 and the older ``json`` format are parsed into one long table whose category order follows
the metadata (the service orders categories that way, whatever the request order). The markers the answer puts on
values become the ``value_flags`` column (Finnish words, see ``helpers.sources.flags``): JSON-stat2 ``status`` symbols and
dataset/dimension/category ``note`` texts; in the ``json`` format the symbol in place of a value, value
``comments``, observation and column comments. A note or comment marks only the values it names: one tied to a value
(a value comment, a category note) marks that value's rows; a legend line ("* ennakkotieto") on a variable or the
table explains a mark and marks only the rows whose value code or label carries it ("2024*"), never every row (the
``json`` answer of table 13mp carries "* ennakkotieto" on its time column and names the two preliminary quarters in
value comments).
"""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.base import config
from helpers.sources import flags as value_flags
from helpers.base.errors import ValidationError, invalid
from helpers.sources.checks import Rules, check_values, requests_text
from helpers.sources.fetch import Fetched, fetch

BASE_URL = "https://pxdata.stat.fi/PxWeb/api/v1/fi/StatFin"
# Limits published by the service (GET .../api/v1/fi/?config): at most 100 000 cells per query and 30 calls per
# 10 s (older catalogue entry; a 2026 report says 120 000 cells, 40 calls / 60 s). Use the stricter of each.
MAX_CELLS = 100_000
CALLS_PER_WINDOW, WINDOW_S = 30, 60.0

ROLE_TEXTS = {
    "area": {"alue", "område", "area", "region"},
    "time": {"vuosi", "år", "year", "kuukausi", "vuosineljännes"},
    "contents": {"tiedot", "uppgifter", "information", "data"},
    "age": {"ikä", "ålder", "age"},
    "sex": {"sukupuoli", "kön", "sex", "gender"},
}


@dataclass
class Variable:
    code: str
    text: str
    values: list[str]
    value_texts: list[str]
    elimination: bool = False
    time: bool = False
    map: str | None = None


@dataclass
class TableMeta:
    url: str
    title: str
    variables: list[Variable]
    roles: dict[str, Variable] = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)

    def role(self, name: str) -> Variable:
        try:
            return self.roles[name]
        except KeyError:
            raise ValidationError(
                f"{self.url}: no {name} variable could be identified; variables: "
                + ", ".join(f"{v.code} ({v.text})" for v in self.variables)
            ) from None


def parse_metadata(data: dict, url: str) -> TableMeta:
    """GET answer -> TableMeta with variables identified by role (errors name what could not be identified)."""
    if not isinstance(data, dict) or not isinstance(data.get("variables"), list):
        raise ValidationError(f"{url}: table metadata has no 'variables' list")
    variables = []
    for v in data["variables"]:
        try:
            variables.append(Variable(code=v["code"], text=v["text"], values=list(v["values"]), value_texts=list(v.get("valueTexts", v["values"])),
                                      elimination=bool(v.get("elimination", False)), time=bool(v.get("time", False)), map=v.get("map")))
        except KeyError as exc:
            raise ValidationError(f"{url}: metadata variable lacks {exc}") from None
    meta = TableMeta(url=url, title=data.get("title", ""), variables=variables)
    for role in ("area", "time", "contents", "age", "sex"):
        found = [v for v in variables if _is_role(v, role)]
        if len(found) > 1:
            raise ValidationError(f"{url}: several variables look like the {role} variable: {[v.code for v in found]}")
        if found:
            meta.roles[role] = found[0]
    for role in ("area", "time", "contents"):
        meta.role(role)  # these three must exist
    return meta


def _is_role(v: Variable, role: str) -> bool:
    text = v.text.strip().lower()
    if role == "area":
        return v.map is not None or text in ROLE_TEXTS["area"]
    if role == "time":
        return v.time or text in ROLE_TEXTS["time"]
    if role == "contents":
        return v.code.lower() == "contentscode" or text in ROLE_TEXTS["contents"]
    return text in ROLE_TEXTS[role]


def table_url(table: str) -> str:
    """'11re' or '11re.px' -> full URL; a full URL passes through (older tables live in sub-folders)."""
    if table.startswith("http"):
        return table
    return f"{BASE_URL}/{table if table.endswith('.px') else table + '.px'}"


def get_metadata(table: str) -> TableMeta:
    url = table_url(table)
    answer = fetch("stat", url)
    meta = parse_metadata(answer.json(), url)
    meta.provenance = answer.provenance
    return meta


Selection = list[str] | str  # a list of value codes, or "*" for all


def build_query(meta: TableMeta, selections: dict[str, Selection], fmt: str = "json-stat2") -> dict:
    """POST body: one entry per selected variable, in metadata order. ``selections`` keys are roles
    (area, time, contents, age, sex) or variable codes; values are code lists or "*". Codes are checked against
    the metadata before anything is sent."""
    if fmt not in ("json-stat2", "json"):
        raise invalid("format", fmt, ["json-stat2", "json"])
    by_code: dict[str, Selection] = {}
    for key, sel in selections.items():
        var = meta.roles.get(key) or next((v for v in meta.variables if v.code == key), None)
        if var is None:
            raise invalid("variable", key, sorted(set(meta.roles) | {v.code for v in meta.variables}))
        if sel != "*":
            unknown = [s for s in sel if s not in var.values]
            if unknown:
                shown = var.values if len(var.values) <= 12 else var.values[:3] + ["…"] + var.values[-3:]
                raise invalid(f"{var.text} ({var.code})", unknown if len(unknown) > 1 else unknown[0], shown)
        by_code[var.code] = sel
    query = []
    for var in meta.variables:
        if var.code not in by_code:
            # A single-valued variable may be left out (the recorded 2026 queries omit contentscode).
            if not var.elimination and len(var.values) != 1:
                raise ValidationError(f"{meta.url}: variable {var.code} ({var.text}) cannot be left out (no elimination)")
            continue
        sel = by_code[var.code]
        selection = {"filter": "all", "values": ["*"]} if sel == "*" else {"filter": "item", "values": list(sel)}
        query.append({"code": var.code, "selection": selection})
    return {"query": query, "response": {"format": fmt}}


def cell_count(meta: TableMeta, query: dict) -> int:
    sizes = []
    for entry in query["query"]:
        var = next(v for v in meta.variables if v.code == entry["code"])
        sizes.append(len(var.values) if entry["selection"]["filter"] == "all" else len(entry["selection"]["values"]))
    return math.prod(sizes)


class _RateLimiter:
    """At most CALLS_PER_WINDOW POSTs per WINDOW_S seconds to the live service (the mirror is not limited)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.calls: list[float] = []

    def wait(self):
        with self.lock:
            now = time.monotonic()
            self.calls = [t for t in self.calls if now - t < WINDOW_S]
            if len(self.calls) >= CALLS_PER_WINDOW:
                time.sleep(WINDOW_S - (now - self.calls[0]))
            self.calls.append(time.monotonic())


_limiter = _RateLimiter()


def post_query(meta: TableMeta, query: dict) -> Fetched:
    cells = cell_count(meta, query)
    if cells > MAX_CELLS:
        raise ValidationError(f"{meta.url}: query asks for {cells} cells, the service allows {MAX_CELLS}; split it (see query_table)")
    if config.mirror_dir() is None:
        _limiter.wait()
    return fetch("stat", meta.url, method="POST", json_body=query)


def query_table(meta: TableMeta, selections: dict[str, Selection], fmt: str = "json-stat2") -> pd.DataFrame:
    """Build, send (in chunks of the time variable when a query is too large) and parse a query.
    Returns a long table with one column per variable code and ``value``; ``attrs['provenance']`` lists fetches.
    A cell given twice (the same codes of every variable) is an error naming the cell and the request."""
    query = build_query(meta, selections, fmt)
    chunks = [query]
    if cell_count(meta, query) > MAX_CELLS:
        time_var = meta.role("time")
        years = time_var.values if selections.get("time", "*") == "*" else list(selections["time"])
        per_year = cell_count(meta, query) // max(len(years), 1)
        step = max(1, MAX_CELLS // max(per_year, 1))
        chunks = [build_query(meta, {**selections, "time": years[i:i + step]}, fmt) for i in range(0, len(years), step)]
    frames, provenance = [], []
    for q in chunks:
        answer = post_query(meta, q)
        frames.append(parse_answer(answer, fmt))
        provenance.append(answer.provenance)
    df = pd.concat(frames, ignore_index=True)
    # One value per cell: a category listed twice, a row repeated in the 'json' format or chunks that overlap would
    # give a cell twice (and a sum over the areas would count it twice).
    dims = tuple(c for c in df.columns if c not in ("value", "value_flags"))
    area = meta.roles["area"].code
    time_code = meta.roles["time"].code
    check_values(df, Rules(keys=dims), what=f"Tilastokeskus PxWeb table {meta.url.rsplit('/', 1)[-1]}",
                 request=requests_text(provenance), area=area if area in df.columns else "area",
                 year=time_code if time_code in df.columns else "year")
    df.attrs["provenance"] = provenance
    return df


def parse_answer(answer: Fetched, fmt: str) -> pd.DataFrame:
    data = answer.json()
    where = f"{answer.provenance.get('method')} {answer.provenance.get('url')}"
    return parse_jsonstat2(data, where) if fmt == "json-stat2" else parse_json(data, where)


def parse_jsonstat2(data: dict, where: str = "answer") -> pd.DataFrame:
    """JSON-stat 2.0 dataset -> long table (dimension columns in ``id`` order, then ``value``; missing = NaN)."""
    try:
        ids, sizes, dims = data["id"], data["size"], data["dimension"]
        values = data["value"]
    except (KeyError, TypeError) as exc:
        raise ValidationError(f"{where}: not a JSON-stat2 dataset (missing {exc})") from None
    if len(ids) != len(sizes):
        raise ValidationError(f"{where}: JSON-stat2 'id' and 'size' differ in length")
    codes_per_dim = []
    for dim_id, size in zip(ids, sizes):
        index = dims[dim_id]["category"]["index"]
        codes = sorted(index, key=index.get) if isinstance(index, dict) else list(index)
        if len(codes) != size:
            raise ValidationError(f"{where}: dimension {dim_id} has {len(codes)} categories, size says {size}")
        codes_per_dim.append(codes)
    total = math.prod(sizes)
    if isinstance(values, dict):  # sparse form: {"position": value}
        dense = [None] * total
        for pos, v in values.items():
            dense[int(pos)] = v
        values = dense
    if len(values) != total:
        raise ValidationError(f"{where}: {len(values)} values for {total} cells (truncated answer?)")
    index = pd.MultiIndex.from_product(codes_per_dim, names=ids)
    df = index.to_frame(index=False)
    df["value"] = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").astype("float64")
    df["value_flags"] = _jsonstat2_flags(data, df, ids, total, where)
    df.attrs["updated"] = data.get("updated")
    df.attrs["label"] = data.get("label")
    df.attrs["source"] = data.get("source")
    return df


def parse_json(data: dict, where: str = "answer") -> pd.DataFrame:
    """PxWeb 'json' format -> long table (+ ``flags``). Values are strings; a symbol such as '.', '..', '...', '-'
    in place of a number marks a missing, suppressed or nil cell: the value is missing and the symbol is flagged."""
    try:
        columns, rows = data["columns"], data["data"]
    except (KeyError, TypeError) as exc:
        raise ValidationError(f"{where}: not a PxWeb json answer (missing {exc})") from None
    keys = [c["code"] for c in columns if c.get("type") in ("d", "t")]
    value_cols = [c["code"] for c in columns if c.get("type") == "c"]
    if not value_cols:
        raise ValidationError(f"{where}: no contents column in the answer")
    records = []
    for i, row in enumerate(rows):
        if len(row["key"]) != len(keys) or len(row["values"]) != len(value_cols):
            raise ValidationError(f"{where}: row {row} does not match the columns {keys + value_cols}")
        for content, v in zip(value_cols, row["values"]):
            records.append([*row["key"], content, v, i])
    df = pd.DataFrame(records, columns=[*keys, "__contents", "value", "__row"])
    raw = df["value"].astype(str).str.strip()
    numeric = pd.to_numeric(raw.where(~raw.isin(["", *value_flags.STATUS_WORDS])), errors="coerce")
    marks = _Marks(len(df))
    for symbol in sorted(set(raw[numeric.isna() & (raw != "")])):  # a symbol in place of the value
        marks.add(value_flags.status_word(symbol), (raw == symbol).to_numpy())
    df["value"] = numeric.astype("float64")
    time_col = next((c["code"] for c in columns if c.get("type") == "t"), None)
    years = df[time_col] if time_col else None

    def any_key_carries(mark):  # the answer has no value labels: a mark can only be on a value code
        return np.logical_or.reduce([_carries(df[k], mark) for k in keys]) if keys else np.zeros(len(df), dtype=bool)

    for c in columns:  # column comments: a contents column's comment is about its values, others about all rows
        if c.get("type") == "c":
            mask, marked = (df["__contents"] == c["code"]).to_numpy(), any_key_carries
        else:  # a legend on a variable ("* ennakkotieto" on Vuosineljännes) marks only its values carrying the mark
            mask, marked = None, (lambda mark, col=c["code"]: _carries(df[col], mark))
        marks.note(c.get("comment"), mask, years, table_wide=c.get("type") != "c", marked=marked)
    for comment in data.get("comments") or []:  # value comments: every row with that value code
        var, code = comment.get("variable"), comment.get("value")
        if var in keys:
            mask = (df[var] == code).to_numpy()
        elif var in value_cols:
            mask = (df["__contents"] == var).to_numpy()
        else:
            mask = None  # not tied to a column we know: it is still the answer's word on its values
        marks.note(comment.get("comment"), mask, years, marked=any_key_carries if var not in keys else None)
    for i, row in enumerate(rows):  # observation comments
        if row.get("comment"):
            marks.note(row["comment"], (df["__row"] == i).to_numpy(), None)
    df["value_flags"] = marks.column()
    df = df.drop(columns="__row")
    meta = (data.get("metadata") or [{}])[0]
    df.attrs["updated"] = meta.get("updated")
    df.attrs["label"] = meta.get("label")
    df.attrs["source"] = meta.get("source")
    return df


# A legend line of a note: a mark (``*``, ``**``, ``†``, ``#``…, optionally closed by ``)``) and what it means,
# e.g. "* ennakkotieto" or "*) ennakkotieto". Dots are not marks here: they are cell symbols (see flags.STATUS_WORDS).
_MARK_CHARS = "*†‡#¤§"
_LEGEND = re.compile(rf"^\s*([{re.escape(_MARK_CHARS)}]+)\)?\s*[=:–-]?\s*(\S.*?)\s*$")


def _legends(text) -> tuple[list[tuple[str, str]], str]:
    """A note -> its legend lines as (mark, meaning) and the rest of its text."""
    legends, rest = [], []
    for line in str(text or "").splitlines():
        m = _LEGEND.match(line)
        if m:
            legends.append((m.group(1), m.group(2)))
        else:
            rest.append(line)
    return legends, "\n".join(rest)


def _carries(texts: pd.Series, mark: str) -> np.ndarray:
    """Which value codes or labels carry the mark ("2024*" carries "*", not "**"; "2024**" carries "**")."""
    chars = re.escape(_MARK_CHARS)
    pattern = rf"(?<![{chars}]){re.escape(mark)}(?![{chars}])"
    return texts.astype(str).str.contains(pattern, regex=True).to_numpy()


class _Marks:
    """Flag words per row of a long table, collected as boolean masks (one per word)."""

    def __init__(self, n: int):
        self.n = n
        self.masks: dict[str, np.ndarray] = {}

    def add(self, word: str, mask: np.ndarray | None = None):
        if not word:
            return
        m = np.ones(self.n, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        self.masks[word] = self.masks.get(word, np.zeros(self.n, dtype=bool)) | m

    def note(self, text, mask: np.ndarray | None, years: pd.Series | None, *, table_wide: bool = False, marked=None):
        """A free-text note on the rows in ``mask`` (all when None); a note naming years of the table's time
        variable flags only those years' rows ("Vuoden 2025 tiedot ovat ennakkotietoja").

        A legend line ("* ennakkotieto") explains a mark. On a note about a variable or the table, ``marked(mark)``
        gives the rows whose value code or label carries the mark, and only those (within ``mask``) are flagged: a
        legend whose mark no value carries flags nothing. On a note tied to one value (``marked`` None) the legend
        is that value's mark and flags the rows in ``mask``."""
        legends, rest = _legends(text)
        for mark, meaning in legends:
            if marked is None:
                self._words(meaning, mask, None, table_wide=table_wide)
            else:
                rows = np.asarray(marked(mark), dtype=bool)
                self._words(meaning, rows if mask is None else np.asarray(mask, dtype=bool) & rows, None)
        self._words(rest, mask, years, table_wide=table_wide)

    def _words(self, text, mask: np.ndarray | None, years: pd.Series | None, *, table_wide: bool = False):
        words = value_flags.note_words(text, table_wide=table_wide)
        if not words:
            return
        if years is not None:
            named = value_flags.note_years(text) & set(years.astype(str))
            if named:
                in_years = years.astype(str).isin(named).to_numpy()
                mask = in_years if mask is None else np.asarray(mask, dtype=bool) & in_years
        for word in words:
            self.add(word, mask)

    def column(self) -> list[str]:
        if not self.masks:
            return [""] * self.n
        words = sorted(self.masks)
        stacked = np.column_stack([self.masks[w] for w in words])
        return [value_flags.SEPARATOR.join(w for w, on in zip(words, row) if on) for row in stacked]


def _jsonstat2_flags(data: dict, df: pd.DataFrame, ids: list[str], total: int, where: str) -> list[str]:
    """JSON-stat2 ``status`` (array, {position: symbol} or one symbol for all cells) and notes -> flags per cell."""
    marks = _Marks(total)
    status = data.get("status")
    if isinstance(status, str):
        status = [status] * total
    elif isinstance(status, dict):
        dense = [None] * total
        for pos, sym in status.items():
            if not str(pos).isdigit() or int(pos) >= total:
                raise ValidationError(f"{where}: status position {pos!r} outside the {total} cells")
            dense[int(pos)] = sym
        status = dense
    if status is not None:
        if not isinstance(status, list) or len(status) != total:
            raise ValidationError(f"{where}: {len(status) if isinstance(status, list) else type(status).__name__} status entries for {total} cells")
        symbols = pd.Series(status, dtype="object").fillna("").astype(str).str.strip()
        for symbol in sorted(set(symbols) - {""}):
            marks.add(value_flags.status_word(symbol), (symbols == symbol).to_numpy())
    time_ids = (data.get("role") or {}).get("time") or []
    time_dim = next((d for d in ids if d in time_ids), None)
    years = df[time_dim] if time_dim else None

    def dim_carries(dim_id: str, mark: str) -> np.ndarray:  # categories whose code or label carries the mark
        labels = (data["dimension"][dim_id].get("category") or {}).get("label") or {}
        codes = pd.Series(df[dim_id].unique(), dtype="object")
        texts = codes.map(lambda code: f"{code} {labels.get(code, '')}")
        return df[dim_id].isin(set(codes[_carries(texts, mark)])).to_numpy()

    def any_dim_carries(mark: str) -> np.ndarray:
        return np.logical_or.reduce([dim_carries(d, mark) for d in ids])

    for text in data.get("note") or []:
        marks.note(text, None, years, table_wide=True, marked=any_dim_carries)
    for dim_id in ids:
        dim = data["dimension"][dim_id]
        for text in dim.get("note") or []:
            marks.note(text, None, years, table_wide=True, marked=lambda mark, d=dim_id: dim_carries(d, mark))
        category = dim.get("category") or {}
        for code, texts in (category.get("note") or {}).items():
            mask = (df[dim_id] == code).to_numpy()
            for text in texts if isinstance(texts, list) else [texts]:
                marks.note(text, mask, years)
        for code, label in (category.get("label") or {}).items():  # e.g. a year labelled "2025 ennakko"
            if value_flags.note_words(label):
                marks.note(label, (df[dim_id] == code).to_numpy(), None)
    return marks.column()


def area_to_municipality_code(code: str) -> str | None:
    """'KU091' -> '091'; 'SSS' (whole country) -> None."""
    if code == "SSS":
        return None
    if code.startswith("KU") and code[2:].isdigit():
        return code[2:].zfill(3)
    raise ValidationError(f"area code {code!r} is not a municipality (KUnnn) or the whole country (SSS)")


