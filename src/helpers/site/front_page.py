"""The front page (``site/index.html``, ``site/sv/index.html``, ``site/en/index.html``): the answer first. The 18+1
and 5+1 structures side by side on one frame with their units numbered and listed, the compact scorecard of every
model per staffing convention, the findings in words, then the ways in (models, indicators, regions, surveys,
sources) and what the latest refresh did (failed runs, notices)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from helpers.site.model_view import DEFAULT_PAIR, PAGE as MODEL_PAGE, model_map, scorecard_sources, scorecard_tables
from helpers.models.model_files import model_names
from helpers.site.pages import LANGS, NAV, _href, page_in, write_page

TEXT = {
    "fi": {
        "title": "Sote-järjestökartat", "description": "Järjestöjen alueellisen tukirakenteen mallit ja alueelliset tunnusluvut: vastaus ensin",
        "lead": "Miten järjestöjen alueellinen tukirakenne kannattaisi jakaa? Alla Sotunetin 18+1-malli (yksi työntekijä kuhunkin "
                "maakuntaan) ja SOSTEn 5+1-malli (viisi erva-aluetta) samassa mittakaavassa, kaikkien mallien tunnusluvut ja niistä "
                "lasketut havainnot.",
        "maps": "18+1 ja 5+1 kartalla", "scorecard": "Kaikki mallit: keskeiset tunnusluvut", "findings": "Havainnot",
        "scorecard_intro": "Asukkaita henkilötyövuotta kohden: mitä lähempänä suurimman ja pienimmän suhde on yhtä, sitä tasaisemmin "
                           "työ jakautuu. Henkilöstökäytäntö kertoo, millä oletuksella malleja verrataan.",
        "no_data": "Tunnuslukuja ei ole vielä laskettu (tulostaulun ajo puuttuu tai epäonnistui).",
        "more": "Lisää", "compare": "Vertaa mitä tahansa kahta tai kolmea mallia",
        "entries": {"mallit/index.html": "Mallit kartalla ja tunnusluvut, valitse vertailtavat",
                    "indikaattorit/index.html": "Väestö, ikärakenne ja Sotkanetin tunnusluvut kartalla ja taulukkona",
                    "alueet/index.html": "Hyvinvointialueiden profiilit ja aluerajat",
                    "kyselyt/kyselyt_2020_2021.html": "Kysely tukirakenteesta 2020 ja tilannekuvakysely 2021",
                    "lahteet.html": "Tietolähteet, lisenssit, hakuajat ja menetelmä"},
        "refresh": "Päivitys", "refreshed": "Päivitetty {t} (UTC): {ok} ajoa onnistui, {failed} epäonnistui, {skipped} ohitettiin muuttumattomina.",
        "failed": "Viimeisin päivitys epäonnistui näissä ajoissa; niiden sivut ovat edelliseltä onnistuneelta ajolta:",
        "notices": "Huomautukset päivityksestä:",
    },
    "sv": {
        "title": "Sote-järjestökartat", "description": "Modellerna för organisationernas regionala stödstruktur och regionala nyckeltal: svaret först",
        "lead": "Hur borde organisationernas regionala stödstruktur delas in? Nedan Sotunets 18+1-modell (en arbetstagare i varje "
                "landskap) och SOSTEs 5+1-modell (fem specialupptagningsområden) i samma skala, alla modellers nyckeltal och "
                "iakttagelser räknade ur dem.",
        "maps": "18+1 och 5+1 på kartan", "scorecard": "Alla modeller: centrala nyckeltal", "findings": "Iakttagelser",
        "scorecard_intro": "Invånare per årsverke: ju närmare ett förhållandet mellan det största och det minsta är, desto jämnare "
                           "fördelas arbetet. Personalantagandet anger på vilket antagande modellerna jämförs.",
        "no_data": "Nyckeltalen har ännu inte räknats (körningen av resultattavlan saknas eller misslyckades).",
        "more": "Mer", "compare": "Jämför vilka två eller tre modeller som helst",
        "entries": {"mallit/index.html": "Modellerna på kartan och nyckeltalen, välj vilka som jämförs",
                    "indikaattorit/index.html": "Befolkning, åldersstruktur och Sotkanets nyckeltal på karta och i tabell",
                    "alueet/index.html": "Välfärdsområdenas profiler och områdesgränser",
                    "kyselyt/kyselyt_2020_2021.html": "Enkäten om stödstrukturen 2020 och lägesenkäten 2021",
                    "lahteet.html": "Datakällor, licenser, hämtningstider och metod"},
        "refresh": "Uppdatering", "refreshed": "Uppdaterad {t} (UTC): {ok} körningar lyckades, {failed} misslyckades, {skipped} hoppades över som oförändrade.",
        "failed": "Den senaste uppdateringen misslyckades i dessa körningar; deras sidor är från den senaste lyckade körningen:",
        "notices": "Anmärkningar om uppdateringen:",
    },
    "en": {
        "title": "Sote-järjestökartat", "description": "Models of the NGOs' regional support structure and regional key figures: the answer first",
        "lead": "How should the NGOs' regional support structure be divided? Below, Sotunet's 18+1 model (one worker in every "
                "maakunta) and SOSTE's 5+1 model (five special responsibility areas) at the same scale, the key figures of every "
                "model and the findings computed from them.",
        "maps": "18+1 and 5+1 on the map", "scorecard": "Every model: the key figures", "findings": "Findings",
        "scorecard_intro": "Population per person-year: the closer the ratio of the largest to the smallest is to one, the more evenly "
                           "the work is spread. The staffing convention says on which assumption the models are compared.",
        "no_data": "The key figures have not been computed yet (the scorecard run is missing or failed).",
        "more": "More", "compare": "Compare any two or three models",
        "entries": {"mallit/index.html": "The models on maps and their key figures, pick which to compare",
                    "indikaattorit/index.html": "Population, age structure and Sotkanet indicators on maps and in tables",
                    "alueet/index.html": "Profiles of the welfare regions and boundary maps",
                    "kyselyt/kyselyt_2020_2021.html": "The 2020 support-structure survey and the 2021 situation survey",
                    "lahteet.html": "Data sources, licences, retrieval times and method"},
        "refresh": "Refresh", "refreshed": "Refreshed {t} (UTC): {ok} runs succeeded, {failed} failed, {skipped} skipped as unchanged.",
        "failed": "The latest refresh failed in these runs; their pages are from the last successful run:",
        "notices": "Notes from the refresh:",
    },
}


def refresh_summary(manifest: dict | None, lang: str) -> dict:
    """What the refresh did, from the manifest: the time, the counts, the failed runs and every run's notices."""
    t = TEXT[lang]
    manifest = manifest or {}
    when = (manifest.get("refreshed_at") or datetime.now(timezone.utc).isoformat(timespec="seconds"))[:16].replace("T", " ")
    runs = manifest.get("runs") or {}
    runs = runs if isinstance(runs, dict) else {}
    counts = {"ok": 0, "failed": 0, "skipped": 0, **(manifest.get("counts") or {})}
    failed = [str(r.get("name", k)) + (f": {r.get('error')}" if r.get("error") else "") for k, r in runs.items()
              if isinstance(r, dict) and r.get("status") == "failed"]
    notices = sorted({f"{r.get('name', k)}: {n}" for k, r in runs.items() if isinstance(r, dict) for n in (r.get("notices") or [])})
    return {"line": t["refreshed"].format(t=when, **{k: counts.get(k, 0) for k in ("ok", "failed", "skipped")}),
            "failed": [f[:300] for f in failed], "notices": [n[:300] for n in notices]}


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
        context = {
            "t": t, "maps": maps, "scorecards": scorecard_tables(data, models, lang, page=page) if data else [],
            "findings": list((data or {}).get("findings", {}).get(lang, [])), "entries": entries,
            "compare_href": _href(page_in(site, MODEL_PAGE, lang), page) + "#" + ",".join(DEFAULT_PAIR),
            "refresh": refresh_summary(manifest, lang), "source_lines": scorecard_sources(data, lang),
        }
        written.append(write_page(page, title=t["title"], template="index.html.j2", context=context, lang=lang,
                                  description=t["description"], data_year=year, site=site))
    return written
