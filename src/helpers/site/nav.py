"""The hub pages a reader navigates by: the indicator list, filterable by text (``site/indikaattorit/index.html``),
and the region picker (``site/alueet/index.html``: a map of the welfare regions whose areas link to their profiles,
the same list as text, and the boundary maps). Written at the end of the refresh in every language."""

from __future__ import annotations

from pathlib import Path

from helpers.geo.layers import attribution as boundary_attribution
from helpers.geo.layers import load_layer
from helpers.site.pages import LANGS, _href, lang_root, page_in, read_page_meta, write_page
from helpers.site.hub import hub_map

INDICATORS_PAGE = "indikaattorit/index.html"
REGIONS_PAGE = "alueet/index.html"
TEXT = {
    "fi": {"ind_title": "Indikaattorit", "ind_desc": "Kaikki indikaattorisivut: suodata nimellä, vuodella tai aluetasolla",
           "filter": "Suodata indikaattoreita", "placeholder": "esim. väestö, 65, kunnat", "shown": "Näkyvissä {n}/{total} sivua",
           "reg_title": "Alueet", "reg_desc": "Hyvinvointialueiden profiilit kartalta tai luettelosta sekä aluerajat",
           "reg_intro": "Valitse hyvinvointialue kartalta tai luettelosta: profiili näyttää alueen tunnusluvut koko maahan verrattuna ja "
                        "alueen yksikön kussakin tukirakennemallissa.",
           "map": "Hyvinvointialueet ja Helsinki", "aland": "Ahvenanmaa (ei mukana tukirakennemalleissa)", "boundaries": "Aluerajat kartalla",
           "year": "tiedot", "sources": "Lähteet: Tilastokeskus ja THL Sotkanet; aluerajat Tilastokeskus (pohja-aineisto Maanmittauslaitos); CC BY 4.0."},
    "sv": {"ind_title": "Indikatorer", "ind_desc": "Alla indikatorsidor: filtrera på namn, år eller områdesnivå",
           "filter": "Filtrera indikatorerna", "placeholder": "t.ex. befolkning, 65, kommuner", "shown": "{n}/{total} sidor visas",
           "reg_title": "Områden", "reg_desc": "Välfärdsområdenas profiler från kartan eller listan samt områdesgränserna",
           "reg_intro": "Välj ett välfärdsområde på kartan eller i listan: profilen visar områdets nyckeltal jämfört med hela landet och "
                        "områdets enhet i varje stödstrukturmodell.",
           "map": "Välfärdsområden och Helsingfors", "aland": "Åland (inte med i stödstrukturmodellerna)", "boundaries": "Områdesgränser på kartan",
           "year": "uppgifter", "sources": "Källor: Statistikcentralen och THL Sotkanet; områdesgränser Statistikcentralen (grunddata Lantmäteriverket); CC BY 4.0."},
    "en": {"ind_title": "Indicators", "ind_desc": "Every indicator page: filter by name, year or regional level",
           "filter": "Filter the indicators", "placeholder": "e.g. population, 65, municipalities", "shown": "{n} of {total} pages shown",
           "reg_title": "Regions", "reg_desc": "Profiles of the welfare regions from the map or the list, and the boundary maps",
           "reg_intro": "Pick a welfare region on the map or in the list: its profile shows the region's key figures against the whole "
                        "country and the region's unit in every support-structure model.",
           "map": "Welfare regions and Helsinki", "aland": "Åland (not in the support-structure models)", "boundaries": "Boundary maps",
           "year": "data", "sources": "Sources: Statistics Finland and THL Sotkanet; boundaries Statistics Finland (based on National Land Survey of Finland data); CC BY 4.0."},
}


def _pages(site: Path, folder: str, lang: str) -> list[dict]:
    root = lang_root(site, lang) / folder
    out = []
    for path in sorted(root.glob("*.html")):
        if path.name == "index.html":
            continue
        out.append({"path": path, "rel": f"{folder}/{path.name}", "search": path.stem.replace("_", " "), **read_page_meta(path)})
    return out


def write_indicator_list(site: Path, langs=LANGS) -> list[Path]:
    written = []
    for lang in langs:
        t = TEXT[lang]
        page = page_in(site, INDICATORS_PAGE, lang)
        items = [{"href": _href(p["path"], page), "title": p["title"], "description": p["description"], "search": p["search"],
                  "year": p["data_year"]} for p in _pages(site, "indikaattorit", lang)]
        written.append(write_page(page, title=t["ind_title"], template="indicator_list.html.j2", lang=lang, site=site,
                                  description=t["ind_desc"], context={"t": t, "items": items}))
    return written


def write_region_picker(site: Path, year: int = 2025, langs=LANGS) -> list[Path]:
    from helpers.site.model_view import frame

    layer = load_layer("hyvinvointialue", year, mainland=True)
    written = []
    for lang in langs:
        t = TEXT[lang]
        page = page_in(site, REGIONS_PAGE, lang)
        hrefs = {c: _href(page_in(site, f"alueet/{c}.html", lang), page) for c in layer["code"]
                 if page_in(site, f"alueet/{c}.html", lang).is_file()}
        region_map = hub_map(layer, frame(year), title=t["map"], lang=lang, hrefs=hrefs, source=[boundary_attribution(year, lang)])
        aland = page_in(site, "alueet/91.html", lang)
        boundaries = [{"href": _href(p["path"], page), "title": p["title"], "description": p["description"]}
                      for p in _pages(site, "aluerajat", lang)]
        context = {"t": t, "map": region_map, "aland": _href(aland, page) if aland.is_file() else "", "boundaries": boundaries}
        written.append(write_page(page, title=t["reg_title"], template="region_picker.html.j2", lang=lang, site=site,
                                  description=t["reg_desc"], data_year=year, context=context))
    return written
