"""Writing HTML pages that open offline: one templating path (Jinja2, autoescaped), one shared copy of plotly.js
and of the site script per site, a Content-Security-Policy on every page, atomic writes.

A page lives somewhere under the site folder (``outputs/site``) and loads ``assets/plotly.min.js`` and
``assets/site.js`` by relative paths, so the whole folder works from a file:// URL or any plain web server.

Escaping by construction: every page and fragment is rendered from ``templates/`` with autoescaping on; the page
modules hand the templates *data* (strings, numbers, rows of cells, figures), never HTML. A figure travels as JSON in
``<script type="application/json" class="plotly-figure">`` (``|tojson`` escapes ``<``, ``>``, ``&`` and ``'``, so the
JSON cannot close its script element); ``assets/site.js`` draws each one with ``Plotly.newPlot``. No inline script, so
the policy allows scripts from the site's own files only.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

from markupsafe import Markup

from . import config

PLOTLY_ASSET = Path("assets") / "plotly.min.js"
SITE_SCRIPT = Path("assets") / "site.js"
SHARED_ASSETS = (PLOTLY_ASSET, SITE_SCRIPT)  # written once into the site, not per page
TEMPLATES_DIR = Path(__file__).with_name("templates")
PACKAGE_ASSETS_DIR = Path(__file__).with_name("assets")
HOME_LABEL = {"fi": "Etusivu", "sv": "Startsida", "en": "Home"}
# The policy templates/base.html.j2 puts on every page (a trusted literal there; a test checks the two agree): scripts
# and styles from the site's own files only (plotly injects <style> elements, hence 'unsafe-inline' for styles),
# images from the site or data: URLs, and no network origin at all.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                           "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'")


def site_dir() -> Path:
    return config.outputs_dir() / "site"


def atomic_write_text(path: Path, text: str) -> None:
    """Write to a temporary file beside the target and rename, so no reader sees half a page."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; pages must be readable by a web server
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _ensure_file(target: Path, text: str) -> Path:
    if not target.is_file() or target.read_bytes() != text.encode("utf-8"):
        atomic_write_text(target, text)
    return target


def site_script() -> str:
    """The site script (``assets/site.js``): draws every figure block of a page."""
    return (PACKAGE_ASSETS_DIR / "site.js").read_text(encoding="utf-8")


def ensure_site_script(site: Path | None = None) -> Path:
    """Copy the site script into the site once (rewritten when the package's copy changed)."""
    return _ensure_file(Path(site or site_dir()) / SITE_SCRIPT, site_script())


def ensure_plotly_asset(site: Path | None = None) -> Path:
    """Copy plotly.js (the version the figures were made with) and the site script into the site once; returns the
    plotly.js path."""
    from plotly.offline import get_plotlyjs

    site = Path(site or site_dir())
    target = site / PLOTLY_ASSET
    js = get_plotlyjs()
    if not target.is_file() or target.stat().st_size != len(js.encode("utf-8")):
        atomic_write_text(target, js)
    ensure_site_script(site)
    return target


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
    from .maps import PLOTLY_CONFIG

    fig_dict = fig.to_dict() if hasattr(fig, "to_dict") else dict(fig)
    layout = fig_dict.get("layout", {})
    template_layout = layout.get("template", {}).get("layout", {})
    cfg = dict(PLOTLY_CONFIG)
    cfg.setdefault("responsive", True)
    return Figure(spec={"data": fig_dict.get("data", []), "layout": layout, "config": cfg},
                  height=_css_size(layout.get("height", template_layout.get("height")), "100%"),
                  width=_css_size(layout.get("width", template_layout.get("width")), "100%"))


def cell(text, *, num: bool = False, mark: str = "") -> dict:
    """A table cell: its text, whether it is a number (right-aligned), and a flag mark shown after it."""
    return {"text": "" if text is None else str(text), "num": num, "mark": mark}


def num(text, mark: str = "") -> dict:
    return cell(text, num=True, mark=mark)


def table(rows: Iterable[Sequence], *, caption: str = "", header: Sequence | None = None, cls: str = "",
          footnotes: Sequence[str] = ()) -> dict:
    """A table for the ``table`` macro: rows of cells (plain values are text cells; see ``cell`` and ``num``)."""
    return {"caption": caption, "header": list(header) if header is not None else [], "rows": [list(r) for r in rows],
            "cls": cls, "footnotes": list(footnotes)}


def frame_table(df, *, caption: str = "", cls: str = "") -> dict:
    """A DataFrame as a table of text cells, its columns as the header."""
    return table(([str(v) for v in row] for row in df.itertuples(index=False)), caption=caption, header=[str(c) for c in df.columns], cls=cls)


def _is_blank(flag) -> bool:
    return flag is None or (isinstance(flag, float) and flag != flag) or str(flag).strip() in ("", "<NA>", "nan")


def flag_meanings(table, lang: str = "fi") -> dict[str, str]:
    """Flag word -> what it means in ``lang``, from an indicator table's ``attrs['flag_meanings']`` (empty if none)."""
    found = getattr(table, "attrs", {}).get("flag_meanings") or {}
    return {word: (m.get(lang) or m.get("fi") or word) if isinstance(m, Mapping) else str(m) for word, m in found.items()}


def flag_marks(flags: Iterable | None, *, source: str | Sequence[str] = "", meanings: Mapping[str, str] | None = None
               ) -> tuple[list[str], list[str]]:
    """Per value the mark shown after it ("" when the source marks nothing, else "*", "**", ... one per distinct flags
    string, in sorted order so a table and a chart of the same rows agree) and the footnote lines that explain the
    marks ("* ennakkotieto (Tilastokeskus (StatFin)): ennakkotieto, voi vielä muuttua"). ``source``: one source for
    all values or one per value; ``meanings``: flag word -> explanation (see ``flag_meanings``).
    ``flags`` None (a table without a ``flags`` column) gives no marks and no footnotes."""
    if flags is None:
        return [], []
    values = ["" if _is_blank(f) else str(f).strip() for f in flags]
    sources = [source] * len(values) if isinstance(source, str) else [str(s) for s in source]
    order = sorted(set(values) - {""})
    marks = ["*" * (order.index(v) + 1) if v else "" for v in values]
    notes = []
    for i, flag in enumerate(order):
        where = "; ".join(sorted({s for v, s in zip(values, sources) if v == flag and s}))
        explained = "; ".join(meanings[w] for w in flag.split(", ") if meanings and meanings.get(w) and meanings[w] != w)
        notes.append(f"{'*' * (i + 1)} {flag}" + (f" ({where})" if where else "") + (f": {explained}" if explained else ""))
    return marks, notes


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
    env.policies["json.dumps_function"] = _plotly_json
    env.policies["json.dumps_kwargs"] = {}
    return env


def render(template: str, **context) -> Markup:
    """Render a fragment template (a table, a figure, ...) to markup; figures get ids fig-1, fig-2, ... unless the
    context names its own ``figure_ids``."""
    context.setdefault("figure_ids", _FigureIds())
    return Markup(environment().get_template(template).render(**context))


def _has_figures(obj) -> bool:
    if isinstance(obj, Figure):
        return True
    if isinstance(obj, Mapping):
        return any(_has_figures(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return any(_has_figures(v) for v in obj)
    return False


def figure_div(fig, *, div_id: str | None = None) -> Markup:
    """A figure as an HTML fragment without plotly.js (the page loads the shared copy and ``assets/site.js``, which
    draws it). For notebooks; the site's pages pass ``figure(fig)`` to their templates."""
    return render("figure.html.j2", fig=figure(fig), figure_ids=_FigureIds(div_id) if div_id else _FigureIds())


def write_page(path: Path, *, title: str, template: str = "page.html.j2", context: Mapping | None = None,
               paragraphs: Sequence[str] = (), lang: str = "fi", description: str = "", data_year=None,
               site: Path | None = None) -> Path:
    """Write a complete page atomically and return its path.

    ``template`` (under ``helpers/templates``, extending ``base.html.j2``) is rendered with ``context`` (data only:
    text is escaped) plus ``paragraphs`` (plain text, one ``<p>`` each, for the default ``page.html.j2``). A page
    with figures (``figure(fig)`` values anywhere in the context) loads the shared plotly.js and site script."""
    path = Path(path)
    site = Path(site or site_dir())
    context = {"paragraphs": list(paragraphs), **(context or {})}
    scripts = _has_figures(context)
    if scripts:
        ensure_plotly_asset(site)
    prefix = relative_to_site(path, site)
    doc = environment().get_template(template).render(
        **context, title=title, lang=lang, description=description, data_year="" if data_year is None else str(data_year),
        prefix=prefix, scripts={"plotly": prefix + PLOTLY_ASSET.as_posix(), "site": prefix + SITE_SCRIPT.as_posix()} if scripts else {},
        home_label=HOME_LABEL.get(lang, HOME_LABEL["fi"]), figure_ids=_FigureIds())
    atomic_write_text(path, doc)
    return path


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
