"""Print load times of the boundary layers (cold: parse + validate + cache write; warm: raw answer fetched and
its sha256 checked against the geodata/ entry, read from disk or already decoded in this process) and the
size of the web geometry per level. Usage: SOTE_MIRROR=../shared/mirror python benchmarks/geography.py"""

from __future__ import annotations

import os
import tempfile
import time

os.environ.setdefault("SOTE_GEODATA_DIR", tempfile.mkdtemp(prefix="geobench-"))
os.environ.setdefault("SOTE_CACHE_DIR", tempfile.mkdtemp(prefix="geobench-cache-"))

from helpers.geo import layers as geography  # noqa: E402
from helpers.geo.layers import load_layer  # noqa: E402
from helpers.geo.groupings import for_web, grouping_layer  # noqa: E402
from helpers.figures.maps import geojson_of  # noqa: E402
from helpers.geo.municipality_key import municipality_key  # noqa: E402


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def main(year: int = 2025) -> None:
    print(f"year {year}, geodata cache {os.environ['SOTE_GEODATA_DIR']}")
    for level in ("kunta", "maakunta", "hyvinvointialue"):
        _, cold = timed(load_layer, level, year)
        geography._DECODED.clear()  # as a new process would: read and verify the geodata/ entry from disk
        _, warm_disk = timed(load_layer, level, year)
        _, warm = timed(load_layer, level, year)
        print(f"load_layer {level:16s} cold {cold * 1000:7.1f} ms   warm from geodata/ {warm_disk * 1000:6.1f} ms"
              f"   warm in process {warm * 1000:6.1f} ms")
    _, t = timed(municipality_key, year)
    print(f"municipality_key          {t * 1000:7.1f} ms")
    for level in ("hyvinvointialue", "yhteistyoalue", "erva2020", "kunta"):
        layer, t = timed(grouping_layer, level, year)
        for tol in (250, 500, 1000):
            web = for_web(layer, tol)
            size = len(str(geojson_of(web)).encode())
            print(f"{level:16s} dissolve {t * 1000:6.1f} ms  tolerance {tol:5d} m  web GeoJSON {size / 1024:7.1f} KB")


if __name__ == "__main__":
    main()
