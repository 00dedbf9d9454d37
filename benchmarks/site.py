"""Site benchmark: each page's own size and the site's total (the shared plotly.js counted once), and the time to
build the site from executed runs: every page written again from the figures in one process (warm caches, as the
notebooks write them), and the index from the manifest.

Usage: python benchmarks/site.py --outputs DIR     (a refreshed outputs folder, e.g. outputs/ after ./run refresh)
       python benchmarks/site.py --mirror ../shared/mirror   (refreshes into a temporary folder first)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--outputs", help="a refreshed outputs folder (with manifest.json)")
parser.add_argument("--mirror", help="offline mirror folder, when the benchmark refreshes first")
args = parser.parse_args()

work = Path(tempfile.mkdtemp(prefix="site-bench-"))
os.environ.setdefault("SOTE_CACHE_DIR", str(work / "cache"))
os.environ.setdefault("SOTE_GEODATA_DIR", str(work / "geodata"))

from helpers.base import config  # noqa: E402

if args.mirror:
    config.set_mirror(args.mirror)

from helpers.site.pages import PLOTLY_ASSET  # noqa: E402
from helpers.pipeline.job import refresh, summary  # noqa: E402
from helpers.pipeline.manifest import load_manifest  # noqa: E402

WELFARE_REGION_LIMIT = 120_000


def is_welfare_region_map(rel: str) -> bool:
    """Pages whose map is the welfare-region map (boundaries, indicators by welfare region, region profiles)."""
    return rel.endswith(".html") and (rel.startswith(("aluerajat/hyvinvointialue_", "alueet/")) or
                                      (rel.startswith("indikaattorit/") and "_hyvinvointialue_" in rel))


def rebuild(manifest: dict, site_out: Path) -> tuple[float, float]:
    """Write every page of the manifest's runs again from the figures, in this process; then the index."""
    from helpers.site.boundary_pages import write_boundary_page
    from helpers.site.indicator_pages import write_indicator_page
    from helpers.site.model_pages import write_comparison_page
    from helpers.site.build import write_index, write_region_profile
    from helpers.site.survey_pages import write_survey_page

    os.environ[config.OUTPUTS_ENV] = str(site_out)
    start = time.perf_counter()
    for run in manifest["runs"].values():
        p, nb = run["parameters"], Path(run["notebook"]).name
        if nb.startswith("01_"):
            write_boundary_page(p["level"], p.get("year", 2025), mainland=p.get("mainland", False), lang=p.get("lang", "fi"), png=p.get("png", False))
        elif nb.startswith("02_"):
            for ind in p["indicators"]:
                write_indicator_page(ind, max(p["years"]), level=p.get("level", "hyvinvointialue"), division_year=p.get("division_year", 2025),
                                     years=p["years"], lang=p.get("lang", "fi"), scheme=p.get("scheme", "quantiles"))
        elif nb.startswith("03_"):
            write_comparison_page(p["models"], p["year"], p["staffing"], p["indicator"], p["indicator_years"])
        elif nb.startswith("04_"):
            write_survey_page(p.get("year", 2025))
        elif nb.startswith("05_"):
            write_region_profile(p["region"], p.get("year", 2025), p.get("lang", "fi"))
    pages = time.perf_counter() - start
    start = time.perf_counter()
    write_index(manifest, site=site_out / "site")
    return pages, time.perf_counter() - start


if __name__ == "__main__":
    if args.outputs:
        outputs = Path(args.outputs).resolve()
        refresh_s = None
    else:
        outputs = work / "outputs"
        report = refresh(outputs=outputs, progress=False)
        print(summary(report))
        refresh_s = report.wall_s
    manifest = load_manifest(outputs)
    site = outputs / "site"
    rows = sorted((p.stat().st_size, p.relative_to(site).as_posix()) for p in site.rglob("*") if p.is_file() and p.suffix in (".html", ".png"))
    print(f"{'bytes':>9}  page")
    for size, rel in rows:
        flag = "  > 120 KB" if is_welfare_region_map(rel) and size >= WELFARE_REGION_LIMIT else ""
        print(f"{size:9d}  {rel}{flag}")
    html_total = sum(s for s, r in rows if r.endswith(".html"))
    png_total = sum(s for s, r in rows if r.endswith(".png"))
    asset = (site / PLOTLY_ASSET).stat().st_size
    n_html = sum(1 for _, r in rows if r.endswith(".html"))
    print(f"pages: {n_html}, page bytes {html_total:,} (mean {html_total / n_html:,.0f}), PNG {png_total:,}, shared plotly.js {asset:,}")
    print(f"site total: {html_total + png_total + asset:,} bytes")
    hv = [s for s, r in rows if is_welfare_region_map(r)]
    print(f"welfare-region map pages: {len(hv)}, largest {max(hv):,} bytes (limit {WELFARE_REGION_LIMIT:,})")
    pages_s, index_s = rebuild(manifest, work / "rebuild")
    if refresh_s is not None:
        print(f"refresh (notebooks executed by papermill): {refresh_s:.1f} s")
    print(f"site rebuilt from the executed runs' parameters in one process: pages {pages_s:.1f} s, index {index_s:.2f} s")
