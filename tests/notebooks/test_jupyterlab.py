"""The notebooks as researchers use them: JupyterLab 4 from the project's environment, driven in headless Chromium.

JupyterLab listens on 127.0.0.1 (random free port, a token) over a temporary copy of notebooks/, with the fixture
mirror and temporary caches and outputs in its environment (the kernel inherits them). For each notebook: open it,
check the kernel is ``sote-jarjestokartat``, Run All Cells from the menu, wait until every cell has run, and assert
no error output and that every map draws as many shapes as the package says its regions are. A trial run with edited
parameters leaves the published site byte for byte as it was (its page goes to outputs/scratch/). An executed notebook
(papermill, as the refresh job makes them) is opened untrusted and its figures must draw. Every browser request that
is not to the server is aborted and recorded; none may happen. Screenshots: outputs/screenshots/jupyterlab/.
"""

from __future__ import annotations

import ast
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from helpers.base import config
from helpers.figures.export import chromium_path
from helpers.geo.layers import load_layer
from helpers.geo.groupings import grouping_layer
from helpers.models.model_files import load_model, resolve
from helpers.pipeline.runs import declared_parameters

pytestmark = [pytest.mark.browser, pytest.mark.notebook]

NOTEBOOKS = ["01_aluerajat", "02_indikaattorit", "03_mallivertailu", "04_kyselyt", "05_alueprofiili"]
SHOTS = config.PROJECT_ROOT / "outputs" / "screenshots" / "jupyterlab"  # the project's outputs/, for a person to look at
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Per plotly figure with a map: the regions in its data and the region shapes drawn.
MAPS_JS = """() => [...document.querySelectorAll('.jp-OutputArea .js-plotly-plot')].filter(d => (d.data || []).some(t => t.type === 'choropleth')).map(d => ({
    data: d.data.filter(t => t.type === 'choropleth').reduce((n, t) => n + t.locations.length, 0),
    drawn: [...d.querySelectorAll('.choroplethlayer path.choroplethlocation')].filter(p => (p.getAttribute('d') || '').length > 10).length}))"""
FIGURES_JS = "() => document.querySelectorAll('.jp-OutputArea .js-plotly-plot').length"
# Cells still waiting or running show [*] or nothing in their prompt; done cells show [n].
PENDING_JS = """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].filter(p => !/\\[\\d+\\]/.test(p.textContent)).length"""
ERRORS_JS = """() => [...document.querySelectorAll('.jp-OutputArea-output')].filter(o =>
    o.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr' || o.classList.contains('jp-OutputArea-executeResult') && /Traceback/.test(o.textContent)
    ).map(o => o.textContent.slice(0, 2000))"""

# The trusted flag of each code cell of the open notebook ``name`` (null until it has loaded).
TRUSTED_JS = """(name) => { for (const w of window.jupyterapp.shell.widgets('main')) {
    if (w.context && w.context.path.endsWith(name) && w.context.isReady) {
        const cells = w.content.model.cells;
        return Array.from({length: cells.length}, (_, i) => cells.get(i)).filter(c => c.type === 'code').map(c => c.trusted); } }
    return null; }"""


def expected_maps(name: str) -> list[int]:
    """Region counts, from the package, of the maps each notebook draws with its default parameters."""
    p = {k: ast.literal_eval(v["default"]) for k, v in declared_parameters(config.NOTEBOOKS_DIR / f"{name}.ipynb").items()}
    if name == "01_aluerajat":
        return [len(grouping_layer(p["level"], p["year"], mainland=p["mainland"]))]
    if name == "02_indikaattorit":
        return [len(grouping_layer(p["level"], p["division_year"]))] * len(p["indicators"])
    if name == "03_mallivertailu":
        units = [resolve(load_model(m), p["year"])["unit_code"].nunique() for m in p["models"]]
        return units + units  # each model's units, then the indicator on each model's units
    if name == "04_kyselyt":
        return [len(load_layer("hyvinvointialue", p["year"], mainland=True))]
    return []  # 05: tables only (the locator map is on the page)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read()


class Lab:
    """A JupyterLab server from this environment; ``url(path)`` gives a tokened address."""

    def __init__(self, root: Path, work: Path, env: dict):
        self.root, self.token = root, secrets.token_hex(16)
        for attempt in range(3):  # a port taken between choosing and binding: try another one
            self.port = _free_port()
            cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.open_browser=False",
                   "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                   f"--ServerApp.token={self.token}", f"--ServerApp.root_dir={root}",
                   "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                   f"--LabApp.user_settings_dir={work / 'settings'}", f"--LabApp.workspaces_dir={work / 'workspaces'}",
                   "--LabApp.expose_app_in_browser=True"] + (["--allow-root"] if os.geteuid() == 0 else [])
            self.log = open(work / f"jupyterlab-{attempt}.log", "w")
            self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=root)
            if self._wait_ready(60):
                return
            self.stop()
        raise RuntimeError(f"JupyterLab did not start; see {self.log.name}:\n{Path(self.log.name).read_text()[-3000:]}")

    def _wait_ready(self, seconds: float) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                return False
            try:
                _get(self.url("api/status"))
                return True
            except OSError:
                time.sleep(0.3)
        return False

    def url(self, path: str, query: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path}?{query}token={self.token}"

    def open(self, path: str):
        """A new tab with the notebook, in a fresh workspace (earlier notebooks are not reopened)."""
        page = self.context.new_page()
        page.goto(self.url(f"lab/tree/{path}", "reset&"))
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
        return page

    def shut_down_kernels(self):
        # One kernel at a time: five with the package loaded would crowd a small CI machine.
        for s in self.sessions():
            req = urllib.request.Request(self.url(f"api/sessions/{s['id']}"), method="DELETE")
            urllib.request.urlopen(req, timeout=30).close()

    def sessions(self) -> list[dict]:
        return json.loads(_get(self.url("api/sessions")))

    def wait_for_kernel(self, page, path: str, seconds: float = 90) -> str:
        """The kernel JupyterLab started for the notebook, once it is idle: its name."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            kernel = next((s["kernel"] for s in self.sessions() if path in (s["path"], s["name"])), None)
            if kernel and kernel.get("execution_state") == "idle":
                return kernel["name"]
            page.wait_for_timeout(300)  # (not time.sleep: the sync API serves the browser only inside its calls)
        raise AssertionError(f"no idle kernel for {path}: {self.sessions()}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def lab(offline_environment, tmp_path_factory):
    exe = chromium_path()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs Debian's chromium for the browser tests (./run tests installs it as root)")
        pytest.skip("no chromium: install Debian's 'chromium' package to run the JupyterLab test")
    work = tmp_path_factory.mktemp("jupyterlab")
    root = work / "notebooks"
    shutil.copytree(config.NOTEBOOKS_DIR, root)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(work / "config"), "JUPYTER_DATA_DIR": str(work / "data"),
           "JUPYTER_RUNTIME_DIR": str(work / "runtime"), "SOTE_OUTPUTS_DIR": str(work / "outputs")}
    # Notebook view: every cell in the page, so every figure is drawn (not only those scrolled into view).
    settings = work / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    # No "official Jupyter news?" question over the notebook (and no news fetched).
    (work / "settings" / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (work / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    server = Lab(root, work, env)
    server.outputs = work / "outputs"

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1440, "height": 900}, service_workers="block")
            server.outside = []
            local = f"http://127.0.0.1:{server.port}/"

            def block(route):
                server.outside.append(route.request.url)
                route.abort()

            # A pattern, not a Python predicate: the browser checks it itself, so local requests never wait for Python.
            context.route(re.compile(rf"^(?!{re.escape(local)}|data:|blob:)"), block)
            server.context = context
            yield server
            context.close()
            browser.close()
    finally:
        server.stop()
        shutil.rmtree(work / "data", ignore_errors=True)


def run_all(page, seconds: int = 240):
    page.click(".lm-MenuBar-item:has-text('Run')")
    page.click(".lm-Menu-item[data-command='runmenu:run-all']")
    # Done when every cell has run, or as soon as one fails (the cells after it never run).
    page.wait_for_function(f"() => ({PENDING_JS})() === 0 || ({ERRORS_JS})().length > 0", timeout=seconds * 1000)
    page.wait_for_function("() => document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status=\"idle\"]')",
                           timeout=60_000)


def wait_for_maps(page, expected: list[int]):
    """Until every map has drawn as many shapes as its data has regions (plotly reads the GeoJSON asynchronously)."""
    try:
        page.wait_for_function(f"() => {{ const m = ({MAPS_JS})(); return m.length === {len(expected)} && m.every(x => x.drawn === x.data); }}",
                               timeout=30_000)
    except PlaywrightTimeout:
        pass  # the assertions below say what was drawn
    return page.evaluate(MAPS_JS)


def screenshots(page, stem: str) -> list[Path]:
    """The notebook's top and each figure in view, at desktop width."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    shots = [SHOTS / f"{stem}.png"]
    page.locator(".jp-NotebookPanel .jp-Cell").first.scroll_into_view_if_needed()
    page.screenshot(path=str(shots[0]))
    for i, fig in enumerate(page.query_selector_all(".jp-OutputArea .js-plotly-plot")):
        fig.scroll_into_view_if_needed()
        shots.append(SHOTS / f"{stem}__kuva{i + 1}.png")
        page.screenshot(path=str(shots[-1]))
    return shots


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_jupyterlab(lab, name):
    expected = expected_maps(name)
    lab.outside.clear()
    page = lab.open(f"{name}.ipynb")
    try:
        assert lab.wait_for_kernel(page, f"{name}.ipynb") == config.KERNEL_NAME
        page.wait_for_selector(".jp-NotebookPanel-toolbar .jp-KernelName:has-text('Python (sote-järjestökartat)')", timeout=30_000)
        run_all(page)
        assert page.evaluate(ERRORS_JS) == []
        maps = wait_for_maps(page, expected)
        assert [m["data"] for m in maps] == expected
        assert [m["drawn"] for m in maps] == expected
        assert page.evaluate(FIGURES_JS) >= len(expected)
        text = page.inner_text(".jp-NotebookPanel .jp-Notebook")
        assert not any(s in text for s in ("seeds/", "data/mallit", "NaN"))
        screenshots(page, name)
    finally:
        page.close()
        lab.shut_down_kernels()
    assert lab.outside == []


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_trial_run_with_new_parameters_leaves_the_published_site_alone(lab, monkeypatch):
    """A researcher edits notebook 02's parameters (another indicator and year) and runs it: the page lands in
    outputs/scratch/, the notebook says so relatively, and the published site, which already has a page of that very
    name, is byte for byte what it was."""
    from helpers.site.pages import site_dir, write_page

    monkeypatch.setenv(config.OUTPUTS_ENV, str(lab.outputs))
    published = site_dir()
    write_page(published / "indikaattorit" / "vaesto_hyvinvointialue_2024.html", title="Väkiluku 2024 (julkaistu)",
               paragraphs=["julkaistu sivu"], data_year=2024)
    before = _tree(published)
    assert "indikaattorit/vaesto_hyvinvointialue_2024.html" in before and "assets/site.js" in before
    lab.outside.clear()
    page = lab.open("02_indikaattorit.ipynb")
    try:
        lab.wait_for_kernel(page, "02_indikaattorit.ipynb")
        editor = page.locator(".jp-CodeCell").first.locator(".cm-content")  # the parameters cell
        editor.click()
        page.keyboard.press("Control+A")
        source = editor.inner_text()
        assert 'indicators: list = ["osuus_65", "vanhushuoltosuhde"]' in source and "years: list = [2024]" in source
        page.keyboard.insert_text(source.replace('["osuus_65", "vanhushuoltosuhde"]', '["vaesto", "vaesto_muutos"]').replace("[2024]", "[2023, 2024]"))
        assert 'indicators: list = ["vaesto", "vaesto_muutos"]' in editor.inner_text()
        run_all(page)
        assert page.evaluate(ERRORS_JS) == []
        text = page.inner_text(".jp-NotebookPanel .jp-Notebook")
    finally:
        page.close()
        lab.shut_down_kernels()
    assert lab.outside == []
    assert _tree(published) == before
    trial = lab.outputs / "scratch" / "site" / "indikaattorit" / "vaesto_muutos_hyvinvointialue_2024.html"
    assert '<meta name="data-year" content="2024">' in trial.read_text(encoding="utf-8")
    assert ("Tallennettu kansioon outputs/scratch/site/indikaattorit/: vaesto_hyvinvointialue_2024.html, "
            "vaesto_muutos_hyvinvointialue_2024.html (kokeiluajo: "
            "julkaistu sivusto outputs/site/ ei muuttunut") in text
    assert str(lab.outputs) not in text


def test_executed_notebook_draws_untrusted(lab):
    """An executed notebook as the refresh job writes it (papermill), opened as it is: untrusted, no network."""
    import papermill as pm

    executed = lab.root / "suoritettu_01_aluerajat.ipynb"
    pm.execute_notebook(str(config.NOTEBOOKS_DIR / "01_aluerajat.ipynb"), str(executed), parameters={"level": "erva2020"},
                        kernel_name=config.KERNEL_NAME, cwd=str(config.NOTEBOOKS_DIR), execution_timeout=300, progress_bar=False)
    assert executed.stat().st_size < 1_000_000
    lab.outside.clear()
    code_cells = sum(c["cell_type"] == "code" for c in json.loads(executed.read_text(encoding="utf-8"))["cells"])
    page = lab.open(executed.name)
    try:
        # The model fills in after the panel appears (until then it holds one empty, trusted cell): wait for all cells.
        cells_js = ("() => { const w = window.jupyterapp.shell.currentWidget; const nb = w && w.content && w.content.model;"
                    " return nb ? [...Array(nb.cells.length).keys()].map(i => nb.cells.get(i)).filter(c => c.type === 'code').map(c => c.trusted) : []; }")
        page.wait_for_function(f"() => ({cells_js})().length === {code_cells}", timeout=60_000)
        trusted = page.evaluate(cells_js)
        assert len(trusted) == code_cells and not any(trusted)
        maps = wait_for_maps(page, [len(grouping_layer("erva2020", 2025))])
        regions = len(grouping_layer("erva2020", 2025))  # 5 erva areas and Åland
        assert maps == [{"data": regions, "drawn": regions}]
        screenshots(page, "suoritettu_01_aluerajat_erva2020")
    finally:
        page.close()
        lab.shut_down_kernels()
    assert lab.outside == []


def test_the_harness_sees_outside_requests(lab):
    """The blocking the other tests rely on: a request for a CDN file from inside JupyterLab is aborted and recorded."""
    lab.outside.clear()
    page = lab.context.new_page()
    try:
        page.goto(lab.url("lab", "reset&"))  # the app itself (API answers forbid fetches by their CSP)
        page.wait_for_selector(".jp-LabShell", timeout=60_000)
        page.evaluate("() => fetch('https://cdn.plot.ly/world_110m.json').catch(() => null)")
    finally:
        page.close()
    assert lab.outside == ["https://cdn.plot.ly/world_110m.json"]
