"""The front page (``site/index.html``, ``site/sv/index.html``, ``site/en/index.html``): the answer first. The findings
(at most eight, each naming the staffing rule it assumes), the decision table (every model under one rule, a verdict per
criterion; ``helpers.models.decision``), the same without a floor, staffing as the sources give it, the survey's and the
association counts' caveats, then the 18+1 and 5+1 structures side by side on one frame, the ways in (models,
indicators, regions, surveys, sources) and what the latest refresh did (failed runs, notices)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from helpers.base.words import date_text
from helpers.models.decision import EVENNESS_SCOPE
from helpers.site.decision_tables import decision_table, sources_view_table
from helpers.site.model_view import DEFAULT_PAIR, PAGE as MODEL_PAGE, model_map, scorecard_sources
from helpers.models.model_files import model_names
from helpers.site.pages import LANGS, NAV, _href, page_in, write_page

TEXT = {
    "fi": {
        "title": "Sote-järjestökartat", "description": "Järjestöjen alueellisen tukirakenteen mallit ja alueelliset tunnusluvut: vastaus ensin",
        "lead": "Miten järjestöjen alueellinen tukirakenne kannattaisi jakaa? Vastaus ensin: kaikki mallit samalla henkilöstösäännöllä, "
                "peruste kerrallaan, ja kunkin perusteen kohdalla, kumpi malli pärjää paremmin ja kuinka paljon. Sen jälkeen Sotunetin "
                "18+1-malli ja SOSTEn 5+1-malli kartalla samassa mittakaavassa.",
        "maps": "18+1 ja 5+1 kartalla", "findings": "Vastaus lyhyesti", "decision": "Mallit samalla säännöllä",
        "no_floor": "Sama ilman lattiaa (pieni yksikkö voi jäädä ilman työntekijää)", "sources_view": "Henkilöstö lähteiden mukaan",
        "sources_view_intro": "Lähteiden omat luvut, erikseen: henkilötyövuodet ja henkilöt eivät ole samaa mittaa, eikä laskettu "
                              "vertailukohta väitä lähdettä.",
        "survey_head": "Kyselyn tuki ja sen rajat", "associations_head": "Mitä yhdistysluvut laskevat",
        "evenness_head": "Kuinka tasainen malli on kaikkien mahdollisten jakojen joukossa",
        "hist_title": "{k} yksikköä: jakojen määrä tasaisuuden mukaan", "hist_x": "suurin / pienin yksikkö väestöltään (logaritminen asteikko)",
        "hist_y": "Pylväs: jakojen määrä; viivat: tasaisin jako ja virallinen malli.", "hist_over": " Yli 100-kertaisia eroja: {n} jakoa.",
        "no_data": "Tunnuslukuja ei ole vielä laskettu (tulostaulun ajo puuttuu tai epäonnistui).",
        "more": "Lisää", "compare": "Vertaa mitä tahansa kahta tai kolmea mallia",
        "entries": {"mallit/index.html": "Mallit kartalla ja tunnusluvut, valitse vertailtavat",
                    "indikaattorit/index.html": "Väestö, ikärakenne ja Sotkanetin tunnusluvut kartalla ja taulukkona",
                    "alueet/index.html": "Hyvinvointialueiden profiilit ja aluerajat",
                    "kyselyt/kyselyt_2020_2021.html": "Kysely tukirakenteesta 2020 ja tilannekuvakysely 2021",
                    "lahteet.html": "Tietolähteet, lisenssit, hakuajat ja menetelmä"},
        "refresh": "Päivitys", "refreshed": "Päivitetty {t}.",
        "failed": "Viimeisin päivitys epäonnistui näissä ajoissa; niiden sivut ovat edelliseltä onnistuneelta ajolta:",
        "notices": "Huomautukset päivityksestä:",
        "licence_line": "Tilastokeskus, THL Sotkanet, Maanmittauslaitos: CC BY 4.0",
    },
    "sv": {
        "title": "Sote-järjestökartat", "description": "Modellerna för organisationernas regionala stödstruktur och regionala nyckeltal: svaret först",
        "lead": "Hur borde organisationernas regionala stödstruktur delas in? Svaret först: alla modeller med samma personalregel, "
                "kriterium för kriterium, och för varje kriterium vilken modell som klarar sig bättre och med hur mycket. Därefter "
                "Sotunets 18+1-modell och SOSTEs 5+1-modell på kartan i samma skala.",
        "maps": "18+1 och 5+1 på kartan", "findings": "Svaret i korthet", "decision": "Modellerna med samma regel",
        "no_floor": "Samma utan golv (en liten enhet kan bli utan arbetstagare)", "sources_view": "Personal enligt källorna",
        "sources_view_intro": "Källornas egna siffror, för sig: årsverken och personer är inte samma mått, och en beräknad referens "
                              "påstår ingen källa.",
        "survey_head": "Enkätens stöd och dess gränser", "associations_head": "Vad föreningssiffrorna räknar",
        "evenness_head": "Hur jämn en modell är bland alla möjliga indelningar",
        "hist_title": "{k} enheter: antalet indelningar efter jämnhet", "hist_x": "största / minsta enheten efter befolkning (logaritmisk skala)",
        "hist_y": "Stapel: antal indelningar; linjer: den jämnaste indelningen och den officiella modellen.", "hist_over": " Skillnader över 100 gånger: {n} indelningar.",
        "no_data": "Nyckeltalen har ännu inte räknats (körningen av resultattavlan saknas eller misslyckades).",
        "more": "Mer", "compare": "Jämför vilka två eller tre modeller som helst",
        "entries": {"mallit/index.html": "Modellerna på kartan och nyckeltalen, välj vilka som jämförs",
                    "indikaattorit/index.html": "Befolkning, åldersstruktur och Sotkanets nyckeltal på karta och i tabell",
                    "alueet/index.html": "Välfärdsområdenas profiler och områdesgränser",
                    "kyselyt/kyselyt_2020_2021.html": "Enkäten om stödstrukturen 2020 och lägesenkäten 2021",
                    "lahteet.html": "Datakällor, licenser, hämtningstider och metod"},
        "refresh": "Uppdatering", "refreshed": "Uppdaterad {t}.",
        "failed": "Den senaste uppdateringen misslyckades i dessa körningar; deras sidor är från den senaste lyckade körningen:",
        "notices": "Anmärkningar om uppdateringen:",
        "licence_line": "Statistikcentralen, THL Sotkanet, Lantmäteriverket: CC BY 4.0",
    },
    "en": {
        "title": "Sote-järjestökartat", "description": "Models of the NGOs' regional support structure and regional key figures: the answer first",
        "lead": "How should the NGOs' regional support structure be divided? The answer first: every model under one staffing rule, "
                "criterion by criterion, and for each criterion which model does better and by how much. Then Sotunet's 18+1 model "
                "and SOSTE's 5+1 model on the map at the same scale.",
        "maps": "18+1 and 5+1 on the map", "findings": "The answer in brief", "decision": "The models under one rule",
        "no_floor": "The same with no floor (a small unit may get no worker)", "sources_view": "Staffing as the sources give it",
        "sources_view_intro": "The sources' own figures, apart: person-years and persons are not the same measure, and a computed "
                              "reference claims no source.",
        "survey_head": "The survey's support and its limits", "associations_head": "What the association counts count",
        "evenness_head": "How even a model is among all possible groupings",
        "hist_title": "{k} units: groupings by evenness", "hist_x": "largest / smallest unit by population (log scale)",
        "hist_y": "Bars: number of groupings; lines: the most even grouping and the official model.", "hist_over": " Over 100-fold: {n} groupings.",
        "no_data": "The key figures have not been computed yet (the scorecard run is missing or failed).",
        "more": "More", "compare": "Compare any two or three models",
        "entries": {"mallit/index.html": "The models on maps and their key figures, pick which to compare",
                    "indikaattorit/index.html": "Population, age structure and Sotkanet indicators on maps and in tables",
                    "alueet/index.html": "Profiles of the welfare regions and boundary maps",
                    "kyselyt/kyselyt_2020_2021.html": "The 2020 support-structure survey and the 2021 situation survey",
                    "lahteet.html": "Data sources, licences, retrieval times and method"},
        "refresh": "Refresh", "refreshed": "Refreshed {t}.",
        "failed": "The latest refresh failed in these runs; their pages are from the last successful run:",
        "notices": "Notes from the refresh:",
        "licence_line": "Statistics Finland, THL Sotkanet, National Land Survey of Finland: CC BY 4.0",
    },
}


def refresh_summary(manifest: dict | None, lang: str) -> dict:
    """What the refresh did, from the manifest: the time, the counts, the failed runs and every run's notices."""
    t = TEXT[lang]
    manifest = manifest or {}
    # Finnish local time in the reader's words; how many runs ran is the manifest's business, not the reader's
    when = date_text(manifest.get("refreshed_at") or datetime.now(timezone.utc), lang, time=True)
    runs = manifest.get("runs") or {}
    runs = runs if isinstance(runs, dict) else {}
    counts = {"ok": 0, "failed": 0, "skipped": 0, **(manifest.get("counts") or {})}
    failed = [str(r.get("name", k)) + (f": {r.get('error')}" if r.get("error") else "") for k, r in runs.items()
              if isinstance(r, dict) and r.get("status") == "failed"]
    notices = sorted({f"{r.get('name', k)}: {n}" for k, r in runs.items() if isinstance(r, dict) for n in (r.get("notices") or [])})
    return {"line": t["refreshed"].format(t=when), "counts": {k: counts.get(k, 0) for k in ("ok", "failed", "skipped")},
            "failed": [f[:300] for f in failed], "notices": [n[:300] for n in notices]}


def _evenness(dec: dict, lang: str) -> list[dict]:
    """Per k: the census in words and its histogram (optimum and the official model marked)."""
    from helpers.base.numbers import fmt_number
    from helpers.figures.distribution import histogram
    from helpers.models.decision import evenness_text

    t = TEXT[lang]
    out = []
    for e in evenness_text(dec, lang):
        h = histogram(e["bins"], marks=e["marks"], title=t["hist_title"].format(k=e["k"]), x_label=t["hist_x"], y_label="",
                      fmt=lambda v, d: fmt_number(v, d, lang))
        h["y_label"] = t["hist_y"] + (t["hist_over"].format(n=fmt_number(h["overflow"], 0, lang)) if h["overflow"] else "")
        out.append({"text": e["text"], "chart": h})
    return out


def write_front_page(manifest: dict | None, site: Path, data: dict | None, year: int = 2025, langs=LANGS) -> list[Path]:
    site = Path(site)
    written = []
    models = [m for m in DEFAULT_PAIR if m in model_names()] + [m for m in model_names() if m not in DEFAULT_PAIR]
    for lang in langs:
        t = TEXT[lang]
        page = page_in(site, "index.html", lang)
        maps = [model_map(m, year, lang, map_id=f"etusivu-{m}") for m in DEFAULT_PAIR if m in models]
        entries = [{"href": _href(page_in(site, target, lang), page), "label": labels[lang], "text": t["entries"].get(target, "")}
                   for target, labels in NAV[1:]]
        from helpers.site.builder import PAGE as BUILDER, TEXT as BUILDER_TEXT

        # the builder is not a section of its own (not in the header): listed here, after the models
        entries.insert(1, {"href": _href(page_in(site, BUILDER, lang), page), "label": BUILDER_TEXT[lang]["title"],
                           "text": BUILDER_TEXT[lang]["description"]})
        dec = (data or {}).get("decision")
        sources = scorecard_sources(data, lang)
        context = {
            "t": t, "maps": maps, "entries": entries,
            "decision": decision_table(dec, lang, page=page, sources=sources) if dec else None,
            "no_floor": decision_table(dec, lang, page=page, variant="no_floor", sources=sources) if dec else None,
            "sources_view": sources_view_table(dec, lang, page=page, sources=sources) if dec else None,
            "rule_why": dec["rule"]["why_headline"][lang] if dec else "",
            "findings": list(dec["findings"][lang]) if dec else [],
            "survey_caveat": dec["survey_caveat"][lang] if dec else "",
            "associations_note": dec.get("associations_note", {}).get(lang, "") if dec else "",
            "evenness": _evenness(dec, lang) if dec else [],
            "evenness_scope": EVENNESS_SCOPE[lang],
            "compare_href": _href(page_in(site, MODEL_PAGE, lang), page) + "#" + ",".join(DEFAULT_PAIR),
            "refresh": refresh_summary(manifest, lang), "source_lines": sources,
        }
        written.append(write_page(page, title=t["title"], template="index.html.j2", context=context, lang=lang,
                                  description=t["description"], data_year=year, site=site))
    return written
