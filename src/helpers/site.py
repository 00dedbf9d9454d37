"""The site for policy staff: a profile page per welfare region (and Helsinki, Åland) and the index page.

The index lists every page under ``outputs/site/`` with its one-line description and data year (read from the
page's ``<title>``, ``<meta name="description">`` and ``<meta name="data-year">``) and the refresh date.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from .errors import invalid
from .geography import attribution as boundary_attribution
from .geography import load_layer
from .indicators import catalogue, indicator_table
from .maps import category_map
from .models import load_model, model_names, resolve
from .municipality_key import municipality_key
from .numbers import fmt_value
from .pages import PLOTLY_ASSET, atomic_write_text, figure_div, site_dir, write_page

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
    rows = []
    for ind, years, shown in PROFILE_INDICATORS:
        years = years or [year]
        shown = shown or year
        reg = indicator_table(ind, years, level="hyvinvointialue", division_year=year)
        nat = indicator_table(ind, years, level="koko_maa", division_year=year)
        meta = catalogue().set_index("indicator_id").loc[ind]
        value = reg[(reg["year"] == shown) & (reg["area_code"] == region)]["value"]
        rows.append({"indicator_id": ind, "name_fi": meta["name_fi"], "unit": meta["unit"], "year": shown,
                     "region": value.item() if len(value) else float("nan"),
                     "country": nat[nat["year"] == shown]["value"].item(), "source": reg["source"].iloc[0]})
    return pd.DataFrame(rows)


def profile_models(region: str, year: int) -> pd.DataFrame:
    """The region's unit in each support model (a region split between units lists each with its municipalities)."""
    key = municipality_key(year)
    members = key.loc[key["hyvinvointialue_code"] == region, "kunta_code"]
    rows = []
    for name in model_names():
        model = load_model(name)
        res = resolve(model, year).set_index("kunta_code")
        covered = res.reindex(members)
        if covered["unit_code"].isna().all():
            rows.append({"model": model.label(), "unit": "ei mukana mallissa", "municipalities": 0})
            continue
        for unit, g in covered.dropna().groupby("unit_name_fi"):
            rows.append({"model": model.label(), "unit": unit, "municipalities": len(g)})
    return pd.DataFrame(rows)


def write_region_profile(region: str, year: int = 2025, lang: str = "fi") -> Path:
    codes = region_codes(year)
    if region not in codes:
        raise invalid("region", region, codes)
    layer = load_layer("hyvinvointialue", year)
    name = layer.set_index("code").loc[region, f"name_{lang}"]
    key = municipality_key(year)
    own = key[key["hyvinvointialue_code"] == region]
    yta = ", ".join(sorted(set(own["yhteistyoalue_name_fi"])))
    ervas = own.groupby("erva2020_name_fi").size()
    erva_text = "; ".join(f"{n} ({c} kuntaa)" if len(ervas) > 1 else n for n, c in ervas.items())
    ind = profile_indicators(region, year)
    ind_rows = "".join(
        f"<tr><td>{html.escape(r.name_fi)}</td><td class='num'>{r.year}</td><td class='num'>{html.escape(fmt_value(r.region, r.unit, 0 if r.unit in ('henkeä', 'kuntaa') else 1, lang))}</td>"
        f"<td class='num'>{html.escape(fmt_value(r.country, r.unit, 0 if r.unit in ('henkeä', 'kuntaa') else 1, lang))}</td></tr>" for r in ind.itertuples())
    mod = profile_models(region, year)
    mod_rows = "".join(f"<tr><td>{html.escape(r.model)}</td><td>{html.escape(r.unit)}</td><td class='num'>{r.municipalities}</td></tr>" for r in mod.itertuples())
    locator = category_map(layer, pd.Series("muut alueet", index=layer["code"].values).mask(layer["code"].values == region, name),
                           title=name, attribution=boundary_attribution(year, lang), order=[name, "muut alueet"],
                           colours={name: "#D55E00", "muut alueet": "#e8e8e8"})
    sources = "<br>".join(sorted(set(ind["source"])))
    facts = (f"<dl><dt>Yhteistyöalue</dt><dd>{html.escape(yta)}</dd><dt>Erityisvastuualue 2020</dt><dd>{html.escape(erva_text)}</dd>"
             f"<dt>Kuntia ({year})</dt><dd>{len(own)}</dd></dl>")
    # Tables span the page width below the locator map: side by side they clip on narrow screens.
    body = (f"<h1>{html.escape(name)}</h1>"
            f"<div class='linkitetty'><div>{figure_div(locator)}</div><div>{facts}</div></div>"
            f"<table class='levea'><caption>Keskeiset tunnusluvut alueella ja koko maassa</caption><thead><tr><th>Tunnusluku</th><th>Vuosi</th>"
            f"<th>{html.escape(name)}</th><th>Koko maa</th></tr></thead><tbody>{ind_rows}</tbody></table>"
            f"<table class='levea'><caption>Alue tukirakennemalleissa</caption><thead><tr><th>Malli</th><th>Mallin alue</th><th>Kuntia</th></tr></thead>"
            f"<tbody>{mod_rows}</tbody></table>"
            f"<p class='lahde'>{sources}<br>{boundary_attribution(year, lang)}<br>Mallit: data/mallit/ (lähteet seeds/000–004).</p>")
    return write_page(profile_path(region), title=f"Alueprofiili: {name}", body_html=body, lang=lang,
                      description=f"{name}: tunnusluvut, yhteistyöalue, erva 2020 ja alue tukirakennemalleissa", data_year=year)


_META = {"title": re.compile(r"<title>(.*?)</title>", re.S), "description": re.compile(r'<meta name="description" content="(.*?)">'),
         "data_year": re.compile(r'<meta name="data-year" content="(.*?)">')}


def page_entries(site: Path | None = None) -> list[dict]:
    site = Path(site or site_dir())
    entries = []
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site)
        if rel.parts[0] == PLOTLY_ASSET.parts[0] or rel.as_posix() == "index.html":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")[:4000]
        found = {k: (m.group(1) if (m := rx.search(text)) else "") for k, rx in _META.items()}
        entries.append({"path": rel.as_posix(), "section": rel.parts[0] if len(rel.parts) > 1 else "", **{k: html.unescape(v) for k, v in found.items()}})
    return entries


def write_index(manifest: dict | None = None, site: Path | None = None) -> Path:
    """``outputs/site/index.html``: every page with its description and data year, and the refresh date."""
    site = Path(site or site_dir())
    refreshed = (manifest or {}).get("refreshed_at") or datetime.now(timezone.utc).isoformat(timespec="seconds")
    entries = page_entries(site)
    # Which run made each page (from the manifest): its date, and a warning when its latest refresh failed.
    made_by = {}
    for run in (manifest or {}).get("runs", {}).values():
        for rel in (run.get("last_success") or {}).get("outputs", []) or run.get("outputs", []):
            made_by[rel.removeprefix("site/")] = run
    parts = [f"<h1>Sote-järjestökartat</h1><p>Alueelliset tunnusluvut hyvinvointialueittain ja järjestöjen alueellisen tukirakenteen mallit. "
             f"Päivitetty {html.escape(refreshed[:16].replace('T', ' '))} (UTC). Sivuja {len(entries)}.</p>"]

    def item(e: dict) -> str:
        run = made_by.get(e["path"], {})
        made = (run.get("last_success") or {}).get("started_at") or run.get("started_at") or ""
        notes = [f"tiedot {html.escape(e['data_year'])}"] if e["data_year"] else []
        if made:
            notes.append(f"ajettu {html.escape(made[:10])}")
        if run.get("status") == "failed":
            notes.append("<strong>viimeisin päivitys epäonnistui; sivu on edelliseltä onnistuneelta ajolta</strong>")
        return (f"<li><a href='{html.escape(e['path'])}'>{html.escape(e['title'])}</a>"
                f"{' – ' + html.escape(e['description']) if e['description'] else ''}{' (' + ', '.join(notes) + ')' if notes else ''}</li>")

    for section, title in SECTIONS.items():
        items = [e for e in entries if e["section"] == section]
        if items:
            parts.append(f"<h2>{title}</h2><ul>{''.join(item(e) for e in items)}</ul>")
    others = [e for e in entries if e["section"] not in SECTIONS]
    if others:
        parts.append(f"<h2>Muut</h2><ul>{''.join(item(e) for e in others)}</ul>")
    parts.append("<p class='lahde'>Lähteet: Tilastokeskus (StatFin, väestöalueet, kuntapohjaiset tilastointialueet; pohja-aineisto "
                 "Maanmittauslaitos) ja THL Sotkanet, lisenssi CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). "
                 "Mallit ja kyselyt: järjestökentän asiakirjat 2020–2021, lähteet kullakin sivulla.</p>")
    return write_page(site / "index.html", title="Sote-järjestökartat", body_html="".join(parts),
                      description="Hakemisto: kaikki kartat ja raportit", data_year="", site=site)
