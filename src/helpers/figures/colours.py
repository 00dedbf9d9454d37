"""Colours shared by the plotly maps and the pre-drawn SVG maps."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
QUALITATIVE = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999", "#000000"]


def neighbour_colouring(gdf: gpd.GeoDataFrame, n_colours: int = len(QUALITATIVE)) -> list[int]:
    """Greedy colouring so that regions sharing a border get different colours (largest-degree first)."""
    import shapely

    geoms = np.asarray(gdf.geometry.values)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    left, right = left[left != right], right[left != right]
    # Neighbours share a border, not only a corner: their boundaries meet in a line, or they overlap (DE-9IM:
    # interiors meet, or boundary/boundary of dimension 1) - what "their intersection has a length" says, without
    # building the intersection (a third of the time).
    matrices = shapely.relate(geoms[left], geoms[right])
    neighbours: dict[int, set[int]] = {i: set() for i in range(len(geoms))}
    for a, b, m in zip(left.tolist(), right.tolist(), matrices.tolist()):
        if m[0] != "F" or m[4] == "1":
            neighbours[a].add(b)
    colour: dict[int, int] = {}
    for i in sorted(neighbours, key=lambda k: -len(neighbours[k])):
        used = {colour[j] for j in neighbours[i] if j in colour}
        colour[i] = next((c for c in range(n_colours) if c not in used), i % n_colours)
    return [colour[i] for i in range(len(geoms))]
