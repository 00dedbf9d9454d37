"""Population by municipality with sex and age groups from Statistics Finland's WFS layer
``vaestoalue:kunta_vaki{stat_year}`` (population 31.12. of the statistics year, on the following year's
municipal division). Checked on read: one row per municipality, every count a whole number ≥ 0
(``helpers.sources.checks``), men + women = total and the three age groups = total for every municipality.
"""

from __future__ import annotations

import pandas as pd

from helpers.base.errors import ValidationError, invalid
from helpers.sources.checks import Rules, check_values, requests_text
from helpers.sources.fetch import fetch

WFS_URL = "https://geo.stat.fi/geoserver/vaestoalue/wfs"
# statistics year -> regional-division year of the layer (the layer carries both: til_vuosi and vuosi)
WFS_POPULATION_YEARS = {2024: 2025}
COLUMNS = {
    "vaesto": "population_total",
    "miehet": "population_men",
    "naiset": "population_women",
    "ika_0_14": "population_0_14",
    "ika_15_64": "population_15_64",
    "ika_65_": "population_65_plus",
}
# (statistics year, sha256 of the raw answer) -> the checked table. Content-addressed, so never stale: the same bytes
# give the same table. A refresh's builder data asked for it once per model plan, each parse 5 ms (measured).
_PARSED: dict[tuple[int, str], pd.DataFrame] = {}
_PARSED_MAX = 4


def wfs_request(stat_year: int) -> tuple[str, dict]:
    return WFS_URL, {
        "service": "WFS",
        "version": "2.0.0",
        "request": "GetFeature",
        "typeName": f"vaestoalue:kunta_vaki{stat_year}",
        "outputFormat": "application/json",
    }


def wfs_answer_sha256(stat_year: int = 2024) -> str:
    """sha256 of the population layer's raw answer (cache or mirror), for caches of results derived from it."""
    if stat_year not in WFS_POPULATION_YEARS:
        raise invalid("stat_year", stat_year, list(WFS_POPULATION_YEARS))
    url, params = wfs_request(stat_year)
    return fetch("stat", url, params=params).provenance["sha256"]


def municipal_population_wfs(stat_year: int = 2024) -> pd.DataFrame:
    """One row per municipality: kunta_code, names, stat_year, division_year and the COLUMNS counts.

    ``df.attrs['provenance']`` holds the fetch record.
    """
    if stat_year not in WFS_POPULATION_YEARS:
        raise invalid("stat_year", stat_year, list(WFS_POPULATION_YEARS))
    url, params = wfs_request(stat_year)
    answer = fetch("stat", url, params=params)  # every call: the answer is recorded as an input of the run
    key = (stat_year, answer.provenance["sha256"])
    if key in _PARSED:
        out = _PARSED[key].copy()  # the caller's own copy
        out.attrs = {"provenance": answer.provenance}  # as fetched now (the time of the cached or mirrored answer)
        return out
    df = _parse(answer, stat_year)
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.pop(next(iter(_PARSED)))
    _PARSED[key] = df.copy()
    return df


def _parse(answer, stat_year: int) -> pd.DataFrame:
    features = answer.json().get("features")
    if not features:
        raise ValidationError(f"vaestoalue:kunta_vaki{stat_year}: no features in the answer")
    rows = []
    for f in features:
        p = f["properties"]
        missing = [c for c in ("kunta", "vuosi", "til_vuosi", "nimi", *COLUMNS) if c not in p]
        if missing:
            raise ValidationError(f"vaestoalue:kunta_vaki{stat_year}: feature {f.get('id')} lacks {missing}")
        row = {"kunta_code": str(p["kunta"]).strip().zfill(3), "name_fi": str(p["nimi"]).strip(),
               "stat_year": int(p["til_vuosi"]), "division_year": int(p["vuosi"])}
        row.update({new: p[old] for old, new in COLUMNS.items()})
        rows.append(row)
    df = pd.DataFrame(rows).sort_values("kunta_code", ignore_index=True)
    for col in COLUMNS.values():
        df[col] = pd.to_numeric(df[col], errors="raise")
    # Sums of parts cannot catch a negative municipality whose parts are negative too: every count is checked.
    check_values(df, Rules(keys=("kunta_code",), counts=tuple(COLUMNS.values())),
                 what=f"Tilastokeskus WFS vaestoalue:kunta_vaki{stat_year}", request=requests_text(answer.provenance),
                 area="kunta_code", year="stat_year")
    for col in COLUMNS.values():
        df[col] = df[col].astype("Int64")
    if (df["stat_year"] != stat_year).any() or (df["division_year"] != WFS_POPULATION_YEARS[stat_year]).any():
        raise ValidationError(f"vaestoalue:kunta_vaki{stat_year}: unexpected til_vuosi/vuosi values")
    sex = df["population_men"] + df["population_women"] != df["population_total"]
    ages = df["population_0_14"] + df["population_15_64"] + df["population_65_plus"] != df["population_total"]
    if sex.any() or ages.any():
        raise ValidationError(f"population parts do not add up for {df.loc[sex | ages, 'kunta_code'].tolist()}")
    df.attrs["provenance"] = answer.provenance
    return df
