"""The project's recorded answers (``snapshot/``) and how a page says where its numbers came from.

``snapshot/`` is laid out like the offline mirror; ``SNAPSHOT.json`` beside the answers gives, per service, the months
in which its answers were given. ``origin()`` tells the reader-facing truth for the current setting: the live services
(None), the recorded answers with their dates, or some other mirror folder. ``services_reachable()`` is the first-run
probe: can any of the three services be reached at all (any HTTP answer counts, even an error page).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import requests

from helpers.base import config
from helpers.base.errors import ConfigError
from helpers.base.languages import LANGS

SNAPSHOT_DIR = config.PROJECT_ROOT / "snapshot"
DATES_FILE = "SNAPSHOT.json"
# One address per service; a HEAD request to each is enough to know the network reaches it (proxies from the
# environment apply, as for every other request).
SERVICE_ROOTS = ("https://geo.stat.fi/geoserver/", "https://pxdata.stat.fi/PxWeb/api/v1/", "https://sotkanet.fi/rest/1.1/")
PROBE_TIMEOUT_S = 6.0

# (lead, detail) per language: the lead in bold on every page, then where the numbers came from.
_TEXT = {
    "fi": (("Tallennetut lähdevastaukset, ei suora haku", "luvut on laskettu aiemmin tallennetuista virallisten palvelujen vastauksista ({dates})."),
           ("Offline-kopio, ei suora haku", "luvut on luettu kansion {folder} tallennetuista palveluvastauksista.")),
    "sv": (("Sparade källsvar, inte direkt hämtning", "siffrorna bygger på tidigare sparade svar från de officiella tjänsterna ({dates})."),
           ("Offlinekopia, inte direkt hämtning", "siffrorna är lästa ur sparade tjänstesvar i mappen {folder}.")),
    "en": (("Recorded answers, not live", "the numbers come from earlier recorded answers of the official services ({dates})."),
           ("Offline copy, not live", "the numbers were read from recorded service answers in the folder {folder}.")),
}


@lru_cache(maxsize=4)
def _dates(folder: str) -> dict:
    path = Path(folder) / DATES_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        services = [s for s in data["services"] if s["name"] and s["from"] and s["to"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: the dates of the recorded answers cannot be read ({exc.__class__.__name__}: {exc}); "
                          "restore it from the repository") from None
    return {"assembled": data.get("assembled", ""), "services": services}


def snapshot_dir() -> Path:
    return SNAPSHOT_DIR.resolve()


def is_snapshot(folder: Path | None) -> bool:
    return folder is not None and Path(folder).resolve() == snapshot_dir()


def _month(text: str) -> str:
    """'2025-09' -> '9/2025', read the same way in all three languages."""
    year, _, month = str(text).partition("-")
    return f"{int(month)}/{year}" if month.isdigit() and 1 <= int(month) <= 12 else str(text)


def dates_text(lang: str = "fi") -> str:
    """Per service the months its recorded answers were given, e.g. 'THL, Sotkanet 9/2025–6/2026'."""
    parts = []
    for s in _dates(str(snapshot_dir()))["services"]:
        name = s["name"].get(lang) or s["name"]["fi"]
        start, end = _month(s["from"]), _month(s["to"])
        parts.append(f"{name} {start}" + ("" if start == end else f"–{end}"))
    return "; ".join(parts)


def origin(mirror: Path | None = None) -> dict | None:
    """Where the current setting reads the sources: None for the live services, else ``kind`` ("snapshot" or
    "mirror"), ``folder``, the per-service ``dates`` (snapshot only), and per language the page's ``lead`` and
    ``detail`` and the whole ``text``."""
    mirror = config.mirror_dir() if mirror is None else mirror
    if mirror is None:
        return None
    if is_snapshot(mirror):
        dates = {lang: dates_text(lang) for lang in LANGS}
        out = {"kind": "snapshot", "folder": "snapshot", "assembled": _dates(str(snapshot_dir()))["assembled"], "dates": dates}
        parts = {lang: (_TEXT[lang][0][0], _TEXT[lang][0][1].format(dates=dates[lang])) for lang in LANGS}
    else:
        out = {"kind": "mirror", "folder": Path(mirror).name}
        parts = {lang: (_TEXT[lang][1][0], _TEXT[lang][1][1].format(folder=Path(mirror).name)) for lang in LANGS}
    out["lead"] = {lang: lead for lang, (lead, _) in parts.items()}
    out["detail"] = {lang: detail for lang, (_, detail) in parts.items()}
    out["text"] = {lang: f"{lead}: {detail}" for lang, (lead, detail) in parts.items()}
    return out


def _answers(url: str) -> bool:
    try:
        requests.head(url, timeout=PROBE_TIMEOUT_S, allow_redirects=False)
    except requests.RequestException:
        return False
    return True


def services_reachable(roots: tuple[str, ...] = SERVICE_ROOTS) -> bool:
    """True when at least one service gives any HTTP answer (all probed at once, at most PROBE_TIMEOUT_S)."""
    with ThreadPoolExecutor(max_workers=len(roots)) as pool:
        return any(pool.map(_answers, roots))
