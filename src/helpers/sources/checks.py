"""Values checked against their meaning: the one function every source's rows pass through (``check_values``).

A source answer can be well-formed and still wrong: a row given twice, a negative population, a share of -12.9 %.
Each client checks the keys of its answer here (Sotkanet area × year × gender, PxWeb every dimension, the WFS
population layer its municipality and counts), and ``helpers.tables.indicators`` checks every indicator's rows with
the rules the catalogue (``data/indikaattorit.csv``: ``kind``, ``min``, ``max``, ``counts``) declares for it:

* **keys**: one row per key (area × year × every other dimension);
* **counts**: the named columns hold counts (persons, municipalities): whole numbers ≥ 0;
* **value** (column ``value``, or ``numerator / denominator × scale`` when the rows have no value yet): finite; within
  the bounds (``count`` and ``amount`` ≥ 0, ``share`` 0–100, unless the catalogue declares others); a ``count`` whole;
* **denominator** (rows with numerator and denominator columns, e.g. Sotkanet's implied denominator absValue × 100 /
  value): finite and > 0 where given, so the value and its count agree (a share of 0 with a count of 5591, or a share
  of 12.9 with a count of 0, has no denominator).

Missing values are not checked (they stay missing, with the flags the source gave them). A broken rule raises
:class:`~helpers.base.errors.ValidationError` naming what was read (indicator or source), the request, each rule
broken and the offending rows (area code, year, value), e.g.::

    sotkanet_683 (THL, Sotkanet; GET https://sotkanet.fi/rest/1.1/json?indicator=683&years=2023&genders=total):
    share must be within 0–100: area 20 year 2023 = -12.9
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.base.errors import ValidationError

# The meaning of an indicator's value and the bounds it has unless the catalogue declares others.
KINDS = {
    "count": (0.0, None),     # how many (persons, municipalities): whole numbers ≥ 0
    "amount": (0.0, None),    # a measured quantity ≥ 0 that is not counted (area in km²)
    "share": (0.0, 100.0),    # part of a whole, in per cent
    "rate": (None, None),     # a change or frequency (e.g. population change %): finite, bounds as declared
    "ratio": (None, None),    # one quantity per another (e.g. 65+ per 100 aged 15–64): finite, bounds as declared
    "index": (None, None),    # relative to a base: finite, bounds as declared
}
MAX_ROWS_SHOWN = 5


@dataclass(frozen=True)
class Rules:
    """What the rows must satisfy (see the module docstring). Columns a frame does not have are not checked."""

    keys: tuple[str, ...] = ("area_code", "year")
    kind: str | None = None
    lo: float | None = None
    hi: float | None = None
    counts: tuple[str, ...] = ()
    numerator: str | None = None
    denominator: str | None = None
    scale: float = 100.0


def bounds(kind: str, lo: float | None = None, hi: float | None = None) -> tuple[float | None, float | None]:
    """The bounds of a kind's values: the declared ones, else the kind's own (``KINDS``)."""
    default_lo, default_hi = KINDS[kind]
    return (default_lo if lo is None else lo, default_hi if hi is None else hi)


def requests_text(provenance) -> str:
    """'METHOD URL' of the data requests among fetch records (the POSTs if any, else the first), for messages."""
    records = [p for p in (provenance if isinstance(provenance, list) else [provenance]) if isinstance(p, dict)]
    data = [p for p in records if str(p.get("method", "")).upper() == "POST"] or records[:1]
    text = ", ".join(dict.fromkeys(f"{p.get('method', 'GET')} {p.get('url')}" for p in data))
    return text or "request unknown"


def number(v) -> str:
    """A value as a message shows it: whole numbers without decimals, 'inf', 'missing'."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return repr(v)
    if math.isnan(f):
        return "missing"
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    return f"{f:.4f}".rstrip("0").rstrip(".") if 0.01 <= abs(f) < 1e15 else f"{f:.6g}"


def _bound_text(lo, hi) -> str:
    if lo is not None and hi is not None:
        return f"within {number(lo)}–{number(hi)}"
    return f"≥ {number(lo)}" if lo is not None else f"≤ {number(hi)}"


class _Rows:
    """Names rows of one frame: 'area 20 year 2023 = -12.9'."""

    def __init__(self, df: pd.DataFrame, area: str, year: str):
        self.df, self.area, self.year = df, area, year

    def label(self, i, cols=None) -> str:
        row = self.df.loc[i]
        parts = []
        for col in cols or [self.area, self.year]:
            if col not in self.df.columns:
                continue
            name = "area" if col == self.area else "year" if col == self.year else col
            value = row[col]
            parts.append(f"{name} {number(value) if col == self.year else value}")
        return " ".join(parts) or f"row {i}"

    def listing(self, mask: pd.Series, values: pd.Series | None) -> str:
        idx = list(mask[mask].index)
        shown = [self.label(i) + (f" = {number(values.loc[i])}" if values is not None else "") for i in idx[:MAX_ROWS_SHOWN]]
        more = f" and {len(idx) - MAX_ROWS_SHOWN} more" if len(idx) > MAX_ROWS_SHOWN else ""
        return ", ".join(shown) + more


def _numeric(df: pd.DataFrame, col: str) -> pd.Series:
    return pd.to_numeric(df[col], errors="coerce").astype("float64")


def problems(df: pd.DataFrame, rules: Rules, *, area: str = "area_code", year: str = "year") -> list[str]:
    """Every rule ``df`` breaks, each as 'rule: rows' (empty when the rows are fine)."""
    df = df.reset_index(drop=True)
    rows = _Rows(df, area, year)
    out: list[str] = []
    keys = [k for k in rules.keys if k in df.columns]
    if keys:
        dup = df.duplicated(keys, keep=False)
        if dup.any():
            by = keys if len(keys) > 1 else keys[0]
            groups = list(df[dup].groupby(by, sort=True, dropna=False).groups.values())
            labels = [f"{rows.label(members[0], keys)} ×{len(members)}" for members in groups[:MAX_ROWS_SHOWN]]
            more = f" and {len(groups) - MAX_ROWS_SHOWN} more" if len(groups) > MAX_ROWS_SHOWN else ""
            names = " × ".join("area" if k == area else "year" if k == year else k for k in keys)
            out.append(f"rows not unique ({names}): " + ", ".join(labels) + more)
    bad_counts = {}
    for col in rules.counts:
        if col not in df.columns:
            continue
        v = _numeric(df, col)
        given = v.notna() | df[col].notna()
        bad = given & ~(np.isfinite(v) & (v >= 0) & (np.abs(v - np.round(v)) < 1e-9))
        if bad.any():
            bad_counts[col] = (bad, v)
    if bad_counts:
        any_bad = np.logical_or.reduce([bad for bad, _ in bad_counts.values()])
        idx = list(df.index[any_bad])
        shown = [rows.label(i) + " (" + ", ".join(f"{col} = {number(v.loc[i])}" for col, (bad, v) in bad_counts.items() if bad.loc[i]) + ")"
                 for i in idx[:MAX_ROWS_SHOWN]]
        more = f" and {len(idx) - MAX_ROWS_SHOWN} more" if len(idx) > MAX_ROWS_SHOWN else ""
        out.append("counts must be whole numbers ≥ 0: " + ", ".join(shown) + more)
    num, den = rules.numerator, rules.denominator
    has_parts = bool(num and den and num in df.columns and den in df.columns)
    if rules.kind is not None:
        if "value" in df.columns:
            v, what = _numeric(df, "value"), rules.kind
        elif has_parts:
            n, d = _numeric(df, num), _numeric(df, den)
            v = (n / d.where(d > 0)) * rules.scale
            v = v.where(n.notna() & d.notna() & (d > 0))  # a denominator ≤ 0 is reported below
            what = f"{rules.kind} ({num} / {den} × {number(rules.scale)})"
        else:
            v = None
        if v is not None:
            lo, hi = bounds(rules.kind, rules.lo, rules.hi)
            infinite = np.isinf(v)
            if infinite.any():
                out.append(f"{what} must be finite: {rows.listing(infinite, v)}")
            finite = v.notna() & ~infinite
            if lo is not None or hi is not None:
                outside = finite & (((v < lo) if lo is not None else False) | ((v > hi) if hi is not None else False))
                if outside.any():
                    out.append(f"{what} must be {_bound_text(lo, hi)}: {rows.listing(outside, v)}")
            if rules.kind == "count":
                fraction = finite & (np.abs(v - np.round(v)) >= 1e-9)
                if fraction.any():
                    out.append(f"{what} must be a whole number: {rows.listing(fraction, v)}")
    if has_parts:  # e.g. Sotkanet's implied denominator: a value and its count that do not agree have none
        d = _numeric(df, den)
        bad = d.notna() & ~(np.isfinite(d) & (d > 0))
        if bad.any():
            out.append(f"denominator {den} must be finite and > 0: {rows.listing(bad, d)}")
    return out


def check_values(df: pd.DataFrame, rules: Rules, *, what: str, request: str, area: str = "area_code",
                 year: str = "year") -> None:
    """Raise ValidationError '{what} ({request}): rule: rows; rule: rows' when ``df`` breaks a rule.

    ``what`` names the data (an indicator id and its source, or a source), ``request`` the request(s) it came from
    (``requests_text(provenance)``); ``area`` and ``year`` are the columns that name a row.
    """
    found = problems(df, rules, area=area, year=year)
    if found:
        raise ValidationError(f"{what} ({request}): " + "; ".join(found))
