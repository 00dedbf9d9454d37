"""The partial plotly.js bundle (src/helpers/assets/plotly-sote.min.js, built by tools/plotly-bundle): the same
plotly.js version as the Python package's, and every trace type, locale and layout feature the package's figures use
is in it (checked against the figures of written pages, the package's source, and the bundle loaded in Chromium)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "src" / "helpers" / "assets" / "plotly-sote.min.js"
TOOLS = ROOT / "tools" / "plotly-bundle"
# What tools/plotly-bundle/entry.js registers, and what build.mjs leaves out of the core.
TRACES = {"scatter", "bar", "choropleth", "scattergeo"}
LOCALES = {"fi", "sv"}
OMITTED_LAYOUT = {"updatemenus", "sliders", "images"}
OMITTED_AXIS = {"rangeslider", "rangeselector"}
# d3-geo's own projections (the bundle has no d3-geo-projection): plotly projection type names.
D3_GEO_PROJECTIONS = {"mercator", "equirectangular", "orthographic", "natural earth", "albers usa", "albers", "azimuthal equal area",
                      "azimuthal equidistant", "conic conformal", "conic equal area", "conic equidistant", "gnomonic", "stereographic",
                      "transverse mercator", "equal earth"}
FIGURE_BLOCK = re.compile(r'<script type="application/json" id="[^"]+" class="plotly-figure">(.*?)</script>', re.S)


def header_version(path: Path) -> str:
    head = path.read_text(encoding="utf-8")[:600]
    found = re.search(r"plotly\.js(?: \([^)]*\))? v(\d+\.\d+\.\d+)", head)
    assert found, f"no plotly.js version in the header of {path}"
    return found.group(1)


def python_plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def test_same_version_as_the_python_package_and_pinned():
    version = header_version(python_plotly_js())
    assert header_version(BUNDLE) == version
    assert f'"{version}"' in BUNDLE.read_text(encoding="utf-8")  # Plotly.version inside the code, not just the header
    package = json.loads((TOOLS / "package.json").read_text(encoding="utf-8"))
    assert package["devDependencies"]["plotly.js"] == version
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in package["devDependencies"].values())  # exact pins
    lock = json.loads((TOOLS / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/plotly.js"]["version"] == version
    head = BUNDLE.read_text(encoding="utf-8")[:800]
    assert "Licensed under the MIT license" in head and "Copyright 2012-2026, Plotly, Inc." in head


def test_bundle_is_light():
    size = BUNDLE.stat().st_size
    assert 900_000 < size < 1_300_000, size
    assert size < python_plotly_js().stat().st_size / 3


def test_package_source_builds_only_bundled_traces():
    """Every plotly trace class the package and the notebooks construct (go.Bar(...), px.choropleth(...), ...)."""
    used = set()
    files = [*(ROOT / "src" / "helpers").rglob("*.py"), *(ROOT / "notebooks").glob("*.ipynb")]
    for path in files:
        text = path.read_text(encoding="utf-8")
        used |= {m.lower() for m in re.findall(r"\bgo\.([A-Z][A-Za-z]+)\(", text)} - {"figure", "layout", "frame"}
        used |= {m.lower() for m in re.findall(r"\bpx\.([a-z_]+)\(", text)}
        used |= set(re.findall(r"""["']type["']\s*:\s*["']([a-z]+)["']""", text)) & {"scatter", "bar", "choropleth", "scattergeo", "pie",
                                                                                      "heatmap", "choroplethmap", "scattermap", "box", "histogram"}
    assert used, "found no figures in the package"
    assert {"choropleth", "bar"} <= used
    assert used <= TRACES, f"not in the bundle: {sorted(used - TRACES)}"


@pytest.fixture(scope="module")
def written_figures(tmp_path_factory):
    """The figures of one page of each kind, written with the fixture mirror."""
    out = tmp_path_factory.mktemp("bundle-pages")
    saved = os.environ.get("SOTE_OUTPUTS_DIR")
    os.environ["SOTE_OUTPUTS_DIR"] = str(out)
    try:
        from helpers.site.boundary_pages import write_boundary_page
        from helpers.site.indicator_pages import write_indicator_page
        from helpers.site.model_pages import write_comparison_page
        from helpers.site.build import write_region_profile
        from helpers.site.survey_pages import write_survey_page

        write_boundary_page("hyvinvointialue", 2025, mainland=False, lang="fi", png=False)
        write_indicator_page("osuus_65", 2024, years=[2024])
        write_comparison_page(["malli_18_1", "malli_5_1_erva2020"], 2025, "sama_per_yksikko", "osuus_65", [2024])
        write_survey_page(2025)
        write_region_profile("01", 2025, "fi")
    finally:
        if saved is None:
            os.environ.pop("SOTE_OUTPUTS_DIR", None)
        else:
            os.environ["SOTE_OUTPUTS_DIR"] = saved
    figures = []
    for page in sorted((out / "site").rglob("*.html")):
        figures += [(page.name, json.loads(block)) for block in FIGURE_BLOCK.findall(page.read_text(encoding="utf-8"))]
    return figures


def test_written_figures_use_only_what_the_bundle_has(written_figures):
    assert len(written_figures) >= 6  # the survey page's charts are pre-drawn SVG (no plotly figure)
    types = {t.get("type", "scatter") for _, f in written_figures for t in f["data"]}
    assert {"choropleth", "bar"} <= types <= TRACES, types
    for page, f in written_figures:
        layout = f["layout"]
        assert not OMITTED_LAYOUT & set(layout), (page, OMITTED_LAYOUT & set(layout))
        for key, axis in layout.items():
            if re.fullmatch(r"[xy]axis\d*", key):
                assert not OMITTED_AXIS & set(axis), (page, key)
            if re.fullmatch(r"geo\d*", key):
                assert (axis.get("projection") or {}).get("type", "equirectangular") in D3_GEO_PROJECTIONS, (page, key)
        assert all(t.get("locationmode") != "country names" for t in f["data"]), page
        assert f["config"].get("locale", "en") in LOCALES | {"en", "en-US"}, page


# --------------------------------------------------------------------------- the bundle in Chromium

PAGE = """<!DOCTYPE html><html lang="fi"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<script src="plotly-sote.min.js"></script><script src="check.js" defer></script></head>
<body><div id="map" style="width:500px;height:400px"></div><div id="bars" style="width:500px;height:300px"></div></body></html>"""
CHECK = """window.checked = (async function () {
  var geo = {type: 'FeatureCollection', features: [{type: 'Feature', id: 'A', properties: {},
             geometry: {type: 'Polygon', coordinates: [[[24, 60], [24, 61], [25, 61], [25, 60], [24, 60]]]}}]};
  window.PlotlyGeoAssets = {topojson: {}};
  ['world_110m', 'world_50m'].forEach(function (n) { window.PlotlyGeoAssets.topojson[n] = {type: 'Topology', objects: {}, arcs: []}; });
  var config = {locale: 'fi', displaylogo: false, topojsonURL: 'data:application/json,{}#'};
  await Plotly.newPlot('map', [{type: 'choropleth', geojson: geo, locations: ['A'], z: [1], featureidkey: 'id'},
                               {type: 'scattergeo', lon: [24.5], lat: [60.5], mode: 'text', text: ['A']}],
                       {geo: {fitbounds: 'locations', visible: false, projection: {type: 'mercator'}}}, config);
  await Plotly.newPlot('bars', [{type: 'bar', x: ['a', 'b'], y: [1, 2]}], {}, {locale: 'sv'});
  return {traces: Object.keys(Plotly.PlotSchema.get().traces).sort(), version: Plotly.version,
          regions: document.querySelectorAll('#map path.choroplethlocation').length,
          bars: document.querySelectorAll('#bars .barlayer .point').length,
          fi: document.querySelector('#map .modebar-btn').getAttribute('data-title'),
          sv: document.querySelector('#bars .modebar-btn').getAttribute('data-title')};
})();"""


@pytest.mark.browser
def test_bundle_registers_every_trace_and_draws_under_the_policy(tmp_path):
    from helpers.figures.export import chromium_path
    from helpers.site.pages import CONTENT_SECURITY_POLICY

    exe = chromium_path()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs Debian's chromium for the browser tests")
        pytest.skip("no chromium")
    from playwright.sync_api import sync_playwright

    (tmp_path / "plotly-sote.min.js").write_bytes(BUNDLE.read_bytes())
    (tmp_path / "check.js").write_text(CHECK, encoding="utf-8")
    (tmp_path / "page.html").write_text(PAGE.format(csp=CONTENT_SECURITY_POLICY), encoding="utf-8")
    errors, outside = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(exe), args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                                                                    "--no-first-run", "--disable-background-networking",
                                                                    "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route(lambda url: not url.startswith(("file:", "data:")), lambda route: (outside.append(route.request.url), route.abort()))
            page.goto((tmp_path / "page.html").as_uri(), wait_until="load")
            found = page.evaluate("() => window.checked")
        finally:
            browser.close()
    assert errors == [] and outside == []
    assert set(found["traces"]) == TRACES
    assert found["version"] == header_version(python_plotly_js())
    assert found["regions"] == 1 and found["bars"] == 2
    assert found["fi"] == "Lataa kuvio PNG-muodossa"  # the Finnish locale is in the bundle
    assert found["sv"] != "Download plot as a PNG"  # and the Swedish one
