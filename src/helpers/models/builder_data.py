"""Per-area data for the model builder (``helpers.site.builder``): what the page needs to compute, in the reader's
browser, the same criteria ``helpers.models.decision.model_column`` computes for a model made of whole welfare
regions.

The areas are the 22 mainland welfare-region areas (the 21 welfare regions and Helsinki) and, last, Åland (91,
``mainland: false``), which a plan includes only when the reader adds it (a model file then says ``aland: own_unit``,
the rule ``model_files.resolve`` checks). Per area: population
31.12.2024 (integer, summed from municipalities as ``metrics.unit_metrics`` does), its maakunta, the maakunta's sote
associations (PRH class 3) and the area's population-share estimate (``associations.by_units``). The page applies the
scorecard's rule per unit: exact (the sum of whole maakunnat) when the unit holds every area of each maakunta it
touches, otherwise the sum of the estimates. Distances: for each pair of areas the longest straight line between
their municipalities' convex hulls (km); a unit's longest distance is the largest over its pairs, which is exactly
the scorecard's farthest pair of the unit's hull points. Adjacency is the census's (``partitions.region_graph``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.base.languages import LANGS
from helpers.geo.municipality_key import municipality_key
from helpers.models import associations
from helpers.models.model_files import Model, load_model, model_names, resolve

FORMAT = 1


def _area_points(year: int, codes: list[str]) -> dict[str, np.ndarray]:
    import shapely

    from helpers.geo.layers import load_layer

    key = municipality_key(year).set_index("kunta_code")["hyvinvointialue_code"]
    kunta = load_layer("kunta", year)
    pts: dict[str, list] = {}
    for code, geom in zip(kunta["code"], kunta.geometry):
        area = key.get(code)
        if area in codes:
            pts.setdefault(area, []).append(shapely.get_coordinates(geom.convex_hull))
    out = {}
    for area, parts in pts.items():
        # the farthest point of a set from any point is a vertex of its hull: the hull's vertices are enough
        hull = shapely.convex_hull(shapely.multipoints(np.concatenate(parts)))
        out[area] = shapely.get_coordinates(hull)
    return out


def distance_matrix(year: int, codes: list[str]) -> list[list[float]]:
    """Longest straight-line distance (km) between any point of area i and any point of area j (i == j: inside i)."""
    from scipy.spatial.distance import cdist

    pts = _area_points(year, codes)
    return [[round(float(cdist(pts[a], pts[b]).max() / 1000), 4) for b in codes] for a in codes]


def areas(year: int = 2025, *, aland: bool = False) -> list[dict]:
    """The mainland areas in code order (with ``aland``, Åland after them): code, ``mainland``, maakunta,
    population, the maakunta's class-3 count, the estimate. The estimate is a municipality's share of its maakunta,
    so adding Åland changes no mainland number."""
    from helpers.sources.population import municipal_population_wfs

    key = municipality_key(year)
    if not aland:
        key = key[key["mainland"]]
    pop = municipal_population_wfs(associations.POPULATION_YEAR)[["kunta_code", "population_total"]]
    base = key.merge(pop, on="kunta_code", how="left", validate="one_to_one")
    c3 = associations.sote_associations().set_index("area_code")["value"]
    estimate = associations.by_units(key.set_index("kunta_code")["hyvinvointialue_code"], year,
                                     method="population_share").set_index("unit_code")["sote_associations"]
    out = []
    for (_, code), g in base.groupby([~base["mainland"], "hyvinvointialue_code"], sort=True):
        mk = g["maakunta_code"].iloc[0]
        out.append({"code": code, "mainland": bool(g["mainland"].all()), "maakunta": mk, "population": int(g["population_total"].sum()),
                    "maakunta_associations": None if pd.isna(c3.get(mk)) else float(c3[mk]),
                    "associations_estimate": None if pd.isna(estimate.get(code)) else float(estimate[code]),
                    "name": {lang: str(g[f"hyvinvointialue_name_{lang}"].fillna(g["hyvinvointialue_name_fi"]).iloc[0]) for lang in LANGS}})
    return out


def as_plan(model: Model | str, year: int, codes: list[str]) -> dict | None:
    """A model as a plan of whole areas: ``units`` (names, members) and ``split`` (areas the model divides between
    units; each is then put in the unit holding most of its population, the nearest whole-region version). ``codes``:
    the areas the builder knows (Åland among them); None when the model leaves out a mainland area. ``aland``: the
    model puts Åland in a unit (``aland: own_unit``)."""
    from helpers.sources.population import municipal_population_wfs

    m = load_model(model)
    res = resolve(m, year)
    key = municipality_key(year)[["kunta_code", "hyvinvointialue_code"]]
    pop = municipal_population_wfs(associations.POPULATION_YEAR)[["kunta_code", "population_total"]]
    res = res.merge(key, on="kunta_code").merge(pop, on="kunta_code", how="left")
    res = res[res["hyvinvointialue_code"].isin(codes)]
    mainland = set(municipality_key(year).query("mainland")["hyvinvointialue_code"])
    present = set(res["hyvinvointialue_code"])
    if not (mainland & set(codes)) <= present:
        return None
    codes = [c for c in codes if c in present]
    by = res.groupby(["hyvinvointialue_code", "unit_code"], sort=True)["population_total"].sum().reset_index()
    split = sorted(c for c, g in by.groupby("hyvinvointialue_code") if len(g) > 1)
    # ties: the unit listed first (sorted codes), so the choice does not depend on the order of the file
    owner = by.sort_values(["hyvinvointialue_code", "population_total", "unit_code"], ascending=[True, False, True]) \
              .drop_duplicates("hyvinvointialue_code").set_index("hyvinvointialue_code")["unit_code"]
    names = res.drop_duplicates("unit_code").set_index("unit_code")
    units = []
    for unit in sorted(set(owner)):
        members = sorted(c for c in codes if owner[c] == unit)
        units.append({"code": unit, "members": members,
                      "name": {lang: str(names.loc[unit, f"unit_name_{lang}"] or names.loc[unit, "unit_name_fi"]) for lang in LANGS}})
    return {"id": m.id, "label": {lang: m.label(lang) for lang in LANGS}, "units": units, "split": split,
            "aland": bool(present - mainland)}


def references_from(site_data: dict | None, year: int = 2025) -> list:
    """The computed optima the scorecard compared (``optimi_*``), as models, read back from its site data: each unit's
    name there is its welfare regions' Finnish names joined by ", " (``partitions.as_model``), so no search is run."""
    from helpers.models import partitions

    key = municipality_key(year).drop_duplicates("hyvinvointialue_code")
    code_of = dict(zip(key["hyvinvointialue_name_fi"], key["hyvinvointialue_code"]))
    out = []
    for model_id, units in sorted(((site_data or {}).get("units") or {}).items()):
        parts = model_id.split("_")
        if len(parts) != 3 or parts[0] != "optimi" or not parts[1].isdigit() or parts[2] not in partitions.OBJECTIVES:
            continue
        try:
            groups = [tuple(code_of[n] for n in str(units[u]["fi"]).split(", ")) for u in sorted(units, key=lambda c: int(c.split("_")[-1]))]
        except (KeyError, ValueError):
            continue  # not the scorecard's naming: left out rather than guessed
        p = partitions.Partition(parts[2], "population" if parts[2] == "population" else "maakunta_graph", int(parts[1]),
                                 groups, [0.0] * len(groups), float("nan"))
        out.append(partitions.as_model(p, year))
    return out


def builder_data(year: int = 2025, site_data: dict | None = None) -> dict:
    """Everything the builder page computes from (JSON-able). ``site_data``: the scorecard's site data
    (``site/data/tulostaulu.json``), for the computed optima and the census summaries by k (``decision.evenness``)."""
    from helpers.models.partitions import region_graph

    area_list = areas(year, aland=True)
    codes = [a["code"] for a in area_list]
    g = region_graph(year)
    plans = []
    for m in [*model_names(), *references_from(site_data, year)]:
        plan = as_plan(m, year, codes)
        if plan is not None:
            plans.append(plan)
    even = {}
    for k, s in ((((site_data or {}).get("decision") or {}).get("evenness")) or {}).items():
        exact = [{"max": int(o["max"]), "min": int(o["min"]), "count": int(o["at_least_as_even"])} for o in s.get("official", [])]
        if s.get("optima"):
            w = s["optima"][0]["weights"]
            exact.append({"max": int(max(w)), "min": int(min(w)), "count": len(s["optima"])})  # every tie is listed
        even[str(k)] = {"count": int(s["count"]), "exact": exact,
                        "bins": [[b["lo"], b["hi"], int(b["cumulative"])] for b in s["bins"]]}
    return {"format": FORMAT, "year": year, "areas": area_list,
            "edges": sorted([min(a, b), max(a, b)] for a, b in g.edges),
            "distances": distance_matrix(year, codes), "models": plans, "evenness": even}
