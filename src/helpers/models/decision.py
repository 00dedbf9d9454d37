"""The headline comparison: every model under ONE staffing rule, the criteria a decision turns on, a verdict per
criterion, and findings that name the rule they assume.

The common rule: the 18+1 proposal's 18 regional person-years (coordination counted apart and shown apart) are
allocated to each model's units in proportion to population by a named divisor method (Sainte-Laguë/Webster by
default; Balinski & Young 1982). Whether every unit is guaranteed one worker is a named choice and both variants are
computed: ``floor`` (one each first, the rest by the method; the headline, because both the 18+1 and the 5+1 proposal
put a worker in every unit) and ``no_floor`` (the textbook method, where small units may get none). Where a rule
cannot allocate — a floor with more units than person-years — the result says so and names the units left out; a unit
left with no worker is named, never shown as a zero. No figure here is even by construction: whole person-years cannot
follow population exactly, and the table shows how far each structure is from it.

Staffing as the sources give it is a separate view (``sources_view``): person-years and persons never share a column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.base.numbers import fmt_number
from helpers.base.words import area_name
from helpers.models import apportionment
from helpers.models.metrics import REFERENCE
from helpers.models.model_files import load_model, model_names
from helpers.models.scorecard import unit_base
from helpers.tables.surveys import support_for, surveys

LANGS = ("fi", "sv", "en")
# The table's columns, in this order: the two proposals of 2020, the 5+1 on the 2023 collaboration areas, what was
# built in 2021, one unit per welfare region, and the computed best-balanced grouping (added by the caller).
DECISION_MODELS = ("malli_18_1", "malli_5_1_erva2020", "malli_5_1_yta", "rakenne_2021", "hyvinvointialueittain")
VARIANTS = ("floor", "no_floor")
SOURCES_VIEW_EXTRA = ("jarjesto_2_0",)  # the third 2020 model: in the staffing view (its source gives no staffing)
HEADLINE_VARIANT = "floor"
SHORT_LABELS = {
    "malli_18_1": {"fi": "18+1", "sv": "18+1", "en": "18+1"},
    "malli_5_1_erva2020": {"fi": "5+1 (erva 2020)", "sv": "5+1 (specialupptagningsområden 2020)", "en": "5+1 (2020 special responsibility areas)"},
    "malli_5_1_yta": {"fi": "5+1 (yhteistyöalueet, sovitus)", "sv": "5+1 (samarbetsområden, anpassning)", "en": "5+1 (collaboration areas, adapted)"},
    "rakenne_2021": {"fi": "Muutostuki 2021", "sv": "Reformstödet 2021", "en": "Reform support 2021"},
    "jarjesto_2_0": {"fi": "Järjestö 2.0", "sv": "Järjestö 2.0", "en": "Järjestö 2.0"},
    "hyvinvointialueittain": {"fi": "Hyvinvointialueittain", "sv": "Per välfärdsområde", "en": "Per welfare region"},
}
REFERENCE_LABEL = {"fi": "Tasaisin {k} yksikön jako (laskettu)", "sv": "Jämnaste indelningen i {k} enheter (beräknad)",
                   "en": "Most balanced {k}-unit grouping (computed)"}

# id: (labels fi/sv/en, unit fi/sv/en, better, decimals)
CRITERIA = {
    "residents_ratio": ({"fi": "Asukkaita työntekijää kohden: suurin / pienin", "sv": "Invånare per arbetstagare: störst / minst",
                         "en": "Residents per worker: largest / smallest"}, {"fi": "", "sv": "", "en": ""}, "lower", 2),
    "residents_max": ({"fi": "Asukkaita työntekijää kohden: suurin kuorma", "sv": "Invånare per arbetstagare: största belastningen",
                       "en": "Residents per worker: largest load"}, {"fi": "asukasta/htv", "sv": "invånare/årsverke", "en": "residents/person-year"}, "lower", 0),
    "associations_ratio": ({"fi": "Sote-yhdistyksiä työntekijää kohden: suurin / pienin", "sv": "Social- och hälsovårdsföreningar per arbetstagare: störst / minst",
                            "en": "Social and health associations per worker: largest / smallest"}, {"fi": "", "sv": "", "en": ""}, "lower", 2),
    "associations_max": ({"fi": "Sote-yhdistyksiä työntekijää kohden: suurin kuorma", "sv": "Social- och hälsovårdsföreningar per arbetstagare: största belastningen",
                          "en": "Social and health associations per worker: largest load"}, {"fi": "yhdistystä/htv", "sv": "föreningar/årsverke", "en": "associations/person-year"}, "lower", 0),
    "counterparts_max": ({"fi": "Hyvinvointialueita (ml. Helsinki) työntekijää kohden, kun yksikön työntekijät jakavat sen alueet: suurin",
                          "sv": "Välfärdsområden (inkl. Helsingfors) per arbetstagare, när enhetens arbetstagare delar dess områden: störst",
                          "en": "Welfare regions (incl. Helsinki) per worker, the unit's workers sharing its regions: largest"}, {"fi": "aluetta/htv", "sv": "områden/årsverke", "en": "regions/person-year"}, "lower", 2),
    "regions_max": ({"fi": "Hyvinvointialueita (ml. Helsinki) yhdessä yksikössä: suurin", "sv": "Välfärdsområden (inkl. Helsingfors) i en enhet: störst",
                     "en": "Welfare regions (incl. Helsinki) in one unit: largest"}, {"fi": "aluetta", "sv": "områden", "en": "regions"}, "lower", 0),
    "split_regions": ({"fi": "Yksiköiden kesken jaetut hyvinvointialueet", "sv": "Välfärdsområden delade mellan enheter",
                       "en": "Welfare regions split between units"}, {"fi": "aluetta", "sv": "områden", "en": "regions"}, "lower", 0),
    "longest_distance_km": ({"fi": "Pisin etäisyys yksikön sisällä", "sv": "Längsta avstånd inom en enhet", "en": "Longest distance inside a unit"},
                            {"fi": "km", "sv": "km", "en": "km"}, "lower", 0),
    "support_pct": ({"fi": "Vastaajien kannatus mallin pohjalle (Sotunetin kysely 2020, n = 562)",
                     "sv": "De svarandes stöd för modellens grund (Sotunets enkät 2020, n = 562)",
                     "en": "Respondents' support for the model's basis (Sotunet's 2020 survey, n = 562)"}, {"fi": "% kyllä", "sv": "% ja", "en": "% yes"}, "higher", 0),
}
STAFFING_CRITERIA = ("residents_ratio", "residents_max", "associations_ratio", "associations_max", "counterparts_max")

RULE_TEXT = {
    "fi": "Sama sääntö kaikille malleille: 18+1-esityksen 18 alueellista henkilötyövuotta (htv) jaetaan mallin yksiköille väestön "
          "suhteessa {method}; {floor}. Koordinaatio lasketaan erikseen.",
    "sv": "Samma regel för alla modeller: 18+1-förslagets 18 regionala årsverken fördelas på modellens enheter i proportion till "
          "befolkningen med {method}; {floor}. Samordningen räknas separat.",
    "en": "One rule for every model: the 18+1 proposal's 18 regional person-years are allocated to the model's units in proportion "
          "to population by the {method}; {floor}. Coordination is counted apart.",
}
METHOD_PHRASE = {
    "webster": {"fi": "Sainte-Laguën (Websterin) menetelmällä", "sv": "Sainte-Laguës (Websters) metod", "en": "Sainte-Laguë (Webster) method"},
    "huntington_hill": {"fi": "Huntington–Hillin menetelmällä", "sv": "Huntington–Hills metod", "en": "Huntington–Hill method"},
}
FLOOR_TEXT = {
    "floor": {"fi": "jokainen yksikkö saa ensin yhden työntekijän, loput jaetaan menetelmällä",
              "sv": "varje enhet får först en arbetstagare, resten fördelas med metoden",
              "en": "every unit first gets one worker, the rest go by the method"},
    "no_floor": {"fi": "ilman lattiaa (menetelmä sellaisenaan: pieni yksikkö voi jäädä ilman työntekijää)",
                 "sv": "utan golv (metoden som sådan: en liten enhet kan bli utan arbetstagare)",
                 "en": "with no floor (the textbook method: a small unit may get no worker)"},
}
WHY_HEADLINE = {
    "fi": "Lattia vaikuttaa vain malleihin, joissa on monta pientä yksikköä (18+1 ja hyvinvointialueittain): 18+1-esitys antaa "
          "jokaiselle maakunnalle työntekijän, ja yksikkö ilman työntekijää ei kuulu tukirakenteeseen. Viiden ja kuuden yksikön "
          "malleissa lattia ei muuta jakoa. Lattiaton vaihtoehto on laskettu rinnalle. Sama 18 htv:n budjetti on vertailun oletus: "
          "5+1-mallille lähde ei anna henkilöstöä, ja 18+1:ssä sääntö antaa esityksen oman jaon (yksi kuhunkin maakuntaan).",
    "sv": "Golvet påverkar bara modeller med många små enheter (18+1 och per välfärdsområde): 18+1-förslaget ger varje landskap en "
          "arbetstagare, och en enhet utan arbetstagare hör inte till stödstrukturen. I modellerna med fem och sex enheter ändrar "
          "golvet inte fördelningen. Alternativet utan golv är beräknat vid sidan om. Samma budget på 18 årsverken är jämförelsens "
          "antagande: källan anger ingen personal för 5+1-modellen, och för 18+1 ger regeln förslagets egen fördelning (en per landskap).",
    "en": "The floor matters only for models with many small units (18+1 and per welfare region): the 18+1 proposal gives every "
          "region (maakunta) a worker, and a unit with no worker is not part of the support structure. For the five- and six-unit models "
          "the floor changes nothing. The variant without a floor is computed beside it. The same budget of 18 person-years is the "
          "comparison's assumption: the source gives no staffing for 5+1, and for 18+1 the rule gives the proposal's own "
          "allocation (one per region, maakunta).",
}
INFEASIBLE = {
    "fi": "ei jaettavissa: {n} yksikköä mutta {budget} htv, joten työntekijää ei riitä kaikille (ilman lattiaa jäisivät ilman: {units})",
    "sv": "kan inte fördelas: {n} enheter men {budget} årsverken, så alla kan inte få en arbetstagare (utan golv skulle dessa bli utan: {units})",
    "en": "cannot be allocated: {n} units but {budget} person-years, so not every unit can have a worker (with no floor these get none: {units})",
}
LEFT_OUT = {"fi": "ilman työntekijää: {units}", "sv": "utan arbetstagare: {units}", "en": "no worker: {units}"}
NOT_ASKED = {"fi": "ei kysytty", "sv": "frågades inte", "en": "not asked"}
SURVEY_CAVEAT = {
    "fi": "Kyselyn 2020 tekivät Sotunet ja maakuntien verkostojärjestöt, 18+1-mallin esittäjät; vastaajat valikoituivat itse "
          "(n = {n}), ja {federation} % oli valtakunnallisen liiton jäseniä ({soste} % SOSTEn). Kysely kysyi maakuntapohjaisesta ja "
          "erva-pohjaisesta rakenteesta; vuoden 2023 yhteistyöalueita ei ollut vielä olemassa, eikä niistä kysytty.",
    "sv": "Enkäten 2020 gjordes av Sotunet och landskapens nätverksorganisationer, som lade fram 18+1-modellen; de svarande valde "
          "själva att svara (n = {n}), och {federation} % var medlemmar i ett riksförbund ({soste} % i SOSTE). Enkäten frågade om en "
          "landskapsbaserad och en specialupptagningsområdesbaserad struktur; 2023 års samarbetsområden fanns inte ännu och ingick inte.",
    "en": "The 2020 survey was run by Sotunet and the regional (maakunta) network organisations, the proponents of 18+1; respondents were "
          "self-selected (n = {n}), and {federation} % were members of a national federation ({soste} % members of SOSTE). It asked about a "
          "structure based on regions (maakunnat) and one based on special responsibility areas (erva); the 2023 collaboration areas did not exist yet and were not asked about.",
}


@dataclass(frozen=True)
class CommonRule:
    """The rule every model is compared under (see module docstring)."""

    budget: int = int(REFERENCE["regional_htv_total"])  # 18 regional person-years of the 18+1 proposal
    method: str = "webster"
    weight: str = "population"

    def text(self, variant: str, lang: str) -> str:
        return RULE_TEXT[lang].format(method=METHOD_PHRASE[self.method][lang], floor=FLOOR_TEXT[variant][lang])


def allocate(populations: list[int], budget: int, method: str, variant: str) -> list[int] | None:
    """Whole person-years per unit under the rule, or None when the floor cannot be met (more units than budget)."""
    if variant == "floor":
        if len(populations) > budget:
            return None
        return apportionment.apportion(populations, budget, method, floor=1)
    return apportionment.apportion(populations, budget, method, floor=0)


def _per_worker(values: pd.Series, workers: pd.Series) -> pd.Series:
    return values / workers.where(workers > 0)


def _spread(v: pd.Series) -> tuple[float, float]:
    """(largest / smallest, largest) of per-worker values; NaN where any unit has none (a part would mislead)."""
    arr = v.to_numpy(dtype=float)
    if not arr.size or not np.isfinite(arr).all() or arr.min() <= 0:
        return math.nan, math.nan
    return float(arr.max() / arr.min()), float(arr.max())


def model_column(model, year: int = 2025, rule: CommonRule = CommonRule()) -> dict:
    """One model under the rule, both variants: allocation per unit, the criteria, who is left out."""
    m = load_model(model)
    units, split, distances = unit_base(m, year)
    units = units.sort_values("unit_code", ignore_index=True)
    # a unit named in Finnish only (the 2021 build) gets its words translated (helpers.base.words.area_name)
    names = {lang: [area_name(n if isinstance(n, str) and n else fi, lang) for n, fi in zip(units[f"unit_name_{lang}"], units["unit_name_fi"])]
             for lang in LANGS}
    assoc = units["sote_associations"].where(units["sote_associations"].notna(), units["sote_associations_estimate"])
    assoc_estimated = bool(units["sote_associations"].isna().any())
    question = m.survey_question  # the model file says which 2020 question asked about its basis, if any
    support = support_for(question)
    out = {
        "id": m.id, "units": len(units), "unit_codes": units["unit_code"].tolist(), "unit_names": names,
        "population": [int(x) for x in units["population"]],
        "associations": [float(x) for x in assoc], "associations_estimated": assoc_estimated,
        "associations_method": {lang: (units["method_" + lang].dropna().iloc[0] if assoc_estimated else "") for lang in LANGS},
        "welfare_regions": [int(x) for x in units["welfare_regions"]],
        "split_regions": list(split),
        "longest_distance_km": float(max(distances.values())),
        "support_pct": float(support["kylla"]) if support else None,
        "support_no_pct": float(support["ei"]) if support else None,
        "survey_question": question,
        "variants": {},
    }
    for variant in VARIANTS:
        seats = allocate(out["population"], rule.budget, rule.method, variant)
        entry = {"feasible": seats is not None, "seats": seats, "left_out": {lang: [] for lang in LANGS}}
        if seats is None:
            textbook = allocate(out["population"], rule.budget, rule.method, "no_floor")
            entry["left_out"] = {lang: [n for n, s in zip(names[lang], textbook) if s == 0] for lang in LANGS}
            entry["criteria"] = {c: None for c in STAFFING_CRITERIA}
        else:
            workers = pd.Series(seats, dtype=float)
            entry["left_out"] = {lang: [n for n, s in zip(names[lang], seats) if s == 0] for lang in LANGS}
            r_ratio, r_max = _spread(_per_worker(units["population"].astype(float), workers))
            a_ratio, a_max = _spread(_per_worker(assoc.astype(float), workers))
            _, c_max = _spread(_per_worker(units["welfare_regions"].astype(float), workers))
            entry["criteria"] = {"residents_ratio": r_ratio, "residents_max": r_max, "associations_ratio": a_ratio,
                                 "associations_max": a_max, "counterparts_max": c_max}
        entry["criteria"] = {k: (None if v is None or not math.isfinite(v) else v) for k, v in entry["criteria"].items()}
        entry["criteria"].update({"regions_max": float(max(out["welfare_regions"])), "split_regions": float(len(split)),
                                  "longest_distance_km": out["longest_distance_km"],
                                  "support_pct": out["support_pct"]})
        out["variants"][variant] = entry
    return out


def _label(model_id: str, lang: str, k: int | None = None) -> str:
    if model_id in SHORT_LABELS:
        return SHORT_LABELS[model_id][lang]
    return REFERENCE_LABEL[lang].format(k=k) if k else load_model(model_id).label(lang)


def _fmt(v, decimals: int, lang: str) -> str:
    return "–" if v is None else fmt_number(v, decimals, lang)


VERDICT = {
    "fi": {"best": "Paras: {best}.", "pair": " {winner} parempi kuin {loser}: {vw} vs {vl}.", "pair_equal": " 18+1 ja 5+1 (erva 2020) samat: {v}.",
           "equal": "Kaikissa sama ({v}).", "none": "Ei vertailukelpoista arvoa.", "and": " = ",
           "survey": " Kyselyn tekivät 18+1:n esittäjät, ja vastaajat valikoituivat itse.", "reference": " Vertailukohta: {ref} {v}.",
           "support": "{model}: {yes} % kyllä, {no} % ei", "support_rest": "; muista malleista ei kysytty."},
    "sv": {"best": "Bäst: {best}.", "pair": " {winner} bättre än {loser}: {vw} mot {vl}.", "pair_equal": " 18+1 och 5+1 (2020) lika: {v}.",
           "equal": "Samma i alla ({v}).", "none": "Inget jämförbart värde.", "and": " = ",
           "survey": " Enkäten gjordes av 18+1:s förespråkare, och de svarande valde själva att svara.", "reference": " Referens: {ref} {v}.",
           "support": "{model}: {yes} % ja, {no} % nej", "support_rest": "; om de andra modellerna frågades inget."},
    "en": {"best": "Best: {best}.", "pair": " {winner} better than {loser}: {vw} vs {vl}.", "pair_equal": " 18+1 and 5+1 (2020) equal: {v}.",
           "equal": "The same in all ({v}).", "none": "No comparable value.", "and": " = ",
           "survey": " The survey was run by the proponents of 18+1, and respondents were self-selected.", "reference": " Reference: {ref} {v}.",
           "support": "{model}: {yes} % yes, {no} % no", "support_rest": "; the other models were not asked about."},
}


def verdict(columns: list[dict], criterion: str, variant: str, lang: str, labels: dict[str, str]) -> str:
    """Which proposed or built model does best on the criterion, which of the two 2020 proposals (18+1, 5+1 on the
    erva areas) does better than the other, with both values, and the computed reference's value beside them."""
    _, unit, better, decimals = CRITERIA[criterion]
    vals = {c["id"]: c["variants"][variant]["criteria"].get(criterion) for c in columns}
    known = {k: v for k, v in vals.items() if v is not None}
    t = VERDICT[lang]
    if not known:
        return t["none"]
    if criterion == "support_pct":  # a self-selected poll by one side: no "best", both answers, the caveat
        parts = [t["support"].format(model=labels[c["id"]], yes=_fmt(c["support_pct"], 0, lang), no=_fmt(c["support_no_pct"], 0, lang))
                 for c in columns if c["support_pct"] is not None]
        return "; ".join(parts) + t["support_rest"] + t["survey"]
    if len(set(known.values())) == 1:
        return t["equal"].format(v=_fmt(next(iter(known.values())), decimals, lang))
    pick = min if better == "lower" else max
    # The best of the models someone proposed or built; a computed reference is named apart, never as the answer.
    proposed = {k: v for k, v in known.items() if not k.startswith("optimi_")} or known
    best = pick(proposed, key=lambda k: proposed[k])
    text = t["best"].format(best=t["and"].join(labels[k] for k, v in proposed.items() if v == proposed[best]))
    a, b = vals.get("malli_18_1"), vals.get("malli_5_1_erva2020")
    if a is not None and b is not None:
        if a == b:
            text += t["pair_equal"].format(v=_fmt(a, decimals, lang))
        else:
            (w, vw), (l, vl) = sorted((("malli_18_1", a), ("malli_5_1_erva2020", b)), key=lambda kv: kv[1], reverse=better == "higher")
            text += t["pair"].format(winner=labels[w], loser=labels[l], vw=_fmt(vw, decimals, lang), vl=_fmt(vl, decimals, lang))
    refs = [k for k in known if k.startswith("optimi_") and k not in proposed]
    if refs and criterion in STAFFING_CRITERIA:
        text += t["reference"].format(ref=labels[refs[0]], v=_fmt(known[refs[0]], decimals, lang))
    return text


def decision(models=DECISION_MODELS, references: list | None = None, year: int = 2025, rule: CommonRule = CommonRule(),
             *, evenness: bool = True) -> dict:
    """Everything the front page's decision table, its variants and the sources view show (JSON-able); with
    ``evenness`` also how unusual the official groupings are among all connected groupings (``helpers.models.evenness``:
    from data/ryhmittelyt_<year>.json when its inputs are those read now, else computed, a minute or two)."""
    refs = list(references or [])
    columns = [model_column(m, year, rule) for m in models] + [model_column(r, year, rule) for r in refs]
    ref_k = {r.id: len(r.units) for r in refs}
    labels = {lang: {c["id"]: _label(c["id"], lang, ref_k.get(c["id"])) for c in columns} for lang in LANGS}
    s2020 = surveys()["kysely_2020"]
    out = {
        "year": year,
        "rule": {"budget": rule.budget, "method": rule.method, "weight": rule.weight, "headline": HEADLINE_VARIANT,
                 "text": {v: {lang: rule.text(v, lang) for lang in LANGS} for v in VARIANTS},
                 "why_headline": WHY_HEADLINE, "method_citation": apportionment.CITATION},
        "criteria": [{"id": c, "label": lab, "unit": unit, "better": better, "decimals": dec,
                      "uses_staffing": c in STAFFING_CRITERIA} for c, (lab, unit, better, dec) in CRITERIA.items()],
        "columns": columns,
        "labels": labels,
        "verdicts": {v: {c: {lang: verdict(columns, c, v, lang, labels[lang]) for lang in LANGS} for c in CRITERIA} for v in VARIANTS},
        "notes": {},
        "survey_caveat": {lang: SURVEY_CAVEAT[lang].format(n=s2020["respondents"], federation=s2020["membership_pct"]["valtakunnallinen_liitto"],
                                                           soste=s2020["membership_pct"]["soste"]) for lang in LANGS},
        "sources_view": sources_view([*models, *(m for m in SOURCES_VIEW_EXTRA if m not in models)], year),
        "region_names": _region_names(year),
    }
    out["note_models"] = {}
    for variant in VARIANTS:
        notes = {lang: [] for lang in LANGS}
        out["note_models"][variant] = [c["id"] for c in columns if not c["variants"][variant]["feasible"] or c["variants"][variant]["left_out"]["fi"]]
        for c in columns:
            e = c["variants"][variant]
            for lang in LANGS:
                if not e["feasible"]:
                    notes[lang].append(f"{labels[lang][c['id']]}: " + INFEASIBLE[lang].format(
                        n=c["units"], budget=rule.budget, units=", ".join(e["left_out"][lang])))
                elif e["left_out"][lang]:
                    notes[lang].append(f"{labels[lang][c['id']]}: " + LEFT_OUT[lang].format(units=", ".join(e["left_out"][lang])))
        out["notes"][variant] = notes
    out["findings"] = {lang: findings(out, lang) for lang in LANGS}
    out["associations_note"] = association_context(out, year)
    # Every other model with regional workers (own models in data/mallit/ too) under the same rule, for its units'
    # table on the model view (the headline table keeps the models the debate was about).
    out["others"] = {}
    for m in model_names():
        if m in models or not load_model(m).staffing_applies:
            continue
        c = model_column(m, year, rule)
        out["others"][m] = {"unit_codes": c["unit_codes"], "seats": {v: c["variants"][v]["seats"] for v in VARIANTS}}
    if evenness:
        from helpers.models import evenness as evenness_module

        out["evenness"] = {str(k): v for k, v in evenness_module.summaries(year).items()}
    return out


def _region_names(year: int) -> dict[str, dict[str, str]]:
    from helpers.geo.municipality_key import municipality_key

    key = municipality_key(year).drop_duplicates("hyvinvointialue_code").set_index("hyvinvointialue_code")
    return {lang: key[f"hyvinvointialue_name_{lang}"].to_dict() for lang in LANGS}


SOURCE_VIEW_TEXT = {
    "not_given": {"fi": "lähde ei kerro", "sv": "anges inte i källan", "en": "not given by the source"},
    "computed": {"fi": "laskettu vertailukohta, ei lähdettä", "sv": "beräknad referens, ingen källa", "en": "computed reference, no source"},
}


def sources_view(models=DECISION_MODELS, year: int = 2025) -> list[dict]:
    """Staffing as each model's source gives it: person-years and persons in separate fields, never computed."""
    rows = []
    for model_id in models:
        m = load_model(model_id)
        row = {"id": m.id, "label": {lang: SHORT_LABELS.get(m.id, {}).get(lang) or m.label(lang) for lang in LANGS},
               "regional_htv": None, "coordination_htv": None, "regional_persons": None, "coordination_persons": None,
               "note": SOURCE_VIEW_TEXT["not_given"]}
        if m.id == "hyvinvointialueittain":
            row["note"] = SOURCE_VIEW_TEXT["computed"]
        elif m.htv_known:
            units, _, _ = unit_base(m, year)
            row["regional_htv"] = float(m.regional_htv_per_unit) * len(units)
            row["coordination_htv"] = float(m.coordination_htv)
            row["note"] = {lang: "" for lang in LANGS}
        elif any(u.headcount is not None for u in (m.units or [])):
            row["regional_persons"] = float(sum(u.headcount or 0 for u in m.units))
            row["coordination_persons"] = float(m.coordination_headcount) if m.coordination_headcount is not None else None
            row["note"] = {"fi": "henkilöitä, ei henkilötyövuosia", "sv": "personer, inte årsverken", "en": "persons, not person-years"}
        rows.append(row)
    return rows


RULE_TAG = {
    "floor": {"fi": "sääntö: 18 htv väestön mukaan, Sainte-Laguë, jokaiselle yksikölle vähintään yksi",
              "sv": "regel: 18 årsverken efter befolkning, Sainte-Laguë, minst ett per enhet",
              "en": "rule: 18 person-years by population, Sainte-Laguë, at least one per unit"},
    "no_floor": {"fi": "sääntö: 18 htv väestön mukaan, Sainte-Laguë ilman lattiaa",
                 "sv": "regel: 18 årsverken efter befolkning, Sainte-Laguë utan golv",
                 "en": "rule: 18 person-years by population, Sainte-Laguë with no floor"},
    "none": {"fi": "ei riipu henkilöstöstä", "sv": "beror inte på personalen", "en": "does not depend on staffing"},
}
FINDINGS = {
    "residents": {
        "fi": "Asukkaita työntekijää kohden on tasaisimmin mallissa {best} (suurin/pienin {vb}); 5+1 (erva 2020) {b}, 18+1 {a}. "
              "18+1:ssä kullakin maakunnalla on yksi työntekijä, joten suurin kuorma on {a_max} asukasta ({a_unit}). ({rule})",
        "sv": "Invånarna per arbetstagare fördelas jämnast i {best} (störst/minst {vb}); 5+1 (specialupptagningsområden 2020) {b}, "
              "18+1 {a}. I 18+1 har varje landskap en arbetstagare, så den största belastningen är {a_max} invånare ({a_unit}). ({rule})",
        "en": "Residents per worker are most even in {best} (largest/smallest {vb}); 5+1 (2020 special responsibility areas) {b}, 18+1 {a}. In 18+1 "
              "every region (maakunta) has one worker, so the largest load is {a_max} residents ({a_unit}). ({rule})",
    },
    "associations": {
        "fi": "Sote-yhdistyksiä työntekijää kohden on tasaisimmin mallissa {best} (suurin/pienin {vb}); 5+1 (erva 2020) {b}, 18+1 {a}. "
              "Erva-alueiden jakamissa maakunnissa yhdistykset on jaettu väestöosuuksin (arvio). ({rule})",
        "sv": "Social- och hälsovårdsföreningar per arbetstagare fördelas jämnast i {best} (störst/minst {vb}); 5+1 "
              "(specialupptagningsområden 2020) {b}, 18+1 {a}. Där områdena delar ett landskap är föreningarna fördelade efter "
              "befolkningsandel (uppskattning). ({rule})",
        "en": "Social and health associations per worker are most even in {best} (largest/smallest {vb}); 5+1 (2020 special responsibility areas) {b}, "
              "18+1 {a}. Where the special responsibility areas split a region (maakunta) its associations are shared by population (an estimate). ({rule})",
    },
    "counterparts": {
        "fi": "Julkisia vastinpareja (hyvinvointialueita) on työntekijää kohden enintään {a} mallissa 18+1 ({a_unit}: {a_n} "
              "hyvinvointialuetta ml. Helsinki, {a_w} htv), {b} mallissa 5+1 (erva 2020) ja {vb} mallissa {best}. ({rule})",
        "sv": "Offentliga motparter (välfärdsområden) per arbetstagare är högst {a} i 18+1 ({a_unit}: {a_n} välfärdsområden inkl. Helsingfors, {a_w} {a_w_word}), "
              "{b} i 5+1 (specialupptagningsområden 2020) och {vb} i {best}. ({rule})",
        "en": "Public counterparts (welfare regions) per worker are at most {a} in 18+1 ({a_unit}: {a_n} welfare regions incl. Helsinki, {a_w} {a_w_word}), {b} in "
              "5+1 (2020 special responsibility areas) and {vb} in {best}. ({rule})",
    },
    "split": {
        "fi": "5+1 (erva 2020) jakaa {n} hyvinvointialuetta kahden yksikön kesken ({regions}); muut taulukon mallit eivät jaa yhtään. ({rule})",
        "sv": "5+1 (specialupptagningsområden 2020) delar {n} välfärdsområden mellan två enheter ({regions}); tabellens övriga modeller "
              "delar inga. ({rule})",
        "en": "5+1 (2020 special responsibility areas) splits {n} welfare regions between two units ({regions}); the table's other models split none. ({rule})",
    },
    "distance": {
        "fi": "Pisin etäisyys yksikön sisällä on 18+1:ssä {a}, 5+1-malleissa {b} ja tasaisimmassa jaossa {ref}: tasaisuus maksetaan "
              "etäisyytenä. ({rule})",
        "sv": "Längsta avståndet inom en enhet är {a} i 18+1, {b} i 5+1-modellerna och {ref} i den jämnaste indelningen: jämnheten "
              "betalas med avstånd. ({rule})",
        "en": "The longest distance inside a unit is {a} in 18+1, {b} in the 5+1 models and {ref} in the most balanced grouping: evenness "
              "is paid for in distance. ({rule})",
    },
    "infeasible": {
        "fi": "Ilman lattiaa 18 htv:tä ei riitä kaikille: 18+1:ssä ilman työntekijää jäisi {n_a} maakuntaa ({units}). "
              "Hyvinvointialueittain (22 yksikköä) työntekijää ei riitä kaikille kummallakaan säännöllä. ({rule})",
        "sv": "Utan golv räcker 18 årsverken inte till alla: i 18+1 skulle {n_a} landskap bli utan arbetstagare ({units}). Per "
              "välfärdsområde (22 enheter) kan inte alla få en arbetstagare med någondera regeln. ({rule})",
        "en": "With no floor 18 person-years do not reach everyone: in 18+1, {n_a} regions (maakunnat) would have no worker ({units}). Per welfare "
              "region (22 units) not every unit can have a worker under either rule. ({rule})",
    },
    "support": {
        "fi": "Vuoden 2020 kyselyssä {yes_a} % kannatti maakuntapohjaista ja {yes_b} % erva-pohjaista rakennetta, mutta kyselyn tekivät "
              "18+1-mallin esittäjät, vastaajat valikoituivat itse eikä yhteistyöalueista kysytty. ({rule})",
        "sv": "I enkäten 2020 stödde {yes_a} % en landskapsbaserad och {yes_b} % en specialupptagningsområdesbaserad struktur, men "
              "enkäten gjordes av 18+1-modellens förespråkare, de svarande valde själva att svara och samarbetsområdena ingick inte. ({rule})",
        "en": "In the 2020 survey {yes_a} % supported a structure based on regions (maakunnat) and {yes_b} % one based on special responsibility areas (erva), but the survey was run by "
              "the proponents of 18+1, respondents were self-selected, and the collaboration areas were not asked about. ({rule})",
    },
}


def findings(data: dict, lang: str = "fi") -> list[str]:
    """At most eight sentences ordered by weight, each naming the staffing rule it assumes (or that it assumes none)."""
    head = data["rule"]["headline"]
    cols = {c["id"]: c for c in data["columns"]}
    labels = data["labels"][lang]

    def val(model_id, criterion, variant=head):
        c = cols.get(model_id)
        return None if c is None else c["variants"][variant]["criteria"].get(criterion)

    def best_of(criterion, variant=head):  # among the models proposed or built, not the computed reference
        known = {k: val(k, criterion, variant) for k in cols if not k.startswith("optimi_")}
        known = {k: v for k, v in known.items() if v is not None}
        return (min(known, key=known.get), known[min(known, key=known.get)]) if known else (None, None)

    def f(v, d):
        return _fmt(v, d, lang)

    out = []
    rule = RULE_TAG[head][lang]
    a18, a51 = "malli_18_1", "malli_5_1_erva2020"
    best, vb = best_of("residents_ratio")
    if best and val(a18, "residents_ratio") is not None:
        c = cols[a18]
        i = int(np.argmax(c["population"]))
        out.append(FINDINGS["residents"][lang].format(best=labels[best], vb=f(vb, 2), a=f(val(a18, "residents_ratio"), 2),
                                                      b=f(val(a51, "residents_ratio"), 2), a_max=f(val(a18, "residents_max"), 0),
                                                      a_unit=c["unit_names"][lang][i], rule=rule))
    best, vb = best_of("associations_ratio")
    if best:
        out.append(FINDINGS["associations"][lang].format(best=labels[best], vb=f(vb, 2), a=f(val(a18, "associations_ratio"), 2),
                                                         b=f(val(a51, "associations_ratio"), 2), rule=rule))
    best, vb = best_of("counterparts_max")
    if best:
        c = cols[a18]
        seats = c["variants"][head]["seats"] or [0] * c["units"]
        per = [r / s if s else 0 for r, s in zip(c["welfare_regions"], seats)]
        i = int(np.argmax(per))
        out.append(FINDINGS["counterparts"][lang].format(best=labels[best], vb=f(vb, 2), a=f(val(a18, "counterparts_max"), 2),
                                                         b=f(val(a51, "counterparts_max"), 2), rule=rule, a_unit=c["unit_names"][lang][i],
                                                         a_n=c["welfare_regions"][i], a_w=seats[i],
                                                         a_w_word=YEAR_WORD[lang][seats[i] == 1]))
    if a51 in cols and cols[a51]["split_regions"]:
        regions = ", ".join(data.get("region_names", {}).get(lang, {}).get(code, code) for code in cols[a51]["split_regions"])
        out.append(FINDINGS["split"][lang].format(n=len(cols[a51]["split_regions"]), regions=regions, rule=RULE_TAG["none"][lang]))
    refs = [k for k in cols if k.startswith("optimi_")]
    if refs and a18 in cols:
        fives = [cols[k]["longest_distance_km"] for k in ("malli_5_1_erva2020", "malli_5_1_yta") if k in cols]
        out.append(FINDINGS["distance"][lang].format(a=f(cols[a18]["longest_distance_km"], 0) + " km",
                                                     b=f(max(fives), 0) + " km" if fives else "–",
                                                     ref=f(cols[refs[0]]["longest_distance_km"], 0) + " km", rule=RULE_TAG["none"][lang]))
    left = cols[a18]["variants"]["no_floor"]["left_out"][lang] if a18 in cols else []
    if left:
        out.append(FINDINGS["infeasible"][lang].format(n_a=len(left), units=", ".join(left), rule=RULE_TAG["no_floor"][lang]))
    if a18 in cols and a51 in cols and cols[a18]["support_pct"] is not None and cols[a51]["support_pct"] is not None:
        out.append(FINDINGS["support"][lang].format(yes_a=f(cols[a18]["support_pct"], 0), yes_b=f(cols[a51]["support_pct"], 0),
                                                    rule=RULE_TAG["none"][lang]))
    return out[:8]


ASSOCIATION_TEXT = {
    "fi": "Sote-yhdistykset ovat PRH:n yhdistysrekisterin tarkoitusluokka 3 ({as_of}): manner-Suomessa {c3} yhdistystä. SOSTEn oma "
          "luku on {soste} sote-järjestöä ({soste_as_of}; mukana myös säätiöt ja Punaisen Ristin osastot). PRH luokittelee yhdistyksen "
          "vain rekisteröinnin tai sääntömuutoksen yhteydessä: luokittelemattomia on maakunnittain {u_min} % ({u_min_name}) – "
          "{u_max} % ({u_max_name}) kaikista yhdistyksistä. Jos ero SOSTEn lukuun ({gap}; eri rajaus ja vuosi) jaetaan väestön mukaan, mallien järjestys "
          "yhdistyksiä työntekijää kohden (suurin/pienin) on {order_alt}; rekisterin luvuilla {order}.",
    "sv": "Social- och hälsovårdsföreningarna är PRH:s föreningsregisters syfteklass 3 ({as_of}): {c3} föreningar på fastlandet. "
          "SOSTEs egen siffra är {soste} social- och hälsovårdsorganisationer ({soste_as_of}; även stiftelser och Röda Korsets "
          "avdelningar). PRH klassificerar en förening bara vid registrering eller stadgeändring: oklassificerade är per landskap "
          "{u_min} % ({u_min_name}) – {u_max} % ({u_max_name}) av alla föreningar. Om skillnaden mot SOSTEs siffra ({gap}; annan avgränsning och annat år) fördelas efter befolkning "
          "är modellernas ordning i föreningar per arbetstagare (störst/minst) {order_alt}; med registrets siffror {order}.",
    "en": "Social and health associations are purpose class 3 of PRH's association register ({as_of}): {c3} on the mainland. SOSTE's "
          "own count is {soste} social and health organisations ({soste_as_of}; foundations and Red Cross branches included). PRH "
          "classifies an association only when it is registered or changes its rules: the unclassified share is {u_min} % "
          "({u_min_name}) to {u_max} % ({u_max_name}) of all associations by maakunta. If the difference from SOSTE's count ({gap}; "
          "another scope and year) is shared out by population, the models' order by associations per worker (largest/smallest) is {order_alt}; with the register's counts {order}.",
}
YEAR_WORD = {"fi": {True: "htv", False: "htv"}, "sv": {True: "årsverke", False: "årsverken"},
             "en": {True: "person-year", False: "person-years"}}
START_OF = {"fi": "vuoden {year} alussa", "sv": "i början av {year}", "en": "at the start of {year}"}
SAME_ORDER = {"fi": " (järjestys ei muutu)", "sv": " (ordningen ändras inte)", "en": " (the order does not change)"}


def association_context(data: dict, year: int = 2025) -> dict[str, str]:
    """What the association counts count, and whether the models' order changes if the organisations PRH's class 3
    misses are shared out by population (the headline rule, associations per worker, largest/smallest)."""
    import csv

    from helpers.base import config
    from helpers.models import associations

    prh = associations.prh_table()
    latest = prh[(prh["as_of"] == associations.LATEST) & (prh["maakunta_code"] != "21")]
    c3 = int(latest["c3"].sum())
    share = latest["unclassified"] / latest["total"] * 100  # extremes found before rounding for the page
    i_min, i_max = share.idxmin(), share.idxmax()
    with open(config.DATA_DIR / "jarjestomaarat.csv", encoding="utf-8") as fh:
        whole = next(r for r in csv.DictReader(fh) if r["area_level"] == "koko_maa")
    soste = int(whole["sote_organisations"])
    gap = soste - c3
    head = data["rule"]["headline"]
    ratios, alt = {}, {}
    for c in data["columns"]:
        seats = c["variants"][head]["seats"]
        if not seats or 0 in seats:
            continue
        pops = np.array(c["population"], dtype=float)
        base = np.array(c["associations"], dtype=float) / np.array(seats)
        more = (np.array(c["associations"], dtype=float) + gap * pops / pops.sum()) / np.array(seats)
        ratios[c["id"]], alt[c["id"]] = base.max() / base.min(), more.max() / more.min()
    from helpers.geo.municipality_key import municipality_key
    from helpers.sources.citations import format_date

    key = municipality_key(year).drop_duplicates("maakunta_code").set_index("maakunta_code")
    start_year = whole["as_of"][:4]
    out = {}
    for lang in LANGS:
        labels = data["labels"][lang]
        names = key[f"maakunta_name_{lang}"].fillna(key["maakunta_name_fi"])

        def order(r):
            return " < ".join(f"{labels[k]} {fmt_number(v, 2, lang)}" for k, v in sorted(r.items(), key=lambda kv: kv[1]))

        same = sorted(ratios, key=ratios.get) == sorted(alt, key=alt.get)
        out[lang] = ASSOCIATION_TEXT[lang].format(
            as_of=format_date(str(associations.LATEST), lang), c3=fmt_number(c3, 0, lang), soste=fmt_number(soste, 0, lang),
            soste_as_of=START_OF[lang].format(year=start_year),
            u_min=fmt_number(share[i_min], 0, lang), u_min_name=names[latest.loc[i_min, "maakunta_code"]],
            u_max=fmt_number(share[i_max], 0, lang), u_max_name=names[latest.loc[i_max, "maakunta_code"]], gap=fmt_number(gap, 0, lang),
            order_alt=order(alt) + (SAME_ORDER[lang] if same else ""), order=order(ratios))
    return out


EVENNESS_TEXT = {
    "fi": "{k} yksikköä: manner-Suomen 22 alueen voi jakaa {k} yhtenäiseen yksikköön (naapurit: yhteinen raja) {count} tavalla. "
          "Tasaisimmassa suurin/pienin on {opt}, ja yhtä tasaisia jakoja on {n_opt}; {w5} jakoa on enintään 5 % ja {w15} enintään "
          "15 % sitä epätasaisempia. {model}: {ratio} ({times} × tasaisin); {share} % kaikista jaoista on vähintään yhtä tasaisia. "
          "Tasaisin jako tasaa vain väestön (yksi työntekijä yksikköä kohden): etäisyyttä ja olemassa olevaa yhteistyötä se ei "
          "huomioi, ja sen pisin etäisyys yksikön sisällä on {dist} km (yhtä tasaiset jaot; {model} {mdist} km).",
    "sv": "{k} enheter: fastlandets 22 områden kan delas in i {k} sammanhängande enheter (grannar: gemensam gräns) på {count} sätt. "
          "I den jämnaste är störst/minst {opt}, och {n_opt} indelningar är lika jämna; {w5} indelningar är högst 5 % och {w15} högst "
          "15 % ojämnare. {model}: {ratio} ({times} × den jämnaste); {share} % av alla indelningar är minst lika jämna. Den "
          "jämnaste indelningen jämnar bara ut befolkningen (en arbetstagare per enhet): den tar inte hänsyn till avstånd eller "
          "befintligt samarbete, och dess längsta avstånd inom en enhet är {dist} km (de lika jämna indelningarna; {model} {mdist} km).",
    "en": "{k} units: the 22 mainland areas can be grouped into {k} connected units (neighbours: a shared border) in {count} ways. "
          "In the most even the largest/smallest is {opt}, and {n_opt} groupings tie; {w5} groupings are at most 5 % and {w15} "
          "at most 15 % less even. {model}: {ratio} ({times} × the most even); {share} % of all groupings are at least as even. The "
          "most even grouping balances population only (one worker per unit): it ignores distance and existing cooperation, and "
          "its longest distance inside a unit is {dist} km (the tied groupings; {model} {mdist} km).",
}


EVENNESS_SCOPE = {
    "fi": "Mukana ovat mallit, jotka koostuvat kokonaisista hyvinvointialueista ja joissa on viisi tai kuusi yksikköä: 18+1 "
          "(18 maakuntaa) ja 5+1 erva-alueilla (jakaa kolme hyvinvointialuetta) eivät ole tällaisia ryhmittelyjä.",
    "sv": "Med är modeller av hela välfärdsområden med fem eller sex enheter: 18+1 (18 landskap) och 5+1 på "
          "specialupptagningsområdena (delar tre välfärdsområden) är inte sådana indelningar.",
    "en": "Included are models made of whole welfare regions with five or six units: 18+1 (18 regions, maakunnat) and 5+1 on the special "
          "responsibility areas (it splits three welfare regions) are not such groupings.",
}


def evenness_text(data: dict, lang: str) -> list[dict]:
    """Per k: the census's counts in words and the histogram's marks (optimum, the official model of that k)."""
    out = []
    cols = {c["id"]: c for c in data["columns"]}
    for k, s in sorted((data.get("evenness") or {}).items(), key=lambda kv: int(kv[0])):
        off = s["official"][0] if s["official"] else None
        if off is None:
            continue
        model = SHORT_LABELS.get(off["model"], {}).get(lang) or load_model(off["model"]).label(lang)
        dists = sorted(d["longest_distance_km"] for d in s["optimum_distances"])
        mdist = cols[off["model"]]["longest_distance_km"] if off["model"] in cols else math.nan
        text = EVENNESS_TEXT[lang].format(
            k=k, count=fmt_number(s["count"], 0, lang), opt=fmt_number(s["optimum"]["ratio"], 3, lang), n_opt=len(s["optima"]),
            w5=fmt_number(s["within"][0]["count"], 0, lang), w15=fmt_number(s["within"][1]["count"], 0, lang), model=model,
            ratio=fmt_number(off["ratio"], 2, lang), times=fmt_number(off["times_optimum"], 1, lang),
            share=fmt_number(off["share"] * 100, 1, lang),
            dist="–".join(dict.fromkeys(fmt_number(d, 0, lang) for d in (dists[0], dists[-1]))) if dists else "–",
            mdist=fmt_number(mdist, 0, lang))
        out.append({"k": int(k), "text": text, "bins": s["bins"],
                    "marks": [{"ratio": s["optimum"]["ratio"], "label": {"fi": "tasaisin", "sv": "jämnast", "en": "most even"}[lang]},
                              {"ratio": off["ratio"], "label": model}]})
    return out
