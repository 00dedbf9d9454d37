"""Exports a researcher makes from a notebook: a figure as SVG, PDF and PNG (``helpers.figures.export``) offline in a
fresh process, a table as an Excel workbook with the site CSV's headers and decimals, and CSVs with one byte order
mark each.

The figure test runs the export in a fresh Python process with its sockets refused, and gives the browser a recording
proxy (``CHOREO_PROXY_SERVER``): every request the browser makes reaches the recorder instead of the network. Debian's
chromium calls home at start (its search engine, Google's update and account services): those requests are the
browser's own, whatever page it draws, and are left out; any other one (plotly.js or MathJax from a CDN, the world
topojson) fails the test. As a control, the same process then calls plotly's own ``fig.write_image`` on the map: it
must still ask ``cdn.plot.ly`` for ``world_110m.json`` (the recorder sees it), so the export did not pass by changing
plotly's process-wide defaults, and the recorder is shown to catch a fetch.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.base.errors import InvalidParameter, SoteError
from helpers.figures import export
from helpers.site import downloads

ROOT = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Debian's chromium at start, for any page: its default search engine, component updates, Google accounts.
BROWSER_CHATTER = re.compile(r"(^|\.)(google\.com|googleapis\.com|gvt1\.com|gstatic\.com|duckduckgo\.com)$")


class Recorder:
    """A proxy on 127.0.0.1 that records each request's target and answers 403, so nothing leaves the machine."""

    def __init__(self):
        self.requests: list[str] = []
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self._server.settimeout(0.2)
        self.address = "127.0.0.1:%d" % self._server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    line = conn.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
                    if line:
                        self.requests.append(line)
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    pass

    def hosts(self) -> list[str]:
        """The host of each request (CONNECT host:port, or an absolute URL's host)."""
        out = []
        for line in self.requests:
            parts = line.split()
            target = parts[1] if len(parts) > 1 else line
            host = re.sub(r"^[a-z]+://", "", target).split("/", 1)[0].rsplit(":", 1)[0]
            out.append(host)
        return out

    def figure_requests(self) -> list[str]:
        return [line for line, host in zip(self.requests, self.hosts()) if not BROWSER_CHATTER.search(host)]

    def close(self):
        self._stop.set()
        self._thread.join(5)
        self._server.close()


@pytest.fixture
def recorders():
    made = [Recorder(), Recorder()]
    yield made
    for r in made:
        r.close()


@pytest.fixture(scope="module")
def browser():
    exe = export.chromium_path()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs Debian's chromium for the figure export tests (./run tests installs it as root)")
        pytest.skip("no chromium: install Debian's 'chromium' package to run the figure export tests")
    return exe


# The fresh process: sockets refused (any attempt recorded), a map (choropleth classes of the 23 welfare regions plus
# a scattergeo point) and a bar chart exported to SVG, PDF and PNG, then plotly's own write_image as the control.
CHILD = r'''
import json, os, socket, sys, time
from pathlib import Path

attempts = []
_connect = socket.socket.connect
def refuse(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        attempts.append(repr(address))
        raise OSError("network refused in the export test: %r" % (address,))
    return _connect(self, address)
socket.socket.connect = refuse
socket.socket.connect_ex = lambda self, address: refuse(self, address) or 0
socket.create_connection = lambda address, *a, **k: refuse(socket.socket(), address)

import numpy as np, pandas as pd
import plotly.graph_objects as go
from helpers.figures.charts import ranked_bars
from helpers.figures.export import export_figure
from helpers.figures.maps import choropleth
from helpers.geo.groupings import grouping_layer

out = Path(sys.argv[1])
layer = grouping_layer("hyvinvointialue", 2025)
values = pd.DataFrame({"area_code": layer["code"], "value": np.arange(len(layer), dtype=float)})
values.loc[values["area_code"] == "20", "value"] = np.nan
fig_map = choropleth(layer, values, title="Kartta", unit="%", year=2024, attribution="Lähde: testi", k=5)
fig_map.add_trace(go.Scattergeo(lon=[24.94], lat=[60.17], mode="markers+text", text=["Helsinki"], showlegend=False))
bars = pd.DataFrame({"area_code": ["01", "02", "03"], "area_name_fi": ["Ä-alue", "B-alue", "C-alue"], "value": [3.5, 1.25, np.nan]})
fig_bar = ranked_bars(bars, title="Pylväät", unit="%", year=2024, attribution="Lähde: testi")

timings = {}
t = time.perf_counter()
written = {"map": export_figure(fig_map, out / "kartta", formats=("svg", "pdf", "png"))}
timings["map"] = time.perf_counter() - t
t = time.perf_counter()
written["bar"] = export_figure(fig_bar, out / "pylvaat.svg", formats=("svg", "pdf", "png"), width=800, height=500, scale=2)
timings["bar"] = time.perf_counter() - t

os.environ["CHOREO_PROXY_SERVER"] = os.environ["CONTROL_PROXY"]  # the control's browser: the second recorder
t = time.perf_counter()
try:
    fig_map.write_image(out / "plotly_write_image.svg")
    control = "written"
except Exception as exc:
    control = "%s: %s" % (type(exc).__name__, exc)
timings["control"] = time.perf_counter() - t
print(json.dumps({"written": {k: {f: str(p) for f, p in v.items()} for k, v in written.items()},
                  "attempts": attempts, "control": control, "timings": timings}))
'''


def check_svg(path: Path) -> ET.Element:
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
    return root


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def check_pdf(path: Path):
    data = path.read_bytes()
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]


def test_map_and_bar_chart_export_offline_in_a_fresh_process(tmp_path, browser, recorders):
    figures, control = recorders
    env = {**os.environ, "CHOREO_PROXY_SERVER": figures.address, "CONTROL_PROXY": control.address,
           "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], env=env, capture_output=True, text=True,
                          timeout=240, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print("timings (s):", {k: round(v, 2) for k, v in result["timings"].items()})

    written = {kind: {fmt: Path(p) for fmt, p in files.items()} for kind, files in result["written"].items()}
    assert written["map"] == {f: tmp_path / f"kartta.{f}" for f in ("svg", "pdf", "png")}
    assert written["bar"] == {f: tmp_path / f"pylvaat.{f}" for f in ("svg", "pdf", "png")}
    map_svg = check_svg(written["map"]["svg"])
    # the regions are drawn: a choropleth path per region (23 welfare regions and Helsinki), the scattergeo point
    paths = [e for e in map_svg.iter("{http://www.w3.org/2000/svg}path") if "choropleth" in (e.get("class") or "")]
    assert len(paths) >= 23
    assert any("scattergeo" in (e.get("class") or "") for e in map_svg.iter())
    assert "Helsinki" in written["map"]["svg"].read_text(encoding="utf-8")
    bar_svg = check_svg(written["bar"]["svg"])
    assert bar_svg.get("viewBox") == "0 0 800 500" and bar_svg.get("width") == "1600"  # 800 x 500, scale 2
    assert "Ä-alue" in written["bar"]["svg"].read_text(encoding="utf-8")
    for kind in ("map", "bar"):
        check_pdf(written[kind]["pdf"])
    assert png_size(written["map"]["png"]) == (1200, 720)  # the map's own layout height, 1200 wide by default
    assert png_size(written["bar"]["png"]) == (1600, 1000)  # 800 x 500 at scale 2
    assert not list(tmp_path.glob(".*"))  # no temporary file left beside them

    assert result["attempts"] == []  # no socket from Python
    assert figures.figure_requests() == []  # and none from the browser but its own start-up chatter
    # The control: plotly's own write_image in the same process still fetches the world topojson and fails offline.
    assert "world_110m.json" in result["control"], result["control"]
    assert "cdn.plot.ly" in control.hosts()


def test_export_format_from_the_suffix_or_formats():
    assert export._targets(Path("a/kartta.SVG"), None) == {"svg": Path("a/kartta.SVG")}
    assert export._targets(Path("kartta"), ("pdf", ".png", "pdf")) == {"pdf": Path("kartta.pdf"), "png": Path("kartta.png")}
    assert export._targets(Path("kartta.png"), "svg") == {"svg": Path("kartta.svg")}
    with pytest.raises(InvalidParameter, match="kartta.jpg"):
        export._targets(Path("kartta.jpg"), None)
    with pytest.raises(InvalidParameter, match="eps"):
        export._targets(Path("kartta"), ("svg", "eps"))


def test_partial_plotly_js_only_for_figures_it_draws():
    import plotly.express as px

    assert export.plotly_js_for({"data": [{"type": "bar"}, {"type": "choropleth"}, {}]}).name == "plotly-sote.min.js"
    assert export.plotly_js_for(px.histogram(x=[1, 2]).to_dict()).name == "plotly.min.js"
    assert export.plotly_js_for({"data": [{"type": "scattergeo"}], "layout": {"geo": {"projection": {"type": "robinson"}}}}).name == "plotly.min.js"
    assert export.plotly_js_for({"data": [{"type": "bar"}], "layout": {"updatemenus": [{}]}}).name == "plotly.min.js"


def test_without_a_browser(tmp_path, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-browser"))
    monkeypatch.delenv("SOTE_NOTICES_LOG", raising=False)
    fig = {"data": [{"type": "bar", "x": [1], "y": [2]}]}
    with pytest.raises(SoteError, match="Chromium"):
        export.export_figure(fig, tmp_path / "a.svg")
    assert export.write_png(fig, tmp_path / "a.png") is None  # the refresh's PNG: skipped with a notice
    with pytest.raises(SoteError, match="Chromium"):
        export.write_png(fig, tmp_path / "a.png", required=True)
    assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------- Excel


def tidy() -> pd.DataFrame:
    return pd.DataFrame({"area_code": ["091", "049", "=2+3"], "area_name": ["Helsinki", "Espoo", None],
                         "value": [12.345, -0.04, np.nan], "population": [684018, 320931, 0], "share": [0.5, 1 / 3, 2.0]})


def test_excel_headers_values_and_number_formats(tmp_path):
    from openpyxl import load_workbook

    from helpers.notebook import COLUMN_LABELS

    path = downloads.write_xlsx(tidy(), tmp_path / "taulukko.xlsx", labels=COLUMN_LABELS["fi"],
                                decimals={"value": 1, "Osuus %": 2})
    ws = load_workbook(path).active
    assert ws.title == "Taulukko" and ws.freeze_panes == "A2"
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == ["Koodi", "Alue", "Arvo", "Väestö", "share"]
    assert rows[1:] == [["091", "Helsinki", 12.3, 684018, 0.5], ["049", "Espoo", 0, 320931, 1 / 3], ["=2+3", None, None, 0, 2]]
    cells = list(ws.iter_rows())
    assert all(c.font.b for c in cells[0])
    assert [c.data_type for c in cells[3][:2]] == ["s", "n"]  # "=2+3" is text, not a formula
    assert cells[1][2].number_format == "0.0" and cells[2][2].number_format == "0.0"  # like the CSV's 12,3 and 0,0
    assert cells[1][3].number_format == "0" and cells[1][4].number_format == "General"
    assert isinstance(cells[1][2].value, float) and isinstance(cells[1][3].value, int)
    # the same digits as the site's CSV of the same table
    csv = downloads.csv_text(tidy().rename(columns=COLUMN_LABELS["fi"]), decimals={"Arvo": 1})
    assert csv.split("\r\n")[1] == "091;Helsinki;12,3;684018;0,5"
    back = pd.read_excel(path, dtype={"Koodi": str})
    assert list(back.columns) == rows[0] and back["Koodi"].tolist() == ["091", "049", "=2+3"]
    assert back["Arvo"].tolist()[:2] == [12.3, 0.0] and np.isnan(back["Arvo"].iloc[2])


def test_excel_swedish_and_english_sheets(tmp_path):
    from openpyxl import load_workbook

    from helpers.notebook import COLUMN_LABELS

    for lang, sheet, header in (("sv", "Tabell", "Område"), ("en", "Table", "Area")):
        ws = load_workbook(downloads.write_xlsx(tidy(), tmp_path / f"{lang}.xlsx", lang=lang, labels=COLUMN_LABELS[lang])).active
        assert ws.title == sheet and ws["B1"].value == header


def test_pandas_to_excel_works(tmp_path):
    df = tidy()
    df.to_excel(tmp_path / "pandas.xlsx", index=False)
    back = pd.read_excel(tmp_path / "pandas.xlsx", dtype={"area_code": str})
    assert back["area_code"].tolist()[:2] == ["091", "049"]
    assert back["population"].tolist() == [684018, 320931, 0]
    # pandas stores a text beginning with "=" as a formula (read back: no value); write_xlsx keeps it text
    assert pd.isna(back["area_code"].iloc[2])


# --------------------------------------------------------------------------- one byte order mark


def bom_count(data: bytes) -> int:
    count = 0
    while data.startswith(b"\xef\xbb\xbf"):
        data, count = data[3:], count + 1
    return count


def test_every_csv_has_one_byte_order_mark(tmp_path):
    df = tidy()
    text = downloads.csv_text(df)
    assert text.startswith("\ufeff") and not text.startswith("\ufeff\ufeff")
    first = downloads.write_csv(df, tmp_path / "taulukko.csv", decimals={"value": 1})
    assert bom_count(first.read_bytes()) == 1
    # written with utf-8-sig as well: two marks (why csv_text's text is written as plain UTF-8)
    assert bom_count(downloads.csv_text(df).encode("utf-8-sig")) == 2
    # read back as plain utf-8 text (the csv module, a text editor's copy): the mark stays on the first name
    again = pd.DataFrame(list(csv.reader(io.StringIO(first.read_text(encoding="utf-8")), delimiter=";"))[1:],
                         columns=next(csv.reader(io.StringIO(first.read_text(encoding="utf-8")), delimiter=";")))
    assert again.columns[0] == "\ufeffarea_code"
    second = downloads.write_csv(again, tmp_path / "uudelleen.csv")
    assert bom_count(second.read_bytes()) == 1 and second.read_bytes()[3:].startswith(b"area_code;")
    page = tmp_path / "sivu.html"
    links = downloads.table_files(again, page=page, name="arvot", title="t", sources=[], licence="CC BY 4.0", lang="en")
    assert bom_count((tmp_path / links["csv"]).read_bytes()) == 1
    assert downloads.read_csv(second).columns[0] == "area_code"
    wb = downloads.write_xlsx(again, tmp_path / "uudelleen.xlsx")
    assert pd.read_excel(wb).columns[0] == "area_code"
