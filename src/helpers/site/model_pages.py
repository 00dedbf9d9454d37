"""Comparison of support-structure models: maps of the units, metric tables, population per worker, and how the
erva-based and collaboration-area-based 5+1 differ (notebook 03)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from helpers.sources.citations import cite
from helpers.base.errors import invalid
from helpers.geo.layers import attribution as boundary_attribution
from helpers.tables.indicators import catalogue_row
from helpers.figures.maps import add_source_note
from helpers.models.metrics import check_staffing, compare, unit_metrics
from helpers.models.model_files import check_year, load_model, model_names, source_text, unit_layer
from helpers.geo.municipality_key import erva_yta_differences
from helpers.base.numbers import fmt_number, fmt_value, plotly_separators
from helpers.figures.flag_marks import flag_marks, flag_meanings
from helpers.base.words import unit_decimals
from helpers.site.model_view import POPULATION_SOURCE
from helpers.site.pages import cell, figure, frame_table, site_dir, table, write_page
from helpers.sources.population import municipal_population_wfs
# Moved to the models stage; imported here so that notebooks and pages keep their old import path.
from helpers.models.unit_indicators import OUTSIDE_CODE, OUTSIDE_NAME, indicator_by_unit  # noqa: F401

POP_NOTE = POPULATION_SOURCE["fi"]  # these comparison pages are Finnish


def check_models(models) -> list[str]:
    names = model_names()
    if isinstance(models, str) or not isinstance(models, (list, tuple)) or len(models) < 2:
        raise invalid("models", models, "a list of two or more of: " + ", ".join(names))
    for m in models:
        if m not in names:
            raise invalid("models", m, names)
    return list(models)


MODEL_WORD = {"fi": "Malli", "sv": "Modell", "en": "Model"}


def model_source_lines(model, lang: str = "fi") -> list[str]:
    """The document behind a model, cited from data/lahteet.csv (never a file name), or "own model"."""
    return [f"{MODEL_WORD[lang]}: {source_text(model, lang)}"]


def model_source(model, lang: str = "fi") -> str:
    """The model's source as one line for a figure's source note (plotly breaks lines at <br>)."""
    return "<br>".join(model_source_lines(model, lang))


UNITS_WORD = {"fi": "aluetta", "sv": "områden", "en": "areas"}


def unit_map(model: str, year: int, lang: str = "fi") -> go.Figure:
    """The model's units in distinguishable colours (neighbours differ) with a legend naming each unit, so a
    screenshot or print tells them apart."""
    from helpers.figures.colours import QUALITATIVE, neighbour_colouring
    from helpers.figures.maps import category_map

    m = load_model(model)
    layer = unit_layer(m, year)
    note = f"{model_source(m, lang)}<br>{boundary_attribution(year, lang)}"
    names = [str(n or f) for n, f in zip(layer[f"name_{lang}"], layer["name_fi"])]
    colours = [QUALITATIVE[i] for i in neighbour_colouring(layer, len(QUALITATIVE) - 1)]
    return category_map(layer, pd.Series(names, index=layer["code"].values), title=f"{m.label(lang)}: {len(layer)} {UNITS_WORD[lang]}",
                        attribution=note, lang=lang, order=names, colours=dict(zip(names, colours)))


def metrics_table(models: list[str], year: int, staffing: str) -> pd.DataFrame:
    df = compare(models, year, staffing)
    out = pd.DataFrame({
        "Malli": df["name_fi"], "Alueita": df["units"], "Alueellisia htv": df["regional_htv"].map(lambda v: fmt_number(v, 1)),
        "Koordinaatio htv": df["coordination_htv"].map(lambda v: fmt_number(v, 1)), "Yhteensä htv": df["total_htv"].map(lambda v: fmt_number(v, 1)),
        "Väestö max/min": df["population_max_min"].map(lambda v: fmt_number(v, 1)),
        "Väestö/htv max/min": df["population_per_htv_max_min"].map(lambda v: fmt_number(v, 1)),
        "Väestö/htv vaihtelukerroin": df["population_per_htv_cv"].map(lambda v: fmt_number(v, 2)),
        "Jaetut hyvinvointialueet": df["welfare_regions_split"].map(lambda v: ", ".join(v) if v else "–"),
        "Pisin etäisyys km": df["max_distance_km"].map(lambda v: fmt_number(v, 0)),
        "Kyselyn kannatus 2020 (kyllä/ei/eos %)": [
            f"{r.survey_yes_pct:.0f}/{r.survey_no_pct:.0f}/{r.survey_dont_know_pct:.0f} ({'maakuntapohjainen' if r.survey_question == 'maakunta' else 'erva-pohjainen'})"
            if isinstance(r.survey_question, str) else "ei kysytty" for r in df.itertuples()],  # none asked: NaN in the frame
        "Henkilöstö": df["staffing"], "Lähde": [source_text(m, "fi") for m in models],
    })
    return out


def per_worker_bars(models: list[str], year: int, staffing: str) -> go.Figure:
    fig = go.Figure()
    for m in models:
        units = unit_metrics(m, year, staffing).sort_values("population_per_htv", ascending=False)
        if units["population_per_htv"].isna().all():
            continue
        fig.add_trace(go.Bar(name=load_model(m).label(), x=units["unit_name_fi"].tolist(), y=units["population_per_htv"].tolist(),
                             text=[fmt_number(v, 0) for v in units["population_per_htv"]], hovertemplate="%{x}: %{text} as./htv<extra></extra>"))
    labels = sorted({unit_metrics(m, year, staffing).attrs["staffing"] for m in models})
    add_source_note(fig, f"{POP_NOTE}.<br>Henkilöstö: {'; '.join(labels)}")
    # Full Finnish numbers on the axis ("1 500 000", not "1,5M"); the source note sits below the rotated labels.
    fig.update_layout(title=f"Asukkaita alueellista henkilötyövuotta kohden ({year})", barmode="group", separators=plotly_separators("fi"),
                      yaxis=dict(title="asukasta / htv", tickformat=",d"), height=620, margin=dict(b=220, t=60),
                      xaxis=dict(tickangle=-40, automargin=True), legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    fig.layout.annotations[-1].update(y=0, yanchor="top", yshift=-185)  # below the rotated unit names
    return fig


def erva_yta_table(year: int) -> pd.DataFrame:
    """The three municipalities whose 2020 erva differs from their collaboration area, with population."""
    diff = erva_yta_differences(year)
    pop = municipal_population_wfs(2024).set_index("kunta_code")["population_total"]
    diff["population_2024"] = diff["kunta_code"].map(pop).astype("Int64")
    return diff


def indicator_map(model: str, year: int, indicator: str, indicator_years, lang: str = "fi") -> go.Figure:
    """The indicator's latest year on the model's units (``indicator_by_unit``) as a classed map; Åland, outside the
    models, is not drawn (its value is in the tables)."""
    from helpers.figures.maps import choropleth

    m = load_model(model)
    layer = unit_layer(m, year)
    t = indicator_by_unit([model], year, indicator, indicator_years)
    latest = int(t["year"].max())
    values = t[t["year"] == latest].set_index("area_code")["value"].reindex(layer["code"])
    row = catalogue_row(indicator)
    note = f"{t['source'].iloc[0]}<br>{model_source(m, lang)}<br>{boundary_attribution(year, lang)}"
    return choropleth(layer, values, title=f"{m.label(lang)}: {row[f'name_{lang}']} {latest}", unit=row["unit"], year=latest,
                      attribution=note, lang=lang, decimals=unit_decimals(row["unit"]), show_aland=False)


def page_path(models: list[str], year: int, staffing: str) -> Path:
    return site_dir() / "mallit" / f"{'__'.join(models)}_{year}_{staffing}.html"


def write_comparison_page(models: list[str], year: int, staffing: str, indicator: str, indicator_years) -> Path:
    models = check_models(models)
    check_year(year)
    check_staffing(staffing)
    ind = indicator_by_unit(models, year, indicator, indicator_years)
    row = catalogue_row(indicator)
    latest = ind["year"].max()
    shown = ind[ind["year"] == latest].reset_index(drop=True)
    source = str(ind["source"].iloc[0])
    marks, flag_notes = flag_marks(shown["value_flags"] if "value_flags" in shown.columns else None, source=source, meanings=flag_meanings(ind))
    ind_rows = [[str(r.model), str(r.area_name_fi), cell(fmt_value(r.value, row["unit"], 1), mark=marks[i] if marks else "")]
                for i, r in enumerate(shown.itertuples())]
    diff = erva_yta_table(year)
    diff_tbl = diff[["kunta_name_fi", "maakunta_name_fi", "yhteistyoalue_university_hospital", "erva2020_abbr", "population_2024"]].assign(
        population_2024=lambda d: d["population_2024"].map(fmt_number))
    diff_tbl.columns = ["Kunta", "Maakunta", "Yhteistyöalue (yo-sairaala)", "Erva 2020", "Väestö 31.12.2024"]
    names = ", ".join(load_model(m).label() for m in models)
    from helpers.models.metrics import STAFFING_LABELS

    context = {
        "heading": f"Tukirakennemallit: {names}", "year": year, "staffing": STAFFING_LABELS[staffing]["fi"],
        "unit_maps": [figure(unit_map(m, year)) for m in models],
        "metrics": frame_table(metrics_table(models, year, staffing), caption="Mallien vertailu"),
        "per_worker": figure(per_worker_bars(models, year, staffing)),
        "by_unit": table(ind_rows, caption=f"{row['name_fi']} malleittain ({source})",
                         header=["Malli", "Alue", f"{row['name_fi']} {latest}"], footnotes=flag_notes),
        "diff_count": len(diff), "diff_population": fmt_number(int(diff["population_2024"].sum())),
        "diff": frame_table(diff_tbl, caption="Kunnat, joiden erva 2020 ja yhteistyöalue eroavat"),
        "source_lines": [f"{POP_NOTE}; {boundary_attribution(year)}.", *(line for m in models for line in model_source_lines(m)),
                         f"Kysely: {cite('sotunet_kysely_2020', url=False)}"],
    }
    return write_page(page_path(models, year, staffing), title=f"Tukirakennemallit {year}: {names}", template="model.html.j2",
                      context=context, description=f"Mallien vertailu: {names}", data_year=year)
