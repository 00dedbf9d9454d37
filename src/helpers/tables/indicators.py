"""Regional indicators as one validated tidy table, from the catalogue in ``data/indikaattorit.csv``.

``indicator_table(indicator_id, years, level=, division_year=, mapping=)`` checks its arguments before any
download, builds the base table (municipalities, or welfare regions for Sotkanet welfare-region data), puts it on
the chosen municipal division, aggregates to the level by the catalogue's rule and validates the result.

``value_flags`` (str, "" when none): the source's markers on the value in Finnish (``helpers.sources.flags``), e.g.
"ennakkotieto" or "ennakkotieto, salattu". An aggregated unit carries the union of its members' flags, a derived
value (population change, shares) the flags of the values it came from; ``attrs['flag_meanings']`` explains each
word present in the table (fi/sv/en) for a page's footnote.

Values are checked against their meaning (``helpers.sources.checks``) with the rules the catalogue declares per
indicator (``kind``: count, amount, share, rate, ratio or index; ``min``/``max`` when the kind's own bounds do not
fit; ``counts``: the columns of its source rows that count persons): the source's rows as read, the base table and
the tidy table. A broken rule is a :class:`~helpers.base.errors.ValidationError` naming the indicator, its source and
request, the rule and the rows (area code, year, value); nothing is aggregated from such rows.

Any Sotkanet indicator is usable by its id, ``sotkanet:ID`` (e.g. ``sotkanet:186``), wherever an indicator id is
accepted. Its catalogue row is derived from Sotkanet's ``/indicators/{ID}`` metadata (``sotkanet_row``): names,
unit, years, producer, and the aggregation rule from the primary value type: a share (``PROS``) or a rate per N
(``PER1000``, ``PER100000`` …) adds up the counts (``absValue``) and the denominators the published value implies
(``absValue × N / value``). A value the metadata gives no such rule for (an index, an age-standardised rate, another
type) is refused with :class:`RuleNotDerivable` saying why. A row of ``data/indikaattorit.csv`` for the same Sotkanet
id always wins over the derived one. ``search_sotkanet(word)`` finds ids by a word of their name.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from functools import lru_cache

import pandas as pd
import pandera.pandas as pa

from helpers.base import config
from helpers.sources import checks, pxweb, sotkanet
from helpers.sources import flags as value_flags
from helpers.tables import small_numbers
from helpers.tables.aggregate import aggregate
from helpers.base.errors import InvalidParameter, SoteError, ValidationError, invalid
from helpers.geo.layers import allowed_years, area_km2, load_layer
from helpers.geo.municipal_changes import merger_map, to_division
from helpers.geo.municipality_key import KEY_LEVELS, municipality_key, units_for
from helpers.sources.population import WFS_POPULATION_YEARS, municipal_population_wfs

LEVELS = (*KEY_LEVELS, "koko_maa", "custom")
COUNTRY = {"code": "SSS", "name_fi": "Koko maa", "name_sv": "Hela landet", "name_en": "Whole country"}
TIDY_COLUMNS = ["area_level", "area_code", "area_name_fi", "area_name_sv", "area_name_en", "year", "indicator_id", "value", "unit", "source", "value_flags"]

TIDY_SCHEMA = pa.DataFrameSchema(
    {
        "area_level": pa.Column(str, pa.Check.isin(LEVELS)),
        "area_code": pa.Column(str, pa.Check.str_matches(r"^[0-9A-Za-z_.+-]+$")),
        "area_name_fi": pa.Column(str),
        "area_name_sv": pa.Column(str),
        "area_name_en": pa.Column(str),
        "year": pa.Column(int, pa.Check.in_range(1900, 2100)),
        "indicator_id": pa.Column(str),
        "value": pa.Column(float, nullable=True),
        "unit": pa.Column(str),
        "source": pa.Column(str, pa.Check.str_length(min_value=5)),
        # "" or known Finnish words, sorted and joined by ", " (an unknown source symbol shows as "merkintä X")
        "value_flags": pa.Column(str, pa.Check(lambda v: v == value_flags.join([v]) and all(
            w in value_flags.MEANINGS or w.startswith("merkintä ") for w in value_flags.split(v)), element_wise=True), nullable=False),
    },
    unique=["area_level", "area_code", "year", "indicator_id"],
    strict=False,
    coerce=False,
)
# Several tables checked in one pass (custom_tables): the same columns and checks, each table's rows unique by itself.
_BATCH_SCHEMA = TIDY_SCHEMA.add_columns({"_table": pa.Column(int)})
_BATCH_SCHEMA.unique = [*TIDY_SCHEMA.unique, "_table"]
_CODE_WIDTH = {"kunta": 3, "maakunta": 2, "hyvinvointialue": 2, "yhteistyoalue": 1, "erva2020": 1}
SOTKANET_ID = re.compile(r"sotkanet:(\d{1,9})")
SOTKANET_ID_TEXT = "sotkanet:ID (any Sotkanet indicator by its number, e.g. sotkanet:186)"


class RuleNotDerivable(InvalidParameter):
    """A ``sotkanet:ID`` whose metadata gives no aggregation rule (an index, an age-standardised rate, an unknown
    value type, no total over the sexes): the message says why; a row in data/indikaattorit.csv can declare one."""


def _catalogue() -> pd.DataFrame:
    path = config.DATA_DIR / "indikaattorit.csv"
    stat = path.stat()
    return _read_catalogue(path, stat.st_mtime_ns, stat.st_size)  # an edited file is read again


@lru_cache(maxsize=2)
def _read_catalogue(path, mtime_ns: int, size: int) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    if df["indicator_id"].duplicated().any():
        raise ValidationError(f"data/indikaattorit.csv: duplicated ids {df.loc[df['indicator_id'].duplicated(), 'indicator_id'].tolist()}")
    bad = sorted(set(df["aggregation"]) - {"sum", "ratio"})
    if bad:
        raise ValidationError(f"data/indikaattorit.csv: unknown aggregation rules {bad}")
    missing = [c for c in CHECK_COLUMNS if c not in df.columns]
    if missing:
        raise ValidationError(f"data/indikaattorit.csv: columns {missing} missing (what each indicator's values mean; see README)")
    problems = []
    for _, row in df.iterrows():
        problems += [f"row {row['indicator_id']}: {p}" for p in _rule_problems(row)]
    if problems:
        raise ValidationError("data/indikaattorit.csv: " + "; ".join(problems))
    return df


CHECK_COLUMNS = ("kind", "min", "max", "counts", "small_n")


def _bound(text: str) -> float | None:
    return None if text.strip() == "" else float(text)


def _rule_problems(row: pd.Series) -> list[str]:
    """What is wrong with one catalogue row's value rules (kind, min, max, counts), each naming column, value, rule."""
    out = []
    if row["kind"] not in checks.KINDS:
        out.append(f"kind {row['kind']!r} is not allowed; allowed: {', '.join(checks.KINDS)}")
    bounds = {}
    for col in ("min", "max"):
        try:
            bounds[col] = _bound(row[col])
        except ValueError:
            out.append(f"{col} {row[col]!r} is not a number; allowed: a number, or empty for the kind's own bound")
            continue
        if bounds[col] is not None and not math.isfinite(bounds[col]):
            out.append(f"{col} {row[col]!r} is not a finite number; allowed: a number, or empty for the kind's own bound")
    if bounds.get("min") is not None and bounds.get("max") is not None and bounds["min"] >= bounds["max"]:
        out.append(f"min {row['min']} is not below max {row['max']}")
    bad_names = [c for c in row["counts"].split() if not c.isidentifier()]
    if bad_names:
        out.append(f"counts {row['counts']!r} has {bad_names}, not column names; allowed: column names separated by spaces")
    small = small_numbers.threshold_problem(row["small_n"])
    if small:
        out.append(small)
    return out


def value_rules(indicator_id: str, *, keys: tuple[str, ...] = ("area_code", "year")) -> checks.Rules:
    """The value checks the catalogue declares for an indicator (``helpers.sources.checks.Rules``)."""
    row = _row(indicator_id)
    ratio = row["aggregation"] == "ratio"
    return checks.Rules(keys=keys, kind=row["kind"], lo=_bound(row["min"]), hi=_bound(row["max"]),
                        counts=tuple(row["counts"].split()),
                        numerator=row["numerator"] if ratio else None, denominator=row["denominator"] if ratio else None,
                        scale=value_scale(row))


def _check(indicator_id: str, frame: pd.DataFrame, rules: checks.Rules, provenance, *, area: str = "area_code") -> None:
    """``checks.check_values`` naming the indicator, its source and the request the rows came from."""
    source = _row(indicator_id)["source"]
    checks.check_values(frame, rules, what=indicator_id, request=f"{source}; {checks.requests_text(provenance)}", area=area)


def catalogue(ids=None) -> pd.DataFrame:
    """One row per indicator (see data/indikaattorit.csv); with ``ids``, the rows of those ids in that order, a
    ``sotkanet:ID`` row derived from its metadata unless the file has one for that Sotkanet id."""
    if ids is None:
        return _catalogue().copy()
    return pd.DataFrame([_row(i) for i in ids]).reset_index(drop=True)


def catalogue_row(indicator_id: str) -> pd.Series:
    """The catalogue row of one id (a ``sotkanet:ID`` too); an unknown id is an error naming the allowed ones."""
    return _row(indicator_id)


def indicator_years(indicator_id: str) -> list[int]:
    row = _row(indicator_id)
    start, _, end = row["years"].partition("-")
    return list(range(int(start), int(end or start) + 1))


def _row(indicator_id: str, *, fresh: bool = False) -> pd.Series:
    """The catalogue row of an id: the file's row, else for ``sotkanet:ID`` the file's row of that Sotkanet id (it
    wins) or the row derived from the metadata (``fresh``: fetched again rather than remembered)."""
    cat = _catalogue()
    match = cat[cat["indicator_id"] == indicator_id] if isinstance(indicator_id, str) else cat.iloc[:0]
    if not match.empty:
        return match.iloc[0]
    found = SOTKANET_ID.fullmatch(indicator_id) if isinstance(indicator_id, str) else None
    if found is None:
        raise InvalidParameter(f"{invalid('indicator', indicator_id, cat['indicator_id'].tolist())}, or {SOTKANET_ID_TEXT}")
    number = str(int(found.group(1)))
    own = cat[cat["source"].str.startswith("THL") & (cat["table_or_id"] == number)]
    if not own.empty:
        row = own.iloc[0].copy()
        row["indicator_id"] = indicator_id  # the tables name the id they were asked for
        return row
    return pd.Series(sotkanet_row(int(number), fresh=fresh))


# A derived row per (id, mirror, cache): its metadata is read once a process (every check asks for the row).
_DERIVED: dict = {}


def sotkanet_row(indicator: int, *, fresh: bool = False) -> dict:
    """The catalogue row of Sotkanet indicator ``indicator`` derived from its ``/indicators/{id}`` metadata: the
    columns of data/indikaattorit.csv plus ``scale`` (N of a rate per N, 100 for a share), ``decimals`` and
    ``producer_fi/sv/en``. Raises :class:`RuleNotDerivable` naming why when no aggregation rule follows."""
    key = (int(indicator), str(config.mirror_dir()), str(config.cache_dir()))
    if not fresh and key in _DERIVED:
        return dict(_DERIVED[key])
    meta = sotkanet.indicator_metadata(indicator)
    rule = _derived_rule(meta)
    org = meta["organization"]
    title_fi = meta["title"]["fi"]
    row = {
        "indicator_id": f"sotkanet:{meta['id']}",
        "name_fi": title_fi, "name_sv": meta["title"]["sv"] or title_fi, "name_en": meta["title"]["en"] or title_fi,
        "unit": sotkanet.unit_text(meta["value_type"], meta["unit"]["fi"]),
        "source": f"THL, Sotkanet (tiedontuottaja {org['fi']})" if org["fi"] else "THL, Sotkanet",
        "table_or_id": str(meta["id"]), "base_level": "hyvinvointialue",
        **{k: rule[k] for k in ("aggregation", "numerator", "denominator", "kind", "min", "max", "counts")},
        "small_n": "",  # the project's default threshold (helpers.tables.small_numbers)
        "years": sotkanet.years_text(meta["range"]),
        "notes": (f"Johdettu Sotkanetin metatiedoista (/indicators/{meta['id']}, päivitetty {meta['data_updated'] or '?'}). "
                  f"Yhdistely: osoittaja on lukumäärä, nimittäjä lukumäärä × {rule['scale']} / arvo"),
        "scale": rule["scale"], "decimals": "" if meta["decimals"] is None else str(meta["decimals"]),
        **{f"producer_{lang}": org[lang] for lang in ("fi", "sv", "en")},
    }
    _DERIVED[key] = row
    return dict(row)


# Words by which Sotkanet's texts tell that a value is a weighted sample-survey estimate (e.g. /indicators/5527).
SURVEY_MARKERS = r"\w*otostutkimus\w*|\w*kyselytutkimus\w*|painokertoim\w*|survey sampling|weighting coefficients"


def _derived_rule(meta: dict) -> dict:
    """Aggregation rule and value checks from Sotkanet metadata; RuleNotDerivable saying why when there is none."""
    ident, code = meta["id"], meta["value_type"]
    unit = meta["unit"]["fi"] or meta["unit"]["en"]

    def refuse(why: str) -> RuleNotDerivable:
        return RuleNotDerivable(f"indicator='sotkanet:{ident}' ({meta['title']['fi']}): {why}; its aggregation rule cannot be "
                                f"derived from the metadata (/indicators/{ident}). Add a row for Sotkanet id {ident} to "
                                "data/indikaattorit.csv to declare one (see README, the indicator catalogue)")

    if not sotkanet.years_text(meta["range"]):
        raise refuse(f"the metadata gives no years (range {meta['range']!r})")
    if meta["sexes"] and "total" not in meta["sexes"]:
        raise refuse(f"its sex classification {meta['sexes']} has no 'total', which the tables use")
    titles = " ".join(meta["title"].values()).casefold()
    if "vakioitu" in titles or "standardi" in titles:
        raise refuse("it is standardised: its value is not absValue × N / population, so areas cannot be added up")
    if "indeksi" in titles or "index" in titles:
        raise refuse("it is an index: its value is not a count per population, so areas cannot be added up")
    texts = " ".join([*(meta[k][lang] for k in ("description", "limits", "interpretation") for lang in ("fi", "en")),
                      *meta["source_texts"]])
    survey = next((m.group(0) for m in [re.search(SURVEY_MARKERS, texts, re.IGNORECASE)] if m), None)
    if survey:
        raise refuse(f"it is estimated from a sample survey (its metadata says {survey!r}): a weighted estimate has no "
                     "count and population that add up across areas")
    if code == "PROS":
        return {"aggregation": "ratio", "numerator": "abs_value", "denominator": "implied_denominator", "kind": "share",
                "min": "", "max": "", "counts": "abs_value", "scale": 100}
    per = re.fullmatch(r"PER(\d+)", code)
    if per and int(per.group(1)) > 0:
        return {"aggregation": "ratio", "numerator": "abs_value", "denominator": "implied_denominator", "kind": "rate",
                "min": "0", "max": "", "counts": "abs_value", "scale": int(per.group(1))}
    raise refuse(f"its value type {code or 'none'!r} ({unit or 'no title'}) is neither a share (PROS) nor a rate per N "
                 "(PER1000, PER100000 …), the two whose areas add up through absValue")


def value_scale(row: pd.Series) -> float:
    """N of a ratio's ``numerator / denominator × N``: a derived Sotkanet row's own, else 100 (every file row)."""
    value = row.get("scale")
    return 100.0 if value is None or value == "" or (isinstance(value, float) and math.isnan(value)) else float(value)


def search_sotkanet(word: str) -> pd.DataFrame:
    """Sotkanet indicators whose name contains ``word`` or whose id it is: columns indicator_id (``sotkanet:ID``),
    name_fi, name_sv, name_en, unit, years, producer, in_catalogue (the id of its row in data/indikaattorit.csv, "").

    Live: Sotkanet's whole indicator list. On a mirror, which holds no list: the ``/indicators/{id}`` answers it holds
    plus the catalogue's own Sotkanet rows; ``attrs["complete"]`` is then False and ``attrs["coverage"]`` says what was
    searched."""
    found = sotkanet.search_indicators(word)
    cat = _catalogue()
    own = cat[cat["source"].str.startswith("THL") & cat["table_or_id"].str.isdigit()]
    own_by_id = dict(zip(own["table_or_id"].astype(int), own["indicator_id"]))
    rows = [{"indicator_id": f"sotkanet:{r.id}", "name_fi": r.title_fi, "name_sv": r.title_sv, "name_en": r.title_en,
             "unit": r.unit, "years": r.years, "producer": r.organization_fi, "in_catalogue": own_by_id.get(int(r.id), "")}
            for r in found.itertuples()]
    if not found.attrs.get("complete"):
        # the mirror holds no list: the catalogue's own Sotkanet rows are searched by their names as well
        seen = set(found["id"].astype(int))
        for r in own.itertuples():
            if int(r.table_or_id) not in seen and sotkanet.matches(word, int(r.table_or_id), {"fi": r.name_fi, "sv": r.name_sv, "en": r.name_en}):
                rows.append({"indicator_id": f"sotkanet:{int(r.table_or_id)}", "name_fi": r.name_fi, "name_sv": r.name_sv,
                             "name_en": r.name_en, "unit": r.unit, "years": r.years, "producer": r.source, "in_catalogue": r.indicator_id})
    out = pd.DataFrame(rows, columns=["indicator_id", "name_fi", "name_sv", "name_en", "unit", "years", "producer", "in_catalogue"])
    out = out.assign(_n=out["indicator_id"].str.split(":").str[1].astype(int)).sort_values("_n", ignore_index=True).drop(columns="_n")
    out.attrs["complete"] = bool(found.attrs.get("complete"))
    if out.attrs["complete"]:
        out.attrs["coverage"] = "Sotkanet's whole indicator list (/indicators)"
    else:
        ids = ", ".join(map(str, found.attrs.get("covered") or [])) or "none"
        out.attrs["coverage"] = (f"only the indicators the mirror holds metadata for ({ids}) and the catalogue's own Sotkanet rows "
                                 f"({', '.join(sorted(own['table_or_id'])) or 'none'}): the mirror holds no list of all indicators")
    return out


def check_request(indicator_id: str, years, level: str, division_year: int, mapping: pd.Series | None) -> list[int]:
    """Validate every argument before any download; returns the years as a sorted list of ints."""
    row = _row(indicator_id)
    if level not in LEVELS:
        raise invalid("level", level, LEVELS)
    if isinstance(division_year, bool) or not isinstance(division_year, int) or division_year not in allowed_years("kunta"):
        raise invalid("division_year", division_year, allowed_years("kunta"))
    year_list = [years] if isinstance(years, (int, str)) else list(years)
    if not year_list:
        raise invalid("years", years, "one or more years")
    try:
        year_list = sorted({int(y) for y in year_list})
    except (TypeError, ValueError):
        raise invalid("years", years, f"years {row['years']}") from None
    allowed = indicator_years(indicator_id)
    if indicator_id in ("kuntien_lkm", "pinta_ala"):
        allowed = [division_year]
    bad = [y for y in year_list if y not in allowed]
    if bad:
        # Name the indicator and the source that limit the years, so a researcher knows where the limit comes from.
        limit = ("the division year (a count or area of the regional division itself)" if indicator_id in ("kuntien_lkm", "pinta_ala")
                 else f"the years {row['source']} ({row['table_or_id']}) publishes")
        err = invalid("years", bad if len(bad) > 1 else bad[0], f"{allowed[0]}–{allowed[-1]}" if len(allowed) > 1 else allowed)
        raise InvalidParameter(f"{err} for indicator {indicator_id}: {limit}")
    if indicator_id == "vaesto_muutos" and len(year_list) < 2:
        raise invalid("years", years, "at least two years (the change is from the first to the last)")
    if level == "custom":
        if mapping is None or len(mapping) == 0:
            raise InvalidParameter("level='custom' needs mapping= (a Series: municipality code -> unit code)")
    elif mapping is not None:
        raise InvalidParameter(f"mapping= is only used with level='custom' (got level={level!r})")
    return year_list


# --------------------------------------------------------------------------- base tables (municipality level)


def _source_text(row: pd.Series, detail: str) -> str:
    return f"{row['source']}, {detail}; CC BY 4.0"


def _pxweb_population(indicator_id: str, table: str, years: list[int], division_year: int, *, all_years: bool) -> tuple[pd.DataFrame, str, list]:
    """Municipal population (column ``vaesto``) from a 11re-type table on the chosen division; the rows as the table
    gives them are checked by the indicator's rules (a count of persons: whole, ≥ 0) and the whole-country total
    against the municipalities' sum."""
    meta = pxweb.get_metadata(table)
    area, time = meta.role("area"), meta.role("time")
    table_division = int(str(area.map).split()[-1]) if area.map and str(area.map).split()[-1].isdigit() else None
    if table_division is None:
        raise ValidationError(f"{meta.url}: the area variable does not say its division ('map': {area.map!r})")
    missing_years = [y for y in years if str(y) not in time.values]
    if missing_years:
        raise invalid("years", missing_years, f"{time.values[0]}–{time.values[-1]} ({meta.url})")
    selections = {"area": "*", "age": ["SSS"], "sex": ["SSS"]}
    if all_years:
        selections.update(time="*", contents="*")
        fmt = "json"
    else:
        selections.update(time=[str(y) for y in years], contents=[meta.role("contents").values[0]])
        fmt = "json-stat2"
    long = pxweb.query_table(meta, selections, fmt)
    long = long.rename(columns={area.code: "area", time.code: "year"})
    long["year"] = long["year"].astype(int)
    long = long[long["year"].isin(years)]
    # Before any sum or move to another division could hide a value (a negative municipality, a total adjusted to it).
    _check(indicator_id, long.rename(columns={"value": "vaesto"}), replace(value_rules(indicator_id), keys=(), kind=None),
           long.attrs.get("provenance", []), area="area")
    country = long[long["area"] == "SSS"].set_index("year")["value"]
    muni = long[long["area"] != "SSS"].assign(kunta_code=lambda d: d["area"].map(pxweb.area_to_municipality_code))
    sums = muni.groupby("year")["value"].sum(min_count=1)
    for y in years:
        if y in country.index and y in sums.index and country[y] != sums[y]:
            raise ValidationError(f"{meta.url} {y}: municipalities sum to {sums[y]:.0f}, the table's whole-country total is {country[y]:.0f}")
    df = muni[["kunta_code", "year", "value", "value_flags"]].rename(columns={"value": "vaesto"})
    if table_division < division_year:
        moved = to_division(df.drop(columns="value_flags"), from_division=table_division, to_division=division_year, value_cols=["vaesto"], key_cols=["year"])
        df = moved.merge(_flags_to_division(df, table_division, division_year), on=["year", "kunta_code"], how="left", validate="one_to_one")
    elif table_division > division_year and merger_map(division_year, table_division):
        raise ValidationError(f"{meta.url} uses the {table_division} division; figures cannot be split back to {division_year} (mergers in between)")
    updated = long.attrs.get("updated") or meta.provenance.get("fetched_at", "")
    detail = f"taulukko {table.split('/')[-1]} (aluejako {table_division}), päivitetty {str(updated)[:10]}"
    return df, detail, [meta.provenance, *long.attrs.get("provenance", [])]


def _flags_to_division(df: pd.DataFrame, from_division: int, to_division: int) -> pd.DataFrame:
    """Flags of merged municipalities united into their successor (rows kunta_code, year, flags)."""
    moved = df.assign(kunta_code=df["kunta_code"].replace(merger_map(from_division, to_division)))
    moved.attrs = {}  # not deep-copied into every group
    return value_flags.join_groups(moved, ["year", "kunta_code"]).reset_index()


def _wfs_age_groups(year: int, division_year: int) -> tuple[pd.DataFrame, str, list]:
    pop = municipal_population_wfs(year)
    layer_division = WFS_POPULATION_YEARS[year]
    if layer_division != division_year:
        if layer_division > division_year and merger_map(division_year, layer_division):
            raise ValidationError(f"vaestoalue:kunta_vaki{year} uses the {layer_division} division; it cannot be split back to {division_year}")
        value_cols = [c for c in pop.columns if c.startswith("population_")]
        pop = to_division(pop, from_division=layer_division, to_division=division_year, value_cols=value_cols) if layer_division < division_year else pop
    pop = pop.assign(year=year, value_flags="")  # the WFS layer marks no values
    return pop, f"vaestoalue:kunta_vaki{year} (väestö 31.12.{year})", [pop.attrs.get("provenance")]


def _base_kunta(indicator_id: str, years: list[int], division_year: int) -> tuple[pd.DataFrame, str, list]:
    """Rows kunta_code, year and the columns the catalogue's rule needs."""
    row = _row(indicator_id)
    if indicator_id == "vaesto":
        df, detail, prov = _pxweb_population(indicator_id, row["table_or_id"], years, division_year, all_years=False)
        return df.rename(columns={"vaesto": "value"}), _source_text(row, detail), prov
    if indicator_id == "vaesto_historia":
        url = "https://pxdata.stat.fi:443/PxWeb/api/v1/fi/StatFin/vaerak/statfin_vaerak_pxt_11re.px"
        df, detail, prov = _pxweb_population(indicator_id, url, years, division_year, all_years=True)
        return df.rename(columns={"vaesto": "value"}), _source_text(row, detail), prov
    if indicator_id == "vaesto_muutos":
        first, last = years[0], years[-1]
        df, detail, prov = _pxweb_population(indicator_id, row["table_or_id"], years, division_year, all_years=False)
        wide = df.pivot(index="kunta_code", columns="year", values="vaesto")
        marks = df.pivot(index="kunta_code", columns="year", values="value_flags").reindex(wide.index).fillna("")
        out = pd.DataFrame({"kunta_code": wide.index, "year": last,
                            "vaesto_muutos_abs": (wide[last] - wide[first]).values, "vaesto_alku": wide[first].values,
                            # the change is only as final as both of its years
                            "value_flags": [value_flags.join(pair) for pair in zip(marks[first], marks[last])]})
        return out, _source_text(row, f"{detail}; muutos {first}–{last}"), prov
    if row["source"].startswith("Tilastokeskus (WFS"):
        frames, provs, detail = [], [], ""
        for y in years:
            df, detail, prov = _wfs_age_groups(y, division_year)
            frames.append(df)
            provs += prov
        return pd.concat(frames, ignore_index=True), _source_text(row, detail), provs
    if indicator_id in ("kuntien_lkm", "pinta_ala"):
        kunta = load_layer("kunta", division_year)
        values = 1.0 if indicator_id == "kuntien_lkm" else area_km2(kunta).values
        df = pd.DataFrame({"kunta_code": kunta["code"], "year": division_year, "value": values, "value_flags": ""})
        return df, _source_text(row, f"kunta4500k_{division_year}"), [kunta.attrs.get("provenance")]
    raise ValidationError(f"indicator {indicator_id}: no municipality-level builder")


def _base_sotkanet(indicator_id: str, years: list[int], level: str) -> tuple[pd.DataFrame, str, list]:
    row = _row(indicator_id)
    rows = sotkanet.data_by_level(int(row["table_or_id"]), years, level)
    df = pd.DataFrame({
        "area_code": rows["code"], "year": rows["year"].astype(int), "value": rows["value"],
        "abs_value": rows["abs_value"],
        # The denominator is not published; absValue × N / value recovers it (to rounding of the value), N = 100 for
        # a share, 100 000 for a rate per 100 000.
        "implied_denominator": rows["abs_value"] * value_scale(row) / rows["value"],
        "value_flags": rows["value_flags"],
    })
    return df, _source_text(row, f"indikaattori {row['table_or_id']}"), rows.attrs.get("provenance", [])


# --------------------------------------------------------------------------- levels


def _units(level: str, division_year: int, codes: list[str]) -> pd.DataFrame:
    if level == "koko_maa":
        return pd.DataFrame([COUNTRY])
    if level == "custom":
        return pd.DataFrame({"code": sorted(set(codes)), "name_fi": sorted(set(codes)), "name_sv": sorted(set(codes)), "name_en": sorted(set(codes))})
    return units_for(division_year, level)


def _mapping(level: str, division_year: int, base_level: str, custom: pd.Series | None) -> pd.Series:
    """Base code -> unit code for the level."""
    if base_level == "kunta":
        key = municipality_key(division_year)
        if level == "custom":
            return custom.astype(str)
        if level == "koko_maa":
            return pd.Series("SSS", index=key["kunta_code"].values)
        return key.set_index("kunta_code")[f"{level}_code"]
    # welfare-region base: only groupings that are unions of whole welfare regions
    key = municipality_key(division_year)
    if level == "custom":
        per_region = custom.astype(str).reindex(key["kunta_code"]).groupby(key["hyvinvointialue_code"].values)
    elif level == "koko_maa":
        return pd.Series("SSS", index=sorted(key["hyvinvointialue_code"].unique()))
    else:
        per_region = key.set_index("kunta_code")[f"{level}_code"].groupby(key["hyvinvointialue_code"].values)
    split = per_region.nunique()
    split = split[split != 1].index.tolist()
    if split:
        raise ValidationError(f"this indicator exists by welfare region only; the grouping {level!r} splits welfare regions {split}")
    return per_region.first()


# --------------------------------------------------------------------------- public entry point


def indicator_table(indicator_id: str, years, *, level: str = "hyvinvointialue", division_year: int = 2025,
                    mapping: pd.Series | None = None) -> pd.DataFrame:
    """The tidy, validated table of one indicator (see module docstring). ``attrs``: provenance (list), missing (int).

    Every argument is checked before any download; a mistake names the value and what is allowed.

    >>> t = indicator_table("vaesto", [2023, 2024], level="hyvinvointialue", division_year=2025)
    >>> int(t.loc[(t["area_code"] == "90") & (t["year"] == 2024), "value"].item())  # Helsinki 31.12.2024, StatFin 11re
    684018
    >>> indicator_table("vaesto", [1850])
    Traceback (most recent call last):
    helpers.base.errors.InvalidParameter: years=1850 is not allowed; allowed: 1972–2025 for indicator vaesto: the years Tilastokeskus (StatFin) (11re) publishes
    """
    year_list = check_request(indicator_id, years, level, division_year, mapping)
    if mapping is None:  # named levels: kept on disk while their answers stay the same (helpers.tables.table_cache)
        from helpers.tables.table_cache import cached_table

        key = {"indicator": indicator_id, "years": year_list, "level": level, "division_year": int(division_year)}
        return cached_table("indicator", key, lambda: _build_table(indicator_id, year_list, level, int(division_year), None))
    return _build_table(indicator_id, year_list, level, division_year, mapping)


def custom_tables(indicator_id: str, years, mappings: dict, *, division_year: int = 2025) -> dict:
    """``indicator_table(indicator_id, years, level="custom", mapping=m, division_year=...)`` for each of
    ``mappings`` (name -> mapping), the base areas' values read and checked once for all of them: name -> the table,
    or the SoteError its mapping gave (the scorecard adds every indicator up to seven models' units)."""
    out, year_lists = {}, {}
    for name, m in mappings.items():
        try:
            year_lists[name] = check_request(indicator_id, years, "custom", division_year, m)
        except SoteError as exc:
            out[name] = exc
    prepared = None
    for name, m in mappings.items():
        if name in out:
            continue
        if prepared is None:
            try:
                prepared = _prepared_base(indicator_id, year_lists[name], "custom", int(division_year))
            except SoteError as exc:  # the base areas' values: the same error for every mapping, read once
                out.update({n: exc for n in mappings if n not in out})
                break
        try:
            out[name] = _build_table(indicator_id, year_lists[name], "custom", int(division_year), m, prepared=prepared,
                                     validate=False)
        except SoteError as exc:
            out[name] = exc
    _validate_all([t for t in out.values() if isinstance(t, pd.DataFrame)])
    return {name: out[name] for name in mappings}


def _validate_all(tables: list[pd.DataFrame]) -> None:
    """``TIDY_SCHEMA`` over several tables in one pass (9 ms a pass, most of it per column, not per row: the scorecard
    checks 56 tables). Tables whose columns differ in type are checked one by one (putting them together would cast
    one to the other's type and hide it). When the pass fails, each table is checked on its own: the error is the
    first failing table's, as checking them one by one gives."""
    if not tables:
        return
    if any(list(t.dtypes.items()) != list(tables[0].dtypes.items()) for t in tables[1:]):
        for t in tables:
            TIDY_SCHEMA.validate(t)
        return
    saved = [t.attrs for t in tables]
    try:
        for t in tables:  # pandas deep-copies a frame's attrs into every column the checks take out of it
            t.attrs = {}
        batch = pd.concat([t.assign(_table=i) for i, t in enumerate(tables)], ignore_index=True)
    finally:
        for t, attrs in zip(tables, saved):
            t.attrs = attrs
    try:
        _BATCH_SCHEMA.validate(batch)
    except pa.errors.SchemaError:
        for t in tables:
            TIDY_SCHEMA.validate(t)  # the first failing table's own error; each passing alone is what counts


def _prepared_base(indicator_id: str, year_list: list[int], level: str, division_year: int) -> tuple:
    """The catalogue row, the base areas' checked values, their level, source text, provenance and value rules."""
    row = _row(indicator_id, fresh=True)  # a derived row's metadata is then an input of the table, as its data are
    base_level = row["base_level"]
    if base_level == "hyvinvointialue":
        fetch_level = "kunta" if level == "kunta" else "hyvinvointialue"
        try:
            base, source, provenance = _base_sotkanet(indicator_id, year_list, fetch_level)
        except sotkanet.EmptyLevel as exc:  # name what the caller asked for as well
            raise sotkanet.EmptyLevel(f"{indicator_id} at level {level!r}: {exc}") from None
        if level == "kunta":
            base_level = "kunta"
    else:
        base, source, provenance = _base_kunta(indicator_id, year_list, division_year)
        base = base.rename(columns={"kunta_code": "area_code"})
    rules = value_rules(indicator_id)
    _check(indicator_id, base, rules, provenance)  # every base area's own value, before aggregation could hide it
    return row, base, base_level, source, provenance, rules


def _build_table(indicator_id: str, year_list: list[int], level: str, division_year: int, mapping: pd.Series | None,
                 prepared: tuple | None = None, validate: bool = True) -> pd.DataFrame:
    if prepared is None:
        prepared = _prepared_base(indicator_id, year_list, level, division_year)
    else:
        prepared = (prepared[0], prepared[1].copy(), *prepared[2:])  # shared by the mappings of custom_tables
    row, base, base_level, source, provenance, rules = prepared
    if level == base_level:
        expected = municipality_key(division_year)["kunta_code"] if level == "kunta" else None
        if expected is not None:
            for y, rows in base.groupby("year"):
                missing = sorted(set(expected) - set(rows["area_code"]))
                unknown = sorted(set(rows["area_code"]) - set(expected))
                if missing or unknown:
                    raise ValidationError(f"{indicator_id} {y}: municipalities missing {missing[:20]}{'…' if len(missing) > 20 else ''}; not in the {division_year} division {unknown}")
        mapping_series = pd.Series(sorted(base["area_code"].unique()), index=sorted(base["area_code"].unique()))
    else:
        mapping_series = _mapping(level, division_year, base_level, mapping)
    rule = row["aggregation"]
    if rule == "ratio" and row["numerator"] == "abs_value" and "abs_value" in base.columns \
            and base["abs_value"].isna().all() and base["value"].notna().any():
        if level != base_level:
            raise ValidationError(
                f"{indicator_id}: Sotkanet gives no absValue (count) for indicator {row['table_or_id']} in {year_list}, so its "
                f"values cannot be added up to level {level!r} (rule: absValue / (absValue × {value_scale(row):g} / value)); "
                f"allowed: level {base_level!r}, where Sotkanet's own values are shown")
        rule = "sum"  # each unit is its own only member: Sotkanet's published value stands
    numerator = row["numerator"] if rule == "ratio" else "value"
    agg = aggregate(base, mapping_series, rule=rule, numerator=numerator, denominator=row["denominator"] or "denominator",
                    scale=value_scale(row))
    units = _units(level, division_year, list(agg["area_code"]))
    width = _CODE_WIDTH.get(level)
    if width and level != "custom":
        agg["area_code"] = agg["area_code"].str.zfill(width)
    out = agg.merge(units.rename(columns={"code": "area_code", "name_fi": "area_name_fi", "name_sv": "area_name_sv", "name_en": "area_name_en"}),
                    on="area_code", how="left", validate="many_to_one")
    if out["area_name_fi"].isna().any():
        raise ValidationError(f"{indicator_id}: no names for units {out.loc[out['area_name_fi'].isna(), 'area_code'].tolist()}")
    out["area_level"] = level
    out["indicator_id"] = indicator_id
    out["unit"] = row["unit"]
    out["source"] = source
    out["year"] = out["year"].astype(int)
    out["value"] = out["value"].astype("float64")
    out["value_flags"] = out["value_flags"].astype(str)
    out = out[TIDY_COLUMNS + ["numerator", "denominator", "members", "missing_members"]].sort_values(["year", "area_code"], ignore_index=True)
    ratio = rule == "ratio"
    _check(indicator_id, out, replace(rules, counts=(), numerator="numerator" if ratio else None,
                                      denominator="denominator" if ratio else None), provenance)
    if validate:  # else the caller checks it (custom_tables: every mapping's table in one pass)
        out = TIDY_SCHEMA.validate(out)
    out.attrs["provenance"] = [p for p in provenance if p]
    out.attrs["missing"] = int(out["value"].isna().sum())
    present = sorted(set().union(*map(value_flags.split, out["value_flags"])))
    out.attrs["flag_meanings"] = {w: dict(zip(("fi", "sv", "en"), value_flags.MEANINGS.get(w, (w, w, w)))) for w in present}
    out.attrs["indicator"] = row.to_dict()
    return out
