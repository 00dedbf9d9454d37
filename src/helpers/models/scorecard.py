"""One tidy table that compares every support-structure model on every criterion.

``scorecard()`` returns one row per scenario × scope × unit × metric × statistic. A scenario is a model under a
staffing convention (``helpers.models.metrics.STAFFING``) or a derived model whose budget of person-years is
apportioned across the model's units (``helpers.models.apportionment``). Per unit (``scope == "unit"``,
statistic ``value``) and summarised over the units (``scope == "model"``: min, max, range, max_min, cv (standard
deviation / mean, population form), sum), plus model-level figures (units, person-years, split welfare regions, the
2020 survey's support for the model's basis where the survey asked).

Sote associations are PRH class 3 (2.1.2025): exact for units that are unions of maakunnat, otherwise missing with the
reason (``sote_associations``), and in ``sote_associations_estimate`` apportioned by population share (named in the
note). Areas and the longest distance (between the two farthest points of the unit's generalised 1:4.5M boundary,
straight line) are from generalised boundaries. Welfare-region administrations: the 22 mainland areas incl. Helsinki.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import shapely

from helpers.base import config
from helpers.sources.citations import format_date, short_cite
from helpers.base.errors import invalid
from helpers.base.words import area_name
from helpers.models.metrics import (REFERENCE, STAFFING, _split_welfare_regions, coordination_htv, staffing_label, unit_metrics,
                             uses_headcounts)
from helpers.models.model_files import load_model, model_names, resolve
from helpers.tables.surveys import QUESTION_LABELS, support_for
from helpers.models import apportionment, associations

LANGS = ("fi", "sv", "en")
DEFAULT_BUDGET = int(REFERENCE["regional_htv_total"] + REFERENCE["coordination_htv"])  # the 18+1 total, 20 htv
ALLOCATION_WEIGHTS = ("population", "associations")
WEIGHT_LABELS = {"population": {"fi": "väestön mukaan", "sv": "efter befolkning", "en": "by population"},
                 "associations": {"fi": "sote-yhdistysten mukaan", "sv": "efter social- och hälsovårdsföreningar", "en": "by social and health associations"}}
FLOOR_WORDS = {1: {"fi": "jokaiselle yksikölle vähintään 1", "sv": "minst 1 per enhet", "en": "at least 1 per unit"},
               0: {"fi": "ei lattiaa (yksiköitä enemmän kuin htv:tä)", "sv": "inget golv (fler enheter än årsverken)",
                   "en": "no floor (more units than person-years)"}}
NO_WORKER_WORDS = {"fi": "ilman työntekijää", "sv": "utan arbetstagare", "en": "no worker"}
SHORT_METHOD = {"webster": "Sainte-Laguë", "huntington_hill": "Huntington–Hill"}
UNIT_WORD = {"htv": {"fi": "htv", "sv": "årsverken", "en": "person-years"},
             "henkilöä": {"fi": "henkilöä", "sv": "personer", "en": "persons"}}
METRICS = {  # id: (fi, sv, en, unit, additive)
    "population": ("Väestö 31.12.2024", "Befolkning 31.12.2024", "Population 31 Dec 2024", "henkeä", True),
    "sote_associations": ("Sote-yhdistykset (PRH, luokka 3)", "Social- och hälsovårdsföreningar (PRH, klass 3)", "Social and health associations (PRH, class 3)", "yhdistystä", True),
    "sote_associations_estimate": ("Sote-yhdistykset (PRH, luokka 3; ei-maakuntayhdisteille arvio väestöosuuksin)", "Social- och hälsovårdsföreningar (PRH, klass 3; uppskattning efter befolkningsandel där enheten inte är hela landskap)", "Social and health associations (PRH, class 3; estimate by population share where a unit is not whole regions)", "yhdistystä", True),
    "regional_htv": ("Alueelliset henkilötyövuodet", "Regionala årsverken", "Regional person-years", "htv", True),
    "population_per_htv": ("Asukkaita henkilötyövuotta kohden", "Invånare per årsverke", "Population per person-year", "henkeä/htv", False),
    "sote_associations_per_htv": ("Sote-yhdistyksiä henkilötyövuotta kohden", "Social- och hälsovårdsföreningar per årsverke", "Social and health associations per person-year", "yhdistystä/htv", False),
    "sote_associations_estimate_per_htv": ("Sote-yhdistyksiä henkilötyövuotta kohden (arvio, jos yksikkö ei ole maakuntien yhdiste)", "Social- och hälsovårdsföreningar per årsverke (uppskattning)", "Social and health associations per person-year (estimate where a unit is not whole regions)", "yhdistystä/htv", False),
    "municipalities": ("Kunnat", "Kommuner", "Municipalities", "kuntaa", True),
    "municipalities_per_htv": ("Kuntia työntekijää (htv) kohden", "Kommuner per arbetstagare (årsverke)", "Municipalities per worker (person-year)", "kuntaa/htv", False),
    "welfare_regions": ("Hyvinvointialueet (ml. Helsinki)", "Välfärdsområden (inkl. Helsingfors)", "Welfare regions (incl. Helsinki)", "aluetta", False),
    "welfare_regions_per_htv": ("Hyvinvointialueiden hallintoja työntekijää (htv) kohden", "Välfärdsområdenas förvaltningar per arbetstagare (årsverke)", "Welfare-region administrations per worker (person-year)", "aluetta/htv", False),
    "welfare_regions_split": ("Yksiköiden kesken jaetut hyvinvointialueet", "Välfärdsområden delade mellan enheter", "Welfare regions split between units", "aluetta", False),
    "area_km2": ("Pinta-ala (yleistetyt rajat)", "Areal (generaliserade gränser)", "Area (generalised boundaries)", "km²", True),
    "longest_distance_km": ("Pisin etäisyys yksikön sisällä (yleistetyt rajat, linnuntietä)", "Längsta avstånd inom enheten (generaliserade gränser, fågelvägen)", "Longest distance inside the unit (generalised boundaries, straight line)", "km", False),
}
MODEL_METRICS = {
    "units": ("Yksiköitä", "Enheter", "Units", "kpl"),
    "regional_htv_total": ("Alueelliset henkilötyövuodet yhteensä", "Regionala årsverken totalt", "Regional person-years in total", "htv"),
    "coordination_htv": ("Koordinaatio", "Samordning", "Coordination", "htv"),
    "total_htv": ("Henkilötyövuodet yhteensä", "Årsverken totalt", "Person-years in total", "htv"),
    "welfare_regions_split_total": ("Jaetut hyvinvointialueet", "Delade välfärdsområden", "Split welfare regions", "aluetta"),
    "survey_yes_pct": ("Kyselyn 2020 tuki mallin pohjalle: kyllä", "Stöd i enkäten 2020 för modellens grund: ja", "2020 survey support for the model's basis: yes", "%"),
    "survey_no_pct": ("Kyselyn 2020 tuki mallin pohjalle: ei", "Stöd i enkäten 2020: nej", "2020 survey support: no", "%"),
    "survey_dont_know_pct": ("Kyselyn 2020 tuki mallin pohjalle: en osaa sanoa", "Stöd i enkäten 2020: vet inte", "2020 survey support: don't know", "%"),
}
SUMMARY_STATS = ("min", "max", "range", "max_min", "cv", "sum")
COLUMNS = ["scenario", "model", "staffing", "allocation", "scenario_label_fi", "scenario_label_sv", "scenario_label_en",
           "staffing_label_fi", "staffing_label_sv", "staffing_label_en", "measure", "scope", "unit_code",
           "unit_name_fi", "unit_name_sv", "unit_name_en", "metric", "metric_label_fi", "metric_label_sv", "metric_label_en",
           "statistic", "value", "unit", "note_fi", "note_sv", "note_en"]


@dataclass(frozen=True)
class Allocation:
    """A budget of person-years apportioned across a model's units (the whole budget goes to the units)."""
    model: str
    method: str = "webster"
    weight: str = "population"
    budget: int = DEFAULT_BUDGET

    @property
    def scenario(self) -> str:
        return f"{self.model}__{self.budget}_htv_{self.weight}_{self.method}"

    def label(self, lang: str = "fi") -> str:
        word = UNIT_WORD["htv"][lang]
        return f"{load_model(self.model).label(lang)}, {self.budget} {word} {WEIGHT_LABELS[self.weight][lang]} ({SHORT_METHOD[self.method]})"


def default_allocations(models: list[str] | None = None, budget: int = DEFAULT_BUDGET) -> list[Allocation]:
    """Both methods × both weights for every model that has regional workers."""
    out = []
    for m in models or model_names():
        if load_model(m).staffing_applies:
            out += [Allocation(m, method, weight, budget) for weight in ALLOCATION_WEIGHTS for method in apportionment.METHODS]
    return out


def _mode() -> str:
    mirror = config.mirror_dir()
    return str(mirror) if mirror else "live"


@lru_cache(maxsize=32)
def _longest_distances(model_json: str, year: int, mode: str) -> dict[str, float]:
    from helpers.geo.layers import load_layer
    from scipy.spatial.distance import pdist  # here: validating a runs file imports this module, not scipy (0.36 s)

    from helpers.models.model_files import Model

    model = Model.model_validate_json(model_json)
    res = resolve(model, year).set_index("kunta_code")["unit_code"]
    kunta = load_layer("kunta", year)
    kunta = kunta[kunta["code"].isin(res.index)]
    hull_points: dict[str, list] = {}
    for code, geom in zip(kunta["code"], kunta.geometry):
        hull_points.setdefault(res[code], []).append(shapely.get_coordinates(geom.convex_hull))
    out = {}
    for unit, pts in hull_points.items():
        # the farthest pair of a polygon lies on its convex hull (from an array: no Point object per vertex)
        hull = shapely.convex_hull(shapely.multipoints(np.concatenate(pts)))
        out[unit] = float(pdist(shapely.get_coordinates(hull)).max() / 1000)
    return out


@lru_cache(maxsize=32)
def _model_base(model_json: str, year: int, mode: str) -> tuple[pd.DataFrame, tuple[str, ...], dict[str, float]]:
    """What does not depend on the staffing: associations per unit (exact and estimate), split regions, distances."""
    from scipy.spatial.distance import pdist  # here: validating a runs file imports this module, not scipy (0.36 s)

    from helpers.models.model_files import Model

    model = Model.model_validate_json(model_json)
    res = resolve(model, year)
    mapping = res.set_index("kunta_code")["unit_code"]
    assoc = associations.by_units(mapping, year)
    estimate = associations.by_units(mapping, year, method="population_share").set_index("unit_code")
    assoc["sote_associations_estimate"] = assoc["unit_code"].map(estimate["sote_associations"])
    assoc["estimate_method_fi"] = assoc["unit_code"].map(estimate["method_fi"])
    split = tuple(sorted(_split_welfare_regions(res, year)))
    return assoc, split, _longest_distances(model_json, year, mode)


def unit_base(model_id, year: int, staffing: str = "sama_per_yksikko") -> tuple[pd.DataFrame, list[str], dict[str, float]]:
    """A model's units with population, municipalities, welfare regions, sote associations (exact, and the estimate by
    population share where a unit is not whole maakunnat, with its method) and the staffing's regional person-years;
    the welfare regions it splits; the longest distance inside each unit (km)."""
    model = load_model(model_id)
    units = unit_metrics(model, year, staffing)
    assoc, split, distances = _model_base(model.model_dump_json(), year, _mode())
    return units.merge(assoc, on="unit_code", how="left", validate="one_to_one"), list(split), distances


def _unit_table(model_id: str, year: int, staffing: str, allocation: Allocation | None) -> tuple[pd.DataFrame, dict]:
    model = load_model(model_id)
    units, split, distances = unit_base(model, year, "sama_per_yksikko" if allocation else staffing)
    info = {"measure": "htv", "coordination": coordination_htv(model, staffing),
            "staffing_labels": {lang: staffing_label(model, staffing, lang) for lang in LANGS}}
    if allocation:
        weights = units["population"] if allocation.weight == "population" else units["sote_associations"]
        note = ""
        if allocation.weight == "associations" and weights.isna().any():
            weights = units["sote_associations_estimate"]
            note = "painot: " + associations.METHOD_LABELS["population_share"]["fi"]
        # The apportionment's default floor (one each when the budget covers every unit, else none) is said in the
        # label, and so are the units it leaves with no worker.
        floor = 1 if allocation.budget >= len(units) else 0
        units["regional_htv"] = [float(x) for x in apportionment.apportion(weights.tolist(), allocation.budget, allocation.method, floor=floor)]
        info["coordination"] = 0.0
        empty = units["regional_htv"] == 0
        left = {lang: [_unit_name(u, lang) for _, u in units[empty].iterrows()] for lang in LANGS}
        labels = {lang: f"{allocation.budget} {UNIT_WORD['htv'][lang]} {WEIGHT_LABELS[allocation.weight][lang]}, "
                        f"{apportionment.METHOD_LABELS[allocation.method][lang]}, {FLOOR_WORDS[floor][lang]}"
                        + (f" ({NO_WORKER_WORDS[lang]}: {', '.join(left[lang])})" if left[lang] else "") for lang in LANGS}
        info["staffing_labels"] = labels
        info["allocation_note"] = note
    elif uses_headcounts(model, staffing):
        info["measure"] = "henkilöä"
    workers = units["regional_htv"].where(units["regional_htv"] > 0)
    units["population_per_htv"] = units["population"] / workers
    units["sote_associations_per_htv"] = units["sote_associations"] / workers
    units["sote_associations_estimate_per_htv"] = units["sote_associations_estimate"] / workers
    units["municipalities_per_htv"] = units["municipalities"] / workers
    units["welfare_regions_per_htv"] = units["welfare_regions"] / workers
    units["longest_distance_km"] = units["unit_code"].map(distances)
    info["split"] = list(split)
    return units, info


def _summary(values: pd.Series, additive: bool) -> dict[str, float]:
    # numpy, not Series methods: 630 summaries took 1 s through pandas (measured)
    v = values.to_numpy(dtype=float, na_value=np.nan)
    if not v.size or not np.isfinite(v).all():  # a summary over part of the units would mislead: missing
        return {s: np.nan for s in SUMMARY_STATS}
    lo, hi, mean = v.min(), v.max(), v.mean()
    return {"min": lo, "max": hi, "range": hi - lo, "max_min": hi / lo if lo > 0 else np.nan,
            "cv": float(v.std() / mean) if mean else np.nan, "sum": v.sum() if additive else np.nan}


def _unit_name(u, lang: str) -> str:
    """A unit's name in ``lang``: its own, else the Finnish one with its words translated (the 2021 build)."""
    own = u.get(f"unit_name_{lang}")
    return area_name(own if isinstance(own, str) and own else u["unit_name_fi"], lang)


def _scenario_rows(model_id, year: int, staffing: str, allocation: Allocation | None) -> list[dict]:
    model = load_model(model_id)
    units, info = _unit_table(model, year, staffing, allocation)
    model_id = model.id
    measure = info["measure"]
    scenario = allocation.scenario if allocation else f"{model_id}__{staffing}"
    labels = {lang: allocation.label(lang) if allocation else f"{model.label(lang)}, {info['staffing_labels'][lang]}" for lang in LANGS}
    base = {"scenario": scenario, "model": model_id, "staffing": "jako" if allocation else staffing,
            "allocation": f"{allocation.budget}:{allocation.weight}:{allocation.method}" if allocation else "",
            **{f"scenario_label_{lang}": labels[lang] for lang in LANGS},
            **{f"staffing_label_{lang}": info["staffing_labels"][lang] for lang in LANGS}, "measure": measure}

    def unit_of(metric: str, unit: str) -> str:
        return unit.replace("htv", "henkilöä") if measure == "henkilöä" and "htv" in unit else unit

    rows = []
    for u in units.to_dict("records"):  # plain dicts: a Series per unit row cost 1 s of the scorecard (measured)
        for metric, (fi, sv, en, unit, _) in METRICS.items():
            value = u[metric]
            note = {lang: "" for lang in LANGS}
            if metric.startswith("sote_associations") and not metric.startswith("sote_associations_estimate") and pd.isna(u["sote_associations"]):
                note = {lang: u.get(f"missing_reason_{lang}") or "" for lang in LANGS}
            elif metric.startswith("sote_associations_estimate"):
                note = {"fi": u["estimate_method_fi"], "sv": "", "en": ""}
            elif metric.endswith("_per_htv") and not (u["regional_htv"] > 0):
                note = {"fi": "ei alueellista työntekijää", "sv": "ingen regional arbetstagare", "en": "no regional worker"}
            rows.append({**base, "scope": "unit", "unit_code": u["unit_code"], "unit_name_fi": u["unit_name_fi"],
                         "unit_name_sv": _unit_name(u, "sv"), "unit_name_en": _unit_name(u, "en"),
                         "metric": metric, "metric_label_fi": fi, "metric_label_sv": sv, "metric_label_en": en,
                         "statistic": "value", "value": float(value) if pd.notna(value) else np.nan, "unit": unit_of(metric, unit),
                         **{f"note_{lang}": note[lang] for lang in LANGS}})
    model_scope = {**base, "scope": "model", "unit_code": "", "unit_name_fi": "", "unit_name_sv": "", "unit_name_en": ""}
    for metric, (fi, sv, en, unit, additive) in METRICS.items():
        for stat, value in _summary(units[metric], additive).items():
            if stat == "sum" and not additive:
                continue
            rows.append({**model_scope, "metric": metric, "metric_label_fi": fi, "metric_label_sv": sv, "metric_label_en": en,
                         "statistic": stat, "value": float(value), "unit": unit_of(metric, unit) if stat in ("min", "max", "range", "sum") else "",
                         "note_fi": "", "note_sv": "", "note_en": ""})
    regional = units["regional_htv"].sum() if units["regional_htv"].notna().all() else np.nan
    coord = info["coordination"]
    support = support_for(model.survey_question)
    split_note = ", ".join(info["split"])
    figures = {"units": len(units), "regional_htv_total": regional, "coordination_htv": coord, "total_htv": regional + coord,
               "welfare_regions_split_total": len(info["split"]),
               "survey_yes_pct": support["kylla"] if support else np.nan, "survey_no_pct": support["ei"] if support else np.nan,
               "survey_dont_know_pct": support["eos"] if support else np.nan}
    for metric, (fi, sv, en, unit) in MODEL_METRICS.items():
        note = {lang: "" for lang in LANGS}
        if metric == "welfare_regions_split_total" and split_note:
            note = {lang: split_note for lang in LANGS}
        elif metric.startswith("survey"):
            note = ({"fi": f"kysymys: {QUESTION_LABELS[model.survey_question]} (n = 562)", "sv": "", "en": ""} if support else
                    {"fi": "kysely ei kysynyt tämän mallin pohjasta", "sv": "enkäten frågade inte om denna modells grund", "en": "the survey did not ask about this model's basis"})
        elif metric == "coordination_htv" and allocation:
            note = {"fi": "koko budjetti jaetaan alueille", "sv": "hela budgeten fördelas på områdena", "en": "the whole budget goes to the areas"}
        if allocation and info.get("allocation_note") and metric == "regional_htv_total":
            note = {"fi": info["allocation_note"], "sv": "", "en": ""}
        rows.append({**model_scope, "metric": metric, "metric_label_fi": fi, "metric_label_sv": sv, "metric_label_en": en,
                     "statistic": "value", "value": float(figures[metric]), "unit": unit_of(metric, unit),
                     **{f"note_{lang}": note[lang] for lang in LANGS}})
    return rows


def scorecard(models: list[str] | None = None, year: int = 2025, staffings: list[str] | None = None,
              allocations: list[Allocation] | None = None, references: list | None = None) -> pd.DataFrame:
    """The tidy scorecard (see module docstring). ``allocations=None`` adds ``default_allocations(models)``;
    pass ``[]`` for none. ``references``: computed models (e.g. ``partitions.optimum_models()``), one scenario each
    with their own staffing (one worker per unit and coordination 2 htv)."""
    models = list(models) if models is not None else model_names()
    for m in models:
        load_model(m)
    staffings = list(staffings) if staffings is not None else list(STAFFING)
    for s in staffings:
        if s not in STAFFING:
            raise invalid("staffing", s, list(STAFFING))
    if allocations is None:
        allocations = default_allocations(models)
    rows = []
    for m in models:
        for s in staffings:
            rows += _scenario_rows(m, year, s, None)
    for a in allocations:
        if a.method not in apportionment.METHODS:
            raise invalid("method", a.method, list(apportionment.METHODS))
        if a.weight not in ALLOCATION_WEIGHTS:
            raise invalid("weight", a.weight, ALLOCATION_WEIGHTS)
        rows += _scenario_rows(a.model, year, "sama_per_yksikko", a)
    for ref in references or []:
        rows += _scenario_rows(ref, year, "lahteen_mukaan", None)
    out = pd.DataFrame(rows, columns=COLUMNS)
    out.attrs["sources"] = [
        "Väestö: Tilastokeskus, kuntien väestö 31.12.2024 (väestöalueet, WFS), CC BY 4.0",
        associations.SOURCE + f", tilanne {format_date(str(associations.LATEST))}",
        "Aluerajat: Tilastokeskus, yleistetyt rajat 1:4\u00a0500\u00a0000 (pohja-aineisto Maanmittauslaitos)",
        "Mallit: " + "; ".join(short_cite(k) for k in MODEL_SOURCE_KEYS),
        "Kysely 2020: " + short_cite("sotunet_kysely_2020"),
        "Jakomenetelmät: " + apportionment.CITATION,
    ]
    out.attrs["sources_by_lang"] = {lang: source_lines(lang) for lang in LANGS}
    return out


SOURCE_LABELS = {
    "associations": {"fi": associations.SOURCE + ", tilanne {date}",
                     "sv": "Källa: Patent- och registerstyrelsen (PRH), föreningsregistret: antal föreningar efter syfteklass och "
                           "landskap, läge {date}",
                     "en": "Source: Finnish Patent and Registration Office (PRH), association register: associations by purpose "
                           "class and maakunta, as of {date}"},
    "boundaries": {"fi": "Aluerajat: Tilastokeskus, yleistetyt rajat 1:4\u00a0500\u00a0000 (pohja-aineisto Maanmittauslaitos)",
                   "sv": "Områdesgränser: Statistikcentralen, generaliserade gränser 1:4\u00a0500\u00a0000 (grunddata Lantmäteriverket)",
                   "en": "Boundaries: Statistics Finland, generalised boundaries 1:4,500,000 (base data National Land Survey of Finland)"},
    "models": {"fi": "Mallit: ", "sv": "Modeller: ", "en": "Models: "},
    "survey": {"fi": "Kysely 2020: ", "sv": "Enkäten 2020: ", "en": "2020 survey: "},
    "methods": {"fi": "Jakomenetelmät: ", "sv": "Fördelningsmetoder: ", "en": "Apportionment methods: "},
}


def source_lines(lang: str = "fi") -> list[str]:
    """The scorecard's sources in the page's language (the population line is the page's own)."""
    s = SOURCE_LABELS
    return [s["associations"][lang].format(date=format_date(str(associations.LATEST), lang)), s["boundaries"][lang],
            s["models"][lang] + "; ".join(short_cite(k, lang) for k in MODEL_SOURCE_KEYS),
            s["survey"][lang] + short_cite("sotunet_kysely_2020", lang), s["methods"][lang] + apportionment.CITATION]


# The documents the seven models come from (data/lahteet.csv).
MODEL_SOURCE_KEYS = ("sotunet_18_1_2020", "sotunet_tiedote_2020", "soste_muutostuki_2021", "ep_jarjestot_muutoksessa_2020",
                     "laki_hyvinvointialueista_2021", "vna_yhteistyoalueet_2022", "vna_erva_2017")


def value(card: pd.DataFrame, scenario: str, metric: str, statistic: str = "value", unit_code: str = "") -> float:
    """One number of the scorecard (model scope when ``unit_code`` is empty).

    >>> card = scorecard(["malli_18_1"], staffings=["sama_per_yksikko"], allocations=[])
    >>> value(card, "malli_18_1__sama_per_yksikko", "units")
    18.0
    """
    scope = "unit" if unit_code else "model"
    # only the value column is taken (selecting whole rows copied all 26 columns: 8 ms a call, measured)
    hit = card.loc[(card["scenario"] == scenario) & (card["metric"] == metric) & (card["statistic"] == statistic)
                   & (card["scope"] == scope) & (card["unit_code"] == unit_code), "value"]
    if len(hit) == 1:
        return float(hit.iloc[0])
    # Name what is wrong. unique(), not set(column): iterating an arrow string column is slow (2 s for the findings).
    for name, given, known in (("scenario", scenario, card["scenario"]), ("metric", metric, card["metric"]),
                               ("statistic", statistic, card["statistic"])):
        if given not in set(known.unique()):
            raise invalid(name, given, sorted(known.unique()))
    units = sorted(card.loc[(card["scenario"] == scenario) & (card["scope"] == "unit"), "unit_code"].unique())
    raise invalid("unit_code", unit_code, ["''"] + units if scope == "unit" else units)


def wide(card: pd.DataFrame, lang: str = "fi", statistic: str = "max_min") -> pd.DataFrame:
    """Reader table: one row per scenario, one column per metric (model figures, and ``statistic`` of the unit metrics)."""
    model_rows = card[(card["scope"] == "model") & ((card["statistic"] == statistic) | card["metric"].isin(list(MODEL_METRICS)))]
    model_rows = model_rows[~((model_rows["statistic"] == "value") & ~model_rows["metric"].isin(list(MODEL_METRICS)))]
    table = model_rows.pivot_table(index=f"scenario_label_{lang}", columns=f"metric_label_{lang}", values="value", aggfunc="first", sort=False, dropna=False)
    table.index.name = None
    table.columns.name = None
    return table


def check_request(models, year, staffings, budget, ks, lang="fi") -> None:
    """The notebook's parameters, checked before anything is computed (also used by the refresh's value check)."""
    from helpers.models.model_files import check_year

    if not models:
        raise invalid("models", models, "one or more of " + ", ".join(model_names()))
    for m in models:
        load_model(m)
    check_year(year)
    for s in staffings:
        if s not in STAFFING:
            raise invalid("staffing", s, list(STAFFING))
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise invalid("budget", budget, "a whole number of person-years, 1 or more")
    for k in ks:
        if isinstance(k, bool) or not isinstance(k, int) or not 2 <= k <= 22:
            raise invalid("ks", k, range(2, 23))
    if lang not in LANGS:
        raise invalid("lang", lang, LANGS)
