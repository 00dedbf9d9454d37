"""The site as the refresh job builds it from runs.yaml (fixture mirror): every notebook and model pair ran, the index,
region profiles, page sizes, PNG export. The real-browser checks are in test_browser.py."""

import itertools
import json
import re
import struct
from pathlib import Path

import pytest

from helpers.models import model_names
from helpers.pages import CONTENT_SECURITY_POLICY, PLOTLY_ASSET, SITE_SCRIPT

pytestmark = pytest.mark.notebook
NBSP = "\u00a0"


def pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if p.relative_to(site).parts[0] != "assets")


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_every_run_succeeded_and_every_pair_of_models_was_compared(refreshed):
    manifest = json.loads(text(refreshed / "manifest.json"))
    assert manifest["counts"] == {"ok": 64, "skipped": 0, "failed": 0}
    assert not list((refreshed / "failed").iterdir())
    for entry in manifest["runs"].values():
        assert (refreshed / "notebooks" / f"{entry['name']}.ipynb").is_file()
        assert entry["inputs"] and all(len(i["sha256"]) == 64 and i["origin"] == "mirror" for i in entry["inputs"])
    mallit = refreshed / "site" / "mallit"
    pairs = list(itertools.combinations(model_names(), 2))
    assert len(pairs) == 21
    for a, b in pairs:
        page = text(mallit / f"{a}__{b}_2025_sama_per_yksikko.html")
        assert "Kunnat, joiden erva 2020 ja yhteistyöalue eroavat" in page and "CC BY 4.0" in page
    page = text(mallit / "malli_18_1__malli_5_1_erva2020_2025_sama_per_yksikko.html")
    assert "72/12/16 (maakuntapohjainen)" in page and "26/54/20 (erva-pohjainen)" in page  # seed 001
    assert "<td>20,0</td>" in page  # 18+1: 18 regional + 2 coordination htv (seed 000)


def test_survey_page(refreshed):
    page = text(refreshed / "site" / "kyselyt" / "kyselyt_2020_2021.html")
    assert "(n = 562)" in page and "72\\u00a0%" in page and "3,6" in page and "seed 002_32ce98e066e7a7fa.txt" in page


def test_index_lists_every_page_with_description_data_year_and_refresh_date(refreshed):
    site = refreshed / "site"
    manifest = json.loads(text(refreshed / "manifest.json"))
    index = text(site / "index.html")
    assert '<html lang="fi">' in index and 'name="viewport" content="width=device-width, initial-scale=1"' in index
    assert f"Päivitetty {manifest['refreshed_at'][:16].replace('T', ' ')} (UTC). Sivuja 64." in index
    listed = re.findall(r"<li><a href='([^']+)'>", index)
    assert sorted(listed) == sorted(p.relative_to(site).as_posix() for p in pages(site) if p.name != "index.html")
    assert "<a href='alueet/90.html'>Alueprofiili: Helsingin kaupunki</a> – Helsingin kaupunki: tunnusluvut, yhteistyöalue, erva 2020 ja alue tukirakennemalleissa (tiedot 2025, ajettu " in index
    assert "<a href='indikaattorit/osuus_65_kunta_2024.html'>65 vuotta täyttäneiden osuus väestöstä (%) 2024 – Kunnat</a>" in index
    assert "CC BY 4.0" in index and "Maanmittauslaitos" in index and "THL Sotkanet" in index


def test_region_profiles(refreshed):
    alueet = refreshed / "site" / "alueet"
    assert sorted(p.stem for p in alueet.glob("*.html")) == [f"{i:02d}" for i in range(1, 22)] + ["90", "91"]
    helsinki = text(alueet / "90.html")
    # Population 31.12.2024: Helsinki and the whole country as StatFin 11re gives them (Finnish number format).
    assert f"684{NBSP}018{NBSP}henkeä" in helsinki and f"5{NBSP}635{NBSP}971{NBSP}henkeä" in helsinki
    assert "<dd>Etelä-Suomen yhteistyöalue</dd>" in helsinki
    assert "<dd>Helsingin yliopistollisen keskussairaalan erityisvastuualue</dd>" in helsinki
    assert "<td>18+1-malli (Sotunet 2020)</td><td>Uusimaa</td>" in helsinki
    # Keski-Suomi: Jämsä lay in the Tampere erva in 2020, so the erva-based 5+1 splits the region between two units.
    keski_suomi = text(alueet / "15.html")
    assert "Tampereen yliopistollisen sairaalan erityisvastuualue (1 kuntaa)" in keski_suomi
    assert keski_suomi.count("<td>5+1-malli, erva-alueet 2020 (SOSTE 2020)</td>") == 2


def test_pages_are_small_and_share_one_plotly(refreshed):
    site = refreshed / "site"
    assert (site / PLOTLY_ASSET).stat().st_size > 3_000_000
    assert (site / SITE_SCRIPT).is_file()
    for page in pages(site):
        body = text(page)
        assert "plotly.js v" not in body and "cdn.plot.ly" not in body, page  # no inlined or CDN copy
        assert f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">' in body, page
        # No inline script: the shared files, and figures as JSON data blocks that assets/site.js draws.
        assert all(" src=" in s or 'type="application/json"' in s for s in re.findall(r"<script[^>]*>", body)), page
        if page.name != "index.html":
            assert re.search(r'<script src="(\.\./)+assets/site\.js" defer>', body), page
            assert re.search(r'<script src="(\.\./)+assets/plotly\.min\.js">', body), page
    welfare_region_maps = [*site.glob("aluerajat/hyvinvointialue_*.html"), *site.glob("indikaattorit/*_hyvinvointialue_*.html"), *site.glob("alueet/*.html")]
    assert len(welfare_region_maps) == 2 + 8 + 23
    for page in welfare_region_maps:
        assert page.stat().st_size < 120_000, (page, page.stat().st_size)


def test_png_export_of_the_welfare_region_map(refreshed):
    png = refreshed / "site" / "aluerajat" / "hyvinvointialue_2025.png"
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (1200, 900)
    assert "<a href='hyvinvointialue_2025.png'>" in text(png.with_suffix(".html"))
