"""A pre-drawn SVG chart of how many groupings lie at each evenness (largest / smallest unit), on a log scale, with the
optimum and the official models marked: drawn by the template (no plotly), readable without a script and in print."""

from __future__ import annotations

import math

WIDTH, HEIGHT = 640.0, 240.0
LEFT, RIGHT, TOP, BOTTOM = 80.0, 12.0, 16.0, 40.0
TICKS = (1, 1.5, 2, 3, 5, 10, 20, 50, 100)
MARK_COLOURS = ("#D55E00", "#0072B2", "#009E73")


def _x(ratio: float, lo: float, hi: float) -> float:
    span = math.log(hi) - math.log(lo)
    return LEFT + (WIDTH - LEFT - RIGHT) * (math.log(min(max(ratio, lo), hi)) - math.log(lo)) / span


def histogram(bins: list[dict], *, marks: list[dict], title: str, x_label: str, y_label: str, fmt) -> dict:
    """Bars of ``bins`` ({lo, hi, count}; an open last bin is left out, its count said in ``overflow``) with marks
    ({ratio, label}) as vertical lines. ``fmt(value, decimals)`` formats numbers in the page's language."""
    closed = [b for b in bins if b.get("hi")]
    lo, hi = closed[0]["lo"], closed[-1]["hi"]
    top = max(b["count"] for b in closed) or 1
    plot_h = HEIGHT - TOP - BOTTOM
    bars = []
    for b in closed:
        x0, x1 = _x(b["lo"], lo, hi), _x(b["hi"], lo, hi)
        h = plot_h * b["count"] / top
        bars.append({"x": round(x0, 1), "w": round(max(x1 - x0 - 0.6, 0.4), 1), "y": round(TOP + plot_h - h, 1), "h": round(h, 1),
                     "title": f"{fmt(b['lo'], 2)}–{fmt(b['hi'], 2)}: {fmt(b['count'], 0)}"})
    ticks = [{"x": round(_x(t, lo, hi), 1), "label": fmt(t, 1 if t % 1 else 0)} for t in TICKS if lo <= t <= hi]
    y_ticks = [{"y": round(TOP + plot_h - plot_h * f, 1), "label": fmt(top * f, 0)} for f in (0, 0.5, 1)]
    lines = [{"x": round(_x(m["ratio"], lo, hi), 1), "label": m["label"], "colour": MARK_COLOURS[i % len(MARK_COLOURS)],
              "y": round(TOP + 12 + 14 * i, 1), "anchor": "start" if _x(m["ratio"], lo, hi) < WIDTH * 0.6 else "end"} for i, m in enumerate(marks)]
    overflow = sum(b["count"] for b in bins if not b.get("hi"))
    return {"width": WIDTH, "height": HEIGHT, "title": title, "bars": bars, "ticks": ticks, "y_ticks": y_ticks, "marks": lines,
            "axis_y": round(TOP + plot_h, 1), "left": LEFT, "right": WIDTH - RIGHT, "x_label": x_label, "y_label": y_label,
            "overflow": overflow}
