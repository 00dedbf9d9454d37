"""Time of the scorecard for all models (with the default allocations and the optima) and of the exact
optimisation for k = 5 and 6 (population; associations on the maakunta graph and by population share).

    SOTE_MIRROR=../shared/mirror .venv/bin/python benchmarks/scorecard.py
"""

from __future__ import annotations

import time

from helpers.models import partitions, scorecard
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


if __name__ == "__main__":
    main()
