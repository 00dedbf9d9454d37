"""Plotly maps of Finnish regions that render with no network.

plotly's geo maps fetch a world topojson from a CDN unless told otherwise: ``PLOTLY_CONFIG`` points
``topojsonURL`` at an empty topojson in a data: URL (the ``#`` turns the file name plotly appends into a fragment),
the base map is hidden and the view is fitted to the regions. Polygons are simplified as a coverage, in WGS84 with
clockwise exterior rings (see groupings.for_web).
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict

import pandas as pd

import geopandas as gpd
import plotly.graph_objects as go

from helpers.figures.colours import QUALITATIVE, neighbour_colouring
from helpers.geo.groupings import PLOT_CRS, for_web

_EMPTY_TOPOJSON = '{"type":"Topology","objects":{},"arcs":[]}'
PLOTLY_CONFIG = {
    "topojsonURL": "data:application/json," + _EMPTY_TOPOJSON + "#",
    "displaylogo": False,
    "responsive": True,
    "locale": "fi",
    "displayModeBar": "hover",  # the toolbar only on hover, in the plot's empty top margin (pages.figure)
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
}


class GeoJSON(dict):
    """A GeoJSON mapping that deep copies share. plotly deep-copies a figure's data when it builds the figure and again
    in ``to_dict``: for a map, most of the time a page took to write (0.15 s of a region profile's 0.5 s, measured).
    Nothing in this package changes one after it is made; code that edits a figure's GeoJSON in place edits every
    copy of that figure, and every later map of the same regions (``boundary_map`` reuses its GeoJSON)."""

    def __deepcopy__(self, memo):
        return self


def geojson_of(gdf_web: gpd.GeoDataFrame) -> GeoJSON:
    """GeoJSON for plotly with the region code as feature id."""
    return GeoJSON(json.loads(gdf_web[["code", "geometry"]].to_json(drop_id=True)))


def shapes_of(geojson: dict, codes) -> GeoJSON:
    """The features of these region codes (a trace per class or category carries only its own shapes)."""
    wanted = set(codes)
    return GeoJSON(type="FeatureCollection", features=[f for f in geojson["features"] if f["properties"]["code"] in wanted])


def fit_geo(fig: go.Figure, web: gpd.GeoDataFrame, pad: float = 0.02) -> go.Figure:
    """The map's frame is the regions' own bounding box (in WGS84, padded by ``pad`` of each span). plotly's
    ``fitbounds`` fits the regions into a square world frame instead: on a phone Finland then filled 150 of 340 px in
    width under 160 px of empty space; a frame with Finland's own shape lets the map use the slot's height."""
    return _fit_bounds(fig, web.total_bounds, pad)


def _fit_bounds(fig: go.Figure, bounds, pad: float = 0.02) -> go.Figure:
    x0, y0, x1, y1 = (float(v) for v in bounds)
    dx, dy = (x1 - x0) * pad, (y1 - y0) * pad
    fig.update_geos(fitbounds=False, visible=False, projection_type="mercator",
                    lonaxis_range=[round(x0 - dx, 4), round(x1 + dx, 4)], lataxis_range=[round(y0 - dy, 4), round(y1 + dy, 4)])
    return fig


LABELLED_MAX = 12  # up to this many regions (yhteistyöalueet, erityisvastuualueet) carry their code on the map


def label_points(gdf: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """A point inside each region for its label, in WGS84: ``svgmap.label_point``, as on the model maps."""
    from helpers.geo.layers import CRS
    from helpers.figures.svgmap import label_point

    work = gdf.to_crs(CRS)
    return gpd.GeoSeries([label_point(g) for g in work.geometry], crs=CRS, index=gdf.index).to_crs(PLOT_CRS)


def boundary_map(gdf: gpd.GeoDataFrame, *, title: str, attribution: str, lang: str = "fi", tolerance_m: float = 500.0,
                 labelled_max: int = LABELLED_MAX) -> go.Figure:
    """Regions drawn in distinguishable colours (neighbours rarely share one), hover shows the name. With at most
    ``labelled_max`` regions each carries its code (the page's table gives code and name); the colours only tell
    neighbours apart, which the page says below the map."""
    drawn = _drawing(gdf, tolerance_m)
    name_col = f"name_{lang}"
    colours = [QUALITATIVE[i] for i in drawn["colours"]]
    n = len(gdf)
    traces = [
        go.Choropleth(
            geojson=drawn["geojson"],
            featureidkey="properties.code",
            locations=gdf["code"].tolist(),
            z=list(range(n)),
            colorscale=[[i / max(n - 1, 1), c] for i, c in enumerate(colours)],
            showscale=False,
            marker_line_color="white",
            marker_line_width=0.8,
            customdata=[[name] for name in gdf[name_col]],
            hovertemplate="%{customdata[0]} (%{location})<extra></extra>",
        )
    ]
    if n <= labelled_max:
        if "points" not in drawn:
            drawn["points"] = label_points(gdf)
        points = drawn["points"]
        traces.append(go.Scattergeo(
            lon=[round(float(x), 4) for x in points.x], lat=[round(float(y), 4) for y in points.y],
            text=gdf["code"].astype(str).tolist(), mode="text", hoverinfo="skip", showlegend=False,
            textfont=dict(size=15, color="#111", weight="bold", shadow="0 0 3px #fff, 0 0 3px #fff"),
        ))
    fig = go.Figure(data=traces)  # all at once: add_trace would deep-copy the map's GeoJSON again
    _fit_bounds(fig, drawn["bounds"])
    add_source_note(fig, attribution)
    fig.update_layout(title=title, height=720, margin=dict(l=0, r=0, t=50, b=90))
    return fig


# The same regions drawn again (a boundary page in three languages, the notebook's own map): the simplified shapes,
# their GeoJSON and colours depend on the geometry and the codes only.
_DRAWINGS: OrderedDict = OrderedDict()
_DRAWINGS_MAX = 8


def _drawing(gdf: gpd.GeoDataFrame, tolerance_m: float) -> dict:
    import shapely

    digest = hashlib.sha256()
    for part in shapely.to_wkb(gdf.geometry.values):
        digest.update(b"\x00none" if part is None else part)  # WKB delimits itself; a missing geometry is marked
    digest.update("\0".join(gdf["code"].astype(str)).encode() + str(gdf.crs).encode() + repr(float(tolerance_m)).encode())
    key = digest.hexdigest()
    if key not in _DRAWINGS:
        web = for_web(gdf, tolerance_m)
        _DRAWINGS[key] = {"geojson": geojson_of(web), "colours": neighbour_colouring(gdf), "bounds": tuple(web.total_bounds)}
        while len(_DRAWINGS) > _DRAWINGS_MAX:
            _DRAWINGS.popitem(last=False)
    _DRAWINGS.move_to_end(key)
    return _DRAWINGS[key]


def add_source_note(fig: go.Figure, text: str, *, anchor: str = "left") -> go.Figure:
    """The source and licence line, drawn inside the figure so it travels with every export.
    ``anchor='right'`` suits charts whose plot area starts after wide category labels."""
    x = 0 if anchor == "left" else 1
    # Named, so that a page lifts it out of the plot into a paragraph below (pages.figure); an export keeps it.
    fig.add_annotation(text=text, xref="paper", yref="paper", x=x, y=-0.06, showarrow=False, xanchor=anchor, yanchor="top",
                       font=dict(size=10, color="#444"), align=anchor, name="lahde")
    return fig


# --------------------------------------------------------------------------- choropleths

MISSING_COLOUR = "#d9d9d9"
PALETTES = ("viridis", "cividis", "blues")  # sequential and colour-blind-safe
LEGEND_TEXT = {
    "fi": {"missing": "ei tietoa", "year": "vuosi"},
    "sv": {"missing": "uppgift saknas", "year": "år"},
    "en": {"missing": "no data", "year": "year"},
}
ALAND_CODES = {"hyvinvointialue": {"91"}, "maakunta": {"21"}, "yhteistyoalue": {"6"}, "erva2020": {"6"}}


def _palette(name: str, k: int) -> list[str]:
    from plotly.colors import sample_colorscale, sequential

    scales = {"viridis": sequential.Viridis[::-1], "cividis": sequential.Cividis[::-1], "blues": sequential.Blues[1:]}
    if name not in scales:
        from helpers.base.errors import invalid

        raise invalid("palette", name, PALETTES)
    if k == 1:
        return [sample_colorscale(scales[name], [0.6])[0]]
    return sample_colorscale(scales[name], [i / (k - 1) for i in range(k)])


def drop_aland(gdf: gpd.GeoDataFrame, level: str) -> gpd.GeoDataFrame:
    """Åland left out of a map (its code depends on the level; municipalities via the key)."""
    if level == "kunta":
        from helpers.geo.municipality_key import municipality_key

        key = municipality_key(int(gdf["year"].iloc[0]))
        return gdf[gdf["code"].isin(key.loc[key["mainland"], "kunta_code"])]
    return gdf[~gdf["code"].isin(ALAND_CODES.get(level, set()))]


def choropleth(gdf: gpd.GeoDataFrame, values, *, value_col: str = "value", code_col: str = "area_code", title: str,
               unit: str, year, attribution: str, lang: str = "fi", scheme: str = "quantiles", k: int = 5,
               bins: list[float] | None = None, palette: str = "viridis", decimals: int = 1, show_aland: bool = True,
               level: str | None = None, tolerance_m: float = 500.0) -> go.Figure:
    """Classed choropleth: one trace per class (legend shows Finnish-formatted bounds, unit and year) plus a grey
    'ei tietoa' trace for missing values, so a missing region is drawn and labelled, never shown as zero.

    ``values``: a DataFrame with ``code_col`` and ``value_col`` (e.g. an indicator_table year), or a Series by code.
    Every region of ``gdf`` must have a row (missing values are NaN): a region absent from the table is an error.
    """
    from helpers.figures.classify import assign_classes, class_breaks, class_labels
    from helpers.tables.joins import join_strict
    from helpers.base.numbers import plotly_separators

    if isinstance(values, pd.Series):
        values = values.rename(value_col).rename_axis(code_col).reset_index()
    level = level or (str(gdf["level"].iloc[0]) if "level" in gdf.columns else None)
    layer = gdf if show_aland else drop_aland(gdf, level)
    table = values[values[code_col].isin(layer["code"])] if not show_aland else values
    joined = join_strict(layer[["code", f"name_{lang}", "geometry"]], table[[code_col, value_col]], table_code=code_col)
    web = for_web(joined, tolerance_m)
    geojson = geojson_of(web)
    # Classed as the legend prints the values; a map of few areas gets a class (a colour) per distinct value.
    breaks = class_breaks(web[value_col], scheme, k, bins, decimals=decimals)
    classes = assign_classes(web[value_col], breaks)
    labels = class_labels(web[value_col], breaks, decimals=decimals, lang=lang)
    colours = _palette(palette, max(len(breaks), 1))
    words = LEGEND_TEXT[lang]
    traces = []
    for i, label in enumerate(labels):
        members = web[(classes == i).fillna(False).to_numpy()]
        if members.empty:
            continue
        traces.append(_class_trace(geojson, members, colours[i], label, value_col, unit, year, lang, decimals))
    missing = web[classes.isna()]
    if not missing.empty:
        traces.append(_class_trace(geojson, missing, MISSING_COLOUR, words["missing"], value_col, unit, year, lang, decimals))
    fig = go.Figure(data=traces)  # all at once: add_trace deep-copies each trace's GeoJSON again (0.2 s a page)
    fit_geo(fig, web)
    add_source_note(fig, attribution)
    fig.update_layout(
        title=title, height=720, margin=dict(l=0, r=0, t=50, b=90), separators=plotly_separators(lang),
        legend=dict(title=dict(text=f"{unit}, {words['year']} {year}"), x=0.0, y=0.98, bgcolor="rgba(255,255,255,0.8)"),
    )
    fig._sote_breaks = breaks  # for tests and tables
    return fig


def _class_trace(geojson, members, colour, label, value_col, unit, year, lang, decimals):
    from helpers.base.numbers import fmt_value

    hover = [fmt_value(v, unit, decimals, lang) for v in members[value_col]]
    own = shapes_of(geojson, members["code"])
    return go.Choropleth(
        # Only this class's shapes, so the page carries each polygon once. Plain lists: plotly 7 silently drops
        # pandas 3 string arrays when it serialises a figure.
        geojson=own, featureidkey="properties.code", locations=members["code"].tolist(),
        z=[1] * len(members), colorscale=[[0, colour], [1, colour]], showscale=False, showlegend=True, name=label,
        marker_line_color="white", marker_line_width=0.6,
        customdata=list(zip(members[f"name_{lang}"], hover, [str(year)] * len(members))),
        hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}<br>%{customdata[2]}<extra></extra>",
    )


def category_map(gdf: gpd.GeoDataFrame, categories: pd.Series, *, title: str, attribution: str, lang: str = "fi",
                 order: list[str] | None = None, colours: dict[str, str] | None = None, tolerance_m: float = 500.0) -> go.Figure:
    """Regions coloured by a label (index = region code); every region of ``gdf`` needs a label."""
    labels = categories.reindex(gdf["code"].values)
    if labels.isna().any():
        from helpers.base.errors import ValidationError

        raise ValidationError(f"category_map: no category for {gdf['code'][labels.isna().values].tolist()}")
    web = for_web(gdf, tolerance_m).assign(category=labels.values)
    geojson = geojson_of(web)
    order = order or sorted(web["category"].unique())
    traces = []
    for i, cat in enumerate(order):
        members = web[web["category"] == cat]
        if members.empty:
            continue
        colour = (colours or {}).get(cat, QUALITATIVE[i % len(QUALITATIVE)])
        traces.append(go.Choropleth(
            geojson=shapes_of(geojson, members["code"]),
            featureidkey="properties.code", locations=members["code"].tolist(), z=[1] * len(members),
            colorscale=[[0, colour], [1, colour]], showscale=False, showlegend=True, name=cat,
            marker_line_color="white", marker_line_width=0.6,
            customdata=[[n, cat] for n in members[f"name_{lang}"]],
            hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}<extra></extra>",
        ))
    fig = go.Figure(data=traces)
    fit_geo(fig, web)
    add_source_note(fig, attribution)
    legend = dict(x=0, y=0.98, bgcolor="rgba(255,255,255,0.8)")
    used = [t.colorscale[0][1] for t in traces]
    if len(set(used)) < len(used):  # a small palette over many categories (a model's units): say what a colour means
        import textwrap

        from helpers.figures.svgmap import COLOUR_NOTE

        legend["title"] = dict(text="<br>".join(textwrap.wrap(COLOUR_NOTE[lang], 30)), font=dict(size=11))
    fig.update_layout(title=title, height=720, margin=dict(l=0, r=0, t=50, b=90), legend=legend)
    return fig
