"""What a reader must not meet on a page: a Finnish word on a Swedish or English page where the shared words table
(``helpers.base.words``) has that page's own word, and internal names on any page (layer ids, notebook file names,
mirror and provenance words, ISO dates, UTC).

``reader_text_problems(text, lang)`` checks one page's visible text (from ``page_text`` here or a browser's
``document.body.innerText``); ``page_text(html)`` is the text a reader sees of an HTML page, including the words
inside its plotly figures (titles, axis titles, tick labels, hover text, legend names, annotations).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from html.parser import HTMLParser

# Names that belong in data files and the manifest, never in reader text.
INTERNAL_PATTERNS = (
    ("layer id", re.compile(r"\b\w+:\w+_vaki\d{4}\b")),
    ("layer id", re.compile(r"\b\w*4500k(?:_\d{4})?\b")),
    ("notebook file name", re.compile(r"\.ipynb\b")),
    ("internal word", re.compile(r"\bmirror\b", re.IGNORECASE)),
    ("internal word", re.compile(r"peilikopio", re.IGNORECASE)),
    ("internal word", re.compile(r"PROVENANCE")),
    ("internal word", re.compile(r"absValue")),
    ("ISO date", re.compile(r"\b\d{4}-\d{2}-\d{2}\b")),
    ("UTC", re.compile(r"\bUTC\b")),
)


@lru_cache(maxsize=4)
def _finnish_patterns(lang: str) -> tuple:
    from helpers.base.words import finnish_words

    out = []
    for fi, own in sorted(finnish_words(lang).items(), key=lambda kv: -len(kv[0])):
        # short words ("Ei", "htv") only as written; longer ones in any case (a label starts a sentence or not)
        flags = 0 if len(fi) <= 3 else re.IGNORECASE
        out.append((fi, own, re.compile(r"(?<!\w)" + re.escape(fi) + r"(?!\w)", flags)))
    return tuple(out)


def reader_text_problems(text: str, lang: str) -> list[str]:
    """Problems in a page's visible ``text`` for a reader of ``lang``: ``"Finnish 'henkeä' (en: 'persons')"`` for a
    Finnish word the table has another word for (sv and en pages), ``"layer id 'kunta4500k_2025'"`` and the like
    for internal names (every language). Empty when the text is clean."""
    problems = []
    # an address (a cite line's page address) is no word: its folders keep their Finnish names in every language
    text = re.sub(r"\b(?:https?|file)://\S+", " ", text)
    if lang != "fi":
        for fi, own, pattern in _finnish_patterns(lang):
            if pattern.search(text):
                problems.append(f"Finnish {fi!r} ({lang}: {own!r})")
    for what, pattern in INTERNAL_PATTERNS:
        for found in dict.fromkeys(m.group(0) for m in pattern.finditer(text)):
            problems.append(f"{what} {found!r}")
    return problems


# --------------------------------------------------------------------------- a page's visible text

SKIPPED = {"script", "style", "template", "noscript"}
ATTRS = ("alt", "title", "aria-label", "placeholder")
# plotly keys whose strings a reader sees (on the plot, in the legend, in hover boxes)
FIGURE_KEYS = {"text", "hovertext", "hovertemplate", "name", "ticktext", "texttemplate", "title", "legendgrouptitle"}
_PLACEHOLDER = re.compile(r"%\{[^}]*\}|<extra>.*?</extra>|<[^>]+>")


def _figure_strings(obj, key: str = "") -> list[str]:
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("geojson", "customdata", "meta", "uid", "ids", "locations", "featureidkey", "config"):
                continue
            out += _figure_strings(v, k if k in FIGURE_KEYS else (key if k in ("text",) else k))
    elif isinstance(obj, list):
        for v in obj:
            out += _figure_strings(v, key)
    elif isinstance(obj, str) and key in FIGURE_KEYS:
        out.append(_PLACEHOLDER.sub(" ", obj))
    return out


def figure_text(spec: dict) -> str:
    """The strings a reader sees in a plotly figure spec (data and layout): titles, tick text, hover text, names,
    annotations."""
    return "\n".join(s for s in _figure_strings({"data": spec.get("data", []), "layout": spec.get("layout", {})}) if s.strip())


class _TextReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._figure = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and "plotly-figure" in (a.get("class") or "").split():
            self._figure = []
        elif tag in SKIPPED:
            self._skip += 1
        for name in ATTRS:
            if a.get(name):
                self.parts.append(a[name])

    def handle_startendtag(self, tag, attrs):
        a = dict(attrs)
        for name in ATTRS:
            if a.get(name):
                self.parts.append(a[name])

    def handle_endtag(self, tag):
        if tag == "script" and self._figure is not None:
            try:
                self.parts.append(figure_text(json.loads("".join(self._figure))))
            except ValueError:
                pass
            self._figure = None
        elif tag in SKIPPED and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if self._figure is not None:
            self._figure.append(data)
        elif not self._skip:
            self.parts.append(data)


def page_text(html: str) -> str:
    """A page's visible text: element text (not scripts, styles, templates), reader-facing attributes (alt, title,
    aria-label, placeholder) and its plotly figures' text."""
    reader = _TextReader()
    reader.feed(html)
    reader.close()
    return "\n".join(p.strip() for p in reader.parts if p.strip())
