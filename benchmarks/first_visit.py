"""First-visit benchmark: the front page and one model view served from 127.0.0.1, loaded in headless Chromium with an
empty cache and 4x CPU throttling; prints the bytes transferred and the time until the first map is painted, and the
same figures for the previous design's heaviest page (a two-map model comparison loading the full plotly.min.js).

Usage: python benchmarks/first_visit.py --site outputs/site [--model-view mallit/PAGE.html]
       python benchmarks/first_visit.py              (writes a few pages into a temporary site first, from the mirror
                                                       in SOTE_MIRROR or snapshot/)
Targets: front page <= 1.5 MB on a first visit, first map <= 2 s under the throttle; the model builder
(mallit/oma.html) <= 150 KB with its data and its first interaction (its script ready) <= 1 s; a profile and the
indicator pages (pre-drawn SVG) <= 300 KB and first map <= 1 s.

"First map painted": a ``performance.mark("first-map")`` if the site script sets one, else the first frame after a
drawn plotly geo map (``.plotly-graph-div .main-svg`` with region paths) or a pre-drawn ``svg.kartta`` appears.
Bytes: per response the encoded length Chromium reports (what a plain http.server sends: no compression), and what
gzip would make of the same files (a typical web server), summed.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parents[1]
FRONT_LIMIT, MAP_LIMIT_S = 1_500_000, 2.0
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
MAP_SELECTOR = ".plotly-graph-div .main-svg path.choroplethlocation, svg.kartta"
# Runs in the page before its own scripts (injected by the browser, so the page's CSP does not apply to it).
WATCH_FIRST_MAP = """(() => {
  const found = () => document.querySelector(%r);
  const stamp = () => requestAnimationFrame(() => requestAnimationFrame(() => { if (window.__firstMap === undefined) window.__firstMap = performance.now(); }));
  const watch = new MutationObserver(() => { if (found()) { watch.disconnect(); stamp(); } });
  watch.observe(document, {childList: true, subtree: true});
})();""" % MAP_SELECTOR
FIRST_MAP_MS = """() => { const m = performance.getEntriesByName('first-map'); return m.length ? m[0].startTime : window.__firstMap; }"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder: Path) -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def visit(browser, server, site: Path, rel: str, throttle: float) -> dict:
    """One first visit: fresh context, cache off, CPU throttled; bytes and first-map time."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
    sizes: dict[str, int] = {}
    urls: dict[str, str] = {}
    cdp.on("Network.responseReceived", lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
    errors, outside = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    origin = f"http://127.0.0.1:{server.server_port}/"
    page.route(lambda url: not url.startswith((origin, "data:")), lambda route: (outside.append(route.request.url), route.abort()))
    page.add_init_script(WATCH_FIRST_MAP)
    start = time.perf_counter()
    page.goto(origin + rel, wait_until="load", timeout=120_000)
    has_map = page.evaluate("() => !!document.querySelector('script.plotly-figure, svg.kartta')")
    first_map_ms = None
    if has_map:
        try:
            page.wait_for_function(f"() => ({FIRST_MAP_MS})() !== undefined", timeout=60_000, polling=50)
            first_map_ms = page.evaluate(FIRST_MAP_MS)
        except Exception:
            pass
    idle = True
    try:
        page.wait_for_load_state("networkidle", timeout=20_000)
    except Exception:  # noqa: BLE001 - measured as far as it got, and said (a plotly page under throttle can keep going)
        idle = False
    wall = time.perf_counter() - start
    time.sleep(0.2)  # the last loadingFinished events
    context.close()
    gz = 0
    for rid, url in urls.items():
        path = site / unquote(urlparse(url).path).lstrip("/")
        if path.is_file():
            gz += len(gzip.compress(path.read_bytes(), 6))
    return {"page": rel, "bytes": sum(sizes.values()), "gzip": gz, "requests": len(sizes), "first_map_s": None if first_map_ms is None else first_map_ms / 1000,
            "wall_s": wall, "errors": errors, "outside": outside, "idle": idle}


BUILDER_PAGE, BUILDER_LIMIT, READY_LIMIT_S = "mallit/oma.html", 150_000, 1.0
# Every page kind drawn without plotly: <= 300 KB on a first visit, first map <= 1 s. The boundary pages keep plotly
# (zoom and hover over 308 municipalities) and are measured against the front page's limits.
PAGE_LIMIT, PAGE_MAP_LIMIT_S = 300_000, 1.0
SVG_PAGES = ("index.html", "mallit/index.html", "alueet/index.html", "alueet/07.html", "indikaattorit/index.html",
             "indikaattorit/vaesto_hyvinvointialue_2024.html", "indikaattorit/sotkanet_683_hyvinvointialue_2023.html",
             "indikaattorit/osuus_65_kunta_2024.html", "indikaattorit/osuus_65_yhteistyoalue_2024.html",
             "sv/indikaattorit/vaesto_hyvinvointialue_2024.html", "kyselyt/kyselyt_2020_2021.html", "lahteet.html",
             "en/mallit/index.html", "sv/alueet/07.html")
PLOTLY_PAGES = ("aluerajat/kunta_2025.html", "aluerajat/hyvinvointialue_2025.html")
# The builder's first interaction: when its script has wired the page (#rakentaja gets data-ready).
WATCH_READY = """(() => {
  const watch = new MutationObserver(() => {
    const el = document.getElementById('rakentaja');
    if (el && el.hasAttribute('data-ready') && window.__ready === undefined) { window.__ready = performance.now(); watch.disconnect(); }
  });
  watch.observe(document, {childList: true, subtree: true, attributes: true, attributeFilter: ['data-ready']});
})();"""


def visit_builder(browser, server, site: Path, throttle: float) -> dict:
    """The model builder's first visit: bytes (page, script, stylesheet; its data is in the page) and the time until
    its controls answer, under the same throttle."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
    sizes: dict[str, int] = {}
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
    page.add_init_script(WATCH_READY)
    page.goto(f"http://127.0.0.1:{server.server_port}/{BUILDER_PAGE}", wait_until="load", timeout=120_000)
    page.wait_for_function("() => window.__ready !== undefined", timeout=60_000, polling=50)
    ready = page.evaluate("() => window.__ready") / 1000
    page.wait_for_load_state("networkidle")
    time.sleep(0.2)
    context.close()
    total = sum(sizes.values())
    flags = [f"over {BUILDER_LIMIT // 1000} KB"] * (total > BUILDER_LIMIT) + [f"ready over {READY_LIMIT_S:g} s"] * (ready > READY_LIMIT_S)
    print(f"{'model builder':<22} {total:>11,} B  {len(sizes):>3} req  first interaction {ready:.2f} s  {BUILDER_PAGE}"
          + (f"  [{', '.join(flags)}]" if flags else ""))
    return {"bytes": total, "ready_s": ready}


def write_pages(site: Path) -> tuple[str, str]:
    """A small site written with the page functions (as benchmarks/site.py does): a model comparison, an indicator
    page, the sources page and the index. Returns (front page, model view) relative paths."""
    os.environ["SOTE_OUTPUTS_DIR"] = str(site.parent)
    from helpers.site.indicator_pages import write_indicator_page
    from helpers.site.model_pages import write_comparison_page
    from helpers.site.build import write_index

    model = write_comparison_page(["malli_18_1", "malli_5_1_erva2020"], 2025, "sama_per_yksikko", "osuus_65", [2024])
    write_indicator_page("osuus_65", 2024, years=[2024])
    try:
        from helpers.site.sources_page import write_sources_page

        write_sources_page({}, site)
    except Exception as err:  # the benchmark measures pages; a sources page that cannot be written is reported only
        print(f"sources page not written: {err}")
    write_index(None, site=site)
    return "index.html", model.relative_to(site).as_posix()


def previous_design(work: Path) -> tuple[Path, str]:
    """The previous design's heaviest page: the two-map comparison of 18+1 and 5+1 with the full plotly.min.js at the
    path the page loads its plotly.js from."""
    import re

    from plotly.offline import get_plotlyjs

    site = work / "previous" / "site"
    os.environ["SOTE_OUTPUTS_DIR"] = str(site.parent)
    from helpers.site.model_pages import write_comparison_page

    page = write_comparison_page(["malli_18_1", "malli_5_1_erva2020"], 2025, "sama_per_yksikko", "osuus_65", [2024])
    for src in re.findall(r'<script src="([^"]*plotly[^"]*\.js)"', page.read_text(encoding="utf-8")):
        target = (page.parent / src).resolve()
        target.write_text(get_plotlyjs(), encoding="utf-8")
    return site, page.relative_to(site).as_posix()


def default_model_view(site: Path) -> str:
    candidates = sorted(site.glob("mallit/*.html"), key=lambda p: (not p.stem.startswith(("index", "mallinakyma", "vertailu")), p.name))
    if not candidates:
        raise SystemExit(f"no model pages under {site}/mallit; name one with --model-view")
    return candidates[0].relative_to(site).as_posix()


def show(label: str, r: dict, limit_bytes: int | None = None, map_limit_s: float = MAP_LIMIT_S) -> None:
    fm = "not found" if r["first_map_s"] is None else f"{r['first_map_s']:.2f} s"
    flags = []
    if limit_bytes is not None and r["bytes"] > limit_bytes:
        flags.append(f"over {limit_bytes / 1e6:.1f} MB")
    if r["first_map_s"] is not None and r["first_map_s"] > map_limit_s and limit_bytes is not None:
        flags.append(f"map over {map_limit_s:g} s")
    print(f"{label:<22} {r['bytes']:>11,} B  gzip {r['gzip']:>9,} B  {r['requests']:>3} req  first map {fm:>9}  "
          f"load {r['wall_s']:.2f} s  {r['page']}" + (f"  [{', '.join(flags)}]" if flags else "")
          + ("" if r.get("idle", True) else "  (network not idle after 20 s: bytes so far)"))
    for e in r["errors"][:5]:
        print(f"    console error: {e}")
    for u in r["outside"][:5]:
        print(f"    blocked request off the machine: {u}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", help="a built site folder (e.g. outputs/site); default: write a few pages into a temporary one")
    parser.add_argument("--front", default="index.html", help="front page, relative to the site")
    parser.add_argument("--model-view", help="model view page, relative to the site (default: the first page under mallit/)")
    parser.add_argument("--with-bundle", action="store_true",
                        help="serve a copy of the site whose plotly.js (pages.PLOTLY_ASSET) is the light bundle "
                             "src/helpers/assets/plotly-sote.min.js (to measure it before the pages load it themselves)")
    parser.add_argument("--throttle", type=float, default=4.0, help="CPU slow-down factor (default 4)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="first-visit-"))
    os.environ.setdefault("SOTE_MIRROR", str(ROOT / "snapshot"))
    os.environ.setdefault("SOTE_CACHE_DIR", str(work / "cache"))
    os.environ.setdefault("SOTE_GEODATA_DIR", str(work / "geodata"))
    try:
        if args.site:
            site = Path(args.site).resolve()
            front, model = args.front, args.model_view or default_model_view(site)
        else:
            site = work / "outputs" / "site"
            front, model = write_pages(site)
            model = args.model_view or model
        if args.with_bundle:
            from helpers.site.pages import PACKAGE_ASSETS_DIR, PLOTLY_ASSET

            light = work / "light" / "site"
            shutil.copytree(site, light)
            (light / PLOTLY_ASSET).write_bytes((PACKAGE_ASSETS_DIR / "plotly-sote.min.js").read_bytes())
            site = light
        old_site, old_page = previous_design(work)

        from playwright.sync_api import sync_playwright

        servers = [serve(site), serve(old_site)]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=CHROMIUM_ARGS)
            try:
                print(f"first visit, empty cache, CPU throttled {args.throttle:g}x, served by http.server (no compression)")
                show("front page", visit(browser, servers[0], site, front, args.throttle), FRONT_LIMIT)
                show("model view", visit(browser, servers[0], site, model, args.throttle), FRONT_LIMIT)
                try:
                    show("previous design", visit(browser, servers[1], old_site, old_page, args.throttle))
                except Exception as exc:  # noqa: BLE001 - a baseline only: the pages measured below still are
                    print(f"previous design        not measured: {str(exc).splitlines()[0]}")
                if (site / BUILDER_PAGE).is_file():
                    visit_builder(browser, servers[0], site, args.throttle)
                for rel in SVG_PAGES:  # pages drawn without plotly: the page budget and the 1 s first map
                    if (site / rel).is_file():
                        show("svg page", visit(browser, servers[0], site, rel, args.throttle), PAGE_LIMIT, PAGE_MAP_LIMIT_S)
                for rel in PLOTLY_PAGES:
                    if (site / rel).is_file():
                        try:
                            show("plotly page", visit(browser, servers[0], site, rel, args.throttle), FRONT_LIMIT)
                        except Exception as exc:  # noqa: BLE001 - said, and the other figures stand
                            print(f"plotly page            not measured: {str(exc).splitlines()[0]}  {rel}")
            finally:
                browser.close()
        for s in servers:
            s.shutdown()
        print(f"targets: front page <= {FRONT_LIMIT / 1e6:.1f} MB, first map <= {MAP_LIMIT_S:.0f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
