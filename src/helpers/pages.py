"""Writing HTML pages that open offline: one shared copy of plotly.js per site, atomic writes.

A page lives somewhere under the site folder (``outputs/site``) and loads ``assets/plotly.min.js`` by a
relative path, so the whole folder works from a file:// URL or any plain web server.
"""

from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path

from . import config

PLOTLY_ASSET = Path("assets") / "plotly.min.js"
HOME_LABEL = {"fi": "Etusivu", "sv": "Startsida", "en": "Home"}


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


def ensure_plotly_asset(site: Path | None = None) -> Path:
    """Copy plotly.js (the version the figures were made with) into the site once."""
    from plotly.offline import get_plotlyjs

    site = Path(site or site_dir())
    target = site / PLOTLY_ASSET
    js = get_plotlyjs()
    if not target.is_file() or target.stat().st_size != len(js.encode("utf-8")):
        atomic_write_text(target, js)
    return target


def relative_to_site(page: Path, site: Path | None = None) -> str:
    site = Path(site or site_dir()).resolve()
    rel = os.path.relpath(site, Path(page).resolve().parent)
    return "" if rel == "." else rel.replace(os.sep, "/") + "/"


def figure_div(fig, *, div_id: str | None = None) -> str:
    """A figure as an HTML fragment without plotly.js (the page loads the shared copy)."""
    from .maps import PLOTLY_CONFIG

    return fig.to_html(full_html=False, include_plotlyjs=False, config=PLOTLY_CONFIG, div_id=div_id)


def write_page(path: Path, *, title: str, body_html: str, lang: str = "fi", description: str = "", data_year=None,
               site: Path | None = None) -> Path:
    """Write a complete page (head, shared plotly.js, body) atomically and return its path."""
    path = Path(path)
    site = Path(site or site_dir())
    ensure_plotly_asset(site)
    prefix = relative_to_site(path, site)
    doc = f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<meta name="description" content="{html.escape(description)}">
<meta name="data-year" content="{html.escape(str(data_year or ''))}">
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1100px; padding: 0 1rem 2rem; color: #1a1a1a; }}
h1 {{ font-size: 1.5rem; }} .lahde {{ font-size: 0.85rem; color: #444; }}
table {{ border-collapse: collapse; font-size: 0.9rem; display: block; overflow-x: auto; max-width: 100%; }} th, td {{ padding: 0.25rem 0.5rem; border-bottom: 1px solid #ddd; text-align: left; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
table.levea {{ display: table; width: 100%; margin-top: 1rem; }} caption {{ text-align: left; font-weight: 600; padding: 0.25rem 0; }}
dt {{ font-weight: 600; }} dd {{ margin: 0 0 0.5rem 0; }}
.linkitetty {{ display: grid; grid-template-columns: 3fr 2fr; gap: 1rem; }}
@media (max-width: 800px) {{ .linkitetty {{ grid-template-columns: 1fr; }} }}
@media (max-width: 600px) {{ body {{ padding: 0 0.5rem 1rem; }} table {{ font-size: 0.8rem; }} }}
</style>
<script src="{prefix}{PLOTLY_ASSET.as_posix()}"></script>
</head>
<body>
<nav><a href="{prefix}index.html">{HOME_LABEL.get(lang, HOME_LABEL["fi"])}</a></nav>
{body_html}
</body>
</html>
"""
    atomic_write_text(path, doc)
    return path
