"""The model builder (mallit/oma.html) in headless Chromium, network blocked, over the session's refreshed site.

* every built-in model of whole welfare regions, loaded into the builder, reads back the decision table's criteria
  (``decision.model_column``) after the page's rounding, under both floor choices; the census share where the
  scorecard has it;
* a plan built by keyboard alone, a unit in two pieces marked on the map and in the table, the plan restored from its
  address, a hand-edited address refused with the plan kept;
* the exported YAML is a valid ``data/mallit/`` file whose units give the numbers the builder showed;
* hostile imports (markup in names, 10 MB, aliases, wrong codes) give the message and keep the plan;
* Åland added by keyboard: assignable, in the address, exported with ``aland: own_unit``; that file through a real
  refresh of the scorecard run alone (a copy of the project, the command line) gives the numbers the builder showed.
"""

from __future__ import annotations

import json
import math

import pytest

from helpers.base.numbers import fmt_number

pytestmark = [pytest.mark.browser, pytest.mark.notebook]

CRITERIA = {"residents_ratio": 2, "residents_max": 0, "associations_ratio": 2, "associations_max": 0, "counterparts_max": 2,
            "regions_max": 0, "longest_distance_km": 0}


@pytest.fixture(scope="module")
def site(refreshed):
    return refreshed / "site"


@pytest.fixture
def page(chromium_browser, site):
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    leaks = []

    def route(r):
        if r.request.url.startswith(("file:", "data:", "blob:")):
            return r.continue_()
        leaks.append(r.request.url)
        return r.abort()

    context.route("**/*", route)
    pg = context.new_page()
    errors = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    assert not leaks, leaks
    assert not errors, errors
    context.close()


def open_builder(pg, site, lang="fi", hash_=""):
    prefix = "" if lang == "fi" else f"{lang}/"
    pg.goto((site / prefix / "mallit" / "oma.html").as_uri() + hash_)
    pg.wait_for_selector("#rakentaja[data-ready]")


def readout(pg) -> dict[str, str]:
    return dict(pg.eval_on_selector_all("td[data-col=plan]", "els => els.map(e => [e.dataset.metric, e.textContent])"))


def assignment(pg) -> dict[str, str]:
    return dict(pg.eval_on_selector_all("select.rk-valinta:not([disabled])", "els => els.map(e => [e.dataset.code, e.value])"))


def expected(column: dict, variant: str, lang: str = "fi") -> dict[str, str]:
    crit = column["variants"][variant]["criteria"]
    return {c: "–" if crit.get(c) is None or not math.isfinite(crit[c]) else fmt_number(crit[c], d, lang) for c, d in CRITERIA.items()}


def test_every_whole_region_model_reads_back_the_scorecard_values(page, site):
    from helpers.models import decision
    from helpers.models.builder_data import references_from
    from helpers.models.model_files import load_model

    data = json.loads((site / "data" / "rakentaja.json").read_text(encoding="utf-8"))
    card = json.loads((site / "data" / "tulostaulu.json").read_text(encoding="utf-8"))
    refs = {m.id: m for m in references_from(card)}
    whole = [m["id"] for m in data["models"] if not m["split"]]
    assert {"malli_18_1", "malli_5_1_yta", "rakenne_2021", "hyvinvointialueittain", "optimi_5_population"} <= set(whole)
    assert [m["id"] for m in data["models"] if m["split"]] == ["malli_5_1_erva2020"]
    shares = {o["model"]: o["share"] for s in card["decision"]["evenness"].values() for o in s["official"]}
    open_builder(page, site)
    for variant in ("floor", "no_floor"):
        page.select_option("#rk-lattia", variant)
        for model_id in whole:
            column = decision.model_column(refs.get(model_id) or load_model(model_id))
            page.select_option("#rk-pohja", model_id)
            page.click("#rk-aloita")
            assert readout(page) == expected(column, variant), (model_id, variant)
            if model_id in shares:
                assert float(page.get_attribute("#rk-tasaisuus", "data-share")) == pytest.approx(shares[model_id], rel=1e-12)
                assert fmt_number(shares[model_id] * 100, 1) in page.text_content("#rk-tasaisuus")
    # the 2020 erva model splits municipalities: it is offered as its nearest whole-region version, said so
    page.select_option("#rk-pohja", "malli_5_1_erva2020")
    page.click("#rk-aloita")
    assert "jakaa hyvinvointialueita" in page.text_content("#rk-vertailu")


def key_path(pg, start: str, goal: str) -> list[str]:
    """The arrow keys from one area to another, from the same rule as the page (nearest label point ahead)."""
    pts = dict(pg.eval_on_selector_all("path.rk-alue", "els => els.map(e => [e.dataset.code, [+e.dataset.x, +e.dataset.y]])"))

    def step(code, key):
        x0, y0 = pts[code]
        best, score = None, math.inf
        for c, (x, y) in pts.items():
            dx, dy = x - x0, y - y0
            along = {"ArrowRight": dx, "ArrowLeft": -dx, "ArrowDown": dy, "ArrowUp": -dy}[key]
            across = dy if key in ("ArrowLeft", "ArrowRight") else dx
            if c != code and along > 0 and along + 2 * abs(across) < score:
                best, score = c, along + 2 * abs(across)
        return best

    paths, queue = {start: []}, [start]
    while queue:
        code = queue.pop(0)
        for key in ("ArrowRight", "ArrowLeft", "ArrowDown", "ArrowUp"):
            nxt = step(code, key)
            if nxt and nxt not in paths:
                paths[nxt] = paths[code] + [key]
                queue.append(nxt)
    return paths[goal]


def test_keyboard_plan_split_marking_address_and_yaml_export(page, site, tmp_path, monkeypatch):
    open_builder(page, site)
    page.focus("#rk-k")
    page.keyboard.press("Control+a")
    page.keyboard.type("2")
    page.keyboard.press("Tab")
    codes = sorted(assignment(page))
    plan = {c: "1" if c in ("21", "90") else "2" for c in codes}  # Lapland with Helsinki: a unit in two pieces
    page.focus("#rk-svg")
    here = page.get_attribute("path.rk-kohdistus", "data-code")
    for code in codes:
        for key in key_path(page, here, code):
            page.keyboard.press(key)
        here = code
        page.keyboard.press(plan[code])  # two digits are read as one unit only up to k (2 here)
    assert assignment(page) == plan
    split = page.eval_on_selector_all("path.rk-osissa", "els => els.map(e => e.dataset.code).sort()")
    assert split == ["21", "90"]
    assert page.get_attribute("#rk-yksikkotaulu tr[data-unit='1'] td[data-pieces]", "data-pieces") == "2"
    # Helsinki to unit 2 by keyboard: the mark goes
    for key in key_path(page, here, "90"):
        page.keyboard.press(key)
    page.keyboard.press("2")
    assert page.eval_on_selector_all("path.rk-osissa", "els => els.length") == 0
    shown = readout(page)
    # the address restores the plan in a new page
    address = page.evaluate("location.hash")
    assert address.startswith("#k=2&a=")
    other = page.context.new_page()
    open_builder(other, site, "sv", address)
    assert assignment(other) == assignment(page)
    # a hand-edited address: the message, the plan kept
    other.evaluate("location.hash = '#k=2&a=<b>x</b>'")
    other.wait_for_selector("#rk-viesti:not(:empty)")  # a selector, not a predicate: the page's CSP forbids eval
    assert "Planen i adressen duger inte" in other.text_content("#rk-viesti")
    assert assignment(other) == assignment(page)
    assert other.locator("#rk-viesti b").count() == 0
    other.close()
    # export YAML: a valid data/mallit/ file whose units give the same numbers
    page.fill("#rk-nimi", "Testimalli <b>kaksi</b>")
    page.fill("#rk-kuvaus", "Kaksi yksikköä: \"lainaus\" ja rivi\nvaihto")
    with page.expect_download() as dl:
        page.click("#rk-yaml")
    text = open(dl.value.path(), encoding="utf-8").read()
    assert page.text_content("#rk-vienti") == text
    check_exported_model(text, shown, tmp_path, monkeypatch)


def check_exported_model(text: str, shown: dict, tmp_path, monkeypatch):
    """The exported file in a copy of data/mallit/: it passes the refresh's check and the scorecard's column for it
    equals what the builder showed (the pipeline reads models from that folder only)."""
    import shutil

    from helpers.models import decision, model_files

    folder = tmp_path / "mallit"
    shutil.copytree(model_files.MODELS_DIR, folder)
    model = model_files.parse_model(text, "export")
    (folder / f"{model.id}.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setattr(model_files, "MODELS_DIR", folder)
    assert model.id in model_files.model_names()
    assert model_files.file_problems(folder / f"{model.id}.yaml", model_files.MODEL_YEARS) == []
    assert model.name.fi == "Testimalli <b>kaksi</b>" and "\"lainaus\" ja rivi\nvaihto" in model.notes.fi
    column = decision.model_column(model_files.load_model(model.id))
    assert shown == expected(column, "floor")


HOSTILE = {
    "markup.yaml": ("id: x\nname: {fi: \"<img src=x id=pahis>\"}\nbasis: groups\nmember_level: hyvinvointialue\nunits:\n"
                    "  - {code: a, name: {fi: \"<script>alert(1)</script>\"}, members: [%s]}\n", None),
    "big.yaml": ("#" * (10 * 1024 * 1024), "liian suuri"),
    "alias.yaml": ("id: x\nname: &n {fi: a}\nbasis: groups\nmember_level: hyvinvointialue\nunits:\n  - {code: a, name: *n, members: [\"01\"]}\n",
                   "ankkurit"),
    "codes.csv": ("hyvinvointialue_code,unit\n01,1\n99,1\n01,2\n", "tuntemattomat aluekoodit: 99"),
    "twice.csv": ("hyvinvointialue_code,unit\n" + "".join(f"{c},1\n" for c in ["01", "02"]) + "01,2\n", "alue kahdessa yksikössä"),
    "other.txt": ("just some text, not a model\n", "ei ole tämän sivun"),
    # Åland listed in a model that excludes it: refused as model_files.resolve refuses it
    "aland.yaml": ("id: x\nname: {fi: a}\nbasis: groups\nmember_level: hyvinvointialue\naland: excluded\nunits:\n"
                   "  - {code: a, name: {fi: a}, members: [%s, \"91\"]}\n", "tuntemattomat aluekoodit: 91"),
}


def test_hostile_imports_give_the_message_and_keep_the_plan(page, site):
    open_builder(page, site)
    page.select_option("#rk-pohja", "malli_18_1")
    page.click("#rk-aloita")
    before = page.evaluate("location.hash")
    codes = sorted(assignment(page))
    for name, (text, says) in HOSTILE.items():
        if name in ("markup.yaml", "aland.yaml"):
            text = text % ", ".join(f'"{c}"' for c in codes)
        page.set_input_files("#rk-tuo", files=[{"name": name, "mimeType": "text/plain", "buffer": text.encode("utf-8")}])
        if says is None:  # a valid file: opened, its markup shown as text
            page.wait_for_selector("#rk-tila:has-text('markup.yaml')")
            assert page.input_value("#rk-nimi") == "<img src=x id=pahis>"
            assert page.locator("#pahis").count() == 0 and page.locator("#rakentaja script").count() == 0
            assert "<script>alert(1)</script>" in page.text_content("#rk-yksikkotaulu")
            page.click("#rk-kumoa")
            assert page.evaluate("location.hash") == before
            continue
        page.wait_for_selector("#rk-viesti:not(:empty)")
        message = page.text_content("#rk-viesti")
        assert says in message and "säilyi ennallaan" in message, (name, message)
        assert page.evaluate("location.hash") == before, name
        page.evaluate("document.getElementById('rk-viesti').textContent = ''")


def unit_rows(pg) -> list[list[str]]:
    return pg.eval_on_selector_all("#rk-yksikkotaulu tbody tr", "els => els.map(r => [...r.querySelectorAll('td.num')].map(c => c.textContent))")


def test_aland_added_by_keyboard_exported_and_refreshed(page, site, tmp_path):
    """Åland (91) joins a unit when the reader adds it; the exported file, put in data/mallit/ of a copy of the
    project, passes a real refresh of the scorecard run alone, whose site data gives the numbers the builder showed."""
    import os
    import shutil
    import subprocess
    import sys

    from helpers.models import model_files
    from tests.hostile_harness import CLEAN_ENV_DROP, FIXTURE_MIRROR, REPO

    mainland = "1" * 20 + "2" + "1"  # 01-20 and Helsinki in unit 1, Lapland (21) in unit 2
    open_builder(page, site, hash_="#k=2&a=" + mainland)
    assert "91" not in assignment(page) and page.locator("path.rk-alue[data-code='91']").count() == 0
    page.focus("#rk-ahv")
    page.keyboard.press("Space")
    assert page.is_checked("#rk-ahv")
    assert "91" in assignment(page) and "1 aluetta ei" in page.text_content("#rk-vertailu")  # not yet in a unit: said
    page.focus("#rk-valinta-91")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # – , unit 1, unit 2
    page.evaluate("document.getElementById('rk-valinta-91').dispatchEvent(new Event('change', {bubbles: true}))")
    assert assignment(page)["91"] == "2"
    assert page.evaluate("location.hash") == "#k=2&a=" + mainland + "2"
    shown, rows = readout(page), unit_rows(page)
    assert "Ahvenanmaa" in page.text_content("#rk-yksikkotaulu")
    # the address restores Åland too
    other = page.context.new_page()
    open_builder(other, site, "en", "#k=2&a=" + mainland + "2")
    assert assignment(other) == assignment(page) and other.is_checked("#rk-ahv")
    other.close()
    page.fill("#rk-nimi", "Ahvenanmaa mukana")
    with page.expect_download() as dl:
        page.click("#rk-yaml")
    text = open(dl.value.path(), encoding="utf-8").read()
    model = model_files.parse_model(text, "export")
    assert model.aland == "own_unit" and [u.members for u in model.units][1] == ["21", "91"]
    # the file opens again with Åland in its unit, after a plan without it
    plan = assignment(page)
    page.click("#rk-tyhjenna")
    page.click("#rk-ahv")
    assert not page.is_checked("#rk-ahv") and "91" not in assignment(page)
    page.set_input_files("#rk-tuo", files=[{"name": "ahv.yaml", "mimeType": "text/plain", "buffer": text.encode("utf-8")}])
    page.wait_for_selector("#rk-tila:has-text('ahv.yaml')")
    assert page.is_checked("#rk-ahv") and assignment(page) == plan
    # a copy of what the refresh reads (as tests/hostile_harness.py copies it), the file in its data/mallit/
    project = tmp_path / "project"
    for name in ("data", "notebooks", "src/helpers"):
        shutil.copytree(REPO / name, project / name, ignore=shutil.ignore_patterns("cache", "__pycache__"))
    shutil.copy2(REPO / "runs.yaml", project / "runs.yaml")
    (project / "data" / "mallit" / f"{model.id}.yaml").write_text(text, encoding="utf-8")
    outputs = tmp_path / "outputs"
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV_DROP}
    # the session's temporary caches, warm from its refresh (content-keyed, as the hostile cases share theirs): ~20 s
    env.update({"SOTE_PROJECT_ROOT": str(project), "SOTE_MIRROR": str(FIXTURE_MIRROR), "SOTE_OUTPUTS_DIR": str(outputs),
                "SOTE_CACHE_DIR": os.environ["SOTE_CACHE_DIR"], "SOTE_GEODATA_DIR": os.environ["SOTE_GEODATA_DIR"]})
    res = subprocess.run([sys.executable, "-m", "helpers.pipeline.cli", "refresh", "--only", "tulostaulu_*", "--workers", "1"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert res.returncode == 0, (res.stderr + res.stdout)[-4000:]
    card = json.loads((outputs / "site" / "data" / "tulostaulu.json").read_text(encoding="utf-8"))
    other_models = card["decision"]["others"]
    assert model.id in other_models, sorted(other_models)
    codes, seats = other_models[model.id]["unit_codes"], other_models[model.id]["seats"]["floor"]
    assert codes == [u.code for u in model.units]
    fields = card["value_fields"]
    values = {(v["unit_code"], v["metric"]): v["value"] for v in (dict(zip(fields, x)) for x in card["values"])
              if v["scenario"] == f"{model.id}__sama_per_yksikko" and v["scope"] == "unit"}
    pop = [values[c, "population"] for c in codes]
    assoc = [values[c, "sote_associations"] if values.get((c, "sote_associations")) is not None else values[c, "sote_associations_estimate"]
             for c in codes]
    regions = [values[c, "welfare_regions"] for c in codes]
    dist = [values[c, "longest_distance_km"] for c in codes]
    assert regions == [21, 2] and pop[1] > 176151  # Lapland and Åland
    per = lambda xs: [x / s for x, s in zip(xs, seats)]  # noqa: E731
    crit = {"residents_ratio": max(per(pop)) / min(per(pop)), "residents_max": max(per(pop)),
            "associations_ratio": max(per(assoc)) / min(per(assoc)), "associations_max": max(per(assoc)),
            "counterparts_max": max(per(regions)), "regions_max": max(regions), "longest_distance_km": max(dist)}
    assert shown == {c: fmt_number(v, CRITERIA[c], "fi") for c, v in crit.items()}
    assert rows == [[fmt_number(p, 0), fmt_number(s, 0), fmt_number(p / s, 0), fmt_number(a / s, 0), fmt_number(r / s, 2),
                     fmt_number(d, 0)] for p, s, a, r, d in zip(pop, seats, assoc, regions, dist)]
