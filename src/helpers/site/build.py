"""The site for policy staff: a profile page per welfare region (and Helsinki, Åland) and the index page.

The index lists every page under ``outputs/site/`` with its one-line description and data year (read back from the
page's ``<title>``, ``<meta name="description">`` and ``<meta name="data-year">`` with an HTML parser) and the
refresh date.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers.base.errors import invalid
from helpers.geo.layers import attribution as boundary_attribution
from helpers.geo.layers import load_layer
from helpers.tables.indicators import catalogue, catalogue_row, indicator_table
from helpers.figures.maps import category_map
from helpers.models.model_files import load_model, model_names, resolve
from helpers.geo.municipality_key import municipality_key
from helpers.base.numbers import fmt_value
from helpers.figures.flag_marks import flag_marks, flag_meanings
from helpers.site.indicator_pages import file_stem
from helpers.site.pages import PLOTLY_ASSET, figure, num, read_page_meta, site_dir, table, write_page
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
                rows.append({"region_code": region, "model_id": name, "model": model.label(lang), "unit": local,
                             "municipalities": len(g)})
    return pd.DataFrame(rows)


PROFILE_TEXT = {
    "fi": {"title": "Alueprofiili: {name}", "yta": "Yhteistyöalue", "erva": "Erityisvastuualue 2020", "munis": "Kuntia ({year})",
           "munis_word": "kuntaa", "others": "muut alueet", "ind_caption": "Keskeiset tunnusluvut alueella ja koko maassa",
           "ind_head": ["Tunnusluku", "Vuosi", "{name}", "Koko maa"], "mod_caption": "Alue tukirakennemalleissa",
           "mod_head": ["Malli", "Mallin alue", "Kuntia"], "not_in": "ei mukana mallissa", "model_word": "Mallit",
           "description": "{name}: tunnusluvut, yhteistyöalue, erva 2020 ja alue tukirakennemalleissa"},
    "sv": {"title": "Områdesprofil: {name}", "yta": "Samarbetsområde", "erva": "Specialupptagningsområde 2020", "munis": "Kommuner ({year})",
           "munis_word": "kommuner", "others": "övriga områden", "ind_caption": "Centrala nyckeltal i området och i hela landet",
           "ind_head": ["Nyckeltal", "År", "{name}", "Hela landet"], "mod_caption": "Området i stödstrukturmodellerna",
           "mod_head": ["Modell", "Modellens område", "Kommuner"], "not_in": "inte med i modellen", "model_word": "Modeller",
           "description": "{name}: nyckeltal, samarbetsområde, specialupptagningsområde 2020 och området i stödstrukturmodellerna"},
    "en": {"title": "Regional profile: {name}", "yta": "Collaborative area", "erva": "Special responsibility area 2020",
           "munis": "Municipalities ({year})", "munis_word": "municipalities", "others": "other regions",
           "ind_caption": "Key figures in the region and in the whole country", "ind_head": ["Indicator", "Year", "{name}", "Whole country"],
           "mod_caption": "The region in the support-structure models", "mod_head": ["Model", "The model's area", "Municipalities"],
           "not_in": "not in the model", "model_word": "Models",
           "description": "{name}: key figures, collaborative area, 2020 special responsibility area and the region in the support models"},
}


def write_region_profile(region: str, year: int = 2025, lang: str = "fi", langs=("fi", "sv", "en"),
                         indicators: pd.DataFrame | None = None) -> Path:
    """Write the profile in every language of ``langs`` (``lang``: the one whose path is returned). ``indicators``:
    ``profile_indicators(region, year)`` when the caller has it already (the notebook shows it first)."""
    codes = region_codes(year)
    if region not in codes:
        raise invalid("region", region, codes)
    ind = profile_indicators(region, year) if indicators is None else indicators
    written = {}
    for one in dict.fromkeys([lang, *langs]):
        written[one] = _write_profile(region, year, one, ind)
    return written[lang]


def _write_profile(region: str, year: int, lang: str, ind: pd.DataFrame) -> Path:
    from helpers.sources.citations import cite
    from helpers.site.downloads import table_files
    from helpers.site.model_view import LICENCE, model_view_link
    from helpers.site.pages import _href, link, page_in

    t = PROFILE_TEXT[lang]
    site = site_dir()
    path = page_in(site, f"alueet/{region}.html", lang)
    layer = load_layer("hyvinvointialue", year)
    name = layer.set_index("code").loc[region, f"name_{lang}"]
    key = municipality_key(year)
    own = key[key["hyvinvointialue_code"] == region]
    yta = ", ".join(sorted(set(own[f"yhteistyoalue_name_{lang}"].fillna(own["yhteistyoalue_name_fi"]))))
    ervas = own.groupby("erva2020_name_fi").size()
    erva_text = "; ".join(f"{n} ({c} {t['munis_word']})" if len(ervas) > 1 else n for n, c in ervas.items())
    flagged = "region_flags" in ind.columns
    marks, notes = flag_marks([*ind["region_flags"], *ind["country_flags"]] if flagged else None, source=[*ind["source"], *ind["source"]],
                              meanings=flag_meanings(ind, lang))
    names = catalogue().set_index("indicator_id")[f"name_{lang}"]
    ind_rows, recs = [], []
    head = [h.format(name=name) for h in t["ind_head"]]
    for i, r in enumerate(ind.itertuples()):
        dec = 0 if r.unit in ("henkeä", "kuntaa") else 1
        label = str(names.get(r.indicator_id, r.name_fi))
        # runs.yaml writes a welfare-region page for every key indicator's shown year (runs run in parallel, so the
        # page may not be there yet while this one is written)
        target = page_in(site, f"indikaattorit/{file_stem(r.indicator_id)}_hyvinvointialue_{r.year}.html", lang)
        ind_rows.append([link(label, _href(target, path)), num(r.year),
                         num(fmt_value(r.region, r.unit, dec, lang), mark=marks[i] if flagged else ""),
                         num(fmt_value(r.country, r.unit, dec, lang), mark=marks[len(ind) + i] if flagged else "")])
        recs.append({head[0]: label, head[1]: int(r.year), head[2]: round(float(r.region), dec) if r.region == r.region else float("nan"),
                     head[3]: round(float(r.country), dec), "unit": r.unit})
    ind_df = pd.DataFrame(recs)
    ind_dl = table_files(ind_df, page=path, name="tunnusluvut", title=f"{t['ind_caption']}: {name}", sources=sorted(set(ind["source"])),
                         licence=LICENCE, decimals={head[2]: 1, head[3]: 1}, lang=lang)
    mod = profile_models(region, year, lang)
    mod_rows, mod_recs = [], []
    for r in mod.itertuples():
        href = _href(page_in(site, model_view_link(r.model_id).split("#")[0], lang), path) + "#" + model_view_link(r.model_id).split("#")[1]
        unit = t["not_in"] if r.municipalities == 0 else str(r.unit)
        mod_rows.append([str(r.model), link(unit, href), num(r.municipalities)])
        mod_recs.append({t["mod_head"][0]: str(r.model), t["mod_head"][1]: unit, t["mod_head"][2]: int(r.municipalities)})
    mod_dl = table_files(pd.DataFrame(mod_recs), page=path, name="mallit", title=f"{t['mod_caption']}: {name}",
                         sources=[cite(load_model(m).source.ref, url=False) for m in model_names() if load_model(m).source.ref], licence=LICENCE, lang=lang)
    locator = category_map(layer, pd.Series(t["others"], index=layer["code"].values).mask(layer["code"].values == region, name),
                           title=str(name), attribution=boundary_attribution(year, lang), order=[name, t["others"]],
                           colours={name: "#D55E00", t["others"]: "#e8e8e8"}, lang=lang)
    context = {
        "heading": str(name), "locator": figure(locator),
        "facts": [(t["yta"], yta), (t["erva"], erva_text), (t["munis"].format(year=year), len(own))],
        "indicators": table(ind_rows, caption=t["ind_caption"], header=head, cls="levea", footnotes=notes, downloads=ind_dl),
        "models": table(mod_rows, caption=t["mod_caption"], header=t["mod_head"], cls="levea", downloads=mod_dl),
        "source_lines": [*sorted(set(ind["source"])), boundary_attribution(year, lang),
                         f"{t['model_word']}: " + "; ".join(dict.fromkeys(cite(load_model(m).source.ref, url=False) for m in model_names()
                                                                           if load_model(m).source.ref))],
    }
    return write_page(path, title=t["title"].format(name=name), template="profile.html.j2", context=context, lang=lang,
                      description=t["description"].format(name=name), data_year=year)


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


def write_index(manifest: dict | None = None, site: Path | None = None, problems: list[str] | None = None) -> Path:
    """The pages written at the end of the refresh, in every language, from the manifest and what the runs wrote:
    the model comparison, the indicator list, the region picker, the sources page and the front page
    (``outputs/site/index.html``, returned).

    ``problems``: a list to fail softly into (the refresh's end, after the runs): a page that cannot be written is
    named there with why (``site/sv/lahteet.html: PermissionError: …``) and the other pages are still written.
    Without it the first fault raises."""
    from helpers.base.languages import LANGS
    from helpers.site.front_page import write_front_page
    from helpers.site.builder import PAGE as BUILDER, write_builder
    from helpers.site.model_view import PAGE as MODEL_VIEW, load_site_data, write_model_view
    from helpers.site.nav import INDICATORS_PAGE, REGIONS_PAGE, write_indicator_list, write_region_picker
    from helpers.site.pages import page_in
    from helpers.site.sources_page import PAGE_NAME as SOURCES_PAGE, write_sources_page

    site = Path(site or site_dir())
    data = load_site_data(site)
    hubs = [(MODEL_VIEW, lambda langs: write_model_view(site, data, langs=langs)),
            (BUILDER, lambda langs: write_builder(site, data, langs=langs)),
            (INDICATORS_PAGE, lambda langs: write_indicator_list(site, langs=langs)),
            (REGIONS_PAGE, lambda langs: write_region_picker(site, langs=langs)),
            (SOURCES_PAGE, lambda langs: write_sources_page(manifest, site, langs=langs)),
            ("index.html", lambda langs: write_front_page(manifest, site, data, langs=langs))]
    for rel, write in hubs:
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
