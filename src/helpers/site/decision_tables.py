"""The decision table and the staffing-as-in-the-sources table (``helpers.models.decision``) as page tables with their
CSV and metadata JSON: every model under one rule in one table, the rule, method and floor named in the caption and the
metadata, persons and person-years in separate columns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers.base.numbers import fmt_number
from helpers.models.decision import RULE_TAG
from helpers.site.downloads import table_files

LICENCE = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)"
TEXT = {
    "fi": {"criterion": "Peruste", "verdict": "Kumpi parempi", "caption": "Mallit samalla säännöllä ({tag})",
           "sources_caption": "Henkilöstö lähteiden mukaan (henkilötyövuodet ja henkilöt eri sarakkeissa; ei laskettu)",
           "model": "Malli", "regional_htv": "Alueilla, htv", "coordination_htv": "Koordinaatio, htv",
           "regional_persons": "Alueilla, henkilöä", "coordination_persons": "Koordinaatio, henkilöä", "note": "Huom.",
           "not_asked": "ei kysytty", "floor_yes": "kyllä", "floor_no": "ei",
           "meta_rule": "Sääntö", "meta_floor": "Jokaiselle yksikölle vähintään yksi työntekijä", "meta_measure": "Mittayksikkö",
           "measure": "henkilötyövuodet (htv)", "meta_method": "Jakomenetelmä"},
    "sv": {"criterion": "Kriterium", "verdict": "Vilken är bättre", "caption": "Modellerna med samma regel ({tag})",
           "sources_caption": "Personal enligt källorna (årsverken och personer i skilda kolumner; inte beräknat)",
           "model": "Modell", "regional_htv": "Regionalt, årsverken", "coordination_htv": "Samordning, årsverken",
           "regional_persons": "Regionalt, personer", "coordination_persons": "Samordning, personer", "note": "Obs.",
           "not_asked": "inte frågat", "floor_yes": "ja", "floor_no": "nej",
           "meta_rule": "Regel", "meta_floor": "Minst en arbetstagare per enhet", "meta_measure": "Måttenhet",
           "measure": "årsverken", "meta_method": "Fördelningsmetod"},
    "en": {"criterion": "Criterion", "verdict": "Which does better", "caption": "The models under one rule ({tag})",
           "sources_caption": "Staffing as the sources give it (person-years and persons in separate columns; not computed)",
           "model": "Model", "regional_htv": "Regional, person-years", "coordination_htv": "Coordination, person-years",
           "regional_persons": "Regional, persons", "coordination_persons": "Coordination, persons", "note": "Note",
           "not_asked": "not asked", "floor_yes": "yes", "floor_no": "no",
           "meta_rule": "Rule", "meta_floor": "At least one worker per unit", "meta_measure": "Measure",
           "measure": "person-years", "meta_method": "Apportionment method"},
}


def _cell_value(criterion: dict, value, lang: str) -> str:
    if value is None:
        return TEXT[lang]["not_asked"] if criterion["id"] == "support_pct" else "–"
    return fmt_number(value, criterion["decimals"], lang)


def decision_frame(data: dict, lang: str, variant: str | None = None) -> pd.DataFrame:
    """Criteria as rows, models as columns (values as numbers, missing as NaN), the verdict beside each criterion."""
    variant = variant or data["rule"]["headline"]
    t = TEXT[lang]
    labels = data["labels"][lang]
    rows = []
    for crit in data["criteria"]:
        unit = crit["unit"][lang]
        row = {t["criterion"]: crit["label"][lang] + (f" ({unit})" if unit else ""),
               t["verdict"]: data["verdicts"][variant][crit["id"]][lang]}
        for col in data["columns"]:
            v = col["variants"][variant]["criteria"].get(crit["id"])
            row[labels[col["id"]]] = float("nan") if v is None else float(v)
        rows.append(row)
    return pd.DataFrame(rows)


def decision_table(data: dict, lang: str, *, page: Path, variant: str | None = None, sources: list[str]) -> dict:
    """The decision table for the page template (criterion, verdict, a cell per model with its label for phones) and
    its downloads, whose metadata names the rule, the method, the floor and the measure."""
    variant = variant or data["rule"]["headline"]
    t = TEXT[lang]
    labels = data["labels"][lang]
    rule = data["rule"]["text"][variant][lang]
    caption = t["caption"].format(tag=RULE_TAG[variant][lang])
    df = decision_frame(data, lang, variant)
    # The CSV holds the numbers as the page shows them (each criterion has its own decimals, so per row).
    for i, crit in enumerate(data["criteria"]):
        for c in data["columns"]:
            v = df.at[i, labels[c["id"]]]
            df.at[i, labels[c["id"]]] = round(v, crit["decimals"]) if v == v else v
    # The rule, the floor, the measure and the method travel with the numbers (the metadata's column definitions).
    about = (f"{t['meta_rule']}: {rule} {t['meta_floor']}: {t['floor_yes'] if variant == 'floor' else t['floor_no']}. "
             f"{t['meta_measure']}: {t['measure']}. {t['meta_method']}: {data['rule']['method_citation']}")
    definitions = {t["criterion"]: about}
    definitions.update({labels[c["id"]]: f"{labels[c['id']]}: {about}" for c in data["columns"]})
    downloads = table_files(df, page=page, name=f"paatostaulu-{variant.replace('_', '-')}", title=caption, sources=sources,
                            licence=LICENCE, definitions=definitions, lang=lang)
    rows = []
    for crit in data["criteria"]:
        cells = [{"label": labels[col["id"]], "model": col["id"],
                  "text": _cell_value(crit, col["variants"][variant]["criteria"].get(crit["id"]), lang)} for col in data["columns"]]
        unit = crit["unit"][lang]
        rows.append({"criterion": crit["label"][lang], "unit": unit, "verdict": data["verdicts"][variant][crit["id"]][lang],
                     "cells": cells, "staffing": crit["uses_staffing"]})
    return {"caption": caption, "rule": rule, "variant": variant, "header": [t["criterion"], t["verdict"], *[labels[c["id"]] for c in data["columns"]]],
            "models": [c["id"] for c in data["columns"]], "rows": rows,
            "notes": [{"model": m, "text": n} for m, n in zip(data.get("note_models", {}).get(variant, [""] * 99), data["notes"][variant][lang])],
            "downloads": downloads}


def sources_view_table(data: dict, lang: str, *, page: Path, sources: list[str]) -> dict:
    """Staffing as the sources give it, for the generic ``table`` macro."""
    from helpers.site.pages import cell, num, table

    t = TEXT[lang]
    cols = ["regional_htv", "coordination_htv", "regional_persons", "coordination_persons"]
    recs, rows = [], []
    for r in data["sources_view"]:
        recs.append({t["model"]: r["label"][lang], **{t[c]: float("nan") if r[c] is None else r[c] for c in cols}, t["note"]: r["note"][lang]})
        rows.append([cell(r["label"][lang]), *[num("–" if r[c] is None else fmt_number(r[c], 0, lang)) for c in cols], cell(r["note"][lang])])
    df = pd.DataFrame(recs)
    downloads = table_files(df, page=page, name="henkilosto-lahteiden-mukaan", title=t["sources_caption"], sources=sources, licence=LICENCE,
                            decimals={t[c]: 0 for c in cols}, lang=lang)
    return table(rows, caption=t["sources_caption"], header=list(df.columns), cls="lahteiden-mukaan", downloads=downloads,
                 row_attrs=[{"model": r["id"]} for r in data["sources_view"]])
