"""Static PNG export of figures for slides and reports (kaleido, driving Debian's chromium).

Offline: kaleido must not fetch plotly.js or the world topojson from a CDN. The topojson default is pointed at the
same empty data: URL the pages use, and kaleido is told where chromium is (``BROWSER_PATH``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .errors import SoteError
from .maps import PLOTLY_CONFIG

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def chromium_path() -> str | None:
    for candidate in (os.environ.get("BROWSER_PATH"), *CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def write_png(fig, path: str | os.PathLike, *, width: int = 1200, height: int = 900, scale: float = 1.0) -> Path:
    """Write the figure as PNG atomically; raises SoteError naming what is missing when no browser is found."""
    import plotly.io as pio

    browser = chromium_path()
    if browser is None:
        raise SoteError("PNG export needs a Chrome/Chromium: install Debian's 'chromium' package or set BROWSER_PATH")
    os.environ.setdefault("BROWSER_PATH", browser)
    pio.defaults.topojson = PLOTLY_CONFIG["topojsonURL"]
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
