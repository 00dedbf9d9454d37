"""Map classes and legends (helpers.figures.classify), the ranked bars' number format and labels
(helpers.figures.charts), the unit maps' colour note and the region hub's labels (helpers.site.hub)."""

import re

import numpy as np
import pandas as pd
import pytest

from helpers.base.numbers import NBSP
from helpers.figures.classify import assign_classes, class_breaks, class_labels, legend_entries, quantile_bounds, shown

# osuus_65 2024 on the collaborative areas (5 + Åland): quantiles made 5 classes of these 6, two 0,1 points wide,
# and gave Etelä-Suomi (20,8) and Pohjois-Suomi (24,3) one colour.
COLLABORATIVE = {"1": 20.7634855868797, "2": 28.00831047380015, "3": 24.42135744205838, "4": 25.242504483917234,
                 "5": 24.2764851525735, "6": 24.528609643113462}


def test_quantile_bounds_are_mapclassifys_to_the_last_bit():
    # Computed without importing mapclassify (its numba compile delays every kernel): ties, rounding, tiny and
    # uneven samples, every k a map uses.
    import warnings

    import mapclassify

    rng = np.random.default_rng(31)
    samples = [rng.gamma(2, 10, 308), np.round(rng.normal(20, 5, 23), 1), rng.integers(0, 6, 50).astype(float),
               np.round(rng.uniform(0, 100, 7), 0), np.array([3.0]), np.array(list(COLLABORATIVE.values()))]
    samples += [np.round(rng.uniform(0, 100, int(n)), int(d)) for n, d in zip(rng.integers(2, 400, 200), rng.integers(0, 3, 200))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mapclassify warns when ties leave fewer classes
        for x in samples:
            for k in range(1, 10):
                expected = mapclassify.Quantiles(x, k=k).bins
                got = quantile_bounds(x, k)
                assert got.shape == expected.shape and np.array_equal(got, expected), (x, k)


def _limits(label: str, decimal: str) -> tuple[float, float]:
    parts = [float(p.replace(NBSP, "").replace(",", "").replace(decimal, ".") if decimal == "." else p.replace(NBSP, "").replace(",", "."))
             for p in label.split("–")]
    return parts[0], parts[-1]


def test_few_areas_get_a_class_and_a_colour_per_distinct_value():
    from helpers.figures.maps import choropleth
    from helpers.geo.layers import load_layer

    values = pd.Series(COLLABORATIVE)
    breaks = class_breaks(values, "quantiles", 5, decimals=1)
    assert len(breaks) == 6 and assign_classes(values, breaks).nunique() == 6
    assert class_labels(values, breaks, decimals=1, lang="fi") == ["20,8", "24,3", "24,4", "24,5", "25,2", "28,0"]
    assert class_labels(values, breaks, decimals=1, lang="en")[0] == "20.8"
    # Six shapes carry the six areas' values (dissolving the real areas takes seconds; the classes are the point).
    layer = load_layer("hyvinvointialue", 2025).head(6).assign(code=list(COLLABORATIVE), level="yhteistyoalue")
    fig = choropleth(layer, values, title="t", unit="%", year=2024, attribution="x", decimals=1)
    colours = {t.colorscale[0][1] for t in fig.data}
    assert len(fig.data) == 6 and len(colours) == 6
    by_code = {loc: t.colorscale[0][1] for t in fig.data for loc in t.locations}
    assert by_code["1"] != by_code["5"]  # Etelä-Suomi 20,8 %, Pohjois-Suomi 24,3 %
    # values that read the same on the page are one value: one class
    assert len(class_breaks(pd.Series([20.81, 20.84, 24.3, 25.0]), decimals=1)) == 3


@pytest.mark.parametrize("lang,decimal", [("fi", ","), ("sv", ","), ("en", ".")])
def test_many_values_get_classes_with_limits_that_never_overlap(lang, decimal):
    values = pd.Series(np.random.default_rng(7).normal(25, 4, 200))
    breaks = class_breaks(values, "quantiles", 5, decimals=1)
    labels = class_labels(values, breaks, decimals=1, lang=lang)
    assert len(labels) == 5 and all(re.fullmatch(rf"\d+\{decimal}\d–\d+\{decimal}\d", t) for t in labels), labels
    limits = [_limits(t, decimal) for t in labels]
    assert all(lo <= hi for lo, hi in limits)
    assert all(a[1] < b[0] for a, b in zip(limits, limits[1:]))  # 20,8–24,2 then 24,3–...: no shared limit
    # the bounds are unrounded values, so the pages' scripts (value <= bound) class exactly as the legend says
    classes = assign_classes(values, breaks)
    for i, (lo, hi) in enumerate(limits):
        member = shown(values[(classes == i).to_numpy()], 1)
        assert member.min() == lo and member.max() == hi


def test_a_series_of_few_areas_keeps_each_years_values_apart():
    years = pd.Series(np.repeat([2022, 2023, 2024], 6))
    values = pd.Series(np.concatenate([np.linspace(20, 21, 6) + 0.3 * i for i in range(3)]))
    breaks = class_breaks(values, "quantiles", 5, decimals=1, groups=years)
    classes = assign_classes(values, breaks)
    for y in (2022, 2023, 2024):
        assert classes[(years == y).to_numpy()].nunique() == 6
    assert len(breaks) <= 9
    # too many classes for a legend: a ramp of a few labelled colours
    noisy = pd.Series(np.random.default_rng(1).normal(25, 3, 60))
    many = class_breaks(noisy, decimals=1, groups=np.repeat(range(10), 6))
    entries = legend_entries(noisy, many, [f"#{i:06x}" for i in range(len(many))], decimals=1)
    assert len(many) > 9 and 2 <= len(entries) <= 6 and entries[0]["colour"] == "#000000"


def test_ranked_bars_keep_labels_inside_and_write_numbers_as_the_language_does():
    from helpers.figures.charts import ranked_bars, wrap_label

    table = pd.DataFrame({"area_code": ["90", "02", "20"], "area_name_fi": ["Helsingin kaupunki", "Keski-Uudenmaan hyvinvointialue", "Kainuu"],
                          "value": [684018.0, 200000.0, 70000.0]})
    fi = ranked_bars(table, title="Väkiluku", unit="henkeä", year=2024, attribution="x", decimals=0)
    bar = fi.data[0]
    assert fi.layout.separators == "," + NBSP and fi.layout.xaxis.exponentformat == "none" and fi.layout.xaxis.separatethousands
    assert list(bar.textposition) == ["outside", "outside", "inside"]  # the longest carries its value inside
    assert bar.text[-1] == f"684{NBSP}018{NBSP}henkeä" and list(fi.layout.xaxis.range) == [0.0, 684018.0]
    assert bar.y[1] == "Keski-Uudenmaan<br>hyvinvointialue" and bar.customdata[1][0] == "Keski-Uudenmaan hyvinvointialue"
    en = ranked_bars(table, title="Population", unit="persons", year=2024, attribution="x", lang="en", decimals=0)
    assert en.layout.separators == ".," and en.data[0].text[-1] == f"684,018{NBSP}persons"
    assert wrap_label("Vantaan ja Keravan hyvinvointialue") == "Vantaan ja Keravan<br>hyvinvointialue"
    assert wrap_label("Erityisvastuualueet") == "Erityisvastuualueet"  # one word is never cut
    change = pd.DataFrame({"area_code": ["a", "b"], "area_name_fi": ["A", "B"], "value": [-1.0, 5.0]})
    assert ranked_bars(change, title="t", unit="%", year=2024, attribution="x").layout.xaxis.range[0] < -1.0  # room left of -1


def test_unit_maps_say_what_a_reused_colour_means_and_the_hub_labels_with_codes():
    from helpers.figures.svgmap import COLOUR_NOTE, unit_map_data
    from helpers.geo.layers import load_layer
    from helpers.site.hub import RADIUS, hub_map
    from helpers.site.model_view import frame

    layer = load_layer("hyvinvointialue", 2025, mainland=True)
    data = unit_map_data(layer, frame(2025), map_id="m", title="t", lang="sv", source=["src"])
    assert data["source"] == [COLOUR_NOTE["sv"], "src"]
    fixed = unit_map_data(layer, frame(2025), map_id="m", title="t", colours={c: "#123456" for c in layer["code"]})
    assert fixed["colour_note"] == ""
    hub = hub_map(layer, frame(2025), title="t", lang="fi", hrefs={"07": "07.html"}, source=["src"])
    assert [s["n"] for s in hub["shapes"]] == sorted(layer["code"]) and hub["note"] and hub["source"] == ["src"]
    kanta = next(s for s in hub["shapes"] if s["code"] == "07")
    assert kanta["href"] == "07.html" and kanta["name"] == "Kanta-Hämeen hyvinvointialue"
    spots = [(s["lx"], s["ly"]) for s in hub["shapes"]]
    assert all(np.hypot(a[0] - b[0], a[1] - b[1]) >= 2 * RADIUS for i, a in enumerate(spots) for b in spots[i + 1:])
    assert {s["code"] for s in hub["shapes"] if s["moved"]} <= {"02", "04", "90"}  # the capital region's small ones


def test_a_category_map_with_reused_colours_says_what_they_mean():
    from helpers.figures.maps import category_map
    from helpers.figures.svgmap import COLOUR_NOTE
    from helpers.geo.layers import load_layer

    layer = load_layer("hyvinvointialue", 2025, mainland=True)
    names = pd.Series(layer["name_en"].values, index=layer["code"].values)
    reused = category_map(layer, names, title="t", attribution="x", lang="en", colours={n: ["#E69F00", "#56B4E9"][i % 2] for i, n in enumerate(names)})
    assert reused.layout.legend.title.text.replace("<br>", " ") == COLOUR_NOTE["en"]
    two = pd.Series(["a" if c < "10" else "b" for c in layer["code"]], index=layer["code"].values)
    assert category_map(layer, two, title="t", attribution="x").layout.legend.title.text is None
