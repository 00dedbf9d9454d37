"""Registered associations by maakunta and purpose class (PRH association register), ``data/prh_yhdistykset_maakunnittain.csv``.

Class 3 (c3) = social and health associations ("sote associations"). The table is cited as stored: blank cells are gaps
of the stored copies (Åland 2025 cut after class 4, the 2024 copy cut before Keski-Pohjanmaa and Åland, no
"unclassified" column in 2022) and stay missing. The counts exist per maakunta only, so a grouping gets an exact
value only for units that are unions of whole maakunnat; for any other unit the value is missing with the reason, or —
when asked for by name — apportioned to municipalities by their share of the maakunta's population (31.12.2024).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from helpers.base import config
from helpers.base.errors import ValidationError, invalid
from helpers.tables.indicators import TIDY_COLUMNS
from helpers.geo.municipality_key import municipality_key, units_for

PRH_FILE = config.DATA_DIR / "prh_yhdistykset_maakunnittain.csv"
CLASSES = [f"c{i}" for i in range(1, 10)] + ["unclassified"]
SNAPSHOTS = ("2022-08-31", "2024-01-02", "2025-01-02")
LATEST = "2025-01-02"
INDICATOR_ID = "prh_sote_yhdistykset"
INDICATOR_NAMES = {"fi": "Sosiaali- ja terveysalan yhdistykset (PRH:n tarkoitusluokka 3)",
                   "sv": "Social- och hälsovårdsföreningar (PRH:s syftesklass 3)",
                   "en": "Social and health associations (PRH purpose class 3)"}
UNIT = "yhdistystä"
SOURCE = "Lähde: Patentti- ja rekisterihallitus (PRH), yhdistysrekisteri: yhdistysten määrät tarkoitusluokittain maakunnittain"
POPULATION_YEAR = 2024
# Known gaps of the stored copies: (as_of, maakunta) -> the columns that are blank there.
KNOWN_GAPS = {
    ("2025-01-02", "21"): ["c5", "c6", "c7", "c8", "c9", "unclassified", "total"],
    **{("2022-08-31", code): ["unclassified"] for code in
       ["01", "02", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "21"]},
}
MISSING_ROWS = {"2024-01-02": ["16", "21"]}  # the 2024 copy ends before Keski-Pohjanmaa and Åland

METHODS = ("union", "population_share")
METHOD_LABELS = {
    "union": {"fi": "maakuntien summa", "sv": "summan av landskapen", "en": "sum of whole regions (maakunnat)"},
    "population_share": {"fi": "jaettu kunnille maakunnan väestöosuuksien mukaan (arvio)",
                         "sv": "fördelat på kommunerna enligt deras andel av landskapets befolkning (uppskattning)",
                         "en": "apportioned to municipalities by their share of the region's (maakunta's) population (estimate)"},
    "missing": {"fi": "ei tietoa", "sv": "uppgift saknas", "en": "no data"},
}


def _reason_not_union(split: list[str], names: dict[str, str]) -> dict[str, str]:
    listed = ", ".join(names.get(c, c) for c in split)
    return {"fi": f"yksikkö ei ole kokonaisten maakuntien yhdiste (jakautuu: {listed}); PRH:n luvut ovat maakunnittain",
            "sv": f"enheten är inte en union av hela landskap (delas: {listed}); PRH:s siffror finns per landskap",
            "en": f"the unit is not a union of whole regions, maakunnat (split: {listed}); PRH counts exist per region only"}


def _reason_gap(as_of: str, codes: list[str], names: dict[str, str]) -> dict[str, str]:
    listed = ", ".join(names.get(c, c) for c in codes)
    return {"fi": f"PRH:n tallennetussa taulukossa {as_of} ei ole lukua: {listed}",
            "sv": f"PRH:s sparade tabell {as_of} saknar siffran för: {listed}",
            "en": f"PRH's stored table of {as_of} has no figure for: {listed}"}


@lru_cache(maxsize=1)
def _read() -> pd.DataFrame:
    df = pd.read_csv(PRH_FILE, dtype={"as_of": str, "maakunta_code": str, "maakunta_fi": str}, encoding="utf-8")
    for col in CLASSES + ["total"]:
        df[col] = df[col].astype("Int64")  # blanks stay <NA>
    return df


def prh_table() -> pd.DataFrame:
    """The validated PRH table: one row per snapshot and maakunta, classes c1–c9, unclassified, total (nullable)."""
    df = _read().copy()
    return check_prh(df, set(units_for(2025, "maakunta")["code"]))


def check_prh(df: pd.DataFrame, known: set[str] | None = None) -> pd.DataFrame:
    """The PRH table's rules (``prh_table`` applies them all): maakunta codes among ``known`` (the maakunta layer's;
    None: not checked, e.g. before any layer is loaded), each snapshot and maakunta once, the three snapshots, the
    rows and blanks of the stored copies, classes summing to the total. Raises ValidationError naming the row."""
    if known is not None:
        bad = sorted(set(df["maakunta_code"]) - known)
        if bad:
            raise ValidationError(f"{PRH_FILE.name}: unknown maakunta codes {bad} (known: {', '.join(sorted(known))})")
    if df.duplicated(["as_of", "maakunta_code"]).any():
        raise ValidationError(f"{PRH_FILE.name}: rows twice: {df.loc[df.duplicated(['as_of', 'maakunta_code']), ['as_of', 'maakunta_code']].values.tolist()}")
    if sorted(df["as_of"].unique()) != list(SNAPSHOTS):
        raise ValidationError(f"{PRH_FILE.name}: snapshots {sorted(df['as_of'].unique())}, expected {list(SNAPSHOTS)}")
    for as_of, rows in df.groupby("as_of") if known is not None else ():
        absent = sorted(known - set(rows["maakunta_code"]))
        if absent != MISSING_ROWS.get(as_of, []):
            raise ValidationError(f"{PRH_FILE.name} {as_of}: maakunnat without a row {absent}, expected {MISSING_ROWS.get(as_of, [])}")
    for _, row in df.iterrows():
        blank = [c for c in CLASSES + ["total"] if pd.isna(row[c])]
        expected = KNOWN_GAPS.get((row["as_of"], row["maakunta_code"]), [])
        if blank != expected:
            raise ValidationError(f"{PRH_FILE.name} {row['as_of']} {row['maakunta_code']}: blank columns {blank}, expected {expected}")
        if pd.notna(row["total"]):
            parts = int(sum(int(row[c]) for c in CLASSES if pd.notna(row[c])))
            if parts != int(row["total"]):
                raise ValidationError(f"{PRH_FILE.name} {row['as_of']} {row['maakunta_code']}: classes sum to {parts}, total is {row['total']}")
    return df


def check_as_of(as_of: str) -> str:
    if as_of not in SNAPSHOTS:
        raise invalid("as_of", as_of, SNAPSHOTS)
    return as_of


def sote_associations(as_of: str = LATEST) -> pd.DataFrame:
    """The indicator at maakunta level, in the tidy-table columns of helpers.tables.indicators (all 19 maakunnat; a gap
    of the stored copy is a missing value with ``missing_reason_fi``)."""
    check_as_of(as_of)
    table = prh_table()
    rows = table[table["as_of"] == as_of].set_index("maakunta_code")
    units = units_for(2025, "maakunta").sort_values("code")
    names = dict(zip(units["code"], units["name_fi"]))
    out = pd.DataFrame({
        "area_level": "maakunta", "area_code": units["code"].values, "area_name_fi": units["name_fi"].values,
        "area_name_sv": units["name_sv"].values, "area_name_en": units["name_en"].values, "year": int(as_of[:4]),
        "indicator_id": INDICATOR_ID,
        "value": [float(rows.loc[c, "c3"]) if c in rows.index and pd.notna(rows.loc[c, "c3"]) else np.nan for c in units["code"]],
        "unit": UNIT, "source": f"{SOURCE}, tilanne {as_of}",
    })
    out["as_of"] = as_of
    for col in TIDY_COLUMNS:
        if col not in out:
            out[col] = ""  # e.g. the source's value flags: PRH marks none
    out["missing_reason_fi"] = [None if pd.notna(v) else _reason_gap(as_of, [c], names)["fi"] for c, v in zip(out["area_code"], out["value"])]
    return out[TIDY_COLUMNS + ["as_of", "missing_reason_fi"]].reset_index(drop=True)


@lru_cache(maxsize=4)
def _municipal_shares(year: int, as_of: str, mode: str) -> pd.DataFrame:
    from helpers.sources.population import municipal_population_wfs

    key = municipality_key(year)[["kunta_code", "maakunta_code"]]
    pop = municipal_population_wfs(POPULATION_YEAR)[["kunta_code", "population_total"]]
    base = key.merge(pop, on="kunta_code", how="left", validate="one_to_one")
    if base["population_total"].isna().any():
        raise ValidationError(f"no population for {base.loc[base['population_total'].isna(), 'kunta_code'].tolist()}")
    base["share"] = base["population_total"] / base.groupby("maakunta_code")["population_total"].transform("sum")
    c3 = sote_associations(as_of).set_index("area_code")["value"]
    base["c3_maakunta"] = base["maakunta_code"].map(c3)
    return base


def by_units(mapping: pd.Series, year: int = 2025, *, as_of: str = LATEST, method: str = "union") -> pd.DataFrame:
    """Sote associations per unit of a grouping (``mapping``: kunta_code -> unit_code, the municipalities covered).

    Columns unit_code, sote_associations, method (union / population_share / missing), method_fi/sv/en,
    missing_reason_fi/sv/en, is_union (the unit is a union of whole maakunnat)."""
    if method not in METHODS:
        raise invalid("method", method, METHODS)
    check_as_of(as_of)
    mirror = config.mirror_dir()
    base = _municipal_shares(year, as_of, str(mirror) if mirror else "live").copy()
    base = base[base["kunta_code"].isin(mapping.index)]
    base["unit_code"] = base["kunta_code"].map(mapping)
    names = dict(zip(*units_for(year, "maakunta")[["code", "name_fi"]].T.values))
    key = municipality_key(year)
    units_of_maakunta = base.groupby("maakunta_code")["unit_code"].nunique()
    full_count = key.groupby("maakunta_code")["kunta_code"].count()
    covered_count = base.groupby("maakunta_code")["kunta_code"].count()
    rows = []
    for unit, g in base.groupby("unit_code", sort=True):
        mks = sorted(set(g["maakunta_code"]))
        split = [m for m in mks if units_of_maakunta[m] > 1 or covered_count[m] != full_count[m]]
        gaps = sorted(set(g.loc[g["c3_maakunta"].isna(), "maakunta_code"]))
        row = {"unit_code": unit, "is_union": not split}
        if gaps:
            value, used, reason = np.nan, "missing", _reason_gap(as_of, gaps, names)
        elif not split:
            value, used, reason = float(g.drop_duplicates("maakunta_code")["c3_maakunta"].sum()), "union", None
        elif method == "population_share":
            value, used, reason = float((g["c3_maakunta"] * g["share"]).sum()), "population_share", None
        else:
            value, used, reason = np.nan, "missing", _reason_not_union(split, names)
        row.update({"sote_associations": value, "method": used, **{f"method_{lang}": METHOD_LABELS[used][lang] for lang in ("fi", "sv", "en")},
                    **{f"missing_reason_{lang}": (reason or {}).get(lang) for lang in ("fi", "sv", "en")}})
        rows.append(row)
    return pd.DataFrame(rows)


def by_level(level: str, year: int = 2025, *, as_of: str = LATEST, method: str = "union") -> pd.DataFrame:
    """``by_units`` for a level of the municipality key (maakunta, hyvinvointialue, yhteistyoalue, erva2020)."""
    from helpers.geo.municipality_key import KEY_LEVELS

    if level not in KEY_LEVELS or level == "kunta":
        raise invalid("level", level, [lv for lv in KEY_LEVELS if lv != "kunta"])
    key = municipality_key(year)
    return by_units(key.set_index("kunta_code")[f"{level}_code"], year, as_of=as_of, method=method)


def by_model(model, year: int = 2025, *, as_of: str = LATEST, method: str = "union") -> pd.DataFrame:
    """``by_units`` for a support-structure model's units."""
    from helpers.models.model_files import mapping

    return by_units(mapping(model, year), year, as_of=as_of, method=method)
