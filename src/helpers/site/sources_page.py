"""The sources and method page (``site/lahteet.html``, ``site/sv/lahteet.html``, ``site/en/lahteet.html``): every data
service with its licence and when it was last fetched, every request the refresh read (from the manifest), the cited
documents (data/lahteet.csv), what the value flags mean, the boundary generalisation note and the method.

The manifest is input like any other file: its text reaches the page only through the autoescaped template, and a
URL becomes a link only when it is an https address.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from helpers.sources import citations, flags, registry as sources, snapshot
from helpers.geo import layers as geography
from helpers.base.languages import LANGS, check_lang
from helpers.base.words import date_text
from helpers.site.pages import site_dir, write_page

PAGE_NAME = "lahteet.html"
FOLDER = {"fi": "", "sv": "sv", "en": "en"}

TEXT = {
    "fi": {
        "title": "Lähteet ja menetelmä", "description": "Tietolähteet, lisenssit, hakuajat, asiakirjat ja menetelmä",
        "services": "Tietolähteet", "service": "Lähde", "attribution": "Mainitse näin", "licence": "Lisenssi",
        "fetched": "Haettu viimeksi", "requests": "Hakuja", "origin": "Mistä luettu",
        "inputs": "Haetut aineistot", "inputs_intro": "Jokainen päivityksen lukema kysely: aineisto (linkki kyselyn osoitteeseen), hakuaika ja sisällön tarkiste (sha256).",
        "url": "Aineisto", "time": "Haettu", "sha": "sha256 (alku)",
        "documents": "Asiakirjat", "documents_intro": "Mallien, kyselyjen ja sivujen alkuperäiset asiakirjat.",
        "publisher": "Julkaisija", "doc_title": "Otsikko", "date": "Päiväys", "link": "Osoite",
        "flags": "Arvojen merkinnät", "flags_intro": "Lähteen arvoon liittämät merkinnät näkyvät taulukoissa tähtinä ja alaviitteinä.",
        "flag": "Merkintä", "meaning": "Merkitys",
        "boundaries": "Aluerajat", "method": "Menetelmä",
        "method_text": [
            "Sivut tehdään Tilastokeskuksen ja THL:n Sotkanetin avoimista rajapinnoista luetuista tiedoista. Kunnat "
            "yhdistetään hyvinvointialueiksi ja muiksi alueiksi kuntapohjaisten tilastointialueiden luokituksella "
            "kunkin vuoden aluejaolla; summat ja osuudet lasketaan kuntien luvuista.",
            "Järjestöjen alueellisen tukirakenteen mallit on kirjattu asiakirjoista (alla) kuntaluetteloiksi; "
            "vertailu laskee kullekin mallin yksikölle väestön, pinta-alan ja tunnusluvut samalla tavalla.",
            "Päivitys ajetaan viikoittain; jokaisen haun osoite, aika ja tarkiste tallennetaan, joten luvut voi "
            "tarkistaa ja toistaa. Lähteen merkinnät (esim. ennakkotieto) kulkevat luvun mukana.",
        ],
        "refreshed": "Päivitetty", "mode": {"live": "suoraan lähteistä", "mirror": "offline-kopiosta", "snapshot": "projektin tallennetuista lähdevastauksista"},
        "origins": {"live": "lähde", "cache": "välimuisti", "mirror": "tallennettu vastaus"}, "none": "Ei hakuja manifestissa.",
    },
    "sv": {
        "title": "Källor och metod", "description": "Datakällor, licenser, hämtningstider, dokument och metod",
        "services": "Datakällor", "service": "Källa", "attribution": "Ange så här", "licence": "Licens",
        "fetched": "Senast hämtad", "requests": "Förfrågningar", "origin": "Läst från",
        "inputs": "Hämtade uppgifter", "inputs_intro": "Varje förfrågan uppdateringen läste: uppgifterna (länk till förfrågans adress), hämtningstid och innehållets kontrollsumma (sha256).",
        "url": "Uppgifter", "time": "Hämtad", "sha": "sha256 (början)",
        "documents": "Dokument", "documents_intro": "Originaldokumenten bakom modellerna, enkäterna och sidorna.",
        "publisher": "Utgivare", "doc_title": "Titel", "date": "Datum", "link": "Adress",
        "flags": "Markeringar av värden", "flags_intro": "Källans markeringar av ett värde visas i tabellerna som asterisker och fotnoter.",
        "flag": "Markering", "meaning": "Betydelse",
        "boundaries": "Områdesgränser", "method": "Metod",
        "method_text": [
            "Sidorna bygger på uppgifter från Statistikcentralens och THL:s (Sotkanet) öppna gränssnitt. Kommunerna "
            "förs samman till välfärdsområden och andra områden enligt klassificeringen av kommunbaserade "
            "statistikområden med respektive års indelning; summor och andelar räknas från kommunernas siffror.",
            "Modellerna för organisationernas regionala stödstruktur har förts in från dokumenten (nedan) som "
            "kommunlistor; jämförelsen räknar befolkning, areal och nyckeltal för varje enhet på samma sätt.",
            "Uppdateringen körs varje vecka; varje förfrågans adress, tid och kontrollsumma sparas, så att siffrorna "
            "kan kontrolleras och upprepas. Källans markeringar (t.ex. preliminär uppgift) följer med siffran.",
        ],
        "refreshed": "Uppdaterad", "mode": {"live": "direkt från källorna", "mirror": "från en offlinekopia", "snapshot": "från projektets sparade källsvar"},
        "origins": {"live": "källan", "cache": "cache", "mirror": "sparat svar"}, "none": "Inga förfrågningar i manifestet.",
    },
    "en": {
        "title": "Sources and method", "description": "Data sources, licences, retrieval times, documents and method",
        "services": "Data sources", "service": "Source", "attribution": "Attribute as", "licence": "Licence",
        "fetched": "Last fetched", "requests": "Requests", "origin": "Read from",
        "inputs": "Data retrieved", "inputs_intro": "Every request the refresh read: the data (linked to the request's address), time of retrieval and checksum of the content (sha256).",
        "url": "Data", "time": "Fetched", "sha": "sha256 (start)",
        "documents": "Documents", "documents_intro": "The original documents behind the models, surveys and pages.",
        "publisher": "Publisher", "doc_title": "Title", "date": "Date", "link": "Address",
        "flags": "Value flags", "flags_intro": "Flags a source puts on a value appear in the tables as asterisks and footnotes.",
        "flag": "Flag", "meaning": "Meaning",
        "boundaries": "Boundaries", "method": "Method",
        "method_text": [
            "The pages are made from data read from the open interfaces of Statistics Finland and THL's Sotkanet. "
            "Municipalities are grouped into welfare regions and other areas with the classification of "
            "municipality-based statistical areas for each year's division; sums and shares are computed from the "
            "municipalities' figures.",
            "The models of the NGOs' regional support structure were transcribed from the documents (below) as lists "
            "of municipalities; the comparison computes population, area and indicators for every unit the same way.",
            "The refresh runs weekly; each request's address, time and checksum are recorded, so the figures can be "
            "checked and reproduced. A source's flags (e.g. preliminary figure) travel with the figure.",
        ],
        "refreshed": "Refreshed", "mode": {"live": "from the sources", "mirror": "from an offline copy", "snapshot": "from the project's recorded answers"},
        "origins": {"live": "source", "cache": "cache", "mirror": "recorded answer"}, "none": "No requests in the manifest.",
    },
}
LICENCE_URLS = {sources.CC_BY_4: sources.CC_BY_4_URL}


def _https(url) -> str:
    """The URL if it is an https address (a link on the page), else "" (shown as text only)."""
    return url if isinstance(url, str) and url.startswith("https://") and not any(c.isspace() for c in url) else ""


def _run_inputs(manifest: Mapping | None) -> list[dict]:
    """Every input of every run (a failed run's last successful inputs), once per source + method + URL + body; the
    latest fetch of each."""
    found: dict[tuple, dict] = {}
    runs = (manifest or {}).get("runs") or {}
    for run in runs.values() if isinstance(runs, Mapping) else []:
        if not isinstance(run, Mapping):
            continue
        inputs = run.get("inputs") if run.get("status") == "ok" else (run.get("last_success") or {}).get("inputs")
        for rec in inputs or run.get("inputs") or []:
            if not isinstance(rec, Mapping):
                continue
            key = tuple(str(rec.get(k, "")) for k in ("source", "method", "url", "body"))
            if key not in found or str(rec.get("fetched_at") or "") > str(found[key].get("fetched_at") or ""):
                found[key] = dict(rec)
    return sorted(found.values(), key=lambda r: (str(r.get("source", "")), str(r.get("url", "")), str(r.get("body", ""))))


def _time(value, lang: str = "fi") -> str:
    """``2025-03-03T04:17:09+00:00`` -> ``3.3.2025 klo 06.17`` (Finnish local time, in the reader's words)."""
    return date_text(value, lang, time=True) if value else ""


# What a request asked for, in the reader's words (the address itself stays the link).
_LEVELS = {"kunta": ("kunnat", "kommuner", "municipalities"), "maakunta": ("maakunnat", "landskap", "regions"),
           "hyvinvointialue": ("hyvinvointialueet", "välfärdsområden", "wellbeing services counties"),
           "yhteistyoalue": ("yhteistyöalueet", "samarbetsområden", "collaborative areas")}
_REQUEST_WORDS = {
    "boundaries": ("Aluerajat: {what} {year}", "Områdesgränser: {what} {year}", "Boundaries: {what} {year}"),
    "population": ("Kuntien väestö 31.12.{year}", "Kommunernas befolkning 31.12.{year}", "Population of municipalities 31 December {year}"),
    "table_meta": ("StatFin-taulukko {table}: kuvaus", "StatFin-tabell {table}: beskrivning", "StatFin table {table}: description"),
    "table_data": ("StatFin-taulukko {table}: luvut", "StatFin-tabell {table}: siffror", "StatFin table {table}: figures"),
    "sotkanet_data": ("Sotkanet-indikaattori {id}: luvut {years}", "Sotkanet-indikator {id}: siffror {years}", "Sotkanet indicator {id}: figures {years}"),
    "sotkanet_meta": ("Sotkanet-indikaattori {id}: kuvaus", "Sotkanet-indikator {id}: beskrivning", "Sotkanet indicator {id}: description"),
    "sotkanet_regions": ("Sotkanetin alueluettelo", "Sotkanets områdesförteckning", "Sotkanet's list of regions"),
}


def request_label(url, method: str = "GET", lang: str = "fi") -> str:
    """What a request read, for a reader (``Aluerajat: kunnat 2025``); an address the page does not know is shown
    as its host and path, never with its query (layer and parameter names); a text that is no https address as it
    is."""
    import re
    from urllib.parse import parse_qs, urlsplit

    text = str(url or "")
    i = LANGS.index(lang)
    if not _https(text):
        return text
    parts = urlsplit(text)
    query = parse_qs(parts.query)
    layer = (query.get("typeName") or query.get("typename") or [""])[0]
    if m := re.fullmatch(r"tilastointialueet:(\w+?)4500k_(\d{4})", layer):
        what = _LEVELS.get(m[1], (m[1],) * 3)[i]
        return _REQUEST_WORDS["boundaries"][i].format(what=what, year=m[2])
    if m := re.fullmatch(r"vaestoalue:kunta_vaki(\d{4})", layer):
        return _REQUEST_WORDS["population"][i].format(year=m[1])
    if m := re.search(r"/(?:statfin_\w+?_pxt_)?(\w+)\.px$", parts.path):
        return _REQUEST_WORDS["table_data" if str(method).upper() == "POST" else "table_meta"][i].format(table=m[1])
    if "sotkanet.fi" in parts.netloc:
        if parts.path.endswith("/regions"):
            return _REQUEST_WORDS["sotkanet_regions"][i]
        if m := re.search(r"/indicators/(\d+)$", parts.path):
            return _REQUEST_WORDS["sotkanet_meta"][i].format(id=m[1])
        if query.get("indicator"):
            years = sorted(query.get("years", []))
            span = (years[0] if len(years) == 1 else f"{years[0]}–{years[-1]}") if years else ""
            return _REQUEST_WORDS["sotkanet_data"][i].format(id=query["indicator"][0], years=span).strip()
    return parts.netloc + parts.path


def context(manifest: Mapping | None, lang: str = "fi") -> dict:
    t = TEXT[lang]
    inputs = _run_inputs(manifest)
    services = []
    keys = list(sources.SOURCES) + sorted({str(r.get("source")) for r in inputs} - set(sources.SOURCES))
    for key in keys:
        mine = [r for r in inputs if str(r.get("source")) == key]
        src = sources.SOURCES.get(key)
        licence = (src.licence if src else "") or next((str(r.get("licence")) for r in mine if r.get("licence")), "")
        services.append({
            "name": src.title(lang) if src else key,
            "attribution": src.attribution(lang) if src else "",
            "licence": licence, "licence_url": LICENCE_URLS.get(licence, ""),
            "fetched": _time(max((str(r.get("fetched_at") or "") for r in mine), default=""), lang),
            "requests": len(mine),
            "origins": ", ".join(t["origins"].get(o, o) for o in sorted({str(r.get("origin")) for r in mine if r.get("origin")})),
            "inputs": [{"url": request_label(r.get("url"), str(r.get("method") or "GET"), lang), "href": _https(r.get("url")),
                        "method": str(r.get("method") or ""),
                        "body": "" if r.get("body") in (None, "", {}) else str(r.get("body")),
                        "time": _time(r.get("fetched_at"), lang), "origin": t["origins"].get(str(r.get("origin")), str(r.get("origin") or "")),
                        "sha": str(r.get("sha256") or "")[:12]} for r in mine],
        })
    documents = []
    for row in citations.sources().itertuples():
        url = citations.document_url(row.key, lang)  # a Finlex page in the page's language
        documents.append({"publisher": row.publisher + (f" ({row.author})" if row.author else ""), "title": row.title,
                          "date": citations.format_date(row.date, lang), "url": url, "href": _https(url)})
    flag_rows = [{"flag": word, "meaning": meanings[LANGS.index(lang)]} for word, meanings in flags.MEANINGS.items()]
    geo = sources.SOURCES.get("geo")
    mode = str((manifest or {}).get("mode") or "")
    return {"t": t, "services": services, "documents": documents, "flag_rows": flag_rows,
            "boundary_note": geography.geometry_is_generalised_note(lang), "boundary_attribution": geo.attribution(lang) if geo else "",
            "refreshed": _time((manifest or {}).get("refreshed_at"), lang),
            "mode": t["mode"].get(mode, mode) + (f" ({snapshot.dates_text(lang)})" if mode == "snapshot" else ""),
            "any_inputs": bool(inputs)}


def page_path(site: Path, lang: str = "fi") -> Path:
    return Path(site) / FOLDER[lang] / PAGE_NAME if FOLDER[lang] else Path(site) / PAGE_NAME


def write_sources_page(manifest: Mapping | None = None, site: Path | None = None, langs=LANGS) -> list[Path]:
    """Write the sources page in each language (Finnish at the site's root, Swedish and English under sv/ and en/);
    returns the paths."""
    site = Path(site or site_dir())
    written = []
    for lang in langs:
        t = TEXT[check_lang(lang)]
        written.append(write_page(page_path(site, lang), title=t["title"], template="sources.html.j2", context=context(manifest, lang),
                                  lang=lang, description=t["description"], data_year="", site=site))
    return written
