"""An indicator as a time series: every year asked for, on one municipal division, with its series breaks.

``indicator_series(indicator_id, level, division_year, years=None)`` returns the tidy table of
``helpers.tables.indicators`` for all the years (``years=None``: every year the catalogue lists for the indicator;
``runs.yaml`` passes the years the recorded answers hold), with two more columns:

* ``break``: "" or the series breaks at that row's year for its area (``helpers.tables.breaks.mark``: the cited
  breaks of ``data/sarjakatkot.csv`` and the municipal mergers of ``data/kuntaliitokset.csv``); ``attrs['breaks']``
  lists them with their texts and whether the line is broken (``gap``).
* ``table``: the source table the year's value came from.

Population (``vaesto``) joins two StatFin tables: the pre-2026 table ``vaerak/statfin_vaerak_pxt_11re``
(catalogue id ``vaesto_historia``, 1972–2023 on the 2024 division) for the years before its last, the current table
``11re`` from that year on. Both are moved onto the chosen division by the merger rule (``helpers.geo.municipal_changes``); the
year both tables hold (2023) is read from both and must agree exactly in every area, else a
:class:`~helpers.base.errors.ValidationError` names the areas; that year's value is the current table's.
``value_flags`` stay as each table gives them.

>>> s = indicator_series("vaesto", "hyvinvointialue", 2025, years=range(1972, 2025))  # doctest: +SKIP
>>> sorted(set(s["table"]))                                                          # doctest: +SKIP
['11re', 'vaerak/statfin_vaerak_pxt_11re']
"""

from __future__ import annotations

import pandas as pd

from helpers.base.errors import InvalidParameter, ValidationError
from helpers.tables.breaks import mark
from helpers.tables.indicators import catalogue_row, check_request, indicator_table, indicator_years

# indicator -> (the older table's catalogue id, the current one's): one series from two tables
JOINED = {"vaesto": ("vaesto_historia", "vaesto")}


def series_years(indicator_id: str) -> list[int]:
    """Every year the catalogue lists for the indicator (for a joined series, the years of both tables)."""
    if indicator_id in JOINED:
        return sorted(set().union(*(indicator_years(i) for i in JOINED[indicator_id])))
    return indicator_years(indicator_id)


def table_requests(indicator_id: str, years) -> list[tuple[str, list[int]]]:
    """(catalogue id, years) of each table the series of ``years`` reads: for a joined series the older table for its
    years and the current one for the later years, the overlap year from both (what a preflight checks against
    the mirror). The older table serves the years before its last year, the current one that year and later.; else the indicator itself."""
    wanted = sorted({int(y) for y in years})
    if indicator_id not in JOINED:
        return [(indicator_id, wanted)]
    older, current = JOINED[indicator_id]
    overlap = max(indicator_years(older))  # from this year on, the current table
    from_old, from_new = [y for y in wanted if y < overlap], [y for y in wanted if y >= overlap]
    if from_old and from_new:
        from_old, from_new = [*from_old, overlap], sorted({overlap, *from_new})
    return [(ind, ys) for ind, ys in ((older, from_old), (current, from_new)) if ys]


def indicator_series(indicator_id: str, level: str = "hyvinvointialue", division_year: int = 2025, years=None, *,
                     mapping: pd.Series | None = None, lang: str = "fi") -> pd.DataFrame:
    """The tidy table of every year of ``indicator_id`` at ``level`` on the ``division_year`` division, with the
    columns ``break`` (in ``lang``) and ``table`` (see the module docstring). Arguments are checked before any
    download; ``vaesto_muutos`` (a change between two years) has no series: its series is ``vaesto``."""
    if indicator_id == "vaesto_muutos":
        raise InvalidParameter("indicator='vaesto_muutos' is a change between two years and has no series of its own; "
                               "allowed: the series of 'vaesto' (population), or indicator_table('vaesto_muutos', [first, last])")
    wanted = series_years(indicator_id) if years is None else sorted({int(y) for y in ([years] if isinstance(years, (int, str)) else years)})
    if indicator_id in JOINED:
        table = _joined(indicator_id, wanted, level, division_year, mapping)
    else:
        table = indicator_table(indicator_id, wanted, level=level, division_year=division_year, mapping=mapping)
        table = table.assign(table=str(catalogue_row(indicator_id)["table_or_id"]))
    attrs = dict(table.attrs)
    out = mark(table, division_year=division_year, mapping=mapping, lang=lang)
    out.attrs = {**attrs, "breaks": out.attrs["breaks"], "years": sorted(set(out["year"].astype(int)))}
    return out


def _joined(indicator_id: str, years: list[int], level: str, division_year: int, mapping) -> pd.DataFrame:
    older, current = JOINED[indicator_id]
    old_years = set(indicator_years(older))
    allowed = series_years(indicator_id)
    bad = [y for y in years if y not in allowed]
    if bad:
        raise InvalidParameter(f"years={bad if len(bad) > 1 else bad[0]} is not allowed; allowed: {allowed[0]}–{allowed[-1]} for "
                               f"the series of {indicator_id} (tables {catalogue_row(older)['table_or_id']} and {catalogue_row(current)['table_or_id']})")
    requests = dict(table_requests(indicator_id, years))  # the year both tables hold: read from both and compared
    from_old, from_new = requests.get(older, []), requests.get(current, [])
    overlap = max(old_years)
    for ind, ys in ((older, from_old), (current, from_new)):
        if ys:
            check_request(ind, ys, level, division_year, mapping)  # every argument before any download
    parts = []
    if from_old:
        parts.append(indicator_table(older, from_old, level=level, division_year=division_year, mapping=mapping)
                     .assign(table=str(catalogue_row(older)["table_or_id"])))
    if from_new:
        parts.append(indicator_table(current, from_new, level=level, division_year=division_year, mapping=mapping)
                     .assign(table=str(catalogue_row(current)["table_or_id"])))
    if len(parts) == 2:
        old, new = parts
        _check_overlap(old[old["year"] == overlap], new[new["year"] == overlap], overlap)
        parts[0] = old[old["year"] != overlap]
        if overlap not in years:
            parts[1] = new[new["year"] != overlap]
    out = pd.concat(parts, ignore_index=True).assign(indicator_id=indicator_id)
    out = out.sort_values(["year", "area_code"], ignore_index=True)
    out.attrs = {"provenance": [p for part in parts for p in part.attrs.get("provenance", [])],
                 "missing": int(out["value"].isna().sum()),
                 "flag_meanings": {k: v for part in parts for k, v in part.attrs.get("flag_meanings", {}).items()},
                 "indicator": catalogue_row(current).to_dict()}
    return out


def _check_overlap(old: pd.DataFrame, new: pd.DataFrame, year: int) -> None:
    """The year both tables hold must give the same value in every area (and the same areas)."""
    both = old.merge(new, on="area_code", how="outer", suffixes=("_old", "_new"), indicator=True)
    differ = both[(both["_merge"] != "both") | ~((both["value_old"] == both["value_new"]) |
                                                 (both["value_old"].isna() & both["value_new"].isna()))]
    if len(differ):
        rows = "; ".join(f"{r.area_code}: {r.value_old} vs {r.value_new}" for r in differ.head(10).itertuples())
        raise ValidationError(f"{year}: the older table ({old['table'].iloc[0] if len(old) else '?'}) and the current one "
                              f"({new['table'].iloc[0] if len(new) else '?'}) disagree in {len(differ)} areas: {rows}")
