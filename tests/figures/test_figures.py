import json
import re

import numpy as np
import pandas as pd
import pytest

from helpers.figures.charts import ranked_bars
from helpers.site.value_tables import value_table_html
from helpers.figures.classify import assign_classes, class_breaks
from helpers.base.errors import InvalidParameter
from helpers.geo.groupings import grouping_layer
from helpers.figures.maps import PLOTLY_CONFIG, choropleth
from helpers.base.numbers import NBSP, fmt_number, fmt_percent, fmt_value, plotly_separators


def test_finnish_number_format():
    assert fmt_number(5635971) == f"5{NBSP}635{NBSP}971"
    assert fmt_number(3.6, 1) == "3,6"
    assert fmt_number(1234.567, 2) == f"1{NBSP}234,57"
    assert fmt_number(-0.0561, 2) == "\u22120,06"
    assert fmt_number(-0.001, 1) == "0,0"  # no minus sign on a rounded zero
    assert fmt_percent(24.56) == f"24,6{NBSP}%"
    assert fmt_number(1234.5, 1, "en") == "1,234.5"
    assert fmt_number(1234.5, 1, "sv") == f"1{NBSP}234,5"
    assert plotly_separators("fi") == "," + NBSP
    with pytest.raises(InvalidParameter, match="lang='de'"):
        fmt_number(1, lang="de")


def test_missing_is_missing_not_zero():
    assert fmt_number(float("nan")) == "ei tietoa"
    assert fmt_value(None, "%", 1, "sv") == "uppgift saknas"
    assert fmt_value(pd.NA, "henkeä", 0, "en") == "no data"


def _welfare_values():
    layer = grouping_layer("hyvinvointialue", 2025)
    values = pd.DataFrame({"area_code": layer["code"], "value": np.arange(len(layer), dtype=float)})
    values.loc[values["area_code"] == "20", "value"] = np.nan  # Kainuu missing
    return layer, values


def test_choropleth_draws_missing_region_as_missing():
    layer, values = _welfare_values()
    fig = choropleth(layer, values, title="t", unit="%", year=2024, attribution="Lähde: Tilastokeskus; CC BY 4.0", k=5)
    data = json.loads(fig.to_json())["data"]
    drawn = [loc for trace in data for loc in trace["locations"]]
    assert sorted(drawn) == sorted(layer["code"])  # all 23 drawn, each once
    missing = [t for t in data if t["name"] == "ei tietoa"]
    assert len(missing) == 1 and missing[0]["locations"] == ["20"]
    assert missing[0]["customdata"][0][1] == "ei tietoa"
    assert sum(len(t["geojson"]["features"]) for t in data) == 23  # each polygon carried once
    legend = [t["name"] for t in data if t["name"] != "ei tietoa"]
    # classes with the values they hold, limits that never repeat: "0,0–4,0", "5,0–9,0", ...
    assert legend[0] == "0,0–4,0" and legend[1].startswith("5,0–") and all("," in name for name in legend)
    assert json.loads(fig.to_json())["layout"]["separators"] == "," + NBSP
    assert "%, vuosi 2024" in fig.layout.legend.title.text
    assert fig.layout.annotations[0].text == "Lähde: Tilastokeskus; CC BY 4.0"


def test_choropleth_without_aland_and_strict_join():
    layer, values = _welfare_values()
    fig = choropleth(layer, values, title="t", unit="%", year=2024, attribution="x", show_aland=False)
    drawn = [loc for trace in fig.data for loc in trace.locations]
    assert len(drawn) == 22 and "91" not in drawn
    from helpers.base.errors import ValidationError

    with pytest.raises(ValidationError, match=r"in the layer but not in the table: \['05'\]"):
        choropleth(layer, values[values.area_code != "05"], title="t", unit="%", year=2024, attribution="x")


def test_offline_config_and_class_breaks():
    assert PLOTLY_CONFIG["topojsonURL"].startswith("data:application/json,") and PLOTLY_CONFIG["topojsonURL"].endswith("#")
    s = pd.Series([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, np.nan])
    q = class_breaks(s, "quantiles", k=5)
    assert q == pytest.approx([2.5, 4.5, 6.5, 8.5, 10.0])  # between two classes' values (2,8 before: the same classes)
    assert class_breaks(s, "fixed", bins=[5, 10]) == [5.0, 10.0]
    assert len(class_breaks(s, "natural_breaks", k=3)) == 3
    classes = assign_classes(s, q)
    assert classes.tolist()[:3] == [0, 0, 1] and pd.isna(classes.iloc[-1])
    with pytest.raises(InvalidParameter, match="scheme='jenks'"):
        class_breaks(s, "jenks")


def test_bars_and_table_show_missing_as_missing():
    table = pd.DataFrame({"area_code": ["a", "b", "c"], "area_name_fi": ["A", "B", "C"], "value": [2.5, np.nan, 10.0]})
    fig = ranked_bars(table, title="T", unit="%", year=2024, attribution="Lähde")
    bar = json.loads(fig.to_json())["data"][0]
    assert bar["y"] == ["B", "A", "C"] and bar["text"][0] == "ei tietoa"
    html = value_table_html(table, unit="%", year=2024)
    assert html.index(">C<") < html.index(">A<") < html.index(">B<")
    assert "<td class='num'></td><td>B</td><td class='num'>ei tietoa</td>" in html


# --------------------------------------------------------------------------- pages: escaping by construction

def _figure_block(fragment: str) -> dict:
    import re

    [block] = re.findall(r'<script type="application/json" id="(fig-\d+)" class="plotly-figure">(.*?)</script>', fragment, re.S)
    assert f'id="{block[0]}-plot"' in fragment
    return json.loads(block[1])


def test_figure_travels_as_json_with_the_same_traces_layout_and_config():
    """The figure block carries exactly what fig.to_html drew (data, layout, config with the offline topojson)."""
    from helpers.site.pages import figure_div

    layer, values = _welfare_values()
    evil = "</script><script>alert(1)</script>&<b>"
    layer = layer.assign(name_fi=layer["name_fi"].where(layer["code"] != "05", evil))
    fig = choropleth(layer, values, title="t", unit="%", year=2024, attribution="Lähde: Tilastokeskus<br>CC BY 4.0")
    fragment = str(figure_div(fig))
    spec = _figure_block(fragment)
    drawn = json.loads(fig.to_json())["layout"]
    assert spec["data"] == json.loads(fig.to_json())["data"]
    # On the page the title and the source note are HTML around the plot (they wrap and never meet the toolbar);
    # the rest of the layout is as plotly made it, with a top margin the hover toolbar fits in.
    assert "title" not in spec["layout"] and not [a for a in spec["layout"].get("annotations", []) if a.get("name") == "lahde"]
    assert {k: v for k, v in spec["layout"].items() if k not in ("margin", "height", "annotations")} == \
        {k: v for k, v in drawn.items() if k not in ("margin", "height", "annotations", "title")}
    assert spec["layout"]["margin"]["t"] == 32 and spec["layout"]["height"] == 720 - 60
    assert "<figcaption class='kuvion-otsikko'>t</figcaption>" in fragment
    assert "<p class='lahde'>Lähde: Tilastokeskus<br>CC BY 4.0</p>" in fragment
    assert spec["config"] == {**PLOTLY_CONFIG, "responsive": True} and spec["config"]["displayModeBar"] == "hover"
    assert "</script><script>" not in fragment and "<b>" not in fragment and "\\u003c/script\\u003e" in fragment
    assert 'style="height:660px; width:100%;"' in fragment  # the slot is the plot's height
    assert "Plotly.newPlot" not in fragment  # no inline script: assets/site.js draws it


def test_value_table_marks_flagged_values_and_explains_them():
    table = pd.DataFrame({"area_code": ["a", "b", "c", "d"], "area_name_fi": ["A", "B", "C", "D"], "value": [2.5, np.nan, 10.0, 4.0],
                          "value_flags": ["ennakkotieto", "salattu", "", "ennakkotieto"], "source": "Tilastokeskus (StatFin)"})
    table.attrs["flag_meanings"] = {"salattu": {"fi": "tietoa ei julkaista", "sv": "sekretessbelagd", "en": "not published"}}
    html = value_table_html(table, unit="%", year=2024)
    assert f"<td class='num'>10,0{NBSP}%</td>" in html  # no flag, no mark
    assert f"<td class='num'>4,0{NBSP}% *</td>" in html and f"<td class='num'>2,5{NBSP}% *</td>" in html
    assert "<td class='num'>ei tietoa **</td>" in html
    assert "<p class='huomautus'>* ennakkotieto (Tilastokeskus (StatFin))</p>" in html
    assert "<p class='huomautus'>** salattu (Tilastokeskus (StatFin)): tietoa ei julkaista</p>" in html
    bars = ranked_bars(table, title="T", unit="%", year=2024, attribution="L")
    assert list(bars.data[0].text) == ["ei tietoa **", f"2,5{NBSP}% *", f"4,0{NBSP}% *", f"10,0{NBSP}%"]  # the same marks
    plain = value_table_html(table.drop(columns="value_flags"), unit="%", year=2024)
    assert "*" not in plain and "huomautus" not in plain


def test_profile_marks_a_flagged_value(monkeypatch, tmp_path):
    """A value the source flags (the tidy table's ``flags`` column) gets a mark and a footnote on the region profile."""
    import helpers.site.build as site

    real = site.indicator_table

    def flagged(ind, years, **kw):
        t = real(ind, years, **kw)
        if ind == "vaesto" and kw.get("level") == "hyvinvointialue":
            t = t.assign(value_flags=t["value_flags"].mask((t["area_code"] == "90") & (t["year"] == 2024), "ennakkotieto"))
            t.attrs["flag_meanings"] = {"ennakkotieto": {"fi": "ennakkotieto, voi vielä muuttua"}}
        return t

    monkeypatch.setattr(site, "indicator_table", flagged)
    monkeypatch.setattr(site, "cached_table", lambda kind, key, build: build())  # the same answers, another table
    monkeypatch.setenv("SOTE_OUTPUTS_DIR", str(tmp_path))
    html = site.write_region_profile("90", 2025).read_text(encoding="utf-8")
    assert f"<td class='num'>684{NBSP}018{NBSP}henkeä *</td><td class='num'>5{NBSP}635{NBSP}971{NBSP}henkeä</td>" in html
    assert "<p class='huomautus'>* ennakkotieto (Tilastokeskus (StatFin)" in html and "): ennakkotieto, voi vielä muuttua</p>" in html


def test_page_escapes_text_carries_the_policy_and_no_inline_script(tmp_path):
    import re

    from helpers.site.pages import CONTENT_SECURITY_POLICY, SITE_SCRIPT, figure, read_page_meta, write_page

    site = tmp_path / "site"
    title = "Otsikko <script>alert('x')</script> & \"lainaus\""
    page = write_page(site / "osio" / "sivu.html", title=title, paragraphs=["<img src=x onerror=alert(1)>"],
                      description="kuvaus <b>", data_year=2024, site=site)
    html = page.read_text(encoding="utf-8")
    assert "<script>" not in html and "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    [policy] = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', html)
    assert policy == CONTENT_SECURITY_POLICY and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "unsafe-eval" not in policy and "http" not in policy
    assert read_page_meta(page) == {"title": title, "description": "kuvaus <b>", "data_year": "2024"}
    # a page without figures loads the stylesheet and the site script, not plotly.js
    assert "plotly" not in html and '<script src="../assets/site.js" defer></script>' in html
    assert '<link rel="stylesheet" href="../assets/site.css">' in html and (site / "assets" / "site.css").is_file()
    layer, values = _welfare_values()
    page = write_page(site / "kartta.html", title="Kartta", template="page.html.j2",
                      context={"heading": "Kartta", "fig": figure(choropleth(layer, values, title="t", unit="%", year=2024, attribution="x"))},
                      site=site)
    html = page.read_text(encoding="utf-8")
    assert '<script src="assets/site.js" defer></script>\n<script src="assets/plotly-sote.min.js"></script>' in html
    assert (site / SITE_SCRIPT).read_text(encoding="utf-8").startswith("/* Sote-järjestökartat")
    scripts = re.findall(r"<script[^>]*>", html)
    assert all(" src=" in s or 'type="application/json"' in s for s in scripts), scripts


HTML_FROM_VARIABLES = [
    # An f-string that starts with a tag, or a tag followed by a replacement field: <td>{...}, <li>{...}, ...
    (r"""\bf["'][^"'\n]*<[a-zA-Z]""", "f-string with a tag"),
    (r"""<[a-zA-Z][^<>"'\n]*>\{""", "tag followed by {...}"),
    (r"""<[a-zA-Z][^<>\n]*>%s|<[a-zA-Z][^<>\n]*>["']\s*\.format\(""", "tag with %s or .format"),
    # A string literal holding a tag concatenated with something, or used to join pieces.
    (r"""["'][^"'\n]*<[a-zA-Z/][^"'\n]*["']\s*\+|\+\s*["'][^"'\n]*<[a-zA-Z/]""", "tag string concatenated"),
    (r"""["'][^"'\n]*<[a-zA-Z/][^"'\n]*["']\s*\.join\(""", "tag string used to join"),
]
# Plotly's own text markup (titles, annotations, hover: drawn by plotly as SVG text, never parsed as page HTML).
PLOTLY_TEXT_MARKUP = re.compile(r"<br>|<b>|</b>|<extra></extra>")


def test_no_html_is_built_from_variables_in_the_package():
    """Pages come from the autoescaping templates only: no module assembles tags around values, and no template or
    module marks data as safe (Markup only wraps rendered templates, in helpers.site.pages)."""
    from pathlib import Path

    import helpers

    package = Path(helpers.__file__).parent
    found = []
    for path in sorted(package.glob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = PLOTLY_TEXT_MARKUP.sub("", line)
            for pattern, what in HTML_FROM_VARIABLES:
                if re.search(pattern, code):
                    found.append(f"{path.name}:{n}: {what}: {line.strip()}")
            if "Markup(" in line and path.name != "pages.py":
                found.append(f"{path.name}:{n}: Markup outside helpers.site.pages: {line.strip()}")
    for path in sorted((package / "templates").glob("*.j2")):
        text = path.read_text(encoding="utf-8")
        for bad in ("|safe", "| safe", "autoescape false", "autoescape=False"):
            if bad in text:
                found.append(f"templates/{path.name}: {bad}")
    assert not found, "\n".join(found)


def test_notebook_setup_leaves_out_the_iri_grammars_and_nbformat_still_validates():
    """A fresh kernel's set-up must not pay jsonschema's IRI grammars (2 s per run); notebooks still validate."""
    import subprocess
    import sys

    code = ("import sys\nfrom helpers import notebook\nnotebook.setup('fi')\nimport plotly.io as pio\n"
            "import nbformat\nnbformat.validate(nbformat.v4.new_notebook())\n"
            "print(sys.modules.get('rfc3987_syntax', 'missing'), pio.renderers.default)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["None", "sote_mimetype"]


def test_profile_rows_are_built_once_for_every_region_and_read_back(monkeypatch):
    """The profile's indicator and model rows of all regions are one cached table each: a second region's rows come
    from the entry, with the values of the indicator tables themselves."""
    import helpers.site.build as site
    from helpers.tables.indicators import indicator_table

    first = site.profile_indicators("90", 2025)
    site.profile_models("90", 2025)
    site.profile_models("90", 2025, "sv")

    def not_again(*args, **kwargs):
        raise AssertionError("built again")

    monkeypatch.setattr(site, "_profile_indicators", not_again)
    monkeypatch.setattr(site, "_profile_models", not_again)
    again = site.profile_indicators("90", 2025)
    pd.testing.assert_frame_equal(first, again)
    ostro = site.profile_indicators("01", 2025).set_index("indicator_id")
    table = indicator_table("vaesto", [2023, 2024], level="hyvinvointialue", division_year=2025)
    assert ostro.loc["vaesto", "region"] == table.loc[(table["area_code"] == "01") & (table["year"] == 2024), "value"].item()
    assert again.set_index("indicator_id").loc["vaesto", "region"] == 684018  # Helsinki, 31.12.2024 (StatFin)
    models = site.profile_models("90", 2025)
    assert "region_code" not in models.columns and len(models) == len(site.model_names())
    assert set(site.profile_models("01", 2025, "sv")["model"]) == {site.load_model(m).label("sv") for m in site.model_names()}


def test_a_maps_geojson_is_shared_by_plotlys_copies_and_serialised_as_before():
    """plotly deep-copies a figure's data when it builds it and again in to_dict; the map's GeoJSON (most of those
    bytes) is shared instead, and the figure's JSON is what it was with a plain dict."""
    import copy

    import plotly.graph_objects as go
    import plotly.io as pio

    layer, values = _welfare_values()
    fig = choropleth(layer, values, title="Testi", unit="%", year=2024, attribution="Lähde: testi")
    shapes = [t.geojson for t in fig.data]  # one trace per class, each with its regions' shapes
    assert [d["geojson"] for d in fig.to_dict()["data"]] == shapes
    assert all(a is b for a, b in zip((d["geojson"] for d in fig.to_dict()["data"]), shapes))
    assert all(t.geojson is g for t, g in zip(copy.deepcopy(fig).data, shapes))
    spec = fig.to_dict()
    for trace in spec["data"]:
        trace["geojson"] = json.loads(json.dumps(trace["geojson"]))
    plain = go.Figure(spec)
    assert {type(t.geojson) for t in plain.data} == {dict} and json.loads(pio.to_json(plain)) == json.loads(pio.to_json(fig))
    assert sum(len(g["features"]) for g in shapes) == len(layer) == 23


def test_a_maps_frame_is_its_regions_own_box():
    """The frame is the drawn regions' bounding box padded by 2 % (plotly's fitbounds fitted them into a square world
    frame, half empty on a phone); without Åland it starts at Lapland's arm, not at Åland's west edge."""
    layer, values = _welfare_values()
    with_aland = choropleth(layer, values, title="t", unit="%", year=2024, attribution="x").layout.geo
    mainland = choropleth(layer, values, title="t", unit="%", year=2024, attribution="x", show_aland=False).layout.geo
    assert with_aland.fitbounds is False and with_aland.projection.type == "mercator"
    x0, y0, x1, y1 = layer.to_crs(4326).total_bounds
    lon, lat = with_aland.lonaxis.range, with_aland.lataxis.range
    assert lon[0] < x0 < lon[0] + 0.03 * (x1 - x0) and lon[1] - 0.03 * (x1 - x0) < x1 < lon[1]
    assert lat[0] < y0 < lat[0] + 0.03 * (y1 - y0) and lat[1] - 0.03 * (y1 - y0) < y1 < lat[1]
    assert 19.0 < lon[0] < 19.5 and 31.5 < lon[1] < 32.0 and 59.5 < lat[0] < 59.8 and 70.0 < lat[1] < 70.4
    # Without Åland the west edge is the tip of Lapland's arm (20.5° E), a degree east of Åland's.
    assert mainland.lonaxis.range[0] > lon[0] + 0.8 and 31.5 < mainland.lonaxis.range[1] < 32.0


def test_a_boundary_map_of_few_regions_carries_their_codes_inside_them():
    import geopandas as gpd

    from helpers.figures.maps import boundary_map

    erva = grouping_layer("erva2020", 2025)
    fig = boundary_map(erva, title="t", attribution="x")
    labels = [t for t in fig.data if t.type == "scattergeo"]
    assert len(labels) == 1 and list(labels[0].text) == ["1", "2", "3", "4", "5", "6"] and labels[0].hoverinfo == "skip"
    points = gpd.GeoSeries(gpd.points_from_xy(labels[0].lon, labels[0].lat), crs=4326).to_crs(erva.crs)
    assert all(points.values[i].within(erva.geometry.values[i]) for i in range(6))  # Åland's "6" on an Åland island
    welfare = grouping_layer("hyvinvointialue", 2025)
    assert [t.type for t in boundary_map(welfare, title="t", attribution="x").data] == ["choropleth"]  # 23: no labels


def test_a_boundary_map_drawn_again_reuses_its_shapes_and_names_its_own_language(monkeypatch):
    from helpers.figures import maps

    monkeypatch.setattr(maps, "_DRAWINGS", type(maps._DRAWINGS)())
    layer = grouping_layer("hyvinvointialue", 2025)
    fi = maps.boundary_map(layer, title="t", attribution="a", lang="fi").to_dict()
    sv = maps.boundary_map(layer, title="t", attribution="a", lang="sv").to_dict()
    assert len(maps._DRAWINGS) == 1  # the shapes, their GeoJSON and colours once
    assert fi["data"][0]["geojson"] == sv["data"][0]["geojson"] and fi["data"][0]["colorscale"] == sv["data"][0]["colorscale"]
    names = dict(zip(fi["data"][0]["locations"], (c[0] for c in sv["data"][0]["customdata"])))
    assert names["15"] == "Mellersta Finlands välfärdsområde" and fi["data"][0]["customdata"][0] != sv["data"][0]["customdata"][0]
    moved = layer.copy()
    moved.loc[0, "geometry"] = moved.geometry.iloc[0].buffer(1000)  # another geometry: drawn anew
    maps.boundary_map(moved, title="t", attribution="a", lang="fi")
    assert len(maps._DRAWINGS) == 2
