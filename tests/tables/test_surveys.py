"""The survey figures exactly as the seeds give them (seeds 001 and 002)."""

from helpers.site.survey_pages import mentions_2021
from helpers.tables.surveys import situation_2021, support_2020, surveys


def test_2020_survey_figures():
    s = surveys()["kysely_2020"]
    assert s["respondents"] == 562
    assert s["membership_pct"] == {"valtakunnallinen_liitto": 80, "soste": 52}
    shares = support_2020().pivot(index="question", columns="answer", values="pct")
    assert shares.loc["maakunta"].to_dict() == {"ei": 12, "eos": 16, "kylla": 72}
    assert shares.loc["erva"].to_dict() == {"ei": 54, "eos": 20, "kylla": 26}
    assert s["source"]["seed"] == "001_48285e5e0158bf76.txt"


def test_2021_situation_survey():
    s = surveys()["kysely_2021"]
    assert s["answers"] == 39 and s["source"]["seed"] == "002_32ce98e066e7a7fa.txt"
    q = situation_2021().set_index("id")
    assert q["mean"].tolist() == [3.3, 3.4, 3.6]
    assert q.loc["osallistaminen", "strongest"] == ["19", "14"] and q.loc["osallistaminen", "weakest"] == ["20"]
    assert q.loc["yhdistaminen", "strongest"] == ["18", "21"]
    assert q.loc["tavoittaminen", "strongest"] == ["21", "07"]
    labels = mentions_2021(2025)
    assert labels["20"] == "heikoimmaksi mainittu" and labels["21"] == "vahvimmaksi mainittu"
    assert (labels == "vahvimmaksi mainittu").sum() == 5 and len(labels) == 22


def test_charts_speak_the_page_language_and_quote_the_survey():
    from helpers.site.survey_pages import means_chart, membership_chart, mentions_map, support_chart

    sv = support_chart("sv")
    assert sv.layout.title.text == "Stöd för stödstrukturen, enkäten 2020 (n = 562)" and sv.layout.xaxis.title.text == "% av de svarande"
    assert [t.name for t in sv.data] == ["Ja", "Nej", "Vet inte"]  # the answer options in the page's language
    assert [t.name for t in support_chart("fi").data] == ["Kyllä", "Ei", "En osaa sanoa"]  # as asked
    assert [y.replace("<br>", " ") for y in sv.data[0].y] == ["En landskapsbaserad stödstruktur",
                                                              "En stödstruktur baserad på specialupptagningsområden"]
    assert "Kyllä" not in str(support_chart("en").to_dict()) and "Yhteistyörakenteiden" not in str(means_chart("en").to_dict())
    assert list(sv.data[0].x) == [72, 26]
    assert list(membership_chart("en").data[0].x) == ["Member of a national federation", "Member of SOSTE"]
    assert list(means_chart("sv").data[0].text) == ["3,3", "3,4", "3,6"] and means_chart("en").data[0].text[0] == "3.3"
    names = {t.name for t in mentions_map(2025, "en").data}
    assert {"named strongest", "named weakest", "not named"} <= names and not names & {"ei mainittu", "vahvimmaksi mainittu"}


def test_long_questions_wrap_in_the_bar_labels():
    from helpers.site.survey_pages import means_chart, support_chart
    from helpers.tables.surveys import situation_2021

    labels = list(means_chart("fi").data[0].y)
    assert [label.replace("<br>", " ") for label in labels] == situation_2021()["text_fi"].tolist()  # the quote, whole
    assert all(len(line) <= 26 for label in labels for line in label.split("<br>"))
    assert all("<br>" in label for label in support_chart("fi").data[0].y)
