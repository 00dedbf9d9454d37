"""The model comparison: the scorecard of every support-structure model (from the data notebook 06 writes,
``site/data/tulostaulu.json``), pre-drawn unit maps on one frame, and the page ``site/mallit/index.html`` (fi, sv,
en) where a reader picks any two or three models (assets/site.js, client-side; the choice is kept in the URL hash).

Without the script every map and every row shows, so the page is its own text alternative and prints whole.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

import pandas as pd

from helpers.geo.layers import attribution as boundary_attribution
from helpers.models.metrics import STAFFING_LABELS
from helpers.models.model_files import load_model, model_names, resolve, source_text, unit_layer
from helpers.geo.municipality_key import municipality_key
from helpers.base.numbers import MISSING_LABEL, fmt_number
from helpers.base.words import area_name, unit_decimals, unit_text, word
from helpers.site.pages import LANGS, cell, num, page_in, table, write_page
from helpers.figures.maps import MISSING_COLOUR
from helpers.figures.svgmap import country_frame, unit_map_data

PAGE = "mallit/index.html"
DEFAULT_PAIR = ("malli_18_1", "malli_5_1_erva2020")
CONVENTIONS = ("sama_per_yksikko", "sama_kokonaismaara", "lahteen_mukaan")
# The key criteria of the compact scorecard: (column id, metric, statistic, decimals, labels fi/sv/en).
KEY_CRITERIA = [
    ("units", "units", "value", 0, ("Yksiköitä", "Enheter", "Units")),
    ("total_htv", "total_htv", "value", 1, ("Htv yhteensä", "Årsverken totalt", "Person-years in total")),
    ("per_htv_min", "population_per_htv", "min", 0, ("Asukkaita / htv, pienin", "Invånare / årsverke, minst", "Population per person-year, smallest")),
    ("per_htv_max", "population_per_htv", "max", 0, ("Asukkaita / htv, suurin", "Invånare / årsverke, störst", "Population per person-year, largest")),
    ("per_htv_ratio", "population_per_htv", "max_min", 1, ("Suurin / pienin", "Störst / minst", "Largest / smallest")),
    ("split", "welfare_regions_split_total", "value", 0, ("Jaettuja hyvinvointialueita", "Delade välfärdsområden", "Welfare regions split")),
    ("distance", "longest_distance_km", "max", 0, ("Pisin etäisyys yksikössä, km", "Längsta avstånd i en enhet, km", "Longest distance in a unit, km")),
    ("survey_yes", "survey_yes_pct", "value", 0, ("Kyselyn 2020 tuki, kyllä %", "Stöd i enkäten 2020, ja %", "2020 survey support, yes %")),
]
TEXT = {
    "fi": {
        "title": "Tukirakennemallien vertailu", "model": "Malli", "staffing": "Henkilöstö",
        "description": "Valitse kaksi tai kolme järjestöjen alueellisen tukirakenteen mallia: alueet kartalla samassa mittakaavassa ja mallien tunnusluvut",
        "intro": "Valitse kaksi tai kolme mallia. Kartat ovat samassa mittakaavassa; numerot viittaavat kartan viereiseen luetteloon. "
                 "Valinta tallentuu osoitteeseen, joten linkki palauttaa saman näkymän.",
        "pick": "Vertailtavat mallit (2–3)", "too_few": "Valitse vähintään kaksi mallia (valittuna {n}).", "ok": "Valittuna {n} mallia.",
        "maps": "Mallien alueet", "scorecard": "Mallien tunnusluvut", "convention": "Henkilöstökäytäntö",
        "scorecard_caption": "Tunnusluvut malleittain ja henkilöstökäytännöittäin",
        "units": "Yksiköt: {model}", "unit_caption": "{model}: yksiköt, väestö ja hyvinvointialueet",
        "nro": "Nro", "unit": "Yksikkö", "population": "Väestö 31.12.2024", "htv": "Htv (sama sääntö: 18 htv väestön mukaan, Sainte-Laguë, vähintään 1)", "per_htv": "Asukkaita / htv (sama sääntö)",
        "regions": "Hyvinvointialueet", "map_title": "{model}: {n} aluetta", "no_data": "Tunnuslukuja ei ole vielä laskettu (tulostaulun ajo puuttuu tai epäonnistui).",
        "notes_head": "Huomioita", "conventions_head": "Henkilöstökäytännöt",
        "model_source": "Malli", "sources_head": "Lähteet",
        "ind_head": "Indikaattori mallien alueilla", "ind_pick": "Indikaattori",
        "ind_intro": "Valitse indikaattori: se lasketaan kunkin valitun mallin alueille luettelon säännöllä (määrät lasketaan yhteen, "
                     "osuudet ja suhteet osoittajien ja nimittäjien summista, eli väestöllä painottaen). Sama väri tarkoittaa samaa "
                     "arvoluokkaa jokaisella kartalla. Ahvenanmaa ei kuulu malleihin; se on taulukossa omana rivinään.",
        "ind_map_title": "{model}: {indicator} {year}", "ind_caption": "{model}: {indicator} {year} alueittain",
        "ind_legend": "{unit}, vuosi {year}", "ind_value": "Arvo", "outside": "Mallin ulkopuolella (Ahvenanmaa)",
        "ind_none": "Indikaattoreita ei ole vielä laskettu mallien alueille (tulostaulun ajo puuttuu tai epäonnistui).",
        "splits_regions": "ei laskettavissa: indikaattori on saatavilla vain hyvinvointialueittain, ja malli jakaa hyvinvointialueita",
        "unavailable": "ei tietoa tälle mallille", "ind_source": "Indikaattori",
    },
    "sv": {
        "title": "Jämförelse av stödstrukturmodeller", "model": "Modell", "staffing": "Personal",
        "description": "Välj två eller tre modeller för organisationernas regionala stödstruktur: områdena på kartan i samma skala och modellernas nyckeltal",
        "intro": "Välj två eller tre modeller. Kartorna har samma skala; numren hänvisar till förteckningen bredvid kartan. "
                 "Valet sparas i adressen, så en länk visar samma vy.",
        "pick": "Modeller att jämföra (2–3)", "too_few": "Välj minst två modeller ({n} valda).", "ok": "{n} modeller valda.",
        "maps": "Modellernas områden", "scorecard": "Modellernas nyckeltal", "convention": "Personalantagande",
        "scorecard_caption": "Nyckeltal per modell och personalantagande",
        "units": "Enheter: {model}", "unit_caption": "{model}: enheter, befolkning och välfärdsområden",
        "nro": "Nr", "unit": "Enhet", "population": "Befolkning 31.12.2024", "htv": "Årsverken (samma regel: 18 årsverken efter befolkning, Sainte-Laguë, minst 1)", "per_htv": "Invånare / årsverke (samma regel)",
        "regions": "Välfärdsområden", "map_title": "{model}: {n} områden", "no_data": "Nyckeltalen har ännu inte räknats (körningen av resultattavlan saknas eller misslyckades).",
        "notes_head": "Anmärkningar", "conventions_head": "Personalantaganden",
        "model_source": "Modell", "sources_head": "Källor",
        "ind_head": "Indikator på modellernas områden", "ind_pick": "Indikator",
        "ind_intro": "Välj en indikator: den räknas för varje vald modells områden enligt katalogens regel (antal summeras, "
                     "andelar och kvoter ur summorna av täljare och nämnare, alltså vägda med befolkningen). Samma färg betyder samma "
                     "värdeklass på varje karta. Åland ingår inte i modellerna; det har en egen rad i tabellen.",
        "ind_map_title": "{model}: {indicator} {year}", "ind_caption": "{model}: {indicator} {year} per område",
        "ind_legend": "{unit}, år {year}", "ind_value": "Värde", "outside": "Utanför modellen (Åland)",
        "ind_none": "Indikatorerna har ännu inte räknats för modellernas områden (körningen av resultattavlan saknas eller misslyckades).",
        "splits_regions": "kan inte räknas: indikatorn finns bara per välfärdsområde och modellen delar välfärdsområden",
        "unavailable": "uppgift saknas för den här modellen", "ind_source": "Indikator",
    },
    "en": {
        "title": "Comparing the support-structure models", "model": "Model", "staffing": "Staffing",
        "description": "Pick two or three models of the NGOs' regional support structure: their areas on maps at the same scale and their key figures",
        "intro": "Pick two or three models. The maps share one scale; the numbers refer to the list beside each map. "
                 "The choice is kept in the address, so a link restores the same view.",
        "pick": "Models to compare (2–3)", "too_few": "Pick at least two models ({n} picked).", "ok": "{n} models picked.",
        "maps": "The models' areas", "scorecard": "Key figures of the models", "convention": "Staffing convention",
        "scorecard_caption": "Key figures by model and staffing convention",
        "units": "Units: {model}", "unit_caption": "{model}: units, population and welfare regions",
        "nro": "No.", "unit": "Unit", "population": "Population 31 Dec 2024", "htv": "Person-years (one rule: 18 by population, Sainte-Laguë, at least 1)", "per_htv": "Residents per person-year (one rule)",
        "regions": "Welfare regions", "map_title": "{model}: {n} areas", "no_data": "The key figures have not been computed yet (the scorecard run is missing or failed).",
        "notes_head": "Notes", "conventions_head": "Staffing conventions",
        "model_source": "Model", "sources_head": "Sources",
        "ind_head": "An indicator on the models' areas", "ind_pick": "Indicator",
        "ind_intro": "Pick an indicator: it is computed for each chosen model's areas by the catalogue's rule (counts are summed, "
                     "shares and ratios come from the sums of numerators and denominators, that is weighted by population). The same "
                     "colour means the same class of values on every map. Åland is in no model; it has a row of its own in the table.",
        "ind_map_title": "{model}: {indicator} {year}", "ind_caption": "{model}: {indicator} {year} by area",
        "ind_legend": "{unit}, year {year}", "ind_value": "Value", "outside": "Outside the models (Åland)",
        "ind_none": "The indicators have not been computed for the models' areas yet (the scorecard run is missing or failed).",
        "splits_regions": "cannot be computed: the indicator exists by welfare region only and this model splits welfare regions",
        "unavailable": "no data for this model", "ind_source": "Indicator",
    },
}
LICENCE = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)"
POPULATION_SOURCE = {lang: f"{word('population', lang)}: {word('statistics_finland', lang)}, " + text for lang, text in (
    ("fi", "kuntien väestö 31.12.2024 (väestöalueet, WFS), CC BY 4.0"),
    ("sv", "kommunernas befolkning 31.12.2024 (befolkningsområden, WFS), CC BY 4.0"),
    ("en", "population of municipalities 31 December 2024 (population areas, WFS), CC BY 4.0"))}


# --------------------------------------------------------------------------- the scorecard data

def load_site_data(site: Path) -> dict | None:
    """The scorecard notebook 06 wrote (None when it is not there: the page says so)."""
    path = Path(site) / "data" / "tulostaulu.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def value_index(data: dict) -> dict[tuple, float | None]:
    """(scenario, scope, unit, metric, statistic) -> value. Built once per page build and passed on as ``values``
    (39 builds of it took 0.46 s of the model comparison, measured)."""
    fields = data.get("value_fields") or []
    at = {f: i for i, f in enumerate(fields)}
    return {(v[at["scenario"]], v[at["scope"]], v[at["unit_code"]], v[at["metric"]], v[at["statistic"]]): v[at["value"]]
            for v in data.get("values", [])}


def scenario_rows(data: dict, models: list[str], conventions=CONVENTIONS, *, references: bool = True) -> list[str]:
    """Scenario ids: each model under each convention, then (under 'as in the source') the computed optimum
    references; in the given model order."""
    out = []
    for conv in conventions:
        out += [f"{m}__{conv}" for m in models if f"{m}__{conv}" in data.get("scenarios", {})]
        if references and conv == "lahteen_mukaan":
            out += [s for s in data.get("scenarios", {}) if s.startswith("optimi_") and s.endswith("__lahteen_mukaan")]
    return out


def scorecard_frame(data: dict, scenarios: list[str], lang: str, values: dict | None = None) -> pd.DataFrame:
    """The compact scorecard: a row per scenario, the key criteria as columns (labels in ``lang``)."""
    t = TEXT[lang]
    values = value_index(data) if values is None else values
    i = LANGS.index(lang)
    rows = []
    for sc in scenarios:
        meta = data["scenarios"][sc]
        model_label = meta["label"][lang].split(", ")[0] if meta["model"] not in model_names() else load_model(meta["model"]).label(lang)
        row = {t["model"]: model_label, t["convention"]: short(STAFFING_LABELS.get(meta["staffing"], {}).get(lang, "")),
               t["staffing"]: short(meta["staffing_label"][lang])}
        for _, metric, stat, _, labels in KEY_CRITERIA:
            v = values.get((sc, "model", "", metric, stat))
            row[labels[i]] = float("nan") if v is None else float(v)
        rows.append(row)
    return pd.DataFrame(rows)


def short(label: str) -> str:
    """A convention's name without its explanation in brackets (the explanation is listed under the table)."""
    return label.split(" (")[0]


def scorecard_tables(data: dict, models: list[str], lang: str, *, page: Path, references: bool = True,
                     values: dict | None = None) -> list[dict]:
    """One compact scorecard table per staffing convention (captioned with the convention in words)."""
    out = []
    for conv in CONVENTIONS:
        scenarios = scenario_rows(data, models, (conv,), references=references)
        if scenarios:
            caption = f"{TEXT[lang]['convention']}: {short(STAFFING_LABELS[conv][lang])}"
            out.append(scorecard_table(data, scenarios, lang, page=page, name=f"tulostaulu-{conv.replace('_', '-')}", caption=caption,
                                       with_convention=False, values=values))
    return out


def scorecard_table(data: dict, scenarios: list[str], lang: str, *, page: Path, name: str, caption: str,
                    with_convention: bool = True, values: dict | None = None) -> dict:
    """The compact scorecard as table data with its CSV and metadata beside ``page``; rows carry data-model."""
    from helpers.site.downloads import table_files

    t = TEXT[lang]
    df = scorecard_frame(data, scenarios, lang, values)
    if not with_convention:
        df = df.drop(columns=[t["convention"]])
    i = LANGS.index(lang)
    decimals = {labels[i]: d for _, _, _, d, labels in KEY_CRITERIA}
    rows = []
    for r in df.itertuples(index=False):
        cells = []
        for col, v in zip(df.columns, r):
            cells.append(num(fmt_number(v, decimals[col], lang) if v == v else "–") if col in decimals else cell(v))
        rows.append(cells)
    models = [data["scenarios"][sc]["model"] for sc in scenarios]
    downloads = table_files(df, page=page, name=name, title=caption, sources=scorecard_sources(data, lang), licence=LICENCE,
                            definitions={labels[i]: f"{metric} ({stat})" for _, metric, stat, _, labels in KEY_CRITERIA},
                            decimals=decimals, lang=lang)
    return table(rows, caption=caption, header=list(df.columns), cls="tulostaulu", downloads=downloads,
                 row_attrs=[{"model": m} for m in models])


def scorecard_sources(data: dict | None, lang: str) -> list[str]:
    lines = [POPULATION_SOURCE[lang]]
    by_lang = (data or {}).get("sources_by_lang")
    found = by_lang.get(lang) if isinstance(by_lang, dict) else None
    lines += [str(s) for s in (found if isinstance(found, list) else (data or {}).get("sources", [])) if isinstance(s, str)]
    return list(dict.fromkeys(lines))


# --------------------------------------------------------------------------- unit maps

@lru_cache(maxsize=16)
def _layer(model: str, year: int):
    layer = unit_layer(model, year)
    for lang in ("sv", "en"):  # a unit named in Finnish only (the 2021 build): its words in the page's language
        own = layer[f"name_{lang}"] if f"name_{lang}" in layer.columns else pd.Series(None, index=layer.index)
        layer[f"name_{lang}"] = [area_name(n if isinstance(n, str) and n else fi, lang) for n, fi in zip(own, layer["name_fi"])]
    return layer


@lru_cache(maxsize=2)
def frame(year: int):
    """One frame for every unit map (mainland Finland: every model leaves Åland out), so all share a scale."""
    return country_frame(year, mainland=True, width=400)


def model_map(model: str, year: int, lang: str, *, map_id: str | None = None) -> dict:
    m = load_model(model)
    layer = _layer(model, year)
    return unit_map_data(layer, frame(year), map_id=map_id or model, lang=lang,
                         title=TEXT[lang]["map_title"].format(model=m.label(lang), n=len(layer)),
                         source=[f"{TEXT[lang]['model_source']}: {source_text(model, lang)}", boundary_attribution(year, lang)])


@lru_cache(maxsize=16)
def unit_regions(model: str, year: int) -> dict[str, list[str]]:
    """Unit code -> the welfare regions (codes) it covers, wholly or in part."""
    key = municipality_key(year)[["kunta_code", "hyvinvointialue_code"]]
    res = resolve(model, year).merge(key, on="kunta_code")
    return {code: sorted(set(g["hyvinvointialue_code"])) for code, g in res.groupby("unit_code")}


def region_names(year: int, lang: str) -> dict[str, str]:
    key = municipality_key(year).drop_duplicates("hyvinvointialue_code")
    return dict(zip(key["hyvinvointialue_code"], key[f"hyvinvointialue_name_{lang}"].fillna(key["hyvinvointialue_name_fi"])))


def units_table(data: dict | None, model: str, year: int, lang: str, *, page: Path, site: Path, shapes: list[dict],
                names: dict[str, str] | None = None, values: dict | None = None) -> dict:
    """A model's units in the map's numbering: population, person-years and residents per person-year under the
    decision table's one rule (``helpers.models.decision``), and the welfare regions each covers, linked to their
    profiles."""
    from helpers.site.downloads import table_files
    from helpers.site.pages import _href

    t = TEXT[lang]
    values = values if values is not None else value_index(data) if data else {}
    sc = f"{model}__sama_per_yksikko"
    # The worker count per unit under the decision table's rule (the same rule for every model), when it is computed.
    dec = (data or {}).get("decision") or {}
    col = next((c for c in dec.get("columns", []) if c["id"] == model), None)
    seats = {}
    if col is not None:
        allocated = col["variants"][dec["rule"]["headline"]]["seats"]
        seats = dict(zip(col["unit_codes"], allocated)) if allocated else {}
    elif model in dec.get("others", {}):
        other = dec["others"][model]
        allocated = other["seats"][dec["rule"]["headline"]]
        seats = dict(zip(other["unit_codes"], allocated)) if allocated else {}
    names = names if names is not None else region_names(year, lang)
    regions = unit_regions(model, year)
    recs, rows = [], []
    for s in shapes:
        pop = values.get((sc, "unit", s["code"], "population", "value"))
        htv = seats.get(s["code"])
        per = pop / htv if pop is not None and htv else None
        codes = regions.get(s["code"], [])
        # the map's number and the unit, then the deciding figure (residents per person-year): what a phone shows
        # without scrolling
        recs.append({t["nro"]: s["n"], t["unit"]: s["name"], t["per_htv"]: float("nan") if per is None else per,
                     t["population"]: float("nan") if pop is None else pop, t["htv"]: float("nan") if htv is None else htv,
                     t["regions"]: ", ".join(names.get(c, c) for c in codes)})
        region_links = [{"text": names.get(c, c), "href": _href(page_in(site, f"alueet/{c}.html", lang), page)} for c in codes]
        rows.append([num(s["n"]), s["name"], num(fmt_number(per, 0, lang) if per is not None else MISSING_LABEL[lang]),
                     num(fmt_number(pop, 0, lang) if pop is not None else MISSING_LABEL[lang]),
                     num(fmt_number(htv, 0, lang) if htv is not None else MISSING_LABEL[lang]), {**cell(""), "links": region_links}])
    df = pd.DataFrame(recs)
    caption = t["unit_caption"].format(model=load_model(model).label(lang))
    downloads = table_files(df, page=page, name=f"yksikot-{model.replace('_', '-')}", title=caption,
                            sources=[POPULATION_SOURCE[lang], source_text(model, lang)], licence=LICENCE,
                            decimals={t["population"]: 0, t["htv"]: 0, t["per_htv"]: 0}, lang=lang)
    return table(rows, caption=caption, header=list(df.columns), downloads=downloads)


# --------------------------------------------------------------------------- an indicator on the units

DEFAULT_INDICATOR = "vanhushuoltosuhde"  # what researchers asked for first: the old-age dependency ratio by unit
CLASSES = 5


def indicator_classes(ui: dict, indicator: str, decimals: int | None = None) -> list[float]:
    """Upper bounds of the indicator's value classes over the mapped units of every model, so one colour means the
    same values on every map whichever models are chosen; a map of few units (the 5 + 1 models) gets its units'
    values apart (classify.class_breaks, groups); Åland is not on the maps and not in the fit."""
    from helpers.figures.classify import class_breaks

    pairs = [(name, v) for name, m in ui["models"].items() for code, v in (m["values"].get(indicator) or {}).items()
             if code != ui["outside"] and v is not None]
    return [float(b) for b in class_breaks(pd.Series([v for _, v in pairs], dtype="float64"), "quantiles", CLASSES,
                                           decimals=decimals, groups=[name for name, _ in pairs])]


def class_of(value, breaks: list[float]) -> int | None:
    """The class index of a value (the first upper bound at or above it; above the last: the top class), as the page's
    script finds it."""
    if value is None or pd.isna(value) or not breaks:
        return None
    return next((i for i, b in enumerate(breaks) if value <= b), len(breaks) - 1)


def indicator_view(data: dict | None, models: list[str], maps: list[dict], year: int, lang: str) -> dict | None:
    """The indicator section's content for one language: per indicator its classes (colours and labels), legend title
    and source; per model its units in the map's numbering with value and text per indicator, Åland's row, and why a
    model has no values. The default indicator is drawn in the page (readable without the script); the rest is the
    page's JSON the script draws from. None when the site data has no indicators."""
    from helpers.figures.maps import _palette
    from helpers.figures.classify import class_labels
    from helpers.sources.citations import reader_source

    ui = (data or {}).get("unit_indicators")
    if not ui or not ui.get("indicators"):
        return None
    t = TEXT[lang]
    indicators, order = {}, []
    for meta in ui["indicators"]:
        ind, unit = meta["id"], meta["unit"]
        dec = unit_decimals(unit)
        values = [v for m in ui["models"].values() for c, v in (m["values"].get(ind) or {}).items() if c != ui["outside"] and v is not None]
        breaks = indicator_classes(ui, ind, dec)
        colours = _palette("viridis", max(len(breaks), 1))
        classes = [{"upper": b, "colour": c, "label": label}
                   for b, c, label in zip(breaks, colours, class_labels(values, breaks, decimals=dec, lang=lang))]
        name = meta["name"][lang]
        # the dependency ratio's name spells its unit out already
        said = unit == "%" or unit in name or unit_text(unit, lang) in name or unit == "65+/100 15–64"
        header = f"{name} {meta['year']}" if said else f"{name} {meta['year']} ({unit_text(unit, lang)})"
        indicators[ind] = {"name": name, "year": meta["year"], "unit": unit_text(unit, lang), "decimals": dec, "classes": classes,
                           "header": header,
                           "legend": t["ind_legend"].format(unit=unit_text(unit, lang), year=meta["year"]),
                           "source": f"{t['ind_source']}: {reader_source(meta['source'], lang)}"}
        order.append(ind)
    default = DEFAULT_INDICATOR if DEFAULT_INDICATOR in indicators else order[0]
    per_model, blocks = {}, []
    for m, mp in zip(models, maps):
        held = ui["models"].get(m) or {"values": {}, "missing": {}}
        codes = [s["code"] for s in mp["shapes"]]
        values, outside, missing = {}, {}, {}
        for ind in order:
            got = held["values"].get(ind)
            if got is None:
                missing[ind] = t.get(held["missing"].get(ind, "unavailable"), t["unavailable"])
                continue
            dec, unit = indicators[ind]["decimals"], ui_unit(ui, ind)
            values[ind] = [[got.get(c), value_text(got.get(c), unit, dec, lang)] for c in codes]
            if ui["outside"] in got:
                v = got[ui["outside"]]
                outside[ind] = [v, value_text(v, unit, dec, lang)]
        per_model[m] = {"codes": codes, "values": values, "outside": outside, "missing": missing}
        shown = {**per_model[m], "numbers": [s["n"] for s in mp["shapes"]], "names": [s["name"] for s in mp["shapes"]]}
        blocks.append(_indicator_block(m, indicators[default], default, shown, ui["outside"], lang))
    page_data = {"default": default, "order": order, "indicators": indicators, "models": per_model,
                 "missing": {"colour": MISSING_COLOUR, "label": MISSING_LABEL[lang]},
                 "text": {k: t[k] for k in ("ind_map_title", "ind_caption", "outside")},
                 "labels": {m: load_model(m).label(lang) for m in models}}
    return {"options": [{"id": i, "label": f"{indicators[i]['name']} ({indicators[i]['year']})", "selected": i == default} for i in order],
            "blocks": blocks, "data": page_data, "sources": list(dict.fromkeys(indicators[i]["source"] for i in order))}


def ui_unit(ui: dict, indicator: str) -> str:
    """The catalogue's unit of an indicator in the site data."""
    return next(m["unit"] for m in ui["indicators"] if m["id"] == indicator)


def value_text(value, unit: str, decimals: int, lang: str) -> str:
    """A value as the page writes it: '25,3 %' for a share, else the number alone (the unit is in the header and the
    legend); a missing value in the language's words."""
    from helpers.base.numbers import fmt_percent

    return fmt_percent(value, decimals, lang) if unit == "%" else fmt_number(value, decimals, lang)


def _indicator_block(model: str, meta: dict, indicator: str, held: dict, outside_code: str, lang: str) -> dict:
    """One model's figure (legend and source; the script draws the map from the model's unit map) and table, for the
    default indicator."""
    t = TEXT[lang]
    label = load_model(model).label(lang)
    vals = held["values"].get(indicator)
    rows = [{"n": n, "name": name, "code": code, "text": vals[i][1] if vals else "–"}
            for i, (code, n, name) in enumerate(zip(held["codes"], held["numbers"], held["names"]))]
    # Åland's row is always there (the script fills it for each indicator); "–" where a model has no value for it.
    rows.append({"n": "", "name": t["outside"], "code": outside_code, "text": held["outside"][indicator][1] if indicator in held["outside"] else "–"})
    return {"model": model, "title": t["ind_map_title"].format(model=label, indicator=meta["name"], year=meta["year"]),
            "caption": t["ind_caption"].format(model=label, indicator=meta["name"], year=meta["year"]),
            "classes": meta["classes"], "legend": meta["legend"], "rows": rows, "note": held["missing"].get(indicator, ""),
            "source": [meta["source"], f"{t['model_source']}: {source_text(model, lang)}"],
            "header": [t["nro"], t["unit"], meta["header"]]}


# --------------------------------------------------------------------------- the page

def model_view_link(model: str) -> str:
    """The model view's hash for a model, paired with the 18+1 model (or 18+1 with the erva-based 5+1)."""
    other = DEFAULT_PAIR[1] if model == DEFAULT_PAIR[0] else DEFAULT_PAIR[0]
    return f"{PAGE}#{other},{model}" if model != DEFAULT_PAIR[0] else f"{PAGE}#{model},{other}"


STAMP = ".mallit.inputs.json"  # in the site folder: what the model comparison was last built from, and its files


def _view_inputs(data: dict | None, year: int, langs) -> str:
    from helpers.geo.municipality_key import key_inputs
    from helpers.base.hashing import code_version

    payload = json.dumps([code_version(), key_inputs(year), list(langs), data], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _view_files(pages: list[Path]) -> list[Path]:
    # each page and its downloads (``<page stem>.<name>.csv/.json`` beside it, helpers.site.downloads.table_files)
    return sorted({p for page in pages for p in [page, *page.parent.glob(f"{page.stem}.*.csv"), *page.parent.glob(f"{page.stem}.*.json")]})


def _unchanged(site: Path, inputs: str) -> list[Path] | None:
    """The pages of the last build when it had the same inputs and its files are as it wrote them, else None."""
    from helpers.base.hashing import file_sha

    try:
        stamp = json.loads((site / STAMP).read_text(encoding="utf-8"))
        if stamp.get("inputs") != inputs:
            return None
        for rel, sha in stamp["files"].items():
            if file_sha(site / rel) != sha:
                return None
        return [site / rel for rel in stamp["pages"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_model_view(site: Path, data: dict | None, year: int = 2025, langs=LANGS) -> list[Path]:
    """The model comparison in each language. Not written again when the models, the code, the boundary answers and
    the site data are what the last build used and its files are untouched (1.9 s of every refresh, measured)."""
    site = Path(site)
    inputs = _view_inputs(data, year, langs)
    kept = _unchanged(site, inputs)
    if kept is not None:
        return kept
    written = _write_model_view(site, data, year, langs)
    from helpers.base.files import atomic_write_text
    from helpers.base.hashing import file_sha

    stamp = {"inputs": inputs, "pages": [p.relative_to(site).as_posix() for p in written],
             "files": {p.relative_to(site).as_posix(): file_sha(p) for p in _view_files(written)}}

    atomic_write_text(site / STAMP, json.dumps(stamp, indent=1) + "\n")
    return written


def _write_model_view(site: Path, data: dict | None, year: int, langs) -> list[Path]:
    from helpers.site.builder import TEXT as BUILDER_TEXT
    from helpers.site.decision_tables import decision_table, sources_view_table

    models = model_names()
    # The 18+1 and the 5+1 first: the comparison the field argued about.
    models = [m for m in DEFAULT_PAIR if m in models] + [m for m in models if m not in DEFAULT_PAIR]
    values = value_index(data) if data else {}
    written = []
    for lang in langs:
        t = TEXT[lang]
        page = page_in(site, PAGE, lang)
        maps = [model_map(m, year, lang) for m in models]
        names = region_names(year, lang)
        units = [{"model": m, "title": t["units"].format(model=load_model(m).label(lang)),
                  "table": units_table(data, m, year, lang, page=page, site=site, shapes=mp["shapes"], names=names, values=values)}
                 for m, mp in zip(models, maps)]
        dec = (data or {}).get("decision")
        sources = scorecard_sources(data, lang)
        indicator = indicator_view(data, models, maps, year, lang)
        context = {
            "t": t, "models": [{"id": m, "label": load_model(m).label(lang), "checked": m in DEFAULT_PAIR} for m in models],
            "builder": {"href": "oma.html", "label": BUILDER_TEXT[lang]["title"], "text": BUILDER_TEXT[lang]["description"]},
            "maps": maps, "units": units, "indicator": indicator,
            "decision": decision_table(dec, lang, page=page, sources=sources) if dec else None,
            "sources_view": sources_view_table(dec, lang, page=page, sources=sources) if dec else None,
            "rule_why": dec["rule"]["why_headline"][lang] if dec else "",
            "notes": [(data or {}).get("notes", {}).get(lang, "")] if data else [],
            "source_lines": scorecard_sources(data, lang) + (indicator["sources"] if indicator else []) + [boundary_attribution(year, lang)],
        }
        written.append(write_page(page, title=t["title"], template="model_view.html.j2", context=context, lang=lang,
                                  description=t["description"], data_year=year, site=site))
    return written
