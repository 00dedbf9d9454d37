"""Charts beside the maps: ranked bars (the linked view of map, bars and table is ``helpers.site.value_tables``)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from helpers.figures.maps import MISSING_COLOUR, add_source_note
from helpers.base.numbers import fmt_value, plotly_separators
from helpers.figures.flag_marks import flag_marks


def ranked_bars(table: pd.DataFrame, *, value_col: str = "value", name_col: str = "area_name_fi", title: str, unit: str,
                year, attribution: str, lang: str = "fi", decimals: int = 1, highlight: str | None = None,
                code_col: str = "area_code", reference: float | None = None, reference_label: str = "") -> go.Figure:
    """Horizontal bars, largest on top; missing values listed at the bottom with an 'ei tietoa' label, no bar."""
    df = table.sort_values(value_col, ascending=True, na_position="first")
    marks, _ = flag_marks(df["value_flags"] if "value_flags" in df.columns else None)
    text = [fmt_value(v, unit, decimals, lang) + (f" {m}" if m else "") for v, m in zip(df[value_col], marks or [""] * len(df))]
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
