"""Municipality key for a regional-division year: municipality -> maakunta, welfare region, collaboration area
(yhteistyöalue, Government decree 91/2022) and 2020 special-responsibility area (erva, decree 156/2017).

Maakunta and welfare region are derived from the boundary layers themselves (each municipality's interior point
lies in exactly one region, and the municipalities' areas add up to each region's area). Collaboration area and
erva come from the small cited tables in ``data/``. Åland has neither; it carries Statistics Finland's code 6.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import OrderedDict
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq

from helpers.base import config
from helpers.base.errors import ValidationError
from helpers.geo import layers
from helpers.geo.layers import answer_sha256, assign_to_regions, load_layer
from helpers.sources.cache_entries import BadEntry, discard, entry_lock, read_pair, write_pair

KEY_LEVELS = ("kunta", "maakunta", "hyvinvointialue", "yhteistyoalue", "erva2020")
ALAND_MAAKUNTA = "21"
AREA_TOLERANCE = 0.001  # share of a region's area that may differ from the sum of its municipalities
KEY_TABLES = ("yhteistyoalueet.csv", "erva2020_alueet.csv", "erva2020_maakunnat.csv", "erva2020_poikkeukset.csv")
# Built keys by their inputs (raw sha256 of the three layers' answers and of the data tables): a changed layer or
# table is a new entry, never a stale one.
_KEYS: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_KEYS_MAX = 8


def _read_table(name: str) -> pd.DataFrame:
    return pd.read_csv(config.DATA_DIR / name, dtype=str, keep_default_na=False, encoding="utf-8")


def collaboration_areas() -> pd.DataFrame:
    """Welfare region -> collaboration area (data/yhteistyoalueet.csv, decree 91/2022)."""
    return _read_table("yhteistyoalueet.csv")


def erva2020_areas() -> pd.DataFrame:
    """The five 2020 erva areas and Åland with names in Finnish, Swedish and English (decree 156/2017)."""
    return _read_table("erva2020_alueet.csv")


def erva2020_rules() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Maakunta -> erva (via the 2020 hospital districts) and the municipalities whose 2020 hospital district
    lay in another maakunta's erva."""
    return _read_table("erva2020_maakunnat.csv"), _read_table("erva2020_poikkeukset.csv")


def _build_key(year: int, kunta: gpd.GeoDataFrame, maakunta: gpd.GeoDataFrame, hva: gpd.GeoDataFrame) -> pd.DataFrame:
    points = gpd.GeoDataFrame(kunta[["code"]], geometry=kunta.geometry.representative_point(), crs=kunta.crs)
    key = kunta[["code", "name_fi", "name_sv", "name_en"]].rename(
        columns={"code": "kunta_code", "name_fi": "kunta_name_fi", "name_sv": "kunta_name_sv", "name_en": "kunta_name_en"}
    )
    for level, regions in (("maakunta", maakunta), ("hyvinvointialue", hva)):
        assigned = assign_to_regions(points, regions, level)
        key[f"{level}_code"] = key["kunta_code"].map(assigned)
        names = regions.set_index("code")
        for lang in ("fi", "sv", "en"):
            key[f"{level}_name_{lang}"] = key[f"{level}_code"].map(names[f"name_{lang}"])
        # The municipalities of a region must make up the whole region (no municipality lost or counted twice).
        area_sum = kunta.geometry.area.groupby(key[f"{level}_code"].values).sum()
        region_area = regions.set_index("code").geometry.area
        diff = ((area_sum.reindex(region_area.index).fillna(0) - region_area).abs() / region_area)
        off = diff[diff > AREA_TOLERANCE]
        if not off.empty:
            raise ValidationError(f"municipalities do not cover {level} {off.index.tolist()} (area differs by {off.round(4).tolist()})")
    key["mainland"] = key["maakunta_code"] != ALAND_MAAKUNTA

    yta = collaboration_areas()
    unknown = sorted(set(key["hyvinvointialue_code"]) - set(yta["hyvinvointialue_code"]))
    if unknown:
        raise ValidationError(f"welfare regions {unknown} missing from data/yhteistyoalueet.csv")
    key = key.merge(
        yta[["hyvinvointialue_code", "yhteistyoalue_code", "yhteistyoalue_name_fi", "yhteistyoalue_name_sv", "yhteistyoalue_name_en", "university_hospital"]]
        .rename(columns={"university_hospital": "yhteistyoalue_university_hospital"}),
        on="hyvinvointialue_code",
        how="left",
        validate="many_to_one",
    )

    by_maakunta, exceptions = erva2020_rules()
    unknown = sorted(set(key["maakunta_code"]) - set(by_maakunta["maakunta_code"]))
    if unknown:
        raise ValidationError(f"maakunnat {unknown} missing from data/erva2020_maakunnat.csv")
    key["erva2020_code"] = key["maakunta_code"].map(by_maakunta.set_index("maakunta_code")["erva2020_code"])
    exc = exceptions.set_index("kunta_code")
    absent = sorted(set(exc.index) - set(key["kunta_code"]))
    if absent:
        raise ValidationError(f"data/erva2020_poikkeukset.csv names municipalities not in the {year} division: {absent}")
    wrong_mk = [c for c in exc.index if key.loc[key["kunta_code"] == c, "maakunta_code"].item() != exc.loc[c, "maakunta_code"]]
    if wrong_mk:
        raise ValidationError(f"data/erva2020_poikkeukset.csv: maakunta of {wrong_mk} differs from the {year} layers")
    has_exc = key["kunta_code"].isin(exc.index)
    key.loc[has_exc, "erva2020_code"] = key.loc[has_exc, "kunta_code"].map(exc["erva2020_code"])
    key["erva2020_exception"] = has_exc
    ervas = erva2020_areas().set_index("erva2020_code")
    key["erva2020_abbr"] = key["erva2020_code"].map(ervas["erva2020_abbr"])
    for lang in ("fi", "sv", "en"):
        key[f"erva2020_name_{lang}"] = key["erva2020_code"].map(ervas[f"erva2020_name_{lang}"])

    if key.isna().any().any():
        cols = key.columns[key.isna().any()].tolist()
        raise ValidationError(f"municipality key {year}: missing values in {cols}")
    if key["kunta_code"].duplicated().any():
        raise ValidationError(f"municipality key {year}: duplicated municipalities")
    key["year"] = year
    return key.sort_values("kunta_code", ignore_index=True)


LAYER_LEVELS = ("kunta", "maakunta", "hyvinvointialue")  # the layers the key is built from


def key_inputs(year: int) -> tuple:
    """What the year's key is built from (raw sha256 of the three layers' answers and of the data tables), for
    caches of results derived from the key."""
    year = int(year)
    return (year, *(answer_sha256(level, year) for level in LAYER_LEVELS),
            *(hashlib.sha256((config.DATA_DIR / name).read_bytes()).hexdigest() for name in KEY_TABLES))


def municipality_key(year: int) -> pd.DataFrame:
    """One row per municipality of the year's division with its regions (see module docstring)."""
    year = int(year)
    inputs = key_inputs(year)  # the layers are read only when the key is built: the same answers give the same key
    key = _KEYS.get(inputs)
    if key is None:
        # Kept in geodata/ beside the layers too: every run of a refresh is a new process, and building the key
        # (three layers, a point-in-polygon join) took 0.1 s of each.
        data_path, meta_path = _entry_paths(inputs)
        with entry_lock(config.geodata_dir(), f"kuntaavain_{year}"):
            key = _read_entry(data_path, meta_path, inputs)
            if key is None:
                key = _build_key(year, *(load_layer(level, year) for level in LAYER_LEVELS))
                _write_entry(key, data_path, meta_path, inputs)
        _KEYS[inputs] = key
        while len(_KEYS) > _KEYS_MAX:
            _KEYS.popitem(last=False)
    return key.copy()


# The code that builds the key is part of what an entry was built from: an edit is a new entry, not a stale one.
# Read when this module is imported, so a process keeps the version of the code it runs (not of a later edit).
_CODE_VERSION = hashlib.sha256(Path(__file__).read_bytes() + Path(layers.__file__).read_bytes()).hexdigest()


def _entry_paths(inputs: tuple) -> tuple[Path, Path]:
    digest = hashlib.sha256(json.dumps([_CODE_VERSION, *inputs]).encode()).hexdigest()
    stem = f"kuntaavain_{inputs[0]}.{digest[:16]}"
    folder = config.geodata_dir()
    return folder / f"{stem}.parquet", folder / f"{stem}.json"


def _read_entry(data_path: Path, meta_path: Path, inputs: tuple) -> pd.DataFrame | None:
    """The key built from exactly these inputs by this code, or None (a bad entry is discarded with a notice)."""
    if not data_path.exists() and not meta_path.exists():
        return None

    def check(meta):
        if not isinstance(meta, dict) or meta.get("inputs") != [_CODE_VERSION, *inputs] \
                or not isinstance(meta.get("columns"), list) or not isinstance(meta.get("parquet_sha256"), str):
            raise BadEntry("sidecar is not this key's")

    try:
        meta, data = read_pair(data_path, meta_path, check)
        try:
            key = pq.read_table(io.BytesIO(data)).to_pandas()
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for broken files
            raise BadEntry(f"parquet unreadable ({exc.__class__.__name__}: {exc})") from None
        if list(key.columns) != meta["columns"] or "kunta_code" not in key.columns or key.empty \
                or key["kunta_code"].duplicated().any() or key.isna().any().any():
            raise BadEntry("parquet is not a whole key")
    except (BadEntry, OSError) as exc:
        discard(data_path, meta_path, str(exc))
        return None
    return key


def _write_entry(key: pd.DataFrame, data_path: Path, meta_path: Path, inputs: tuple) -> None:
    buffer = io.BytesIO()
    key.to_parquet(buffer, index=False)
    data = buffer.getvalue()
    meta = {"inputs": [_CODE_VERSION, *inputs], "columns": list(key.columns), "rows": len(key),
            "parquet_sha256": hashlib.sha256(data).hexdigest()}
    write_pair(data_path, meta_path, data, json.dumps(meta, indent=1).encode("utf-8"), older=f"kuntaavain_{inputs[0]}")


def erva_yta_differences(year: int) -> pd.DataFrame:
    """Municipalities whose 2020 erva is not their welfare region's collaboration area (Jämsä, Kruunupyy,
    Punkalaidun in 2024-2026)."""
    key = municipality_key(year)
    differs = key["mainland"] & (key["erva2020_abbr"] != key["yhteistyoalue_university_hospital"])
    return key.loc[differs, [
        "kunta_code", "kunta_name_fi", "maakunta_name_fi", "hyvinvointialue_name_fi",
        "yhteistyoalue_name_fi", "yhteistyoalue_university_hospital", "erva2020_abbr", "erva2020_name_fi",
    ]].reset_index(drop=True)


def units_for(year: int, level: str) -> pd.DataFrame:
    """Code and names of the units of a key level (for labelling dissolved layers)."""
    if level not in KEY_LEVELS:
        from helpers.base.errors import invalid

        raise invalid("level", level, KEY_LEVELS)
    key = municipality_key(year)
    cols = [f"{level}_code", f"{level}_name_fi", f"{level}_name_sv", f"{level}_name_en"]
    out = key[cols].drop_duplicates().rename(columns=dict(zip(cols, ["code", "name_fi", "name_sv", "name_en"])))
    return out.sort_values("code", ignore_index=True)
