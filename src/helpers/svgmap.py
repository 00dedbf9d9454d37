"""Pre-drawn SVG maps: the regions of a layer as SVG path data on one fixed frame, with label points.

Used where a reader must tell units apart without a script (front page, model comparison, print and screenshots):
every map of a year is drawn on the same frame (the whole country's extent in EPSG:3067, TM35FIN, which is
conformal for Finland), so two maps side by side have the same scale. Polygons are simplified as a coverage, so
neighbours keep their shared borders. The output is data (numbers and strings); templates turn it into markup.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from .geography import CRS, load_layer

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


def _ring(frame: Frame, coords) -> str:
    xs, ys = frame.xy(*np.asarray(coords)[:, :2].T)
    pts = [f"{x:.1f} {y:.1f}" for x, y in zip(xs, ys)]
    # Drop consecutive duplicates that rounding creates: fewer bytes, same drawing.
    out = [pts[0]] + [p for prev, p in zip(pts, pts[1:]) if p != prev]
    return "M" + "L".join(out[:-1] if out[-1] == out[0] else out) + "Z"


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
    return shapely.ops.polylabel(largest, tolerance=2_000.0)


def svg_shapes(gdf: gpd.GeoDataFrame, frame: Frame, *, name_col: str = "name_fi",
               tolerance_m: float = DEFAULT_TOLERANCE_M) -> list[dict]:
    """One dict per region: ``code``, ``name``, ``d`` (path data), ``x``/``y`` (label point) in frame units."""
    import shapely.ops  # noqa: F401 - polylabel

    work = gdf.to_crs(CRS)
    geoms = work.geometry.simplify_coverage(tolerance_m) if tolerance_m > 0 else work.geometry
    out = []
    for code, name, geom, full in zip(work["code"], work[name_col], geoms, work.geometry):
        p = label_point(full)
        x, y = frame.xy(p.x, p.y)
        out.append({"code": str(code), "name": str(name), "d": path_data(geom, frame), "x": round(float(x), 1), "y": round(float(y), 1)})
    return out
