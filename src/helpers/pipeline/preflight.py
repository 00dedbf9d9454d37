"""Checks the refresh makes after parameter validation and before any kernel starts.

* first, the data tables the project's notebooks read (``data/lahteet.csv``, ``data/kyselyt.yaml``,
  ``data/indikaattorit.csv``, the municipality-key tables, ``data/kuntaliitokset.csv``, the PRH table, the model
  files' citation keys), each with the validator its loader uses in the runs and the cells the runs take from it:
  a bad cell stops the refresh with one line naming the file, line, row, column and rule
  (:func:`check_data_tables`, called first by ``refresh`` and ``--list``, before the parameters);
* the mirror folder (in mirror mode): every service folder has a readable ``INDEX.json``, and each run's years
  are ones the mirror can serve (boundary layers per typeName and year, PxWeb years in the indexed query bodies,
  Sotkanet indicator/year requests, population layers);
* every model file in ``data/mallit/``, in every refresh and ``--list`` whatever ``--tag`` or ``--only`` selects
  (with the data tables, :func:`check_data_tables`; every file joins the scorecard and the model view): YAML syntax
  (with the line), schema, codes, and every municipality in exactly one unit for each year a run asks for, a missing,
  unknown or doubled area named by code and name (``helpers.models.model_files.file_problems``);
* no model twice in one comparison;
* each run's expected outputs (from the page modules' ``page_path`` functions, no data loaded) lie inside the
  outputs folder and no two runs write the same file.

Every problem is collected; :func:`preflight` raises one :class:`ConfigError` listing the first ones.
"""

from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from helpers.base import config
from helpers.base.errors import ConfigError, SoteError, UnsafePath
from helpers.pipeline.runs import Run, clip, problem_list

BOUNDARY_LEVELS = ("kunta", "maakunta", "hyvinvointialue")  # the municipality key needs all three for a year
MODEL_NOTEBOOKS = ("03_mallivertailu.ipynb", "05_alueprofiili.ipynb")  # notebooks that resolve model files


# --------------------------------------------------------------------------- paths


def inside(root: Path, path: Path, *, real_root: str | None = None) -> Path:
    """``path`` resolved (symlinks followed); raises UnsafePath unless it lies inside ``root`` (also resolved).
    ``real_root``: ``root`` already resolved, by a caller that checks many paths in one pass (the manifest's)."""
    real_root = real_root or os.path.realpath(root)
    resolved = os.path.realpath(path)
    if resolved != real_root and not resolved.startswith(real_root.rstrip(os.sep) + os.sep):
        raise UnsafePath(f"{clip(str(path), 200)} resolves to {clip(resolved, 200)}, outside the outputs folder {real_root}")
    return Path(resolved)


def check_relative(rel: str, root: Path, *, real_root: str | None = None) -> Path:
    """A path relative to the outputs folder (as the manifest stores them): plain, no '..', inside ``root``."""
    if not isinstance(rel, str) or not rel or "\0" in rel:
        raise UnsafePath(f"output path {clip(repr(rel), 120)} is not allowed; allowed: a relative path inside the outputs folder")
    p = Path(rel)
    if p.is_absolute() or ".." in p.parts or rel.startswith("~"):
        raise UnsafePath(f"output path {clip(repr(rel), 120)} is not allowed; allowed: a relative path inside the outputs folder (no '..', not absolute)")
    return inside(root, Path(root) / p, real_root=real_root)


# --------------------------------------------------------------------------- the mirror


@dataclass
class MirrorCatalogue:
    """What a mirror folder can answer, read from its INDEX.json files."""

    root: Path
    typenames: dict[str, set[str]] = field(default_factory=dict)  # service folder -> WFS typeNames
    pxweb_years: dict[str, set[int] | None] = field(default_factory=dict)  # table file (e.g. 11re.px) -> years; None: all
    sotkanet: dict[int, list[frozenset[int]]] = field(default_factory=dict)  # indicator -> year sets of data requests
    _rows: object = None  # the indicator catalogue by id, read once for all runs

    def indicator_rows(self):
        if self._rows is None:
            from helpers.tables.indicators import catalogue

            self._rows = catalogue().set_index("indicator_id")
        return self._rows


def _read_index(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"mirror index {path}: cannot read it ({exc.strerror or exc})") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"mirror index {path}: not valid JSON ({clip(exc, 160)}); restore it from the shared mirror") from None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise ConfigError(f"mirror index {path}: expected an object with an 'entries' list")
    return data


def check_mirror_folder(path: str | os.PathLike) -> Path:
    """The folder exists and every service folder in it has an INDEX.json; returns it resolved."""
    from helpers.sources.registry import SOURCES

    text = str(path)
    if not text.strip():
        raise ConfigError("--mirror '' is not allowed; allowed: a folder laid out like ../shared/mirror (leave the option out to read the live services)")
    root = Path(text).expanduser()
    if not root.is_dir():
        raise ConfigError(f"mirror folder {clip(text, 200)!r} does not exist; allowed: a folder laid out like ../shared/mirror")
    missing = sorted({s.mirror_subdir for s in SOURCES.values() if not (root / s.mirror_subdir / "INDEX.json").is_file()})
    if missing:
        raise ConfigError(f"mirror folder {clip(text, 200)!r} has no INDEX.json in {', '.join(m + '/' for m in missing)}; "
                          "allowed: a folder laid out like ../shared/mirror (one sub-folder per service with INDEX.json)")
    return root.resolve()


def _years_in_body(body: dict) -> set[int] | None:
    for var in body.get("query", []):
        code = str(var.get("code", "")).lower()
        if "time" in code or code in ("vuosi", "year"):
            values = (var.get("selection") or {}).get("values") or []
            if "*" in values or (var.get("selection") or {}).get("filter") == "all":
                return None
            return {int(v) for v in values if str(v).isdigit()}
    return None


def read_mirror(root: Path) -> MirrorCatalogue:
    from helpers.sources.registry import SOURCES

    cat = MirrorCatalogue(root)
    for source in SOURCES.values():
        folder = root / source.mirror_subdir
        index_path = folder / "INDEX.json"
        index = _read_index(index_path)
        names = cat.typenames.setdefault(source.mirror_subdir, set())
        for i, entry in enumerate(index["entries"]):
            if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
                raise ConfigError(f"mirror index {index_path}: entry {i + 1} has no 'url'")
            url = urlsplit(entry["url"])
            query = parse_qs(url.query)
            for name in query.get("typeName", []) + ([entry["typeName"]] if isinstance(entry.get("typeName"), str) else []):
                names.add(name)
            if url.path.endswith(".px") and str(entry.get("method", "GET")).upper() == "POST" and entry.get("body"):
                table = url.path.rsplit("/", 1)[-1]
                try:
                    body = json.loads((folder / entry["body"]).read_text(encoding="utf-8"))
                    years = _years_in_body(body)
                except (OSError, ValueError, TypeError, AttributeError):
                    continue  # an unreadable body is the fetch layer's error, named when a run asks for it
                known = cat.pxweb_years.get(table, set())
                cat.pxweb_years[table] = None if years is None or known is None else known | years
            if "indicator" in query and url.path.rstrip("/").endswith("/json"):
                try:
                    ind = int(query["indicator"][0])
                    years = frozenset(int(y) for y in query.get("years", []))
                except ValueError:
                    continue
                cat.sotkanet.setdefault(ind, []).append(years)
    return cat


def _key_years(run: Run, p: dict) -> list[int]:
    name = run.notebook.name
    year = p.get("division_year") if name == "02_indikaattorit.ipynb" else p.get("year")
    return [year] if isinstance(year, int) and not isinstance(year, bool) else []


def _indicator_requests(run: Run, p: dict) -> list[tuple[str, list[int]]]:
    name = run.notebook.name
    if name == "02_indikaattorit.ipynb":  # a series may read two tables (population: helpers.tables.series)
        from helpers.tables.series import table_requests

        return [req for ind in p.get("indicators") or [] for req in (
            table_requests(ind, [y for y in p.get("years") or [] if str(y).isdigit()]) if isinstance(ind, str) else [(ind, [])])]
    if name == "03_mallivertailu.ipynb":
        return [(p.get("indicator"), list(p.get("indicator_years") or []))]
    if name == "05_alueprofiili.ipynb":
        from helpers.site.build import PROFILE_INDICATORS

        return [(ind, list(years or [p.get("year")])) for ind, years, _shown in PROFILE_INDICATORS]
    return []


def mirror_problems(run: Run, p: dict, cat: MirrorCatalogue) -> list[str]:
    """What this run would ask the mirror for that the mirror does not hold."""
    from helpers.geo.layers import layer_name

    out = []
    where = f"run {run.name} ({run.notebook.name})"
    geo = cat.typenames.get("geo", set())
    for year in _key_years(run, p):
        for level in BOUNDARY_LEVELS:
            name = f"tilastointialueet:{layer_name(level, year)}"
            if name not in geo:
                served = sorted({int(m.group(1)) for n in geo if (m := re.fullmatch(rf"tilastointialueet:{layer_name(level, 0)[:-1]}(\d{{4}})", n))})
                out.append(f"{where}: year={year} needs the layer {name}, which the mirror does not hold "
                           f"({cat.root / 'geo' / 'INDEX.json'}); allowed years for {level}: {', '.join(map(str, served)) or 'none'}")
                break
    rows = cat.indicator_rows()
    for ind, years in _indicator_requests(run, p):
        if ind not in rows.index:
            number = re.fullmatch(r"sotkanet:(\d{1,9})", ind) if isinstance(ind, str) else None
            if number is None:
                continue  # the parameter check names unknown indicators
            row = {"table_or_id": str(int(number.group(1))), "source": "THL, Sotkanet"}  # any Sotkanet id: its data requests
        else:
            row = rows.loc[ind]
        years = sorted({int(y) for y in years if str(y).isdigit()})
        table = str(row["table_or_id"])
        if table == "11re":
            served = cat.pxweb_years.get("11re.px", set())
            bad = [] if served is None else [y for y in years if y not in served]
            if bad:
                out.append(f"{where}: {ind} years={bad} not in the mirror's PxWeb queries for 11re ({cat.root / 'stat' / 'INDEX.json'}); "
                           f"allowed: {', '.join(map(str, sorted(served))) or 'none'}")
        elif str(row["source"]).startswith("Tilastokeskus (WFS"):
            names = cat.typenames.get("stat", set())
            bad = [y for y in years if f"vaestoalue:kunta_vaki{y}" not in names]
            if bad:
                served = sorted(n.rsplit("vaki", 1)[-1] for n in names if n.startswith("vaestoalue:kunta_vaki"))
                out.append(f"{where}: {ind} years={bad} need vaestoalue:kunta_vaki layers the mirror does not hold "
                           f"({cat.root / 'stat' / 'INDEX.json'}); allowed: {', '.join(served) or 'none'}")
        elif str(row["source"]).startswith("THL") and table.isdigit():
            served = cat.sotkanet.get(int(table), [])
            if frozenset(years) not in served:
                shown = "; ".join(",".join(map(str, sorted(s))) for s in sorted(served, key=sorted)) or "none"
                out.append(f"{where}: {ind} years={years} is not a Sotkanet request the mirror holds "
                           f"({cat.root / 'sotkanet' / 'INDEX.json'}); allowed year sets: {shown}")
    return out


# --------------------------------------------------------------------------- data tables


def _where(name: str) -> str:
    return f"data/{name}"


def _record_lines(path: Path) -> list[int]:
    """The line each record of a CSV file starts on (header first), blank lines skipped as pandas skips them."""
    starts: list[int] = []

    def lines():
        inside = False
        with open(path, encoding="utf-8", newline="") as fh:
            for number, line in enumerate(fh, 1):
                if not inside and not line.strip():
                    continue
                starts.append(number)
                inside ^= line.count('"') % 2 == 1
                yield line

    import csv

    out, used = [], 0
    reader = csv.reader(lines())
    for _record in reader:
        out.append(starts[used])
        used = reader.line_num
    return out


class _Table:
    """One data table as its kernel-side reader returns it, with each row's line, for messages that name the file,
    the line, the row, the column, the value and the rule."""

    def __init__(self, name: str, read, row_column: str | None = None):
        self.name, self.where = name, _where(name)
        try:
            self.df = read()
        except OSError as exc:
            raise SoteError(f"{self.where}: cannot read it ({exc.strerror or exc})") from None
        except (ValueError, UnicodeDecodeError) as exc:  # pandas' ParserError is a ValueError
            raise SoteError(f"{self.where}: cannot read it as CSV ({clip(exc, 160)})") from None
        lines = _record_lines(config.DATA_DIR / name)
        self.lines = lines[1:] if len(lines) == len(self.df) + 1 else [None] * len(self.df)
        self.row_column = row_column

    def need(self, *columns: str) -> None:
        missing = [c for c in columns if c not in self.df.columns]
        if missing:
            raise SoteError(f"{self.where} line 1: columns {list(self.df.columns)} lack {missing}; the runs read them")

    def rows(self):
        for i, row in enumerate(self.df.to_dict("records")):
            yield self.lines[i], row

    def fail(self, line, row: dict, column: str, rule: str):
        ident = row.get(self.row_column, "") if self.row_column else ""
        at = f" line {line}" if line else ""
        raise SoteError(f"{self.where}{at}: row {ident or '?'}: {column} {row.get(column)!r} {rule}")


def _check_codes(t: _Table, column: str, pattern: str, what: str, *, unique: bool = True) -> dict[str, int]:
    seen: dict[str, int] = {}
    for line, row in t.rows():
        value = row[column]
        if not re.fullmatch(pattern, str(value)):
            zeros = ", with its leading zeros" if pattern.startswith("[0-9]{") else ""
            t.fail(line, row, column, f"is not {what}; allowed: {what}{zeros}")
        if unique and value in seen:
            t.fail(line, row, column, f"is also on line {seen[value]}; allowed: each {column} once")
        seen.setdefault(value, line)
    return seen


def _check_filled(t: _Table, *columns: str) -> None:
    for line, row in t.rows():
        for column in columns:
            if not str(row[column]).strip():
                t.fail(line, row, column, "is empty; the pages show it")


def _check_in(t: _Table, column: str, allowed: dict, source: str, *, empty_ok: bool = False) -> None:
    for line, row in t.rows():
        value = row[column]
        if value not in allowed and not (empty_ok and value == ""):
            t.fail(line, row, column, f"is not in {source}; allowed: {', '.join(map(str, sorted(allowed))) or 'none'}"
                   + (" or empty" if empty_ok else ""))


def _check_same(t: _Table, key: str, columns: tuple[str, ...]) -> None:
    """Every row with the same ``key`` says the same in ``columns`` (the key takes them from one row)."""
    first: dict = {}
    for line, row in t.rows():
        if row[key] in first:
            line0, row0 = first[row[key]]
            for column in columns:
                if row[column] != row0[column]:
                    t.fail(line, row, column, f"differs from line {line0} ({row0[column]!r}) for {key} {row[key]}; allowed: the same on every row")
        else:
            first[row[key]] = (line, row)


def _key_tables() -> None:
    """data/yhteistyoalueet.csv and data/erva2020_*.csv as ``helpers.geo.municipality_key`` reads them, and the
    cells the key takes from them: codes of the right form, once each, filled names, references that resolve."""
    from helpers.geo import municipality_key as mk

    ervas = _Table("erva2020_alueet.csv", mk.erva2020_areas, "erva2020_code")
    ervas.need("erva2020_code", "erva2020_abbr", "erva2020_name_fi", "erva2020_name_sv", "erva2020_name_en")
    erva_codes = _check_codes(ervas, "erva2020_code", r"[0-9]+", "a number")
    _check_filled(ervas, "erva2020_name_fi", "erva2020_name_sv", "erva2020_name_en")
    abbr = dict(zip(ervas.df["erva2020_code"], ervas.df["erva2020_abbr"]))
    taken: dict = {}
    for line, row in ervas.rows():
        if row["erva2020_abbr"] and row["erva2020_abbr"] in taken:
            ervas.fail(line, row, "erva2020_abbr", f"is also on line {taken[row['erva2020_abbr']]}; allowed: each abbreviation once")
        taken.setdefault(row["erva2020_abbr"], line)

    yta = _Table("yhteistyoalueet.csv", mk.collaboration_areas, "hyvinvointialue_code")
    yta.need("hyvinvointialue_code", "yhteistyoalue_code", "yhteistyoalue_name_fi", "yhteistyoalue_name_sv", "yhteistyoalue_name_en",
             "university_hospital")
    _check_codes(yta, "hyvinvointialue_code", r"[0-9]{2}", "a two-digit welfare-region code")
    _check_codes(yta, "yhteistyoalue_code", r"[0-9]+", "a number", unique=False)
    _check_filled(yta, "yhteistyoalue_name_fi", "yhteistyoalue_name_sv", "yhteistyoalue_name_en")
    _check_in(yta, "university_hospital", {a for a in abbr.values() if a}, "the erva abbreviations of data/erva2020_alueet.csv", empty_ok=True)
    _check_same(yta, "yhteistyoalue_code", ("yhteistyoalue_name_fi", "yhteistyoalue_name_sv", "yhteistyoalue_name_en", "university_hospital"))

    mk_table = _Table("erva2020_maakunnat.csv", lambda: mk.erva2020_rules()[0], "maakunta_code")
    mk_table.need("maakunta_code", "erva2020_code")
    maakunnat = _check_codes(mk_table, "maakunta_code", r"[0-9]{2}", "a two-digit maakunta code")
    exc = _Table("erva2020_poikkeukset.csv", lambda: mk.erva2020_rules()[1], "kunta_code")
    exc.need("kunta_code", "maakunta_code", "erva2020_code")
    _check_codes(exc, "kunta_code", r"[0-9]{3}", "a three-digit municipality code")
    _check_in(exc, "maakunta_code", maakunnat, "data/erva2020_maakunnat.csv")
    for t in (mk_table, exc):
        _check_in(t, "erva2020_code", erva_codes, "data/erva2020_alueet.csv")
        if "erva2020_abbr" in t.df.columns:
            for line, row in t.rows():
                if row["erva2020_abbr"] != abbr[row["erva2020_code"]]:
                    t.fail(line, row, "erva2020_abbr", f"is not the abbreviation of erva {row['erva2020_code']} in data/erva2020_alueet.csv; "
                                                       f"allowed: {abbr[row['erva2020_code']]!r}")


def _mergers() -> None:
    """data/kuntaliitokset.csv: dates, codes, each municipality merged once, then the kernel's own reading
    (``helpers.geo.municipal_changes``: the year of each merger, chains followed, a cycle refused)."""
    import datetime

    import pandas as pd

    from helpers.geo import municipal_changes

    t = _Table("kuntaliitokset.csv", lambda: pd.read_csv(config.DATA_DIR / "kuntaliitokset.csv", dtype=str, keep_default_na=False,
                                                           encoding="utf-8"), "old_code")
    t.need("effective", "old_code", "new_code")
    for line, row in t.rows():
        try:
            ok = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["effective"]) and datetime.date.fromisoformat(row["effective"]))
        except ValueError:
            ok = False
        if not ok:
            t.fail(line, row, "effective", "is not a date; allowed: YYYY-MM-DD (the day the merger took effect)")
    _check_codes(t, "old_code", r"[0-9]{3}", "a three-digit municipality code")
    _check_codes(t, "new_code", r"[0-9]{3}", "a three-digit municipality code", unique=False)
    for line, row in t.rows():
        if row["old_code"] == row["new_code"]:
            t.fail(line, row, "new_code", "is the municipality itself; allowed: the code of the municipality it joined")
    years = municipal_changes.mergers()["effective_year"]
    if len(years):
        municipal_changes.merger_map(int(years.min()) - 1, int(years.max()))


def _catalogue() -> None:
    """data/indikaattorit.csv: each row's cells as ``helpers.tables.indicators`` uses them, then its own validator
    (``catalogue()``: ids once, aggregation rules) and each row's years as ``indicator_years`` reads them."""
    import pandas as pd

    from helpers.tables import indicators
    from helpers.tables.aggregate import RULES

    t = _Table("indikaattorit.csv", lambda: pd.read_csv(config.DATA_DIR / "indikaattorit.csv", dtype=str, keep_default_na=False,
                                                          encoding="utf-8"), "indicator_id")
    t.need("indicator_id", "name_fi", "name_sv", "name_en", "unit", "source", "table_or_id", "base_level", "aggregation",
           "numerator", "denominator", "years")
    _check_codes(t, "indicator_id", r"[A-Za-z0-9_-]+", "a name of letters, digits, '_' and '-' (it names the pages' files)")
    _check_filled(t, "name_fi", "name_sv", "name_en", "unit", "source", "table_or_id")
    for line, row in t.rows():
        if row["base_level"] not in ("kunta", "hyvinvointialue"):
            t.fail(line, row, "base_level", "is not a level the tables are built from; allowed: kunta, hyvinvointialue (Sotkanet)")
        if row["aggregation"] not in RULES:
            t.fail(line, row, "aggregation", f"is not an aggregation rule; allowed: {', '.join(RULES)}")
        if row["aggregation"] == "ratio" and not row["numerator"].strip():
            t.fail(line, row, "numerator", "is empty; a ratio needs the numerator's column")
        if row["base_level"] == "hyvinvointialue" and not row["table_or_id"].isdigit():
            t.fail(line, row, "table_or_id", "is not a Sotkanet indicator number; allowed: digits")
        m = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", row["years"])
        if not m or (m.group(2) and int(m.group(2)) < int(m.group(1))):
            t.fail(line, row, "years", "is not a year or a span of years; allowed: YYYY or YYYY-YYYY (first ≤ last)")
    cat = indicators.catalogue()
    for ind in cat["indicator_id"]:
        indicators.indicator_years(ind)


def _surveys() -> None:
    import yaml

    from helpers.tables import surveys

    try:
        surveys.surveys()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SoteError(f"data/kyselyt.yaml{f' line {mark.line + 1}' if mark else ''}: not valid YAML "
                        f"({getattr(exc, 'problem', None) or exc})") from None


def _prh() -> None:
    from helpers.models import associations

    associations.check_prh(associations._read().copy())  # the maakunta codes are checked against the layer in the run


def _citations() -> None:
    from helpers.sources import citations

    citations.sources()


def _cited_keys() -> None:
    """Every model file's ``source.ref`` is a key of data/lahteet.csv (the pages cite it by that key)."""
    from helpers.models import model_files
    from helpers.sources import citations

    keys = citations.sources().index
    for name in model_files.model_names():
        try:
            ref = model_files.load_model(name).source.ref
        except (SoteError, OSError, ValueError):
            continue  # the model-file check names it
        if ref and ref not in keys:
            raise SoteError(f"data/mallit/{name}.yaml: source.ref {ref!r} is not a key of data/lahteet.csv; allowed: {', '.join(sorted(keys))}")


# table -> its check; a check that needs another table runs only when that one passed
DATA_CHECKS = {
    "lahteet.csv": (_citations, ()),
    "erva2020_alueet.csv, yhteistyoalueet.csv, erva2020_maakunnat.csv, erva2020_poikkeukset.csv": (_key_tables, ()),
    "kuntaliitokset.csv": (_mergers, ()),
    "indikaattorit.csv": (_catalogue, ()),
    "kyselyt.yaml": (_surveys, ("lahteet.csv", "erva2020_alueet.csv, yhteistyoalueet.csv, erva2020_maakunnat.csv, erva2020_poikkeukset.csv")),
    "prh_yhdistykset_maakunnittain.csv": (_prh, ()),
    "mallit/*.yaml source.ref": (_cited_keys, ("lahteet.csv",)),
}


def data_problems() -> list[str]:
    """The data tables the project's notebooks read, each checked by the validator its loader uses (and the cells
    the kernels take from it); one message per table that fails, naming the file, line, row, column and rule."""
    out: list[str] = []
    failed: set[str] = set()
    for table, (check, needs) in DATA_CHECKS.items():
        if failed.intersection(needs):
            continue
        try:
            check()
        except (SoteError, OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            failed.add(table)
            text = str(exc) if isinstance(exc, SoteError) else f"{exc.__class__.__name__}: {exc}"
            if isinstance(exc, OSError):
                text = f"cannot read it ({exc.strerror or exc})"
            first = table.split(",")[0]
            if not text.startswith(("data/", first)):
                text = f"data/{first}: {text}"
            elif text.startswith(first):
                text = "data/" + text
            out.append(text)
    return out


def check_data_tables(runs: list[Run]) -> None:
    """Raise ConfigError naming every bad data table and every bad model file in data/mallit/ when a selected run is
    a project notebook's, whatever --tag or --only selected: every model file joins the scorecard and the model view
    written at the end of any refresh, so each is checked (codes, every municipality in exactly one unit) for the
    selected runs' years (the first model year when they ask for none)."""
    from helpers.pipeline.runs import VALUE_CHECKS

    if not any(run.notebook.name in VALUE_CHECKS for run in runs):
        return
    problems = data_problems()
    # the coverage check reads the municipality key, which is built from the tables above: only when they passed
    models = model_problems(set() if problems else run_model_years(runs), key_first=True)
    if len(problems) + len(models) == 1:
        raise ConfigError(f"{clip((problems + models)[0])}; nothing was executed")
    if models:
        raise ConfigError(f"{len(problems) + len(models)} problems in data/ (tables and model files in data/mallit/); "
                          "nothing was executed:" + problem_list(problems + models))
    if problems:
        raise ConfigError(f"{len(problems)} data tables have problems; nothing was executed:" + problem_list(problems))


def run_model_years(runs: list[Run]) -> set[int]:
    """The model years (``model_files.MODEL_YEARS``) the selected runs ask for, else the first model year; a year the
    mirror holds no boundary layers for is left out (the mirror check names it)."""
    from helpers.models.model_files import MODEL_YEARS

    years: set[int] = set()
    for run in runs:
        try:
            p = full_parameters(run)
        except (SoteError, OSError, ValueError):
            continue  # the parameter check names it
        years.update(y for y in _key_years(run, p) if y in MODEL_YEARS)
    years = years or {MODEL_YEARS[0]}
    mirror = config.mirror_dir()
    if mirror is not None:
        try:
            geo = _geo_typenames(Path(mirror))
        except (ConfigError, OSError):
            return set()  # the mirror check names it
        from helpers.geo.layers import layer_name

        years = {y for y in years if all(f"tilastointialueet:{layer_name(level, y)}" in geo for level in BOUNDARY_LEVELS)}
    return years


def _geo_typenames(root: Path) -> set[str]:
    index = _read_index(root / "geo" / "INDEX.json")
    names: set[str] = set()
    for entry in index["entries"]:
        if isinstance(entry, dict) and isinstance(entry.get("url"), str):
            names.update(parse_qs(urlsplit(entry["url"]).query).get("typeName", []))
            if isinstance(entry.get("typeName"), str):
                names.add(entry["typeName"])
    return names


# --------------------------------------------------------------------------- model files


def model_problems(years: set[int], *, key_first: bool = False) -> list[str]:
    """Every model file in data/mallit/: syntax (with the line), schema, id, and for each year its codes and every
    municipality in exactly one unit, missing, unknown or doubled areas named by code and name
    (``helpers.models.model_files.file_problems``). ``key_first``: build each year's municipality key first, so
    that a key that cannot be built (a source unreachable) is one problem, not one per model file."""
    from helpers.models import model_files as models

    out = []
    years = set(years)
    if key_first:
        from helpers.geo.municipality_key import municipality_key

        for year in sorted(years):
            try:
                municipality_key(year)
            except (SoteError, OSError, ValueError) as exc:
                years.discard(year)
                out.append(f"data/mallit/*.yaml: the model files' coverage for {year} cannot be checked: the municipality key "
                           f"could not be built ({clip(exc, 160)})")
    for path in sorted(models.MODELS_DIR.glob("*.yaml")):
        out += models.file_problems(path, years)
    return out


# --------------------------------------------------------------------------- expected outputs


@contextmanager
def _outputs_env(outputs: Path):
    saved = os.environ.get(config.OUTPUTS_ENV)
    os.environ[config.OUTPUTS_ENV] = str(outputs)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(config.OUTPUTS_ENV, None)
        else:
            os.environ[config.OUTPUTS_ENV] = saved


def expected_outputs(run: Run, p: dict, outputs: Path) -> list[Path]:
    """The files a run of a project notebook will write (absolute), from the page modules; [] for other notebooks."""
    name = run.notebook.name
    with _outputs_env(outputs):
        if name == "01_aluerajat.ipynb":
            from helpers.site.boundary_pages import page_path

            page = page_path(p["level"], p["year"], p.get("mainland", False))
            return [page, page.with_suffix(".png")] if p.get("png") else [page]
        if name == "02_indikaattorit.ipynb":
            from helpers.site.indicator_pages import page_path

            latest = max(p["years"])
            return [page_path(ind, p["level"], latest) for ind in p["indicators"]]
        if name == "03_mallivertailu.ipynb":
            from helpers.site.model_pages import page_path

            return [page_path(list(p["models"]), p["year"], p["staffing"])]
        if name == "04_kyselyt.ipynb":
            from helpers.site.survey_pages import page_path

            return [page_path()]
        if name == "05_alueprofiili.ipynb":
            from helpers.site.build import profile_path

            return [profile_path(p["region"])]
    return []


# --------------------------------------------------------------------------- all together


def full_parameters(run: Run) -> dict:
    from helpers.pipeline.runs import _defaults, declared_parameters

    return {**_defaults(declared_parameters(run.notebook)), **run.parameters}


def preflight(runs: list[Run], outputs: Path) -> dict[str, list[str]]:
    """Raise ConfigError listing every problem found; return run name -> expected outputs (relative paths)."""
    outputs = Path(outputs).resolve()
    problems: list[str] = []
    params = {run.name: full_parameters(run) for run in runs}
    mirror = config.mirror_dir()
    blocked_years: set[int] = set()
    if mirror is not None:
        cat = read_mirror(check_mirror_folder(mirror))
        for run in runs:
            found = mirror_problems(run, params[run.name], cat)
            if found and run.notebook.name in MODEL_NOTEBOOKS:
                blocked_years.update(_key_years(run, params[run.name]))
            problems += found
    model_years: set[int] = set()
    for run in runs:
        p = params[run.name]
        if run.notebook.name == "03_mallivertailu.ipynb" and isinstance(p.get("models"), list):
            twice = sorted({m for m in p["models"] if p["models"].count(m) > 1}, key=str)
            if twice:
                problems.append(f"run {run.name} ({run.notebook.name}): models={p['models']!r} lists {', '.join(map(str, twice))} "
                                "more than once; allowed: two or more different models")
        if run.notebook.name in MODEL_NOTEBOOKS:
            model_years.update(y for y in _key_years(run, p) if y not in blocked_years)
    if model_years or any(r.notebook.name in MODEL_NOTEBOOKS for r in runs):
        problems += model_problems(model_years)
    expected: dict[str, list[str]] = {}
    writer: dict[str, str] = {}
    real_outputs = os.path.realpath(outputs)
    for run in runs:
        rels = []
        try:
            for path in expected_outputs(run, params[run.name], outputs):
                rels.append(inside(outputs, path, real_root=real_outputs).relative_to(outputs).as_posix())
        except (SoteError, KeyError, TypeError, ValueError) as exc:
            problems.append(f"run {run.name} ({run.notebook.name}): {exc}")
            continue
        for rel in rels:
            if rel in writer:
                problems.append(f"runs {writer[rel]} and {run.name} both write {rel}; allowed: one run per output file")
            else:
                writer[rel] = run.name
        expected[run.name] = rels
    if problems:
        raise ConfigError(f"{len(problems)} problem(s) found before any run; nothing was executed:" + problem_list(problems))
    return expected
