"""An indicator on the map: table, choropleth, ranked bars and a page (notebook 02)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers.figures.charts import ranked_bars
from helpers.site.value_tables import value_table
from helpers.geo.layers import attribution as boundary_attribution
from helpers.geo.groupings import grouping_layer
from helpers.base.words import unit_decimals, unit_text
from helpers.sources.citations import reader_source
from helpers.tables import small_numbers
from helpers.tables.indicators import catalogue_row, indicator_table, value_scale
from helpers.figures.maps import choropleth
from helpers.site.pages import render, site_dir, write_page

NOSCRIPT_NOTE = {"fi": "Kartta ja pylväät piirretään JavaScriptillä; samat luvut ovat alla olevassa taulukossa.",
                 "sv": "Kartan och staplarna ritas med JavaScript; samma siffror finns i tabellen nedan.",
                 "en": "The map and bars are drawn with JavaScript; the table below has the same numbers."}
MISSING_NOTE = {"fi": "Puuttuvia tai salattuja arvoja: {n}", "sv": "Saknade eller skyddade värden: {n}", "en": "Missing or suppressed values: {n}"}


def source_lines(table: pd.DataFrame, division_year: int, lang: str = "fi") -> list[str]:
    """Data source of the numbers and of the boundaries, with licence: one line each."""
    return [str(table["source"].iloc[0]), boundary_attribution(division_year, lang)]


def source_line(table: pd.DataFrame, division_year: int, lang: str = "fi") -> str:
    """The same as one line for a figure's source note (plotly breaks lines at <br>)."""
    return "<br>".join(source_lines(table, division_year, lang))


def indicator_parts(table: pd.DataFrame, year: int, *, level: str, division_year: int, lang: str = "fi",
                    scheme: str = "quantiles", k: int = 5, show_aland: bool = True, highlight: str | None = None,
                    bins: list[float] | None = None):
    """(map, bars, table data for the ``table`` macro) for one year of a tidy indicator table.
    ``scheme='fixed'`` needs ``bins`` (increasing upper bounds)."""
    from helpers.figures.classify import check_scheme

    bins = check_scheme(scheme, bins)
    row = catalogue_row(table["indicator_id"].iloc[0])
    one = table[table["year"] == year]
    if one.empty:
        from helpers.base.errors import invalid

        raise invalid("year", year, sorted(table["year"].unique()))
    unit, name, dec = unit_text(row["unit"], lang), row[f"name_{lang}"], unit_decimals(row["unit"])
    layer = grouping_layer(level, division_year)
    note = source_line(one, division_year, lang)
    fig_map = choropleth(layer, one, title=f"{name} {year}", unit=unit, year=year, attribution=note, lang=lang,
                         scheme=scheme, k=k, bins=bins, decimals=dec, show_aland=show_aland, level=level)
    shown = one if show_aland else one[one["area_code"].isin(set(fig_map_codes(fig_map)))]
    bars = ranked_bars(shown, name_col=f"area_name_{lang}", title=name, unit=unit, year=year, attribution=note,
                       lang=lang, decimals=dec, highlight=highlight)
    values = value_table(shown, name_col=f"area_name_{lang}", unit=unit, year=year, lang=lang, decimals=dec, caption=f"{name} {year}")
    return fig_map, bars, values


def indicator_figures(table: pd.DataFrame, year: int, *, level: str, division_year: int, lang: str = "fi",
                      scheme: str = "quantiles", k: int = 5, show_aland: bool = True, highlight: str | None = None,
                      bins: list[float] | None = None):
    """(map, bars, table_html) for one year of a tidy indicator table."""
    fig_map, bars, values = indicator_parts(table, year, level=level, division_year=division_year, lang=lang, scheme=scheme, k=k,
                                            show_aland=show_aland, highlight=highlight, bins=bins)
    return fig_map, bars, render("value_table.html.j2", t=values)


def fig_map_codes(fig) -> list[str]:
    return [code for trace in fig.data for code in trace.locations]


def file_stem(indicator_id: str) -> str:
    """``sotkanet:186`` -> ``sotkanet-186``: a colon in a relative link would read as a URL scheme."""
    return str(indicator_id).replace(":", "-")


def page_path(indicator_id: str, level: str, year: int) -> Path:
    return site_dir() / "indikaattorit" / f"{file_stem(indicator_id)}_{level}_{year}.html"


FIGURE_CAPTIONS = {
    "fi": {"map": "Kartta: {level}", "bars": "Järjestyksessä suurimmasta pienimpään"},
    "sv": {"map": "Karta: {level}", "bars": "I ordning från störst till minst"},
    "en": {"map": "Map: {level}", "bars": "Ranked from highest to lowest"},
}

LICENCE = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)"


def write_indicator_page(indicator_id: str, year: int, *, level: str = "hyvinvointialue", division_year: int = 2025,
                         years=None, lang: str = "fi", scheme: str = "quantiles", show_aland: bool = True,
                         langs=("fi", "sv", "en"), bins: list[float] | None = None, table: pd.DataFrame | None = None) -> Path:
    """Fetch and write one indicator page in every language of ``langs``; returns the path in ``lang``. The page
    covers every year of ``years`` (the series of ``helpers.tables.series``): a pre-drawn map coloured per year, a
    year control, a line chart per area and a table and CSV of every year with its series breaks
    (``write_series_page``). Its file keeps the name of the year shown first (``year``, the latest), so links
    stay valid. ``table``: the series (or ``indicator_table``) of exactly these arguments when the caller has it
    already (notebook 02)."""
    from helpers.figures.classify import check_scheme

    check_scheme(scheme, bins)  # before any download
    if table is None:
        table = series_table(indicator_id, years or [year], level=level, division_year=division_year)
    elif set(table["indicator_id"]) != {indicator_id} or set(table["area_level"]) != {level}:
        raise ValueError(f"the table given is not {indicator_id} at level {level!r}")
    # what every language's page shares, once: the breaks, the small-number marks and the whole country's line
    from helpers.tables.breaks import mark

    if "break" not in table.columns:
        table = mark(table, division_year=division_year)
    row = catalogue_row(indicator_id)
    table = small_numbers.mark(table, row, value_scale(row))
    country = _country(table, indicator_id, division_year)
    written = {}
    for one in dict.fromkeys([lang, *langs]):
        written[one] = write_series_page(table, indicator_id, year, level=level, division_year=division_year, lang=one,
                                         scheme=scheme, show_aland=show_aland, bins=bins, country=country)
    return written[lang]


# --------------------------------------------------------------------------- the series page

MISSING_COLOUR = "#d9d9d9"
SERIES_TEXT = {
    "fi": {"intro_one": "Kartta ja taulukko näyttävät samat luvut; lähde julkaisee tämän jaon luvut yhdeltä vuodelta. Alueen nimi ja arvo näkyvät, kun osoitin on sen päällä.",
           "intro": "Kartta, aikasarja ja taulukko näyttävät samat luvut. Valitse vuosi: kartta ja taulukko vaihtuvat, ja vuosi "
                    "tallentuu osoitteeseen. Korosta alueita kaaviossa valitsemalla ne luettelosta tai napsauttamalla karttaa.",
           "noscript": "Vuoden valinta ja aikasarjakaavio tarvitsevat sivun oman skriptin; ilman sitä kartta näyttää vuoden {year} ja "
                       "taulukossa ovat kaikki vuodet.",
           "year": "Vuosi", "prev": "Edellinen vuosi", "next": "Seuraava vuosi", "map": "Kartta: {level}, vuosi",
           "chart": "Aikasarja alueittain", "pick": "Korosta alue", "none": "Valitse alue…", "remove": "Poista korostus: {name}",
           "country": "Koko maa", "chart_note": "Harmaat viivat: muut alueet; musta katkoviiva: koko maa. Sininen palkki: kartan vuosi; pystyviiva: sarjakatko; "
                                               "ontto pallo: ennakkotieto; katkeava viiva: arvot eivät ole vertailukelpoisia katkon yli.",
           "breaks": "Sarjakatkot", "no_breaks": "Sarjassa ei ole katkoja näillä vuosilla.", "areas_all": "kaikki alueet", "areas_but": "kaikki alueet paitsi {areas}",
           "break_areas": "alueet: {areas}", "table": "{name}, kaikki vuodet", "preliminary": "ennakkotieto",
           "head": ("Vuosi", "Alue", "Arvo", "Sarjakatko"), "right_axis": "oikea asteikko",
           "count_note": "Koko maan viiva on lukumäärä: sen asteikko on oikealla.", "tables": "Vuosien lähdetaulukot: {lines}",
           "missing": "ei tietoa", "legend": "{unit}, luokat kaikkien vuosien arvoista"},
    "sv": {"intro_one": "Kartan och tabellen visar samma siffror; källan publicerar siffrorna för denna indelning för ett år. Områdets namn och värde visas när pekaren är över det.",
           "intro": "Kartan, tidsserien och tabellen visar samma siffror. Välj ett år: kartan och tabellen byts, och året sparas i "
                    "adressen. Framhäv områden i diagrammet genom att välja dem i listan eller klicka på kartan.",
           "noscript": "Årsvalet och tidsseriediagrammet behöver sidans eget skript; utan det visar kartan år {year} och tabellen alla år.",
           "year": "År", "prev": "Föregående år", "next": "Följande år", "map": "Karta: {level}, år",
           "chart": "Tidsserie per område", "pick": "Framhäv ett område", "none": "Välj ett område…", "remove": "Ta bort framhävningen: {name}",
           "country": "Hela landet", "chart_note": "Grå linjer: övriga områden; svart streckad linje: hela landet. Blå stapel: kartans år; lodrät linje: seriebrott; "
                                                  "ihålig punkt: preliminär uppgift; bruten linje: värdena är inte jämförbara över brottet.",
           "breaks": "Seriebrott", "no_breaks": "Serien har inga brott dessa år.", "areas_all": "alla områden", "areas_but": "alla områden utom {areas}",
           "break_areas": "områden: {areas}", "table": "{name}, alla år", "preliminary": "preliminär uppgift",
           "head": ("År", "Område", "Värde", "Seriebrott"), "right_axis": "höger skala",
           "count_note": "Linjen för hela landet är ett antal: dess skala står till höger.", "tables": "Källtabellerna per år: {lines}",
           "missing": "uppgift saknas", "legend": "{unit}, klasser av alla års värden"},
    "en": {"intro_one": "The map and the table show the same numbers; the source publishes this division's numbers for one year. An area's name and value show when the pointer is over it.",
           "intro": "The map, the series and the table show the same numbers. Pick a year: the map and the table change, and the "
                    "year is kept in the address. Highlight areas in the chart by picking them from the list or clicking the map.",
           "noscript": "The year control and the series chart need the page's own script; without it the map shows {year} and the "
                       "table every year.",
           "year": "Year", "prev": "Previous year", "next": "Next year", "map": "Map: {level}, year",
           "chart": "Series by area", "pick": "Highlight an area", "none": "Pick an area…", "remove": "Remove highlight: {name}",
           "country": "Whole country", "chart_note": "Grey lines: the other areas; black dashed line: the whole country. Blue band: the map's year; vertical line: "
                                                    "a series break; hollow dot: preliminary value; broken line: values are not comparable across the break.",
           "breaks": "Series breaks", "no_breaks": "The series has no breaks in these years.", "areas_all": "every area", "areas_but": "every area but {areas}",
           "break_areas": "areas: {areas}", "table": "{name}, every year", "preliminary": "preliminary",
           "head": ("Year", "Area", "Value", "Series break"), "right_axis": "right scale",
           "count_note": "The whole-country line is a count: its scale is on the right.", "tables": "Source tables by year: {lines}",
           "missing": "no data", "legend": "{unit}, classes from every year's values"},
}


def series_table(indicator_id: str, years, *, level: str, division_year: int) -> pd.DataFrame:
    """The table a page draws: the series (``helpers.tables.series.indicator_series``) of ``years``, or for
    ``vaesto_muutos`` (a change between two years, no series) its one-year table with the break column."""
    from helpers.tables.breaks import mark
    from helpers.tables.series import indicator_series

    if indicator_id == "vaesto_muutos":
        return mark(indicator_table(indicator_id, years, level=level, division_year=division_year), division_year=division_year)
    return indicator_series(indicator_id, level, division_year, years)


def _country(table: pd.DataFrame, indicator_id: str, division_year: int) -> pd.DataFrame | None:
    """The whole country over the table's years, the chart's reference line (none for a one-year change)."""
    if indicator_id == "vaesto_muutos" or table["area_level"].iloc[0] == "koko_maa":
        return None
    from helpers.tables.series import indicator_series

    return indicator_series(indicator_id, "koko_maa", division_year, sorted(set(table["year"].astype(int))))


def _years_text(years: list[int]) -> str:
    return str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"


def write_series_page(table: pd.DataFrame, indicator_id: str, year: int, *, level: str, division_year: int, lang: str,
                      country: pd.DataFrame | None, scheme: str = "quantiles", show_aland: bool = True,
                      bins: list[float] | None = None, k: int = 5) -> Path:
    """One language of an indicator page over every year of ``table`` (see ``write_indicator_page``, which marks the
    table's breaks and small numbers and reads ``country``, the whole country's series, once for every language)."""
    from helpers.base.numbers import fmt_number, fmt_value
    from helpers.figures.classify import assign_classes, class_breaks, legend_entries
    from helpers.figures.flag_marks import flag_marks, flag_meanings
    from helpers.figures.maps import _palette, drop_aland
    from helpers.figures.svgmap import country_frame, svg_shapes
    from helpers.site.boundary_pages import LEVEL_TITLES
    from helpers.site.downloads import table_files
    from helpers.site.pages import _href, lang_root, num, table as table_data

    t = SERIES_TEXT[lang]
    row = catalogue_row(indicator_id)
    small_n = table.attrs["small_n"]
    st = small_numbers.TEXT[lang]
    # The break column in the page's language (the table carries it in the language it was marked in).
    words = {f"{b['label'][lg]} {b['year']}": f"{b['label'][lang]} {b['year']}" for b in table.attrs.get("breaks", []) for lg in ("fi", "sv", "en")}
    table = table.assign(**{"break": ["; ".join(words.get(w, w) for w in str(v).split("; ")) if v else "" for v in table["break"]]})
    # the unit in the reader's language ("henkeä" -> "persons"); the catalogue's own in the CSV's unit column
    name, unit, dec = row[f"name_{lang}"], unit_text(row["unit"], lang), unit_decimals(row["unit"])
    years = sorted(set(table["year"].astype(int)))
    if year not in years:
        from helpers.base.errors import invalid

        raise invalid("year", year, years)
    layer = grouping_layer(level, division_year)
    if not show_aland:
        layer = drop_aland(layer, level)
        table = table[table["area_code"].isin(set(layer["code"]))]
    level_label = LEVEL_TITLES[lang].get(level, level)
    title = f"{name} {_years_text(years)}" + ("" if level == "hyvinvointialue" else f" – {level_label}")
    site = site_dir()
    path = lang_root(site, lang) / "indikaattorit" / f"{file_stem(indicator_id)}_{level}_{year}.html"

    # Classes from every year's values, so a colour means the same in every year.
    # A map of few areas (5 + 1 collaboration areas) keeps each year's values apart; classes as the page rounds.
    breaks = class_breaks(table["value"], scheme, k, bins, decimals=dec, groups=table["year"])
    colours = _palette("viridis", max(len(breaks), 1))
    legend = legend_entries(table["value"], breaks, colours, decimals=dec, lang=lang)
    legend.append({"colour": MISSING_COLOUR, "label": t["missing"]})
    any_small = bool(small_n) and bool(table["small"].any())
    if any_small:
        legend.append({"colour": "#ffffff", "label": st["legend"].format(n=small_n), "dashed": True})

    areas = table.drop_duplicates("area_code").sort_values("area_code")
    codes = areas["area_code"].astype(str).tolist()
    names = dict(zip(codes, areas[f"area_name_{lang}"].astype(str)))
    wide = table.pivot(index="area_code", columns="year", values="value").reindex(index=codes, columns=years)
    flags = table.pivot(index="area_code", columns="year", values="value_flags").reindex(index=codes, columns=years).fillna("")
    marks, notes = flag_marks(table["value_flags"], source=str(table["source"].iloc[0]), meanings=flag_meanings(table, lang))
    mark_of = dict(zip(table["value_flags"].astype(str), marks)) if marks else {}

    latest_rows = table[table["year"] == year].set_index("area_code")
    latest = latest_rows["value"]
    cls = assign_classes(latest, breaks) if breaks else pd.Series(pd.NA, index=latest.index)
    frame = country_frame(division_year, mainland=not show_aland, width=400)
    shapes = svg_shapes(layer, frame, name_col=f"name_{lang}")
    # looked up per area as plain dicts: a pandas lookup per municipality was most of a page's time
    value_of, class_of = dict(zip(latest.index, latest.array)), dict(zip(cls.index, cls.array))
    interval_of = ({code: (lo, hi, sm) for code, lo, hi, sm in zip(latest_rows.index, latest_rows["low"].array,
                                                                  latest_rows["high"].array, latest_rows["small"].array)}
                   if small_n else {})
    for s in shapes:
        v = value_of.get(s["code"])
        c = class_of.get(s["code"])
        s["fill"] = MISSING_COLOUR if c is None or pd.isna(c) else colours[int(c)]
        s["label"] = f"{s['name']}: {fmt_value(v, unit, dec, lang)}"
        if small_n and s["code"] in interval_of and pd.notna(interval_of[s["code"]][0]):
            low, high, small = interval_of[s["code"]]
            interval = st["interval"].format(lo=fmt_number(low, dec, lang), hi=fmt_number(high, dec, lang))
            s["small"] = bool(small)
            s["label"] += f" ({interval}" + (f"; {st['small'].format(n=small_n)})" if s["small"] else ")")

    # Breaks: which areas each touches (from the break column), its text, whether the line is broken there.
    hit = table[table["break"] != ""]
    break_rows = []
    for b in table.attrs.get("breaks", []):
        word = f"{b['label'][lang]} {b['year']}"
        where = sorted(set(hit.loc[(hit["year"] == b["year"]) & hit["break"].str.contains(word, regex=False), "area_code"].astype(str)))
        if not where:
            continue
        others = [names[c] for c in codes if c not in where]
        shown_where = (t["areas_all"] if not others else t["areas_but"].format(areas=", ".join(others)) if len(others) < len(where)
                       else t["break_areas"].format(areas=", ".join(names[c] for c in where)))
        break_rows.append({"y": int(b["year"]), "gap": bool(b["gap"]), "label": word, "text": b["text"][lang], "areas": where,
                           "where": shown_where, "source": b["source"][lang]})

    page_data = {
        "years": years, "year": int(year), "unit": unit, "dec": dec, "bins": breaks, "colours": colours, "missing": MISSING_COLOUR,
        "areas": [{"c": c, "n": names[c]} for c in codes],
        # rows as arrays, not a .loc per area (308 municipalities × three languages)
        "v": {c: [None if pd.isna(x) else float(x) for x in row] for c, row in zip(codes, wide.to_numpy(dtype=float, na_value=float("nan")))},
        "f": {c: [mark_of.get(str(x), "") for x in row] for c, row, any_flag in
              zip(codes, flags.to_numpy(dtype=object), (flags != "").any(axis=1).to_numpy()) if any_flag},
        "flag_words": {m: w for w, m in mark_of.items() if m},
        "country": None if country is None else {"n": t["country"], "v": [None if pd.isna(x) else float(x) for x in
                                                  country.set_index("year")["value"].reindex(years)]},
        "breaks": [{k: b[k] for k in ("y", "gap", "label", "text", "areas")} for b in break_rows],
        # a count of the whole country dwarfs its areas: the reference line gets its own scale
        "country_axis": country is not None and row["aggregation"] == "sum",
    }
    if small_n:
        def per_year(col):
            return table.pivot(index="area_code", columns="year", values=col).reindex(index=codes, columns=years)
        small, low, high = per_year("small"), per_year("low"), per_year("high")
        flag = small.fillna(False).astype(bool).to_numpy()
        page_data["small"] = {c: [int(x) for x in row] for c, row in zip(codes, flag) if row.any()}
        page_data["unsure"] = {str(y): list(small_numbers.unsure_count(table, y)) for y in years}
        page_data["ci"] = {c: [None if pd.isna(a) else [round(float(a), dec + 1), round(float(b), dec + 1)] for a, b in zip(lo, hi)]
                           for c, lo, hi in zip(codes, low.to_numpy(dtype=float, na_value=float("nan")),
                                                  high.to_numpy(dtype=float, na_value=float("nan")))}

    # The table and its CSV: every year (latest first), the break column; the script shows one year at a time.
    ordered = table.sort_values(["year", "value"], ascending=[False, False], na_position="last").reset_index(drop=True)
    # The unit once in the header, not in 1 000 cells: a long series' table is most of the page's bytes.
    head = (t["head"][0], t["head"][1], f"{t['head'][2]} ({unit})", t["head"][3])
    smalls = ordered["small"].tolist() if small_n else [False] * len(ordered)
    rows = [[num(str(y)), str(area), num(fmt_number(v, dec, lang), mark=" ".join(m for m in (mark_of.get(str(f), ""), st["mark"] if sm else "") if m)),
             str(b)] for y, area, v, f, b, sm in zip(ordered["year"], ordered[f"area_name_{lang}"], ordered["value"],
                                                      ordered["value_flags"], ordered["break"], smalls)]
    csv = pd.DataFrame({head[0]: ordered["year"].astype(int), head[1]: ordered[f"area_name_{lang}"].astype(str),
                        head[2]: ordered["value"].round(dec), head[3]: ordered["break"].astype(str), "unit": row["unit"],
                        "area_code": ordered["area_code"].astype(str), "value_flags": ordered["value_flags"].astype(str)})
    if small_n:
        # ranks with the range random variation allows, after the value (the table is the year's ranking)
        head = (*head[:3], st["column"], head[3])
        rows = [[*r[:3], small_numbers.rank_text(a, b, c), r[3]]  # text: "4 (2–7)" is no single number
                for r, a, b, c in zip(rows, ordered["rank"], ordered["rank_best"], ordered["rank_worst"])]
        csv.insert(3, st["column"], [small_numbers.rank_text(a, b, c) for a, b, c in zip(ordered["rank"], ordered["rank_best"], ordered["rank_worst"])])
        csv = csv.assign(numerator=ordered["numerator"], ci95_low=ordered["low"].round(dec + 1), ci95_high=ordered["high"].round(dec + 1),
                         small_numerator=ordered["small"].astype(int), rank=ordered["rank"], rank_best=ordered["rank_best"],
                         rank_worst=ordered["rank_worst"])
        notes = [*notes, *([st["note"].format(n=small_n, rse=small_numbers.relative_error_text(small_n))] if any_small else []), st["ranks"]]
    if "table" in ordered.columns:
        csv["table"] = ordered["table"].astype(str)
    csv.attrs = dict(table.attrs)
    sources = sorted(set(table["source"].astype(str)))
    source_lines_ = [*(reader_source(x, lang) for x in sources), boundary_attribution(division_year, lang)]
    # Rows of the other years are laid out only when asked for: a stylesheet rule shows only the rows marked as the
    # year shown until the script takes over (and a <noscript> style shows them all), so the first paint need not lay
    # out 1 200 rows. The shown year's rows carry the mark (23 attributes rather than 1 200).
    shown_now = [{"nyt": "1"} if int(y) == int(year) else {} for y in ordered["year"]]
    values = table_data(rows, caption=t["table"].format(name=name), header=head, cls="arvot sarjataulu", footnotes=notes,
                        row_attrs=shown_now)
    values["downloads"] = table_files(csv, page=path, name="arvot", title=title, sources=source_lines_, licence=LICENCE,
                                      decimals={head[2]: dec}, units={head[2]: unit}, lang=lang)
    script = ensure_series_script(site)  # a shared asset: a refresh publishes it once, at its end (site.build)
    per_table = []
    if "table" in table.columns and table["table"].nunique() > 1:
        for tab, ys in table.groupby("table")["year"]:
            per_table.append(f"{str(tab).split('_')[-1]} {_years_text(sorted(set(ys.astype(int))))}")  # 11re, not vaerak/statfin_vaerak_pxt_11re
    notes_text = row["notes"] if isinstance(row["notes"], str) and lang == "fi" else ""  # the catalogue's notes are Finnish
    missing = int(table["value"].isna().sum())
    k_unsure, n_ranked = page_data["unsure"][str(year)] if small_n else (0, 0)  # the year shown first, as the script
    context = {
        "heading": title, "t": t, "intro": t["intro"] if len(years) > 1 else t["intro_one"], "noscript": t["noscript"].format(year=year),
        "map_caption": t["map"].format(level=level_label), "year": year, "years": years,
        "shapes": shapes, "view_box": frame.view_box, "legend": legend, "legend_title": t["legend"].format(unit=unit),
        "areas": [{"c": c, "n": names[c]} for c in sorted(codes, key=lambda c: names[c])],
        "breaks": break_rows, "values": values, "page_data": page_data,
        "messages": {**{k: t[k] for k in ("remove", "preliminary", "year", "missing", "country", "right_axis")},
                     "interval": st["interval"], "small": st["small"].format(n=small_n or ""), "unsure": st["unsure"]},
        "script": _href(script, path), "source_lines": source_lines_, "notes": notes_text,
        "tables_line": t["tables"].format(lines="; ".join(per_table)) if per_table else "",
        "missing_note": MISSING_NOTE[lang].format(n=missing) if missing else "",
        "chart": len(years) > 1, "count_note": t["count_note"] if page_data["country_axis"] else "",
        "unsure": st["unsure"].format(year=year, k=k_unsure, n=n_ranked) if small_n and k_unsure else "",
    }
    return write_page(path, title=title, template="indicator_series.html.j2", context=context, lang=lang,
                      description=f"{name}: {level_label.lower()}, {_years_text(years)}", data_year=year)


def ensure_series_script(site: Path | None = None) -> Path:
    """Copy the series pages' script into the site (rewritten when the package's copy changed)."""
    from helpers.base.config import PACKAGE_ASSETS_DIR
    from helpers.base.files import atomic_write_text
    from helpers.site.pages import SERIES_SCRIPT

    target = Path(site or site_dir()) / SERIES_SCRIPT
    text = (PACKAGE_ASSETS_DIR / "series.js").read_text(encoding="utf-8")
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        atomic_write_text(target, text)
    return target


def series_figure(table: pd.DataFrame, lang: str = "fi"):
    """The series as a plotly line chart for a notebook: a line per area, a dashed vertical line at each series
    break (its text on hover), preliminary and other flagged values as hollow markers."""
    import plotly.graph_objects as go

    from helpers.base.numbers import plotly_separators

    row = catalogue_row(table["indicator_id"].iloc[0])
    fig = go.Figure()
    for code, part in table.sort_values("year").groupby("area_code", sort=True):
        flagged = part["value_flags"] != ""
        fig.add_trace(go.Scatter(x=part["year"], y=part["value"], mode="lines+markers", name=str(part[f"area_name_{lang}"].iloc[0]),
                                 marker=dict(symbol=["circle-open" if f else "circle" for f in flagged], size=[9 if f else 4 for f in flagged]),
                                 customdata=part["value_flags"], hovertemplate="%{x}: %{y}<br>%{customdata}<extra>%{fullData.name}</extra>"))
    for b in table.attrs.get("breaks", []):
        fig.add_vline(x=b["year"] - 0.5, line_dash="dot" if not b["gap"] else "dash", line_color="#b00020",
                      annotation_text=f"{b['label'][lang]} {b['year']}", annotation_position="top left")
    fig.update_layout(title=row[f"name_{lang}"], yaxis_title=row["unit"], separators=plotly_separators(lang), height=520,
                      legend=dict(font=dict(size=10)))
    return fig
