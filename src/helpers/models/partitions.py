"""The most balanced contiguous grouping of the 22 mainland welfare-region areas (21 regions + Helsinki) into k units.

Exact: a branch-and-bound enumeration of connected partitions. Each step takes the lowest-numbered area not yet
placed and enumerates every connected set of free areas containing it (each set once: an area passed over is
forbidden in later branches); a set is kept only if the partition can still beat the best ratio found, i.e. its
weight lies strictly between ``max/best`` and ``min × best`` of the parts chosen so far and between
``W/(k·best)`` and ``best·W/k`` (W = total weight: the smallest part is at most W/k and the largest at least W/k),
and only if every connected component of the remaining areas can still be cut into parts of that size. Nothing is
sampled, so the answer is the optimum (ties: the first found, in code order — deterministic).

Objective: max/min over units of weight per worker with one worker per unit (population 31.12.2024, or PRH class-3
sote associations). Adjacency: the areas share a boundary line of positive length on Statistics Finland's generalised
1:4.5M welfare-region layer (a shared point does not count).

PRH counts exist per maakunta, and Uusimaa's four welfare regions and Helsinki form one maakunta. For associations
there are two named variants: ``maakunta_graph`` (exact counts; the five Uusimaa areas are one node that stays
together, 18 nodes) and ``population_share`` (22 nodes; Uusimaa's count apportioned to its five areas by population).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache

import networkx as nx
import pandas as pd

from helpers.base import config
from helpers.base.errors import ValidationError, invalid
from helpers.geo.municipality_key import municipality_key
from helpers.models import associations

OBJECTIVES = ("population", "associations")
ASSOCIATION_VARIANTS = ("maakunta_graph", "population_share")
VARIANT_LABELS = {
    "population": {"fi": "väestö 31.12.2024, 22 aluetta", "sv": "befolkning 31.12.2024, 22 områden", "en": "population 31 Dec 2024, 22 areas"},
    "maakunta_graph": {"fi": "PRH:n sote-yhdistykset; Uudenmaan viisi aluetta yhtenä maakuntana (18 solmua)",
                       "sv": "PRH:s social- och hälsovårdsföreningar; Nylands fem områden som ett landskap (18 noder)",
                       "en": "PRH social and health associations; Uusimaa's five areas as one region (maakunta; 18 nodes)"},
    "population_share": {"fi": "PRH:n sote-yhdistykset; Uudenmaan luku jaettu sen viidelle alueelle väestöosuuksin (arvio, 22 solmua)",
                         "sv": "PRH:s social- och hälsovårdsföreningar; Nylands siffra fördelad på dess fem områden efter befolkningsandel (uppskattning, 22 noder)",
                         "en": "PRH social and health associations; Uusimaa's count apportioned to its five areas by population share (estimate, 22 nodes)"},
}
UUSIMAA_NODE = "01+02+03+04+90"
MIN_SHARED_BOUNDARY_M = 1.0


@dataclass
class Partition:
    objective: str
    variant: str
    k: int
    parts: list[tuple[str, ...]]  # welfare-region codes per unit, sorted
    weights: list[float]
    ratio: float
    seconds: float = 0.0
    nodes_examined: int = 0
    extra: dict = field(default_factory=dict)


def _mode() -> str:
    mirror = config.mirror_dir()
    return str(mirror) if mirror else "live"


@lru_cache(maxsize=4)
def _region_graph(year: int, mode: str) -> nx.Graph:
    from helpers.geo.layers import load_layer
    from helpers.sources.population import municipal_population_wfs

    layer = load_layer("hyvinvointialue", year, mainland=True).set_index("code")
    key = municipality_key(year)
    key = key[key["mainland"]].merge(municipal_population_wfs(associations.POPULATION_YEAR)[["kunta_code", "population_total"]], on="kunta_code")
    pop = key.groupby("hyvinvointialue_code")["population_total"].sum()
    maakunta = key.groupby("hyvinvointialue_code")["maakunta_code"].first()
    g = nx.Graph()
    for code in sorted(layer.index):
        g.add_node(code, name_fi=layer.loc[code, "name_fi"], population=float(pop[code]), maakunta=maakunta[code])
    codes = sorted(layer.index)
    for i, a in enumerate(codes):
        for b in codes[i + 1:]:
            shared = layer.geometry[a].intersection(layer.geometry[b])
            if not shared.is_empty and shared.length >= MIN_SHARED_BOUNDARY_M:
                g.add_edge(a, b, shared_km=round(shared.length / 1000, 1))
    return g


def region_graph(year: int = 2025) -> nx.Graph:
    """The 22 mainland welfare-region areas: node attribute population, edges = shared boundaries."""
    return _region_graph(year, _mode()).copy()


def weighted_graph(objective: str = "population", variant: str = "maakunta_graph", year: int = 2025) -> nx.Graph:
    """The graph the optimisation runs on, node attribute ``weight`` (a node may stand for several areas: ``members``)."""
    if objective not in OBJECTIVES:
        raise invalid("objective", objective, OBJECTIVES)
    g = region_graph(year)
    for n in g.nodes:
        g.nodes[n]["members"] = (n,)
    if objective == "population":
        for n in g.nodes:
            g.nodes[n]["weight"] = g.nodes[n]["population"]
        return g
    if variant not in ASSOCIATION_VARIANTS:
        raise invalid("variant", variant, ASSOCIATION_VARIANTS)
    if variant == "population_share":
        key = municipality_key(year)
        per_region = associations.by_units(key[key["mainland"]].set_index("kunta_code")["hyvinvointialue_code"], year, method="population_share")
        values = per_region.set_index("unit_code")["sote_associations"]
        for n in g.nodes:
            g.nodes[n]["weight"] = float(values[n])
        return g
    c3 = associations.sote_associations().set_index("area_code")["value"]
    uusimaa = sorted(n for n in g.nodes if g.nodes[n]["maakunta"] == "01")
    merged = nx.Graph()
    for n in g.nodes:
        if n not in uusimaa:
            merged.add_node(n, members=(n,), weight=float(c3[g.nodes[n]["maakunta"]]), population=g.nodes[n]["population"])
    merged.add_node(UUSIMAA_NODE, members=tuple(uusimaa), weight=float(c3["01"]), population=sum(g.nodes[n]["population"] for n in uusimaa))
    for a, b in g.edges:
        a2, b2 = (UUSIMAA_NODE if a in uusimaa else a), (UUSIMAA_NODE if b in uusimaa else b)
        if a2 != b2:
            merged.add_edge(a2, b2)
    return merged


def _components(mask: int, adj: list[int]) -> list[int]:
    comps = []
    while mask:
        seed = mask & -mask
        comp, front = seed, seed
        while front:
            bit = front & -front
            front ^= bit
            new = adj[bit.bit_length() - 1] & mask & ~comp
            comp |= new
            front |= new
        comps.append(comp)
        mask &= ~comp
    return comps


def _weight(mask: int, w: list[float]) -> float:
    total = 0.0
    while mask:
        bit = mask & -mask
        total += w[bit.bit_length() - 1]
        mask ^= bit
    return total


RATIO_CEILINGS = (1.05, 1.1, 1.2, 1.4, 1.7, 2.2, 3.0, 5.0, 10.0, float("inf"))
_SEARCHES: dict = {}  # (k, the graph's weights, members and edges) -> best_partition's answer


def optimal_partition(k: int, objective: str = "population", variant: str = "maakunta_graph", year: int = 2025) -> Partition:
    """The exact optimum (min of max/min weight per unit, one worker per unit) for k connected units."""
    g = weighted_graph(objective, variant, year)
    start = time.perf_counter()
    # The same search on the same graph gives the same answer: the scorecard asks again for the optima the
    # comparison with official groupings found (four searches, 2-3 s).
    key = (k, tuple(sorted((n, d["weight"], tuple(d.get("members", ()))) for n, d in g.nodes(data=True))),
           tuple(sorted(tuple(sorted(e)) for e in g.edges)))
    if key not in _SEARCHES:
        _SEARCHES[key] = (*best_partition(g, k), time.perf_counter() - start)
    ratio, parts, weights, examined, seconds = _SEARCHES[key]  # the search's own time, also when asked again
    return Partition(objective, variant if objective == "associations" else "population", k, list(parts), list(weights), ratio,
                     seconds, examined)


def best_partition(g: nx.Graph, k: int) -> tuple[float, list[tuple[str, ...]], list[float], int]:
    """Branch and bound on any graph with node attribute ``weight`` (> 0) and optional ``members``: the ratio,
    the parts (member codes), their weights and the number of search nodes examined."""
    nodes = sorted(g.nodes)
    if isinstance(k, bool) or not isinstance(k, int) or not 2 <= k <= len(nodes):
        raise invalid("k", k, range(2, len(nodes) + 1))
    index = {n: i for i, n in enumerate(nodes)}
    adj = [sum(1 << index[m] for m in g.neighbors(n)) for n in nodes]
    w = [g.nodes[n]["weight"] for n in nodes]
    total = sum(w)
    state = {"best": float("inf"), "parts": None, "examined": 0}
    examined = 0

    def bounds(cur_min: float, cur_max: float) -> tuple[float, float]:
        best = state["best"]
        lo = max(total / (k * best), cur_max / best) if best < float("inf") else 0.0
        hi = min(best * total / k, cur_min * best) if best < float("inf") else float("inf")
        return lo, hi

    def feasible(rest: int, parts_left: int, lo: float, hi: float) -> bool:
        need_min = need_max = 0
        for comp in _components(rest, adj):
            pc = _weight(comp, w)
            most = int(pc // lo) if lo > 0 else len(nodes)
            least = -int(-pc // hi) if hi < float("inf") else 1
            if most < 1 or least > most:
                return False
            need_min += max(least, 1)
            need_max += most
        return need_min <= parts_left <= need_max

    def solve(remaining: int, parts_left: int, cur_min: float, cur_max: float, chosen: list[int]) -> None:
        state["examined"] += 1
        if parts_left == 1:
            p = _weight(remaining, w)
            if len(_components(remaining, adj)) != 1:
                return
            ratio = max(cur_max, p) / min(cur_min, p)
            if ratio < state["best"]:
                state["best"], state["parts"] = ratio, [*chosen, remaining]
            return
        v = remaining & -remaining

        def grow(s: int, s_weight: float, frontier: int, forbidden: int) -> None:
            lo, hi = bounds(cur_min, cur_max)
            if lo < s_weight < hi:
                rest = remaining & ~s
                lo2, hi2 = bounds(min(cur_min, s_weight), max(cur_max, s_weight))
                if rest and feasible(rest, parts_left - 1, lo2, hi2):
                    solve(rest, parts_left - 1, min(cur_min, s_weight), max(cur_max, s_weight), [*chosen, s])
            f = frontier
            while f:
                u = f & -f
                f ^= u
                uw = w[u.bit_length() - 1]
                if s_weight + uw < bounds(cur_min, cur_max)[1]:
                    new_front = (f | adj[u.bit_length() - 1]) & remaining & ~s & ~u & ~forbidden
                    grow(s | u, s_weight + uw, new_front, forbidden)
                forbidden |= u

        grow(v, w[v.bit_length() - 1], adj[v.bit_length() - 1] & remaining, 0)

    # The search with a ceiling on the ratio examines only partitions below it and finds the best of them, so the
    # first ceiling that admits one gives the exact optimum; tight ceilings prune from the start (the six searches
    # of the scorecard: 3.5 s with no ceiling, 0.35 s with these).
    for ceiling in RATIO_CEILINGS:
        state.update(best=ceiling, parts=None, examined=0)
        solve((1 << len(nodes)) - 1, k, float("inf"), 0.0, [])
        examined += state["examined"]
        if state["parts"] is not None:
            break
    if state["parts"] is None:
        raise ValidationError(f"no partition of the graph into {k} connected parts")
    parts = []
    for mask in state["parts"]:
        members = tuple(sorted(m for i, n in enumerate(nodes) if mask >> i & 1 for m in g.nodes[n].get("members", (n,))))
        parts.append((members, _weight(mask, w)))
    parts.sort()
    return state["best"], [p for p, _ in parts], [x for _, x in parts], examined


def grouping_weights(parts: list[tuple[str, ...]], objective: str = "population", variant: str = "maakunta_graph", year: int = 2025) -> list[float] | None:
    """Weights of a grouping of welfare-region areas on the optimisation's graph (None when a unit splits a node)."""
    g = weighted_graph(objective, variant, year)
    node_of = {m: n for n in g.nodes for m in g.nodes[n]["members"]}
    out = []
    for part in parts:
        nodes = {node_of[m] for m in part}
        if any(not set(g.nodes[n]["members"]) <= set(part) for n in nodes):
            return None
        out.append(sum(g.nodes[n]["weight"] for n in sorted(nodes)))  # in a fixed order: a set's follows the hash seed
    return out


def official_groupings(year: int = 2025) -> dict[str, list[tuple[str, ...]]]:
    """Official groupings that are unions of welfare regions: the collaboration areas (5) and the 2021 build (6)."""
    from helpers.models.model_files import resolve

    key = municipality_key(year)
    key = key[key["mainland"]]
    out = {}
    for model in ("malli_5_1_yta", "rakenne_2021"):
        res = resolve(model, year).merge(key[["kunta_code", "hyvinvointialue_code"]], on="kunta_code")
        out[model] = sorted(tuple(sorted(set(g["hyvinvointialue_code"]))) for _, g in res.groupby("unit_code"))
    return out


def model_ratio(model: str, objective: str = "population", year: int = 2025) -> tuple[float, str]:
    """max/min of weight per unit (one worker per unit) on a model's own units, from municipality-level values:
    population exactly; associations exactly for unions of maakunnat, otherwise by population share (named)."""
    from helpers.models.model_files import mapping
    from helpers.models.metrics import unit_metrics

    if objective == "population":
        pop = unit_metrics(model, year)["population"]
        return float(pop.max() / pop.min()), VARIANT_LABELS["population"]["fi"]
    per_unit = associations.by_units(mapping(model, year), year, method="population_share")
    v = per_unit["sote_associations"]
    method = "population_share" if (per_unit["method"] == "population_share").any() else "maakunta_graph"
    return float(v.max() / v.min()), VARIANT_LABELS[method]["fi"]


def distance_from_optimum(ks=(5, 6), year: int = 2025) -> pd.DataFrame:
    """Each official grouping beside the optimum for its k and objective: ratio, optimum, ratio / optimum."""
    official = official_groupings(year)
    model_k = {"malli_5_1_yta": 5, "rakenne_2021": 6, "malli_5_1_erva2020": 5}
    rows = []
    for objective, variant in (("population", "population"), ("associations", "maakunta_graph"), ("associations", "population_share")):
        for k in ks:
            opt = optimal_partition(k, objective, variant if objective == "associations" else "maakunta_graph", year)
            rows.append({"objective": objective, "variant": variant, "k": k, "grouping": "optimum", "ratio": opt.ratio,
                         "optimum": opt.ratio, "times_optimum": 1.0, "comparable": True, "note_fi": VARIANT_LABELS[variant]["fi"],
                         "parts": [list(part) for part in opt.parts], "seconds": opt.seconds})
            for model, kk in model_k.items():
                if kk != k:
                    continue
                if model in official:
                    weights = grouping_weights(official[model], objective, variant if objective == "associations" else "maakunta_graph", year)
                    ratio = max(weights) / min(weights) if weights else float("nan")
                    note = VARIANT_LABELS[variant]["fi"]
                    comparable = weights is not None
                else:
                    # The 2020 erva areas split three welfare regions: outside the optimisation's feasible set,
                    # compared on its own units (population exact; associations only by population share).
                    if objective == "associations" and variant == "maakunta_graph":
                        ratio, note, comparable = float("nan"), "erva-alueet 2020 eivät ole maakuntien yhdisteitä: ei vertailukelpoinen ilman arviota", False
                    else:
                        ratio, note = model_ratio(model, objective, year)
                        comparable = True
                        note = f"{note}; jakaa hyvinvointialueita, ei kuulu optimoinnin vaihtoehtoihin"
                rows.append({"objective": objective, "variant": variant, "k": k, "grouping": model, "ratio": ratio, "optimum": opt.ratio,
                             "times_optimum": ratio / opt.ratio if ratio == ratio else float("nan"), "comparable": comparable, "note_fi": note,
                             "parts": [list(part) for part in official[model]] if model in official else None, "seconds": None})
    return pd.DataFrame(rows)


OBJECTIVE_WORDS = {"population": {"fi": "väestön mukaan", "sv": "efter befolkning", "en": "by population"},
                   "associations": {"fi": "sote-yhdistysten mukaan", "sv": "efter social- och hälsovårdsföreningar", "en": "by social and health associations"}}


def as_model(p: Partition, year: int = 2025):
    """The optimum as a support-structure model (one worker per unit, coordination 2 htv as in 18+1) for the scorecard."""
    from helpers.models.model_files import Model

    key = municipality_key(year)
    names = key.drop_duplicates("hyvinvointialue_code").set_index("hyvinvointialue_code")
    units = []
    for i, part in enumerate(p.parts, start=1):
        label = {lang: ", ".join(names.loc[c, f"hyvinvointialue_name_{lang}"] for c in part) for lang in ("fi", "sv", "en")}
        units.append({"code": f"alue_{i}", "name": label, "members": list(part), "headcount": 1})
    words = OBJECTIVE_WORDS[p.objective]
    return Model.model_validate({
        "id": f"optimi_{p.k}_{p.objective}",
        "name": {"fi": f"Tasaisin {p.k} alueen jako {words['fi']} (laskettu vertailukohta)",
                 "sv": f"Jämnaste indelningen i {p.k} områden {words['sv']} (beräknad referens)",
                 "en": f"Most balanced {p.k}-unit grouping {words['en']} (computed reference)"},
        "source": {"seed": "000_40c8c2f453133c56.txt", "date": "2025-01-01",
                   "citation": f"Laskettu: {VARIANT_LABELS[p.variant]['fi']}; suurin/pienin {p.ratio:.4f}"},
        "basis": "groups", "member_level": "hyvinvointialue", "aland": "excluded",
        "regional_htv_per_unit": 1, "coordination_htv": 2, "survey_question": None, "units": units,
    })


def optimum_models(ks=(5, 6), year: int = 2025) -> list:
    """The optima (population; associations on the maakunta graph) for each k, as models."""
    return [as_model(optimal_partition(k, objective, "maakunta_graph", year), year) for objective in OBJECTIVES for k in ks]
