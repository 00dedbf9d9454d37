"""Writing HTML pages that open offline: one templating path (Jinja2, autoescaped), one shared copy of plotly.js
and of the site script per site, a Content-Security-Policy on every page, atomic writes.

A page lives somewhere under the site folder (``outputs/site``) and loads the shared files under ``assets/`` (the
stylesheet, the site script and, on pages with figures, plotly.js) by relative paths, so the whole folder works from a
file:// URL or any plain web server.

Languages: a Finnish page is at ``site/<path>``, its Swedish and English versions at ``site/sv/<path>`` and
``site/en/<path>``; every page carries the site header, breadcrumbs and a language switch to the same page in the
other languages (``site_shell``).

Escaping by construction: every page and fragment is rendered from ``templates/`` with autoescaping on; the page
modules hand the templates *data* (strings, numbers, rows of cells, figures), never HTML. A figure travels as JSON in
``<script type="application/json" class="plotly-figure">`` (``|tojson`` escapes ``<``, ``>``, ``&`` and ``'``, so the
JSON cannot close its script element); ``assets/site.js`` draws each one with ``Plotly.newPlot``. No inline script, so
the policy allows scripts from the site's own files only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

from markupsafe import Markup

from helpers.base import config
from helpers.base.config import PACKAGE_ASSETS_DIR, PARTIAL_PLOTLY
from helpers.base.files import atomic_write_text
from helpers.base.languages import LANGS
from helpers.base.words import word
from helpers.sources import snapshot

TEMPLATES_DIR = Path(__file__).with_name("templates")
PLOTLY_ASSET = Path("assets") / (PARTIAL_PLOTLY if (PACKAGE_ASSETS_DIR / PARTIAL_PLOTLY).is_file() else "plotly.min.js")
SITE_SCRIPT = Path("assets") / "site.js"
STYLESHEET = Path("assets") / "site.css"
SERIES_SCRIPT = Path("assets") / "series.js"  # the indicator pages' script (indicator_pages.write_series_page)
FIGURE_TOOLS = Path("assets") / "figure_tools.js"  # every page: figure image buttons, citation, table scroll cues
FIGURE_EXPORT = Path("assets") / "figure_export.js"  # loaded by the figure tools on the first image download
SHARED_ASSETS = (PLOTLY_ASSET, SITE_SCRIPT, STYLESHEET, SERIES_SCRIPT, FIGURE_TOOLS, FIGURE_EXPORT)  # written once into the site, not per page
LANG_NAMES = {"fi": "Suomeksi", "sv": "På svenska", "en": "In English"}
HOME_LABEL = {"fi": "Etusivu", "sv": "Startsida", "en": "Home"}
# The site header: (page inside a language's folder, label per language). Sections are the first folder of a page.
NAV = [
    ("index.html", HOME_LABEL),
    ("mallit/index.html", {"fi": "Mallit", "sv": "Modeller", "en": "Models"}),
    ("indikaattorit/index.html", {"fi": "Indikaattorit", "sv": "Indikatorer", "en": "Indicators"}),
    ("alueet/index.html", {"fi": "Alueet", "sv": "Områden", "en": "Regions"}),
    ("kyselyt/kyselyt_2020_2021.html", {"fi": "Kyselyt", "sv": "Enkäter", "en": "Surveys"}),
    ("lahteet.html", {"fi": "Lähteet", "sv": "Källor", "en": "Sources"}),
]
SECTION_OF = {"mallit": 1, "indikaattorit": 2, "alueet": 3, "aluerajat": 3, "kyselyt": 4}  # folder -> NAV entry
SHELL_TEXT = {
    "fi": {"skip": "Siirry sisältöön", "nav": "Sivuston osat", "crumbs": "Olet tässä", "langs": "Kieli", "site": "Sote-järjestökartat"},
    "sv": {"skip": "Till innehållet", "nav": "Webbplatsens delar", "crumbs": "Du är här", "langs": "Språk", "site": "Sote-järjestökartat"},
    "en": {"skip": "Skip to content", "nav": "Site sections", "crumbs": "You are here", "langs": "Language", "site": "Sote-järjestökartat"},
}
# The policy templates/base.html.j2 puts on every page (a trusted literal there; a test checks the two agree): scripts
# and styles from the site's own files only (plotly injects <style> elements, hence 'unsafe-inline' for styles),
# images from the site or data: URLs, and no network origin at all.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                           "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'")


def site_dir() -> Path:
    return config.outputs_dir() / "site"


def _ensure_file(target: Path, text: str) -> Path:
    if not target.is_file() or target.read_bytes() != text.encode("utf-8"):
        atomic_write_text(target, text)
    return target


def site_script() -> str:
    """The site script (``assets/site.js``): draws every figure block of a page."""
    return (PACKAGE_ASSETS_DIR / "site.js").read_text(encoding="utf-8")


def ensure_site_script(site: Path | None = None) -> Path:
    """Copy the site script into the site once (rewritten when the package's copy changed), and the figure tools
    every page loads beside it (and the image export they load on a click)."""
    for asset in (FIGURE_TOOLS, FIGURE_EXPORT):
        _ensure_file(Path(site or site_dir()) / asset, (PACKAGE_ASSETS_DIR / asset.name).read_text(encoding="utf-8"))
    return _ensure_file(Path(site or site_dir()) / SITE_SCRIPT, site_script())


def ensure_stylesheet(site: Path | None = None) -> Path:
    """Copy the shared stylesheet (screen and print) into the site once."""
    return _ensure_file(Path(site or site_dir()) / STYLESHEET, (PACKAGE_ASSETS_DIR / "site.css").read_text(encoding="utf-8"))


def ensure_plotly_asset(site: Path | None = None) -> Path:
    """Copy plotly.js (the version the figures were made with), the site script and the stylesheet into the site
    once; returns the plotly.js path."""
    site = Path(site or site_dir())
    target = site / PLOTLY_ASSET
    if PLOTLY_ASSET.name == PARTIAL_PLOTLY:
        data = (PACKAGE_ASSETS_DIR / PARTIAL_PLOTLY).read_bytes()
        if not target.is_file() or target.stat().st_size != len(data):
            atomic_write_text(target, data.decode("utf-8"))
    else:
        from plotly.offline import get_plotlyjs

        js = get_plotlyjs()
        if not target.is_file() or target.stat().st_size != len(js.encode("utf-8")):
            atomic_write_text(target, js)
    ensure_site_script(site)
    ensure_stylesheet(site)
    return target


# --------------------------------------------------------------------------- languages and the site shell

def lang_root(site: Path, lang: str) -> Path:
    """The folder a language's pages live in: the site itself for Finnish, ``sv/`` and ``en/`` for the others."""
    return Path(site) if lang == "fi" else Path(site) / lang


def page_in(site: Path, rel: str, lang: str) -> Path:
    """The file of page ``rel`` (e.g. ``alueet/15.html``) in ``lang``."""
    return lang_root(site, lang) / rel


def page_rel(path: Path, site: Path, lang: str) -> str:
    """A page's path inside its language's folder (``sv/alueet/15.html`` -> ``alueet/15.html``)."""
    rel = Path(os.path.relpath(Path(path).resolve(), Path(site).resolve())).as_posix()
    if lang != "fi" and rel.startswith(f"{lang}/"):
        rel = rel[len(lang) + 1:]
    return rel


def _href(target: Path, page: Path) -> str:
    return Path(os.path.relpath(_real(os.fspath(target)), os.path.dirname(_real(os.fspath(page))))).as_posix()


def _real(path: str) -> str:
    # A page asks for hundreds of links within the same few folders: an absolute path is resolved once per process
    # (a relative one depends on the working folder).
    return _real_absolute(path) if os.path.isabs(path) else os.path.realpath(path)


@lru_cache(maxsize=4096)
def _real_absolute(path: str) -> str:
    return os.path.realpath(path)


def site_shell(path: Path, site: Path, lang: str, title: str, crumbs: Sequence | None = None) -> dict:
    """Header links, breadcrumbs and the language switch of a page, as hrefs relative to the page.

    ``crumbs``: (label, page inside the language folder or None) between the home page and the page itself; by
    default the page's section (its first folder) when it is not the section's own index."""
    rel = page_rel(path, site, lang)
    folder = rel.split("/")[0] if "/" in rel else ""
    current = 0 if rel == "index.html" else (NAV.index(next(n for n in NAV if n[0] == rel)) if any(n[0] == rel for n in NAV)
                                             else SECTION_OF.get(folder))
    nav = [{"href": _href(page_in(site, target, lang), path), "label": labels[lang], "current": i == current}
           for i, (target, labels) in enumerate(NAV)]
    if crumbs is None:
        crumbs = []
        if current and NAV[current][0] != rel:
            crumbs = [(NAV[current][1][lang], NAV[current][0])]
    trail = [] if rel == "index.html" else [{"label": HOME_LABEL[lang], "href": nav[0]["href"]}]
    trail += [{"label": label, "href": _href(page_in(site, target, lang), path) if target else ""} for label, target in crumbs]
    if trail:
        trail.append({"label": title, "href": ""})
    langs = [{"lang": other, "label": LANG_NAMES[other], "href": _href(page_in(site, rel, other), path), "current": other == lang}
             for other in LANGS]
    return {"nav": nav, "crumbs": trail, "langs": langs, "text": SHELL_TEXT.get(lang, SHELL_TEXT["fi"])}


def relative_to_site(page: Path, site: Path | None = None) -> str:
    site = Path(site or site_dir()).resolve()
    rel = os.path.relpath(site, Path(page).resolve().parent)
    return "" if rel == "." else rel.replace(os.sep, "/") + "/"


# --------------------------------------------------------------------------- data the templates draw

@dataclass(frozen=True)
class Figure:
    """A plotly figure as the templates take it: its JSON spec (data, layout, config) and the slot's size."""

    spec: dict
    height: str
    width: str
    title: str = ""
    source: tuple = ()


def _css_size(value, default: str) -> str:
    if value is None:
        return default
    try:
        float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{value}px"


def figure(fig) -> Figure:
    """A figure for a template: the same traces, layout and config (maps.PLOTLY_CONFIG, with its offline topojson)
    that ``fig.to_html`` used, and the same slot size (the layout's height and width, else 100 %)."""
    from helpers.figures.maps import PLOTLY_CONFIG

    fig_dict = fig.to_dict() if hasattr(fig, "to_dict") else dict(fig)
    layout = dict(fig_dict.get("layout", {}))
    template_layout = layout.get("template", {}).get("layout", {})
    cfg = dict(PLOTLY_CONFIG)
    cfg.setdefault("responsive", True)
    # On a page the title and the source note are HTML around the plot (a figcaption and a paragraph): they wrap on
    # a phone instead of running off the edge, and plotly's toolbar (shown on hover, in the empty top margin) and
    # rotated axis labels cannot cover them. A PNG export keeps them inside the figure.
    title = layout.pop("title", None)
    title_text = (title.get("text") if isinstance(title, Mapping) else title) or ""
    notes = [a for a in layout.get("annotations", []) if a.get("name") == SOURCE_NOTE_NAME]
    if notes:
        layout["annotations"] = [a for a in layout.get("annotations", []) if a.get("name") != SOURCE_NOTE_NAME]
    margin = dict(layout.get("margin") or {})
    margin["t"] = 32
    if notes:
        margin["b"] = max(int(margin.get("b", 80)) - 60, 40)
    layout["margin"] = margin
    height = layout.get("height", template_layout.get("height"))
    if isinstance(height, (int, float)):
        height = max(height - 60, 200) if notes else height
        layout["height"] = height
    source = tuple(line for a in notes for line in str(a.get("text", "")).split("<br>") if line.strip())
    return Figure(spec={"data": fig_dict.get("data", []), "layout": layout, "config": cfg},
                  height=_css_size(height, "100%"), width=_css_size(layout.get("width", template_layout.get("width")), "100%"),
                  title=str(title_text).replace("<br>", " "), source=source)


SOURCE_NOTE_NAME = "lahde"  # maps.add_source_note names its annotation so a page can lift it out of the figure


def cell(text, *, num: bool = False, mark: str = "") -> dict:
    """A table cell: its text, whether it is a number (right-aligned), and a flag mark shown after it."""
    return {"text": "" if text is None else str(text), "num": num, "mark": mark}


def num(text, mark: str = "") -> dict:
    return cell(text, num=True, mark=mark)


def link(text, href: str, *, num: bool = False) -> dict:
    """A table cell that links to another page of the site (``href`` relative to the page, made by the page module)."""
    return {**cell(text, num=num), "href": href}


def table(rows: Iterable[Sequence], *, caption: str = "", header: Sequence | None = None, cls: str = "",
          footnotes: Sequence[str] = (), downloads: Mapping | None = None, row_attrs: Sequence[Mapping] | None = None) -> dict:
    """A table for the ``table`` macro: rows of cells (plain values are text cells; see ``cell``, ``num`` and
    ``link``), the download links of its numbers (``downloads.table_files``) and per row data attributes."""
    rows = [list(r) for r in rows]
    return {"caption": caption, "header": list(header) if header is not None else [], "rows": rows,
            "cls": cls, "footnotes": list(footnotes), "downloads": dict(downloads) if downloads else None,
            "row_attrs": [dict(a) for a in row_attrs] if row_attrs else [{} for _ in rows]}


def frame_table(df, *, caption: str = "", cls: str = "") -> dict:
    """A DataFrame as a table of text cells, its columns as the header."""
    return table(([str(v) for v in row] for row in df.itertuples(index=False)), caption=caption, header=[str(c) for c in df.columns], cls=cls)


# --------------------------------------------------------------------------- rendering

def _plotly_json(obj, **kwargs) -> str:
    """json.dumps as plotly serialises a figure (numpy arrays, dates, NaN -> null), compact."""
    from _plotly_utils.utils import PlotlyJSONEncoder

    kwargs.setdefault("separators", (",", ":"))
    return json.dumps(obj, cls=PlotlyJSONEncoder, **kwargs)


class _FigureIds:
    """Numbers the figures of one page in document order: fig-1, fig-2, ..."""

    def __init__(self, prefix: str = "fig") -> None:
        self.prefix, self.n = prefix, 0

    def next(self) -> str:
        self.n += 1
        return f"{self.prefix}-{self.n}"


@lru_cache(maxsize=1)
def environment():
    """The one Jinja2 environment every page and fragment is rendered with: autoescaped, strict about undefined
    names, ``|tojson`` serialising like plotly."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      autoescape=select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True, default=True))
    from helpers.base.words import breakable

    env.filters["breakable"] = breakable
    env.policies["json.dumps_function"] = _plotly_json
    env.policies["json.dumps_kwargs"] = {}
    return env


def render(template: str, **context) -> Markup:
    """Render a fragment template (a table, a figure, ...) to markup; figures get ids fig-1, fig-2, ... unless the
    context names its own ``figure_ids``."""
    context.setdefault("figure_ids", _FigureIds())
    return Markup(environment().get_template(template).render(**context))


_SCALARS = (str, int, float, type(None))  # bool is an int, Markup a str


def _has_figures(obj) -> bool:
    """Whether a plotly figure is anywhere in the page's context. A loop, not a call per value: a profile's context
    holds every region's series (16 000 values)."""
    todo, seen = [obj], set()
    while todo:
        item = todo.pop()
        if isinstance(item, _SCALARS):
            continue
        if isinstance(item, Figure):
            return True
        if id(item) in seen:  # a container met before (a context that holds itself)
            continue
        seen.add(id(item))
        if isinstance(item, Mapping):
            todo.extend(item.values())
        elif isinstance(item, (list, tuple)):
            todo.extend(item)
    return False


def figure_div(fig, *, div_id: str | None = None) -> Markup:
    """A figure as an HTML fragment without plotly.js (the page loads the shared copy and ``assets/site.js``, which
    draws it). For notebooks; the site's pages pass ``figure(fig)`` to their templates."""
    return render("figure.html.j2", fig=figure(fig), figure_ids=_FigureIds(div_id) if div_id else _FigureIds())


def write_page(path: Path, *, title: str, template: str = "page.html.j2", context: Mapping | None = None,
               paragraphs: Sequence[str] = (), lang: str = "fi", description: str = "", data_year=None,
               site: Path | None = None, crumbs: Sequence | None = None) -> Path:
    """Write a complete page atomically and return its path.

    ``template`` (under ``helpers/site/templates``, extending ``base.html.j2``) is rendered with ``context`` (data only:
    text is escaped) plus ``paragraphs`` (plain text, one ``<p>`` each, for the default ``page.html.j2``). A page
    with figures (``figure(fig)`` values anywhere in the context) loads the shared plotly.js; every page loads the
    stylesheet and the site script (figures, filters, the model picker). ``crumbs``: see ``site_shell``."""
    path = Path(path)
    site = Path(site or site_dir())
    context = {"paragraphs": list(paragraphs), **(context or {})}
    plotly = _has_figures(context)
    if plotly:
        ensure_plotly_asset(site)
    else:
        ensure_site_script(site)
        ensure_stylesheet(site)
    prefix = relative_to_site(path, site)
    scripts = {"site": prefix + SITE_SCRIPT.as_posix(), **({"plotly": prefix + PLOTLY_ASSET.as_posix()} if plotly else {})}
    doc = environment().get_template(template).render(
        **context, title=title, lang=lang, description=description, data_year="" if data_year is None else str(data_year),
        prefix=prefix, scripts=scripts, stylesheet=prefix + STYLESHEET.as_posix(), shell=site_shell(path, site, lang, title, crumbs),
        home_label=HOME_LABEL.get(lang, HOME_LABEL["fi"]), figure_ids=_FigureIds(), method=method_link(path, site, lang),
        data_origin=data_origin_text(lang))
    atomic_write_text(path, doc)
    return path


def data_origin_text(lang: str) -> dict | None:
    """What every page says when its numbers were not read live (``lead`` and ``detail``: recorded answers with
    their dates, or an offline mirror folder); None when live."""
    origin = snapshot.origin()
    return {"lead": origin["lead"][lang], "detail": origin["detail"][lang]} if origin else None


RUN_NAME_ENV = config.RUN_NAME_ENV  # set by the refresh for the run whose kernel writes the page
# The link to the run's executed notebook: a reader's word for it (the file's type is in the link's ``type``).
METHOD_LABEL = {lang: word("calculation_notebook", lang) for lang in LANGS}
METHOD_LEAD = {"fi": "Menetelmä", "sv": "Metod", "en": "Method"}


def method_link(page: Path, site: Path, lang: str) -> dict | None:
    """Link to the executed notebook of the run that writes the page (published as ``outputs/notebooks/RUN.ipynb``,
    beside ``outputs/site``), for readers who want the method; None outside a refresh run."""
    name = os.environ.get(RUN_NAME_ENV, "")
    if not name or not name.replace("_", "").replace("-", "").isalnum() or not name.isascii():
        return None
    target = Path(site).resolve().parent / "notebooks" / f"{name}.ipynb"
    return {"href": Path(os.path.relpath(target, Path(page).resolve().parent)).as_posix(), "label": METHOD_LABEL.get(lang, METHOD_LABEL["fi"]),
            "lead": METHOD_LEAD.get(lang, METHOD_LEAD["fi"])}


# --------------------------------------------------------------------------- reading a page's head back

class _HeadReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found = {"title": "", "description": "", "data_year": ""}
        self._in_title = False
        self.done = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "title":
            self._in_title = True
        elif tag == "meta" and a.get("name") in ("description", "data-year"):
            self.found["description" if a["name"] == "description" else "data_year"] = a.get("content") or ""

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data):
        if self._in_title and not self.done:
            self.found["title"] += data


def read_page_meta(path: Path) -> dict:
    """Title, description and data year of a written page, read back from its ``<head>`` (text unescaped)."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    end = text.find("</head>")
    reader = _HeadReader()
    reader.feed(text[: end + 7] if end >= 0 else text[:16000])
    reader.close()
    return {k: v.strip() if k == "title" else v for k, v in reader.found.items()}
