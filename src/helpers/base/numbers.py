"""Number formatting for readers: Finnish by default (decimal comma, no-break space between thousands).

The thousands separator is U+00A0 NO-BREAK SPACE so a number never wraps across lines. Swedish uses the same
convention; English uses a point and a comma. ``PLOTLY_SEPARATORS`` gives plotly the same two characters.
"""

from __future__ import annotations

import math

from helpers.base.languages import check_lang

NBSP = "\u00a0"
SEPARATORS = {"fi": (",", NBSP), "sv": (",", NBSP), "en": (".", ",")}
MISSING_LABEL = {"fi": "ei tietoa", "sv": "uppgift saknas", "en": "no data"}


def _check_lang(lang: str) -> tuple[str, str]:
    return SEPARATORS[check_lang(lang)]


def plotly_separators(lang: str = "fi") -> str:
    decimal, thousands = _check_lang(lang)
    return decimal + thousands


def is_missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or (hasattr(x, "__class__") and str(x) in ("<NA>", "nan", "NaT"))


def fmt_number(x, decimals: int = 0, lang: str = "fi") -> str:
    """5635971 -> '5 635 971'; 3.6 (1 decimal) -> '3,6'; -0.056 (2) -> '−0,06'; missing -> 'ei tietoa'."""
    decimal, thousands = _check_lang(lang)
    if is_missing(x):
        return MISSING_LABEL[lang]
    text = f"{abs(float(x)):,.{decimals}f}"
    text = text.replace(",", "\x00").replace(".", decimal).replace("\x00", thousands)
    negative = float(x) < 0 and float(text.replace(thousands, "").replace(decimal, ".")) != 0
    return ("\u2212" if negative else "") + text


def fmt_percent(x, decimals: int = 1, lang: str = "fi") -> str:
    """12.34 -> '12,3 %' (a no-break space before the sign, as Finnish and Swedish style guides write it)."""
    if is_missing(x):
        return MISSING_LABEL[lang]
    return fmt_number(x, decimals, lang) + NBSP + "%"


def fmt_value(x, unit: str, decimals: int, lang: str = "fi") -> str:
    if unit == "%":
        return fmt_percent(x, decimals, lang)
    if is_missing(x):
        return MISSING_LABEL[lang]
    return f"{fmt_number(x, decimals, lang)}{NBSP}{unit}" if unit else fmt_number(x, decimals, lang)
