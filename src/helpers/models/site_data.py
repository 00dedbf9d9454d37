"""The scorecard as data for the site: ``outputs/site/data/tulostaulu.json`` and ``.csv`` (UTF-8 with BOM, so
spreadsheet programs read the Finnish letters). The landing page is built from these files elsewhere."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from helpers.base import config
from helpers.base.languages import LANGS
from helpers.models import apportionment, findings, partitions

JSON_NAME = "tulostaulu.json"
CSV_NAME = "tulostaulu.csv"


def data_dir() -> Path:
    return config.outputs_dir() / "site" / "data"


def _clean(x):
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return None
    return x


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: _clean(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


VALUE_FIELDS = ["scenario", "scope", "unit_code", "metric", "statistic", "value", "note"]


def _normalised(card: pd.DataFrame) -> dict:
    """Labels once per scenario, metric and unit; the values as short rows (keeps the file small for the site)."""
    scenarios = {}
    for sc, g in card.groupby("scenario", sort=False):
        r = g.iloc[0]
        scenarios[sc] = {"model": r["model"], "staffing": r["staffing"], "allocation": r["allocation"], "measure": r["measure"],
                         "label": {lang: r[f"scenario_label_{lang}"] for lang in LANGS},
                         "staffing_label": {lang: r[f"staffing_label_{lang}"] for lang in LANGS}}
    metrics = {}
    for metric, g in card.groupby("metric", sort=False):
        r = g.iloc[0]
        metrics[metric] = {"label": {lang: r[f"metric_label_{lang}"] for lang in LANGS}, "unit": r["unit"] if r["scope"] == "unit" else g["unit"].iloc[0]}
    units = {}
    for (model, code), g in card[card["scope"] == "unit"].groupby(["model", "unit_code"], sort=False):
        r = g.iloc[0]
        units.setdefault(model, {})[code] = {lang: r[f"unit_name_{lang}"] for lang in LANGS}
    values = []
    columns = ("scenario", "scope", "unit_code", "metric", "statistic", "value", "note_fi", "note_sv", "note_en")
    # tolist(): iterating arrow string columns row by row is slow
    for scenario, scope, unit_code, metric, statistic, v, fi, sv, en in zip(*(card[c].tolist() for c in columns)):
        note = {"fi": fi, "sv": sv, "en": en} if fi else None
        values.append([scenario, scope, unit_code, metric, statistic, _clean(float(v)), note])
    return {"scenarios": scenarios, "metrics": metrics, "units": units, "value_fields": VALUE_FIELDS, "values": values}


def write_site_data(card: pd.DataFrame, optimum: pd.DataFrame, year: int = 2025, decision: dict | None = None) -> tuple[Path, Path]:
    """Write the JSON (scenarios, metrics and units with their labels in fi/sv/en, the values as rows
    ``value_fields``, the optimum comparison, findings in fi/sv/en, sources, ``decision``: every model under one
    staffing rule, from ``helpers.models.decision``, and ``unit_indicators``: every indicator the refresh builds on
    every model's units, from ``helpers.models.unit_indicators``) and the CSV (the tidy scorecard)."""
    from helpers.models.model_files import model_names
    from helpers.models.unit_indicators import site_indicators

    out = data_dir()
    known = set(model_names())
    models = [m for m in dict.fromkeys(card["model"].tolist()) if m in known]  # the scorecard's models, not its references
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "year": year,
        "sources": card.attrs.get("sources", []),
        "sources_by_lang": card.attrs.get("sources_by_lang", {}),
        "notes": {"fi": "Pinta-alat ja etäisyydet yleistetyistä rajoista (1:4\u00a0500\u00a0000). Vuoden 2021 rakenteen luvut lähteen mukaan ovat henkilömääriä, eivät henkilötyövuosia.",
                  "sv": "Arealer och avstånd från generaliserade gränser (1:4\u00a0500\u00a0000). Siffrorna för 2021 års struktur enligt källan är antal personer, inte årsverken.",
                  "en": "Areas and distances from generalised boundaries (1:4,500,000). The 2021 build's figures as in the source are headcounts, not person-years."},
        "apportionment_citation": apportionment.CITATION,
        "optimisation": {"method": "exact branch-and-bound enumeration of connected partitions", "variants": partitions.VARIANT_LABELS},
        "findings": {lang: findings.findings_text(card, lang, year) for lang in LANGS},
        "optimum": _records(optimum),
        "decision": decision,
        "unit_indicators": site_indicators(models, year),
        **_normalised(card),
    }
    json_path, csv_path = out / JSON_NAME, out / CSV_NAME
    tmp = json_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    tmp.replace(json_path)
    tmp = csv_path.with_suffix(".csv.tmp")
    # The CSV keeps the ids and the Finnish labels (Swedish and English ones are in the JSON).
    keep = [c for c in card.columns if not c.endswith(("_sv", "_en"))]
    card[keep].to_csv(tmp, index=False, encoding="utf-8-sig")
    tmp.replace(csv_path)
    return json_path, csv_path
