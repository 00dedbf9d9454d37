"""Path data of the pre-drawn maps: relative steps read back give the points rounded to 0.1, for every ring of the
municipal layer (so neighbours sharing an edge share its points), and the shortest number forms parse."""

from __future__ import annotations

import re

import numpy as np

from helpers.figures import svgmap
from helpers.geo.groupings import grouping_layer

NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)")


def absolute_points(d: str) -> list[tuple[int, int]]:
    """The points of one ring ``M x y l dx dy … Z`` in tenths, read as an SVG reader would."""
    head, _, steps = d.removesuffix("Z").partition("l")
    x, y = (round(float(v) * 10) for v in NUMBER.findall(head[1:]))
    points = [(x, y)]
    numbers = [round(float(v) * 10) for v in NUMBER.findall(steps)]
    for dx, dy in zip(numbers[::2], numbers[1::2]):
        x, y = x + dx, y + dy
        points.append((x, y))
    return points


def test_number_forms():
    assert [svgmap._tenths(n) for n in (28, -5, 30, 0, -30, 5, 123, -1234)] == ["2.8", "-.5", "3", "0", "-3", ".5", "12.3", "-123.4"]
    assert NUMBER.findall("l3.3-1.1 .6-1.8-2.7-4.5") == ["3.3", "-1.1", ".6", "-1.8", "-2.7", "-4.5"]


def test_every_ring_reads_back_as_its_rounded_points():
    layer = grouping_layer("kunta", 2025)
    frame = svgmap.country_frame(2025, width=400)
    rings = 0
    for geom in layer.geometry:
        for poly in getattr(geom, "geoms", [geom]):
            for ring in (poly.exterior, *poly.interiors):
                xs, ys = frame.xy(*np.asarray(ring.coords)[:, :2].T)
                expected = [(int(a), int(b)) for a, b in zip(np.rint(np.asarray(xs) * 10), np.rint(np.asarray(ys) * 10))]
                expected = [expected[0]] + [p for prev, p in zip(expected, expected[1:]) if p != prev]
                if expected[-1] == expected[0]:
                    expected = expected[:-1]
                assert absolute_points(svgmap._ring(frame, ring.coords)) == expected
                rings += 1
    assert rings >= 308
