"""Exact optimal contiguous groupings of the 22 mainland welfare-region areas."""

import itertools
import random

import networkx as nx
import pytest

from helpers.models import partitions


def _brute_force(g, k):
    nodes, best = sorted(g.nodes), float("inf")
    for labels in itertools.product(range(k), repeat=len(nodes)):
        if labels[0] != 0:
            continue
        parts = [[n for n, lab in zip(nodes, labels) if lab == j] for j in range(k)]
        if all(parts) and all(nx.is_connected(g.subgraph(p)) for p in parts):
            w = [sum(g.nodes[n]["weight"] for n in p) for p in parts]
            best = min(best, max(w) / min(w))
    return best


def test_branch_and_bound_equals_brute_force_on_small_graphs():
    rng = random.Random(7)
    for _ in range(3):
        g = nx.relabel_nodes(nx.convert_node_labels_to_integers(nx.grid_2d_graph(3, 3)), lambda i: f"{i:02d}")
        for n in g:
            g.nodes[n]["weight"] = rng.randint(1, 50)
        for k in (2, 3, 4):
            assert partitions.best_partition(g, k)[0] == pytest.approx(_brute_force(g, k), rel=1e-12)


def test_region_graph():
    g = partitions.region_graph(2025)
    assert g.number_of_nodes() == 22 and nx.is_connected(g)
    assert g.has_edge("90", "04") and g.has_edge("19", "21") and not g.has_edge("21", "20")
    assert sum(nx.get_node_attributes(g, "population").values()) == 5_605_317  # mainland 31.12.2024


def test_population_optimum_and_official_groupings():
    table = partitions.distance_from_optimum((5, 6))
    pop = table[table["objective"] == "population"].set_index(["k", "grouping"])
    assert pop.loc[(5, "optimum"), "ratio"] == pytest.approx(1.084790, abs=1e-6)
    assert pop.loc[(6, "optimum"), "ratio"] == pytest.approx(1.072815, abs=1e-6)
    assert pop.loc[(5, "malli_5_1_yta"), "ratio"] == pytest.approx(3.101016, abs=1e-6)  # 2 269 460 / 731 844
    assert pop.loc[(5, "malli_5_1_erva2020"), "ratio"] == pytest.approx(3.074374, abs=1e-6)
    assert pop.loc[(6, "rakenne_2021"), "ratio"] == pytest.approx(3.658552, abs=1e-6)
    for _, row in table[table["comparable"]].iterrows():
        assert row["optimum"] <= row["ratio"] + 1e-12, row["grouping"]
    opt = partitions.optimal_partition(5)
    assert sorted(m for p in opt.parts for m in p) == sorted(partitions.region_graph().nodes)
    assert max(opt.weights) / min(opt.weights) == pytest.approx(opt.ratio)


def _fresh_search(monkeypatch, k, objective="population", variant="maakunta_graph"):
    """A search with every memo of the module empty: the searches' dict and the region graph's lru_cache."""
    monkeypatch.setattr(partitions, "_SEARCHES", {})
    partitions._region_graph.cache_clear()
    return partitions.optimal_partition(k, objective, variant, 2025)


@pytest.mark.parametrize("k, objective", [(5, "population"), (6, "population"), (5, "associations")])
def test_the_search_is_deterministic_with_its_memo_cleared(monkeypatch, k, objective):
    calls = []
    real = partitions.best_partition
    monkeypatch.setattr(partitions, "best_partition", lambda g, k: calls.append(k) or real(g, k))
    first = _fresh_search(monkeypatch, k, objective)
    second = _fresh_search(monkeypatch, k, objective)
    assert calls == [k, k]  # each answer came from a search of its own, not from the memo
    assert second.parts == first.parts and second.weights == first.weights and second.ratio == first.ratio
    assert second.nodes_examined == first.nodes_examined > 0  # the same search path, not just the same optimum
    # Nor does the order the graph's nodes and edges were added in change the answer.
    g = partitions.weighted_graph(objective, "maakunta_graph", 2025)
    reordered = nx.Graph()
    reordered.add_nodes_from(sorted(g.nodes(data=True), reverse=True))
    reordered.add_edges_from(sorted(g.edges, reverse=True))
    ratio, parts, weights, examined = real(reordered, k)
    assert (ratio, parts, weights, examined) == (first.ratio, first.parts, first.weights, first.nodes_examined)


def test_association_optimum_on_the_maakunta_graph():
    opt = partitions.optimal_partition(5, "associations", "maakunta_graph")
    assert ("01", "02", "03", "04", "90") in opt.parts  # Uusimaa stays one node
    assert opt.ratio == pytest.approx(2746 / 1307, abs=1e-9)  # PRH class 3, 2.1.2025: Uusimaa / the smallest part
    yta = partitions.grouping_weights(partitions.official_groupings()["malli_5_1_yta"], "associations")
    assert sorted(yta) == [963, 1134, 1304, 1319, 3379] and max(yta) / min(yta) >= opt.ratio


def test_the_same_search_is_not_run_twice_and_a_changed_graph_is_searched_again(monkeypatch):
    calls = []
    real = partitions.best_partition
    monkeypatch.setattr(partitions, "best_partition", lambda g, k: calls.append(k) or real(g, k))
    monkeypatch.setattr(partitions, "_SEARCHES", {})
    first = partitions.optimal_partition(5, "population", "maakunta_graph", 2025)
    again = partitions.optimal_partition(5, "population", "maakunta_graph", 2025)
    assert calls == [5] and again.parts == first.parts and again.ratio == first.ratio
    again.parts.append(("x",))  # a caller's change does not reach the next answer
    assert partitions.optimal_partition(5, "population", "maakunta_graph", 2025).parts == first.parts
    heavier = partitions.weighted_graph("population", "maakunta_graph", 2025)
    node = sorted(heavier.nodes)[0]
    heavier.nodes[node]["weight"] *= 2
    monkeypatch.setattr(partitions, "weighted_graph", lambda *a: heavier)
    partitions.optimal_partition(5, "population", "maakunta_graph", 2025)
    assert calls == [5, 5]  # other weights: searched again
