"""An indicator on the map: table, choropleth, ranked bars and a page (notebook 02)."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from .charts import linked_view, ranked_bars, value_table_html
from .geography import attribution as boundary_attribution
from .groupings import grouping_layer
from .indicators import catalogue, indicator_table
from .maps import choropleth
from .pages import site_dir, write_page

DECIMALS = {"%": 1, "henkeä": 0, "kuntaa": 0, "km²": 0}
MISSING_NOTE = {"fi": "Puuttuvia tai salattuja arvoja: {n}", "sv": "Saknade eller skyddade värden: {n}", "en": "Missing or suppressed values: {n}"}


def decimals_for(unit: str) -> int:
    return DECIMALS.get(unit, 1)


def source_line(table: pd.DataFrame, division_year: int, lang: str = "fi") -> str:
    """Data source of the numbers and of the boundaries, with licence."""
    return f"{table['source'].iloc[0]}<br>{boundary_attribution(division_year, lang)}"


def indicator_figures(table: pd.DataFrame, year: int, *, level: str, division_year: int, lang: str = "fi",
                      scheme: str = "quantiles", k: int = 5, show_aland: bool = True, highlight: str | None = None):
    """(map, bars, table_html) for one year of a tidy indicator table."""
    row = catalogue().set_index("indicator_id").loc[table["indicator_id"].iloc[0]]
    one = table[table["year"] == year]
    if one.empty:
        from .errors import invalid

        raise invalid("year", year, sorted(table["year"].unique()))
    unit, name, dec = row["unit"], row[f"name_{lang}"], decimals_for(row["unit"])
    layer = grouping_layer(level, division_year)
    note = source_line(one, division_year, lang)
    fig_map = choropleth(layer, one, title=f"{name} {year}", unit=unit, year=year, attribution=note, lang=lang,
                         scheme=scheme, k=k, decimals=dec, show_aland=show_aland, level=level)
    shown = one if show_aland else one[one["area_code"].isin(set(fig_map_codes(fig_map)))]
    bars = ranked_bars(shown, name_col=f"area_name_{lang}", title=name, unit=unit, year=year, attribution=note,
                       lang=lang, decimals=dec, highlight=highlight)
    table_html = value_table_html(shown, name_col=f"area_name_{lang}", unit=unit, year=year, lang=lang, decimals=dec, caption=f"{name} {year}")
    return fig_map, bars, table_html


def fig_map_codes(fig) -> list[str]:
    return [code for trace in fig.data for code in trace.locations]


def page_path(indicator_id: str, level: str, year: int) -> Path:
    return site_dir() / "indikaattorit" / f"{indicator_id}_{level}_{year}.html"


def write_indicator_page(indicator_id: str, year: int, *, level: str = "hyvinvointialue", division_year: int = 2025,
                         years=None, lang: str = "fi", scheme: str = "quantiles", show_aland: bool = True) -> Path:
    """Fetch, draw and write one indicator page; returns its path."""
    table = indicator_table(indicator_id, years or [year], level=level, division_year=division_year)
    fig_map, bars, table_html = indicator_figures(table, year, level=level, division_year=division_year, lang=lang, scheme=scheme, show_aland=show_aland)
    row = catalogue().set_index("indicator_id").loc[indicator_id]
    missing = int(table.loc[table["year"] == year, "value"].isna().sum())
    body = (f"<h1>{html.escape(row[f'name_{lang}'])} {year}</h1>"
            + (f"<p>{MISSING_NOTE[lang].format(n=missing)}</p>" if missing else "")
            + linked_view(fig_map, bars, table_html)
            + f"<p class='lahde'>{source_line(table, division_year, lang)}</p>"
            + (f"<p class='lahde'>{html.escape(row['notes'])}</p>" if row["notes"] else ""))
    from .boundary_maps import LEVEL_TITLES

    level_label = LEVEL_TITLES[lang].get(level, level)
    title = f"{row[f'name_{lang}']} {year}" + ("" if level == "hyvinvointialue" else f" – {level_label}")
    return write_page(page_path(indicator_id, level, year), title=title, body_html=body, lang=lang,
                      description=f"{row['name_fi']}: {LEVEL_TITLES['fi'].get(level, level).lower()}, {year}", data_year=year)
