"""Charts beside the maps: ranked bars (the linked view of map, bars and table is ``helpers.site.value_tables``)."""

from __future__ import annotations

import textwrap

import pandas as pd
import plotly.graph_objects as go

from helpers.figures.maps import MISSING_COLOUR, add_source_note
from helpers.base.numbers import fmt_value, plotly_separators
from helpers.figures.flag_marks import flag_marks

WRAP = 18  # characters a category label may take per line before it wraps (at a space)
BAR_COLOUR, HIGHLIGHT_COLOUR = "#0072B2", "#D55E00"
# Text inside a bar: white on the blue (5:1), black on the orange highlight (white there is under 4,5:1).
INSIDE_TEXT = {BAR_COLOUR: "#fff", HIGHLIGHT_COLOUR: "#000", MISSING_COLOUR: "#000"}
INSIDE_SHARE = 0.5  # a bar at least this share of the axis carries its value inside, the rest just outside


def number_axis(lang: str = "fi") -> dict:
    """A value axis in the page's number format: whole numbers with the language's thousands separator
    (fi/sv "200 000", en "200,000"), never plotly's SI suffixes ("200k"); the decimal mark comes from the figure's
    ``separators`` (``layout_defaults``)."""
    return {"exponentformat": "none", "separatethousands": True}


def layout_defaults(lang: str = "fi") -> dict:
    """Layout of every chart of the site: the language's separators (fi/sv decimal comma and a no-break space
    between thousands, en a point and a comma)."""
    return {"separators": plotly_separators(lang)}


def wrap_label(text: str, width: int = WRAP) -> str:
    """A long category name on lines of about ``width`` characters, broken at spaces only (``<br>`` for plotly), so
    a phone's bars keep their width; a single long word stays whole."""
    text = str(text)
    if len(text) <= width:
        return text
    return "<br>".join(textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False)) or text


def ranked_bars(table: pd.DataFrame, *, value_col: str = "value", name_col: str = "area_name_fi", title: str, unit: str,
                year, attribution: str, lang: str = "fi", decimals: int = 1, highlight: str | None = None,
                code_col: str = "area_code", reference: float | None = None, reference_label: str = "") -> go.Figure:
    """Horizontal bars, largest on top; missing values listed at the bottom with an 'ei tietoa' label, no bar.

    Every value label stays inside the figure at any width: a long bar carries its value inside (plotly shrinks
    the text rather than cut it), a short one just after its end, where the axis leaves room; long names wrap."""
    df = table.sort_values(value_col, ascending=True, na_position="first")
    marks, _ = flag_marks(df["value_flags"] if "value_flags" in df.columns else None)
    text = [fmt_value(v, unit, decimals, lang) + (f" {m}" if m else "") for v, m in zip(df[value_col], marks or [""] * len(df))]
    values = pd.to_numeric(df[value_col], errors="coerce")
    colours = [(BAR_COLOUR if code != highlight else HIGHLIGHT_COLOUR) if pd.notna(v) else MISSING_COLOUR
               for code, v in zip(df[code_col], values)]
    lo, hi = min(0.0, float(values.min())) if values.notna().any() else 0.0, max(0.0, float(values.max())) if values.notna().any() else 1.0
    span = (hi - lo) or 1.0
    inside = [pd.notna(v) and abs(v) >= INSIDE_SHARE * span for v in values]
    names = [str(n) for n in df[name_col]]
    labels = [wrap_label(n) for n in names]
    fig = go.Figure(go.Bar(
        # A missing value has no bar; its label says so. Plain lists: plotly drops pandas 3 string arrays.
        x=values.fillna(0).tolist(), y=labels, orientation="h", text=text,
        textposition=["inside" if i else "outside" for i in inside], insidetextanchor="end", cliponaxis=False,
        insidetextfont=dict(color=[INSIDE_TEXT.get(c, "#000") for c in colours]), marker_color=colours,
        customdata=[[n] for n in names], hovertemplate="%{customdata[0]}: %{text}<extra></extra>",
    ))
    if reference is not None:
        fig.add_vline(x=reference, line_dash="dash", line_color="#444", annotation_text=reference_label or fmt_value(reference, unit, decimals, lang))
    add_source_note(fig, attribution, anchor="right")
    # Room for the outside labels: a positive one starts at most half-way along the axis (see INSIDE_SHARE); a
    # negative one runs left from its bar's end, so the axis gets that room on its left.
    pad_left = 0.8 * span if any(not i and pd.notna(v) and v < 0 for i, v in zip(inside, values)) else 0.0
    lines = sum(label.count("<br>") + 1 for label in labels)
    fig.update_layout(title=f"{title} ({year})", height=max(320, 20 * lines + 8 * len(df) + 140), margin=dict(l=10, r=20, t=50, b=80),
                      xaxis=dict(title=unit, range=[lo - pad_left, hi], **number_axis(lang)), yaxis=dict(automargin=True),
                      **layout_defaults(lang))
    return fig
