"""Client for THL's Sotkanet REST API 1.1: indicator metadata, regions and data.

``/json`` returns every region of every category for the selected years; rows are joined to ``/regions`` by the
internal Sotkanet region id (not a municipality or welfare-region code). Welfare regions are the category
HYVINVOINTIALUE with 2-character codes 01–21, 90 (Helsinki) and 91 (Åland); municipalities are KUNTA (3 characters).
An answer with no rows for the asked level in some asked year is an error (``EmptyLevel``), never an empty table;
so is a region given twice for a year (``helpers.sources.checks``: the indicator's own rules, e.g. a share within
0–100, are checked where its tidy table is built).
Rows carry ``value_flags`` (see ``helpers.sources.flags``): a row whose ``value`` is absent or null is a suppressed cell
("salattu"); the API documents no other per-value marker.

``search_indicators(word)`` finds indicators by a word of their title (fi/sv/en) or by their id in ``/indicators``, the
list of every indicator. A mirror holds no such list (``snapshot/sotkanet/API_FORMAT.md``): there the search covers
only the indicators whose ``/indicators/{id}`` answer the mirror holds, and says so (``attrs["complete"]``).
"""

from __future__ import annotations

import json
import re

import pandas as pd

from helpers.base import config
from helpers.sources import flags as value_flags
from helpers.base.errors import MirrorMiss, ValidationError, invalid
from helpers.sources.checks import Rules, check_values, requests_text
from helpers.sources.fetch import fetch
from helpers.sources.registry import get_source

BASE_URL = "https://sotkanet.fi/rest/1.1"
GENDERS = ("total", "male", "female")
WELFARE_REGION_CODES = {f"{i:02d}" for i in range(1, 22)} | {"90", "91"}
CATEGORY_LEVEL = {"KUNTA": ("kunta", 3), "HYVINVOINTIALUE": ("hyvinvointialue", 2), "MAAKUNTA": ("maakunta", 2), "MAA": ("koko_maa", 3)}
LICENCE = {  # THL's open-data terms for Sotkanet (CC BY 4.0); attribution names Sotkanet and the producer
    "fi": "Lähde: THL, Sotkanet.fi; tiedontuottaja {org}. Lisenssi CC BY 4.0.",
    "sv": "Källa: THL, Sotkanet.fi; uppgiftsproducent {org}. Licens CC BY 4.0.",
    "en": "Source: THL, Sotkanet.fi; data producer {org}. Licence CC BY 4.0.",
}


class EmptyLevel(ValidationError):
    """A Sotkanet answer holds no rows for the asked level (e.g. no welfare-region rows) in an asked year."""


def indicator_metadata(indicator: int) -> dict:
    """Title, organisation, unit, decimals, range and licence text (fi/sv/en) of one indicator."""
    indicator = _check_indicator(indicator)
    answer = fetch("sotkanet", f"{BASE_URL}/indicators/{indicator}")
    data = answer.json()
    if not isinstance(data, dict) or data.get("id") != indicator or "title" not in data:
        raise ValidationError(f"Sotkanet /indicators/{indicator}: unexpected answer (id {data.get('id') if isinstance(data, dict) else type(data).__name__})")
    org = (data.get("organization") or {}).get("title") or {}
    unit = (data.get("primaryValueType") or {}).get("title") or {}
    return {
        "id": indicator,
        "title": {lang: (data["title"].get(lang) or "").strip() for lang in ("fi", "sv", "en")},
        "organization": {lang: org.get(lang, "") for lang in ("fi", "sv", "en")},
        "unit": {lang: unit.get(lang, "") for lang in ("fi", "sv", "en")},
        "decimals": data.get("decimals"),
        "range": data.get("range"),
        "data_updated": data.get("data-updated"),
        "licence": {lang: LICENCE[lang].format(org=org.get(lang, "")) for lang in ("fi", "sv", "en")},
        # what an aggregation rule can be derived from (helpers.tables.indicators)
        "value_type": str((data.get("primaryValueType") or {}).get("code") or ""),
        "classifications": sorted((data.get("classifications") or {}).keys()),
        "sexes": list(((data.get("classifications") or {}).get("sex") or {}).get("values") or []),
        # how the value is made (a sample survey, a standardisation) is told only in these texts
        **{key: {lang: str((data.get(key) or {}).get(lang) or "") for lang in ("fi", "sv", "en")}
           for key in ("description", "limits", "interpretation")},
        "source_texts": [" ".join(str(((s or {}).get(k) or {}).get(lang) or "") for k in ("title", "description"))
                         for s in data.get("sources") or [] if isinstance(s, dict) for lang in ("fi", "en")],
        "provenance": answer.provenance,
    }


def unit_text(value_type: str, title_fi: str = "") -> str:
    """A short unit for tables ('%', '/100 000') from Sotkanet's primary value type; else its Finnish title."""
    if value_type == "PROS":
        return "%"
    per = re.fullmatch(r"PER(\d+)", value_type or "")
    if per:
        return "/" + f"{int(per.group(1)):,}".replace(",", " ")
    return title_fi


def years_text(range_: dict | None) -> str:
    """'1990-2024' from a ``range`` object; '' when it is missing or not two years."""
    try:
        start, end = int(range_["start"]), int(range_["end"])
    except (TypeError, KeyError, ValueError):
        return ""
    return f"{start}-{end}" if end != start else str(start)


SEARCH_DETAILS_MAX = 25  # hits whose missing unit and years are read from /indicators/{id}
SEARCH_COLUMNS = ["id", "title_fi", "title_sv", "title_en", "unit", "years", "organization_fi"]


def mirror_indicator_ids() -> list[int]:
    """Ids whose ``/indicators/{id}`` answer the mirror (``SOTE_MIRROR``) holds, from its INDEX.json; [] without one."""
    mirror = config.mirror_dir()
    if not mirror:
        return []
    index = mirror / get_source("sotkanet").mirror_subdir / "INDEX.json"
    try:
        entries = json.loads(index.read_text(encoding="utf-8")).get("entries", [])
    except (OSError, ValueError, AttributeError):
        return []  # an unreadable index is named by the first fetch that needs it
    pattern = re.compile(re.escape(BASE_URL) + r"/indicators/(\d+)/?")
    return sorted({int(m.group(1)) for e in entries if isinstance(e, dict)
                   and (m := pattern.fullmatch(str(e.get("url", ""))))})


def matches(word: str, ident: int, titles: dict) -> bool:
    """Whether a search word is this id ('186', 'sotkanet:186') or part of one of its titles (case ignored)."""
    w = word.strip().casefold()
    if w.removeprefix("sotkanet:").isdigit():
        return int(w.removeprefix("sotkanet:")) == ident
    return any(w in str(titles.get(lang) or "").casefold() for lang in ("fi", "sv", "en"))


def search_indicators(word: str) -> pd.DataFrame:
    """Indicators whose title (fi, sv or en) contains ``word`` (case ignored), or whose id it is ('186', 'sotkanet:186').

    Columns ``SEARCH_COLUMNS``, sorted by id. Live: the whole ``/indicators`` list (``attrs["complete"]`` True). On a
    mirror without that list: only the ``/indicators/{id}`` answers the mirror holds (``attrs["complete"]`` False,
    ``attrs["covered"]`` the ids searched)."""
    if not isinstance(word, str) or not word.strip():
        raise invalid("word", word, "a word of an indicator's name, or its id (e.g. 'kuolleisuus', '186')")
    try:
        answer = fetch("sotkanet", f"{BASE_URL}/indicators")
        items, complete, covered = answer.json(), True, None
        if not isinstance(items, list):
            raise ValidationError("Sotkanet /indicators: expected a JSON array")
    except MirrorMiss:
        if not config.mirror_dir():
            raise
        covered = mirror_indicator_ids()
        items, complete = None, False
    rows = []
    if complete:
        for item in items:
            if not isinstance(item, dict) or not str(item.get("id", "")).isdigit():
                continue
            titles = item.get("title") or {}
            if not matches(word, int(item["id"]), titles):
                continue
            value_type = item.get("primaryValueType") or {}
            rows.append({"id": int(item["id"]), **{f"title_{lang}": str(titles.get(lang) or "").strip() for lang in ("fi", "sv", "en")},
                         "unit": unit_text(str(value_type.get("code") or ""), (value_type.get("title") or {}).get("fi", "")),
                         "years": years_text(item.get("range")),
                         "organization_fi": ((item.get("organization") or {}).get("title") or {}).get("fi", "")})
    else:
        for ident in covered:
            meta = indicator_metadata(ident)
            if matches(word, ident, meta["title"]):
                rows.append({"id": ident, **{f"title_{lang}": meta["title"][lang] for lang in ("fi", "sv", "en")},
                             "unit": unit_text(meta["value_type"], meta["unit"]["fi"]), "years": years_text(meta["range"]),
                             "organization_fi": meta["organization"]["fi"]})
    if complete and len(rows) <= SEARCH_DETAILS_MAX:
        for row in rows:  # the list may leave out unit and years: a few hits are worth one request each
            if not row["unit"] or not row["years"]:
                meta = indicator_metadata(row["id"])
                row["unit"] = row["unit"] or unit_text(meta["value_type"], meta["unit"]["fi"])
                row["years"] = row["years"] or years_text(meta["range"])
    out = pd.DataFrame(rows, columns=SEARCH_COLUMNS).sort_values("id", ignore_index=True)
    out.attrs["complete"] = complete
    out.attrs["covered"] = covered
    return out


def regions() -> pd.DataFrame:
    """All Sotkanet regions: id, code (zero-padded to its category's width), category, title_fi/sv/en."""
    answer = fetch("sotkanet", f"{BASE_URL}/regions")
    data = answer.json()
    if not isinstance(data, list):
        raise ValidationError("Sotkanet /regions: expected a JSON array")
    rows = []
    for r in data:
        try:
            category, code = r["category"], str(r["code"])
        except KeyError as exc:
            raise ValidationError(f"Sotkanet /regions: row {r} lacks {exc}") from None
        width = CATEGORY_LEVEL.get(category, (None, len(code)))[1]
        title = r.get("title") or {}
        rows.append({"region_id": int(r["id"]), "code": code.zfill(width), "category": category,
                     "title_fi": title.get("fi"), "title_sv": title.get("sv"), "title_en": title.get("en")})
    df = pd.DataFrame(rows)
    if df["region_id"].duplicated().any():
        raise ValidationError(f"Sotkanet /regions: duplicated ids {df.loc[df['region_id'].duplicated(), 'region_id'].tolist()}")
    df.attrs["provenance"] = answer.provenance
    return df


def data(indicator: int, years: list[int], gender: str = "total") -> pd.DataFrame:
    """Rows of ``/json``: region_id, year, gender, value (NaN when suppressed), abs_value, flags."""
    indicator = _check_indicator(indicator)
    if gender not in GENDERS:
        raise invalid("gender", gender, GENDERS)
    years = sorted({int(y) for y in years})
    if not years:
        raise invalid("years", years, "one or more years")
    answer = fetch("sotkanet", f"{BASE_URL}/json", params={"indicator": indicator, "years": years, "genders": gender})
    rows = answer.json()
    if not isinstance(rows, list):
        raise ValidationError(f"Sotkanet /json indicator {indicator}: expected a JSON array")
    df = pd.DataFrame(rows, columns=["indicator", "region", "year", "gender", "value", "absValue"])
    if (df["indicator"] != indicator).any():
        raise ValidationError(f"Sotkanet /json: rows of another indicator in the answer for {indicator}")
    unexpected = sorted(set(df["year"]) - set(years))
    if unexpected:
        raise ValidationError(f"Sotkanet /json indicator {indicator}: years {unexpected} not asked for")
    df = df.rename(columns={"region": "region_id", "absValue": "abs_value"})
    df["value"] = pd.to_numeric(df["value"], errors="coerce").astype("float64")
    df["abs_value"] = pd.to_numeric(df["abs_value"], errors="coerce").astype("float64")
    # The row is there but its value is not: Sotkanet's way of suppressing a cell.
    df["value_flags"] = df["value"].isna().map({True: value_flags.SUPPRESSED, False: ""}).astype(str)
    df.attrs["provenance"] = answer.provenance
    return df


def data_by_level(indicator: int, years: list[int], level: str, gender: str = "total") -> pd.DataFrame:
    """Data rows joined to region codes of one level (kunta, hyvinvointialue, maakunta, koko_maa).
    A level without rows in an asked year raises EmptyLevel naming indicator, level, category and years; regions
    present with a null value stay missing (flagged "salattu"); a missing welfare region, or a region given twice for
    a year, is an error."""
    allowed = {lvl for lvl, _ in CATEGORY_LEVEL.values()}
    if level not in allowed:
        raise invalid("level", level, allowed)
    rows = data(indicator, years, gender)
    regs = regions()
    category = next(c for c, (lvl, _) in CATEGORY_LEVEL.items() if lvl == level)
    out = rows.merge(regs[regs["category"] == category], on="region_id", how="inner", validate="many_to_one")
    # Rows of other categories are not wanted; ids /regions does not know cannot be classified and are counted
    # (a complete live /regions knows them all). The level's own completeness is checked below and by the join.
    out.attrs["unclassified_region_ids"] = sorted(set(rows["region_id"]) - set(regs["region_id"]))
    # A region given twice for a year would be counted twice (or its two values mixed) by every aggregate.
    check_values(out, Rules(keys=("code", "year", "gender")), what=f"THL Sotkanet indicator {indicator}, level {level!r}",
                 request=requests_text(rows.attrs["provenance"]), area="code")
    asked = sorted({int(y) for y in years})
    empty = sorted(set(asked) - set(out["year"].astype(int)))
    if empty:
        in_empty = rows[rows["year"].astype(int).isin(empty)]
        unknown = int((~in_empty["region_id"].isin(regs["region_id"])).sum())
        raise EmptyLevel(
            f"Sotkanet indicator {indicator}, level {level!r} (Sotkanet category {category}), years asked {asked}: "
            f"the answer has no rows for this level in {empty}"
            + (f" ({unknown} rows of those years have region ids /regions does not know)" if unknown else ""))
    if level == "hyvinvointialue":
        for year, got in out.groupby("year")["code"]:
            missing = sorted(WELFARE_REGION_CODES - set(got))
            if missing:
                raise ValidationError(f"Sotkanet indicator {indicator} {year}: welfare regions {missing} missing from the answer")
    out.attrs["provenance"] = [rows.attrs["provenance"], regs.attrs["provenance"]]
    return out


def _check_indicator(indicator) -> int:
    if isinstance(indicator, bool) or not str(indicator).isdigit():
        raise invalid("indicator", indicator, "a Sotkanet indicator id (positive integer)")
    return int(indicator)
