"""Any catalogue indicator on the units of the support-structure models.

``indicator_by_unit`` adds an indicator up from its base areas to each model's units by the catalogue's rule
(``helpers.tables.aggregate``: a count is summed, a ratio is the sum of numerators over the sum of denominators, so
a share is weighted by population). Åland is in no model: its municipalities form one explicit extra unit
(``OUTSIDE_CODE``), so every total still adds up to the whole country.

The long form has a row per model, unit and year. ``wide=True`` has a row per municipality and year and one column
per model (its id) holding the value of the unit that municipality belongs to in that model: a municipality is the
smallest area that belongs to exactly one unit in every model (some models split welfare regions).

``site_indicators`` is the same for every model and every indicator the refresh builds for a division year
(``runs.yaml``), as compact data for the model view (written with the scorecard's site data).
"""

from __future__ import annotations

import pandas as pd

from helpers.base import config
from helpers.base.errors import SoteError
from helpers.geo.municipality_key import municipality_key
from helpers.models.metrics import unit_metrics
from helpers.models.model_files import load_model, mapping
from helpers.tables.indicators import catalogue_row, custom_tables, indicator_years

OUTSIDE_CODE, OUTSIDE_NAME = "ei_mallissa", "Mallin ulkopuolella (Ahvenanmaa)"
INDICATOR_NOTEBOOK = "02_indikaattorit.ipynb"  # the runs that build indicator tables (runs.yaml)
KEY_COLUMNS = ["year", "kunta_code", "kunta_name_fi", "hyvinvointialue_code", "hyvinvointialue_name_fi"]


def indicator_by_unit(models: list[str], year: int, indicator: str, indicator_years, *, wide: bool = False) -> pd.DataFrame:
    """``indicator`` for ``indicator_years`` on the units of ``models`` (division ``year``).

    Long (default): the tidy indicator columns with ``area_code`` the unit code, plus ``model`` (label),
    ``model_id`` and ``area_name_fi``; Åland is the row ``OUTSIDE_CODE``. ``wide=True``: see the module docstring."""
    key = municipality_key(year)
    frames = []
    for t in unit_tables(models, year, indicator, indicator_years).values():
        if isinstance(t, SoteError):
            raise t
        frames.append(t)
    out = pd.concat(frames, ignore_index=True)
    out.attrs["flag_meanings"] = {w: m for f in frames for w, m in (f.attrs.get("flag_meanings") or {}).items()}
    return _wide(out, models, year, key) if wide else out


def unit_tables(models: list[str], year: int, indicator: str, indicator_years) -> dict:
    """Model -> the long table of ``indicator_by_unit`` for that model alone, or the SoteError it gave (the base
    areas' values are read and checked once for all the models: ``indicators.custom_tables``)."""
    key = municipality_key(year)
    out, mappings = {}, {}
    for m in models:
        try:
            # Åland is outside the models: it gets its own explicit row rather than being dropped from the sums.
            mappings[m] = mapping(m, year).reindex(key["kunta_code"]).fillna(OUTSIDE_CODE)
        except SoteError as exc:  # this model's error; the others are still made
            out[m] = exc
    for m, t in custom_tables(indicator, indicator_years, mappings, division_year=year).items():
        if not isinstance(t, SoteError):
            try:
                names = pd.concat([unit_metrics(m, year).set_index("unit_code")["unit_name_fi"], pd.Series({OUTSIDE_CODE: OUTSIDE_NAME})])
                t = t.assign(model=load_model(m).label(), model_id=m, area_name_fi=t["area_code"].map(names))
            except SoteError as exc:
                t = exc
        out[m] = t
    return {m: out[m] for m in models}


def _wide(long: pd.DataFrame, models: list[str], year: int, key: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for y in sorted(long["year"].unique()):
        part = key[KEY_COLUMNS[1:]].assign(year=int(y))[KEY_COLUMNS]
        for m in models:
            unit_of = mapping(m, year).reindex(key["kunta_code"]).fillna(OUTSIDE_CODE)
            values = long[(long["model_id"] == m) & (long["year"] == y)].set_index("area_code")["value"]
            part[m] = unit_of.map(values).to_numpy(dtype="float64")
        rows.append(part)
    out = pd.concat(rows, ignore_index=True)
    indicator = str(long["indicator_id"].iloc[0])
    row = catalogue_row(indicator)
    out.attrs.update({"indicator": indicator, "unit": row["unit"],
                      "source": str(long["source"].iloc[0]), "aggregation": row["aggregation"],
                      "model_labels": {m: load_model(m).label() for m in models}, "flag_meanings": long.attrs.get("flag_meanings", {})})
    return out


# --------------------------------------------------------------------------- every model x indicator, for the site

def refresh_indicators(year: int, runs_file=None) -> dict[str, list[list[int]]]:
    """Indicator id -> the year lists the refresh builds it with for division ``year`` (the indicator runs of
    ``runs.yaml``): exactly the requests the refresh makes, so the recorded answers hold them. Each indicator's own
    lists come first (latest year first, then the shortest); a count then has those of the other indicators read from
    the same source table (a population series is read in parts: its latest years are the change indicator's
    request)."""
    import yaml

    path = runs_file or config.PROJECT_ROOT / "runs.yaml"
    with open(path, encoding="utf-8") as f:
        entries = (yaml.safe_load(f) or {}).get("runs") or []
    own: dict[str, list[list[int]]] = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("notebook") != INDICATOR_NOTEBOOK:
            continue
        params, matrix = dict(entry.get("parameters") or {}), entry.get("matrix") or {}
        combos = [params]
        for name, values in matrix.items():
            if isinstance(values, list):  # generated matrices ({all: ...}) are not used by indicator runs
                combos = [{**c, name: v} for c in combos for v in values]
        for c in combos:
            years = sorted({int(y) for y in c.get("years") or []})
            if int(c.get("division_year", year)) != int(year) or not years:
                continue
            for ind in c.get("indicators") or []:
                if years not in own.setdefault(str(ind), []):
                    own[str(ind)].append(years)

    def order(lists):
        return sorted(lists, key=lambda ys: (-ys[-1], len(ys)))

    table = {ind: tuple(catalogue_row(ind)[["source", "table_or_id"]]) for ind in own}
    out = {}
    for ind, lists in own.items():
        allowed = set(indicator_years(ind))
        # Only for a count: a year's count is the same whichever years are asked; a change is over the years asked.
        pooled = [ys for other, more in own.items() if other != ind and table[other] == table[ind] for ys in more
                  if set(ys) <= allowed and ys not in lists] if catalogue_row(ind)["aggregation"] == "sum" else []
        out[ind] = order(lists) + order(pooled)
    return out


def _reason(exc: Exception) -> str:
    # What the page says instead of a number: the model splits welfare regions, or the answer is not there.
    return "splits_regions" if "splits welfare regions" in str(exc) else "unavailable"


def site_indicators(models: list[str], year: int, indicators: dict[str, list[list[int]]] | None = None) -> dict:
    """Every model x indicator x unit (the latest year of each indicator) as compact data for the model view:
    ``indicators`` (id, year, unit, aggregation, names fi/sv/en, source) and, per model, ``values``
    (indicator -> unit code -> value; ``OUTSIDE_CODE`` is Åland) and ``missing`` (indicator -> why there are no
    values for that model: ``splits_regions`` or ``unavailable``). ``indicators``: id -> year lists to try in turn
    (default ``refresh_indicators``); the first list that gives any model values is used."""
    indicators = refresh_indicators(year) if indicators is None else indicators
    meta, per_model = [], {m: {"values": {}, "missing": {}} for m in models}
    for ind, candidates in indicators.items():
        row = catalogue_row(ind)
        for years in candidates:
            latest, source, values, missing = max(years), None, {}, {}
            for m, t in unit_tables(models, year, ind, years).items():
                if isinstance(t, SoteError):
                    missing[m] = _reason(t)
                    continue
                t = t[t["year"] == latest]
                source = source or str(t["source"].iloc[0])
                values[m] = {str(c): (None if pd.isna(v) else float(v)) for c, v in zip(t["area_code"], t["value"])}
            if source is not None:
                break
        else:
            continue  # no model has it: not offered
        for m in models:
            if m in values:
                per_model[m]["values"][ind] = values[m]
            else:
                per_model[m]["missing"][ind] = missing[m]
        meta.append({"id": ind, "year": int(latest), "unit": row["unit"], "aggregation": row["aggregation"],
                     "name": {lang: row[f"name_{lang}"] for lang in ("fi", "sv", "en")}, "source": source})
    return {"year": int(year), "outside": OUTSIDE_CODE, "indicators": meta, "models": per_model}
