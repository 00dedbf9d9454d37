"""Pre-drawn SVG maps: the regions of a layer as SVG path data on one fixed frame, with label points.

Used where a reader must tell units apart without a script (front page, model comparison, print and screenshots):
every map of a year is drawn on the same frame (the whole country's extent in EPSG:3067, TM35FIN, which is
conformal for Finland), so two maps side by side have the same scale. Polygons are simplified as a coverage, so
neighbours keep their shared borders. The output is data (numbers and strings); templates turn it into markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import geopandas as gpd
import numpy as np
import shapely
from shapely.ops import polylabel

from helpers.figures.colours import QUALITATIVE, neighbour_colouring
from helpers.geo.layers import CRS, load_layer

DEFAULT_TOLERANCE_M = 1500.0  # about one pixel at 400 px for the whole country


@dataclass(frozen=True)
class Frame:
    """Map extent in metres (EPSG:3067) and the drawing size in SVG user units."""

    minx: float
    miny: float
    maxx: float
    maxy: float
    width: float

    @property
    def scale(self) -> float:
        return self.width / (self.maxx - self.minx)

    @property
    def height(self) -> float:
        return round((self.maxy - self.miny) * self.scale, 1)

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width:g} {self.height:g}"

    def xy(self, x, y):
        return (np.asarray(x) - self.minx) * self.scale, (self.maxy - np.asarray(y)) * self.scale


def country_frame(year: int, *, mainland: bool = True, width: float = 400.0, margin_m: float = 10_000.0) -> Frame:
    """One frame for every map of the year (mainland, or with Åland)."""
    layer = load_layer("maakunta", year, mainland=mainland)
    minx, miny, maxx, maxy = layer.to_crs(CRS).total_bounds
    return Frame(minx - margin_m, miny - margin_m, maxx + margin_m, maxy + margin_m, width)


def _tenths(n: int) -> str:
    """A whole number of tenths as SVG writes it shortest: 28 -> "2.8", -5 -> "-.5", 30 -> "3"."""
    text = f"{abs(n) // 10}" if n % 10 == 0 else f"{abs(n) / 10:.1f}".removeprefix("0")
    return f"-{text}" if n < 0 else text


def _ring(frame: Frame, coords) -> str:
    """One ring as ``M x y l dx dy …Z``: points rounded to 0.1 first, then each step relative to the previous
    rounded point (no drift between neighbours sharing an edge), minus signs as separators. About half the bytes of
    absolute ``L`` points: a model comparison's nine unit maps were 143 KB of path data."""
    xs, ys = frame.xy(*np.asarray(coords)[:, :2].T)
    pts = list(zip(np.rint(np.asarray(xs) * 10).astype(int).tolist(), np.rint(np.asarray(ys) * 10).astype(int).tolist()))
    # Drop consecutive duplicates that rounding creates, and the closing point (Z closes): fewer bytes, same drawing.
    out = [pts[0]] + [p for prev, p in zip(pts, pts[1:]) if p != prev]
    if len(out) > 1 and out[-1] == out[0]:
        out = out[:-1]
    text = f"M{_tenths(out[0][0])} {_tenths(out[0][1])}l"
    numbers = [_tenths(v) for (x0, y0), (x1, y1) in zip(out, out[1:]) for v in (x1 - x0, y1 - y0)]
    for i, num_text in enumerate(numbers):
        text += num_text if i == 0 or num_text.startswith("-") else " " + num_text
    return (text if numbers else text[:-1]) + "Z"


def path_data(geom, frame: Frame) -> str:
    """SVG path ``d`` for a (multi)polygon; holes as extra rings (draw with fill-rule evenodd)."""
    parts = []
    for poly in getattr(geom, "geoms", [geom]):
        parts.append(_ring(frame, poly.exterior.coords))
        parts.extend(_ring(frame, hole.coords) for hole in poly.interiors)
    return "".join(parts)


def label_point(geom) -> shapely.Point:
    """Inside the largest part, far from its edges (pole of inaccessibility), so the label sits on its region."""
    largest = max(getattr(geom, "geoms", [geom]), key=lambda p: p.area)
    return polylabel(largest, tolerance=2_000.0)


def svg_shapes(gdf: gpd.GeoDataFrame, frame: Frame, *, name_col: str = "name_fi",
               tolerance_m: float = DEFAULT_TOLERANCE_M) -> list[dict]:
    """One dict per region: ``code``, ``name``, ``d`` (path data), ``x``/``y`` (label point) in frame units."""
    work = gdf.to_crs(CRS)
    drawn = _drawn(tuple(shapely.to_wkb(work.geometry.values)), frame, tolerance_m)
    return [{"code": str(code), "name": str(name), **parts} for code, name, parts in zip(work["code"], work[name_col], drawn)]


@lru_cache(maxsize=64)
def _drawn(geoms_wkb: tuple[bytes, ...], frame: Frame, tolerance_m: float) -> tuple[dict, ...]:
    # The same shapes in every language (the model comparison draws 7 maps x 3 languages): simplified, labelled
    # and turned into path data once, keyed by the geometries' bytes.
    full = shapely.from_wkb(np.asarray(geoms_wkb, dtype=object))
    geoms = gpd.GeoSeries(full, crs=CRS).simplify_coverage(tolerance_m) if tolerance_m > 0 else full
    out = []
    for geom, whole in zip(geoms, full):
        p = label_point(whole)
        x, y = frame.xy(p.x, p.y)
        out.append({"d": path_data(geom, frame), "x": round(float(x), 1), "y": round(float(y), 1)})
    return tuple(out)


# --------------------------------------------------------------------------- unit maps for the templates

SCALE_BAR_KM = 200
SCALE_TEXT = {"fi": "{km} km", "sv": "{km} km", "en": "{km} km"}
# A small palette colours many units so that neighbours differ: a colour seen twice is two units, said on the map.
COLOUR_NOTE = {"fi": "Värit erottavat naapuriyksiköt; sama väri ei tarkoita samaa yksikköä.",
               "sv": "Färgerna skiljer grannenheterna åt; samma färg betyder inte samma enhet.",
               "en": "Colours tell neighbouring units apart; the same colour does not mean the same unit."}


def numbered(shapes: list[dict], colours: list[str]) -> list[dict]:
    """Shapes numbered from north to south (then west to east), so the legend reads like the map; each with its
    colour."""
    order = sorted(range(len(shapes)), key=lambda i: (round(shapes[i]["y"] / 25), shapes[i]["x"]))
    return [{**shapes[i], "n": n, "colour": colours[i]} for n, i in enumerate(order, start=1)]


def unit_map_data(gdf: gpd.GeoDataFrame, frame: Frame, *, map_id: str, title: str, lang: str = "fi",
                  source: list[str] | None = None, hrefs: dict[str, str] | None = None,
                  colours: dict[str, str] | None = None) -> dict:
    """Everything the ``unit_map`` macro draws: the shapes numbered with their colours (neighbours differ; the
    Okabe-Ito palette without black, readable with the common colour-vision deficiencies), label circles, a scale
    bar and the source. ``hrefs``: code -> link for the legend entry; ``colours``: code -> a fixed colour."""
    palette = QUALITATIVE[:-1]
    shapes = svg_shapes(gdf, frame, name_col=f"name_{lang}" if f"name_{lang}" in gdf.columns else "name_fi")
    for s, fallback in zip(shapes, gdf["name_fi"]):
        s["name"] = s["name"] if s["name"] not in ("", "None", "nan") else str(fallback)
    if colours:
        fills = [colours.get(s["code"], "#e0e0e0") for s in shapes]
    else:
        fills = [palette[i % len(palette)] for i in neighbour_colouring(gdf.to_crs(CRS), len(palette))] if len(gdf) > 1 else [palette[1]]
    shapes = numbered(shapes, fills)
    for s in shapes:
        s["href"] = (hrefs or {}).get(s["code"], "")
    bar = SCALE_BAR_KM * 1000 * frame.scale
    x0, y0 = 8.0, frame.height - 10
    # Fixed colours (a caller's own) mean what the caller says; the neighbour colouring's reuse is explained here,
    # first of the lines under the map.
    note = COLOUR_NOTE[lang] if not colours and len(set(fills)) < len(fills) else ""
    return {"id": map_id, "title": title, "view_box": frame.view_box, "shapes": shapes,
            "source": ([note] if note else []) + list(source or []), "colour_note": note,
            "r": round(frame.width / 50, 1),
            "scale": {"x": x0, "y": y0, "x2": round(x0 + bar, 1), "label": SCALE_TEXT[lang].format(km=SCALE_BAR_KM)}}
