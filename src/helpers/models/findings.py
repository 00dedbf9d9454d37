"""Findings in words, generated from the scorecard (Finnish by default; Swedish and English).

Every number in a sentence is a scorecard value formatted the Finnish way (``helpers.base.numbers``); a finding keeps its
template and the scorecard references of its numbers, so a test can rebuild each sentence from the table. The
relation of the 2021 build to the collaboration areas is computed from the unit sets (welfare regions per unit).
"""

from __future__ import annotations

import pandas as pd

from helpers.models.model_files import load_model, resolve
from helpers.geo.municipality_key import municipality_key, units_for
from helpers.base.numbers import fmt_number
from helpers.base.languages import check_lang
from helpers.base.words import area_name
from helpers.models.scorecard import value

# The staffing each model is read under in the findings: its own where the source gives it, otherwise 18+1's per unit.
READ_AS = {"malli_18_1": "lahteen_mukaan", "hyvinvointialueittain": "lahteen_mukaan", "rakenne_2021": "lahteen_mukaan",
           "malli_5_1_erva2020": "sama_per_yksikko", "malli_5_1_yta": "sama_per_yksikko"}

T = {
    "spread": {
        "fi": "{model}: asukkaita työntekijää kohden on {v0}–{v1}; suurin on {v2}-kertainen pienimpään nähden (eniten {max_unit}, vähiten {min_unit}).",
        "sv": "{model}: invånare per arbetstagare {v0}–{v1}; det största är {v2} gånger det minsta (flest {max_unit}, minst {min_unit}).",
        "en": "{model}: population per worker ranges from {v0} to {v1}; the largest is {v2} times the smallest (most {max_unit}, fewest {min_unit}).",
    },
    "associations": {
        "fi": "{model}: sote-yhdistyksiä työntekijää kohden {v0}–{v1} ({v2}-kertainen vaihtelu).",
        "sv": "{model}: social- och hälsovårdsföreningar per arbetstagare {v0}–{v1} ({v2} gånger).",
        "en": "{model}: social and health associations per worker {v0}–{v1} (a {v2}-fold range).",
    },
    "split": {
        "fi": "{model} jakaa {v0} hyvinvointialuetta usean yksikön kesken: {regions}.",
        "sv": "{model} delar {v0} välfärdsområden mellan flera enheter: {regions}.",
        "en": "{model} splits {v0} welfare regions between units: {regions}.",
    },
    "relation": {
        "fi": "{build}: kukin alueista {same} vastaa yhtä yhteistyöaluetta; yhteistyöalueen {joined_area} muodostavat yhdessä {joined}.",
        "sv": "{build}: vart och ett av områdena {same} motsvarar ett samarbetsområde; samarbetsområdet {joined_area} bildas tillsammans av {joined}.",
        "en": "{build}: the areas {same} each equal one collaboration area; the collaboration area {joined_area} is formed by {joined} together.",
    },
    "optimum": {
        "fi": "Tasaisin {k_word} alueen jako hyvinvointialueista: asukkaita työntekijää kohden suurin/pienin {v0}; {official}: {v1}.",
        "sv": "Jämnaste indelningen i {k_word} områden av välfärdsområdena: invånare per arbetstagare störst/minst {v0}; {official}: {v1}.",
        "en": "The most balanced {k_word}-unit grouping of the welfare regions: population per worker largest/smallest {v0}; {official}: {v1}.",
    },
    "allocation": {
        "fi": "{scenario}: asukkaita henkilötyövuotta kohden suurin/pienin {v0} (yksi työntekijä yksikköä kohden: {v1}).",
        "sv": "{scenario}: invånare per årsverke störst/minst {v0} (en arbetstagare per enhet: {v1}).",
        "en": "{scenario}: population per person-year largest/smallest {v0} (one worker per unit: {v1}).",
    },
}
K_WORDS = {5: {"fi": "viiden", "sv": "fem", "en": "five"}, 6: {"fi": "kuuden", "sv": "sex", "en": "six"}}


def _ref(scenario, metric, statistic, decimals, unit_code=""):
    return {"scenario": scenario, "metric": metric, "statistic": statistic, "unit_code": unit_code, "decimals": decimals}


def _unit_name(card, scenario, metric, which, lang):
    card = _rows_of(card, scenario)
    rows = card.loc[(card["metric"] == metric) & (card["scope"] == "unit"), list(dict.fromkeys(["value", "unit_name_fi", f"unit_name_{lang}"]))]
    row = rows.loc[rows["value"].idxmax() if which == "max" else rows["value"].idxmin()]
    own = row[f"unit_name_{lang}"]
    # a unit named in Finnish only (the 2021 build) carries the Finnish name in every language: translate its words
    return area_name(own if isinstance(own, str) and own else row["unit_name_fi"], lang)


class _ByScenario(dict):
    """The scorecard indexed once per ``findings`` call: its rows by scenario and its values by reference (62
    lookups through boolean masks took 0.6 s of every call, measured)."""

    def __init__(self, card: pd.DataFrame):
        super().__init__((sc, rows) for sc, rows in card.groupby("scenario", sort=False))
        self.card = card
        self.values: dict[tuple, float | None] = {}
        # tolist(): iterating arrow string columns element by element is slow
        for ref in zip(*(card[c].tolist() for c in ("scenario", "metric", "statistic", "scope", "unit_code", "value"))):
            self.values[ref[:5]] = None if ref[:5] in self.values else float(ref[5])  # None: not one row


def _rows_of(card, scenario) -> pd.DataFrame:
    return card.get(scenario, card.card) if isinstance(card, _ByScenario) else card


def _value(card, scenario, metric, statistic="value", unit_code="") -> float:
    """``scorecard.value``, from the index when the reference names exactly one row (else it names what is wrong)."""
    if isinstance(card, _ByScenario):
        found = card.values.get((scenario, metric, statistic, "unit" if unit_code else "model", unit_code))
        if found is not None:
            return found
        card = card.card
    return value(card, scenario, metric, statistic, unit_code)


def _finding(kind, card, refs, names, lang):
    values = {f"v{i}": fmt_number(_value(card, r["scenario"], r["metric"], r["statistic"], r["unit_code"]), r["decimals"], lang)
              for i, r in enumerate(refs)}
    return {"kind": kind, "lang": lang, "template": T[kind][lang], "names": names, "refs": refs,
            "text": T[kind][lang].format(**names, **values)}


def _relation_names(year: int, lang: str) -> dict:
    key = municipality_key(year)
    key = key[key["mainland"]]
    res = resolve("rakenne_2021", year).merge(key[["kunta_code", "hyvinvointialue_code", "yhteistyoalue_code"]], on="kunta_code")
    units = {code: (set(g["hyvinvointialue_code"]), area_name(g[f"unit_name_{lang}"].iloc[0] or g["unit_name_fi"].iloc[0], lang))
             for code, g in res.groupby("unit_code")}
    areas = {code: set(g["hyvinvointialue_code"]) for code, g in key.groupby("yhteistyoalue_code")}
    area_names = units_for(year, "yhteistyoalue").set_index("code")[f"name_{lang}"]
    same, joined, joined_area = [], [], []
    for code, regions in sorted(areas.items()):
        inside = [name for s, name in units.values() if s <= regions]
        if len(inside) == 1 and next(s for s, _ in units.values() if s <= regions) == regions:
            same.append(f"”{inside[0]}”")
        elif inside and set().union(*(s for s, _ in units.values() if s <= regions)) == regions:
            joined.append(" + ".join(f"”{name}”" for name in inside))
            joined_area.append(str(area_names[code]))
    return {"build": load_model("rakenne_2021").label(lang), "same": ", ".join(same), "joined": "; ".join(joined), "joined_area": ", ".join(joined_area)}


def findings(card: pd.DataFrame, lang: str = "fi", year: int = 2025) -> list[dict]:
    """Sentences with their templates and scorecard references (``text`` is the sentence)."""
    check_lang(lang)
    scenarios = set(card["scenario"].unique())
    card = _ByScenario(card)
    out = []
    for model, staffing in READ_AS.items():
        sc = f"{model}__{staffing}"
        if sc not in scenarios:
            continue
        label = load_model(model).label(lang)
        refs = [_ref(sc, "population_per_htv", "min", 0), _ref(sc, "population_per_htv", "max", 0), _ref(sc, "population_per_htv", "max_min", 1)]
        names = {"model": label, "max_unit": _unit_name(card, sc, "population_per_htv", "max", lang),
                 "min_unit": _unit_name(card, sc, "population_per_htv", "min", lang)}
        out.append(_finding("spread", card, refs, names, lang))
        if _value(card, sc, "sote_associations_per_htv", "max_min") == _value(card, sc, "sote_associations_per_htv", "max_min"):  # not NaN
            refs = [_ref(sc, "sote_associations_per_htv", "min", 0), _ref(sc, "sote_associations_per_htv", "max", 0), _ref(sc, "sote_associations_per_htv", "max_min", 1)]
            out.append(_finding("associations", card, refs, {"model": label}, lang))
        n_split = _value(card, sc, "welfare_regions_split_total")
        if n_split > 0:
            rows = _rows_of(card, sc)
            row = rows[rows["metric"] == "welfare_regions_split_total"].iloc[0]
            key = municipality_key(year).drop_duplicates("hyvinvointialue_code").set_index("hyvinvointialue_code")
            regions = ", ".join(key.loc[c, f"hyvinvointialue_name_{lang}"] for c in row["note_fi"].split(", "))
            out.append(_finding("split", card, [_ref(sc, "welfare_regions_split_total", "value", 0)], {"model": label, "regions": regions}, lang))
    if "rakenne_2021__lahteen_mukaan" in scenarios:
        out.append(_finding("relation", card, [], _relation_names(year, lang), lang))
    for k, official in ((5, "malli_5_1_yta__sama_per_yksikko"), (6, "rakenne_2021__sama_per_yksikko")):
        opt = f"optimi_{k}_population__lahteen_mukaan"
        if opt in scenarios and official in scenarios:
            refs = [_ref(opt, "population_per_htv", "max_min", 2), _ref(official, "population_per_htv", "max_min", 2)]
            names = {"k_word": K_WORDS[k][lang], "official": load_model(official.split("__")[0]).label(lang)}
            out.append(_finding("optimum", card, refs, names, lang))
    for sc in sorted(s for s in scenarios if s.endswith("_htv_population_webster")):
        model = sc.split("__")[0]
        base = f"{model}__sama_per_yksikko"
        if base in scenarios and _value(card, sc, "population_per_htv", "max_min") == _value(card, sc, "population_per_htv", "max_min"):
            label = _rows_of(card, sc)[f"scenario_label_{lang}"].iloc[0]
            refs = [_ref(sc, "population_per_htv", "max_min", 2), _ref(base, "population_per_htv", "max_min", 2)]
            out.append(_finding("allocation", card, refs, {"scenario": label}, lang))
    return out


def findings_text(card: pd.DataFrame, lang: str = "fi", year: int = 2025) -> list[str]:
    return [f["text"] for f in findings(card, lang, year)]
