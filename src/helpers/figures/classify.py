"""Class breaks for choropleths: quantiles (mapclassify's, computed without importing it), natural breaks
(Fisher–Jenks, mapclassify) or fixed bins, and the legend's labels.

Two rules keep a map honest. A map of few areas (at most ``FEW_VALUES`` distinct values: the 5 + 1 collaborative
areas, the special responsibility areas) gets one class per distinct value: quantiles of six values made classes 0,1
points wide and gave two areas 3,5 points apart one colour. And values are classed as the page shows them (rounded
to the page's decimals), so the legend's limits are values a reader sees, and two classes never share a limit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.base.errors import invalid

SCHEMES = ("quantiles", "natural_breaks", "fixed")
FEW_VALUES = 7  # up to this many distinct values, one class (colour) per value
MAX_CLASSES = 9  # more classes than this a reader cannot tell apart in a legend: a ramp instead (``legend_entries``)


def check_scheme(scheme: str, bins=None) -> list[float] | None:
    """Check a classification request before any data is read: the scheme, and for ``fixed`` its bins."""
    if scheme not in SCHEMES:
        raise invalid("scheme", scheme, SCHEMES)
    if scheme == "fixed":
        if not bins or isinstance(bins, (str, bytes)) or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bins):
            raise invalid("bins", bins, "an increasing list of upper bounds (numbers) for scheme='fixed', e.g. bins=[20, 25, 30]")
        if list(bins) != sorted(bins) or len(set(bins)) != len(bins):
            raise invalid("bins", bins, "an increasing list of upper bounds for scheme='fixed'")
        return [float(b) for b in bins]
    if bins:
        raise invalid("bins", bins, f"bins are only used with scheme='fixed' (scheme={scheme!r} computes its own)")
    return None


def shown(values, decimals: int | None) -> pd.Series:
    """The values as the page prints them (rounded as ``fmt_number`` rounds: by the decimal text, not by float
    arithmetic, so 0,15 stays 0,1 in both); missing stays missing."""
    v = pd.to_numeric(pd.Series(values), errors="coerce").astype("float64")
    if decimals is None:
        return v
    return v.map(lambda x: x if pd.isna(x) else float(f"{x:.{int(decimals)}f}"))


def class_breaks(values: pd.Series, scheme: str = "quantiles", k: int = 5, bins: list[float] | None = None, *,
                 decimals: int | None = None, groups=None) -> list[float]:
    """Upper bounds of the classes (the last is the maximum): a value belongs to the first class whose bound is at
    or above it (``assign_classes``; the pages' scripts do the same). Missing values are left out of the fit.

    ``decimals``: the values are classed as the page shows them (see ``shown``): two values that read the same share
    a class, and each bound lies between its class's largest value and the next class's smallest (unrounded), so
    comparing unrounded values with the bounds gives the same classes. With at most ``FEW_VALUES`` distinct values every value is its own class,
    whatever ``scheme`` (not ``fixed``: its bins are the caller's). ``groups`` (one label per value, e.g. the year
    of each value of a series, the model of each unit): the bounds separate every two distinct values of a group of
    at most ``FEW_VALUES`` values (a map of few areas), so no such map puts two different values in one colour; the
    larger groups alone fit the scheme's ``k`` classes. With more than ``MAX_CLASSES`` classes then, one class per
    distinct value instead (a colour ramp by rank; ``legend_entries`` shows it as a ramp)."""
    if scheme not in SCHEMES:
        raise invalid("scheme", scheme, SCHEMES)
    raw = pd.to_numeric(pd.Series(values), errors="coerce").astype("float64")
    v = shown(raw, decimals)
    data = v.dropna().to_numpy(dtype=float)
    if data.size == 0:
        return []
    if scheme == "fixed":
        if not bins:
            raise invalid("bins", bins, "an increasing list of upper bounds for scheme='fixed'")
        if list(bins) != sorted(bins):
            raise invalid("bins", bins, "an increasing list")
        import mapclassify  # here, not at import: it pulls in scipy and numba (seconds), which few areas do not need

        return list(mapclassify.UserDefined(raw.dropna().to_numpy(dtype=float), bins=list(bins)).bins)
    distinct = np.unique(data)
    if len(distinct) <= FEW_VALUES:
        return _unrounded(raw, v, distinct)
    k = max(1, min(int(k), len(distinct)))
    groups = None if groups is None else pd.Series(list(groups), index=v.index)
    small = groups is not None and (v.groupby(groups.values).count() <= FEW_VALUES).any()
    if groups is not None and not (v.groupby(groups.values).count() > FEW_VALUES).any():
        out = []  # only maps of few areas: their values decide the classes alone
        tries = [0]
    else:
        subset = v if not small else v[groups.map(v.groupby(groups.values).count()).to_numpy() > FEW_VALUES]
        fit = subset.dropna().to_numpy(dtype=float)
        tries = list(range(min(k, len(np.unique(fit))), 0, -1)) + [0]
        out = _fitted(fit, distinct, scheme, tries[0])
    if small:
        # The small maps' gaps with the scheme's bounds for the larger maps, fewer of those while the classes are too
        # many, else a ramp.
        def count(b):  # the maximum closes the top class
            return len(b) + (not b or b[-1] != float(distinct[-1]))

        out = next((b for b in (_separating(v, groups, _fitted(fit, distinct, scheme, n) if n else []) for n in tries)
                    if count(b) <= MAX_CLASSES), None) if tries != [0] else _separating(v, groups, [])
        if out is None or count(out) > MAX_CLASSES:
            return _unrounded(raw, v, distinct)
    if not out or out[-1] != float(distinct[-1]):
        out.append(float(distinct[-1]))
    return _unrounded(raw, v, out)


def _fitted(fit: np.ndarray, distinct: np.ndarray, scheme: str, k: int) -> list[float]:
    """The scheme's ``k`` bounds on ``fit``; ties can give the same bound twice (an empty class), and a bound between
    two shown values moves down to the lower one."""
    if scheme == "quantiles":
        bins = quantile_bounds(fit, k)
    else:
        import mapclassify  # here, not at import: it pulls in scipy and compiles numba code (2,5 s)

        bins = mapclassify.FisherJenks(fit, k=k).bins
    return sorted({float(distinct[max(np.searchsorted(distinct, b, side="right") - 1, 0)]) for b in bins})


def quantile_bounds(values: np.ndarray, k: int) -> np.ndarray:
    """The bounds ``mapclassify.Quantiles(values, k).bins`` gives, to the last bit (tested against it): the same
    percentiles, interpolated as its ``scipy.stats.scoreatpercentile`` does. Computed here because importing
    mapclassify compiles its numba code, 2,5 s of every process that draws a map - the kernel server's start-up, on
    which the first runs of a refresh wait."""
    w = 100.0 / k
    percents = np.arange(w, 100 + w, w)
    if percents[-1] > 100.0:
        percents[-1] = 100.0
    ordered = np.sort(np.asarray(values, dtype=float))
    out = []
    for per in percents:
        idx = per / 100.0 * (ordered.size - 1)
        i = int(idx)
        if i == idx:
            out.append(ordered[i])
        else:
            weights = np.array([(i + 1 - idx), (idx - i)], float)
            out.append(np.add.reduce(ordered[i:i + 2] * weights) / weights.sum())
    return np.unique(np.array(out))


def _unrounded(raw: pd.Series, shown_values: pd.Series, bounds) -> list[float]:
    """Each bound (a shown value) as an unrounded one: half-way between the largest value that shows at or below it
    and the smallest that shows above it (the last: the maximum), so a value recomputed elsewhere with another last
    digit still falls in its class."""
    ok = raw.notna() & shown_values.notna()
    r, s = raw[ok].to_numpy(dtype=float), shown_values[ok].to_numpy(dtype=float)
    out = []
    for b in bounds:
        below, above = r[s <= b], r[s > b]
        out.append(float(below.max()) if not above.size else float((below.max() + above.min()) / 2))
    return out


def _separating(v: pd.Series, groups: pd.Series, bounds: list[float]) -> list[float]:
    """``bounds`` and the fewest more that put every two distinct values of one small group (at most ``FEW_VALUES``
    values: a map of few areas) in different classes: each gap between neighbouring values of such a group needs
    a bound at or above its lower value and below its upper one; greedily, the gap that closes first gets the
    highest such bound."""
    gaps = []
    for _, part in v.groupby(groups.values):
        if part.count() <= FEW_VALUES:
            values = np.unique(part.dropna().to_numpy(dtype=float))
            gaps += list(zip(values[:-1], values[1:]))
    everything = np.unique(v.dropna().to_numpy(dtype=float))
    out = list(bounds)
    for lo, hi in sorted(gaps, key=lambda g: g[1]):
        if any(lo <= b < hi for b in out):
            continue
        out.append(float(everything[np.searchsorted(everything, hi, side="left") - 1]))
    return sorted(set(out))


def assign_classes(values: pd.Series, breaks: list[float]) -> pd.Series:
    """Class index 0..len(breaks)-1 for each value; <NA> for missing values."""
    v = pd.to_numeric(values, errors="coerce")
    idx = np.searchsorted(np.asarray(breaks, dtype=float), v.to_numpy(dtype=float), side="left")
    out = pd.Series(idx, index=values.index, dtype="Int64")
    out[v.isna().to_numpy()] = pd.NA
    out[out >= len(breaks)] = len(breaks) - 1  # values above a fixed last bound fall in the top class
    return out


def class_labels(values, breaks: list[float], *, decimals: int, lang: str = "fi") -> list[str]:
    """The legend's text for each class, in the page's number format: the value itself when a class holds one
    value ("20,8"), else the smallest and largest value it holds ("20,8–24,2"; en "20.8–24.2"), so consecutive
    classes never share a limit. An empty class (fixed bins) shows its bounds ("> 25–30", "≤ 20")."""
    from helpers.base.numbers import fmt_number

    raw = pd.to_numeric(pd.Series(values), errors="coerce").dropna().astype("float64")
    v = shown(raw, decimals)
    classes = assign_classes(raw, breaks)
    out = []
    for i, upper in enumerate(breaks):
        members = v[(classes == i).to_numpy()]
        if not members.empty:
            lo, hi = members.min(), members.max()
            out.append(fmt_number(lo, decimals, lang) if lo == hi else f"{fmt_number(lo, decimals, lang)}–{fmt_number(hi, decimals, lang)}")
        elif i == 0:
            out.append(f"≤ {fmt_number(upper, decimals, lang)}")
        else:
            out.append(f"> {fmt_number(breaks[i - 1], decimals, lang)}–{fmt_number(upper, decimals, lang)}")
    return out


def legend_entries(values, breaks: list[float], colours: list[str], *, decimals: int, lang: str = "fi") -> list[dict]:
    """``{"colour", "label"}`` per legend line: a line per class (``class_labels``), or for more than ``MAX_CLASSES``
    classes (a ramp, see ``class_breaks``) the lowest, the highest and evenly spaced values between, each with its
    colour."""
    labels = class_labels(values, breaks, decimals=decimals, lang=lang)
    if len(breaks) <= MAX_CLASSES:
        return [{"colour": c, "label": t} for c, t in zip(colours, labels)]
    from helpers.base.numbers import fmt_number

    picks = sorted({round(i * (len(breaks) - 1) / 5) for i in range(6)})
    return [{"colour": colours[i], "label": fmt_number(shown([breaks[i]], decimals).iloc[0], decimals, lang)} for i in picks]
