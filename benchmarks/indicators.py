"""Print the time to build every indicator table of the catalogue from the cache (second pass), and the first
pass for comparison. Usage: SOTE_MIRROR=../shared/mirror python benchmarks/indicators.py"""

from __future__ import annotations

import os
import tempfile
import time

os.environ.setdefault("SOTE_GEODATA_DIR", tempfile.mkdtemp(prefix="indbench-geo-"))
os.environ.setdefault("SOTE_CACHE_DIR", tempfile.mkdtemp(prefix="indbench-cache-"))

from helpers.tables.indicators import catalogue, indicator_table  # noqa: E402

# Years each indicator is built for (what the offline mirror answers; live any catalogue year works).
REQUESTS = {
    "vaesto": [2023, 2024], "vaesto_historia": [2023], "vaesto_muutos": [2023, 2024], "osuus_0_14": [2024],
    "osuus_65": [2024], "vanhushuoltosuhde": [2024], "kuntien_lkm": [2025], "pinta_ala": [2025],
    "sotkanet_683": [2021, 2022, 2023],
}
LEVELS = ("hyvinvointialue", "yhteistyoalue", "koko_maa")


def build_all() -> tuple[float, int]:
    start, rows = time.perf_counter(), 0
    for ind in catalogue()["indicator_id"]:
        for level in LEVELS:
            rows += len(indicator_table(ind, REQUESTS[ind], level=level))
    return time.perf_counter() - start, rows


if __name__ == "__main__":
    cold, rows = build_all()
    warm, _ = build_all()
    n = len(catalogue()) * len(LEVELS)
    print(f"{n} indicator tables ({rows} rows)")
    print(f"first pass (fetch + parse + validate): {cold:6.2f} s")
    print(f"from cache:                            {warm:6.2f} s  ({warm / n * 1000:.0f} ms per table)")
