"""How unusual is each model: every grouping of the 22 mainland welfare-region areas into k connected units
(``helpers.models.census``), summarised for the page, with the inputs' sha256.

The census takes a minute or two on this project's machines and its inputs (the boundary layer's adjacency and the
population 31.12.) change once a year, so its summary is kept in ``data/ryhmittelyt_<year>.json`` with the sha256 of
exactly what it was computed from (areas, members, integer populations, adjacency, k). A refresh uses that file when
the inputs read now give the same sha256, and otherwise computes the census (cached by
``helpers.models.census``) and says so. Regenerate the file after the inputs change:

    SOTE_MIRROR=../shared/mirror .venv/bin/python -m helpers.models.evenness --write 2025
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from helpers.base import config
from helpers.base.files import atomic_write_text

KS = (5, 6)
FORMAT = 1


def summary_path(year: int) -> Path:
    return config.DATA_DIR / f"ryhmittelyt_{int(year)}.json"


def input_sha256(g, k: int) -> str:
    """sha256 of what a census of ``g`` into ``k`` units is computed from: areas, members, integer weights, edges."""
    nodes = sorted(g.nodes)
    payload = {"k": int(k), "nodes": [[n, sorted(g.nodes[n].get("members", (n,))), int(round(g.nodes[n]["weight"]))] for n in nodes],
               "edges": sorted(sorted(e) for e in g.edges)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _graph(year: int):
    from helpers.models import partitions

    return partitions.weighted_graph("population", "maakunta_graph", year)


def summarise(k: int, year: int = 2025) -> dict:
    """Compute (or read from the census cache) and summarise the census for ``k``: counts, ties, the distribution,
    the official model of that k beside it, and the optima's longest distances."""
    from helpers.models import census as census_module

    c = census_module.census(k, year)
    official = [o for o in census_module.official_comparison(year) if o["k"] == k]
    return {
        "k": k, "inputs_sha256": input_sha256(_graph(year), k), "count": c.count,
        "optimum": {key: c.optimum[key] for key in ("max", "min", "ratio")},
        "optima": [{"parts": [list(p) for p in o["parts"]], "weights": [int(w) for w in o["weights"]], "ratio": o["ratio"]} for o in c.optima],
        "within": [{"factor": w["factor"], "count": w["count"], "share": w["share"]} for w in c.within],
        "quantiles": [{"p": q["p"], "ratio": q["ratio"]} for q in c.quantiles],
        "bins": [{"lo": b["lo"], "hi": b["hi"], "count": b["count"], "cumulative": b["cumulative"]} for b in c.bins],
        "official": [{"model": o["model"], "max": int(o["max"]), "min": int(o["min"]), "ratio": o["ratio"],
                      "at_least_as_even": int(o["at_least_as_even"]), "share": o["share"], "times_optimum": o["times_optimum"]}
                     for o in official],
        "optimum_distances": [{"parts": d["parts"], "longest_distance_km": d["longest_distance_km"]}
                              for d in census_module.optimum_distances(c, year)],
    }


def summaries(year: int = 2025, ks=KS, *, compute: bool = True) -> dict:
    """{k: summary} for the year: from ``data/ryhmittelyt_<year>.json`` where its inputs' sha256 is the one read now,
    else computed (``compute=False``: left out). Each summary says where it came from (``origin``)."""
    g = _graph(year)
    stored = {}
    path = summary_path(year)
    if path.is_file():
        try:
            stored = {int(s["k"]): s for s in json.loads(path.read_text(encoding="utf-8")).get("summaries", [])}
        except (OSError, ValueError, KeyError, TypeError):
            stored = {}
    out = {}
    for k in ks:
        s = stored.get(k)
        if s is not None and s.get("inputs_sha256") == input_sha256(g, k):
            out[k] = {**s, "origin": "stored"}
        elif compute:
            out[k] = {**summarise(k, year), "origin": "computed"}
    return out


def write(year: int = 2025, ks=KS) -> Path:
    path = summary_path(year)
    payload = {"format": FORMAT, "year": int(year),
               "what": "Every grouping of the 22 mainland welfare-region areas into k connected units, by population "
                       "31.12. (Statistics Finland WFS vaestoalue:kunta_vaki) and adjacency on the generalised 1:4.5M "
                       "welfare-region layer (Statistics Finland); computed by helpers.models.census",
               "regenerate": f".venv/bin/python -m helpers.models.evenness --write {int(year)}",
               "summaries": [summarise(k, year) for k in ks]}
    atomic_write_text(path, json.dumps(payload, ensure_ascii=False, indent=1) + "\n")
    return path


if __name__ == "__main__":  # python -m helpers.models.evenness --write 2025
    args = sys.argv[1:]
    if not args or args[0] != "--write" or len(args) > 2 or (len(args) == 2 and not args[1].isdigit()):
        print("usage: python -m helpers.models.evenness --write [YEAR]", file=sys.stderr)
        sys.exit(2)
    print(write(int(args[1]) if len(args) == 2 else 2025))
