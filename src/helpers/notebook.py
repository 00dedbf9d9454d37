"""Set-up shared by every notebook: offline plotly figures, tables for humans, and the reader's language.

``setup()`` in a notebook's first cell makes ``fig.show()`` draw offline in JupyterLab 4, Notebook 7 and VS Code:
figures go out as plotly's JSON mimetype (``application/vnd.plotly.v1+json``), which the front end draws with its
own plotly.js (JupyterLab: the ``jupyterlab-plotly`` extension, whose renderer is marked safe) — so executed
notebooks stay small, and they draw without "Trust" because no script is stored in them. The renderer's default
config carries the empty topojson (``maps.PLOTLY_CONFIG``), so maps never ask a CDN for a world map; no notebook
passes a config argument itself. A map's GeoJSON travels in the same output as one ``data:`` URL string: notebook
files are written indented, one number per line, which would make a municipal map's polygons about four times
their size (an executed notebook over 1 MB); plotly.js reads a ``data:`` URL with no network, as it does the
topojson.

>>> from helpers import notebook
>>> notebook.setup("fi")
>>> notebook.table(indicator_table("osuus_65", [2024]))   # doctest: +SKIP
"""

from __future__ import annotations

import html
import json
import math
import os
import posixpath
import sys
from pathlib import Path
from urllib.parse import quote

import pandas as pd
from pandas.io.formats.style import Styler

from helpers.base import config
from helpers.base.languages import LANGS, check_lang
from helpers.base.numbers import MISSING_LABEL, fmt_number
from helpers.base.words import UNITS, unit_decimals

_state = {"lang": "fi", "tables": 0}

# Column names of the package's tidy tables -> what a reader sees, per language. Columns with a language suffix
# (name_fi, name_sv, name_en) are shown once, in the reader's language, under the name of the bare column.
COLUMN_LABELS = {
    "fi": {"area_level": "Aluetaso", "area_code": "Koodi", "area_name": "Alue", "year": "Vuosi", "value": "Arvo",
           "unit": "Yksikkö", "indicator_id": "Tunnus", "source": "Lähde", "value_flags": "Huomautukset",
           "numerator": "Osoittaja", "denominator": "Nimittäjä", "members": "Kuntia", "missing_members": "Puuttuvia kuntia",
           "code": "Koodi", "name": "Nimi", "indicator_name": "Tunnusluku", "level": "Aluetaso", "municipalities": "Kuntia", "region": "Alue",
           "country": "Koko maa", "region_flags": "Huomautukset (alue)", "country_flags": "Huomautukset (koko maa)", "model": "Malli", "unit_code": "Koodi", "unit_name": "Mallin alue",
           "population": "Väestö", "population_65_plus": "65 vuotta täyttäneitä", "welfare_regions": "Hyvinvointialueita",
           "welfare_regions_split": "Jaettuja hyvinvointialueita", "area_km2": "Pinta-ala km²",
           "max_distance_km": "Pisin etäisyys km", "mean_distance_km": "Keskietäisyys km", "yta_relation": "Suhde yhteistyöalueisiin",
           "regional_htv": "Alueelliset htv", "population_per_htv": "Asukkaita / htv", "municipalities_per_htv": "Kuntia / htv",
           "ngo_count": "Yhdistyksiä", "table_or_id": "Taulukko tai tunnus", "aggregation": "Yhdistely",
           "years": "Vuodet", "kunta_code": "Kuntakoodi", "kunta_name": "Kunta", "maakunta_name": "Maakunta",
           "hyvinvointialue_name": "Hyvinvointialue", "yhteistyoalue_name": "Yhteistyöalue",
           "yhteistyoalue_university_hospital": "Yliopistosairaala", "erva2020_abbr": "Erva 2020", "erva2020_name": "Erityisvastuualue 2020",
           "population_2024": "Väestö 2024", "question": "Kysymys", "answer": "Vastaus", "pct": "Osuus %", "id": "Tunnus",
           "text": "Väittämä", "mean": "Keskiarvo", "strongest": "Vahvimmat alueet", "weakest": "Heikoimmat alueet", "scenario": "Laskelma", "k": "Yksiköitä", "grouping": "Jako", "ratio": "Suurin / pienin",
           "optimum": "Tasaisimman suurin / pienin", "times_optimum": "Kertaa tasaisin", "note": "Huomautus", "parts": "Yksiköt (hyvinvointialueiden koodit)"},
    "sv": {"area_level": "Områdesnivå", "area_code": "Kod", "area_name": "Område", "year": "År", "value": "Värde",
           "unit": "Enhet", "indicator_id": "Beteckning", "source": "Källa", "value_flags": "Anmärkningar",
           "numerator": "Täljare", "denominator": "Nämnare", "members": "Kommuner", "missing_members": "Saknade kommuner",
           "code": "Kod", "name": "Namn", "indicator_name": "Nyckeltal", "level": "Områdesnivå", "municipalities": "Kommuner", "region": "Område",
           "country": "Hela landet", "region_flags": "Anmärkningar (område)", "country_flags": "Anmärkningar (hela landet)", "model": "Modell", "unit_code": "Kod", "unit_name": "Modellens område",
           "population": "Befolkning", "population_65_plus": "65 år och äldre", "welfare_regions": "Välfärdsområden",
           "welfare_regions_split": "Delade välfärdsområden", "area_km2": "Areal km²",
           "max_distance_km": "Längsta avstånd km", "mean_distance_km": "Medelavstånd km", "yta_relation": "Förhållande till samarbetsområden",
           "regional_htv": "Regionala årsverken", "population_per_htv": "Invånare / årsverke", "municipalities_per_htv": "Kommuner / årsverke",
           "ngo_count": "Föreningar", "table_or_id": "Tabell eller beteckning", "aggregation": "Sammanslagning",
           "years": "År", "kunta_code": "Kommunkod", "kunta_name": "Kommun", "maakunta_name": "Landskap",
           "hyvinvointialue_name": "Välfärdsområde", "yhteistyoalue_name": "Samarbetsområde",
           "yhteistyoalue_university_hospital": "Universitetssjukhus", "erva2020_abbr": "Specialupptagningsområde 2020",
           "erva2020_name": "Specialupptagningsområde 2020", "population_2024": "Befolkning 2024", "question": "Fråga",
           "answer": "Svar", "pct": "Andel %", "id": "Beteckning", "text": "Påstående", "mean": "Medelvärde",
           "strongest": "Starkaste områden", "weakest": "Svagaste områden", "scenario": "Kalkyl", "k": "Enheter", "grouping": "Indelning", "ratio": "Största / minsta",
           "optimum": "Jämnaste största / minsta", "times_optimum": "Gånger det jämnaste", "note": "Anmärkning", "parts": "Enheter (välfärdsområdenas koder)"},
    "en": {"area_level": "Level", "area_code": "Code", "area_name": "Area", "year": "Year", "value": "Value",
           "unit": "Unit", "indicator_id": "Indicator", "source": "Source", "value_flags": "Notes",
           "numerator": "Numerator", "denominator": "Denominator", "members": "Municipalities", "missing_members": "Missing municipalities",
           "code": "Code", "name": "Name", "indicator_name": "Indicator", "level": "Level", "municipalities": "Municipalities", "region": "Area",
           "country": "Whole country", "region_flags": "Notes (area)", "country_flags": "Notes (whole country)", "model": "Model", "unit_code": "Code", "unit_name": "Model area",
           "population": "Population", "population_65_plus": "Aged 65+", "welfare_regions": "Wellbeing services counties",
           "welfare_regions_split": "Split counties", "area_km2": "Area km²",
           "max_distance_km": "Longest distance km", "mean_distance_km": "Mean distance km", "yta_relation": "Relation to collaboration areas",
           "regional_htv": "Regional person-years", "population_per_htv": "Residents / person-year",
           "municipalities_per_htv": "Municipalities / person-year", "ngo_count": "Associations", "table_or_id": "Table or id",
           "aggregation": "Aggregation", "years": "Years", "kunta_code": "Municipality code", "kunta_name": "Municipality",
           "maakunta_name": "Region", "hyvinvointialue_name": "Wellbeing services county", "yhteistyoalue_name": "Collaboration area",
           "yhteistyoalue_university_hospital": "University hospital", "erva2020_abbr": "Catchment area 2020",
           "erva2020_name": "Catchment area 2020", "population_2024": "Population 2024", "question": "Question",
           "answer": "Answer", "pct": "Share %", "id": "Id", "text": "Statement", "mean": "Mean",
           "strongest": "Strongest areas", "weakest": "Weakest areas", "scenario": "Scenario", "k": "Units", "grouping": "Grouping", "ratio": "Largest / smallest",
           "optimum": "Most balanced largest / smallest", "times_optimum": "Times the most balanced", "note": "Note", "parts": "Units (welfare region codes)"},
}
# Units in the indicator catalogue (Finnish) as a reader of each language writes them (one table for the site and the
# notebooks: helpers.base.words.UNITS).
UNIT_LABELS = {lang: {unit: texts[lang] for unit, texts in UNITS.items()} for lang in ("fi", "sv", "en")}
MISSING = MISSING_LABEL  # the same words the pages use
# Original documents behind each support-structure model (keys of data/lahteet.csv).
MODEL_SOURCES = {
    "malli_18_1": ["sotunet_18_1_2020", "sotunet_tiedote_2020"],
    "malli_5_1_erva2020": ["sotunet_tiedote_2020", "vna_erva_2017"],
    "malli_5_1_yta": ["sotunet_tiedote_2020", "vna_yhteistyoalueet_2022"],
    "koordinoimaton": ["sotunet_tiedote_2020"],
    "jarjesto_2_0": ["ep_jarjestot_muutoksessa_2020"],
    "rakenne_2021": ["soste_muutostuki_2021"],
    "hyvinvointialueittain": ["laki_hyvinvointialueista_2021", "sotunet_18_1_2020"],
}


RENDERER = "sote_mimetype"
PLOTLY_MIME = "application/vnd.plotly.v1+json"


def geojson_url(geojson: dict) -> str:
    """GeoJSON as a compact ``data:`` URL (percent-encoded where a URL needs it; names stay UTF-8)."""
    try:
        text = json.dumps(geojson, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):  # numpy numbers or NaN: through plotly's encoder first (NaN becomes null)
        from plotly.io.json import to_json_plotly

        text = json.dumps(json.loads(to_json_plotly(geojson)), separators=(",", ":"), ensure_ascii=False)
    return "data:application/json;charset=utf-8," + quote(text, safe=":,{}[]\"'-.+_ ")


def _renderer():
    from plotly.io._base_renderers import PlotlyRenderer

    class OfflineMimetypeRenderer(PlotlyRenderer):
        """plotly's mimetype output with the offline config and each map's GeoJSON as one string."""

        def to_mimebundle(self, fig_dict):
            # The GeoJSON becomes its string before plotly's JSON round trip of the figure, which would otherwise
            # encode and decode every map's coordinates once more (a quarter of an indicator run, measured).
            data = []
            for trace in fig_dict.get("data", []):
                if isinstance(trace.get("geojson"), dict):
                    trace = {**trace, "geojson": geojson_url(trace["geojson"])}
                data.append(trace)
            return super().to_mimebundle({**fig_dict, "data": data})

    return OfflineMimetypeRenderer


def configure_plotly() -> None:
    """Offline, small, trust-free figures for ``fig.show()`` (see the module docstring)."""
    config.skip_iri_grammars()
    import plotly.io as pio

    from helpers.figures.maps import PLOTLY_CONFIG

    pio.renderers[RENDERER] = _renderer()(config=PLOTLY_CONFIG)
    pio.renderers.default = RENDERER
    # A researcher's own fig.write_image("kartta.svg") in this kernel: the empty topojson instead of the CDN's world map
    # (helpers.figures.export.export_figure needs no such default).
    pio.defaults.topojson = PLOTLY_CONFIG["topojsonURL"]


def _display_float(v: float) -> str:
    # Whole numbers without decimals, others with two (four below one): never scientific notation.
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    v = float(v)
    return fmt_number(v, 0 if v.is_integer() else 2 if abs(v) >= 1 else 4, _state["lang"])


def setup(lang: str = "fi") -> None:
    """Call once in a notebook's first cell: plotly offline, the language's number format in tables, and where its
    files go. Outside a refresh run (JupyterLab, papermill by hand) everything the notebook writes lands under
    ``outputs/scratch/`` (``config.outputs_dir``): the published site ``outputs/site/`` is the refresh's alone.

    >>> setup("sv")   # Swedish column names in ``table()``, decimal comma
    """
    _state["lang"] = check_lang(lang)
    if not config.in_refresh_run():
        os.environ[config.SCRATCH_ENV] = "1"  # in the environment: whatever the kernel starts writes there too
    configure_plotly()
    pd.set_option("display.max_rows", 60)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.float_format", _display_float)


WRITTEN_TEXT = {
    "fi": ("Tallennettu kansioon {folder}: {names}", " (kokeiluajo: julkaistu sivusto {site} ei muuttunut; sen päivittää ./run refresh)"),
    "sv": ("Sparat i mappen {folder}: {names}", " (provkörning: den publicerade webbplatsen {site} ändrades inte; ./run refresh uppdaterar den)"),
    "en": ("Saved in {folder}: {names}", " (trial run: the published site {site} is unchanged; ./run refresh updates it)"),
}


def shown_path(path) -> str:
    """A written file as a researcher finds it: under the outputs folder's name (``outputs/scratch/site/…``), never the
    absolute path (in a refresh that is a staging folder, gone once the run is published)."""
    root = config.outputs_root().resolve()
    path = Path(path).resolve()
    try:
        return (Path(root.name) / path.relative_to(root)).as_posix()
    except ValueError:
        return path.name


def written(*paths) -> None:
    """Say in one line where a cell's files went (the folder once, then the file names), and after a run by hand that
    the published site did not change."""
    if not paths:
        return
    shown = [shown_path(p) for p in paths]
    folder = posixpath.commonpath([posixpath.dirname(s) for s in shown])
    names = [posixpath.relpath(s, folder) if folder else s for s in shown]
    line, trial = WRITTEN_TEXT[_state["lang"]]
    text = line.format(folder=f"{folder}/" if folder else ".", names=", ".join(names))
    if config.in_scratch():
        text += trial.format(site=f"{config.outputs_root().name}/site/")
    print(text)


def model_sources(models) -> list[str]:
    """Keys of the documents behind the given models, for ``citations.source_line``."""
    from helpers.models.model_files import load_model

    keys = [k for m in models for k in MODEL_SOURCES.get(load_model(m).id, [])]
    return list(dict.fromkeys(keys))


def _language_columns(df: pd.DataFrame, lang: str) -> dict[str, str]:
    """original column -> bare name, keeping only the reader's language of the name_fi/_sv/_en triples."""
    keep = {}
    for col in df.columns:
        base, _, suffix = str(col).rpartition("_")
        if suffix in LANGS and base:
            variants = [f"{base}_{s}" for s in LANGS if f"{base}_{s}" in df.columns]
            chosen = f"{base}_{lang}" if f"{base}_{lang}" in df.columns else variants[0]
            if col == chosen:
                keep[col] = base
        else:
            keep[col] = str(col)
    return keep


def _text(v, lang: str) -> str:
    # Names and notes come from data files and services: shown as text, never as markup.
    if isinstance(v, (list, tuple)):
        return html.escape(", ".join(map(str, v))) if v else "–"
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return MISSING[lang]
    return html.escape(str(v))


class Table(Styler):
    """A Styler whose plain-text form is the same table as text (the default is the object's address)."""

    def __repr__(self) -> str:
        rows = [[html.unescape(cell) for cell in line.split("\x1f")] for line in self.to_string(delimiter="\x1f").splitlines()]
        widths = [max(len(r[i]) for r in rows if i < len(r)) for i in range(max(map(len, rows)))]
        return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows)


def table(df: pd.DataFrame, lang: str | None = None, *, labels: dict[str, str] | None = None,
          decimals: dict[str, int] | None = None) -> Table:
    """A tidy table as a reader sees it: columns named in the language, numbers the Finnish (or English) way.

    Returns a pandas Styler (an HTML table in JupyterLab, the same table as plain text elsewhere); the data
    themselves are not changed. Of the columns
    ``name_fi``/``name_sv``/``name_en`` only the reader's language is shown. ``labels`` renames given columns
    (original or language-free name -> shown name, or -> a key of ``COLUMN_LABELS`` to have it in the language); ``decimals`` sets
    the decimals of given columns (default: whole numbers 0, others 2). With a ``unit`` column, the units are
    written in the language and decimal values get the decimals of their row's unit (persons 0, % 1, ...).

    >>> table(pd.DataFrame({"area_name_fi": ["Helsinki"], "value": [684018.0]}), "en").to_html()  # doctest: +SKIP
    """
    lang = check_lang(lang or _state["lang"])
    decimals = decimals or {}
    shown_cols = _language_columns(df, lang)
    labels = {k: COLUMN_LABELS[lang].get(v, v) for k, v in (labels or {}).items()}
    names = {**COLUMN_LABELS[lang], **labels}
    data = df[list(shown_cols)].reset_index(drop=True)
    units = data["unit"].copy() if "unit" in data.columns and "unit" not in labels else None
    if units is not None and lang in UNIT_LABELS:
        data["unit"] = units.map(lambda u: UNIT_LABELS[lang].get(u, u) if isinstance(u, str) else u)
    rename = {c: names.get(c, names.get(shown_cols[c], shown_cols[c])) for c in data.columns}
    shown = data.rename(columns=rename)

    def number(d):
        def fmt(v):
            if pd.isna(v):
                return MISSING[lang]
            places = d if d is not None else 0 if float(v).is_integer() else 2
            return fmt_number(v, places, lang)
        return fmt

    formats, by_unit, texts = {}, [], []
    for original, label in zip(data.columns, shown.columns):
        col = data[original]
        if original == "year" and pd.api.types.is_numeric_dtype(col):
            formats[label] = lambda v: "" if pd.isna(v) else str(int(v))
        elif pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            formats[label] = number(decimals.get(original))
            if units is not None and original not in decimals and pd.api.types.is_float_dtype(col):
                by_unit.append(label)
        else:
            formats[label] = lambda v: _text(v, lang)
            texts.append(label)
    # A counted id instead of a random one and no per-cell ids: small, reproducible HTML with no hex that reads
    # like 5e3; the id keeps each table's column styles to that table.
    _state["tables"] += 1
    styler = Table(shown, uuid=f"sote{_state['tables']}", cell_ids=False).format(formats)
    # Text reads from the left, numbers line up on the right (JupyterLab right-aligns every cell).
    styler = styler.set_table_styles({label: [{"selector": "", "props": "text-align: left"}] for label in texts}, overwrite=False)
    styler = styler.set_table_styles([{"selector": "th", "props": "vertical-align: bottom"},
                                      {"selector": "td", "props": "vertical-align: top"}], overwrite=False)
    for unit in units.dropna().unique() if by_unit else []:
        rows = units.index[units == unit].tolist()
        styler = styler.format(number(unit_decimals(unit)), subset=(rows, by_unit))
    return styler.format_index(escape="html", axis=1).hide(axis="index")


# --------------------------------------------------------------------------- notebook 06's tables

OPTIMUM_LABEL = {"fi": "tasaisin jako (laskettu)", "sv": "jämnaste indelningen (beräknad)", "en": "most balanced grouping (computed)"}


def optimum_table(optimum: pd.DataFrame, lang: str | None = None) -> Table:
    """``partitions.distance_from_optimum`` as a reader sees it: each grouping by its model's name, its units as
    lists of welfare-region codes, no computing times or yes/no columns (a grouping that cannot be compared has no
    ratio, and its note says why)."""
    from helpers.models.model_files import load_model

    lang = check_lang(lang or _state["lang"])
    names = {g: OPTIMUM_LABEL[lang] if g == "optimum" else load_model(g).label(lang) for g in optimum["grouping"].unique()}
    parts = optimum["parts"].map(lambda ps: " | ".join(", ".join(p) for p in ps) if isinstance(ps, list) else "–")
    shown = optimum.assign(grouping=optimum["grouping"].map(names), parts=parts)
    return table(shown.drop(columns=["objective", "variant", "comparable", "seconds"]), lang)


def allocation_tables(card: pd.DataFrame, lang: str | None = None) -> list[Table]:
    """The scorecard's budget allocations (``scorecard.default_allocations``), one table per model: its units down,
    each way of dividing the budget across, person-years in the cells (a model-by-scenario grid would be mostly
    empty: a unit belongs to one model)."""
    from helpers.models.model_files import load_model

    lang = check_lang(lang or _state["lang"])
    rows = card[(card["staffing"] == "jako") & (card["metric"] == "regional_htv") & (card["scope"] == "unit")]
    out = []
    for model, part in rows.groupby("model", sort=False):
        name = load_model(model).label(lang)
        # the scenario label without the model's name in front of it: "20 htv väestön mukaan (Sainte-Laguë)"
        method = part[f"scenario_label_{lang}"].map(lambda t: t[len(name) + 2:] if t.startswith(f"{name}, ") else t)
        grid = (part.assign(method=method).pivot_table(index=["unit_code", f"unit_name_{lang}"], columns="method", values="value",
                                                       aggfunc="first", sort=False)
                .reset_index().drop(columns="unit_code").rename(columns={f"unit_name_{lang}": "unit_name"}))
        grid.columns.name = None
        out.append(table(grid, lang, decimals={c: 0 for c in grid.columns if c != "unit_name"}).set_caption(name))
    return out
