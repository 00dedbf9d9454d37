import json

import numpy as np
import pandas as pd
import pytest

from helpers.charts import ranked_bars, value_table_html
from helpers.classify import assign_classes, class_breaks
from helpers.errors import InvalidParameter
from helpers.groupings import grouping_layer
from helpers.maps import PLOTLY_CONFIG, choropleth
from helpers.numbers import NBSP, fmt_number, fmt_percent, fmt_value, plotly_separators


def test_finnish_number_format():
    assert fmt_number(5635971) == f"5{NBSP}635{NBSP}971"
    assert fmt_number(3.6, 1) == "3,6"
    assert fmt_number(1234.567, 2) == f"1{NBSP}234,57"
    assert fmt_number(-0.0561, 2) == "\u22120,06"
    assert fmt_number(-0.001, 1) == "0,0"  # no minus sign on a rounded zero
    assert fmt_percent(24.56) == f"24,6{NBSP}%"
    assert fmt_number(1234.5, 1, "en") == "1,234.5"
    assert fmt_number(1234.5, 1, "sv") == f"1{NBSP}234,5"
    assert plotly_separators("fi") == "," + NBSP
    with pytest.raises(InvalidParameter, match="lang='de'"):
        fmt_number(1, lang="de")


def test_missing_is_missing_not_zero():
    assert fmt_number(float("nan")) == "ei tietoa"
    assert fmt_value(None, "%", 1, "sv") == "uppgift saknas"
    assert fmt_value(pd.NA, "henkeä", 0, "en") == "no data"


def _welfare_values():
    layer = grouping_layer("hyvinvointialue", 2025)
    values = pd.DataFrame({"area_code": layer["code"], "value": np.arange(len(layer), dtype=float)})
    values.loc[values["area_code"] == "20", "value"] = np.nan  # Kainuu missing
    return layer, values


def test_choropleth_draws_missing_region_as_missing():
    layer, values = _welfare_values()
    fig = choropleth(layer, values, title="t", unit="%", year=2024, attribution="Lähde: Tilastokeskus; CC BY 4.0", k=5)
    data = json.loads(fig.to_json())["data"]
    drawn = [loc for trace in data for loc in trace["locations"]]
    assert sorted(drawn) == sorted(layer["code"])  # all 23 drawn, each once
    missing = [t for t in data if t["name"] == "ei tietoa"]
    assert len(missing) == 1 and missing[0]["locations"] == ["20"]
    assert missing[0]["customdata"][0][1] == "ei tietoa"
    assert sum(len(t["geojson"]["features"]) for t in data) == 23  # each polygon carried once
    legend = [t["name"] for t in data if t["name"] != "ei tietoa"]
    assert legend[0].startswith("0,0 – ") and all("," in name for name in legend)
    assert json.loads(fig.to_json())["layout"]["separators"] == "," + NBSP
    assert "%, vuosi 2024" in fig.layout.legend.title.text
    assert fig.layout.annotations[0].text == "Lähde: Tilastokeskus; CC BY 4.0"


def test_choropleth_without_aland_and_strict_join():
    layer, values = _welfare_values()
    fig = choropleth(layer, values, title="t", unit="%", year=2024, attribution="x", show_aland=False)
    drawn = [loc for trace in fig.data for loc in trace.locations]
    assert len(drawn) == 22 and "91" not in drawn
    from helpers.errors import ValidationError

    with pytest.raises(ValidationError, match=r"in the layer but not in the table: \['05'\]"):
        choropleth(layer, values[values.area_code != "05"], title="t", unit="%", year=2024, attribution="x")


def test_offline_config_and_class_breaks():
    assert PLOTLY_CONFIG["topojsonURL"].startswith("data:application/json,") and PLOTLY_CONFIG["topojsonURL"].endswith("#")
    s = pd.Series([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, np.nan])
    q = class_breaks(s, "quantiles", k=5)
    assert q == pytest.approx([2.8, 4.6, 6.4, 8.2, 10.0])
    assert class_breaks(s, "fixed", bins=[5, 10]) == [5.0, 10.0]
    assert len(class_breaks(s, "natural_breaks", k=3)) == 3
    classes = assign_classes(s, q)
    assert classes.tolist()[:3] == [0, 0, 1] and pd.isna(classes.iloc[-1])
    with pytest.raises(InvalidParameter, match="scheme='jenks'"):
        class_breaks(s, "jenks")


def test_bars_and_table_show_missing_as_missing():
    table = pd.DataFrame({"area_code": ["a", "b", "c"], "area_name_fi": ["A", "B", "C"], "value": [2.5, np.nan, 10.0]})
    fig = ranked_bars(table, title="T", unit="%", year=2024, attribution="Lähde")
    bar = json.loads(fig.to_json())["data"][0]
    assert bar["y"] == ["B", "A", "C"] and bar["text"][0] == "ei tietoa"
    html = value_table_html(table, unit="%", year=2024)
    assert html.index(">C<") < html.index(">A<") < html.index(">B<")
    assert "<td class='num'></td><td>B</td><td class='num'>ei tietoa</td>" in html
