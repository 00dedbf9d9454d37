"""Strict joins of tables to boundary layers: nothing is silently dropped or duplicated."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from helpers.base.errors import ValidationError


def join_strict(layer: gpd.GeoDataFrame, table: pd.DataFrame, *, layer_code: str = "code", table_code: str = "area_code") -> gpd.GeoDataFrame:
    """One table row per layer feature. A code missing on either side, a duplicated code, or an unknown code is an
    error listing the codes (a region missing from a join is an error, not a blank)."""
    problems = []
    dup_layer = sorted(layer.loc[layer[layer_code].duplicated(), layer_code].unique())
    dup_table = sorted(table.loc[table[table_code].duplicated(), table_code].unique())
    if dup_layer:
        problems.append(f"duplicated in the layer: {dup_layer}")
    if dup_table:
        problems.append(f"duplicated in the table: {dup_table}")
    missing = sorted(set(layer[layer_code]) - set(table[table_code]))
    unknown = sorted(set(table[table_code]) - set(layer[layer_code]))
    if missing:
        problems.append(f"in the layer but not in the table: {missing}")
    if unknown:
        problems.append(f"in the table but not in the layer: {unknown}")
    if problems:
        raise ValidationError("join failed: " + "; ".join(problems))
    right = table.drop(columns=[c for c in table.columns if c in layer.columns and c != table_code])
    out = layer.merge(right, left_on=layer_code, right_on=table_code, how="left", validate="one_to_one")
    if table_code != layer_code:
        out = out.drop(columns=[table_code])
    out.attrs = {**layer.attrs, **table.attrs}
    return out
