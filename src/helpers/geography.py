"""Boundary layers from Statistics Finland's WFS (workspace ``tilastointialueet``), validated and cached.

``load_layer(level, year)`` returns a GeoDataFrame in EPSG:3067 with columns
``code`` (zero-padded string), ``name_fi``, ``name_sv``, ``name_en`` (stray blanks stripped), ``level``, ``year``,
``geometry``. Every layer is checked before use: the feature count expected for the year, unique codes of the
right width, valid non-empty geometry. Processed layers are cached under ``geodata/`` with a provenance record.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from . import config
from .errors import ValidationError, invalid
from .fetch import fetch, record_input
from .sources import get_source

WFS_URL = "https://geo.stat.fi/geoserver/tilastointialueet/wfs"
CRS = "EPSG:3067"
CACHE_VERSION = 1  # bump when the processing below changes

# level -> (layer prefix, code property, code width)
LEVELS: dict[str, tuple[str, str, int]] = {
    "kunta": ("kunta4500k", "kunta", 3),
    "maakunta": ("maakunta4500k", "maakunta", 2),
    "hyvinvointialue": ("hyvinvointialue4500k", "hyvinvointialue", 2),
}
LEVEL_LABELS_FI = {"kunta": "kunnat", "maakunta": "maakunnat", "hyvinvointialue": "hyvinvointialueet"}

# Expected feature counts of the 1:4 500 000 layers by regional-division year.
# Municipalities: 310 in 2020, 309 in 2021-2024 (Honkajoki merged into Kankaanpää 1.1.2021), 308 from 2025
# (Pertunmaa merged into Mäntyharju 1.1.2025) - Statistics Finland municipality classification; see
# ../shared/mirror/geo/PROVENANCE.md. Maakunnat: 18 mainland + Ahvenanmaa. Welfare-region layer (from 2022):
# 21 wellbeing services counties + 90 Helsingin kaupunki + 91 Ahvenanmaa (WFS_FORMAT.md section 4).
EXPECTED_COUNTS: dict[str, dict[int, int]] = {
    "kunta": {2020: 310, 2021: 309, 2022: 309, 2023: 309, 2024: 309, 2025: 308, 2026: 308},
    "maakunta": {y: 19 for y in range(2020, 2027)},
    "hyvinvointialue": {y: 23 for y in range(2022, 2027)},
}
ALAND = {"kunta": None, "maakunta": "21", "hyvinvointialue": "91"}
HELSINKI_REGION = "90"


def allowed_years(level: str) -> list[int]:
    check_level(level)
    return sorted(EXPECTED_COUNTS[level])


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise invalid("level", level, list(LEVELS))
    return level


def check_year(level: str, year) -> int:
    check_level(level)
    if isinstance(year, bool) or not isinstance(year, (int,)) and not (isinstance(year, str) and year.isdigit()):
        raise invalid("year", year, allowed_years(level))
    year = int(year)
    if year not in EXPECTED_COUNTS[level]:
        raise invalid("year", year, allowed_years(level))
    return year


def layer_name(level: str, year: int) -> str:
    return f"{LEVELS[level][0]}_{year}"


def layer_request(level: str, year: int) -> tuple[str, dict]:
    """The GetFeature request for a layer (the form the service documents and the mirror indexes)."""
    params = {
        "service": "WFS",
        "version": "2.0.0",
        "request": "GetFeature",
        "typeName": f"tilastointialueet:{layer_name(level, year)}",
        "outputFormat": "application/json",
    }
    return WFS_URL, params


# --------------------------------------------------------------------------- parsing and validation


def parse_layer(content: bytes, level: str, year: int) -> gpd.GeoDataFrame:
    """GeoJSON answer -> tidy GeoDataFrame (codes as zero-padded strings, names stripped)."""
    _, code_prop, width = LEVELS[level]
    try:
        raw = gpd.read_file(io.BytesIO(content), engine="pyogrio")
    except Exception as exc:  # pyogrio raises several types for broken input
        raise ValidationError(f"{layer_name(level, year)}: the answer is not a readable GeoJSON layer ({exc})") from None
    missing = [c for c in (code_prop, "nimi", "namn", "name") if c not in raw.columns]
    if missing:
        raise ValidationError(f"{layer_name(level, year)}: properties {missing} missing; got {list(raw.columns)}")
    if raw.crs is None:
        raw = raw.set_crs(CRS)  # the service's default CRS (WFS_FORMAT.md section 5)
    gdf = gpd.GeoDataFrame(
        {
            "code": raw[code_prop].astype(str).str.strip().str.zfill(width),
            "name_fi": raw["nimi"].astype(str).str.strip(),
            "name_sv": raw["namn"].astype(str).str.strip(),
            "name_en": raw["name"].astype(str).str.strip(),
            "level": level,
            "year": year,
        },
        geometry=raw.geometry.values,
        crs=raw.crs,
    ).to_crs(CRS)
    return gdf.sort_values("code", ignore_index=True)


def validate_layer(gdf: gpd.GeoDataFrame, level: str, year: int) -> gpd.GeoDataFrame:
    """Raise ValidationError unless the layer has the expected count, unique well-formed codes, valid geometry."""
    name = layer_name(level, year)
    width = LEVELS[level][2]
    expected = EXPECTED_COUNTS[level][year]
    if len(gdf) != expected:
        raise ValidationError(f"{name}: {len(gdf)} features, expected {expected} for {year}")
    bad = gdf.loc[~gdf["code"].str.fullmatch(rf"\d{{{width}}}"), "code"].tolist()
    if bad:
        raise ValidationError(f"{name}: codes not {width} digits: {bad}")
    dup = gdf.loc[gdf["code"].duplicated(), "code"].tolist()
    if dup:
        raise ValidationError(f"{name}: duplicated codes {dup}")
    empty = gdf.loc[gdf.geometry.is_empty | gdf.geometry.isna(), "code"].tolist()
    if empty:
        raise ValidationError(f"{name}: empty geometry for {empty}")
    invalid_geom = gdf.loc[~gdf.geometry.is_valid, "code"].tolist()
    if invalid_geom:
        raise ValidationError(f"{name}: invalid geometry for {invalid_geom}")
    wrong_type = gdf.loc[~gdf.geom_type.isin(["Polygon", "MultiPolygon"]), "code"].tolist()
    if wrong_type:
        raise ValidationError(f"{name}: non-polygon geometry for {wrong_type}")
    blank = gdf.loc[(gdf[["name_fi", "name_sv", "name_en"]] == "").any(axis=1), "code"].tolist()
    if blank:
        raise ValidationError(f"{name}: blank names for {blank}")
    return gdf


# --------------------------------------------------------------------------- cache


def _mode_tag() -> str:
    mirror = config.mirror_dir()
    if mirror is None:
        return "live"
    return "mirror-" + hashlib.sha256(str(mirror).encode()).hexdigest()[:8]


def _cache_paths(level: str, year: int) -> tuple[Path, Path]:
    stem = f"{layer_name(level, year)}.{_mode_tag()}.v{CACHE_VERSION}"
    folder = config.geodata_dir()
    return folder / f"{stem}.parquet", folder / f"{stem}.provenance.json"


def _read_cached(level: str, year: int) -> gpd.GeoDataFrame | None:
    data_path, prov_path = _cache_paths(level, year)
    if not (data_path.is_file() and prov_path.is_file()):
        return None
    prov = json.loads(prov_path.read_text(encoding="utf-8"))
    fetched = datetime.fromisoformat(prov["fetched_at"])
    if prov.get("origin") != "mirror" and datetime.now(timezone.utc) - fetched > get_source("geo").max_age:
        return None  # stale: fetch again rather than serve old boundaries as fresh
    gdf = _read_parquet(data_path, data_path.stat().st_mtime_ns).copy()
    gdf.attrs["provenance"] = prov
    record_input(prov)  # the layer's source answer is an input of whatever uses it
    return gdf


@lru_cache(maxsize=16)
def _read_parquet(path: Path, mtime_ns: int) -> gpd.GeoDataFrame:
    """Parsed once per process and file version (callers get copies)."""
    return gpd.read_parquet(path)


def _write_cached(gdf: gpd.GeoDataFrame, provenance: dict, level: str, year: int) -> None:
    data_path, prov_path = _cache_paths(level, year)
    data_path.parent.mkdir(parents=True, exist_ok=True)
    # Unique temporary names + rename: parallel runs and readers never see half a file.
    fd, tmp = tempfile.mkstemp(prefix=data_path.name, suffix=".tmp", dir=data_path.parent)
    os.close(fd)
    gdf.to_parquet(tmp)
    os.replace(tmp, data_path)
    fd, tmp = tempfile.mkstemp(prefix=prov_path.name, suffix=".tmp", dir=prov_path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(provenance, fh, ensure_ascii=False, indent=1)
    os.replace(tmp, prov_path)


def load_layer(level: str, year: int, *, mainland: bool = False, use_cache: bool = True) -> gpd.GeoDataFrame:
    """A validated boundary layer for the year (EPSG:3067). ``mainland=True`` drops Åland.

    The provenance record (source, URL, fetch time, sha256, layer and year) is in ``gdf.attrs['provenance']``.
    """
    level = check_level(level)
    year = check_year(level, year)
    gdf = _read_cached(level, year) if use_cache else None
    if gdf is None:
        url, params = layer_request(level, year)
        answer = fetch("geo", url, params=params)
        gdf = validate_layer(parse_layer(answer.content, level, year), level, year)
        provenance = dict(answer.provenance, layer=layer_name(level, year), level=level, year=year, features=len(gdf))
        _write_cached(gdf, provenance, level, year)
        gdf.attrs["provenance"] = provenance
    if mainland:
        gdf = drop_aland(gdf, level)
    return gdf


def drop_aland(gdf: gpd.GeoDataFrame, level: str) -> gpd.GeoDataFrame:
    prov = gdf.attrs.get("provenance")
    if level == "kunta":
        key = municipality_key_for_layer(gdf)
        out = gdf[gdf["code"].isin(key.loc[key["mainland"], "kunta_code"])]
    else:
        out = gdf[gdf["code"] != ALAND[level]]
    out = out.reset_index(drop=True)
    if prov:
        out.attrs["provenance"] = prov
    return out


def municipality_key_for_layer(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    from .municipality_key import municipality_key

    return municipality_key(int(gdf["year"].iloc[0]))


def attribution(year: int, lang: str = "fi") -> str:
    """Attribution line for maps drawn from these layers (wording from the mirror's PROVENANCE.md)."""
    text = {
        "fi": f"Aluerajat: Tilastokeskus, kuntapohjaiset tilastointialueet {year}, 1:4 500 000; pohja-aineisto Maanmittauslaitos (CC BY 4.0)",
        "sv": f"Områdesgränser: Statistikcentralen, kommunbaserade statistikområden {year}, 1:4 500 000; grunddata Lantmäteriverket (CC BY 4.0)",
        "en": f"Boundaries: Statistics Finland, municipality-based statistical units {year}, 1:4,500,000, based on National Land Survey of Finland data (CC BY 4.0)",
    }
    return text[lang]


def geometry_is_generalised_note(lang: str = "fi") -> str:
    return {
        "fi": "Pinta-alat on laskettu yleistetyistä 1:4 500 000 -rajoista (maa + sisävedet); ne eivät ole virallisia pinta-aloja.",
        "sv": "Arealerna är beräknade från generaliserade gränser 1:4 500 000 (land + inlandsvatten); de är inte officiella arealer.",
        "en": "Areas are computed from generalised 1:4,500,000 boundaries (land + inland water); they are not official areas.",
    }[lang]


def area_km2(gdf: gpd.GeoDataFrame) -> pd.Series:
    """Polygon area in km² in EPSG:3067 (generalised 1:4.5M boundaries: see geometry_is_generalised_note)."""
    return gdf.to_crs(CRS).geometry.area / 1e6


def valid_coverage(gdf: gpd.GeoDataFrame) -> bool:
    return bool(shapely.coverage_is_valid(gdf.geometry.values))
