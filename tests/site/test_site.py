"""The site as the refresh job builds it from runs.yaml (fixture mirror): every run, the front page, the model view,
the hubs, every page in three languages, region profiles, page sizes, PNG export. The real-browser checks are in
test_browser.py."""

import json
import re
import struct
from pathlib import Path

import pytest

from helpers.base.words import date_text
from helpers.models.model_files import model_names
from helpers.site.pages import CONTENT_SECURITY_POLICY, LANGS, PLOTLY_ASSET, SITE_SCRIPT, STYLESHEET

pytestmark = pytest.mark.notebook
NBSP = "\u00a0"


def pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if p.relative_to(site).parts[0] != "assets")


def finnish_pages(site: Path) -> list[Path]:
    return [p for p in pages(site) if p.relative_to(site).parts[0] not in ("sv", "en")]


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_every_run_succeeded(refreshed):
    manifest = json.loads(text(refreshed / "manifest.json"))
    assert manifest["counts"] == {"ok": 42, "skipped": 0, "failed": 0}
    assert not list((refreshed / "failed").iterdir())
    for entry in manifest["runs"].values():
        assert (refreshed / "notebooks" / f"{entry['name']}.ipynb").is_file()
        assert entry["inputs"] and all(len(i["sha256"]) == 64 and i["origin"] == "mirror" for i in entry["inputs"])
    assert not list((refreshed / "site" / "mallit").glob("*__*.html"))  # no page per pair any more


def test_every_page_in_three_languages_with_the_site_shell(refreshed):
    site = refreshed / "site"
    fi = finnish_pages(site)
    assert len(fi) == 47  # 6 boundary + 11 indicator + 23 profiles + survey + 6 written at the end (front page, lists, model view, builder)
    for page in fi:
        rel = page.relative_to(site).as_posix()
        for lang in LANGS:
            other = site / rel if lang == "fi" else site / lang / rel
            assert other.is_file(), other
            body = text(other)
            assert f'<html lang="{lang}">' in body, other
            assert '<nav class="osat"' in body and '<nav class="kielet"' in body, other
            # the language switch points at the same page in each language
            for target in LANGS:
                want = site / rel if target == "fi" else site / target / rel
                hrefs = re.findall(rf'<a href="([^"]+)" hreflang="{target}"', body)
                assert len(hrefs) == 1 and (other.parent / hrefs[0]).resolve() == want.resolve(), (other, target, hrefs)
            assert 'href="' + "../" * (len(other.relative_to(site).parts) - 1) + 'assets/site.css"' in body, other
            visible = re.sub(r"<script[^>]*>.*?</script>", "", body, flags=re.S)
            assert "sama_per_yksikko" not in visible and "seed " not in visible and ".txt" not in visible, other
    assert len(pages(site)) == 3 * len(fi)


def test_front_page_is_the_answer(refreshed):
    site = refreshed / "site"
    index = text(site / "index.html")
    manifest = json.loads(text(refreshed / "manifest.json"))
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in index
    # the two structures on one frame: the same viewBox, 18 and 5 numbered units with their names in the legend
    boxes = re.findall(r"<svg class='kartta' viewBox='([^']+)'", index)
    assert len(boxes) == 2 and boxes[0] == boxes[1]
    assert index.count("<g class='nro'>") == 18 + 5
    assert "<span class='selite-nro'>18</span> Uusimaa</li>" in index
    assert "Helsingin yliopistollisen keskussairaalan erityisvastuualue" in index
    # the answer first: findings naming their rule, then the decision table under one rule for every model
    assert index.index("<h2>Vastaus lyhyesti</h2>") < index.index("<table class='paatos'>") < index.index("<svg class='kartta'")
    assert index.count("(sääntö: 18 htv väestön mukaan, Sainte-Laguë, jokaiselle yksikölle vähintään yksi)") >= 3
    assert "<th scope='row'>Asukkaita työntekijää kohden: suurin / pienin</th><td class='tuomio'>Paras: " in index
    assert "<td class='num' data-label='18+1' data-model='malli_18_1'>26,32</td>" in index
    assert "Sama sääntö kaikille malleille: 18+1-esityksen 18 alueellista henkilötyövuotta" in index
    # no convention that makes every model even by construction; persons and person-years apart
    assert "sama kokonaismäärä" not in index and "Henkilöstökäytäntö" not in index
    assert "<th scope='col'>Alueilla, htv</th>" in index and "<th scope='col'>Alueilla, henkilöä</th>" in index
    for hub in ("mallit/index.html", "indikaattorit/index.html", "alueet/index.html", "kyselyt/kyselyt_2020_2021.html", "lahteet.html"):
        assert f"href=\"{hub}\"" in index and f"href='{hub}'" in index
    # the refresh time in Finnish local time and the reader's words; run counts stay in the manifest
    assert f"Päivitetty {date_text(manifest['refreshed_at'], 'fi', time=True)}." in index and "ajoa" not in index and "UTC" not in index
    csv = (site / "index.paatostaulu-floor.csv").read_bytes()
    assert csv.startswith(b"\xef\xbb\xbf") and "Peruste;Kumpi parempi;18+1;".encode() in csv
    meta = json.loads(text(site / "index.paatostaulu-floor.json"))
    assert "Sainte-Laguë" in json.dumps(meta, ensure_ascii=False) and "henkilötyövuodet (htv)" in json.dumps(meta, ensure_ascii=False)
    en = text(site / "en" / "index.html")
    assert "<h2>The answer in brief</h2>" in en and "(rule: 18 person-years by population, Sainte-Laguë, at least one per unit)" in en
    assert "vähintään" not in en and "ei kysytty" not in en
    # the sources in the reader's language, no layer names
    assert "Apportionment methods: " in en and "Boundaries: Statistics Finland" in en
    assert not any(word in en for word in ("Aluerajat:", "Mallit:", "Jakomenetelmät:", "Kysely 2020:", "vaestoalue:kunta_vaki"))


def test_model_view_is_written_again_only_when_its_inputs_or_files_changed(refreshed, tmp_path):
    """The refresh writes the model comparison once; an unchanged rebuild keeps its files, an edited download or
    other site data writes it again."""
    import shutil

    from helpers.site.model_view import STAMP, load_site_data, write_model_view

    site = tmp_path / "site"
    shutil.copytree(refreshed / "site", site)
    page = site / "mallit" / "index.html"
    download = next((site / "mallit").glob("index.yksikot-malli-18-1.csv"))
    data = load_site_data(site)
    before = {p: p.stat().st_mtime_ns for p in (page, download, site / STAMP)}
    assert write_model_view(site, data) == [page, site / "sv" / "mallit" / "index.html", site / "en" / "mallit" / "index.html"]
    assert {p: p.stat().st_mtime_ns for p in before} == before  # nothing written
    download.write_text("muokattu\n", encoding="utf-8")
    write_model_view(site, data)
    assert "muokattu" not in download.read_text(encoding="utf-8-sig") and page.stat().st_mtime_ns != before[page]
    written = page.stat().st_mtime_ns
    sc = "malli_18_1__sama_per_yksikko"
    at = {f: i for i, f in enumerate(data["value_fields"])}
    row = next(v for v in data["values"] if v[at["scenario"]] == sc and v[at["unit_code"]] == "01" and v[at["metric"]] == "population")
    row[at["value"]] = 1234567.0
    write_model_view(site, data)
    assert page.stat().st_mtime_ns != written and f"1{NBSP}234{NBSP}567" in page.read_text(encoding="utf-8")


def test_the_scorecards_pages_are_made_while_the_other_runs_go_on(refreshed, tmp_path, monkeypatch):
    """Once the scorecard run is published the refresh writes the model view and the builder in the background
    (job._early_site_pages); the site step after the runs skips them."""
    import shutil

    from helpers.pipeline.job import _early_site_pages
    from helpers.site import builder
    from helpers.site.model_view import STAMP, load_site_data, write_model_view

    outputs = tmp_path / "outputs"
    (outputs / "site" / "data").mkdir(parents=True)
    shutil.copy2(refreshed / "site" / "data" / "tulostaulu.json", outputs / "site" / "data" / "tulostaulu.json")
    thread = _early_site_pages(outputs)
    thread.join(timeout=120)
    assert thread.done == {"mallit/index.html", "mallit/oma.html"}  # the site step writes neither again
    site = outputs / "site"
    pages = [site / "mallit" / "index.html", site / "sv" / "mallit" / "index.html", site / "en" / "mallit" / "index.html"]
    assert all(p.is_file() for p in pages) and (site / STAMP).is_file()
    assert all((site / lang / "mallit" / "oma.html").is_file() for lang in ("", "sv", "en"))
    assert text(site / "data" / "rakentaja.json") == text(refreshed / "site" / "data" / "rakentaja.json")
    before = {p: p.stat().st_mtime_ns for p in pages}
    data = load_site_data(site)
    assert write_model_view(site, data) == pages and {p: p.stat().st_mtime_ns for p in pages} == before

    def not_again(*args, **kwargs):
        raise AssertionError("the builder's data was made again")

    monkeypatch.setattr(builder, "builder_data", not_again)
    assert builder.builder_data_cached(data) == json.loads(text(refreshed / "site" / "data" / "rakentaja.json"))


def test_long_compounds_break_in_the_decision_tables_headers_only(refreshed):
    # A soft hyphen lets "specialupptagningsområden" break in a narrow header (the Swedish table was wider than a
    # 1 280 px screen); the cells' labels for phones, the downloads and the site data keep the plain word.
    page = text(refreshed / "site" / "sv" / "index.html")
    head = page.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert "5+1 (special\u00adupptagnings\u00adområden 2020)" in head
    assert re.search(r"data-label='5\+1 \(specialupptagningsområden 2020\)'", page)
    assert "\u00ad" not in "".join(re.findall(r"data-label='[^']*'", page))
    for path in (refreshed / "site").rglob("*"):
        if path.suffix in (".csv", ".json"):
            assert "\u00ad" not in path.read_text(encoding="utf-8-sig"), path


def test_model_view_holds_every_model(refreshed):
    site = refreshed / "site"
    view = text(site / "mallit" / "index.html")
    ids = re.findall(r"<input type='checkbox' name='malli' value='([a-z0-9_]+)'", view)
    assert sorted(ids) == model_names()
    assert re.findall(r"value='([a-z0-9_]+)' checked", view) == ["malli_18_1", "malli_5_1_erva2020"]
    assert len(set(re.findall(r"<svg class='kartta' viewBox='([^']+)'", view))) == 1  # one frame: the same scale
    assert len(re.findall(r"<figure class='svgkartta' id='kartta-", view)) == 7
    assert "<tr data-model='malli_18_1'><td>18+1</td>" in view  # staffing as the sources give it
    assert "<td class='num' data-label='5+1 (erva 2020)' data-model='malli_5_1_erva2020'>1,39</td>" in view  # the one rule
    assert "Sotunet (sosiaaliturvayhdistysten yhteistyöelin): Verkostojärjestöjen esitys" in view  # cited, not a file name
    assert "<a href='../alueet/90.html'>Helsingin kaupunki</a>" in view  # units link to the profiles
    assert "Modellerna" not in view and "Jämförelse av stödstrukturmodeller" in text(site / "sv" / "mallit" / "index.html")


def test_survey_page(refreshed):
    page = text(refreshed / "site" / "kyselyt" / "kyselyt_2020_2021.html")
    assert "(n = 562)" in page and "72\u00a0%" in page and "3,6" in page
    assert "Sosiaaliturvayhdistykset / Sotunet" in page or "Sotunet" in page


def test_hubs(refreshed):
    site = refreshed / "site"
    ind = text(site / "indikaattorit" / "index.html")
    assert "class='suodatin-kentta' data-list='indikaattorilista'" in ind
    assert len(re.findall(r"<li data-haku=", ind)) == 11
    assert "<a href='osuus_65_kunta_2024.html'>65 vuotta täyttäneiden osuus väestöstä (%) 2024 – Kunnat</a>" in ind
    regions = text(site / "alueet" / "index.html")
    # labels are the profiles' codes (Kanta-Häme 07, its profile 07.html); the map is a group of links, not an image
    assert len(re.findall(r"<text x='[\d.]+' y='[\d.]+'>(?:\d\d)</text>", regions)) == 22 and "<a href='90.html'>" in regions
    assert "<a href='07.html' aria-label='07 Kanta-Hämeen hyvinvointialue'>" in regions and "<a href='91.html'>" in regions
    assert "<span class='selite-nro'>07</span> <a href='07.html'>Kanta-Hämeen hyvinvointialue</a>" in regions
    assert "role='img'" not in regions[regions.index("<figure"):regions.index("</figure>")]
    assert len(re.findall(r"<li><a href='\.\./aluerajat/", regions)) == 6


def test_boundary_pages_say_what_the_colours_mean(refreshed):
    site = refreshed / "site"
    erva = text(site / "aluerajat" / "erva2020_2025.html")
    assert ("<p class='huomautus'>Värit vain erottavat vierekkäiset alueet toisistaan. Kartan numerot ovat taulukon koodit. "
            "Alueen nimi näkyy, kun osoitin on sen päällä, ja taulukossa alla.</p>") in erva
    assert '"mode":"text"' in erva and '"text":["1","2","3","4","5","6"]' in erva
    welfare = text(site / "sv" / "aluerajat" / "hyvinvointialue_2026.html")
    assert ("<p class='huomautus'>Färgerna skiljer bara angränsande områden åt. Områdets namn visas när pekaren är över "
            "det och i tabellen nedan.</p>") in welfare and '"mode":"text"' not in welfare


def test_region_profiles(refreshed):
    alueet = refreshed / "site" / "alueet"
    assert sorted(p.stem for p in alueet.glob("*.html")) == [f"{i:02d}" for i in range(1, 22)] + ["90", "91", "index"]
    helsinki = text(alueet / "90.html")
    # Population 31.12.2024: Helsinki and the whole country as StatFin 11re gives them (Finnish number format).
    assert f"684{NBSP}018{NBSP}henkeä" in helsinki and f"5{NBSP}635{NBSP}971{NBSP}henkeä" in helsinki
    assert "<dd>Etelä-Suomen yhteistyöalue</dd>" in helsinki
    assert "<dd>Helsingin yliopistollisen keskussairaalan erityisvastuualue</dd>" in helsinki
    assert "<td>18+1-malli (Sotunet 2020)</td><td><a href='../mallit/index.html#malli_18_1,malli_5_1_erva2020'>Uusimaa</a></td>" in helsinki
    assert "<a href='../indikaattorit/vaesto_hyvinvointialue_2024.html'>Väkiluku 31.12.</a>" in helsinki
    # Keski-Suomi: Jämsä lay in the Tampere erva in 2020, so the erva-based 5+1 splits the region between two units.
    keski_suomi = text(alueet / "15.html")
    assert "Tampereen yliopistollisen sairaalan erityisvastuualue (1 kuntaa)" in keski_suomi
    assert keski_suomi.count("<td>5+1-malli, erva-alueet 2020 (SOSTE 2020)</td>") == 2
    english = text(refreshed / "site" / "en" / "alueet" / "90.html")
    assert "Whole country" in english and "City of Helsinki" in english


def test_pages_are_small_and_share_one_plotly(refreshed):
    site = refreshed / "site"
    assert 1_000_000 < (site / PLOTLY_ASSET).stat().st_size < 1_500_000  # the partial bundle
    assert (site / SITE_SCRIPT).is_file() and (site / STYLESHEET).is_file()
    for page in pages(site):
        body = text(page)
        assert "plotly.js v" not in body and "cdn.plot.ly" not in body, page  # no inlined or CDN copy
        assert f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">' in body, page
        # No inline script: the shared files, and figures as JSON data blocks that assets/site.js draws.
        assert all(" src=" in s or 'type="application/json"' in s for s in re.findall(r"<script[^>]*>", body)), page
        # styles from assets/site.css; an indicator page's <noscript> rule shows every year's rows without the script
        shown = re.sub(r"<noscript><style>[^<]*</style></noscript>", "", body)
        assert "<style>" not in shown or page.name == "lahteet.html", page
        assert re.search(r'<script src="(\.\./)*assets/site\.js" defer>', body), page
        if "plotly-figure" in body:
            assert re.search(r'<script src="(\.\./)*assets/plotly-sote\.min\.js">', body), page
    welfare_region_maps = [*site.glob("aluerajat/hyvinvointialue_*.html"), *site.glob("indikaattorit/*_hyvinvointialue_*.html"),
                           *(p for p in site.glob("alueet/*.html") if p.name != "index.html")]
    assert len(welfare_region_maps) == 2 + 8 + 23
    for page in welfare_region_maps:
        # an indicator page holds every year of its series in its table (population: 53 years x 23 areas)
        limit = 200_000 if page.parent.name == "indikaattorit" else 120_000
        assert page.stat().st_size < limit, (page, page.stat().st_size)
    assert (site / "index.html").stat().st_size < 150_000


def test_png_export_of_the_welfare_region_map(refreshed):
    png = refreshed / "site" / "aluerajat" / "hyvinvointialue_2025.png"
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (1200, 900)
    assert "<a href='hyvinvointialue_2025.png'>" in text(png.with_suffix(".html"))
    assert "<a href='../../aluerajat/hyvinvointialue_2025.png'>" in text(refreshed / "site" / "sv" / "aluerajat" / "hyvinvointialue_2025.html")


def test_pages_link_to_the_executed_notebook_of_their_run(refreshed):
    site = refreshed / "site"
    manifest = json.loads((refreshed / "manifest.json").read_text(encoding="utf-8"))
    checked = 0
    for name, run in manifest["runs"].items():
        for rel in run["outputs"]:
            if rel.startswith("site/") and rel.endswith(".html"):
                html = (refreshed / rel).read_text(encoding="utf-8")
                href = re.search(r'<a href="([^"]+)" type="application/x-ipynb\+json">', html)
                assert href, f"{rel} has no link to its notebook"
                target = ((refreshed / rel).parent / href.group(1)).resolve()
                assert target == (refreshed / "notebooks" / f"{name}.ipynb").resolve() and target.is_file()
                checked += 1
    assert checked >= 100  # every run's pages in three languages
    assert 'type="application/x-ipynb+json"' not in (site / "index.html").read_text(encoding="utf-8")  # written by the refresh itself


def test_indicator_pages_say_what_each_figure_shows(refreshed):
    """The heading names indicator, its years and (off the welfare-region level) the grouping; the figures under it
    say map (and the year shown) or series in the page's language instead of repeating the heading."""
    def figure_titles(page: Path) -> list[str]:
        return [re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<figcaption class='kuvion-otsikko'>(.*?)</figcaption>", text(page))]

    site = refreshed / "site"
    page = site / "indikaattorit" / "osuus_65_hyvinvointialue_2024.html"
    assert "<h1>65 vuotta täyttäneiden osuus väestöstä (%) 2024</h1>" in text(page)
    assert figure_titles(page) == ["Kartta: Hyvinvointialueet ja Helsinki, vuosi 2024"]  # one year: no series chart
    erva = site / "sv" / "indikaattorit" / "osuus_65_erva2020_2024.html"
    assert re.search(r"<h1>[^<]+ 2024 – Specialupptagningsområden 2020 \(SRf 156/2017\)</h1>", text(erva))
    assert figure_titles(erva) == ["Karta: Specialupptagningsområden 2020 (SRf 156/2017), år 2024"]
    series = site / "en" / "indikaattorit" / "sotkanet_683_hyvinvointialue_2023.html"
    assert re.search(r"<h1>[^<]+ 2021–2023</h1>", text(series))
    assert figure_titles(series) == ["Map: Wellbeing services counties and Helsinki, year 2023", "Series by area"]


def test_a_page_loads_plotly_only_when_a_figure_is_somewhere_in_its_context():
    from helpers.site.pages import Figure, _has_figures

    fig = Figure({"data": []}, "400px", "100%")
    series = {"series": {"vaesto": {"01": [[2024, 1.0]] * 500}}, "names": ("a", None, 3.5, True)}
    assert not _has_figures({"paragraphs": ["x"], "compare": series, "rows": [(1, "a"), []]})
    assert _has_figures({"compare": series, "rows": [(1, "a"), [{"deep": [fig]}]]})
    assert _has_figures([fig]) and _has_figures(fig) and not _has_figures("Figure")
    looped = {"rows": []}
    looped["rows"].append(looped)  # a context that holds itself ends the search
    assert not _has_figures(looped) and _has_figures({"a": looped, "b": fig})
