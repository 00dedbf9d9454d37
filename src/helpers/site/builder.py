"""The model builder: ``site/mallit/oma.html`` (fi, sv, en), where a reader draws a support structure of whole
welfare-region areas on the pre-drawn map and sees the scorecard's criteria for it at once, computed in the page
(``assets/builder.js``) from the per-area data ``helpers.models.builder_data`` gives, published beside the page as
``site/data/rakentaja.json`` and carried in the page as JSON (no request, so it works from ``file://``).

The criteria are those of the decision table (``helpers.models.decision``) under its staffing rule with the budget,
the method and the floor choosable; a plan the reader exports as YAML is a valid ``data/mallit/`` file, and the next
refresh shows the same numbers for it. Without the script the page shows the map and says what the script adds.
"""

from __future__ import annotations

import json
from pathlib import Path

from helpers.base.words import area_name
from helpers.base.files import atomic_write_text
from helpers.base.languages import LANGS
from helpers.figures.colours import QUALITATIVE
from helpers.figures.svgmap import country_frame, svg_shapes
from helpers.models import apportionment
from helpers.models.builder_data import builder_data
from helpers.models.decision import CRITERIA, SHORT_LABELS
from helpers.site.pages import page_in, write_page
from helpers.tables.table_cache import cached_json, digest

PAGE = "mallit/oma.html"
SCRIPT = Path("assets") / "builder.js"
DATA_FILE = Path("data") / "rakentaja.json"
COMPARE = ("malli_18_1", "malli_5_1_yta")  # the row beside the plan: 18+1 and the whole-region 5+1
# Unit colours: the site's qualitative palette, then lighter tints of it; the unit's number is on the map as well,
# so colour is never the only cue.
UNIT_COLOURS = QUALITATIVE[:-2] + ["#F5C766", "#9DD3F2", "#66C4AB", "#F6EE8E", "#66AAD1", "#E69966", "#E0AFCA",
                                   "#7F6000", "#2B6A8E", "#005940", "#8A7F00", "#003D66", "#7A3300", "#7A4764", "#BBBBBB"]

TEXT = {
    "fi": {
        "title": "Piirrä oma tukirakenne", "nav": "Oma malli",
        "description": "Kokoa järjestöjen alueellinen tukirakenne hyvinvointialueista kartalla ja näe tulostaulun tunnusluvut heti",
        "intro": "Jaa manner-Suomen 22 aluetta (21 hyvinvointialuetta ja Helsinki) yksiköihin: valitse yksikkö ja napsauta aluetta, "
                 "tai siirry kartalla nuolinäppäimillä ja valitse yksikkö numeronäppäimellä, tai käytä alla olevaa luetteloa. "
                 "Tunnusluvut lasketaan samalla säännöllä kuin mallien vertailussa. Suunnitelma tallentuu osoitteeseen, joten linkki palauttaa sen.",
        "noscript": "Rakentaja tarvitsee sivun oman skriptin; ilman sitä näkyy vain kartta. Mallien vertailu toimii ilman skriptiä.",
        "aland": "Ahvenanmaa (harmaa) ei kuulu yksiköihin, ellei sitä oteta mukaan; silloin tallennettu malli sisältää myös sen.",
        "aland_add": "Ota Ahvenanmaa (91) mukaan yksiköihin",
        "start": "Aloita", "start_from": "Lähtökohta", "empty": "Tyhjä suunnitelma", "units": "Yksiköitä (1–22)",
        "rule": "Henkilöstösääntö", "budget": "Alueelliset htv", "method": "Menetelmä", "floor": "Lattia",
        "floor_yes": "jokaiselle yksikölle vähintään 1", "floor_no": "ei lattiaa",
        "undo": "Kumoa", "redo": "Tee uudelleen", "reset": "Tyhjennä", "pick_unit": "Valittu yksikkö",
        "map": "Suunnitelma kartalla", "list": "Alueet luettelona", "area": "Alue", "unit": "Yksikkö", "none": "–",
        "results": "Tunnusluvut", "units_table": "Yksiköt", "share": "Jaa ja tallenna", "name": "Mallin nimi",
        "desc": "Kuvaus", "export_yaml": "Tallenna YAML", "export_csv": "Tallenna CSV", "import": "Avaa YAML- tai CSV-tiedosto",
        "link": "Linkki tähän suunnitelmaan", "default_name": "Oma malli", "source": "Väestö 31.12.2024: Tilastokeskus, CC BY 4.0; yhdistykset: PRH:n yhdistysrekisteri 2.1.2025",
        "data_link": "Laskennan aineisto (JSON)", "compare": "Vertailu", "back": "Mallien vertailu",
    },
    "sv": {
        "title": "Rita en egen stödstruktur", "nav": "Egen modell",
        "description": "Sätt ihop organisationernas regionala stödstruktur av välfärdsområden på kartan och se resultattavlans nyckeltal direkt",
        "intro": "Dela fastlandets 22 områden (21 välfärdsområden och Helsingfors) i enheter: välj en enhet och klicka på ett område, "
                 "eller flytta på kartan med piltangenterna och välj enhet med en siffertangent, eller använd förteckningen nedan. "
                 "Nyckeltalen räknas med samma regel som i jämförelsen av modellerna. Planen sparas i adressen, så en länk visar den igen.",
        "noscript": "Verktyget behöver sidans eget skript; utan det visas bara kartan. Jämförelsen av modellerna fungerar utan skript.",
        "aland": "Åland (grått) hör inte till enheterna om det inte tas med; då tar den sparade modellen också med det.",
        "aland_add": "Ta med Åland (91) i enheterna",
        "start": "Börja", "start_from": "Utgångspunkt", "empty": "Tom plan", "units": "Enheter (1–22)",
        "rule": "Personalregel", "budget": "Regionala årsverken", "method": "Metod", "floor": "Golv",
        "floor_yes": "minst 1 per enhet", "floor_no": "inget golv",
        "undo": "Ångra", "redo": "Gör om", "reset": "Töm", "pick_unit": "Vald enhet",
        "map": "Planen på kartan", "list": "Områdena som förteckning", "area": "Område", "unit": "Enhet", "none": "–",
        "results": "Nyckeltal", "units_table": "Enheter", "share": "Dela och spara", "name": "Modellens namn",
        "desc": "Beskrivning", "export_yaml": "Spara YAML", "export_csv": "Spara CSV", "import": "Öppna en YAML- eller CSV-fil",
        "link": "Länk till den här planen", "default_name": "Egen modell", "source": "Befolkning 31.12.2024: Statistikcentralen, CC BY 4.0; föreningar: PRH:s föreningsregister 2.1.2025",
        "data_link": "Beräkningens data (JSON)", "compare": "Jämförelse", "back": "Jämförelse av modellerna",
    },
    "en": {
        "title": "Draw your own support structure", "nav": "Own model",
        "description": "Build the NGOs' regional support structure from welfare regions on the map and see the scorecard's figures at once",
        "intro": "Divide the 22 mainland areas (21 welfare regions and Helsinki) into units: pick a unit and click an area, or move on "
                 "the map with the arrow keys and pick a unit with a number key, or use the list below. The figures follow the same "
                 "rule as the model comparison. The plan is kept in the address, so a link restores it.",
        "noscript": "The builder needs the page's own script; without it only the map shows. The model comparison works without a script.",
        "aland": "Åland (grey) is in no unit unless you add it; the saved model then includes it too.",
        "aland_add": "Include Åland (91) in the units",
        "start": "Start", "start_from": "Start from", "empty": "Empty plan", "units": "Units (1–22)",
        "rule": "Staffing rule", "budget": "Regional person-years", "method": "Method", "floor": "Floor",
        "floor_yes": "at least 1 per unit", "floor_no": "no floor",
        "undo": "Undo", "redo": "Redo", "reset": "Clear", "pick_unit": "Unit picked",
        "map": "The plan on the map", "list": "The areas as a list", "area": "Area", "unit": "Unit", "none": "–",
        "results": "Key figures", "units_table": "Units", "share": "Share and save", "name": "Model name",
        "desc": "Description", "export_yaml": "Save YAML", "export_csv": "Save CSV", "import": "Open a YAML or CSV file",
        "link": "Link to this plan", "default_name": "Own model", "source": "Population 31 Dec 2024: Statistics Finland, CC BY 4.0; associations: PRH association register 2 Jan 2025",
        "data_link": "The data behind the figures (JSON)", "compare": "Comparison", "back": "Model comparison",
    },
}

# What the script says (it never builds markup from these or from a file: text nodes only).
MESSAGES = {
    "fi": {"unit_n": "Yksikkö {n}", "plan": "Suunnitelma", "incomplete": "{n} aluetta ei vielä ole missään yksikössä: tunnusluvut lasketaan, kun jokainen alue on jossakin yksikössä.",
           "pieces": "{n} osassa", "whole": "yhtenäinen", "aland_sea": " + Ahvenanmaa meren yli", "split_units": "Yksiköitä kahdessa tai useammassa osassa: {units}. Ne on merkitty kartalle katkoviivalla.",
           "infeasible": "Ei jaettavissa: {n} yksikköä mutta {budget} htv. Ilman lattiaa ilman työntekijää jäisivät: {units}.",
           "left_out": "Ilman työntekijää: {units}.", "even": "{k} yksikköä: {share} kaikista yhtenäisistä {k} yksikön jaoista ({count}) on väestöltään vähintään yhtä tasaisia (suurin / pienin {ratio}, yksi työntekijä yksikköä kohden).",
           "even_range": "välillä {lo}–{hi} %", "even_none": "Osuus tasaisemmista jaoista lasketaan vain yhtenäisille 5 ja 6 yksikön jaoille.",
           "split_model": "{model} jakaa hyvinvointialueita ({areas}); rakentajassa on sen lähin kokonaisista alueista koottu versio (alue sille yksikölle, jossa on suurin osa sen väestöstä).",
           "loaded": "Avattu: {name}.", "bad_file": "Tiedostoa ei voitu avata: {why}. Suunnitelmasi säilyi ennallaan.",
           "bad_hash": "Osoitteen suunnitelma ei kelpaa: {why}. Suunnitelmasi säilyi ennallaan.",
           "too_big": "tiedosto on liian suuri ({kb} kt; enintään {max} kt)", "not_format": "se ei ole tämän sivun YAML- tai CSV-muotoa",
           "alias": "YAML-ankkurit, -viittaukset ja -tagit eivät ole sallittuja (rivi {line})", "yaml_syntax": "YAML-virhe rivillä {line}",
           "not_whole": "vain kokonaisista hyvinvointialueista koottu malli (basis: groups, member_level: hyvinvointialue) voidaan avata",
           "unknown": "tuntemattomat aluekoodit: {codes}", "twice": "alue kahdessa yksikössä: {areas}", "missing": "alueet puuttuvat: {areas}",
           "too_many": "yksiköitä on enemmän kuin 22", "hash_format": "muoto on #k=5&a= ja 22 merkkiä (Ahvenanmaan kanssa 23)",
           "even_aland": "Osuus tasaisemmista jaoista lasketaan vain manner-Suomen jaoille, ilman Ahvenanmaata.", "exported": "Tallennettu {file}.",
           "export_incomplete": "Jokaisen alueen on oltava jossakin yksikössä ennen tallennusta ({n} puuttuu).",
           "assigned": "{area}: yksikkö {n}", "cleared": "{area}: ei yksikköä", "undone": "Kumottu.", "redone": "Tehty uudelleen.",
           "residents": "Asukkaita", "workers": "Htv", "per_worker": "Asukkaita / htv", "assoc_per_worker": "Sote-yhdistyksiä / htv",
           "counterparts": "Hyvinvointialueita / htv", "distance": "Pisin etäisyys, km", "areas": "Alueet", "shape": "Yhtenäisyys",
           "criterion": "Tunnusluku", "largest": "suurin", "smallest": "pienin", "unit_residents": "Yksikön asukkaat: suurin / pienin"},
    "sv": {"unit_n": "Enhet {n}", "plan": "Planen", "incomplete": "{n} områden är ännu inte i någon enhet: nyckeltalen räknas när varje område hör till en enhet.",
           "pieces": "i {n} delar", "whole": "sammanhängande", "aland_sea": " + Åland över havet", "split_units": "Enheter i två eller flera delar: {units}. De är markerade med streckad linje på kartan.",
           "infeasible": "Kan inte fördelas: {n} enheter men {budget} årsverken. Utan golv skulle dessa bli utan arbetstagare: {units}.",
           "left_out": "Utan arbetstagare: {units}.", "even": "{k} enheter: {share} av alla sammanhängande indelningar i {k} enheter ({count}) är minst lika jämna i befolkning (störst / minst {ratio}, en arbetstagare per enhet).",
           "even_range": "mellan {lo} och {hi} %", "even_none": "Andelen jämnare indelningar räknas bara för sammanhängande indelningar i 5 och 6 enheter.",
           "split_model": "{model} delar välfärdsområden ({areas}); här finns den närmaste versionen av hela områden (området till den enhet som har största delen av dess befolkning).",
           "loaded": "Öppnad: {name}.", "bad_file": "Filen kunde inte öppnas: {why}. Din plan är oförändrad.",
           "bad_hash": "Planen i adressen duger inte: {why}. Din plan är oförändrad.",
           "too_big": "filen är för stor ({kb} kB; högst {max} kB)", "not_format": "den är inte i den här sidans YAML- eller CSV-format",
           "alias": "YAML-ankare, -alias och -taggar är inte tillåtna (rad {line})", "yaml_syntax": "YAML-fel på rad {line}",
           "not_whole": "bara en modell av hela välfärdsområden (basis: groups, member_level: hyvinvointialue) kan öppnas",
           "unknown": "okända områdeskoder: {codes}", "twice": "område i två enheter: {areas}", "missing": "områden saknas: {areas}",
           "too_many": "fler än 22 enheter", "hash_format": "formen är #k=5&a= och 22 tecken (23 med Åland)",
           "even_aland": "Andelen jämnare indelningar räknas bara för indelningar av fastlandet, utan Åland.", "exported": "Sparad {file}.",
           "export_incomplete": "Varje område måste höra till en enhet innan planen sparas ({n} saknas).",
           "assigned": "{area}: enhet {n}", "cleared": "{area}: ingen enhet", "undone": "Ångrat.", "redone": "Gjort om.",
           "residents": "Invånare", "workers": "Årsverken", "per_worker": "Invånare / årsverke", "assoc_per_worker": "Social- och hälsovårdsföreningar / årsverke",
           "counterparts": "Välfärdsområden / årsverke", "distance": "Längsta avstånd, km", "areas": "Områden", "shape": "Sammanhang",
           "criterion": "Nyckeltal", "largest": "störst", "smallest": "minst", "unit_residents": "Enhetens invånare: störst / minst"},
    "en": {"unit_n": "Unit {n}", "plan": "The plan", "incomplete": "{n} areas are not in a unit yet: the figures are computed once every area is in a unit.",
           "pieces": "in {n} pieces", "whole": "connected", "aland_sea": " + Åland across the sea", "split_units": "Units in two or more pieces: {units}. They are marked with a dashed line on the map.",
           "infeasible": "Cannot be allocated: {n} units but {budget} person-years. With no floor these would get no worker: {units}.",
           "left_out": "No worker: {units}.", "even": "{k} units: {share} of all connected groupings into {k} units ({count}) are at least as even in population (largest / smallest {ratio}, one worker per unit).",
           "even_range": "between {lo} and {hi} %", "even_none": "The share of more even groupings is computed for connected groupings into 5 and 6 units only.",
           "split_model": "{model} splits welfare regions ({areas}); the builder has its nearest version of whole areas (each area to the unit holding most of its population).",
           "loaded": "Opened: {name}.", "bad_file": "The file could not be opened: {why}. Your plan is unchanged.",
           "bad_hash": "The plan in the address is not valid: {why}. Your plan is unchanged.",
           "too_big": "the file is too large ({kb} kB; at most {max} kB)", "not_format": "it is not in this page's YAML or CSV format",
           "alias": "YAML anchors, aliases and tags are not allowed (line {line})", "yaml_syntax": "YAML error on line {line}",
           "not_whole": "only a model of whole welfare regions (basis: groups, member_level: hyvinvointialue) can be opened",
           "unknown": "unknown area codes: {codes}", "twice": "an area in two units: {areas}", "missing": "areas missing: {areas}",
           "too_many": "more than 22 units", "hash_format": "the form is #k=5&a= and 22 characters (23 with Åland)",
           "even_aland": "The share of more even groupings is computed for groupings of the mainland only, without Åland.", "exported": "Saved {file}.",
           "export_incomplete": "Every area must be in a unit before saving ({n} missing).",
           "assigned": "{area}: unit {n}", "cleared": "{area}: no unit", "undone": "Undone.", "redone": "Redone.",
           "residents": "Residents", "workers": "Person-years", "per_worker": "Residents / person-year", "assoc_per_worker": "Social and health associations / person-year",
           "counterparts": "Welfare regions / person-year", "distance": "Longest distance, km", "areas": "Areas", "shape": "Shape",
           "criterion": "Criterion", "largest": "largest", "smallest": "smallest", "unit_residents": "Unit residents: largest / smallest"},
}
SHOWN_CRITERIA = ("residents_ratio", "residents_max", "associations_ratio", "associations_max", "counterparts_max", "regions_max",
                  "longest_distance_km")


def builder_script() -> str:
    from helpers.base.config import PACKAGE_ASSETS_DIR

    return (PACKAGE_ASSETS_DIR / "builder.js").read_text(encoding="utf-8")


def _page_data(data: dict, lang: str) -> dict:
    """The per-area data in the form the script reads, with the labels of one language (fewer bytes per page)."""
    areas = [{"code": a["code"], "opt": not a["mainland"], "mk": a["maakunta"], "pop": a["population"], "c3": a["maakunta_associations"],
              "est": a["associations_estimate"], "name": a["name"][lang]} for a in data["areas"]]
    models = [{"id": m["id"], "label": SHORT_LABELS.get(m["id"], m["label"])[lang] if m["id"] in SHORT_LABELS else m["label"][lang],
               "split": m["split"], "aland": m["aland"], "units": [{"name": area_name(u["name"][lang], lang), "members": u["members"]} for u in m["units"]]}
              for m in data["models"]]
    criteria = {c: {"label": CRITERIA[c][0][lang], "unit": CRITERIA[c][1][lang], "decimals": CRITERIA[c][3]} for c in SHOWN_CRITERIA}
    return {"year": data["year"], "areas": areas, "edges": data["edges"], "distances": data["distances"], "models": models,
            "evenness": data["evenness"], "compare": [m for m in COMPARE if any(x["id"] == m for x in data["models"])],
            "criteria": criteria, "colours": UNIT_COLOURS}


def builder_data_cached(site_data: dict | None, year: int = 2025) -> dict:
    """The builder's per-area data; it only changes with its answers, the model files, the code or the scorecard's
    site data (kept in the table cache)."""
    return cached_json("builder_data", {"year": int(year), "site_data": digest(site_data)}, lambda: builder_data(year, site_data))


def write_builder(site: Path, site_data: dict | None, year: int = 2025, langs=LANGS) -> list[Path]:
    """The builder page in each language, its script and its data file (``site/data/rakentaja.json``)."""
    from helpers.geo.layers import attribution as boundary_attribution, load_layer

    site = Path(site)
    data = builder_data_cached(site_data, year)
    atomic_write_text(site / DATA_FILE, json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
    script = site / SCRIPT
    text = builder_script()
    if not script.is_file() or script.read_text(encoding="utf-8") != text:
        atomic_write_text(script, text)
    frame = country_frame(year, mainland=False, width=400)
    layer = load_layer("hyvinvointialue", year)
    codes = {a["code"] for a in data["areas"]}
    optional = {a["code"] for a in data["areas"] if not a["mainland"]}  # Åland: in a unit only when the reader adds it
    written = []
    for lang in langs:
        t = TEXT[lang]
        page = page_in(site, PAGE, lang)
        shapes = svg_shapes(layer, frame, name_col=f"name_{lang}" if f"name_{lang}" in layer.columns else "name_fi")
        shown = [{**s, "opt": s["code"] in optional} for s in shapes if s["code"] in codes]
        aland = [s for s in shapes if s["code"] not in codes]
        context = {
            "t": t, "shapes": shown, "aland": aland, "view_box": frame.view_box, "r": round(frame.width / 60, 1),
            "page_data": _page_data(data, lang), "messages": MESSAGES[lang],
            "models": [{"id": m["id"], "label": m["label"][lang]} for m in data["models"]],
            "methods": [{"id": k, "label": v[lang]} for k, v in apportionment.METHOD_LABELS.items()],
            "script": _rel(site / SCRIPT, page), "data_href": _rel(site / DATA_FILE, page),
            "back_href": "index.html",
            "source_lines": [t["source"], boundary_attribution(year, lang)],
        }
        written.append(write_page(page, title=t["title"], template="builder.html.j2", context=context, lang=lang,
                                  description=t["description"], data_year=year, site=site))
    return written


def _rel(target: Path, page: Path) -> str:
    from helpers.site.pages import _href

    return _href(target, page)
