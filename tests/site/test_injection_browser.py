"""Escaping by construction, checked in a real browser: pages built from data that carries injected markup in every
text source show that markup as text, and nothing in it runs.

A copy of the project's ``data/`` (indicator catalogue names and notes, collaboration-area and 2020 erva names, the
survey YAML's question text and citation, a model YAML's name, unit name and citation) and of the fixture mirror (a
welfare region's name in the WFS answer) get payloads; the page writers run in a subprocess pointed at the copies
(SOTE_PROJECT_ROOT, SOTE_MIRROR, fresh output, cache and geodata folders). Each page is then opened in headless
Chromium from file:// and from a local http.server on 127.0.0.1 (network otherwise blocked), under the pages'
Content-Security-Policy: no dialog, no payload script ran (``window.__pwned`` stays undefined), no console error,
every figure drawn, and the payload text is on the page literally.

Only what needs a browser is here. What the HTML alone shows (every table cell, caption, footnote and figure JSON of
every page carries the payloads only as text, never as an element) is tests/site/test_escaping.py, in the fast suite;
it imports ``poison`` from this module.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest
import yaml

from helpers.base import config

pytestmark = pytest.mark.browser

FIXTURE_MIRROR = Path(__file__).resolve().parents[2] / "snapshot"
BOUNDARY_PAYLOAD = "<img src=x onerror=alert(1)><script>alert(2)</script>"


def payload(tag: str) -> str:
    """Markup that would set window.__pwned (and load an image) if it ever reached the page as markup."""
    return f"{tag}<script>window.__pwned='{tag}'</script><img src=x onerror=\"window.__pwned='{tag}'\">"


# Page -> the payloads its visible text must show literally.
EXPECTED = {
    "aluerajat/hyvinvointialue_2025.html": [BOUNDARY_PAYLOAD],
    "indikaattorit/vaesto_hyvinvointialue_2024.html": [payload("ind-vaesto"), payload("note-vaesto"), BOUNDARY_PAYLOAD],
    "mallit/malli_18_1__rakenne_2021_2025_sama_per_yksikko.html": [payload("malli"), payload("malli-lahde"), payload("yksikko"),
                                                                   payload("ind-osuus_65")],
    "kyselyt/kyselyt_2020_2021.html": [payload("kysymys"), payload("kysely-lahde")],
    "alueet/90.html": [BOUNDARY_PAYLOAD, payload("yhteistyoalue"), payload("erva2020"), payload("ind-vaesto"), payload("malli"),
                       payload("yksikko"), payload("malli-lahde")],
    "mallit/index.html": [BOUNDARY_PAYLOAD, payload("malli"), payload("yksikko"), payload("malli-lahde")],
    "indikaattorit/index.html": [payload("ind-vaesto")],
    "alueet/index.html": [BOUNDARY_PAYLOAD],
    "index.html": [],
}
# The model view shows the models the URL names (the rest is hidden): the poisoned model must be among them.
HASH = {"mallit/index.html": "#malli_18_1,rakenne_2021"}
WRITE_PAGES = """
from helpers.site.boundary_pages import write_boundary_page
from helpers.site.indicator_pages import write_indicator_page
from helpers.site.model_pages import write_comparison_page
from helpers.site.build import write_index, write_region_profile
from helpers.site.survey_pages import write_survey_page

write_boundary_page("hyvinvointialue", 2025)
write_indicator_page("vaesto", 2024, years=[2023, 2024])
write_comparison_page(["malli_18_1", "rakenne_2021"], 2025, "sama_per_yksikko", "osuus_65", [2024])
write_survey_page(2025)
write_region_profile("90", 2025)
write_index(None)
"""


def _replace_in_csv(path: Path, column: str, old: str, new: str) -> None:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert (df[column] == old).any(), (path.name, column, old)
    df.loc[df[column] == old, column] = new  # every row naming the area, so the tables stay consistent
    df.to_csv(path, index=False)


def poison(work: Path) -> dict[str, str]:
    """Copies of data/ and of the fixture mirror with payloads in every text source; returns the subprocess env."""
    data = work / "project" / "data"
    shutil.copytree(config.PROJECT_ROOT / "data", data, ignore=shutil.ignore_patterns("cache"))
    cat = pd.read_csv(data / "indikaattorit.csv", dtype=str, keep_default_na=False)
    for ind in ("vaesto", "osuus_65"):
        cat.loc[cat["indicator_id"] == ind, "name_fi"] = payload(f"ind-{ind}")
        cat.loc[cat["indicator_id"] == ind, "notes"] = payload(f"note-{ind}")
    cat.to_csv(data / "indikaattorit.csv", index=False)
    _replace_in_csv(data / "yhteistyoalueet.csv", "yhteistyoalue_name_fi", "Etelä-Suomen yhteistyöalue", payload("yhteistyoalue"))
    _replace_in_csv(data / "erva2020_alueet.csv", "erva2020_name_fi", "Helsingin yliopistollisen keskussairaalan erityisvastuualue",
                    payload("erva2020"))
    surveys = yaml.safe_load((data / "kyselyt.yaml").read_text(encoding="utf-8"))
    surveys["kysely_2021"]["questions"][0]["text_fi"] = payload("kysymys")
    surveys["kysely_2020"]["source"]["citation"] = payload("kysely-lahde")
    (data / "kyselyt.yaml").write_text(yaml.safe_dump(surveys, allow_unicode=True), encoding="utf-8")
    model_file = data / "mallit" / "rakenne_2021.yaml"
    model = yaml.safe_load(model_file.read_text(encoding="utf-8"))
    model["name"]["fi"] = payload("malli")
    model["source"]["citation"] = payload("malli-lahde")
    [uusimaa] = [u for u in model["units"] if u["code"] == "uusimaa"]
    uusimaa["name"]["fi"] = payload("yksikko")
    model_file.write_text(yaml.safe_dump(model, allow_unicode=True), encoding="utf-8")
    # pages cite a model's document from data/lahteet.csv (by the model's source ref)
    cited = pd.read_csv(data / "lahteet.csv", dtype=str, keep_default_na=False, comment="#")
    cited.loc[cited["key"] == model["source"]["ref"], "title"] = payload("malli-lahde")
    cited.loc[cited["key"] == surveys["kysely_2020"]["source"]["ref"], "title"] = payload("kysely-lahde")
    cited.to_csv(data / "lahteet.csv", index=False)

    mirror = work / "mirror"
    shutil.copytree(FIXTURE_MIRROR, mirror)
    answer = mirror / "geo" / "hyvinvointialue4500k_2025.json"
    layer = json.loads(answer.read_text(encoding="utf-8"))
    [helsinki] = [f for f in layer["features"] if f["properties"]["hyvinvointialue"] == "90"]
    helsinki["properties"]["nimi"] = BOUNDARY_PAYLOAD
    answer.write_text(json.dumps(layer, ensure_ascii=False), encoding="utf-8")
    return {**os.environ, "SOTE_PROJECT_ROOT": str(work / "project"), config.MIRROR_ENV: str(mirror),
            config.OUTPUTS_ENV: str(work / "outputs"), config.CACHE_ENV: str(work / "cache"), config.GEODATA_ENV: str(work / "geodata")}


@pytest.fixture(scope="module")
def chromium(chromium_browser):
    return chromium_browser


@pytest.fixture(scope="module")
def poisoned_site(tmp_path_factory, chromium) -> Path:
    work = tmp_path_factory.mktemp("injection")
    env = poison(work)
    done = subprocess.run([sys.executable, "-c", WRITE_PAGES], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    site = work / "outputs" / "site"
    written = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    assert set(EXPECTED) <= written
    assert {f"{lang}/{rel}" for rel in EXPECTED if "__" not in rel for lang in ("sv", "en")} <= written  # every language
    return site


@pytest.fixture(scope="module")
def server(poisoned_site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(poisoned_site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


STATE_JS = """() => ({
    pwned: window.__pwned === undefined ? null : String(window.__pwned),
    images: [...document.images].map(i => i.getAttribute('src')),
    scripts: [...document.scripts].map(s => s.src ? 'src:' + s.getAttribute('src') : 'type:' + s.type),
    blocks: document.querySelectorAll('script.plotly-figure').length,
    plots: [...document.querySelectorAll('.js-plotly-plot')].filter(d => d._fullLayout).length,
    shapes: [...document.querySelectorAll('.js-plotly-plot')].map(d => [
        d.data.filter(t => t.type === 'choropleth').reduce((n, t) => n + t.locations.length, 0),
        [...d.querySelectorAll('path.choroplethlocation')].filter(p => (p.getAttribute('d') || '').length > 10).length]),
    body: document.body.innerText})"""


def visit(browser, url: str, allowed: tuple[str, ...]) -> dict:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, service_workers="block")
    page = context.new_page()
    seen = {"dialogs": [], "errors": [], "outside": []}

    def block(route):
        seen["outside"].append(route.request.url)
        route.abort()

    def dialog(d):
        seen["dialogs"].append(f"{d.type}: {d.message}")
        d.dismiss()

    page.route(lambda u: not u.startswith(allowed), block)
    page.on("dialog", dialog)
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    try:
        page.goto(url, wait_until="load")
        page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].every(d => d._fullLayout)", timeout=30_000)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(200)  # a late onerror or timer would show here
        return {**seen, **page.evaluate(STATE_JS)}
    finally:
        context.close()


def problems_of(rel: str, seen: dict) -> list[str]:
    out = []
    if seen["dialogs"]:
        out.append(f"dialogs fired: {seen['dialogs']}")
    if seen["pwned"] is not None:
        out.append(f"payload script ran: window.__pwned = {seen['pwned']!r}")
    if seen["errors"]:
        out.append(f"console errors: {seen['errors']}")
    if seen["outside"]:
        out.append(f"requests left the machine: {seen['outside']}")
    if seen["images"]:
        out.append(f"image elements on the page: {seen['images']}")
    prefix = "../" * rel.count("/")
    wanted = {"type:application/json", f"src:{prefix}assets/site.js"} | ({f"src:{prefix}assets/plotly-sote.min.js"} if seen["blocks"] else set())
    wanted.add(f"src:{prefix}assets/figure_tools.js")  # every page: figure image downloads, citation, table scroll cues
    if rel.startswith("indikaattorit/") and not rel.endswith("index.html"):
        wanted.add(f"src:{prefix}assets/series.js")  # the indicator pages' own script (year control, series chart)
    if rel.startswith("alueet/") and not rel.endswith("index.html"):
        wanted.add(f"src:{prefix}assets/profiles.js")  # the profiles' own script (regions compared, trends)
    if rel == "mallit/oma.html":
        wanted.add(f"src:{prefix}assets/builder.js")  # the model builder
    if set(seen["scripts"]) - wanted:
        out.append(f"unexpected scripts: {sorted(set(seen['scripts']) - wanted)}")
    if seen["plots"] != seen["blocks"]:
        out.append(f"{seen['plots']} of {seen['blocks']} figures drawn")
    for data, drawn in seen["shapes"]:
        if data != drawn:
            out.append(f"a map draws {drawn} shapes for {data} regions")
    for text in EXPECTED[rel]:
        if text not in seen["body"]:
            out.append(f"payload not shown as text: {text!r}")
    return [f"{rel}: {p}" for p in out]


@pytest.mark.parametrize("mode", ["file", "http"])
def test_injected_markup_is_text_and_never_runs(poisoned_site, server, chromium, mode):
    problems = []
    for rel in EXPECTED:
        if mode == "file":
            seen = visit(chromium, (poisoned_site / rel).as_uri() + HASH.get(rel, ""), ("file:", "data:"))
        else:
            seen = visit(chromium, server + rel + HASH.get(rel, ""), (server, "data:"))
        problems += problems_of(rel, seen)
    assert not problems, "\n".join(problems)
