"""The numbers of a map as a ranked table and the linked view (map + bars + a table of the same numbers; the table
is also the accessible alternative to the map)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from helpers.base.numbers import fmt_value
from helpers.figures.flag_marks import flag_marks, flag_meanings
from helpers.tables.aggregate import refuse_former_flag_column
from helpers.site.pages import figure, num, render
from helpers.site.pages import table as table_data


def value_table(table: pd.DataFrame, *, value_col: str = "value", name_col: str = "area_name_fi", unit: str,
                year, lang: str = "fi", decimals: int = 1, caption: str = "", code_col: str = "area_code") -> dict:
    """The same numbers as table data for the ``table`` macro, ranked; missing values say so. A row whose ``value_flags``
    (when the table has that column) is not empty gets a mark after its value and a footnote below the table."""
    refuse_former_flag_column(table)
    head = {"fi": ("Sija", "Alue", "Arvo"), "sv": ("Plats", "Område", "Värde"), "en": ("Rank", "Area", "Value")}[lang]
    df = table.sort_values(value_col, ascending=False, na_position="last").reset_index(drop=True)
    source = str(df["source"].iloc[0]) if "source" in df.columns and len(df) and df["source"].nunique() == 1 else ""
    marks, notes = flag_marks(df["value_flags"] if "value_flags" in df.columns else None, source=source, meanings=flag_meanings(table, lang))
    rows = []
    for i, r in df.iterrows():
        rank = "" if pd.isna(r[value_col]) else str(i + 1)
        rows.append([num(rank), str(r[name_col]), num(fmt_value(r[value_col], unit, decimals, lang), mark=marks[i] if marks else "")])
    return table_data(rows, caption=caption or f"{unit}, {year}", header=head, cls="arvot", footnotes=notes)


def value_table_html(table: pd.DataFrame, *, value_col: str = "value", name_col: str = "area_name_fi", unit: str,
                     year, lang: str = "fi", decimals: int = 1, caption: str = "", code_col: str = "area_code") -> str:
    """The same numbers as an HTML table (rendered from ``value_table`` by the escaping templates)."""
    return render("value_table.html.j2", t=value_table(table, value_col=value_col, name_col=name_col, unit=unit, year=year, lang=lang,
                                                        decimals=decimals, caption=caption, code_col=code_col))


def linked_view(map_fig: go.Figure, bars_fig: go.Figure, table_html: str) -> str:
    """Map and bars side by side (stacked on a phone), the table below. Returns an HTML fragment. ``table_html``
    is inserted as markup only when it is ``markupsafe.Markup`` (e.g. from ``value_table_html``), else as text."""
    return render("linked_view.html.j2", map_fig=figure(map_fig), bars_fig=figure(bars_fig), table_html=table_html, alt="")
