"""The site for policy staff: a profile page per welfare region (and Helsinki, Åland) and the index page.

The index lists every page under ``outputs/site/`` with its one-line description and data year (read back from the
page's ``<title>``, ``<meta name="description">`` and ``<meta name="data-year">`` with an HTML parser) and the
refresh date.
"""

from __future__ import annotations

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
from .pages import PLOTLY_ASSET, figure, flag_marks, flag_meanings, num, read_page_meta, site_dir, table, write_page

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
    rows, meanings = [], {}
    for ind, years, shown in PROFILE_INDICATORS:
        years = years or [year]
        shown = shown or year
        reg = indicator_table(ind, years, level="hyvinvointialue", division_year=year)
        nat = indicator_table(ind, years, level="koko_maa", division_year=year)
        meta = catalogue().set_index("indicator_id").loc[ind]
        own = reg[(reg["year"] == shown) & (reg["area_code"] == region)]
        whole = nat[nat["year"] == shown]
        row = {"indicator_id": ind, "name_fi": meta["name_fi"], "unit": meta["unit"], "year": shown,
               "region": own["value"].item() if len(own) else float("nan"), "country": whole["value"].item(), "source": reg["source"].iloc[0]}
        if "flags" in reg.columns or "flags" in nat.columns:  # the source's markers (ennakkotieto, salattu, ...)
            row["region_flags"] = own["flags"].item() if "flags" in own.columns and len(own) else ""
            row["country_flags"] = whole["flags"].item() if "flags" in whole.columns else ""
        meanings |= {**(reg.attrs.get("flag_meanings") or {}), **(nat.attrs.get("flag_meanings") or {})}
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs["flag_meanings"] = meanings
    return out


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
    flagged = "region_flags" in ind.columns
    marks, notes = flag_marks([*ind["region_flags"], *ind["country_flags"]] if flagged else None, source=[*ind["source"], *ind["source"]],
                              meanings=flag_meanings(ind, lang))
    ind_rows = []
    for i, r in enumerate(ind.itertuples()):
        dec = 0 if r.unit in ("henkeä", "kuntaa") else 1
        ind_rows.append([str(r.name_fi), num(r.year), num(fmt_value(r.region, r.unit, dec, lang), mark=marks[i] if flagged else ""),
                         num(fmt_value(r.country, r.unit, dec, lang), mark=marks[len(ind) + i] if flagged else "")])
    mod = profile_models(region, year)
    mod_rows = [[str(r.model), str(r.unit), num(r.municipalities)] for r in mod.itertuples()]
    locator = category_map(layer, pd.Series("muut alueet", index=layer["code"].values).mask(layer["code"].values == region, name),
                           title=name, attribution=boundary_attribution(year, lang), order=[name, "muut alueet"],
                           colours={name: "#D55E00", "muut alueet": "#e8e8e8"})
    context = {
        "heading": str(name), "locator": figure(locator),
        "facts": [("Yhteistyöalue", yta), ("Erityisvastuualue 2020", erva_text), (f"Kuntia ({year})", len(own))],
        # Tables span the page width below the locator map: side by side they clip on narrow screens.
        "indicators": table(ind_rows, caption="Keskeiset tunnusluvut alueella ja koko maassa", header=["Tunnusluku", "Vuosi", str(name), "Koko maa"],
                            cls="levea", footnotes=notes),
        "models": table(mod_rows, caption="Alue tukirakennemalleissa", header=["Malli", "Mallin alue", "Kuntia"], cls="levea"),
        "source_lines": [*sorted(set(ind["source"])), boundary_attribution(year, lang), "Mallit: data/mallit/ (lähteet seeds/000–004)."],
    }
    return write_page(profile_path(region), title=f"Alueprofiili: {name}", template="profile.html.j2", context=context, lang=lang,
                      description=f"{name}: tunnusluvut, yhteistyöalue, erva 2020 ja alue tukirakennemalleissa", data_year=year)


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
    sections = []
    for section, title in [*SECTIONS.items(), (None, "Muut")]:
        items = [e for e in entries if (e["section"] == section if section else e["section"] not in SECTIONS)]
        if items:
            sections.append({"title": title, "pages": [_index_item(e, made_by.get(e["path"], {})) for e in items]})
    context = {"refreshed": refreshed[:16].replace("T", " "), "count": len(entries), "sections": sections}
    return write_page(site / "index.html", title="Sote-järjestökartat", template="index.html.j2", context=context,
                      description="Hakemisto: kaikki kartat ja raportit", data_year="", site=site)


def _index_item(e: dict, run: dict) -> dict:
    made = (run.get("last_success") or {}).get("started_at") or run.get("started_at") or ""
    notes = [f"tiedot {e['data_year']}"] if e["data_year"] else []
    if made:
        notes.append(f"ajettu {made[:10]}")
    return {"path": e["path"], "title": e["title"], "description": e["description"], "notes": notes, "failed": run.get("status") == "failed"}
