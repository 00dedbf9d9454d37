"""Putting municipal figures on another year's municipal division.

Rule: a municipality merged into another between the two divisions (``data/kuntaliitokset.csv``, effective date
after 1 January of the source division year and on or before 1 January of the target year) is added to the
municipality it joined. Only additive counts (population, men, women, age groups) can be moved this way; a ratio
must be recomputed from moved counts. Partial boundary transfers are not represented (Statistics Finland's own
series do the same: "Osakuntaliitoksia ei ole huomioitu").
"""

from __future__ import annotations

import pandas as pd

from helpers.base import config
from helpers.base.errors import ValidationError


def mergers() -> pd.DataFrame:
    df = pd.read_csv(config.DATA_DIR / "kuntaliitokset.csv", dtype=str, keep_default_na=False, encoding="utf-8")
    df["effective_year"] = df["effective"].str[:4].astype(int)
    return df


def merger_map(from_division: int, to_division: int) -> dict[str, str]:
    """Old code -> code in the target division, for mergers between the two divisions (chains followed)."""
    if to_division < from_division:
        raise ValidationError(f"cannot move figures back from the {from_division} division to {to_division} (a merger cannot be undone)")
    m = mergers()
    step = m[(m["effective_year"] > from_division) & (m["effective_year"] <= to_division)]
    mapping = dict(zip(step["old_code"], step["new_code"]))
    for old in list(mapping):  # a municipality that joined one that later joined another
        seen = {old}
        while mapping[old] in mapping:
            mapping[old] = mapping[mapping[old]]
            if mapping[old] in seen:
                raise ValidationError(f"data/kuntaliitokset.csv: merger cycle at {old}")
            seen.add(mapping[old])
    return mapping


def to_division(df: pd.DataFrame, *, from_division: int, to_division: int, code_col: str = "kunta_code",
                value_cols: list[str], key_cols: list[str] = ()) -> pd.DataFrame:
    """Sum additive counts of merged municipalities into their successor. ``key_cols`` are kept as grouping keys
    (e.g. year). A value missing in any merged part makes the successor's value missing (never a partial sum)."""
    mapping = merger_map(from_division, to_division)
    out = df.copy()
    out.attrs = {}  # pandas deep-copies attrs (provenance) into every group: 16 000 groups took 13 s
    out[code_col] = out[code_col].replace(mapping)
    keys = [*key_cols, code_col]
    grouped = out.groupby(keys, sort=True, dropna=False)[value_cols]
    summed = grouped.sum(min_count=1)
    has_missing = out[value_cols].isna().groupby([out[k] for k in keys], sort=True, dropna=False).any()
    summed = summed.mask(has_missing.reindex(summed.index))
    return summed.reset_index()
