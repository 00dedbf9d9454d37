"""Static PNG export of figures for slides and reports (kaleido, driving Debian's chromium).

Offline: kaleido must not fetch plotly.js or the world topojson from a CDN. The topojson default is pointed at the
same empty data: URL the pages use, plotly.js is the pages' own partial build, and kaleido is told where chromium is
(``BROWSER_PATH``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from helpers.base.errors import SoteError
from helpers.figures.maps import PLOTLY_CONFIG
from helpers.base.config import PACKAGE_ASSETS_DIR, PARTIAL_PLOTLY

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def chromium_path() -> str | None:
    """The browser kaleido drives: ``BROWSER_PATH`` when set (an explicit choice, even if it is missing), else the
    usual Debian/Chrome locations."""
    if os.environ.get("BROWSER_PATH"):
        return os.environ["BROWSER_PATH"] if Path(os.environ["BROWSER_PATH"]).is_file() else None
    for candidate in (*CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def write_png(fig, path: str | os.PathLike, *, width: int = 1200, height: int = 900, scale: float = 1.0,
              required: bool = False) -> Path | None:
    """Write the figure as PNG atomically and return its path.

    Without a browser the PNG is skipped: returns None and records a notice (the refresh puts it in the run's
    manifest entry), so a machine without chromium still publishes the pages. ``required=True`` raises instead.
    """
    import plotly.io as pio

    browser = chromium_path()
    if browser is None:
        if required:
            raise SoteError("PNG export needs a Chrome/Chromium: install Debian's 'chromium' package or set BROWSER_PATH")
        from helpers.base.notices import record_notice

        record_notice(f"PNG ohitettu: {Path(path).name} (Chromium puuttuu; asenna Debianin chromium-paketti tai aseta BROWSER_PATH)")
        return None
    os.environ.setdefault("BROWSER_PATH", browser)
    pio.defaults.topojson = PLOTLY_CONFIG["topojsonURL"]
    # The pages' partial plotly.js build (1.2 MB instead of 4.8 MB; the same version, every trace type the figures
    # use, tests/figures/test_bundle.py): the same PNG bytes, the browser's start 2.9 -> 1.6 s.
    partial = PACKAGE_ASSETS_DIR / PARTIAL_PLOTLY
    if partial.is_file() and not pio.defaults.plotlyjs:
        pio.defaults.plotlyjs = str(partial)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.write_image(tmp, format="png", width=width, height=height, scale=scale)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path
