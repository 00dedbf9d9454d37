"""Plotly maps of Finnish regions that render with no network.

plotly's geo maps fetch a world topojson from a CDN unless told otherwise: ``PLOTLY_CONFIG`` points
``topojsonURL`` at an empty topojson in a data: URL (the ``#`` turns the file name plotly appends into a fragment),
the base map is hidden and the view is fitted to the regions. Polygons are simplified as a coverage, in WGS84 with
clockwise exterior rings (see groupings.for_web).
"""

from __future__ import annotations

import json

import geopandas as gpd
import plotly.graph_objects as go

from .groupings import for_web

_EMPTY_TOPOJSON = '{"type":"Topology","objects":{},"arcs":[]}'
PLOTLY_CONFIG = {
    "topojsonURL": "data:application/json," + _EMPTY_TOPOJSON + "#",
    "displaylogo": False,
    "responsive": True,
    "locale": "fi",
}
# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
QUALITATIVE = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999", "#000000"]


def geojson_of(gdf_web: gpd.GeoDataFrame) -> dict:
    """GeoJSON for plotly with the region code as feature id."""
    return json.loads(gdf_web[["code", "geometry"]].to_json(drop_id=True))


def fit_geo(fig: go.Figure) -> go.Figure:
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator")
    return fig


def boundary_map(gdf: gpd.GeoDataFrame, *, title: str, attribution: str, lang: str = "fi", tolerance_m: float = 500.0) -> go.Figure:
    """Regions drawn in distinguishable colours (neighbours rarely share one), hover shows the name."""
    web = for_web(gdf, tolerance_m)
    name_col = f"name_{lang}"
    colours = [QUALITATIVE[i % len(QUALITATIVE)] for i in range(len(web))]
    fig = go.Figure(
        go.Choropleth(
            geojson=geojson_of(web),
            featureidkey="properties.code",
            locations=web["code"],
            z=list(range(len(web))),
            colorscale=[[i / max(len(web) - 1, 1), c] for i, c in enumerate(colours)],
            showscale=False,
            marker_line_color="white",
            marker_line_width=0.8,
            customdata=web[[name_col]].values,
            hovertemplate="%{customdata[0]} (%{location})<extra></extra>",
        )
    )
    fit_geo(fig)
    add_source_note(fig, attribution)
    fig.update_layout(title=title, height=720, margin=dict(l=0, r=0, t=50, b=90))
    return fig


def add_source_note(fig: go.Figure, text: str) -> go.Figure:
    """The source and licence line, drawn inside the figure so it travels with every export."""
    fig.add_annotation(text=text, xref="paper", yref="paper", x=0, y=-0.06, showarrow=False, xanchor="left", yanchor="top", font=dict(size=10, color="#444"), align="left")
    return fig
