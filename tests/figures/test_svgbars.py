"""The pre-drawn bar charts (helpers.figures.svgbars): labels wrapped at blanks, bars to scale inside the frame,
values where they can be read."""

from helpers.base.numbers import fmt_percent
from helpers.figures.svgbars import bar_chart, text_colour, wrap


def _chart(**kw):
    series = [{"name": "Kyllä", "colour": "#009E73", "values": [72, 26]}, {"name": "Ei", "colour": "#D55E00", "values": [12, 54]},
              {"name": "En osaa sanoa", "colour": "#999999", "values": [16, 20]}]
    return bar_chart(["Maakuntapohjainen tukirakenne", "Erva-alueisiin pohjautuva tukirakenne " * 3], series, title="T",
                     axis_title="%", value_max=100, ticks=[0, 50, 100], fmt=lambda v: fmt_percent(v, 0, "fi"), n=562, **kw)


def test_labels_wrap_at_blanks_only():
    text = "Yhteistyörakenteiden kyky osallistaa järjestöt sote-uudistuksen valmisteluun"
    lines = wrap(text, 26)
    assert " ".join(lines) == text and all(len(line) <= 26 for line in lines)
    assert "sote-uudistuksen" in lines[2]  # not broken at the hyphen
    assert wrap("x" * 40, 10) == ["x" * 40]  # a long word stays whole


def test_stacked_bars_fill_the_scale_and_stay_in_the_frame():
    c = _chart(stacked=True)
    assert [b["value"] for b in c["bars"]] == [72, 12, 16, 26, 54, 20]
    first = c["bars"][:3]
    assert abs(first[-1]["x"] + first[-1]["w"] - (c["width"] - 4)) < 0.2  # 72 + 12 + 16 = 100: the whole width
    assert all(0 <= b["x"] and b["x"] + b["w"] <= c["width"] for b in c["bars"])
    assert all(b["tx"] is None or 0 <= b["tx"] <= c["width"] for b in c["bars"])
    assert c["bars"][0]["title"] == "Kyllä – Maakuntapohjainen tukirakenne: 72\u00a0% (n = 562)"
    assert [x["label"] for x in c["legend"]] == ["Kyllä", "Ei", "En osaa sanoa"]
    assert len(c["rows"][1]["lines"]) > 1 and c["bars"][3]["y"] > c["rows"][1]["y"] + 16  # the bars under their label
    assert c["ticks"][0]["anchor"] == "start" and c["ticks"][-1]["anchor"] == "end"
    assert c["view_box"] == f"0 0 360 {c['height']:g}"


def test_single_series_has_no_legend_and_a_short_bar_labels_after_its_end():
    c = bar_chart(["a", "b"], [{"name": "m", "colour": "#56B4E9", "values": [0.2, 3.6]}], title="T", axis_title="m", value_max=5,
                  ticks=[0, 5], fmt=lambda v: f"{v:.1f}")
    assert c["legend"] == [] and c["bars"][0]["title"] == "a: 0.2"
    short, long = c["bars"]
    assert short["anchor"] == "start" and short["tx"] > short["x"] + short["w"]
    assert long["anchor"] == "end" and long["tx"] < long["x"] + long["w"]


def test_value_text_contrasts_with_its_bar():
    assert text_colour("#0072B2") == "#ffffff" and text_colour("#56B4E9") == "#111111" and text_colour("#999999") == "#111111"
