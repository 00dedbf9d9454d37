"""Charts and page of the 2020 support-structure survey and the 2021 situation survey (notebook 04).

The notebook shows the plotly charts (``support_chart``, ``membership_chart``, ``means_chart``, ``mentions_map``); the
page draws the same numbers as pre-drawn SVG (``support_bars``, ``membership_bars``, ``means_bars``, ``mentions_svg``),
so a first visit loads no plotly.js."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from helpers.geo.layers import attribution as boundary_attribution
from helpers.geo.layers import load_layer
from helpers.figures.maps import add_source_note, category_map
from helpers.base.numbers import fmt_number, fmt_percent, plotly_separators
from helpers.base.words import word
from helpers.site.pages import num, site_dir, table, write_page
from helpers.tables.surveys import situation_2021, source_line, support_2020, surveys

ANSWER_COLOURS = {"Kyllä": "#009E73", "Ei": "#D55E00", "En osaa sanoa": "#999999"}

# The charts' own words (titles, axes, the map's categories). The questions and answer options are the surveys' own
# Finnish words; a Swedish or English page shows the site's translation of them and says so (TEXT["note"]).
WORDS = {
    "fi": {"support": "Kannatus tukirakenteelle, kysely 2020 (n = {n})", "pct": "% vastaajista",
           "members": "Vastaajien jäsenyydet (n = {n})", "valtakunnallinen_liitto": "Valtakunnallisen liiton jäsen", "soste": "SOSTEn jäsen",
           "means": "Tilannekuvakysely 2021: koko maan keskiarvot (n = {n} vastausta)", "mean": "keskiarvo",
           "map": "Tilannekuvakysely 2021: vahvimmiksi ja heikoimmiksi mainitut alueet"},
    "sv": {"support": "Stöd för stödstrukturen, enkäten 2020 (n = {n})", "pct": "% av de svarande",
           "members": "De svarandes medlemskap (n = {n})", "valtakunnallinen_liitto": "Medlem i ett riksförbund", "soste": "Medlem i SOSTE",
           "means": "Lägesenkäten 2021: medelvärden för hela landet (n = {n} svar)", "mean": "medelvärde",
           "map": "Lägesenkäten 2021: områden som nämndes som starkast och svagast"},
    "en": {"support": "Support for the support structure, 2020 survey (n = {n})", "pct": "% of respondents",
           "members": "Respondents' memberships (n = {n})", "valtakunnallinen_liitto": "Member of a national federation", "soste": "Member of SOSTE",
           "means": "Situation survey 2021: national means (n = {n} answers)", "mean": "mean",
           "map": "Situation survey 2021: regions named strongest and weakest"},
}
MENTIONS = ["vahvimmaksi mainittu", "heikoimmaksi mainittu", "mainittu sekä vahvimmaksi että heikoimmaksi", "ei mainittu"]
MENTION_WORDS = {
    "fi": dict(zip(MENTIONS, MENTIONS)),
    "sv": dict(zip(MENTIONS, ["nämnt som starkast", "nämnt som svagast", "nämnt både som starkast och som svagast", "inte nämnt"])),
    "en": dict(zip(MENTIONS, ["named strongest", "named weakest", "named both strongest and weakest", "not named"])),
}
MENTION_COLOURS = {"vahvimmaksi mainittu": "#009E73", "heikoimmaksi mainittu": "#D55E00", "ei mainittu": "#e8e8e8"}


def _label(text: str, width: int = 26) -> str:
    """A long question as a bar label over several lines: on a phone one line would run off the chart's left edge."""
    return "<br>".join(textwrap.wrap(str(text), width, break_on_hyphens=False, break_long_words=False)) or str(text)


def _words(lang: str) -> dict:
    from helpers.base.languages import check_lang

    return WORDS[check_lang(lang)]


def support_chart(lang: str = "fi") -> go.Figure:
    w = _words(lang)
    df = support_2020()
    n = surveys()["kysely_2020"]["respondents"]
    fig = go.Figure()
    for answer, colour in ANSWER_COLOURS.items():
        part = df[df["answer_fi"] == answer]
        fig.add_trace(go.Bar(name=word(answer, lang), y=[_label(question_text(q, lang)) for q in part["question"]], x=part["pct"].tolist(),
                             orientation="h", marker_color=colour,
                             text=[f"{v}\u00a0%" for v in part["pct"]], textposition="inside"))
    add_source_note(fig, source_line("kysely_2020", lang))
    fig.update_layout(barmode="stack", title=w["support"].format(n=n), xaxis=dict(title=w["pct"], range=[0, 100]),
                      height=360, margin=dict(l=10, r=10, t=60, b=90), separators=plotly_separators(lang), yaxis=dict(automargin=True))
    return fig


def membership_chart(lang: str = "fi") -> go.Figure:
    w = _words(lang)
    s = surveys()["kysely_2020"]
    fig = go.Figure(go.Bar(x=[w[k] for k in s["membership_pct"]], y=list(s["membership_pct"].values()),
                           text=[f"{v}\u00a0%" for v in s["membership_pct"].values()], marker_color="#0072B2"))
    add_source_note(fig, source_line("kysely_2020", lang))
    fig.update_layout(title=w["members"].format(n=s["respondents"]), yaxis=dict(title=w["pct"], range=[0, 100]), height=360, margin=dict(b=90),
                      separators=plotly_separators(lang))
    return fig


def means_chart(lang: str = "fi") -> go.Figure:
    w = _words(lang)
    q = situation_2021()
    n = surveys()["kysely_2021"]["answers"]
    fig = go.Figure(go.Bar(x=q["mean"].tolist(), y=[_label(question_text(i, lang, t)) for i, t in zip(q["id"], q["text_fi"])],
                           orientation="h", marker_color="#56B4E9",
                           text=[fmt_number(v, 1, lang) for v in q["mean"]], textposition="outside"))
    add_source_note(fig, source_line("kysely_2021", lang))
    fig.update_layout(title=w["means"].format(n=n), xaxis=dict(title=w["mean"], range=[0, 5]),
                      height=360, margin=dict(l=10, r=40, t=60, b=90), separators=plotly_separators(lang), yaxis=dict(automargin=True))
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


def mentions_map(year: int = 2025, lang: str = "fi") -> go.Figure:
    w, words = _words(lang), MENTION_WORDS[lang]
    layer = load_layer("hyvinvointialue", year, mainland=True)
    return category_map(layer, mentions_2021(year).map(words), title=w["map"], lang=lang,
                        attribution=f"{source_line('kysely_2021', lang)}<br>{boundary_attribution(year, lang)}",
                        order=[words[m] for m in MENTIONS], colours={words[m]: c for m, c in MENTION_COLOURS.items()})


# --------------------------------------------------------------------------- the page's pre-drawn SVG figures
# The page draws the same numbers as the charts above as SVG in its HTML: no plotly.js (1.2 MB) on a first visit.

def _percent(lang: str):
    return lambda v: fmt_percent(v, 0, lang)


def support_bars(lang: str = "fi") -> dict:
    from helpers.figures.svgbars import bar_chart

    w = _words(lang)
    df = support_2020()
    n = surveys()["kysely_2020"]["respondents"]
    questions = list(dict.fromkeys(df["question"]))
    series = [{"name": word(answer, lang), "colour": colour,
               "values": [int(df[(df["question"] == q) & (df["answer_fi"] == answer)]["pct"].iloc[0]) for q in questions]}
              for answer, colour in ANSWER_COLOURS.items()]
    chart = bar_chart([question_text(q, lang) for q in questions], series, title=w["support"].format(n=n), axis_title=w["pct"],
                      value_max=100, ticks=[0, 25, 50, 75, 100], fmt=_percent(lang), stacked=True, n=n)
    return {**chart, "source": [source_line("kysely_2020", lang)]}


def membership_bars(lang: str = "fi") -> dict:
    from helpers.figures.svgbars import bar_chart

    w = _words(lang)
    s = surveys()["kysely_2020"]
    chart = bar_chart([w[k] for k in s["membership_pct"]], [{"name": w["pct"], "colour": "#0072B2", "values": list(s["membership_pct"].values())}],
                      title=w["members"].format(n=s["respondents"]), axis_title=w["pct"], value_max=100, ticks=[0, 25, 50, 75, 100],
                      fmt=_percent(lang), n=s["respondents"])
    return {**chart, "source": [source_line("kysely_2020", lang)]}


def means_bars(lang: str = "fi") -> dict:
    from helpers.figures.svgbars import bar_chart

    w = _words(lang)
    q = situation_2021()
    n = surveys()["kysely_2021"]["answers"]
    chart = bar_chart([question_text(i, lang, t) for i, t in zip(q["id"], q["text_fi"])],
                      [{"name": w["mean"], "colour": "#56B4E9", "values": q["mean"].tolist()}], title=w["means"].format(n=n),
                      axis_title=w["mean"], value_max=5, ticks=[0, 1, 2, 3, 4, 5], fmt=lambda v: fmt_number(v, 1, lang),
                      tick_fmt=lambda v: fmt_number(v, 0, lang), n=n)
    return {**chart, "source": [source_line("kysely_2021", lang)]}


# "both" has no colour of its own in the plotly map's palette order; here one no other category uses.
BOTH_COLOUR = "#CC79A7"


def mentions_svg(year: int = 2025, lang: str = "fi") -> dict:
    """The 2021 mentions as a pre-drawn map: a path per welfare region with its name and category as the title, and
    a legend of the categories the map shows."""
    from helpers.figures.svgmap import country_frame, svg_shapes

    w, words = _words(lang), MENTION_WORDS[lang]
    colours = {**MENTION_COLOURS, "mainittu sekä vahvimmaksi että heikoimmaksi": BOTH_COLOUR}
    layer = load_layer("hyvinvointialue", year, mainland=True)
    labels = mentions_2021(year)
    frame = country_frame(year, mainland=True, width=400)
    name_col = f"name_{lang}" if f"name_{lang}" in layer.columns else "name_fi"
    shapes = svg_shapes(layer, frame, name_col=name_col)
    for s, fallback in zip(shapes, layer["name_fi"]):
        name = s["name"] if s["name"] not in ("", "None", "nan") else str(fallback)
        s.update(fill=colours[labels[s["code"]]], label=f"{name}: {words[labels[s['code']]]}", category=words[labels[s["code"]]])
    legend = [{"colour": colours[m], "label": words[m]} for m in MENTIONS if (labels == m).any()]
    return {"title": w["map"], "view_box": frame.view_box, "shapes": shapes, "legend": legend,
            "source": [source_line("kysely_2021", lang), boundary_attribution(year, lang)]}


CONTEXT = {
    "fi": {
        "context_head": "Kuka kysyi ja keneltä",
        "s2020": "Kysely 2020: tekijät Sotunet (sosiaaliturvayhdistysten neuvottelukunta) ja maakuntien verkostojärjestöjen työryhmä, "
                 "jotka esittivät 18+1-mallin STEA:lle 13.2.2020. Kysely oli avoin kaikille maakunnissa toimiville järjestöille; "
                 "vastaajat valikoituivat itse, joten tulos ei edusta kaikkia järjestöjä. Vastauksia {n}; vastaajista {fed} % oli "
                 "valtakunnallisen liiton ja {soste} % SOSTEn jäseniä.",
        "s2021": "Kysely 2021: SOSTEn Järjestöjen sote-muutostuki kesäkuussa 2021, ennen sote-lakipaketin hyväksymistä; vastauksia "
                 "{n}, kaikki asiantuntijoilta. Kysymykset koskivat yhteistyörakenteiden kykyä, eivät tukirakenteen mallia.",
        "asked_head": "Mistä mallista kysyttiin (kysely 2020, % kyllä)", "question": "Kysymys", "not_asked": "ei kysytty",
        "asked": "{pct} % kyllä", "asked_note": "Erva-kysymys koski vuoden 2020 erityisvastuualueita; vuoden 2023 yhteistyöalueita ei ollut "
                                                 "vielä olemassa, joten kysely ei ole kannanotto niihin.",
        "named_head": "Kysely 2021: mikä alue mainittiin missäkin kysymyksessä", "region": "Hyvinvointialue",
        "strong": "mainittu vahvana", "weak": "mainittu: työtä tehtävänä",
    },
    "sv": {
        "context_head": "Vem frågade och vem svarade",
        "s2020": "Enkäten 2020: gjord av Sotunet (socialskyddsföreningarnas delegation) och landskapens nätverksorganisationers arbetsgrupp, "
                 "som lade fram 18+1-modellen för STEA den 13.2.2020. Enkäten var öppen för alla organisationer i landskapen; de "
                 "svarande valde själva att svara, så resultatet representerar inte alla organisationer. {n} svar; {fed} % av de "
                 "svarande var medlemmar i ett riksförbund och {soste} % i SOSTE.",
        "s2021": "Enkäten 2021: SOSTEs reformstöd för organisationerna i juni 2021, innan social- och hälsovårdslagarna antogs; {n} "
                 "svar, alla av experter. Frågorna gällde samarbetsstrukturernas förmåga, inte en modell.",
        "asked_head": "Vilken modell frågades det om (enkäten 2020, % ja)", "question": "Fråga", "not_asked": "inte frågat",
        "asked": "{pct} % ja", "asked_note": "Frågan om specialupptagningsområden gällde 2020 års områden; 2023 års samarbetsområden fanns "
                                              "inte ännu, så enkäten tar inte ställning till dem.",
        "named_head": "Enkäten 2021: vilket område nämndes i vilken fråga", "region": "Välfärdsområde",
        "strong": "nämnt som stark", "weak": "nämnt: arbete att göra",
    },
    "en": {
        "context_head": "Who asked whom",
        "s2020": "2020 survey: run by Sotunet (the advisory board of the social security associations) and the working group of the "
                 "regional (maakunta) network organisations, who presented the 18+1 model to STEA on 13 Feb 2020. It was open to every NGO in "
                 "the regions; respondents chose themselves, so it does not represent all NGOs. {n} responses; {fed} % of "
                 "respondents were members of a national federation and {soste} % of SOSTE.",
        "s2021": "2021 survey: SOSTE's NGO reform support in June 2021, before the social and health reform laws were passed; {n} "
                 "answers, all from experts. The questions were about the cooperation structures' ability, "
                 "not about a support-structure model.",
        "asked_head": "Which model was asked about (2020 survey, % yes)", "question": "Question", "not_asked": "not asked",
        "asked": "{pct} % yes", "asked_note": "The special responsibility area question was about the 2020 special responsibility areas; the 2023 "
                                               "collaboration areas did not exist yet, so the survey is no verdict on them.",
        "named_head": "2021 survey: which region was named in which question", "region": "Welfare region",
        "strong": "named as strong", "weak": "named: work to do",
    },
}
# Which 2020 question asked about which model's basis (the survey asked about two bases; nothing else was asked).
ASKED_MODELS = ("malli_18_1", "malli_5_1_erva2020", "malli_5_1_yta", "rakenne_2021")
QUESTION_OF = {"malli_18_1": "maakunta", "malli_5_1_erva2020": "erva"}
QUESTION_WORDS = {"maakunta": {"fi": "Maakuntapohjainen tukirakenne", "sv": "En landskapsbaserad stödstruktur", "en": "A support structure based on regions (maakunnat)"},
                  "erva": {"fi": "Erva-alueisiin pohjautuva tukirakenne", "sv": "En stödstruktur baserad på specialupptagningsområden",
                           "en": "A support structure based on the special responsibility areas (erva)"}}
QUESTIONS_2021 = {"osallistaminen": {"fi": "Osallistaa järjestöt valmisteluun", "sv": "Involvera organisationerna i beredningen", "en": "Involve NGOs in the preparation"},
                  "yhdistaminen": {"fi": "Yhdistää järjestökenttää", "sv": "Förena organisationsfältet", "en": "Unite the NGO field"},
                  "tavoittaminen": {"fi": "Tavoittaa sote-yhdistykset", "sv": "Nå social- och hälsovårdsföreningarna", "en": "Reach social and health associations"}}


# The 2021 questions in full (data/kyselyt.yaml quotes the Finnish); Swedish and English are the site's translation.
QUESTION_TEXTS_2021 = {
    "osallistaminen": {"sv": "Samarbetsstrukturernas förmåga att involvera organisationerna i beredningen av social- och hälsovårdsreformen",
                       "en": "The cooperation structures' ability to involve NGOs in preparing the health and social services reform"},
    "yhdistaminen": {"sv": "Samarbetsstrukturernas förmåga att förena organisationsfältet",
                     "en": "The cooperation structures' ability to unite the NGO field"},
    "tavoittaminen": {"sv": "Samarbetsstrukturernas förmåga att nå social- och hälsovårdsföreningarna",
                      "en": "The cooperation structures' ability to reach social and health associations"},
}


def question_text(question: str, lang: str, finnish: str = "") -> str:
    """A survey question in the page's language: the Finnish original on a Finnish page (``finnish``, else the 2020
    question's label), the site's translation on the others (the page's note says so)."""
    if question in QUESTION_WORDS:
        return QUESTION_WORDS[question][lang]
    if lang == "fi":
        return finnish or question
    return QUESTION_TEXTS_2021.get(question, {}).get(lang) or finnish or question


def context_tables(year: int, lang: str) -> dict:
    """Who ran each survey and how respondents came, which model each 2020 question asked about, and which welfare
    region the 2021 survey named in which question."""
    from helpers.geo.municipality_key import municipality_key
    from helpers.models.decision import SHORT_LABELS
    from helpers.tables.surveys import support_for

    c = CONTEXT[lang]
    s = surveys()
    asked_rows = []
    for q in ("maakunta", "erva"):
        cells = [c["asked"].format(pct=fmt_number(support_for(q)["kylla"], 0, lang)) if QUESTION_OF.get(m) == q else c["not_asked"]
                 for m in ASKED_MODELS]
        asked_rows.append([QUESTION_WORDS[q][lang], *cells])
    asked = table(asked_rows, caption=c["asked_head"], header=[c["question"], *[SHORT_LABELS[m][lang] for m in ASKED_MODELS]],
                  footnotes=[c["asked_note"]])
    key = municipality_key(year).drop_duplicates("hyvinvointialue_code").set_index("hyvinvointialue_code")
    q21 = situation_2021()
    named: dict[str, dict[str, str]] = {}
    for r in q21.itertuples():
        for code in r.strongest:
            named.setdefault(code, {})[r.id] = c["strong"]
        for code in r.weakest:
            named.setdefault(code, {})[r.id] = c["weak"]
    rows = [[key.loc[code, f"hyvinvointialue_name_{lang}"] or key.loc[code, "hyvinvointialue_name_fi"],
             *[named[code].get(q, "") for q in q21["id"]]] for code in sorted(named)]
    named_table = table(rows, caption=c["named_head"], header=[c["region"], *[QUESTIONS_2021.get(q, {}).get(lang, q) for q in q21["id"]]])
    return {"head": c["context_head"],
            "paragraphs": [c["s2020"].format(n=s["kysely_2020"]["respondents"], fed=s["kysely_2020"]["membership_pct"]["valtakunnallinen_liitto"],
                                             soste=s["kysely_2020"]["membership_pct"]["soste"]),
                           c["s2021"].format(n=s["kysely_2021"]["answers"])],
            "asked": asked, "named": named_table}


def page_path() -> Path:
    return site_dir() / "kyselyt" / "kyselyt_2020_2021.html"


TEXT = {
    "fi": {"title": "Kyselyt 2020 ja 2021", "heading": "Kyselyt järjestöjen alueellisesta tukirakenteesta (2020) ja tilannekuvasta (2021)",
           "description": "Tukirakennekysely 2020 ja tilannekuvakysely 2021", "means": "Tilannekuvakysely 2021, keskiarvot",
           "head": ["Kysymys", "Keskiarvo"], "note": ""},
    "sv": {"title": "Enkäterna 2020 och 2021", "heading": "Enkäterna om organisationernas regionala stödstruktur (2020) och läget (2021)",
           "description": "Enkäten om stödstrukturen 2020 och lägesenkäten 2021", "means": "Lägesenkäten 2021, medelvärden",
           "head": ["Fråga", "Medelvärde"],
           "note": "Översättning: enkäterna ställdes på finska; frågorna och svarsalternativen på den här sidan är webbplatsens "
                   "översättning, inte enkätens egen ordalydelse."},
    "en": {"title": "Surveys 2020 and 2021", "heading": "Surveys on the NGOs' regional support structure (2020) and situation (2021)",
           "description": "The 2020 support-structure survey and the 2021 situation survey", "means": "Situation survey 2021, means",
           "head": ["Question", "Mean"],
           "note": "Translation: the surveys were asked in Finnish; the questions and answer options on this page are the site's "
                   "translation, not the surveys' own wording."},
}


def write_survey_page(year: int = 2025, langs=("fi", "sv", "en")) -> Path:
    """Write the page in every language of ``langs`` (the survey texts in Finnish on the Finnish page, the site's
    translation on the others); returns the Finnish path."""
    from helpers.site.downloads import table_files
    from helpers.site.pages import lang_root

    q = situation_2021()
    written = []
    for lang in langs:
        t = TEXT[lang]
        charts = [support_bars(lang), membership_bars(lang), means_bars(lang)]
        mentions = mentions_svg(year, lang)
        path = lang_root(site_dir(), lang) / page_path().relative_to(site_dir())
        texts = [question_text(i, lang, str(f)) for i, f in zip(q["id"], q["text_fi"])]
        df = pd.DataFrame({t["head"][0]: texts, t["head"][1]: q["mean"].round(1).tolist()})
        downloads = table_files(df, page=path, name="keskiarvot", title=t["means"], sources=[source_line("kysely_2021", lang)],
                                licence="CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)", decimals={t["head"][1]: 1}, lang=lang)
        context = {
            "heading": t["heading"], "note": t["note"], "charts": charts,
            "means": table(([text, num(fmt_number(r.mean, 1, lang))] for text, r in zip(texts, q.itertuples())), caption=t["means"],
                           header=t["head"], downloads=downloads),
            "map": mentions, "context": context_tables(year, lang),
            "source_lines": [source_line("kysely_2020", lang), source_line("kysely_2021", lang), boundary_attribution(year, lang)],
        }
        written.append(write_page(path, title=t["title"], template="survey.html.j2", context=context, lang=lang,
                                  description=t["description"], data_year="2020–2021"))
    return written[0]
