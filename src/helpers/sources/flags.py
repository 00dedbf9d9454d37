"""Value flags: the markers a source puts on a value (preliminary, suppressed, …) as Finnish words.

Every tidy indicator table carries a ``flags`` column: "" when the source marks nothing, else the Finnish words
sorted and joined by ", " (e.g. "ennakkotieto, salattu"). Aggregated and derived values carry the union of the flags
of the values they came from, so a page can mark e.g. a welfare region whose sum includes a preliminary figure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SEPARATOR = ", "
PRELIMINARY = "ennakkotieto"
SUPPRESSED = "salattu"
NOT_APPLICABLE = "ei sovellu"
NIL = "ei ilmoitettavaa"
ESTIMATE = "arvio"
REVISED = "korjattu"

# What each word means, for page footnotes (fi / sv / en).
MEANINGS = {
    PRELIMINARY: ("ennakkotieto, voi vielä muuttua", "preliminär uppgift", "preliminary figure, may still change"),
    SUPPRESSED: ("tietoa ei julkaista (salassa pidettävä tai liian epävarma)", "sekretessbelagd eller för osäker uppgift",
                 "not published (confidential or too uncertain)"),
    NOT_APPLICABLE: ("loogisesti mahdoton esitettäväksi", "logiskt omöjlig uppgift", "category not applicable"),
    NIL: ("ei mitään ilmoitettavaa", "inget finns att redovisa", "magnitude nil"),
    ESTIMATE: ("arvio", "uppskattning", "estimate"),
    REVISED: ("korjattu tieto", "reviderad uppgift", "revised figure"),
}

# Cell symbols: PX dot codes as Statistics Finland uses them ("." logically impossible; ".." not obtained, too
# uncertain or confidential; "-" nothing to report), the ellipsis used for confidential cells, and the one-letter
# JSON-stat / SDMX observation statuses.
STATUS_WORDS = {
    ".": NOT_APPLICABLE,
    "..": SUPPRESSED,
    "...": SUPPRESSED,
    "....": SUPPRESSED,
    ".....": SUPPRESSED,
    "......": SUPPRESSED,
    "…": SUPPRESSED,
    "-": NIL,
    "c": SUPPRESSED,
    "p": PRELIMINARY,
    "e": ESTIMATE,
    "r": REVISED,
}
# Free-text notes and comments (fi / sv / en): only words that mark values; "korjattu" etc. in a note is too often
# about the table's history to flag cells.
_NOTE_PATTERNS = [
    (PRELIMINARY, re.compile(r"ennakko|ennakollinen|ennakollis|preliminär|preliminary|provisional", re.I)),
    (SUPPRESSED, re.compile(r"salattu|salassa ?pid|luottamuksellinen|sekretess|confidential|suppressed", re.I)),
]
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")


def status_word(symbol) -> str:
    """One cell status symbol -> its Finnish word; an unknown symbol stays visible as itself."""
    s = str(symbol).strip()
    if not s:
        return ""
    return STATUS_WORDS.get(s) or STATUS_WORDS.get(s.lower()) or f"merkintä {s}"


def note_words(text, *, table_wide: bool = False) -> set[str]:
    """Finnish flag words a free-text note implies ("Vuoden 2025 tiedot ovat ennakkotietoja" -> ennakkotieto).
    A table-wide note only flags preliminary data: such notes often explain the symbols ("salassa pidettävät
    tiedot on merkitty ..."), which says nothing about any one cell."""
    if not text:
        return set()
    return {word for word, pattern in _NOTE_PATTERNS
            if pattern.search(str(text)) and not (table_wide and word != PRELIMINARY)}


def note_years(text) -> set[str]:
    """Years a note names (so a table-wide note about one year flags only that year's cells)."""
    return set(_YEAR.findall(str(text or "")))


def split(flags: str) -> set[str]:
    return {f for f in str(flags or "").split(SEPARATOR) if f}


def join(words: Iterable[str]) -> str:
    """Words (or already joined flag strings) -> sorted, de-duplicated, joined flag string ("" when none)."""
    out: set[str] = set()
    for w in words:
        out |= split(w)
    return SEPARATOR.join(sorted(out))


def join_groups(frame, keys: list[str], column: str = "value_flags"):
    """``frame.groupby(keys, sort=True)[column].agg(join)`` as a Series, with ``join`` called only for the groups
    that hold a flag ("" marks nothing, so the others join to ""): a series of 50 years by municipality has 16 000
    groups and a handful of flags."""
    import pandas as pd

    groups = frame.groupby(keys, sort=True)[column]
    out = pd.Series("", index=groups.size().index, dtype=object, name=column)
    flagged = frame[frame[column] != ""]
    if not flagged.empty:
        joined = flagged.groupby(keys, sort=True)[column].agg(join)
        out.loc[joined.index] = joined.values
    return out
