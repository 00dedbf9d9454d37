"""Neighbour colouring (helpers.figures.colours): areas that share a border never share a colour; touching at a
corner is not sharing a border."""

import geopandas as gpd
from shapely.geometry import box

from helpers.figures.colours import neighbour_colouring


def test_a_shared_border_gets_two_colours_a_shared_corner_may_share_one():
    # a 2 x 2 chessboard: 0 1 on top, 2 3 below; 0 and 3 (and 1 and 2) only touch at the centre point
    squares = [box(0, 1, 1, 2), box(1, 1, 2, 2), box(0, 0, 1, 1), box(1, 0, 2, 1)]
    colours = neighbour_colouring(gpd.GeoDataFrame(geometry=squares, crs="EPSG:3067"))
    borders = [(0, 1), (0, 2), (1, 3), (2, 3)]
    assert all(colours[a] != colours[b] for a, b in borders)
    assert colours[0] == colours[3] and colours[1] == colours[2]  # corners only: two colours are enough
    assert len(set(colours)) == 2


def test_overlapping_areas_and_a_lone_island_are_coloured_by_the_same_rule():
    shapes = [box(0, 0, 2, 2), box(1, 1, 3, 3), box(10, 10, 11, 11)]  # the first two overlap; the third touches nothing
    colours = neighbour_colouring(gpd.GeoDataFrame(geometry=shapes, crs="EPSG:3067"))
    assert colours[0] != colours[1]
    assert colours[2] == 0  # no neighbours: the first colour
