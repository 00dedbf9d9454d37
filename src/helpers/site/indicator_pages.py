"""An indicator on the map: table, choropleth, ranked bars and a page (notebook 02)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers.figures.charts import ranked_bars
from helpers.site.value_tables import value_table
from helpers.geo.layers import attribution as boundary_attribution
from helpers.geo.groupings import grouping_layer
from helpers.tables.indicators import catalogue_row, indicator_table
from helpers.figures.maps import choropleth
from helpers.site.pages import figure, render, site_dir, write_page

DECIMALS = {"%": 1, "henkeä": 0, "kuntaa": 0, "km²": 0}
NOSCRIPT_NOTE = {"fi": "Kartta ja pylväät piirretään JavaScriptillä; samat luvut ovat alla olevassa taulukossa.",
                 "sv": "Kartan och staplarna ritas med JavaScript; samma siffror finns i tabellen nedan.",
                 "en": "The map and bars are drawn with JavaScript; the table below has the same numbers."}
MISSING_NOTE = {"fi": "Puuttuvia tai salattuja arvoja: {n}", "sv": "Saknade eller skyddade värden: {n}", "en": "Missing or suppressed values: {n}"}


def decimals_for(unit: str) -> int:
    return DECIMALS.get(unit, 1)


def source_lines(table: pd.DataFrame, division_year: int, lang: str = "fi") -> list[str]:
    """Data source of the numbers and of the boundaries, with licence: one line each."""
    return [str(table["source"].iloc[0]), boundary_attribution(division_year, lang)]


def source_line(table: pd.DataFrame, division_year: int, lang: str = "fi") -> str:
    """The same as one line for a figure's source note (plotly breaks lines at <br>)."""
    return "<br>".join(source_lines(table, division_year, lang))


def indicator_parts(table: pd.DataFrame, year: int, *, level: str, division_year: int, lang: str = "fi",
                    scheme: str = "quantiles", k: int = 5, show_aland: bool = True, highlight: str | None = None,
                    bins: list[float] | None = None):
    """(map, bars, table data for the ``table`` macro) for one year of a tidy indicator table.
    ``scheme='fixed'`` needs ``bins`` (increasing upper bounds)."""
    from helpers.figures.classify import check_scheme

    bins = check_scheme(scheme, bins)
    row = catalogue_row(table["indicator_id"].iloc[0])
    one = table[table["year"] == year]
    if one.empty:
        from helpers.base.errors import invalid

        raise invalid("year", year, sorted(table["year"].unique()))
    unit, name, dec = row["unit"], row[f"name_{lang}"], decimals_for(row["unit"])
    layer = grouping_layer(level, division_year)
    note = source_line(one, division_year, lang)
    fig_map = choropleth(layer, one, title=f"{name} {year}", unit=unit, year=year, attribution=note, lang=lang,
                         scheme=scheme, k=k, bins=bins, decimals=dec, show_aland=show_aland, level=level)
    shown = one if show_aland else one[one["area_code"].isin(set(fig_map_codes(fig_map)))]
    bars = ranked_bars(shown, name_col=f"area_name_{lang}", title=name, unit=unit, year=year, attribution=note,
                       lang=lang, decimals=dec, highlight=highlight)
    values = value_table(shown, name_col=f"area_name_{lang}", unit=unit, year=year, lang=lang, decimals=dec, caption=f"{name} {year}")
    return fig_map, bars, values


def indicator_figures(table: pd.DataFrame, year: int, *, level: str, division_year: int, lang: str = "fi",
                      scheme: str = "quantiles", k: int = 5, show_aland: bool = True, highlight: str | None = None,
                      bins: list[float] | None = None):
    """(map, bars, table_html) for one year of a tidy indicator table."""
    fig_map, bars, values = indicator_parts(table, year, level=level, division_year=division_year, lang=lang, scheme=scheme, k=k,
                                            show_aland=show_aland, highlight=highlight, bins=bins)
    return fig_map, bars, render("value_table.html.j2", t=values)


def fig_map_codes(fig) -> list[str]:
    return [code for trace in fig.data for code in trace.locations]


def file_stem(indicator_id: str) -> str:
    """``sotkanet:186`` -> ``sotkanet-186``: a colon in a relative link would read as a URL scheme."""
    return str(indicator_id).replace(":", "-")


def page_path(indicator_id: str, level: str, year: int) -> Path:
    return site_dir() / "indikaattorit" / f"{file_stem(indicator_id)}_{level}_{year}.html"


FIGURE_CAPTIONS = {
    "fi": {"map": "Kartta: {level}", "bars": "Järjestyksessä suurimmasta pienimpään"},
    "sv": {"map": "Karta: {level}", "bars": "I ordning från störst till minst"},
    "en": {"map": "Map: {level}", "bars": "Ranked from highest to lowest"},
}

LICENCE = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)"


def write_indicator_page(indicator_id: str, year: int, *, level: str = "hyvinvointialue", division_year: int = 2025,
                         years=None, lang: str = "fi", scheme: str = "quantiles", show_aland: bool = True,
                         langs=("fi", "sv", "en"), bins: list[float] | None = None, table: pd.DataFrame | None = None) -> Path:
    """Fetch, draw and write one indicator page in every language of ``langs``; returns the path in ``lang``.
    ``table``: the ``indicator_table`` of exactly these arguments when the caller has it already (notebook 02)."""
    from helpers.figures.classify import check_scheme

    check_scheme(scheme, bins)  # before any download
    if table is None:
        table = indicator_table(indicator_id, years or [year], level=level, division_year=division_year)
    elif set(table["indicator_id"]) != {indicator_id} or set(table["area_level"]) != {level}:
        raise ValueError(f"the table given is not {indicator_id} at level {level!r}")
    written = {}
    for one in dict.fromkeys([lang, *langs]):
        written[one] = _write_indicator_page(table, indicator_id, year, level=level, division_year=division_year, lang=one,
                                             scheme=scheme, show_aland=show_aland, bins=bins)
    return written[lang]


def _write_indicator_page(table, indicator_id: str, year: int, *, level: str, division_year: int, lang: str, scheme: str,
                          show_aland: bool, bins: list[float] | None = None) -> Path:
    from helpers.site.downloads import table_files
    from helpers.site.pages import _href, lang_root, link

    fig_map, bars, values = indicator_parts(table, year, level=level, division_year=division_year, lang=lang, scheme=scheme,
                                            show_aland=show_aland, bins=bins)
    row = catalogue_row(indicator_id)
    missing = int(table.loc[table["year"] == year, "value"].isna().sum())
    from helpers.site.boundary_pages import LEVEL_TITLES

    level_label = LEVEL_TITLES[lang].get(level, level)
    title = f"{row[f'name_{lang}']} {year}" + ("" if level == "hyvinvointialue" else f" – {level_label}")
    # The heading names indicator and year; the figures under it say what each shows instead of repeating it.
    fig_map.update_layout(title_text=FIGURE_CAPTIONS[lang]["map"].format(level=level_label))
    bars.update_layout(title_text=FIGURE_CAPTIONS[lang]["bars"])
    notes = row["notes"] if isinstance(row["notes"], str) else ""
    path = lang_root(site_dir(), lang) / "indikaattorit" / f"{file_stem(indicator_id)}_{level}_{year}.html"
    # The numbers of the map, the bars and the table as a CSV (the table's columns, its rounding) and metadata.
    shown = table[table["year"] == year].sort_values("value", ascending=False, na_position="last").reset_index(drop=True)
    if not show_aland:
        shown = shown[shown["area_code"].isin(set(fig_map_codes(fig_map)))].reset_index(drop=True)
    head = values["header"]
    ranks = [str(i + 1) if v == v else "" for i, v in enumerate(shown["value"])]
    dec = decimals_for(row["unit"])
    frame = pd.DataFrame({head[0]: pd.array([int(r) if r else None for r in ranks], dtype="Int64"), head[1]: shown[f"area_name_{lang}"].astype(str),
                          head[2]: shown["value"].round(dec), "unit": row["unit"], "year": year, "area_code": shown["area_code"].astype(str)})
    if "value_flags" in shown.columns:
        frame["value_flags"] = shown["value_flags"]
    frame.attrs = dict(table.attrs)
    values["downloads"] = table_files(frame, page=path, name="arvot", title=title, sources=source_lines(table, division_year, lang),
                                      licence=LICENCE, decimals={head[2]: dec}, units={head[2]: row["unit"]}, lang=lang)
    if level == "hyvinvointialue":  # area names link to the region profiles
        for r, code in zip(values["rows"], frame["area_code"]):
            target = lang_root(site_dir(), lang) / "alueet" / f"{code}.html"
            r[1] = link(r[1], _href(target, path))
    context = {
        "heading": title, "missing_note": MISSING_NOTE[lang].format(n=missing) if missing else "",
        "map": figure(fig_map), "bars": figure(bars), "values": values, "map_alt": NOSCRIPT_NOTE[lang],
        "source_lines": source_lines(table, division_year, lang), "notes": notes,
    }
    return write_page(path, title=title, template="indicator.html.j2", context=context, lang=lang,
                      description=f"{row['name_fi']}: {LEVEL_TITLES['fi'].get(level, level).lower()}, {year}", data_year=year)
