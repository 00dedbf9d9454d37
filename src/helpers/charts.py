"""Charts beside the maps: ranked bars and the linked view (map + bars + a table of the same numbers; the
table is also the accessible alternative to the map)."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from .maps import MISSING_COLOUR, add_source_note
from .numbers import MISSING_LABEL, fmt_value, plotly_separators


def ranked_bars(table: pd.DataFrame, *, value_col: str = "value", name_col: str = "area_name_fi", title: str, unit: str,
                year, attribution: str, lang: str = "fi", decimals: int = 1, highlight: str | None = None,
                code_col: str = "area_code", reference: float | None = None, reference_label: str = "") -> go.Figure:
    """Horizontal bars, largest on top; missing values listed at the bottom with an 'ei tietoa' label, no bar."""
    df = table.sort_values(value_col, ascending=True, na_position="first")
    text = [fmt_value(v, unit, decimals, lang) for v in df[value_col]]
    colours = ["#0072B2" if code != highlight else "#D55E00" for code in df[code_col]]
    fig = go.Figure(go.Bar(
        # A missing value has no bar; its label says so. Plain lists: plotly drops pandas 3 string arrays.
        x=df[value_col].fillna(0).tolist(), y=df[name_col].tolist(), orientation="h", text=text,
        textposition="outside", cliponaxis=False, marker_color=[c if pd.notna(v) else MISSING_COLOUR for c, v in zip(colours, df[value_col])],
        hovertemplate="%{y}: %{text}<extra></extra>",
    ))
    if reference is not None:
        fig.add_vline(x=reference, line_dash="dash", line_color="#444", annotation_text=reference_label or fmt_value(reference, unit, decimals, lang))
    add_source_note(fig, attribution, anchor="right")
    fig.update_layout(title=f"{title} ({year})", height=max(320, 24 * len(df) + 140), margin=dict(l=10, r=60, t=50, b=80),
                      separators=plotly_separators(lang), xaxis_title=unit, yaxis=dict(automargin=True))
    return fig


def value_table_html(table: pd.DataFrame, *, value_col: str = "value", name_col: str = "area_name_fi", unit: str,
                     year, lang: str = "fi", decimals: int = 1, caption: str = "", code_col: str = "area_code") -> str:
    """The same numbers as an HTML table, ranked; missing values say so."""
    head = {"fi": ("Sija", "Alue", "Arvo"), "sv": ("Plats", "Område", "Värde"), "en": ("Rank", "Area", "Value")}[lang]
    df = table.sort_values(value_col, ascending=False, na_position="last").reset_index(drop=True)
    rows = []
    for i, r in df.iterrows():
        rank = "" if pd.isna(r[value_col]) else str(i + 1)
        rows.append(f"<tr><td class='num'>{rank}</td><td>{html.escape(str(r[name_col]))}</td>"
                    f"<td class='num'>{html.escape(fmt_value(r[value_col], unit, decimals, lang))}</td></tr>")
    cap = html.escape(caption or f"{unit}, {year}")
    return (f"<table class='arvot'><caption>{cap}</caption><thead><tr><th>{head[0]}</th><th>{head[1]}</th>"
            f"<th>{head[2]}</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def linked_view(map_fig: go.Figure, bars_fig: go.Figure, table_html: str) -> str:
    """Map and bars side by side (stacked on a phone), the table below. Returns an HTML fragment."""
    from .pages import figure_div

    return (
        "<div class='linkitetty'><div class='kartta'>" + figure_div(map_fig) + "</div>"
        "<div class='pylvaat'>" + figure_div(bars_fig) + "</div></div>" + table_html
    )
