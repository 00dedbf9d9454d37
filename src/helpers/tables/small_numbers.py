"""Values that rest on a small number of persons or events, and how far random variation could move a ranking.

A share or rate whose numerator is a count (``counts`` in ``data/indikaattorit.csv`` names the numerator) varies by
chance from year to year when the count is small: even a complete count describes a process, and a municipality of
100 residents moves a share by a point with one person. The model: the numerator is a Poisson count, the denominator
fixed; the exact (Garwood) 95 % interval of the count, scaled like the value. A value is *small* when its numerator is
below the indicator's threshold (catalogue column ``small_n``; empty = ``DEFAULT_SMALL_N``; ``0`` = never marked):
below 20 the count's relative standard error 1/√n exceeds 22 %, the limit at which the US National Center for Health
Statistics calls a rate unreliable. Statistics Finland publishes population counts unsuppressed; a cell Sotkanet
suppresses arrives without a value and is shown as missing.

Rankings: an area's rank could lie anywhere from 1 + the number of areas whose interval lies wholly above its own to
N − the number whose interval lies wholly below; neighbours whose intervals overlap do not differ beyond chance.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

DEFAULT_SMALL_N = 20
LEVEL = 0.95

TEXT = {
    "fi": {"mark": "◊", "column": "Sija (vaihteluväli)",
           "note": "◊ osoittaja alle {n}: arvo vaihtelee sattumalta paljon (suhteellinen keskivirhe yli {rse} %).",
           "ranks": "Sulkeissa sijat, jotka alue voisi saada pelkän satunnaisvaihtelun rajoissa (95 %:n väli, osoittaja "
                    "Poisson-jakautuneena): alueet, joiden välit menevät päällekkäin, eivät eroa toisistaan luotettavasti.",
           "unsure": "Vuonna {year} {k}/{n} alueen sija voisi satunnaisvaihtelun rajoissa olla toinen.",
           "legend": "katkoviivareuna: osoittaja alle {n}", "interval": "95 %:n väli {lo}–{hi}", "small": "osoittaja alle {n}"},
    "sv": {"mark": "◊", "column": "Plats (variationsintervall)",
           "note": "◊ täljaren under {n}: värdet varierar mycket av en slump (relativt medelfel över {rse} %).",
           "ranks": "Inom parentes de platser området kunde få enbart inom slumpvariationen (95 %-intervall, täljaren "
                    "Poissonfördelad): områden vars intervall överlappar skiljer sig inte tillförlitligt från varandra.",
           "unsure": "År {year} kunde {k}/{n} områdens plats vara en annan inom slumpvariationen.",
           "legend": "streckad kant: täljaren under {n}", "interval": "95 %-intervall {lo}–{hi}", "small": "täljaren under {n}"},
    "en": {"mark": "◊", "column": "Rank (range)",
           "note": "◊ numerator below {n}: the value varies a lot by chance (relative standard error above {rse} %).",
           "ranks": "In brackets the ranks the area could take by random variation alone (95 % interval, numerator as a "
                    "Poisson count): areas whose intervals overlap do not differ reliably.",
           "unsure": "In {year}, {k} of {n} areas could rank differently within random variation.",
           "legend": "dashed edge: numerator below {n}", "interval": "95 % interval {lo}–{hi}", "small": "numerator below {n}"},
}


def threshold(row: pd.Series) -> int | None:
    """The numerator below which a value of this catalogue row is small, or None when the row's values are not a
    count over a denominator (a sum, a change, a numerator that counts nothing)."""
    if row.get("aggregation") != "ratio" or str(row.get("numerator", "")) not in str(row.get("counts", "")).split():
        return None
    text = str(row.get("small_n", "") or "").strip()
    n = DEFAULT_SMALL_N if text == "" else int(text)
    return n or None


def threshold_problem(text: str) -> str | None:
    """What is wrong with a ``small_n`` cell of the catalogue, or None."""
    if str(text).strip() == "":
        return None
    try:
        n = int(str(text).strip())
    except ValueError:
        return f"small_n {text!r} is not a whole number; allowed: empty (= {DEFAULT_SMALL_N}), 0 (never marked) or a whole number > 0"
    return None if n >= 0 else f"small_n {text!r} is negative; allowed: empty, 0 or a whole number > 0"


def poisson_interval(count, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) interval of Poisson counts: (low, high), low 0 for a count of 0. χ²(q; 2n)/2 is the inverse
    regularised incomplete gamma function of n at q (scipy.special: scipy.stats would add seconds to every import)."""
    from scipy.special import gammaincinv

    n = np.asarray(count, dtype=float)
    a = (1 - level) / 2
    low = np.where(n > 0, gammaincinv(np.maximum(n, 1e-300), a), 0.0)
    high = gammaincinv(n + 1, 1 - a)
    return low, high


def mark(table: pd.DataFrame, row: pd.Series, scale: float = 100.0) -> pd.DataFrame:
    """``table`` (a tidy indicator table with ``numerator`` and ``denominator``) with the columns ``small``
    (numerator below the threshold), ``low`` and ``high`` (the 95 % interval of the value) and ``rank`` /
    ``rank_best`` / ``rank_worst`` per year (largest value first); ``scale``: N of the value's ``numerator /
    denominator × N`` (``indicators.value_scale``), used for a count of 0. Unchanged when the indicator has no threshold or
    the table no numerator; ``attrs['small_n']`` holds the threshold used (None when none)."""
    n = threshold(row)
    out = table.copy()
    out.attrs = dict(table.attrs)
    out.attrs["small_n"] = None
    if n is None or "numerator" not in out.columns or out["numerator"].isna().all():
        return out
    count = pd.to_numeric(out["numerator"], errors="coerce")
    den = pd.to_numeric(out["denominator"], errors="coerce")
    value = pd.to_numeric(out["value"], errors="coerce")
    # value per counted person: value / count, or for a count of 0 the catalogue's scale over the denominator
    per = np.where(count > 0, value / count.where(count > 0), scale / den)
    low, high = poisson_interval(count.fillna(0))
    ok = count.notna() & value.notna()
    out["small"] = ok & (count < n)
    out["low"] = np.where(ok, low * per, np.nan)
    out["high"] = np.where(ok, high * per, np.nan)
    out = add_rank_ranges(out)
    out.attrs["small_n"] = n
    return out


def add_rank_ranges(table: pd.DataFrame) -> pd.DataFrame:
    """Columns ``rank``, ``rank_best``, ``rank_worst`` per year from ``value``, ``low`` and ``high`` (an area
    without an interval counts as its value); missing values get no rank."""
    out = table.copy()
    for col in ("rank", "rank_best", "rank_worst"):
        out[col] = pd.array([pd.NA] * len(out), dtype="Int64")
    for _, idx in out.groupby("year").groups.items():
        part = out.loc[idx]
        v = pd.to_numeric(part["value"], errors="coerce")
        have = v.notna()
        lo = pd.to_numeric(part.get("low", v), errors="coerce").where(lambda s: s.notna(), v)
        hi = pd.to_numeric(part.get("high", v), errors="coerce").where(lambda s: s.notna(), v)
        vals, los, his = v[have].to_numpy(), lo[have].to_numpy(), hi[have].to_numpy()
        m = len(vals)
        rank = pd.Series(vals).rank(ascending=False, method="min").astype(int).to_numpy()
        best = 1 + (los[None, :] > his[:, None]).sum(axis=1)       # areas surely above
        worst = m - (his[None, :] < los[:, None]).sum(axis=1)      # minus areas surely below
        out.loc[v[have].index, "rank"] = rank
        out.loc[v[have].index, "rank_best"] = np.minimum(best, rank)
        out.loc[v[have].index, "rank_worst"] = np.maximum(worst, rank)
    return out


def rank_text(rank, best, worst) -> str:
    """"4" or "4 (2–7)"; "" for no rank."""
    if rank is None or pd.isna(rank):
        return ""
    rank, best, worst = int(rank), int(best), int(worst)
    return str(rank) if best == worst == rank else f"{rank} ({best}–{worst})"


def unsure_count(table: pd.DataFrame, year: int) -> tuple[int, int]:
    """(areas of ``year`` whose rank range holds more than their own rank, areas ranked)."""
    part = table[(table["year"] == year) & table["rank"].notna()]
    return int((part["rank_best"] != part["rank_worst"]).sum()), len(part)


def relative_error_text(n: int) -> int:
    """1/√n in whole per cent (rounded down, so "above" stays true)."""
    return int(math.floor(100 / math.sqrt(n)))
