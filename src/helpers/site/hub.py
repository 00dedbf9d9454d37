"""The region hub's map (``site/alueet/index.html``, written by ``nav.write_region_picker``): the welfare regions
labelled with the official codes that the profiles' addresses use (Kanta-Häme is ``07``, its profile ``07.html``),
and labels that never sit on one another: a region too small for its label (Helsinki, Vantaa and Kerava) gets it
beside the coast, joined to the region by a leader line."""

from __future__ import annotations

import math

import geopandas as gpd
import shapely
from shapely import affinity

from helpers.figures.svgmap import Frame, unit_map_data
from helpers.geo.layers import CRS

# The hub's regions are areas, not a model's units: its own words for the reused colours.
COLOUR_NOTE = {"fi": "Värit erottavat naapurialueet; sama väri ei tarkoita samaa aluetta.",
               "sv": "Färgerna skiljer grannområdena åt; samma färg betyder inte samma område.",
               "en": "Colours tell neighbouring areas apart; the same colour does not mean the same area."}
RADIUS = 10.0  # a label circle, in frame units (a frame 400 units wide)
GAP = 2.0  # the least room between two label circles
SEA_M = 45_000.0  # room added below the south coast for the labels moved off small regions
# Where a moved label may go, nearest first: distances in label radii, directions in degrees (0 east, 90 south:
# the Gulf of Finland lies south of the crowded capital region).
DISTANCES = (3.0, 4.2, 5.4, 6.6, 8.0)
ANGLES = (90, 120, 60, 150, 30, 180, 0, 210, 330, 240, 300, 270)


def hub_frame(frame: Frame) -> Frame:
    """The country's frame with sea below the south coast, where the moved labels go."""
    return Frame(frame.minx, frame.miny - SEA_M, frame.maxx, frame.maxy, frame.width)


def _land(gdf: gpd.GeoDataFrame, frame: Frame):
    """The regions' union in frame units (SVG: y grows downwards)."""
    s = frame.scale
    union = shapely.union_all(gdf.to_crs(CRS).geometry.simplify(2_000).values)
    return affinity.affine_transform(union, [s, 0, 0, -s, -frame.minx * s, frame.maxy * s])


def place_labels(points: list[tuple[float, float]], areas: list[float], land, frame: Frame, *, radius: float = RADIUS,
                 obstacles: list[tuple[float, float, float, float]] = ()) -> list[tuple[float, float, bool]]:
    """(x, y, moved) per label. Labels are placed largest region first at the region's own point; one that would
    touch a placed label moves to the nearest free spot off the land (``land``: the regions' union in frame units)
    inside the frame and clear of ``obstacles`` (x0, y0, x1, y1 boxes)."""
    placed: list[tuple[float, float]] = []
    out: list[tuple[float, float, bool] | None] = [None] * len(points)
    least = 2 * radius + GAP

    def free(x, y):
        return all(math.hypot(x - px, y - py) >= least for px, py in placed) and \
            all(not (x0 - radius <= x <= x1 + radius and y0 - radius <= y <= y1 + radius) for x0, y0, x1, y1 in obstacles)

    sea = land.buffer(radius * 0.6)
    for i in sorted(range(len(points)), key=lambda i: -areas[i]):
        x, y = points[i]
        if free(x, y):
            placed.append((x, y))
            out[i] = (x, y, False)
            continue
        spot = None
        for d in DISTANCES:
            for a in ANGLES:
                cx, cy = x + d * radius * math.cos(math.radians(a)), y + d * radius * math.sin(math.radians(a))
                inside = radius <= cx <= frame.width - radius and radius <= cy <= frame.height - radius
                if inside and free(cx, cy) and not sea.contains(shapely.Point(cx, cy)):
                    spot = (cx, cy)
                    break
            if spot:
                break
        spot = spot or (x, y)  # nowhere free: left in place rather than lost
        placed.append(spot)
        out[i] = (round(spot[0], 1), round(spot[1], 1), spot != (x, y))
    return out


def hub_map(layer: gpd.GeoDataFrame, frame: Frame, *, title: str, lang: str, hrefs: dict[str, str], source: list[str]) -> dict:
    """The hub's map: ``unit_map_data`` on a frame with room for moved labels, each region labelled with its
    official code, the legend in code order."""
    framed = hub_frame(frame)
    data = unit_map_data(layer, framed, map_id="hyvinvointialueet", title=title, lang=lang, hrefs=hrefs, source=source)
    areas = dict(zip(layer["code"].astype(str), layer.to_crs(CRS).geometry.area))
    shapes = sorted(data["shapes"], key=lambda s: s["code"])
    scale = data["scale"]
    # The scale bar goes to the top left (the sea west of Lapland), out of the moved labels' way.
    scale = {**scale, "y": 40.0}
    placed = place_labels([(s["x"], s["y"]) for s in shapes], [areas[s["code"]] for s in shapes], _land(layer, framed), framed,
                          obstacles=[(scale["x"], scale["y"] - 14, scale["x2"], scale["y"] + 2)])
    for s, (x, y, moved) in zip(shapes, placed):
        s["n"] = s["code"]
        s["lx"], s["ly"], s["moved"] = x, y, moved
    return {**data, "shapes": shapes, "scale": scale, "r": RADIUS, "note": COLOUR_NOTE[lang] if data["colour_note"] else "",
            "source": [line for line in data["source"] if line != data["colour_note"]]}
