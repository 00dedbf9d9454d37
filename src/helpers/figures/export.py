"""Static export of figures (PNG, SVG, PDF) for slides and reports: kaleido driving Debian's chromium, offline.

``export_figure(fig, "kartta.svg")`` writes one file, the format from the suffix; ``export_figure(fig, "kartta",
formats=("svg", "pdf", "png"))`` writes all three from one browser. It works in a fresh process, with no earlier
call in the same kernel, and sends no request off the machine:

* **The world topojson.** plotly's ``fig.write_image`` hands kaleido ``plotly.io.defaults.topojson``, which is None
  in a fresh process, so plotly.js asks ``cdn.plot.ly/un/world_110m.json`` for the base map of any geo subplot and,
  offline, kaleido fails with "Error 525: unexpected error while fetching topojson file". The pages never fetch it
  because their config (``maps.PLOTLY_CONFIG``) points ``topojsonURL`` at an empty topojson in a data: URL, but a
  figure's config is not part of ``fig.to_dict()``. Here every render is given that same empty topojson. (The former
  ``write_png`` set ``plotly.io.defaults.topojson`` for the whole process, which is why ``fig.write_image`` worked
  only after it.) Offline there is no world base map: land, coastlines and ISO-3 country locations need the CDN file;
  the package's maps draw their own GeoJSON and hide the base map.
* **MathJax** is off (kaleido otherwise loads it from cdnjs for every page; the figures have no LaTeX).
* **plotly.js**: the pages' partial build when the figure's trace types and layout are in it (the browser starts
  1.3 s sooner), else the full plotly.js of the Python package; never the CDN.
* **The browser** is given a proxy no one listens on (``NO_NETWORK_PROXY``), so nothing else it might ask for leaves
  the machine either (Debian's chromium itself calls home at start). ``CHOREO_PROXY_SERVER``, choreographer's own
  variable, replaces it (the tests point it at a recorder of the requests).

Files are written atomically. Nothing in ``plotly.io.defaults`` or the environment is changed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path

from helpers.base.config import PACKAGE_ASSETS_DIR, PARTIAL_PLOTLY
from helpers.base.errors import InvalidParameter, SoteError
from helpers.figures.maps import PLOTLY_CONFIG

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
FORMATS = ("png", "svg", "pdf")
DEFAULT_SIZE = (1200, 900)  # width, height in CSS pixels when neither the call nor the figure's layout gives them
EMPTY_TOPOJSON = PLOTLY_CONFIG["topojsonURL"]
NO_NETWORK_PROXY = "127.0.0.1:9"  # nothing listens there: any request the browser makes is refused at once
# What the partial plotly.js build holds (tools/plotly-bundle/entry.js and build.mjs; tests/figures/test_bundle.py).
PARTIAL_TRACES = frozenset({"scatter", "bar", "choropleth", "scattergeo"})
PARTIAL_OMITTED_LAYOUT = frozenset({"updatemenus", "sliders", "images"})
PARTIAL_PROJECTIONS = frozenset({
    "mercator", "equirectangular", "orthographic", "natural earth", "albers usa", "albers", "azimuthal equal area",
    "azimuthal equidistant", "conic conformal", "conic equal area", "conic equidistant", "gnomonic", "stereographic",
    "transverse mercator", "equal earth"})


def chromium_path() -> str | None:
    """The browser kaleido drives: ``BROWSER_PATH`` when set (an explicit choice, even if it is missing), else the
    usual Debian/Chrome locations."""
    if os.environ.get("BROWSER_PATH"):
        return os.environ["BROWSER_PATH"] if Path(os.environ["BROWSER_PATH"]).is_file() else None
    for candidate in (*CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def _figure_dict(fig) -> dict:
    if isinstance(fig, dict):
        import plotly.graph_objects as go

        fig = go.Figure(fig)  # validates, as plotly's write_image does
    return fig.to_dict()


def fits_partial_bundle(fig_dict: dict) -> bool:
    """Whether the pages' partial plotly.js draws this figure: its trace types, layout parts and map projections."""
    layout = fig_dict.get("layout") or {}
    if any(layout.get(key) for key in PARTIAL_OMITTED_LAYOUT):
        return False
    projections = {((value or {}).get("projection") or {}).get("type") for key, value in layout.items()
                   if key.startswith("geo") and isinstance(value, dict)}
    if not projections - {None} <= PARTIAL_PROJECTIONS:
        return False
    return {trace.get("type") or "scatter" for trace in fig_dict.get("data") or []} <= PARTIAL_TRACES


def plotly_js_for(fig_dict: dict) -> Path:
    """The plotly.js file the browser loads for this figure (a local file, never a CDN)."""
    import plotly

    partial = PACKAGE_ASSETS_DIR / PARTIAL_PLOTLY
    if partial.is_file() and fits_partial_bundle(fig_dict):
        return partial
    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _targets(path: Path, formats: Iterable[str] | None) -> dict[str, Path]:
    if formats is None:
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise InvalidParameter(f"export_figure: {path.name!r} does not end in .png, .svg or .pdf "
                                   "(or give formats=('svg', 'pdf', 'png'))")
        return {fmt: path}
    chosen = [str(f).lower().lstrip(".") for f in ([formats] if isinstance(formats, str) else formats)]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise InvalidParameter(f"export_figure: formats={list(formats)!r}; choose from {', '.join(FORMATS)}")
    return {f: path.with_suffix(f".{f}") for f in dict.fromkeys(chosen)}


def _in_thread(make_coroutine):
    """Run a coroutine to its end on its own event loop (in a thread: a notebook's kernel already runs a loop)."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = asyncio.run(make_coroutine())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="figure-export")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def render(fig, formats: Iterable[str], *, width: int | None = None, height: int | None = None,
           scale: float = 1.0) -> dict[str, bytes]:
    """The figure's bytes in each format (png, svg, pdf), drawn offline by one browser; raises SoteError without
    one."""
    import kaleido

    browser = chromium_path()
    if browser is None:
        raise SoteError("figure export needs a Chrome/Chromium: install Debian's 'chromium' package or set BROWSER_PATH")
    fig_dict = _figure_dict(fig)
    layout = fig_dict.get("layout") or {}
    opts = {"width": width or layout.get("width") or DEFAULT_SIZE[0],
            "height": height or layout.get("height") or DEFAULT_SIZE[1], "scale": scale}
    formats = list(dict.fromkeys(formats))
    kopts = {"n": 1, "plotlyjs": str(plotly_js_for(fig_dict)), "mathjax": False, "path": browser,
             "proxy_server": os.environ.get("CHOREO_PROXY_SERVER") or NO_NETWORK_PROXY}

    async def draw():
        async with kaleido.Kaleido(**kopts) as k:
            return {fmt: await k.calc_fig(fig_dict, opts={**opts, "format": fmt}, topojson=EMPTY_TOPOJSON)
                    for fmt in formats}

    return _in_thread(draw)


def export_figure(fig, path: str | os.PathLike, *, formats: Iterable[str] | None = None, width: int | None = None,
                  height: int | None = None, scale: float = 1.0) -> dict[str, Path]:
    """Write the figure as PNG, SVG and/or PDF, offline, and return ``{format: path}``.

    The format is the suffix of ``path`` (.png, .svg or .pdf), or ``formats`` lists several: then each file is
    ``path`` with that suffix, all drawn by one browser. The size is ``width`` × ``height`` CSS pixels (default: the
    figure's layout, else 1200 × 900); ``scale`` multiplies the PNG's pixels. Raises SoteError without a
    Chrome/Chromium, InvalidParameter for another format.

    >>> export_figure(fig, "outputs/kartta", formats=("svg", "pdf", "png"))  # doctest: +SKIP
    """
    from helpers.base.files import atomic_write

    targets = _targets(Path(path), formats)
    images = render(fig, targets, width=width, height=height, scale=scale)
    for fmt, target in targets.items():
        atomic_write(target, lambda tmp, data=images[fmt]: tmp.write_bytes(data))
    return targets


def write_png(fig, path: str | os.PathLike, *, width: int = 1200, height: int = 900, scale: float = 1.0,
              required: bool = False) -> Path | None:
    """Write the figure as PNG atomically and return its path (``export_figure`` for one PNG).

    Without a browser the PNG is skipped: returns None and records a notice (the refresh puts it in the run's
    manifest entry), so a machine without chromium still publishes the pages. ``required=True`` raises instead.
    """
    if chromium_path() is None and not required:
        from helpers.base.notices import record_notice

        record_notice(f"PNG ohitettu: {Path(path).name} (Chromium puuttuu; asenna Debianin chromium-paketti tai aseta BROWSER_PATH)")
        return None
    from helpers.base.files import atomic_write

    path = Path(path)
    data = render(fig, ["png"], width=width, height=height, scale=scale)["png"]
    atomic_write(path, lambda tmp: tmp.write_bytes(data))
    return path
