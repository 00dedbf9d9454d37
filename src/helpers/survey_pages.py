"""Charts and page of the 2020 support-structure survey and the 2021 situation survey (notebook 04)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from .geography import attribution as boundary_attribution
from .geography import load_layer
from .maps import add_source_note, category_map
from .numbers import fmt_number, plotly_separators
from .pages import figure, num, site_dir, table, write_page
from .surveys import situation_2021, source_line, support_2020, surveys

ANSWER_COLOURS = {"Kyllä": "#009E73", "Ei": "#D55E00", "En osaa sanoa": "#999999"}


def support_chart() -> go.Figure:
    df = support_2020()
    n = surveys()["kysely_2020"]["respondents"]
    fig = go.Figure()
    for answer, colour in ANSWER_COLOURS.items():
        part = df[df["answer_fi"] == answer]
        fig.add_trace(go.Bar(name=answer, y=part["question_fi"].tolist(), x=part["pct"].tolist(), orientation="h", marker_color=colour,
                             text=[f"{v}\u00a0%" for v in part["pct"]], textposition="inside"))
    add_source_note(fig, source_line("kysely_2020"))
    fig.update_layout(barmode="stack", title=f"Kannatus tukirakenteelle, kysely 2020 (n = {n})", xaxis=dict(title="% vastaajista", range=[0, 100]),
                      height=360, margin=dict(l=10, r=10, t=60, b=90), separators=plotly_separators("fi"), yaxis=dict(automargin=True))
    return fig


def membership_chart() -> go.Figure:
    s = surveys()["kysely_2020"]
    labels = {"valtakunnallinen_liitto": "Valtakunnallisen liiton jäsen", "soste": "SOSTEn jäsen"}
    fig = go.Figure(go.Bar(x=[labels[k] for k in s["membership_pct"]], y=list(s["membership_pct"].values()),
                           text=[f"{v}\u00a0%" for v in s["membership_pct"].values()], marker_color="#0072B2"))
    add_source_note(fig, source_line("kysely_2020"))
    fig.update_layout(title=f"Vastaajien jäsenyydet (n = {s['respondents']})", yaxis=dict(title="% vastaajista", range=[0, 100]), height=360, margin=dict(b=90))
    return fig


def means_chart() -> go.Figure:
    q = situation_2021()
    n = surveys()["kysely_2021"]["answers"]
    fig = go.Figure(go.Bar(x=q["mean"].tolist(), y=q["text_fi"].tolist(), orientation="h", marker_color="#56B4E9",
                           text=[fmt_number(v, 1) for v in q["mean"]], textposition="outside"))
    add_source_note(fig, source_line("kysely_2021"))
    fig.update_layout(title=f"Tilannekuvakysely 2021: koko maan keskiarvot (n = {n} vastausta)", xaxis=dict(title="keskiarvo", range=[0, 5]),
                      height=360, margin=dict(l=10, r=40, t=60, b=90), separators=plotly_separators("fi"), yaxis=dict(automargin=True))
    return fig


def mentions_2021(year: int = 2025) -> pd.Series:
    """Welfare-region code -> what the 2021 survey said of it (strongest/weakest named), for the map."""
    layer = load_layer("hyvinvointialue", year, mainland=True)
    labels = pd.Series("ei mainittu", index=layer["code"].values)
    for q in situation_2021().itertuples():
        for code in q.strongest:
            labels[code] = "vahvimmaksi mainittu" if labels[code] in ("ei mainittu", "vahvimmaksi mainittu") else "mainittu sekä vahvimmaksi että heikoimmaksi"
        for code in q.weakest:
            labels[code] = "heikoimmaksi mainittu" if labels[code] in ("ei mainittu", "heikoimmaksi mainittu") else "mainittu sekä vahvimmaksi että heikoimmaksi"
    return labels


def mentions_map(year: int = 2025) -> go.Figure:
    layer = load_layer("hyvinvointialue", year, mainland=True)
    return category_map(layer, mentions_2021(year), title="Tilannekuvakysely 2021: vahvimmiksi ja heikoimmiksi mainitut alueet",
                        attribution=f"{source_line('kysely_2021')}<br>{boundary_attribution(year)}",
                        order=["vahvimmaksi mainittu", "heikoimmaksi mainittu", "mainittu sekä vahvimmaksi että heikoimmaksi", "ei mainittu"],
                        colours={"vahvimmaksi mainittu": "#009E73", "heikoimmaksi mainittu": "#D55E00", "ei mainittu": "#e8e8e8"})


def page_path() -> Path:
    return site_dir() / "kyselyt" / "kyselyt_2020_2021.html"


TEXT = {
    "fi": {"title": "Kyselyt 2020 ja 2021", "heading": "Kyselyt järjestöjen alueellisesta tukirakenteesta (2020) ja tilannekuvasta (2021)",
           "description": "Tukirakennekysely 2020 ja tilannekuvakysely 2021", "means": "Tilannekuvakysely 2021, keskiarvot",
           "head": ["Kysymys", "Keskiarvo"], "note": ""},
    "sv": {"title": "Enkäterna 2020 och 2021", "heading": "Enkäterna om organisationernas regionala stödstruktur (2020) och läget (2021)",
           "description": "Enkäten om stödstrukturen 2020 och lägesenkäten 2021", "means": "Lägesenkäten 2021, medelvärden",
           "head": ["Fråga", "Medelvärde"], "note": "Frågorna och svarsalternativen citeras på finska, som de ställdes."},
    "en": {"title": "Surveys 2020 and 2021", "heading": "Surveys on the NGOs' regional support structure (2020) and situation (2021)",
           "description": "The 2020 support-structure survey and the 2021 situation survey", "means": "Situation survey 2021, means",
           "head": ["Question", "Mean"], "note": "The questions and answer options are quoted in Finnish, as they were asked."},
}


def write_survey_page(year: int = 2025, langs=("fi", "sv", "en")) -> Path:
    """Write the page in every language of ``langs`` (the survey texts are quoted in Finnish); returns the Finnish path."""
    from .downloads import table_files
    from .pages import lang_root

    q = situation_2021()
    charts = [figure(support_chart()), figure(membership_chart()), figure(means_chart())]
    mentions = figure(mentions_map(year))
    written = []
    for lang in langs:
        t = TEXT[lang]
        path = lang_root(site_dir(), lang) / page_path().relative_to(site_dir())
        df = pd.DataFrame({t["head"][0]: q["text_fi"].astype(str).tolist(), t["head"][1]: q["mean"].round(1).tolist()})
        downloads = table_files(df, page=path, name="keskiarvot", title=t["means"], sources=[source_line("kysely_2021")],
                                licence="CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)", decimals={t["head"][1]: 1}, lang=lang)
        context = {
            "heading": t["heading"], "note": t["note"], "charts": charts,
            "means": table(([str(r.text_fi), num(fmt_number(r.mean, 1, lang))] for r in q.itertuples()), caption=t["means"],
                           header=t["head"], downloads=downloads),
            "map": mentions,
            "source_lines": [source_line("kysely_2020"), source_line("kysely_2021"), boundary_attribution(year, lang)],
        }
        written.append(write_page(path, title=t["title"], template="survey.html.j2", context=context, lang=lang,
                                  description=t["description"], data_year="2020–2021"))
    return written[0]
