"""Pre-drawn horizontal bar charts as SVG data: drawn by a template (no plotly), readable without a script, in print
and on a phone.

Each category's label sits on its own lines above its bars, so the bars take the whole width on a narrow screen and
a long question never runs off the left edge. Bars of several series are side by side (``stacked=False``) or one
after another in one bar (``stacked=True``, shares that sum to 100). The output is data (numbers and strings); the
template turns it into markup, escaped.
"""

from __future__ import annotations

import textwrap

WIDTH = 360.0
PAD = 4.0
FONT = 13.0  # category labels, in viewBox units (a 360 px phone shows them at about 12 px)
LINE = 16.0
BAR = 22.0
GAP = 12.0  # between categories
AXIS = 40.0  # tick labels and the axis title under the bars
CHAR = 0.56  # average glyph width per font size, for wrapping and for whether a value fits in its bar


def _luminance(colour: str) -> float:
    r, g, b = (int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4))
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def text_colour(fill: str) -> str:
    """Black or white, whichever contrasts more with ``fill`` (WCAG contrast ratio)."""
    lum = _luminance(fill)
    return "#111111" if (lum + 0.05) / (_luminance("#111111") + 0.05) >= 1.05 / (lum + 0.05) else "#ffffff"


def wrap(text: str, chars: int) -> list[str]:
    """Lines broken at blanks only (a word, however long, stays whole)."""
    return textwrap.wrap(str(text), max(int(chars), 8), break_on_hyphens=False, break_long_words=False) or [str(text)]


def bar_chart(categories: list[str], series: list[dict], *, title: str, axis_title: str, value_max: float, fmt,
              ticks: list[float], stacked: bool = False, n: int | None = None, n_text: str = "n = {n}",
              width: float = WIDTH, tick_fmt=None) -> dict:
    """Everything the ``bar_chart`` macro draws.

    ``series``: ``{"name", "colour", "values"}`` with one value per category (None: no bar). ``fmt(value)`` is the
    value as the page prints it (``tick_fmt``: the axis's ticks, else ``fmt``); ``n`` the number of respondents or
    answers, said in every bar's title."""
    plot_w = width - 2 * PAD
    scale = plot_w / float(value_max)
    chars = (width - 2 * PAD) / (FONT * CHAR)
    value_font = FONT - 1
    y = PAD
    rows, bars = [], []
    for i, category in enumerate(categories):
        lines = wrap(category, chars)
        rows.append({"x": PAD, "y": round(y + FONT, 1), "lines": lines, "dy": LINE})
        y += len(lines) * LINE + 4
        x = PAD
        for s in series:
            value = s["values"][i]
            if value is None:
                continue
            w = max(float(value) * scale, 0.0)
            bx = x if stacked else PAD
            text = fmt(value)
            fits = len(text) * value_font * CHAR + 8 <= w
            bar = {"x": round(bx, 1), "y": round(y, 1), "w": round(w, 1), "h": BAR, "fill": s["colour"], "value": value,
                   "series": s["name"], "category": category, "text": text,
                   "title": " – ".join(p for p in (s["name"] if len(series) > 1 else "", category) if p) + f": {text}"
                            + (f" ({n_text.format(n=n)})" if n is not None else ""),
                   "ty": round(y + BAR / 2, 1)}
            if fits:  # inside the bar, at its end (a stacked segment: in its middle)
                bar.update(tx=round(bx + w / 2 if stacked else bx + w - 4, 1), anchor="middle" if stacked else "end",
                           colour=text_colour(s["colour"]))
            elif not stacked and bx + w + 4 + len(text) * value_font * CHAR <= width - PAD:
                bar.update(tx=round(bx + w + 4, 1), anchor="start", colour="#111111")  # after a short bar
            else:
                bar.update(tx=None)  # no room: the bar's title still says it
            bars.append(bar)
            if stacked:
                x += w
            else:
                y += BAR + 2
        y += (BAR if stacked else -2) + GAP
    axis_y = round(y - GAP + 6, 1)
    tick_marks = [{"x": round(PAD + t * scale, 1), "label": (tick_fmt or fmt)(t)} for t in ticks]
    for t in tick_marks:  # the first and last labels stay inside the frame
        t["anchor"] = "start" if t["x"] <= PAD + 1 else "end" if t["x"] >= width - PAD - 1 else "middle"
    height = round(axis_y + AXIS, 1)
    return {"title": title, "width": width, "height": height, "view_box": f"0 0 {width:g} {height:g}", "rows": rows,
            "bars": bars, "ticks": tick_marks, "axis_y": axis_y, "top": PAD, "axis_title": axis_title,
            "axis_title_x": round(width / 2, 1), "axis_title_y": round(axis_y + AXIS - 6, 1), "font": FONT,
            "value_font": value_font, "legend": [{"colour": s["colour"], "label": s["name"]} for s in series] if len(series) > 1 else []}
