"""The boundary map of a regional level for a year: figure, page and summary (notebook 01)."""

from __future__ import annotations

from pathlib import Path

from .errors import invalid
from .geography import attribution
from .groupings import grouping_layer
from .maps import boundary_map
from .municipality_key import KEY_LEVELS
from .pages import figure_div, site_dir, write_page

LEVEL_TITLES = {
    "fi": {"kunta": "Kunnat", "maakunta": "Maakunnat", "hyvinvointialue": "Hyvinvointialueet ja Helsinki",
           "yhteistyoalue": "Yhteistyöalueet (VNA 91/2022)", "erva2020": "Erityisvastuualueet 2020 (VNA 156/2017)"},
    "sv": {"kunta": "Kommuner", "maakunta": "Landskap", "hyvinvointialue": "Välfärdsområden och Helsingfors",
           "yhteistyoalue": "Samarbetsområden (SRf 91/2022)", "erva2020": "Specialupptagningsområden 2020 (SRf 156/2017)"},
    "en": {"kunta": "Municipalities", "maakunta": "Regions (maakunta)", "hyvinvointialue": "Wellbeing services counties and Helsinki",
           "yhteistyoalue": "Collaborative areas (decree 91/2022)", "erva2020": "Special responsibility areas 2020 (decree 156/2017)"},
}
KEY_SOURCE = {
    "fi": "Luokitukset: Tilastokeskus (CC BY 4.0); yhteistyöalueet VNA 91/2022, erityisvastuualueet VNA 156/2017. Rajat yhdistetty kunnista (muokattu).",
    "sv": "Klassificeringar: Statistikcentralen (CC BY 4.0); samarbetsområden SRf 91/2022, specialupptagningsområden SRf 156/2017. Gränserna sammanslagna från kommuner (bearbetad).",
    "en": "Classifications: Statistics Finland (CC BY 4.0); collaborative areas decree 91/2022, special responsibility areas decree 156/2017. Boundaries dissolved from municipalities (modified).",
}


def page_path(level: str, year: int, mainland: bool) -> Path:
    return site_dir() / "aluerajat" / f"{level}_{year}{'_manner' if mainland else ''}.html"


def make_boundary_map(level: str, year: int, *, mainland: bool = False, lang: str = "fi"):
    """Return (layer, figure) for a key level; the figure carries title and attribution."""
    if level not in KEY_LEVELS:
        raise invalid("level", level, KEY_LEVELS)
    if lang not in LEVEL_TITLES:
        raise invalid("lang", lang, list(LEVEL_TITLES))
    layer = grouping_layer(level, year, mainland=mainland)
    note = attribution(year, lang)
    if level in ("yhteistyoalue", "erva2020"):
        note += "<br>" + KEY_SOURCE[lang]
    title = f"{LEVEL_TITLES[lang][level]} {year} ({len(layer)})"
    return layer, boundary_map(layer, title=title, attribution=note, lang=lang)


PNG_LINK = {"fi": "Kartta kuvana (PNG) esityksiin ja raportteihin", "sv": "Kartan som bild (PNG)", "en": "Map as an image (PNG)"}


def write_boundary_page(level: str, year: int, *, mainland: bool = False, lang: str = "fi", extra_html: str = "",
                        png: bool = False) -> Path:
    """Write the page; with ``png=True`` also a static PNG of the map beside it (kaleido + chromium), linked."""
    layer, fig = make_boundary_map(level, year, mainland=mainland, lang=lang)
    path = page_path(level, year, mainland)
    if png:
        from .export import write_png

        image = write_png(fig, path.with_suffix(".png"))
        extra_html = f"<p><a href='{image.name}'>{PNG_LINK[lang]}</a></p>" + extra_html
    rows = "".join(
        f"<tr><td>{r.code}</td><td>{getattr(r, f'name_{lang}')}</td><td class='num'>{r.municipalities}</td></tr>" for r in layer.itertuples()
    )
    table = f"<table><caption>{LEVEL_TITLES[lang][level]} {year}</caption><thead><tr><th>Koodi</th><th>Nimi</th><th>Kuntia</th></tr></thead><tbody>{rows}</tbody></table>"
    body = f"<h1>{LEVEL_TITLES[lang][level]} {year}</h1>{figure_div(fig)}<p class='lahde'>{attribution(year, lang)}</p>{extra_html}{table}"
    return write_page(path, title=f"{LEVEL_TITLES[lang][level]} {year}", body_html=body, lang=lang,
                      description=f"{LEVEL_TITLES[lang][level]} {year}: rajat kartalla")
