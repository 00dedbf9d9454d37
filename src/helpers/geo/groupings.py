"""Polygon layers for any grouping of municipalities, by a topology-preserving (coverage) dissolve, and the
simplified WGS84 geometry that web maps need.

A grouping is a mapping municipality code -> unit code. Every municipality of the layer must be in exactly one
unit (an unmapped municipality or an unknown code is an error naming them), so no area is silently dropped.
"""

from __future__ import annotations

from collections import OrderedDict

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from helpers.base.errors import ValidationError, invalid
from helpers.geo.layers import CRS, load_layer
from helpers.geo.municipality_key import KEY_LEVELS, key_inputs, municipality_key, units_for

_DISSOLVED: OrderedDict = OrderedDict()
PLOT_CRS = "EPSG:4326"
DEFAULT_TOLERANCE_M = 500.0


def dissolve_municipalities(kunta: gpd.GeoDataFrame, mapping: pd.Series, units: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """Dissolve municipality polygons into units.

    ``mapping``: index = municipality code, value = unit code. ``units``: optional table with ``code`` and
    name columns joined to the result. Returns one row per unit with ``municipalities`` (count).
    """
    mapping = mapping.astype(str)
    if mapping.index.duplicated().any():
        raise ValidationError(f"municipalities mapped more than once: {sorted(mapping.index[mapping.index.duplicated()].unique())}")
    layer_codes = set(kunta["code"])
    unmapped = sorted(layer_codes - set(mapping.index))
    unknown = sorted(set(mapping.index) - layer_codes)
    if unmapped or unknown:
        raise ValidationError(f"grouping does not match the municipality layer: unmapped {unmapped}; not in the layer {unknown}")
    work = gpd.GeoDataFrame({"unit": kunta["code"].map(mapping).values, "municipalities": 1}, geometry=kunta.geometry.values, crs=kunta.crs)
    out = work.dissolve(by="unit", aggfunc={"municipalities": "sum"}, method="coverage").reset_index().rename(columns={"unit": "code"})
    if units is not None:
        missing = sorted(set(out["code"]) - set(units["code"]))
        if missing:
            raise ValidationError(f"units {missing} have no names in the unit table")
        out = out.merge(units, on="code", how="left", validate="one_to_one")
    out.attrs = dict(kunta.attrs)
    return out


def grouping_layer(level: str, year: int, *, mainland: bool = False) -> gpd.GeoDataFrame:
    """Polygon layer of a key level (kunta, maakunta, hyvinvointialue, yhteistyoalue, erva2020) for the year."""
    if level not in KEY_LEVELS:
        raise invalid("level", level, KEY_LEVELS)
    kunta = load_layer("kunta", year)
    if level == "kunta":
        out = kunta.copy()
        key = municipality_key(year)
        if mainland:
            out = out[out["code"].isin(key.loc[key["mainland"], "kunta_code"])].reset_index(drop=True)
        out["municipalities"] = 1
        return out
    # A run draws the same grouping for each language: dissolved once per process, keyed by what it is made of
    # (the municipality layer's answer, the key's inputs), each call still reading the layer (its answer recorded).
    memo_key = (level, int(year), bool(mainland), (kunta.attrs.get("provenance") or {}).get("sha256"), key_inputs(year))
    out = _DISSOLVED.get(memo_key) if memo_key[3] else None
    if out is None:
        key = municipality_key(year)
        if mainland:
            key = key[key["mainland"]]
            kunta = kunta[kunta["code"].isin(key["kunta_code"])].reset_index(drop=True)
        out = dissolve_municipalities(kunta, key.set_index("kunta_code")[f"{level}_code"], units_for(year, level))
        out["level"] = level
        out["year"] = year
        if memo_key[3]:
            _DISSOLVED[memo_key] = out
            while len(_DISSOLVED) > 16:
                _DISSOLVED.popitem(last=False)
    out = out.copy()
    out.attrs = dict(kunta.attrs)
    return out


def simplify(gdf: gpd.GeoDataFrame, tolerance_m: float = DEFAULT_TOLERANCE_M) -> gpd.GeoDataFrame:
    """Simplify a polygon coverage keeping shared borders shared (no gaps or slivers between neighbours)."""
    if tolerance_m <= 0:
        return gdf
    out = gdf.to_crs(CRS).copy()
    out["geometry"] = out.geometry.simplify_coverage(tolerance_m)
    return out


def for_web(gdf: gpd.GeoDataFrame, tolerance_m: float = DEFAULT_TOLERANCE_M) -> gpd.GeoDataFrame:
    """Simplified, WGS84, coordinates rounded to 5 decimals (about 1 m), exterior rings clockwise (plotly geo)."""
    out = simplify(gdf, tolerance_m).to_crs(PLOT_CRS)
    geoms = shapely.transform(out.geometry.values, lambda xy: np.round(xy, 5))
    out["geometry"] = shapely.orient_polygons(geoms, exterior_cw=True)
    return out
