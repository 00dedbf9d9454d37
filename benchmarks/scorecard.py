"""Time of the scorecard for all models (with the default allocations and the optima) and of the exact
optimisation for k = 5 and 6 (population; associations on the maakunta graph and by population share); the census
of every connected grouping for k = 5 and 6 (computed afresh, then read from its cache).

    SOTE_MIRROR=../shared/mirror .venv/bin/python benchmarks/scorecard.py
"""

from __future__ import annotations

import time

import networkx as nx

from helpers.models import census, partitions, scorecard
from helpers.models.model_files import model_names


def main() -> None:
    start = time.perf_counter()
    partitions.region_graph(2025)
    scorecard.scorecard([], allocations=[])  # warm the boundary and population caches once
    print(f"boundaries, key and population loaded: {time.perf_counter() - start:.2f} s")
    for objective, variant in (("population", "maakunta_graph"), ("associations", "maakunta_graph"), ("associations", "population_share")):
        for k in (5, 6):
            opt = partitions.optimal_partition(k, objective, variant)
            name = objective if objective == "population" else f"{objective}/{variant}"
            print(f"optimisation k={k} {name:33s}: {opt.seconds:6.2f} s, {opt.nodes_examined:6d} search nodes, max/min {opt.ratio:.4f}")
    start = time.perf_counter()
    refs = partitions.optimum_models((5, 6))
    t_refs = time.perf_counter() - start
    start = time.perf_counter()
    card = scorecard.scorecard(model_names(), references=refs)
    t_card = time.perf_counter() - start
    print(f"optima as models (4 optimisations): {t_refs:.2f} s")
    print(f"scorecard, {len(model_names())} models × 3 conventions + {card['scenario'].nunique() - 3 * len(model_names()) - len(refs)} allocations "
          f"+ {len(refs)} optima ({card['scenario'].nunique()} scenarios, {len(card)} rows): {t_card:.2f} s")
    start = time.perf_counter()
    scorecard.scorecard(model_names(), references=refs)
    print(f"scorecard again (warm caches): {time.perf_counter() - start:.2f} s")
    census_benchmark()


def census_benchmark() -> None:
    start = time.perf_counter()
    tiny = nx.path_graph(3)
    nx.set_node_attributes(tiny, 1, "weight")
    census.census_of_graph(tiny, 2, refresh=True)  # compiles the loop (or loads it from numba's cache)
    print(f"census: compiled loop ready: {time.perf_counter() - start:.2f} s")
    for k in (5, 6):
        start = time.perf_counter()
        c = census.census(k, refresh=True)
        seconds = time.perf_counter() - start
        within = ", ".join(f"≤ {w['factor']} × optimum: {w['count']}" for w in c.within)
        print(f"census k={k}: {seconds:6.1f} s, {c.count:,} connected groupings, optimum max/min {c.optimum['ratio']:.6f} "
              f"({c.optimum['max']:,} / {c.optimum['min']:,}), {len(c.optima)} tied optima; {within}")
        for opt in c.optima:
            print("   optimum: " + " | ".join("+".join(part) for part in opt["parts"]))
        print("   quantiles: " + ", ".join(f"{q['p']}: {q['ratio']:.3f}" for q in c.quantiles))
        for d in census.optimum_distances(c):
            units = ", ".join(f"{u['longest_distance_km']:.0f}" for u in d["units"])
            print(f"   longest distance inside a unit of an optimum: {d['longest_distance_km']:.0f} km (per unit: {units})")
        census._MEMO.clear()
        start = time.perf_counter()
        census.census(k)
        print(f"census k={k} again (from the cache file): {time.perf_counter() - start:.3f} s")
    for row in census.official_comparison():
        print(f"census: {row['model']} (k={row['k']}): max/min {row['ratio']:.4f} = {row['times_optimum']:.2f} × optimum; "
              f"{row['at_least_as_even']:,} of {row['count']:,} groupings at least as even ({100 * row['share']:.2f} %)")


if __name__ == "__main__":
    main()
