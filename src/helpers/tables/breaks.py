"""Series breaks as data: the years at which an indicator's values changed meaning for some areas.

Two tables, no second copy of either: ``data/sarjakatkot.csv`` (cited breaks: the 2023 change of organiser, method
changes and source revisions when a source states them) and ``data/kuntaliitokset.csv`` (municipal mergers: a
boundary break of the successor municipality in the year the merger took effect). A break's ``year`` is the first
year after the change; ``gap`` says whether values across it are not comparable (a chart breaks its line) or the
break is only marked. Breaks are stated for welfare regions; a row of any other level is affected when one of its
welfare regions is (a municipality by its own region, a larger area or a model unit by any of its members, the whole
country by any). Mergers concern the municipal level only: both municipalities of every merger in the table lie in
the same welfare region, and the series are moved onto one division (``helpers.geo.municipal_changes``), so a
region's totals do not jump.

>>> marked = mark(indicator_table("vaesto", [2022, 2023], level="hyvinvointialue"), division_year=2025)  # doctest: +SKIP
>>> marked.loc[marked["year"] == 2023, "break"].iloc[0]                                                   # doctest: +SKIP
'järjestäjä vaihtui 2023'
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from helpers.base import config
from helpers.base.errors import ValidationError
from helpers.geo.municipal_changes import mergers
from helpers.geo.municipality_key import municipality_key
from helpers.sources import citations

BREAKS_FILE = "sarjakatkot.csv"
COLUMNS = ["indicator", "year", "kind", "regions", "except_regions", "gap", "text_fi", "text_sv", "text_en", "source"]
REGION_CODES = tuple(f"{i:02d}" for i in range(1, 22)) + ("90", "91")
# The short word a table cell and a chart marker carry; the row's own text explains it.
KINDS = {
    "boundary": {"fi": "aluejako muuttui", "sv": "indelningen ändrades", "en": "boundaries changed"},
    "organiser": {"fi": "järjestäjä vaihtui", "sv": "huvudmannen byttes", "en": "organiser changed"},
    "method": {"fi": "menetelmä muuttui", "sv": "metoden ändrades", "en": "method changed"},
    "revision": {"fi": "lähde korjasi", "sv": "källan reviderade", "en": "source revised"},
}
LANGS = ("fi", "sv", "en")


def _regions(text: str, where: str) -> tuple[str, ...]:
    codes = tuple(text.split())
    unknown = sorted(set(codes) - set(REGION_CODES) - {"*"})
    if unknown or ("*" in codes and len(codes) > 1):
        raise ValidationError(f"{where}: regions {text!r}; allowed: * or welfare-region codes {', '.join(REGION_CODES)}")
    return REGION_CODES if codes == ("*",) else codes


def check_table(df: pd.DataFrame, indicators: Iterable[str] | None = None, where: str = f"data/{BREAKS_FILE}") -> pd.DataFrame:
    """The cited breaks, checked: columns, kind, year, region codes, gap, three texts and a source key in
    data/lahteet.csv; ``indicators`` (the catalogue's ids) when given, the indicator too. Returns one row per break
    with ``regions`` as the tuple of affected welfare-region codes and ``gap`` as bool."""
    if list(df.columns) != COLUMNS:
        raise ValidationError(f"{where}: columns {list(df.columns)}; expected {COLUMNS}")
    known = None if indicators is None else set(indicators)
    rows = []
    for i, r in enumerate(df.itertuples(index=False), 1):
        at = f"{where} row {i}"
        if r.kind not in KINDS:
            raise ValidationError(f"{at}: kind {r.kind!r}; allowed: {', '.join(KINDS)}")
        if not (str(r.year).isdigit() and 1900 <= int(r.year) <= 2100):
            raise ValidationError(f"{at}: year {r.year!r}; allowed: a year 1900–2100")
        if r.gap not in ("true", "false"):
            raise ValidationError(f"{at}: gap {r.gap!r}; allowed: true, false")
        if known is not None and r.indicator != "*" and r.indicator not in known:
            raise ValidationError(f"{at}: indicator {r.indicator!r} is not in the catalogue (data/indikaattorit.csv); allowed: * or a catalogue id")
        if any(not str(getattr(r, f"text_{lang}")).strip() for lang in LANGS):
            raise ValidationError(f"{at}: text_fi, text_sv and text_en are all needed")
        if r.source not in citations.sources().index:
            raise ValidationError(f"{at}: source {r.source!r} is not a key in data/lahteet.csv; allowed: "
                                  f"{', '.join(citations.sources().index)}")
        regions = set(_regions(r.regions, at)) - set(_regions(r.except_regions, at) if r.except_regions.strip() else ())
        rows.append({**r._asdict(), "year": int(r.year), "gap": r.gap == "true", "regions": tuple(sorted(regions)), "level": "*"})
    return pd.DataFrame(rows, columns=[*COLUMNS, "level"])


def cited_breaks(indicators: Iterable[str] | None = None) -> pd.DataFrame:
    df = pd.read_csv(config.DATA_DIR / BREAKS_FILE, dtype=str, keep_default_na=False, comment="#", encoding="utf-8")
    return check_table(df, indicators)


def merger_breaks() -> pd.DataFrame:
    """One boundary break per merger: the successor municipality, in the year the merger took effect."""
    m = mergers()
    return pd.DataFrame({
        "indicator": "*", "year": m["effective_year"].astype(int), "kind": "boundary", "regions": [()] * len(m),
        "except_regions": "", "gap": False, "level": "kunta", "municipality": m["new_code"],
        "text_fi": [f"{r.old_name_fi} liitettiin kuntaan {r.new_name_fi} {r.effective[8:10].lstrip('0')}.{r.effective[5:7].lstrip('0')}.{r.effective[:4]}; "
                    "luvut on laskettu valitulle aluejaolle" for r in m.itertuples()],
        "text_sv": [f"{r.old_name_fi} slogs samman med {r.new_name_fi} {r.effective}; siffrorna är räknade på den valda indelningen" for r in m.itertuples()],
        "text_en": [f"{r.old_name_fi} merged into {r.new_name_fi} on {r.effective}; figures are on the chosen division" for r in m.itertuples()],
        "source": m["source"],
    })


def breaks(indicator: str | None = None, indicators: Iterable[str] | None = None) -> pd.DataFrame:
    """Every break (cited and mergers), or those that concern ``indicator`` (its own and the ``*`` rows)."""
    cited = cited_breaks(indicators).assign(municipality="")
    out = pd.concat([cited, merger_breaks()], ignore_index=True)
    if indicator is not None:
        out = out[out["indicator"].isin(["*", indicator])]
    return out.sort_values(["year", "kind"], kind="stable").reset_index(drop=True)


def _row_regions(level: str, codes: pd.Series, division_year: int, mapping: pd.Series | None) -> pd.Series:
    """Area code -> set of its welfare regions, for the rows of one level."""
    key = municipality_key(division_year)
    region_of = key.set_index("kunta_code")["hyvinvointialue_code"]
    if level == "hyvinvointialue":
        return codes.map(lambda c: {c})
    if level == "koko_maa":
        return codes.map(lambda c: set(REGION_CODES))
    if level == "kunta":
        return codes.map(lambda c: {region_of.get(c)} - {None})
    if level == "custom":
        if mapping is None:
            raise ValidationError("series breaks of model units need the municipality -> unit mapping the table was built with")
        members = pd.Series(mapping.astype(str)).rename("unit").rename_axis("kunta_code").reset_index()
    else:
        members = key[["kunta_code", f"{level}_code"]].rename(columns={f"{level}_code": "unit"}).astype(str)
    groups = members.assign(region=members["kunta_code"].map(region_of)).groupby("unit")["region"].agg(lambda s: set(s.dropna()))
    return codes.map(lambda c: groups.get(c, set()))


def mark(table: pd.DataFrame, *, division_year: int, mapping: pd.Series | None = None, lang: str = "fi") -> pd.DataFrame:
    """The tidy ``table`` with a ``break`` column: "" or the breaks at that row's year for its area, in ``lang``
    (e.g. "järjestäjä vaihtui 2023"); ``attrs['breaks']`` lists the breaks that touch any row (year, kind, gap,
    text per language, source) for charts and footnotes. ``mapping``: municipality -> unit for a custom division."""
    out = table.copy()
    indicator = str(out["indicator_id"].iloc[0]) if len(out) else None
    rows = breaks(indicator)
    rows = rows[rows["year"].isin(set(out["year"].astype(int)))] if len(out) else rows.iloc[:0]
    hits = pd.Series([[] for _ in range(len(out))], index=out.index, dtype=object)
    used: set[int] = set()
    for level, idx in out.groupby("area_level").groups.items():
        part = out.loc[idx]
        regions = _row_regions(str(level), part["area_code"].astype(str), division_year, mapping)
        for b_i, b in rows.iterrows():
            if b["level"] == "kunta":
                hit = (part["area_code"].astype(str) == b["municipality"]) if level == "kunta" else pd.Series(False, index=part.index)
            else:
                hit = regions.map(lambda found, b=b: bool(found & set(b["regions"])))
            hit &= part["year"].astype(int) == int(b["year"])
            for i in part.index[hit.to_numpy()]:
                hits[i].append(f"{KINDS[b['kind']][lang]} {b['year']}")
                used.add(b_i)
    labels = hits.map(lambda h: "; ".join(dict.fromkeys(h))).tolist()
    out["break"] = labels
    out.attrs["breaks"] = [{"year": int(b["year"]), "kind": b["kind"], "gap": bool(b["gap"]),
                            "label": {lg: KINDS[b["kind"]][lg] for lg in LANGS},
                            "text": {lg: b[f"text_{lg}"] for lg in LANGS},
                            # the citation in each language (its date and Finlex address are the page's)
                            "source": {lg: citations.cite(b["source"], url=False, lang=lg) if b["level"] != "kunta" else b["source"]
                                       for lg in LANGS}}
                           for b_i, b in rows.iterrows() if b_i in used]
    return out
