"""Class breaks for choropleths, from mapclassify: quantiles, natural breaks (Fisher–Jenks) or fixed bins."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.base.errors import invalid

SCHEMES = ("quantiles", "natural_breaks", "fixed")


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


def class_breaks(values: pd.Series, scheme: str = "quantiles", k: int = 5, bins: list[float] | None = None) -> list[float]:
    """Upper bounds of the classes (the last is the maximum). Missing values are left out of the fit."""
    if scheme not in SCHEMES:
        raise invalid("scheme", scheme, SCHEMES)
    import mapclassify  # here, not at import: it pulls in scipy, which validating a runs file does not need

    data = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if data.size == 0:
        return []
    if scheme == "fixed":
        if not bins:
            raise invalid("bins", bins, "an increasing list of upper bounds for scheme='fixed'")
        if list(bins) != sorted(bins):
            raise invalid("bins", bins, "an increasing list")
        return list(mapclassify.UserDefined(data, bins=list(bins)).bins)
    k = max(1, min(int(k), len(np.unique(data))))
    if scheme == "quantiles":
        return list(mapclassify.Quantiles(data, k=k).bins)
    return list(mapclassify.FisherJenks(data, k=k).bins)


def assign_classes(values: pd.Series, breaks: list[float]) -> pd.Series:
    """Class index 0..len(breaks)-1 for each value; <NA> for missing values."""
    v = pd.to_numeric(values, errors="coerce")
    idx = np.searchsorted(np.asarray(breaks, dtype=float), v.to_numpy(dtype=float), side="left")
    out = pd.Series(idx, index=values.index, dtype="Int64")
    out[v.isna()] = pd.NA
    out[out >= len(breaks)] = len(breaks) - 1  # values above a fixed last bound fall in the top class
    return out
