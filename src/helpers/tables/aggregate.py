"""Aggregation of indicator values from a base level (municipalities or welfare regions) to any grouping.

Rules (the catalogue's ``aggregation`` column): ``sum`` adds the counts; ``ratio`` adds numerator and denominator
separately and divides (× 100 for shares). A unit with any member value missing gets a missing value, never a
partial sum; members without any row at all are an error naming them. A unit's ``flags`` are the union of its
members' flags (sorted, joined by ", "; "" when none), so one preliminary member value marks the unit.
"""

from __future__ import annotations

import pandas as pd

from helpers.sources import flags as value_flags
from helpers.base.errors import ValidationError, invalid

RULES = ("sum", "ratio")


def refuse_former_flag_column(df: pd.DataFrame) -> None:
    """The column was ``flags`` until it collided with pandas' own ``DataFrame.flags`` (``df.flags.value_counts()``
    failed): a table built by older code says so instead of silently counting as unflagged."""
    if "flags" in df.columns and "value_flags" not in df.columns:
        raise ValidationError("column 'flags' is now called 'value_flags' (pandas' DataFrame.flags is another thing); "
                              "rename it: df.rename(columns={'flags': 'value_flags'})")


def aggregate(base: pd.DataFrame, mapping: pd.Series, *, rule: str, value_col: str = "value",
              numerator: str = "numerator", denominator: str = "denominator", scale: float = 100.0) -> pd.DataFrame:
    """``base``: rows area_code, year and the value columns. ``mapping``: index base code -> unit code.
    Returns unit rows: area_code, year, value, numerator, denominator, members, missing_members, value_flags
    (``base`` without a ``value_flags`` column counts as unflagged)."""
    refuse_former_flag_column(base)
    if rule not in RULES:
        raise invalid("aggregation", rule, RULES)
    mapping = mapping.astype(str)
    unmapped = sorted(set(base["area_code"]) - set(mapping.index))
    if unmapped:
        raise ValidationError(f"aggregation: base areas {unmapped} are not in the grouping")
    cols = [value_col] if rule == "sum" else [numerator, denominator]
    units = set(mapping.index)
    for year, codes in base.groupby("year", sort=True)["area_code"]:  # every year has every area of the grouping
        absent = sorted(units - set(codes))
        if absent:
            raise ValidationError(f"aggregation {year}: no rows for {absent}")
    if base.empty:
        raise ValidationError("aggregation: the base table has no rows")
    # All years in one grouping (year, unit), in the order a loop over the years gave: a 51-year series took a
    # pandas round per year.
    work = base.assign(unit=base["area_code"].map(mapping))
    keys = [work["year"], work["unit"]]
    grouped = work.groupby(keys, sort=True)
    summed = grouped[cols].sum(min_count=1)
    # members with a missing value: one number per unit, counted without a Python call per unit
    missing = work[cols].isna().any(axis=1).groupby(keys, sort=True).sum().astype(int).reindex(summed.index)
    summed = summed.mask(missing > 0, axis=0)
    frame = pd.DataFrame({"area_code": summed.index.get_level_values(1), "year": summed.index.get_level_values(0),
                          "members": grouped.size().values, "missing_members": missing.values})
    if "value_flags" in work.columns:
        flags = work[["year", "unit"]].assign(value_flags=work["value_flags"].fillna(""))
        frame["value_flags"] = value_flags.join_groups(flags, ["year", "unit"]).reindex(summed.index).values
    else:
        frame["value_flags"] = ""
    if rule == "sum":
        frame["value"] = summed[value_col].values
        frame["numerator"] = frame["value"]
        frame["denominator"] = float("nan")
    else:
        frame["numerator"] = summed[numerator].values
        frame["denominator"] = summed[denominator].values
        frame["value"] = frame["numerator"] / frame["denominator"] * scale
    return frame
