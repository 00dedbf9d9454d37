"""Boundary layers from Statistics Finland's WFS (workspace ``tilastointialueet``), validated and cached.

``load_layer(level, year)`` returns a GeoDataFrame in EPSG:3067 with columns
``code`` (zero-padded string), ``name_fi``, ``name_sv``, ``name_en`` (stray blanks stripped), ``level``, ``year``,
``geometry``. Every layer is checked before use: the feature count expected for the year, unique codes of the
right width, valid non-empty geometry. Processed layers are cached under ``geodata/``, keyed by the sha256 of the raw
answer they were built from and verified on every read (see the cache section).
"""

from __future__ import annotations

import hashlib
import io
import json
import numbers
from collections import OrderedDict
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pyproj
import shapely
from filelock import FileLock

from helpers.base import config
from helpers.sources.cache_entries import BadEntry, discard, entry_lock, read_pair, write_pair
from helpers.base.errors import ValidationError, invalid
from helpers.sources.fetch import fetch

WFS_URL = "https://geo.stat.fi/geoserver/tilastointialueet/wfs"
CRS = "EPSG:3067"
CACHE_VERSION = 2  # bump when the processing below changes

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
    if isinstance(year, bool) or not isinstance(year, numbers.Integral) and not (isinstance(year, str) and year.isdigit()):
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
    """GeoJSON answer -> tidy GeoDataFrame (codes as zero-padded strings, names stripped). An unknown level or a
    year without an expected feature count is an InvalidParameter naming the allowed ones (not a KeyError)."""
    year = check_year(level, year)
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
    """Raise ValidationError unless the layer has the expected count, unique well-formed codes, valid geometry.
    A level or year this module has no expectations for is an InvalidParameter naming the allowed ones."""
    year = check_year(level, year)
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
#
# An entry is ``geodata/{layer}.v{CACHE_VERSION}.{raw sha256[:16]}.parquet`` with a sidecar ``….json`` holding the
# full sha256 of the raw answer it was built from and of the parquet bytes. It is used only when the answer fetched
# now (HTTP cache or mirror file) has exactly that sha256 and the parquet bytes still hash to the recorded value;
# anything else (stale, truncated, garbage, broken or incomplete sidecar) is discarded with a CacheWarning and
# rebuilt. The provenance recorded as the run's input is always the one of the answer fetched in this process.

ENTRY_FIELDS = {"cache_version": int, "layer": str, "features": int, "raw_sha256": str, "parquet_sha256": str}
LAYER_COLUMNS = ["code", "name_fi", "name_sv", "name_en", "level", "year", "geometry"]
_CRS = pyproj.CRS.from_user_input(CRS)  # built once: geopandas rebuilds it from the file's PROJJSON (~30 ms a read)
_DECODED: OrderedDict[str, gpd.GeoDataFrame] = OrderedDict()  # parquet sha256 -> layer (content-addressed)
_RUN_LAYERS: dict[tuple, gpd.GeoDataFrame] = {}  # (level, year, raw sha256) -> layer, in a refresh run only
_DECODED_MAX = 16


def _entry_paths(level: str, year: int, raw_sha256: str) -> tuple[Path, Path]:
    stem = f"{layer_name(level, year)}.v{CACHE_VERSION}.{raw_sha256[:16]}"
    folder = config.geodata_dir()
    return folder / f"{stem}.parquet", folder / f"{stem}.json"


def _entry_lock(level: str, year: int) -> FileLock:
    return entry_lock(config.geodata_dir(), layer_name(level, year))


def _check_sidecar(meta, level: str, year: int, raw_sha256: str) -> None:
    if not isinstance(meta, dict):
        raise BadEntry("sidecar is not a JSON object")
    wrong = [k for k, t in ENTRY_FIELDS.items() if not isinstance(meta.get(k), t) or isinstance(meta.get(k), bool)]
    if wrong:
        raise BadEntry(f"sidecar fields {wrong} missing or of the wrong type")
    if meta["cache_version"] != CACHE_VERSION or meta["layer"] != layer_name(level, year):
        raise BadEntry(f"sidecar is for {meta['layer']} v{meta['cache_version']}")
    if meta["raw_sha256"] != raw_sha256:
        raise BadEntry(f"built from raw sha256 {meta['raw_sha256'][:16]}…, the answer now is {raw_sha256[:16]}…")


def _decode(parquet_sha256: str, data: bytes) -> gpd.GeoDataFrame:
    gdf = _DECODED.get(parquet_sha256)
    if gdf is None:
        df = pq.read_table(io.BytesIO(data)).to_pandas()
        if list(df.columns) != LAYER_COLUMNS:
            raise BadEntry(f"parquet columns {list(df.columns)}, expected {LAYER_COLUMNS}")
        gdf = gpd.GeoDataFrame(df.drop(columns="geometry"), geometry=shapely.from_wkb(df["geometry"].values), crs=_CRS)
        _DECODED[parquet_sha256] = gdf
        while len(_DECODED) > _DECODED_MAX:
            _DECODED.popitem(last=False)
    return gdf.copy()


def _read_entry(level: str, year: int, raw_sha256: str) -> gpd.GeoDataFrame | None:
    """The cached layer built from exactly this raw answer, or None (a bad entry is discarded with a notice)."""
    data_path, meta_path = _entry_paths(level, year, raw_sha256)
    if not data_path.exists() and not meta_path.exists():
        return None
    try:
        meta, data = read_pair(data_path, meta_path, lambda m: _check_sidecar(m, level, year, raw_sha256))
        try:
            gdf = _decode(meta["parquet_sha256"], data)
        except BadEntry:
            raise
        except Exception as exc:  # noqa: BLE001 - pyarrow and shapely raise several types for broken files
            raise BadEntry(f"parquet unreadable ({exc.__class__.__name__}: {exc})") from None
        if len(gdf) != meta["features"]:
            raise BadEntry(f"parquet has {len(gdf)} features, the sidecar says {meta['features']}")
    except (BadEntry, OSError) as exc:
        discard(data_path, meta_path, str(exc))
        return None
    return gdf


def _write_entry(gdf: gpd.GeoDataFrame, answer_provenance: dict, level: str, year: int) -> None:
    raw_sha256 = answer_provenance["sha256"]
    data_path, meta_path = _entry_paths(level, year, raw_sha256)
    buffer = io.BytesIO()
    gdf[LAYER_COLUMNS].to_parquet(buffer)
    data = buffer.getvalue()
    meta = {
        "cache_version": CACHE_VERSION,
        "layer": layer_name(level, year),
        "features": len(gdf),
        "raw_sha256": raw_sha256,
        "parquet_sha256": hashlib.sha256(data).hexdigest(),
        "built_from": {k: answer_provenance.get(k) for k in ("url", "fetched_at", "origin", "mirror_file", "bytes")},
    }
    # Entries of this layer built from other answers are never read again.
    write_pair(data_path, meta_path, data, json.dumps(meta, ensure_ascii=False, indent=1).encode("utf-8"),
               older=layer_name(level, year))


def answer_sha256(level: str, year: int) -> str:
    """The sha256 of the raw answer ``load_layer(level, year)`` is built from (fetched as it would fetch it, and
    recorded as an input): what caches of results derived from the layer are keyed by, without reading it."""
    level = check_level(level)
    year = check_year(level, year)
    url, params = layer_request(level, year)
    return fetch("geo", url, params=params).provenance["sha256"]


def load_layer(level: str, year: int, *, mainland: bool = False, use_cache: bool = True) -> gpd.GeoDataFrame:
    """A validated boundary layer for the year (EPSG:3067). ``mainland=True`` drops Åland.

    The raw answer is fetched every time (HTTP cache or mirror; that fetch records it as an input); the processed
    layer comes from ``geodata/`` only when it was built from exactly those bytes. The provenance record (source,
    URL, fetch time, sha256 of the raw answer, layer and year) is in ``gdf.attrs['provenance']``.
    """
    level = check_level(level)
    year = check_year(level, year)
    url, params = layer_request(level, year)
    answer = fetch("geo", url, params=params)
    raw_sha256 = answer.provenance["sha256"]
    gdf = None
    run_key = (level, year, raw_sha256)
    if use_cache and config.in_refresh_run() and run_key in _RUN_LAYERS:
        gdf = _RUN_LAYERS[run_key].copy()  # read and verified earlier in this run (see config.in_refresh_run)
    elif use_cache:
        with _entry_lock(level, year):
            gdf = _read_entry(level, year, raw_sha256)
    if gdf is None:
        gdf = validate_layer(parse_layer(answer.content, level, year), level, year)
        with _entry_lock(level, year):
            _write_entry(gdf, answer.provenance, level, year)
    if use_cache and config.in_refresh_run():
        _RUN_LAYERS[run_key] = gdf.copy()
    gdf.attrs["provenance"] = dict(answer.provenance, layer=layer_name(level, year), level=level, year=year, features=len(gdf))
    if mainland:
        gdf = drop_aland(gdf, level)
    return gdf


def drop_aland(gdf: gpd.GeoDataFrame, level: str) -> gpd.GeoDataFrame:
    prov = gdf.attrs.get("provenance")
    if level == "kunta":
        # A municipality is on Åland when its interior point lies in the Åland maakunta: the rule the municipality
        # key derives its maakunta column by (helpers.geo.municipality_key builds on this module, not the reverse).
        year = int(gdf["year"].iloc[0])
        points = gpd.GeoDataFrame(gdf[["code"]], geometry=gdf.geometry.representative_point(), crs=gdf.crs)
        maakunta = assign_to_regions(points, load_layer("maakunta", year), "maakunta")
        out = gdf[gdf["code"].map(maakunta) != ALAND["maakunta"]]
    else:
        out = gdf[gdf["code"] != ALAND[level]]
    out = out.reset_index(drop=True)
    if prov:
        out.attrs["provenance"] = prov
    return out


def assign_to_regions(points: gpd.GeoDataFrame, regions: gpd.GeoDataFrame, what: str) -> pd.Series:
    """Municipality code -> the code of the one region its interior point lies in (an error names a municipality in
    no region or in several)."""
    joined = gpd.sjoin(points, regions[["code", "geometry"]].rename(columns={"code": "region"}), how="left", predicate="within")
    counts = joined.groupby("code")["region"].count()
    none = counts[counts == 0].index.tolist()
    many = counts[counts > 1].index.tolist()
    if none or many:
        raise ValidationError(f"municipality -> {what}: in no {what}: {none}; in several: {many}")
    return joined.set_index("code")["region"]


def attribution(year: int, lang: str = "fi") -> str:
    """Attribution line for maps drawn from these layers (wording from the mirror's PROVENANCE.md)."""
    text = {
        "fi": f"Aluerajat: Tilastokeskus, kuntapohjaiset tilastointialueet {year}, 1:4\u00a0500\u00a0000; pohja-aineisto Maanmittauslaitos (CC BY 4.0)",
        "sv": f"Områdesgränser: Statistikcentralen, kommunbaserade statistikområden {year}, 1:4\u00a0500\u00a0000; grunddata Lantmäteriverket (CC BY 4.0)",
        "en": f"Boundaries: Statistics Finland, municipality-based statistical units {year}, 1:4,500,000, based on National Land Survey of Finland data (CC BY 4.0)",
    }
    return text[lang]


def geometry_is_generalised_note(lang: str = "fi") -> str:
    return {
        "fi": "Pinta-alat on laskettu yleistetyistä 1:4\u00a0500\u00a0000 -rajoista (maa + sisävedet); ne eivät ole virallisia pinta-aloja.",
        "sv": "Arealerna är beräknade från generaliserade gränser 1:4\u00a0500\u00a0000 (land + inlandsvatten); de är inte officiella arealer.",
        "en": "Areas are computed from generalised 1:4,500,000 boundaries (land + inland water); they are not official areas.",
    }[lang]


def area_km2(gdf: gpd.GeoDataFrame) -> pd.Series:
    """Polygon area in km² in EPSG:3067 (generalised 1:4.5M boundaries: see geometry_is_generalised_note)."""
    return gdf.to_crs(CRS).geometry.area / 1e6


def valid_coverage(gdf: gpd.GeoDataFrame) -> bool:
    return bool(shapely.coverage_is_valid(gdf.geometry.values))
