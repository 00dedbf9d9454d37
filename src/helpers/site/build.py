"""The site for policy staff: a profile page per welfare region (and Helsinki, Åland) and the index page.

The index lists every page under ``outputs/site/`` with its one-line description and data year (read back from the
page's ``<title>``, ``<meta name="description">`` and ``<meta name="data-year">`` with an HTML parser) and the
refresh date.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from helpers.base.errors import invalid
from helpers.geo.layers import attribution as boundary_attribution
from helpers.geo.layers import load_layer
from helpers.tables.indicators import catalogue, catalogue_row, indicator_table
from helpers.figures.svgmap import country_frame, svg_shapes
from helpers.models.model_files import load_model, model_names, resolve
from helpers.geo.municipality_key import municipality_key
from helpers.base.numbers import fmt_value
from helpers.base.words import area_name, unit_decimals, unit_text
from helpers.figures.flag_marks import flag_marks, flag_meanings
from helpers.site.indicator_pages import file_stem
from helpers.site.pages import PLOTLY_ASSET, num, read_page_meta, site_dir, table, write_page
from helpers.tables.table_cache import cached_table

# Key indicators of a profile: (indicator id, years to fetch, year shown) - the years the offline mirror answers.
PROFILE_INDICATORS = [
    ("vaesto", [2023, 2024], 2024), ("vaesto_muutos", [2023, 2024], 2024), ("osuus_0_14", [2024], 2024),
    ("osuus_65", [2024], 2024), ("vanhushuoltosuhde", [2024], 2024), ("kuntien_lkm", None, None),
    ("sotkanet_683", [2021, 2022, 2023], 2023),
]
SECTIONS = {"aluerajat": "Aluerajat", "indikaattorit": "Indikaattorit", "mallit": "Tukirakennemallien vertailut",
            "kyselyt": "Kyselyt", "alueet": "Alueprofiilit"}


def region_codes(year: int) -> list[str]:
    return load_layer("hyvinvointialue", year)["code"].tolist()


def profile_path(region: str) -> Path:
    return site_dir() / "alueet" / f"{region}.html"


def profile_indicators(region: str, year: int) -> pd.DataFrame:
    """Rows indicator, name, unit, region value, whole-country value, year and source."""
    every = cached_table("profile_indicators", {"year": int(year)}, lambda: _profile_indicators(int(year)))
    out = every[every["region_code"] == region].drop(columns="region_code").reset_index(drop=True)
    out.attrs["flag_meanings"] = dict(every.attrs.get("flag_meanings") or {})
    return out


def _profile_indicators(year: int) -> pd.DataFrame:
    # Every region's rows at once, kept as one table (helpers.tables.table_cache): the 23 profile runs of a refresh read
    # it instead of each reading the fourteen indicator tables.
    rows, meanings = [], {}
    regions = region_codes(year)
    for ind, years, shown in PROFILE_INDICATORS:
        years = years or [year]
        shown = shown or year
        reg = indicator_table(ind, years, level="hyvinvointialue", division_year=year)
        nat = indicator_table(ind, years, level="koko_maa", division_year=year)
        meta = catalogue_row(ind)
        whole = nat[nat["year"] == shown]
        flagged = "value_flags" in reg.columns or "value_flags" in nat.columns
        for region in regions:
            own = reg[(reg["year"] == shown) & (reg["area_code"] == region)]
            row = {"region_code": region, "indicator_id": ind, "name_fi": meta["name_fi"], "unit": meta["unit"], "year": shown,
                   "region": own["value"].item() if len(own) else float("nan"), "country": whole["value"].item(),
                   "source": reg["source"].iloc[0]}
            if flagged:  # the source's markers (ennakkotieto, salattu, ...)
                row["region_flags"] = own["value_flags"].item() if "value_flags" in own.columns and len(own) else ""
                row["country_flags"] = whole["value_flags"].item() if "value_flags" in whole.columns else ""
            rows.append(row)
        meanings |= {**(reg.attrs.get("flag_meanings") or {}), **(nat.attrs.get("flag_meanings") or {})}
    out = pd.DataFrame(rows)
    if "region_flags" in out.columns:
        out[["region_flags", "country_flags"]] = out[["region_flags", "country_flags"]].fillna("")
    out.attrs["flag_meanings"] = meanings
    return out


def profile_models(region: str, year: int, lang: str = "fi") -> pd.DataFrame:
    """The region's unit in each support model (a region split between units lists each with its municipalities)."""
    every = cached_table("profile_models", {"year": int(year), "lang": lang}, lambda: _profile_models(int(year), lang))
    return every[every["region_code"] == region].drop(columns="region_code").reset_index(drop=True)


def _profile_models(year: int, lang: str) -> pd.DataFrame:
    key = municipality_key(year)
    rows = []
    models = {name: load_model(name) for name in model_names()}
    resolved = {name: (model, resolve(model, year).set_index("kunta_code")) for name, model in models.items()}
    for region in region_codes(year):
        members = key.loc[key["hyvinvointialue_code"] == region, "kunta_code"]
        for name, (model, res) in resolved.items():
            covered = res.reindex(members)
            if covered["unit_code"].isna().all():
                rows.append({"region_code": region, "model_id": name, "model": model.label(lang), "unit": "ei mukana mallissa",
                             "municipalities": 0})
                continue
            covered = covered.dropna(subset=["unit_code"])
            for unit, g in covered.groupby("unit_name_fi"):
                local = g[f"unit_name_{lang}"].iloc[0] if f"unit_name_{lang}" in g.columns and isinstance(g[f"unit_name_{lang}"].iloc[0], str) else unit
                local = area_name(local, lang)  # a unit named in Finnish only (the 2021 build): its words translated
                rows.append({"region_code": region, "model_id": name, "model": model.label(lang), "unit": local,
                             "municipalities": len(g)})
    return pd.DataFrame(rows)


# Trends of the comparison: every key indicator over the years the recorded answers hold; population before 2023 from
# the 1972-2023 series (the same figures as 11re where both have a year, moved onto the chosen division).
POPULATION_HISTORY = ("vaesto_historia", list(range(1972, 2023)))
COUNTRY = "SSS"


def profile_trends(year: int) -> pd.DataFrame:
    """Every region's and the whole country's key indicators over the years there are: rows indicator_id, area_code
    (``SSS`` the whole country), year, value and ``break_fi/sv/en`` (``helpers.tables.breaks.mark``: "järjestäjä
    vaihtui 2023" on a row whose year a break touches); ``attrs['breaks']``: the breaks, with their texts."""
    return cached_table("profile_trends", {"year": int(year)}, lambda: _profile_trends(int(year)))


def _profile_trends(year: int) -> pd.DataFrame:
    from helpers.tables.breaks import LANGS as BREAK_LANGS, mark

    parts, found = [], {}
    for ind, years, _ in PROFILE_INDICATORS:
        years = years or [year]
        both = []
        for level in ("hyvinvointialue", "koko_maa"):
            t = indicator_table(ind, years, level=level, division_year=year)
            if ind == "vaesto":
                old = indicator_table(POPULATION_HISTORY[0], POPULATION_HISTORY[1], level=level, division_year=year)
                t = pd.concat([old.assign(indicator_id=ind), t], ignore_index=True)
            both.append(t[["area_level", "area_code", "year", "indicator_id", "value"]])
        t = pd.concat(both, ignore_index=True)
        for lang in BREAK_LANGS:
            marked = mark(t, division_year=year, lang=lang)
            t[f"break_{lang}"] = marked["break"]
            found |= {(b["year"], b["kind"]): b for b in marked.attrs["breaks"]}
        parts.append(t.drop(columns="area_level"))
    out = pd.concat(parts, ignore_index=True)
    out["year"] = out["year"].astype(int)
    out.attrs["breaks"] = sorted(found.values(), key=lambda b: (b["year"], b["kind"]))
    return out


def profile_staffing(year: int) -> pd.DataFrame:
    """Every region's unit in every model with the unit's residents, associations and person-years under the front
    page's common staffing rule (``helpers.models.decision.model_column``, its headline variant): one row per region,
    model and unit (a region split between units has a row for each)."""
    return cached_table("profile_staffing", {"year": int(year)}, lambda: _profile_staffing(int(year)))


def profile_staffing_table(region: str, year: int, lang: str = "fi") -> pd.DataFrame:
    """The profile's per-model rows for one region as a reader's table (the page's column names, model names, no
    ids): model, unit, residents, person-years and associations per person-year under the front page's rule."""
    rows = profile_staffing(year)
    rows = rows[rows["region_code"] == region]
    head = PROFILE_TEXT[lang]["staff_head"]
    return pd.DataFrame({head[0]: [load_model(m).label(lang) for m in rows["model_id"]],
                         head[1]: rows.get(f"unit_name_{lang}", pd.Series("", index=rows.index)).fillna("").to_numpy(),
                         head[2]: rows["population"].to_numpy(), head[3]: rows["workers"].to_numpy(),
                         head[4]: rows["associations_per_worker"].to_numpy()})


def _profile_staffing(year: int) -> pd.DataFrame:
    from helpers.models.decision import HEADLINE_VARIANT, model_column

    key = municipality_key(year)
    rows = []
    for name in model_names():
        model = load_model(name)
        col = model_column(name, year)  # the numbers tulostaulu publishes (data/tulostaulu.json, "decision")
        variant = col["variants"][HEADLINE_VARIANT]
        where = {str(c): i for i, c in enumerate(col["unit_codes"])}
        res = resolve(model, year).set_index("kunta_code")
        for region in region_codes(year):
            covered = res.reindex(key.loc[key["hyvinvointialue_code"] == region, "kunta_code"]).dropna(subset=["unit_code"])
            if covered.empty:
                rows.append({"region_code": region, "model_id": name, "unit_code": "", "municipalities": 0})
                continue
            for unit, g in covered.groupby("unit_code", sort=True):
                i = where[str(unit)]
                seats = variant["seats"][i] if variant["feasible"] and model.staffing_applies else None
                rows.append({"region_code": region, "model_id": name, "unit_code": str(unit), "municipalities": len(g),
                             **{f"unit_name_{lang}": col["unit_names"][lang][i] for lang in ("fi", "sv", "en")},
                             "population": col["population"][i], "associations": col["associations"][i],
                             "associations_estimated": bool(col["associations_estimated"]),
                             "staffing_applies": bool(model.staffing_applies), "feasible": bool(variant["feasible"]),
                             "workers": seats, "associations_per_worker": col["associations"][i] / seats if seats else None})
    out = pd.DataFrame(rows)
    out["workers"] = out["workers"].astype("Float64")
    out["associations_per_worker"] = out["associations_per_worker"].astype("Float64")
    return out


PROFILE_TEXT = {
    "fi": {"title": "Alueprofiili: {name}", "yta": "Yhteistyöalue", "erva": "Erityisvastuualue 2020", "munis": "Kuntia ({year})",
           "munis_word": "kuntaa", "others": "muut alueet", "ind_caption": "Keskeiset tunnusluvut alueella ja koko maassa",
           "ind_head": ["Tunnusluku", "{name}", "Koko maa", "Vuosi"], "mod_caption": "Alue tukirakennemalleissa",
           "mod_head": ["Malli", "Mallin alue", "Kuntia"], "not_in": "ei mukana mallissa", "model_word": "Mallit",
           "description": "{name}: tunnusluvut, yhteistyöalue, erva 2020 ja alue tukirakennemalleissa",
           "staff_caption": "Alueen yksikkö kussakin mallissa: asukkaat ja sote-yhdistyksiä työntekijää kohden",
           "staff_head": ["Malli", "Yksikkö", "Asukkaita", "Htv", "Sote-yhdistyksiä / htv"],
           "no_rule": "sääntö ei koske mallia", "infeasible": "ei jaettavissa", "estimate": "arvio",
           "estimate_note": "arvio: yksikön yhdistysmäärä on arvioitu maakuntien määristä (ks. mallien vertailu).",
           "infeasible_note": "ei jaettavissa: yksiköitä on enemmän kuin henkilötyövuosia, joten jokainen ei saa työntekijää.",
           "map": "Alue kartalla", "country": "Koko maa", "compare": "Vertaa muihin alueisiin",
           "compare_intro": "Lisää enintään kaksi aluetta: kuviot ja taulukko näyttävät tunnusluvut niille, tälle alueelle ja koko maalle. "
                            "Valinta tallentuu osoitteeseen, joten linkki palauttaa vertailun.",
           "add": "Lisää alue {n}", "none": "–", "noscript": "Vertailu tarvitsee sivun oman skriptin; alla olevat taulukot toimivat ilman sitä.",
           "latest": "Viimeisin vuosi", "year": "Vuosi", "as_table": "Luvut taulukkona",
           "country_table": "Koko maa vain taulukoissa: sen mittakaavassa alueiden viivat olisivat suoria.", "link": "Linkki tähän vertailuun", "data_link": "Vertailun aineisto (JSON)"},
    "sv": {"title": "Områdesprofil: {name}", "yta": "Samarbetsområde", "erva": "Specialupptagningsområde 2020", "munis": "Kommuner ({year})",
           "munis_word": "kommuner", "others": "övriga områden", "ind_caption": "Centrala nyckeltal i området och i hela landet",
           "ind_head": ["Nyckeltal", "{name}", "Hela landet", "År"], "mod_caption": "Området i stödstrukturmodellerna",
           "mod_head": ["Modell", "Modellens område", "Kommuner"], "not_in": "inte med i modellen", "model_word": "Modeller",
           "description": "{name}: nyckeltal, samarbetsområde, specialupptagningsområde 2020 och området i stödstrukturmodellerna",
           "staff_caption": "Områdets enhet i varje modell: invånare och social- och hälsovårdsföreningar per arbetstagare",
           "staff_head": ["Modell", "Enhet", "Invånare", "Årsverken", "Föreningar / årsverke"],
           "no_rule": "regeln gäller inte modellen", "infeasible": "kan inte fördelas", "estimate": "uppskattning",
           "estimate_note": "uppskattning: enhetens antal föreningar är uppskattat från landskapens antal (se jämförelsen av modellerna).",
           "infeasible_note": "kan inte fördelas: fler enheter än årsverken, så alla får inte en arbetstagare.",
           "map": "Området på kartan", "country": "Hela landet", "compare": "Jämför med andra områden",
           "compare_intro": "Lägg till högst två områden: diagrammen och tabellen visar nyckeltalen för dem, för det här området och för hela landet. "
                            "Valet sparas i adressen, så en länk visar jämförelsen igen.",
           "add": "Lägg till område {n}", "none": "–", "noscript": "Jämförelsen behöver sidans eget skript; tabellerna nedan fungerar utan det.",
           "latest": "Senaste året", "year": "År", "as_table": "Siffrorna som tabell",
           "country_table": "Hela landet bara i tabellerna: i dess skala vore områdenas linjer raka.", "link": "Länk till den här jämförelsen", "data_link": "Jämförelsens data (JSON)"},
    "en": {"title": "Regional profile: {name}", "yta": "Collaborative area", "erva": "Special responsibility area 2020",
           "munis": "Municipalities ({year})", "munis_word": "municipalities", "others": "other regions",
           "ind_caption": "Key figures in the region and in the whole country", "ind_head": ["Indicator", "{name}", "Whole country", "Year"],
           "mod_caption": "The region in the support-structure models", "mod_head": ["Model", "The model's area", "Municipalities"],
           "not_in": "not in the model", "model_word": "Models",
           "description": "{name}: key figures, collaborative area, 2020 special responsibility area and the region in the support models",
           "staff_caption": "The region's unit in each model: residents and social and health associations per worker",
           "staff_head": ["Model", "Unit", "Residents", "Person-years", "Associations / person-year"],
           "no_rule": "the rule does not apply to the model", "infeasible": "cannot be allocated", "estimate": "estimate",
           "estimate_note": "estimate: the unit's associations are estimated from the regional (maakunta) counts (see the model comparison).",
           "infeasible_note": "cannot be allocated: more units than person-years, so not every unit gets a worker.",
           "map": "The region on the map", "country": "Whole country", "compare": "Compare with other regions",
           "compare_intro": "Add up to two regions: the charts and the table show the key figures for them, this region and the whole country. "
                            "The choice is kept in the address, so a link restores the comparison.",
           "add": "Add region {n}", "none": "–", "noscript": "The comparison needs the page's own script; the tables below work without it.",
           "latest": "Latest year", "year": "Year", "as_table": "The figures as a table",
           "country_table": "The whole country in the tables only: on its scale the regions' lines would be flat.", "link": "Link to this comparison", "data_link": "The comparison's data (JSON)"},
}


def write_region_profile(region: str, year: int = 2025, lang: str = "fi", langs=("fi", "sv", "en"),
                         indicators: pd.DataFrame | None = None) -> Path:
    """Write the profile in every language of ``langs`` (``lang``: the one whose path is returned). ``indicators``:
    ``profile_indicators(region, year)`` when the caller has it already (the notebook shows it first)."""
    codes = region_codes(year)
    if region not in codes:
        raise invalid("region", region, codes)
    ind = profile_indicators(region, year) if indicators is None else indicators
    # what every language's page shares, built once (every region's trends were most of a profile run's time)
    shared = {"compare": compare_data(year), "layer": load_layer("hyvinvointialue", year), "key": municipality_key(year),
              "staffing": profile_staffing(year)}
    written = {}
    for one in dict.fromkeys([lang, *langs]):
        written[one] = _write_profile(region, year, one, ind, shared)
    return written[lang]


def _write_profile(region: str, year: int, lang: str, ind: pd.DataFrame, shared: dict) -> Path:
    from helpers.sources.citations import cite, reader_source
    from helpers.site.downloads import table_files
    from helpers.site.model_view import LICENCE, model_view_link
    from helpers.site.pages import _href, link, page_in

    t = PROFILE_TEXT[lang]
    site = site_dir()
    path = page_in(site, f"alueet/{region}.html", lang)
    layer = shared["layer"]
    name = layer.set_index("code").loc[region, f"name_{lang}"]
    key = shared["key"]
    own = key[key["hyvinvointialue_code"] == region]
    yta = ", ".join(sorted(set(own[f"yhteistyoalue_name_{lang}"].fillna(own["yhteistyoalue_name_fi"]))))
    erva_col = f"erva2020_name_{lang}" if f"erva2020_name_{lang}" in own.columns else "erva2020_name_fi"
    ervas = own.assign(erva=own[erva_col].fillna(own["erva2020_name_fi"])).groupby("erva").size()
    erva_text = "; ".join(f"{n} ({c} {t['munis_word']})" if len(ervas) > 1 else n for n, c in ervas.items())
    flagged = "region_flags" in ind.columns
    marks, notes = flag_marks([*ind["region_flags"], *ind["country_flags"]] if flagged else None, source=[*ind["source"], *ind["source"]],
                              meanings=flag_meanings(ind, lang))
    names = catalogue().set_index("indicator_id")[f"name_{lang}"]
    ind_rows, recs = [], []
    head = [h.format(name=name) for h in t["ind_head"]]
    for i, r in enumerate(ind.itertuples()):
        dec = unit_decimals(r.unit)
        # the dependency ratio's name spells its unit out; after the number it would only repeat it at length
        shown_unit = "" if r.unit == "65+/100 15–64" else unit_text(r.unit, lang)
        label = str(names.get(r.indicator_id, r.name_fi))
        # runs.yaml writes a welfare-region page for every key indicator's shown year (runs run in parallel, so the
        # page may not be there yet while this one is written)
        target = page_in(site, f"indikaattorit/{file_stem(r.indicator_id)}_hyvinvointialue_{r.year}.html", lang)
        # the region and the whole country first (what a phone shows without scrolling), the year last
        ind_rows.append([link(label, _href(target, path)),
                         num(fmt_value(r.region, shown_unit, dec, lang), mark=marks[i] if flagged else ""),
                         num(fmt_value(r.country, shown_unit, dec, lang), mark=marks[len(ind) + i] if flagged else ""), num(r.year)])
        recs.append({head[0]: label, head[1]: round(float(r.region), dec) if r.region == r.region else float("nan"),
                     head[2]: round(float(r.country), dec), head[3]: int(r.year), "unit": unit_text(r.unit, lang)})
    ind_df = pd.DataFrame(recs)
    ind_dl = table_files(ind_df, page=path, name="tunnusluvut", title=f"{t['ind_caption']}: {name}", sources=sorted(set(ind["source"])),
                         licence=LICENCE, decimals={head[1]: 1, head[2]: 1}, lang=lang)
    mod = profile_models(region, year, lang)
    mod_rows, mod_recs = [], []
    for r in mod.itertuples():
        href = _href(page_in(site, model_view_link(r.model_id).split("#")[0], lang), path) + "#" + model_view_link(r.model_id).split("#")[1]
        unit = t["not_in"] if r.municipalities == 0 else str(r.unit)
        mod_rows.append([str(r.model), link(unit, href), num(r.municipalities)])
        mod_recs.append({t["mod_head"][0]: str(r.model), t["mod_head"][1]: unit, t["mod_head"][2]: int(r.municipalities)})
    mod_dl = table_files(pd.DataFrame(mod_recs), page=path, name="mallit", title=f"{t['mod_caption']}: {name}",
                         sources=[cite(load_model(m).source.ref, url=False, lang=lang) for m in model_names() if load_model(m).source.ref],
                         licence=LICENCE, lang=lang)
    # The locator as a pre-drawn map (no plotly.js on the page: it was nine tenths of a profile's first visit).
    frame = country_frame(year, mainland=False, width=300)
    shapes = svg_shapes(layer, frame, name_col=f"name_{lang}" if f"name_{lang}" in layer.columns else "name_fi")
    staffing = _staffing_table(region, year, lang, shared["staffing"])
    context = {
        "heading": str(name), "t": t, "view_box": frame.view_box, "shapes": shapes, "region": region,
        "map_source": [boundary_attribution(year, lang)], "staffing": staffing,
        "compare_data": compare_payload(region, lang, shared["compare"]), "script": _href(site / PROFILE_SCRIPT, path),
        "data_href": _href(site / PROFILE_DATA, path),
        "facts": [(t["yta"], yta), (t["erva"], erva_text), (t["munis"].format(year=year), len(own))],
        "indicators": table(ind_rows, caption=t["ind_caption"], header=head, cls="levea", footnotes=notes, downloads=ind_dl),
        "models": table(mod_rows, caption=t["mod_caption"], header=t["mod_head"], cls="levea", downloads=mod_dl),
        "source_lines": [*dict.fromkeys(reader_source(s, lang) for s in sorted(set(ind["source"]))), boundary_attribution(year, lang),
                         f"{t['model_word']}: " + "; ".join(dict.fromkeys(cite(load_model(m).source.ref, url=False, lang=lang).rstrip(".")
                                                                           for m in model_names() if load_model(m).source.ref)) + "."],
    }
    return write_page(path, title=t["title"].format(name=name), template="profile.html.j2", context=context, lang=lang,
                      description=t["description"].format(name=name), data_year=year)


PROFILE_SCRIPT = Path("assets") / "profiles.js"
PROFILE_DATA = Path("data") / "alueet.json"


def is_profile_page(rel: str) -> bool:
    """Whether a page (its path inside the site, as ``alueet/07.html``) is a region profile: the site step writes the
    profiles' comparison data while there is one, and keeps it from being removed as a file no run made."""
    return bool(re.fullmatch(r"alueet/[0-9][^/]*\.html", rel))


SERIES_COLOURS = ("#D55E00", "#0072B2", "#009E73", "#000000")  # this region, the two added, the whole country


def _staffing_table(region: str, year: int, lang: str, staff: pd.DataFrame) -> dict:
    """A row per model: the region's unit, its residents, person-years and associations per person-year under the
    common rule, the rule named in the caption's note."""
    from helpers.models.decision import HEADLINE_VARIANT, SHORT_LABELS, CommonRule
    from helpers.base.numbers import fmt_number

    t = PROFILE_TEXT[lang]
    rows, notes = [], set()
    for r in staff[staff["region_code"] == region].itertuples():
        label = SHORT_LABELS[r.model_id][lang] if r.model_id in SHORT_LABELS else load_model(r.model_id).label(lang)
        if not r.unit_code:
            rows.append([label, t["not_in"], num(""), num(""), num("")])
            continue
        if not r.staffing_applies:
            workers, per = t["no_rule"], ""
        elif not r.feasible:
            workers, per = t["infeasible"], ""
            notes.add(t["infeasible_note"])
        else:
            workers = fmt_number(r.workers, 0, lang)
            per = fmt_number(r.associations_per_worker, 0, lang)
        mark = ""
        if per and r.associations_estimated:
            mark = f"({t['estimate']})"
            notes.add(t["estimate_note"])
        rows.append([label, area_name(getattr(r, f"unit_name_{lang}") or r.unit_name_fi, lang), num(fmt_number(r.population, 0, lang)),
                     num(workers), num(per, mark=mark)])
    return table(rows, caption=t["staff_caption"], header=t["staff_head"], cls="levea profiilin-mallit",
                 footnotes=[CommonRule().text(HEADLINE_VARIANT, lang), *sorted(notes)])


def compare_data(year: int) -> dict:
    """Every region's and the whole country's key indicators over the years there are, once for the site
    (``site/data/alueet.json``): ``series[indicator][area] = [[year, value], ...]``, the breaks and the labels.
    Kept in ``cache/tables/`` like the tables it is made of: every profile run and the site step ask for it."""
    from helpers.tables.table_cache import cached_json

    return cached_json("profile_compare", {"year": int(year)}, lambda: _compare_data(int(year)))


def _compare_data(year: int) -> dict:
    trends = profile_trends(year)
    names = catalogue().set_index("indicator_id")
    layer = load_layer("hyvinvointialue", year)
    series = {}
    # in the order the rows come (areas, years sorted): one pass, no per-group frames
    ordered = trends.sort_values("year", kind="stable")
    for ind, area, y, v in zip(ordered["indicator_id"], ordered["area_code"], ordered["year"], ordered["value"]):
        series.setdefault(ind, {}).setdefault(area, []).append([int(y), None if v != v else float(v)])
    marks = {}
    for r in trends[trends["break_fi"] != ""].itertuples():
        marks.setdefault(r.indicator_id, {}).setdefault(str(r.year), []).append(r.area_code)
    by_code = layer.set_index("code")
    return {"year": year, "regions": {c: {lang: by_code.loc[c, f"name_{lang}"] for lang in ("fi", "sv", "en")} for c in layer["code"]},
            "indicators": [{"id": ind, "name": {lang: names.loc[ind, f"name_{lang}"] for lang in ("fi", "sv", "en")},
                            "unit": names.loc[ind, "unit"], "decimals": unit_decimals(names.loc[ind, "unit"])}
                           for ind, _, _ in PROFILE_INDICATORS],
            "series": series, "break_areas": marks, "breaks": trends.attrs.get("breaks", [])}


def compare_payload(region: str, lang: str, data: dict) -> dict:
    """What one profile's script reads (one language's labels; every region's values, so any two can be added) from
    ``compare_data(year)``."""
    from helpers.base.numbers import NBSP

    t = PROFILE_TEXT[lang]
    return {"lang": lang, "self": region, "country": COUNTRY, "colours": list(SERIES_COLOURS), "nbsp": NBSP,
            "names": {**{c: n[lang] for c, n in data["regions"].items()}, COUNTRY: t["country"]},
            "indicators": [{"id": i["id"], "name": i["name"][lang], "unit": unit_text(i["unit"], lang),
                            "decimals": i["decimals"]} for i in data["indicators"]],
            "series": data["series"], "break_areas": data["break_areas"],
            "breaks": [{"year": b["year"], "label": b["label"][lang], "text": b["text"][lang], "source": b["source"][lang]} for b in data["breaks"]],
            "text": {**{k: t[k] for k in ("latest", "year", "as_table", "none", "country", "country_table")}, "indicator": t["ind_head"][0]}}


def write_profile_assets(site: Path | None = None, year: int = 2025) -> list[Path]:
    """The comparison's script and its data file, shared by every profile: written by the site step after the runs
    (one run per output file), rewritten only when changed."""
    import json

    from helpers.base.config import PACKAGE_ASSETS_DIR
    from helpers.base.files import atomic_write_text

    site = Path(site or site_dir())
    for target, text in ((site / PROFILE_SCRIPT, (PACKAGE_ASSETS_DIR / "profiles.js").read_text(encoding="utf-8")),
                         (site / PROFILE_DATA, json.dumps(compare_data(year), ensure_ascii=False, separators=(",", ":")) + "\n")):
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            atomic_write_text(target, text)
    return [site / PROFILE_SCRIPT, site / PROFILE_DATA]


def page_entries(site: Path | None = None) -> list[dict]:
    """Every page of the site (but the index and the assets) with its section, title, description and data year."""
    site = Path(site or site_dir())
    entries = []
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site)
        if rel.parts[0] == PLOTLY_ASSET.parts[0] or rel.as_posix() == "index.html":
            continue
        entries.append({"path": rel.as_posix(), "section": rel.parts[0] if len(rel.parts) > 1 else "", **read_page_meta(path)})
    return entries


def write_index(manifest: dict | None = None, site: Path | None = None, problems: list[str] | None = None,
                done=()) -> Path:
    """The pages written at the end of the refresh, in every language, from the manifest and what the runs wrote:
    the model comparison, the indicator list, the region picker, the sources page and the front page
    (``outputs/site/index.html``, returned).

    ``problems``: a list to fail softly into (the refresh's end, after the runs): a page that cannot be written is
    named there with why (``site/sv/lahteet.html: PermissionError: …``) and the other pages are still written.
    Without it the first fault raises. ``done``: pages (as ``mallit/index.html``) the caller has already written
    from the same data in this refresh, not written again."""
    from helpers.base.languages import LANGS
    from helpers.site.front_page import write_front_page
    from helpers.site.builder import PAGE as BUILDER, write_builder
    from helpers.site.model_view import PAGE as MODEL_VIEW, load_site_data, write_model_view
    from helpers.site.indicator_pages import ensure_series_script
    from helpers.site.nav import INDICATORS_PAGE, REGIONS_PAGE, write_indicator_list, write_region_picker
    from helpers.site.pages import page_in
    from helpers.site.sources_page import PAGE_NAME as SOURCES_PAGE, write_sources_page

    site = Path(site or site_dir())
    data = load_site_data(site)
    hubs = [(MODEL_VIEW, lambda langs: write_model_view(site, data, langs=langs)),
            (BUILDER, lambda langs: write_builder(site, data, langs=langs)),
            # the indicator pages' shared script (runs write it into their own staging only), then their list
            (INDICATORS_PAGE, lambda langs: [ensure_series_script(site), *write_indicator_list(site, langs=langs)]),
            (REGIONS_PAGE, lambda langs: write_region_picker(site, langs=langs)),
            (SOURCES_PAGE, lambda langs: write_sources_page(manifest, site, langs=langs)),
            ("index.html", lambda langs: write_front_page(manifest, site, data, langs=langs)),
            # the profiles' comparison data (every region's trends: seconds of table building) only for a site with
            # profiles; a refresh of other runs leaves it as it is
            (PROFILE_DATA.as_posix(), lambda langs: write_profile_assets(site)
             if any(is_profile_page(p.relative_to(site).as_posix()) for p in (site / "alueet").glob("*.html")) else [])]
    for rel, write in hubs:
        if rel in done:
            continue
        if problems is None:
            write(LANGS)
            continue
        try:
            write(LANGS)
        except Exception:  # noqa: BLE001 - each language again on its own: the others are still written
            for lang in LANGS:
                try:
                    write((lang,))
                except Exception as exc:  # noqa: BLE001 - named in the refresh's summary
                    problems.append(page_fault(page_in(site, rel, lang), exc, site.parent))
    return page_in(site, "index.html", LANGS[0])


def page_fault(page: Path, exc: Exception, root: Path) -> str:
    """One line naming a page that was not written and why (paths relative to ``root``, the outputs folder)."""

    def rel(path) -> str:
        try:
            return Path(path).relative_to(root).as_posix()
        except ValueError:
            return str(path)

    if isinstance(exc, OSError):
        why = exc.strerror or str(exc)
        if exc.filename is not None and Path(exc.filename) != page:
            why += f" ({rel(exc.filename)})"  # the folder or file that stopped it
    else:
        why = str(exc)
    why = " ".join(f"{exc.__class__.__name__}: {why}".split())
    return f"{rel(page)}: {why[:300]}"
