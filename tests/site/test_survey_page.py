"""The survey page drawn without plotly: pre-drawn SVG bars and map whose every value is the survey file's."""

from __future__ import annotations

import html
import re

import yaml

from helpers.base import config

NBSP = "\u00a0"
PAGES = {"fi": "kyselyt/kyselyt_2020_2021.html", "sv": "sv/kyselyt/kyselyt_2020_2021.html", "en": "en/kyselyt/kyselyt_2020_2021.html"}
BAR = re.compile(r"<rect x='[^']+' y='[^']+' width='[^']+' height='[^']+' fill='[^']+' data-value='([^']+)'><title>([^<]*)</title>")
AREA = re.compile(r"<path d='[^']+' fill='[^']+' fill-rule='evenodd' class='yksikko' data-code='(\d+)' data-category='[^']*'><title>([^<]*)</title>")


def _page(refreshed, lang: str) -> str:
    return (refreshed / "site" / PAGES[lang]).read_text(encoding="utf-8")


def test_no_plotly_and_small_on_a_first_visit(refreshed):
    site = refreshed / "site"
    for lang, rel in PAGES.items():
        page = site / rel
        body = page.read_text(encoding="utf-8")
        assert "plotly" not in body and "Plotly" not in body, lang
        assets = re.findall(r"""<(?:script src|link rel="stylesheet" href)=["']([^"']+)["']""", body)
        assert {a.rsplit("/", 1)[-1] for a in assets} == {"site.css", "site.js", "figure_tools.js"}, assets
        total = page.stat().st_size + sum((page.parent / a).stat().st_size for a in assets)
        assert total <= 300_000, (lang, total)
        assert body.count("<svg class='palkit'") == 3 and body.count("role='img'") == 4, lang  # three charts and the map


def test_every_bar_is_the_survey_file(refreshed):
    data = yaml.safe_load((config.DATA_DIR / "kyselyt.yaml").read_text(encoding="utf-8"))
    s20, s21 = data["kysely_2020"], data["kysely_2021"]
    assert s20["respondents"] == 562 and s21["answers"] == 39  # the seed's figures
    # in the page's order: per 2020 question its yes, no and don't know (one stacked bar), the memberships, the means
    wanted = [*(s20["support_pct"][q][a] for q in ("maakunta", "erva") for a in ("kylla", "ei", "eos")),
              s20["membership_pct"]["valtakunnallinen_liitto"], s20["membership_pct"]["soste"], *(q["mean"] for q in s21["questions"])]
    assert wanted[:6] == [72, 12, 16, 26, 54, 20]
    for lang, (pct, dec) in {"fi": (f"{NBSP}%", ","), "sv": (f"{NBSP}%", ","), "en": (f"{NBSP}%", ".")}.items():
        bars = [(float(v), html.unescape(t)) for v, t in BAR.findall(_page(refreshed, lang))]
        assert [v for v, _ in bars] == [float(x) for x in wanted], lang
        for (value, title), n in zip(bars, [562] * 8 + [39] * 3):
            shown = f"{value:.0f}{pct}" if n == 562 else f"{value:.1f}".replace(".", dec)
            assert f": {shown} (n = {n})" in title, (lang, title)
    fi = _page(refreshed, "fi")
    assert f">72{NBSP}%</text>" in fi and ">3,6</text>" in fi and "(n = 562)" in fi
    assert ">3.6</text>" in _page(refreshed, "en")


def test_the_map_is_mentions_2021(refreshed):
    from helpers.site.survey_pages import MENTION_WORDS, mentions_2021

    labels = mentions_2021(2025)
    for lang in PAGES:
        areas = {code: html.unescape(title) for code, title in AREA.findall(_page(refreshed, lang))}
        assert sorted(areas) == sorted(labels.index), lang
        for code, title in areas.items():
            assert title.endswith(f": {MENTION_WORDS[lang][labels[code]]}"), (lang, code, title)
    assert sum(t.endswith(": vahvimmaksi mainittu") for _, t in AREA.findall(_page(refreshed, "fi"))) == 5
