"""The boundary map of a regional level for a year: figure, page and summary (notebook 01)."""

from __future__ import annotations

from pathlib import Path

from helpers.base.errors import invalid
from helpers.geo.layers import attribution
from helpers.geo.groupings import grouping_layer
from helpers.base.languages import check_lang
from helpers.figures.maps import boundary_map
from helpers.geo.municipality_key import KEY_LEVELS
from helpers.base.numbers import fmt_number
from helpers.site.pages import figure, num, site_dir, table, write_page

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
    check_lang(lang)
    layer = grouping_layer(level, year, mainland=mainland)
    note = attribution(year, lang)
    if level in ("yhteistyoalue", "erva2020"):
        note += "<br>" + KEY_SOURCE[lang]
    title = f"{LEVEL_TITLES[lang][level]} {year} ({len(layer)})"
    return layer, boundary_map(layer, title=title, attribution=note, lang=lang)


PNG_LINK = {"fi": "Kartta kuvana (PNG) esityksiin ja raportteihin", "sv": "Kartan som bild (PNG)", "en": "Map as an image (PNG)"}


# The map's colours mean nothing but "not the neighbour's": said under the map, with where the names are.
COLOUR_NOTE = {
    "fi": ("Värit vain erottavat vierekkäiset alueet toisistaan.", "Kartan numerot ovat taulukon koodit.",
           "Alueen nimi näkyy, kun osoitin on sen päällä, ja taulukossa alla."),
    "sv": ("Färgerna skiljer bara angränsande områden åt.", "Siffrorna på kartan är tabellens koder.",
           "Områdets namn visas när pekaren är över det och i tabellen nedan."),
    "en": ("The colours only tell neighbouring areas apart.", "The numbers on the map are the codes in the table.",
           "An area's name shows under the pointer and in the table below."),
}


def colour_note(lang: str, *, labelled: bool) -> str:
    """``labelled``: the map carries the regions' codes (maps.boundary_map decides; read off its figure)."""
    colours, numbers, names = COLOUR_NOTE[lang]
    return " ".join([colours, numbers, names] if labelled else [colours, names])


TABLE_HEAD = {"fi": ["Koodi", "Nimi", "Kuntia"], "sv": ["Kod", "Namn", "Kommuner"], "en": ["Code", "Name", "Municipalities"]}
DESCRIPTION = {"fi": "{h}: rajat kartalla", "sv": "{h}: gränserna på kartan", "en": "{h}: boundaries on the map"}

# The municipalities' page: 308 bars made a page 17 700 px tall. The largest and the smallest ten as charts, every
# municipality in a table that a search box filters (assets/taulukkohaku.js; without it the whole table shows).
EXTREMES = 10
MUNICIPAL_TEXT = {
    "fi": {"population": "Väkiluku 31.12.{y}", "largest": "Väkiluvultaan suurimmat {n} kuntaa", "smallest": "Väkiluvultaan pienimmät {n} kuntaa",
           "charts": "Suurimmat ja pienimmät kunnat", "search": "Etsi kuntaa nimellä tai koodilla", "placeholder": "esim. Kuopio, 297",
           "shown": "Näkyvissä {n}/{total} kuntaa", "unit": "henkeä",
           "source": "Väestö: Tilastokeskus, kuntien väestö 31.12.{y} (väestöalueet, WFS), CC BY 4.0"},
    "sv": {"population": "Folkmängd 31.12.{y}", "largest": "De {n} största kommunerna efter folkmängd", "smallest": "De {n} minsta kommunerna efter folkmängd",
           "charts": "De största och minsta kommunerna", "search": "Sök en kommun med namn eller kod", "placeholder": "t.ex. Kuopio, 297",
           "shown": "{n}/{total} kommuner visas", "unit": "personer",
           "source": "Befolkning: Statistikcentralen, kommunernas befolkning 31.12.{y} (befolkningsområden, WFS), CC BY 4.0"},
    "en": {"population": "Population 31 Dec {y}", "largest": "The {n} largest municipalities by population", "smallest": "The {n} smallest municipalities by population",
           "charts": "The largest and the smallest municipalities", "search": "Find a municipality by name or code", "placeholder": "e.g. Kuopio, 297",
           "shown": "{n} of {total} municipalities shown", "unit": "persons",
           "source": "Population: Statistics Finland, population of municipalities 31 December {y} (population areas, WFS), CC BY 4.0"},
}
FILTER_SCRIPT = "assets/taulukkohaku.js"


def municipal_population(year: int):
    """(statistics year, kunta_code -> population) for the municipalities of division ``year``: the population
    answer drawn on that division (population.WFS_POPULATION_YEARS), or None when there is none."""
    from helpers.sources.population import WFS_POPULATION_YEARS, municipal_population_wfs

    stat = next((s for s, division in sorted(WFS_POPULATION_YEARS.items(), reverse=True) if division == year), None)
    if stat is None:
        return None
    pop = municipal_population_wfs(stat)
    return stat, dict(zip(pop["kunta_code"].astype(str), pop["population_total"].astype(int)))


def extremes_charts(layer, population: dict, stat_year: int, lang: str) -> list:
    """The largest and the smallest ``EXTREMES`` municipalities by population, a ranked bar chart each (each on its
    own scale: Helsinki's 684 018 would flatten the smallest to nothing)."""
    import pandas as pd

    from helpers.figures.charts import ranked_bars

    t = MUNICIPAL_TEXT[lang]
    names = [str(getattr(r, f"name_{lang}", None) or r.name_fi) for r in layer.itertuples()]
    table = pd.DataFrame({"area_code": layer["code"].astype(str).values, "area_name": names})
    table["value"] = [population.get(c) for c in table["area_code"]]
    table = table.dropna(subset=["value"]).sort_values("value", ascending=False)
    note = t["source"].format(y=stat_year)
    out = []
    for key, part in (("largest", table.head(EXTREMES)), ("smallest", table.tail(EXTREMES))):
        fig = ranked_bars(part, name_col="area_name", title=t[key].format(n=len(part)), unit=t["unit"], year=stat_year,
                          attribution=note, lang=lang, decimals=0)
        out.append(fig)
    return out


def ensure_filter_script(site: Path) -> Path:
    """Copy the table filter into the site (rewritten when the package's copy changed)."""
    from helpers.base.config import PACKAGE_ASSETS_DIR
    from helpers.base.files import atomic_write_text

    target = Path(site) / FILTER_SCRIPT
    text = (PACKAGE_ASSETS_DIR / "taulukkohaku.js").read_text(encoding="utf-8")
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        atomic_write_text(target, text)
    return target


def write_boundary_page(level: str, year: int, *, mainland: bool = False, lang: str = "fi", extra_html: str = "",
                        png: bool = False, langs=("fi", "sv", "en")) -> Path:
    """Write the page in every language of ``langs`` (the path in ``lang`` is returned); with ``png=True`` also a
    static PNG of the map beside the page in ``lang`` (kaleido + chromium), linked from every language.
    ``extra_html`` goes in as markup only when it is ``markupsafe.Markup`` (trusted), else it is shown as text."""
    written, png_path = {}, None
    for one in dict.fromkeys([lang, *langs]):
        written[one], png_path = _write_boundary_page(level, year, mainland=mainland, lang=one, extra_html=extra_html,
                                                      png=png and one == lang, png_path=png_path)
    return written[lang]


def _write_boundary_page(level, year, *, mainland, lang, extra_html, png, png_path):
    from helpers.site.downloads import table_files
    from helpers.site.pages import _href, lang_root

    layer, fig = make_boundary_map(level, year, mainland=mainland, lang=lang)
    path = lang_root(site_dir(), lang) / page_path(level, year, mainland).relative_to(site_dir())
    png_name = _href(png_path, path) if png_path else ""
    if png:
        from helpers.figures.export import write_png

        image = write_png(fig, path.with_suffix(".png"))
        if image is not None:  # None: no browser, skipped with a notice
            png_name, png_path = image.name, image
    heading = f"{LEVEL_TITLES[lang][level]} {year}"
    head = TABLE_HEAD[lang]
    import pandas as pd

    municipal = municipal_population(year) if level == "kunta" else None
    charts, search = [], None
    names = [str(getattr(r, f"name_{lang}") or r.name_fi) for r in layer.itertuples()]
    sources = [attribution(year, lang)]
    if level == "kunta":
        # A municipality is one municipality: its population instead of a count of 1 (none when the division year
        # has no population answer: then code and name only).
        t = MUNICIPAL_TEXT[lang]
        codes = layer["code"].astype(str).tolist()
        df = pd.DataFrame({head[0]: codes, head[1]: names})
        rows = [[c, n] for c, n in zip(codes, names)]
        head = head[:2]
        if municipal is not None:
            stat_year, population = municipal
            head = [*head, t["population"].format(y=stat_year)]
            pops = [population.get(c) for c in codes]
            rows = [[c, n, num(fmt_number(p, 0, lang))] for c, n, p in zip(codes, names, pops)]
            df[head[2]] = pd.array(pops, dtype="Int64")
            charts = [figure(f) for f in extremes_charts(layer, population, stat_year, lang)]
            sources.append(t["source"].format(y=stat_year))
        script = ensure_filter_script(site_dir())
        search = {"label": t["search"], "placeholder": t["placeholder"], "shown": t["shown"], "script": _href(script, path),
                  "heading": t["charts"]}
    else:
        rows = [[str(r.code), n, num(r.municipalities)] for r, n in zip(layer.itertuples(), names)]
        df = pd.DataFrame({head[0]: [r[0] for r in rows], head[1]: [r[1] for r in rows], head[2]: [int(m) for m in layer["municipalities"]]})
    downloads = table_files(df, page=path, name="alueet", title=heading, sources=sources,
                            licence="CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)", lang=lang)
    context = {
        "heading": heading, "map": figure(fig),
        "colour_note": colour_note(lang, labelled=any(t.type == "scattergeo" for t in fig.data)),
        "source_lines": [attribution(year, lang)],
        "png_name": png_name, "png_label": PNG_LINK[lang], "extra_html": extra_html,
        # A Swedish or English page finds a municipality by its Finnish name too (data-haku, assets/taulukkohaku.js).
        "regions": table(rows, caption=heading, header=head, downloads=downloads, cls="kuntataulu" if search else "",
                         row_attrs=[{"haku": str(n)} for n in layer["name_fi"]] if search else None),
        "charts": charts, "search": search,
    }
    return write_page(path, title=heading, template="boundary.html.j2", context=context, lang=lang,
                      description=DESCRIPTION[lang].format(h=heading)), png_path
