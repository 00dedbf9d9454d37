"""Every Swedish and English page in its own language, and no internal names on any page: the visible text of every
page of the refreshed site (plotly figures' titles, axes, ticks, hover text, legends and annotations included) checked
with ``reader_words.reader_text_problems``."""

from __future__ import annotations

import json

from tests.site.reader_words import figure_text, page_text, reader_text_problems


def test_the_check_catches_planted_words():
    assert reader_text_problems("Väkiluku 5 635 971 henkeä", "en") == ["Finnish 'henkeä' (en: 'persons')"]
    assert reader_text_problems("Väkiluku 5 635 971 henkeä", "fi") == []
    for lang in ("fi", "sv", "en"):
        assert reader_text_problems("Tilastokeskus (aluerajat), kunta4500k_2025", lang)[-1] == "layer id 'kunta4500k_2025'"
    problems = reader_text_problems("vaestoalue:kunta_vaki2024, 02_indikaattorit.ipynb, mirror PROVENANCE_DATA.md absValue, "
                                    "peilikopio, päivitetty 2026-04-01 15:48 UTC", "sv")
    assert problems == ["layer id 'vaestoalue:kunta_vaki2024'", "notebook file name '.ipynb'", "internal word 'mirror'",
                        "internal word 'peilikopio'", "internal word 'PROVENANCE'", "internal word 'absValue'",
                        "ISO date '2026-04-01'", "UTC 'UTC'"]
    assert reader_text_problems("Källa: Kyllä / Ei / En osaa sanoa", "sv") == [
        "Finnish 'En osaa sanoa' (sv: 'Vet inte')", "Finnish 'Kyllä' (sv: 'Ja')", "Finnish 'Ei' (sv: 'Nej')"]
    assert reader_text_problems("Uusimaa (neljä hyvinvointialuetta ja Helsinki)", "en") == [
        "Finnish 'Uusimaa (neljä hyvinvointialuetta ja Helsinki)' (en: 'Uusimaa (four wellbeing services counties and Helsinki)')"]
    # words inside words are no words: "Einar", "Stein", "kuntaaja" pass
    assert reader_text_problems("Einar Stein 5 December 2026, 17:41", "en") == []


def test_page_text_reads_what_a_reader_sees():
    figure = {"data": [{"type": "bar", "name": "Kyllä", "y": ["a"], "x": [1], "hovertemplate": "%{x} henkeä<extra></extra>",
                        "geojson": "data:kunta4500k_2025"}],
              "layout": {"xaxis": {"title": {"text": "Väestö"}, "ticktext": ["Lähde"]}, "annotations": [{"text": "Aluerajat"}]}}
    html = ("<html><head><title>Otsikko</title><style>.x{}</style></head><body><p>näkyvä</p>"
            "<script src='a.js'></script><script>var hidden = 'kunta4500k_2025';</script>"
            "<template><p>piilo</p></template><img alt='kuva'>"
            f"<script type='application/json' class='plotly-figure'>{json.dumps(figure)}</script></body></html>")
    text = page_text(html)
    for seen in ("Otsikko", "näkyvä", "kuva", "Kyllä", "henkeä", "Väestö", "Lähde", "Aluerajat"):
        assert seen in text, seen
    for unseen in ("hidden", "piilo", "kunta4500k", ".x{}", "extra"):
        assert unseen not in text, unseen
    assert "Kyllä" in figure_text(figure)


def _pages(site):
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site).as_posix()
        if rel.startswith("assets/"):
            continue
        lang = rel.split("/")[0] if rel.split("/")[0] in ("sv", "en") else "fi"
        yield rel, lang, path


def test_every_page_speaks_its_language_and_shows_no_internal_names(refreshed):
    site = refreshed / "site"
    found, checked = [], {"fi": 0, "sv": 0, "en": 0}
    for rel, lang, path in _pages(site):
        checked[lang] += 1
        found += [f"{rel}: {problem}" for problem in reader_text_problems(page_text(path.read_text(encoding="utf-8")), lang)]
    assert min(checked.values()) >= 20, checked  # not vacuous: the whole site in each language
    assert not found, f"{len(found)} problems:\n" + "\n".join(found)
