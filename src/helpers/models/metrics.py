"""Metrics of a support-structure model and of each of its units.

Staffing (regional person-years, htv): a model's own figures where its source gives them (18+1: 18 + 2 htv,
seed 000). Where the source gives none (5+1, 2021 build), the comparison uses one of two conventions, both anchored
on the 18+1 proposal (Sotunet to STEA, 13.2.2020):
* ``sama_per_yksikko``: the same per unit as 18+1 — 1 regional htv per unit, 2 htv coordination;
* ``sama_kokonaismaara``: the same total as 18+1 — 20 htv: 2 coordination, 18 regional shared by population.
Järjestö 2.0 (htv not in the sources) stays unknown under both. A third convention, ``lahteen_mukaan`` (as in
the source), uses only what each model's source states: the 2021 build's headcounts (one regional expert per area,
two in Uusimaa, national coordination three persons; seed 002) — persons, not person-years — and the own htv of
18+1-type models; where the source states nothing the staffing stays unknown. Distances: municipality centres are the
representative points of the municipality polygons (EPSG:3067); a unit's population centre is the
population-weighted mean of its municipalities' centres. Areas are from generalised 1:4.5M boundaries.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from helpers.base import config
from helpers.base.errors import invalid
from helpers.geo.layers import load_layer
from helpers.models.model_files import Model, load_model, resolve
from helpers.geo.municipality_key import key_inputs, municipality_key
from helpers.sources.population import municipal_population_wfs, wfs_answer_sha256
from helpers.tables.surveys import support_for

REFERENCE = {"regional_htv_per_unit": 1.0, "coordination_htv": 2.0, "regional_htv_total": 18.0}  # 18+1, seed 000
STAFFING = {
    "sama_per_yksikko": "sama htv yksikköä kohden kuin 18+1-mallissa (1 htv/yksikkö + koordinaatio 2 htv)",
    "sama_kokonaismaara": "sama kokonaismäärä kuin 18+1-mallissa (20 htv: koordinaatio 2, alueille 18 väestön suhteessa)",
    "lahteen_mukaan": "lähteen mukaan (vuoden 2021 rakenteessa henkilömäärät, ei henkilötyövuosia; muuten mallin oma luku tai ei tiedossa)",
}
# Reader-facing labels of the conventions in the page languages (never the raw ids).
STAFFING_LABELS = {
    "sama_per_yksikko": {"fi": STAFFING["sama_per_yksikko"],
                         "sv": "samma årsverken per enhet som i 18+1-modellen (1 årsverke/enhet + samordning 2 årsverken)",
                         "en": "same person-years per unit as the 18+1 model (1 per unit + coordination 2)"},
    "sama_kokonaismaara": {"fi": STAFFING["sama_kokonaismaara"],
                           "sv": "samma totala antal som i 18+1-modellen (20 årsverken: samordning 2, regionerna 18 i proportion till befolkningen)",
                           "en": "same total as the 18+1 model (20 person-years: coordination 2, 18 to the areas by population)"},
    "lahteen_mukaan": {"fi": STAFFING["lahteen_mukaan"],
                       "sv": "enligt källan (för 2021 års struktur antal personer, inte årsverken; annars modellens egen siffra eller okänt)",
                       "en": "as in the source (for the 2021 build headcounts, not person-years; otherwise the model's own figure or unknown)"},
}
OWN_STAFFING_LABELS = {"fi": "mallin oma henkilöstö lähteen mukaan", "sv": "modellens egen personal enligt källan", "en": "the model's own staffing as in its source"}
HEADCOUNT_LABELS = {"fi": "henkilömäärät lähteen mukaan (ei henkilötyövuosia)", "sv": "antal personer enligt källan (inte årsverken)", "en": "headcounts as in the source (not person-years)"}
UNKNOWN_LABELS = {"fi": "henkilötyövuodet eivät ole tiedossa", "sv": "årsverkena är inte kända", "en": "person-years not known"}
POPULATION_YEAR = 2024


def model_citation(model: Model) -> str:
    """The model's source document (data/lahteet.csv) in a short form; a computed model names how it was computed;
    an own model says so."""
    if model.own:
        from helpers.models.model_files import OWN_MODEL

        return OWN_MODEL["fi"]
    if model.source.ref:
        from helpers.sources.citations import short_cite

        return short_cite(model.source.ref)
    return model.source.citation


def check_staffing(staffing: str) -> str:
    if staffing not in STAFFING:
        raise invalid("staffing", staffing, list(STAFFING))
    return staffing


def uses_headcounts(model: Model, staffing: str) -> bool:
    """True when the figures are the source's headcounts (persons), not person-years."""
    return staffing == "lahteen_mukaan" and not model.htv_known and bool(model.units) and all(u.headcount is not None for u in model.units)


def staffing_label(model: Model, staffing: str, lang: str = "fi") -> str:
    if model.htv_known:
        return OWN_STAFFING_LABELS[lang]
    if not model.staffing_applies:
        return UNKNOWN_LABELS[lang]
    if staffing == "lahteen_mukaan":
        return HEADCOUNT_LABELS[lang] if uses_headcounts(model, staffing) else UNKNOWN_LABELS[lang]
    return STAFFING_LABELS[staffing][lang]


def _inputs(year: int) -> str:
    # The raw sha256 of every answer the base is built from: a changed layer or population answer is a new entry.
    return "|".join(map(str, (*key_inputs(year), wfs_answer_sha256(POPULATION_YEAR))))


def _municipal_base(year: int) -> pd.DataFrame:
    return _municipal_base_cached(year, _inputs(year)).copy()


@lru_cache(maxsize=4)
def _municipal_base_cached(year: int, mode: str) -> pd.DataFrame:
    pop = municipal_population_wfs(POPULATION_YEAR)[["kunta_code", "population_total", "population_65_plus"]]
    kunta = load_layer("kunta", year)
    pts = kunta.geometry.representative_point()
    base = pd.DataFrame({"kunta_code": kunta["code"], "x": pts.x.values, "y": pts.y.values, "area_km2": kunta.geometry.area.values / 1e6})
    key = municipality_key(year)[["kunta_code", "hyvinvointialue_code", "yhteistyoalue_code"]]
    base = base.merge(pop, on="kunta_code", how="left", validate="one_to_one").merge(key, on="kunta_code", validate="one_to_one")
    if base["population_total"].isna().any():
        raise ValueError(f"no population for {base.loc[base['population_total'].isna(), 'kunta_code'].tolist()}")
    return base


def unit_metrics(model: str | Model, year: int, staffing: str = "sama_per_yksikko") -> pd.DataFrame:
    """One row per unit (see module docstring for the definitions)."""
    model = load_model(model)
    check_staffing(staffing)
    cached = _unit_metrics_cached(model.model_dump_json(), year, staffing, _inputs(year))
    out = cached.copy()
    out.attrs = dict(cached.attrs)
    return out


@lru_cache(maxsize=64)
def _unit_metrics_cached(model_json: str, year: int, staffing: str, mode: str) -> pd.DataFrame:
    model = Model.model_validate_json(model_json)
    base, ngo_count = _units_cached(model_json, year, mode)
    units = base.copy()
    units["regional_htv"] = _regional_htv(model, staffing, units)
    units["population_per_htv"] = units["population"] / units["regional_htv"].where(units["regional_htv"] > 0)
    units["municipalities_per_htv"] = units["municipalities"] / units["regional_htv"].where(units["regional_htv"] > 0)
    units["ngo_count"] = ngo_count
    units.attrs["staffing"] = staffing_label(model, staffing)
    units.attrs["headcounts"] = uses_headcounts(model, staffing)  # regional_htv then holds persons, not htv
    return units


@lru_cache(maxsize=32)
def _units_cached(model_json: str, year: int, mode: str) -> tuple[pd.DataFrame, pd.Series]:
    """What does not depend on the staffing (the scorecard asks for each model under three or four of them)."""
    model = Model.model_validate_json(model_json)
    res = resolve(model, year)
    base = _municipal_base(year).merge(res, on="kunta_code", how="inner", validate="one_to_one")
    split_regions = _split_welfare_regions(res, year)
    yta_sets = _sets(_municipal_base(year), "yhteistyoalue_code")
    rows = []
    for code, g in base.groupby("unit_code", sort=True):
        w = g["population_total"].to_numpy(dtype=float)
        cx, cy = np.average(g["x"], weights=w), np.average(g["y"], weights=w)
        dist = np.hypot(g["x"] - cx, g["y"] - cy) / 1000
        regions = set(g["hyvinvointialue_code"])
        rows.append({
            "unit_code": code, "unit_name_fi": g["unit_name_fi"].iloc[0], "unit_name_sv": g["unit_name_sv"].iloc[0], "unit_name_en": g["unit_name_en"].iloc[0],
            "population": int(g["population_total"].sum()), "population_65_plus": int(g["population_65_plus"].sum()),
            "municipalities": len(g), "welfare_regions": len(regions), "welfare_regions_split": len(regions & split_regions),
            "area_km2": float(g["area_km2"].sum()), "max_distance_km": float(dist.max()),
            "mean_distance_km": float(np.average(dist, weights=w)), "yta_relation": _relation(set(g["kunta_code"]), yta_sets),
        })
    units = pd.DataFrame(rows)
    return units, _ngo_counts(model, units)


def _regional_htv(model: Model, staffing: str, units: pd.DataFrame) -> pd.Series:
    if model.htv_known:
        return pd.Series(model.regional_htv_per_unit, index=units.index, dtype=float)
    if not model.staffing_applies:
        return pd.Series(np.nan, index=units.index, dtype=float)
    if staffing == "lahteen_mukaan":
        if not uses_headcounts(model, staffing):
            return pd.Series(np.nan, index=units.index, dtype=float)
        heads = {u.code: float(u.headcount) for u in model.units}
        return units["unit_code"].map(heads).astype("float64")
    if staffing == "sama_per_yksikko":
        return pd.Series(REFERENCE["regional_htv_per_unit"], index=units.index, dtype=float)
    return REFERENCE["regional_htv_total"] * units["population"] / units["population"].sum()


def coordination_htv(model: Model, staffing: str = "sama_per_yksikko") -> float:
    if model.htv_known:
        return float(model.coordination_htv)
    if staffing == "lahteen_mukaan":
        return float(model.coordination_headcount) if uses_headcounts(model, staffing) and model.coordination_headcount is not None else float("nan")
    return REFERENCE["coordination_htv"] if model.staffing_applies else float("nan")


def _split_welfare_regions(res: pd.DataFrame, year: int) -> set[str]:
    key = municipality_key(year)[["kunta_code", "hyvinvointialue_code"]].merge(res, on="kunta_code")
    n = key.groupby("hyvinvointialue_code")["unit_code"].nunique()
    return set(n[n > 1].index)


def _sets(base: pd.DataFrame, col: str) -> dict[str, set[str]]:
    return {code: set(g["kunta_code"]) for code, g in base.groupby(col)}


def _relation(members: set[str], areas: dict[str, set[str]]) -> str:
    """How a unit relates to today's collaboration areas (Finnish label)."""
    touching = {code: s for code, s in areas.items() if members & s}
    if len(touching) == 1:
        code, s = next(iter(touching.items()))
        return f"sama kuin yhteistyöalue {code}" if members == s else f"osa yhteistyöaluetta {code}"
    if all(s <= members for s in touching.values()) and set().union(*touching.values()) == members:
        return "yhteistyöalueiden " + " + ".join(sorted(touching)) + " yhdiste"
    return "leikkaa yhteistyöalueita " + ", ".join(sorted(touching))


def _ngo_counts(model: Model, units: pd.DataFrame) -> pd.Series:
    """Cited counts only where a unit is exactly a welfare region with a cited figure; never filled in."""
    cited = pd.read_csv(config.DATA_DIR / "jarjestomaarat.csv", dtype={"area_code": str})
    by_region = cited[cited["area_level"] == "hyvinvointialue"].set_index("area_code")["sote_organisations"]
    if model.basis != "hyvinvointialue":
        return pd.Series(np.nan, index=units.index)
    return units["unit_code"].map(by_region).astype("float64")


def model_summary(model: str | Model, year: int, staffing: str = "sama_per_yksikko") -> dict:
    """Model-level figures for the comparison table."""
    model = load_model(model)
    units = unit_metrics(model, year, staffing)
    regional = units["regional_htv"].sum(min_count=len(units)) if units["regional_htv"].notna().all() else float("nan")
    coord = coordination_htv(model, staffing)
    ppw = units["population_per_htv"]
    support = support_for(model.survey_question)
    res = resolve(model, year)
    split = sorted(_split_welfare_regions(res, year))
    return {
        "model": model.id, "name_fi": model.label("fi"), "units": len(units), "municipalities": int(units["municipalities"].sum()),
        "population": int(units["population"].sum()), "regional_htv": regional, "coordination_htv": coord,
        "total_htv": regional + coord, "staffing": staffing_label(model, staffing), "headcounts": uses_headcounts(model, staffing),
        "population_per_htv_max_min": float(ppw.max() / ppw.min()) if ppw.notna().all() and len(ppw) > 1 else float("nan"),
        "population_per_htv_cv": float(ppw.std(ddof=0) / ppw.mean()) if ppw.notna().all() and len(ppw) > 1 else float("nan"),
        "population_max_min": float(units["population"].max() / units["population"].min()),
        "welfare_regions_split": split, "max_distance_km": float(units["max_distance_km"].max()),
        "survey_question": model.survey_question, "survey_yes_pct": support["kylla"] if support else None,
        "survey_no_pct": support["ei"] if support else None, "survey_dont_know_pct": support["eos"] if support else None,
        "source": model_citation(model),
    }


def compare(models: list[str], year: int, staffing: str) -> pd.DataFrame:
    """One row per model."""
    if len(models) < 2:
        raise invalid("models", models, "two or more of " + ", ".join(__import__("helpers.models.model_files", fromlist=["x"]).model_names()))
    return pd.DataFrame([model_summary(m, year, staffing) for m in models])
