"""The census of every connected grouping against an independent brute force over all set partitions of small graphs.

The brute force lists every set partition (restricted growth strings), keeps those whose parts are connected
(networkx) and compares ratios as exact fractions; nothing of ``helpers.models.census`` is used to build it.
"""

import itertools
import math
import random
from fractions import Fraction

import networkx as nx
import pytest

from helpers.base.errors import InvalidParameter, ValidationError
from helpers.models import census


def set_partitions(n, k):
    """Restricted growth strings: label lists where label j first appears after labels 0..j-1; each partition once."""
    def extend(labels, used):
        if len(labels) == n:
            if used == k:
                yield tuple(labels)
            return
        if used + (n - len(labels)) < k:
            return
        for lab in range(min(used + 1, k)):
            yield from extend(labels + [lab], max(used, lab + 1))
    yield from extend([], 0)


def brute_force(g, k):
    """[(ratio as Fraction, sorted parts)] for every partition of g into k connected parts."""
    nodes = sorted(g.nodes)
    out = []
    for labels in set_partitions(len(nodes), k):
        parts = [[v for v, lab in zip(nodes, labels) if lab == j] for j in range(k)]
        if all(nx.is_connected(g.subgraph(p)) for p in parts):
            w = [sum(g.nodes[v]["weight"] for v in p) for p in parts]
            out.append((Fraction(max(w), min(w)), sorted(tuple(sorted(p)) for p in parts)))
    return out


def grid(seed):
    rng = random.Random(seed)
    g = nx.relabel_nodes(nx.convert_node_labels_to_integers(nx.grid_2d_graph(3, 3)), lambda i: f"{i:02d}")
    for v in g:
        g.nodes[v]["weight"] = rng.randint(1, 50)
    return g


def path8():
    g = nx.relabel_nodes(nx.path_graph(8), lambda i: f"p{i}")
    for v, x in zip(sorted(g), (5, 3, 8, 1, 9, 2, 6, 4)):
        g.nodes[v]["weight"] = x
    return g


def irregular():
    """Nine nodes, a triangle, a pendant and a cycle; equal weights so that the optimum is tied."""
    g = nx.Graph([("a", "b"), ("b", "c"), ("a", "c"), ("c", "d"), ("d", "e"), ("e", "f"), ("f", "g"), ("g", "d"),
                  ("g", "h"), ("h", "i"), ("b", "i")])
    for v, x in zip("abcdefghi", (6, 4, 2, 2, 2, 6, 2, 6, 4)):
        g.nodes[v]["weight"] = x
    return g


GRAPHS = {"grid3x3": grid(7), "path8": path8(), "irregular": irregular()}


def exact_quantile(ratios, p):
    return ratios[max(1, math.ceil(Fraction(p) * len(ratios))) - 1]


@pytest.mark.parametrize("name", sorted(GRAPHS))
@pytest.mark.parametrize("k", [2, 3, 4])
@pytest.mark.parametrize("cap", [4.0, 1.3])  # 1.3: most counts above the ladder, quantiles from the second pass
def test_census_equals_brute_force(name, k, cap):
    g = GRAPHS[name]
    truth = brute_force(g, k)
    ratios = sorted(r for r, _ in truth)
    c = census.census_of_graph(g, k, ladder_cap=cap)

    assert c.count == len(truth) > 0
    best, worst = ratios[0], ratios[-1]
    assert Fraction(c.optimum["max"], c.optimum["min"]) == best and c.optimum["ratio"] == float(best)
    assert Fraction(c.worst["max"], c.worst["min"]) == worst
    tied = sorted(parts for r, parts in truth if r == best)
    assert sorted([tuple(p) for p in o["parts"]] for o in c.optima) == tied
    for o in c.optima:
        assert Fraction(max(o["weights"]), min(o["weights"])) == best
    for row, factor in zip(c.within, (Fraction(105, 100), Fraction(115, 100))):
        assert row["count"] == sum(1 for r in ratios if r <= factor * best)
    near = sorted((r, parts) for r, parts in truth if r <= Fraction(105, 100) * best)
    assert [(Fraction(x["max"], x["min"]), [tuple(p) for p in x["parts"]]) for x in c.near] == near

    for q in c.quantiles:
        assert Fraction(q["max"], q["min"]) == exact_quantile(ratios, q["p"]), q

    assert sum(b["count"] for b in c.bins) == c.count
    for b in c.bins:
        hi = Fraction(b["hi"]) if b["hi"] is not None else None
        assert b["count"] == sum(1 for r in ratios if Fraction(b["lo"]) <= r and (hi is None or r < hi)), b

    distinct = sorted(set(ratios))
    probes = [*distinct, *((a + b) / 2 for a, b in itertools.pairwise(distinct)), best - Fraction(1, 10**6),
              worst + 1, 1.0, float(distinct[len(distinct) // 2])]
    for r in probes:
        expected = sum(1 for x in ratios if x <= r)
        assert c.at_most(r) == expected, r
        assert c.share_at_most(r) == expected / len(ratios)
    assert c.at_most((best.numerator * 3, best.denominator * 3)) == ratios.count(best)  # a (max, min) pair


@pytest.mark.parametrize("k", [2, 3, 4])
def test_the_optimum_ties_of_the_irregular_graph(k):
    c = census.census_of_graph(GRAPHS["irregular"], k)
    truth = brute_force(GRAPHS["irregular"], k)
    best = min(r for r, _ in truth)
    assert len(c.optima) == sum(1 for r, _ in truth if r == best) == {2: 4, 3: 3, 4: 3}[k]  # the weights were chosen to tie


def test_members_name_the_parts_and_groupings_are_checked():
    g = nx.Graph([("x", "y"), ("y", "z"), ("z", "x"), ("z", "u")])
    for v, x in zip("xyzu", (3, 4, 5, 6)):
        g.nodes[v]["weight"] = x
    g.nodes["x"]["members"] = ("01", "02")
    c = census.census_of_graph(g, 2)
    assert c.count == len(brute_force(g, 2))
    assert all(m in {"01", "02", "y", "z", "u"} for o in c.optima for p in o["parts"] for m in p)
    assert census.grouping_ratio(c, [("01", "02", "y"), ("u", "z")]) == (11, 7)
    assert census.grouping_ratio(c, [("01", "y"), ("02", "u", "z")]) is None  # splits a node
    assert census.grouping_ratio(c, [("01", "02", "u"), ("y", "z")]) is None  # not connected


def test_floor_fraction_is_the_largest_fraction_below_with_a_small_denominator():
    rng = random.Random(3)
    for _ in range(300):
        x = Fraction(rng.randint(1, 10**6), rng.randint(1, 10**5))
        max_den = rng.randint(1, 40)
        expected = max(Fraction(math.floor(x * q), q) for q in range(1, max_den + 1))
        assert census.floor_fraction(x, max_den) == expected
    assert census.floor_fraction(Fraction(7, 3), 3) == Fraction(7, 3)


def test_fine_bins_agree_with_exact_edges():
    for mx, mn in itertools.product(range(1, 300, 7), range(1, 120, 5)):
        if mx >= mn:
            b = census.fine_bin(Fraction(mx, mn))
            assert Fraction(census.fine_edge(b)) <= Fraction(mx, mn) < Fraction(census.fine_edge(b + 1))


def test_the_cache_returns_the_same_result_and_a_changed_weight_is_a_new_entry(monkeypatch, tmp_path):
    monkeypatch.setenv("SOTE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(census, "_MEMO", {})
    g = path8()
    assert census.cached_census_of_graph(g, 3) is None
    first = census.census_of_graph(g, 3)
    entries = sorted((tmp_path / "cache" / "census").glob("*.json"))
    assert [p.stem for p in entries] == [first.key]

    def no_compute(*args, **kwargs):
        raise AssertionError("computed again")

    monkeypatch.setattr(census, "_compute", no_compute)
    monkeypatch.setattr(census, "_MEMO", {})  # read from the file, not from memory
    again = census.census_of_graph(g, 3)
    assert again.to_json() == first.to_json()
    assert census.cached_census_of_graph(g, 3).to_json() == first.to_json()
    assert again.at_most(first.optimum["ratio"]) == len(first.optima)
    again.optima.clear()  # a caller's change does not reach the next answer
    assert census.census_of_graph(g, 3).optima == first.optima

    heavier = path8()
    heavier.nodes["p3"]["weight"] += 1
    assert census.census_key(heavier, 3) != first.key
    assert census.cached_census_of_graph(heavier, 3) is None
    with pytest.raises(AssertionError, match="computed again"):
        census.census_of_graph(heavier, 3)
    monkeypatch.undo()
    monkeypatch.setenv("SOTE_CACHE_DIR", str(tmp_path / "cache"))
    other = census.census_of_graph(heavier, 3)
    assert other.key != first.key and other.count == first.count
    assert len(list((tmp_path / "cache" / "census").glob("*.json"))) == 2
    assert census.census_key(g, 4) != first.key and census.census_key(g, 3, ladder_cap=2.0) != first.key


def test_a_damaged_cache_entry_is_computed_again(monkeypatch, tmp_path):
    monkeypatch.setenv("SOTE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(census, "_MEMO", {})
    g = grid(1)
    first = census.census_of_graph(g, 2)
    (tmp_path / "cache" / "census" / f"{first.key}.json").write_text("{not json", encoding="utf-8")
    monkeypatch.setattr(census, "_MEMO", {})
    assert census.cached_census_of_graph(g, 2) is None
    again = census.census_of_graph(g, 2)
    assert again.key == first.key and again.count == first.count and again.quantiles == first.quantiles
    assert census.cached_census_of_graph(g, 2).to_json() == again.to_json()  # rewritten


def test_bad_input_is_refused():
    g = path8()
    with pytest.raises(InvalidParameter):
        census.census_of_graph(g, 1)
    with pytest.raises(InvalidParameter):
        census.census_of_graph(g, 9)
    g.nodes["p0"]["weight"] = 2.5
    with pytest.raises(ValidationError, match="integer weight"):
        census.census_of_graph(g, 2)


def test_a_graph_without_connected_groupings():
    g = nx.Graph([("a", "b"), ("c", "d"), ("e", "f")])
    for v in g:
        g.nodes[v]["weight"] = 1
    c = census.census_of_graph(g, 2)
    assert c.count == 0 and c.optima == [] and c.at_most(5.0) == 0
