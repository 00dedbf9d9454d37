"""Support-structure models as data: one YAML file per model in ``data/mallit/``.

A model says what its units are built from (``basis``): a regional level of the municipality key (maakunta,
erva2020, yhteistyoalue, hyvinvointialue), the whole country (``koko_maa``), or explicit ``groups`` of welfare
regions, maakunnat or municipalities. ``resolve(model, year)`` turns that into a municipality -> unit table for the
year's division, checked so that every mainland municipality is in exactly one unit (Åland as the model says).
A researcher adds a model by adding a file: every valid file joins the scorecard and the model view (no runs.yaml
edit), and the refresh checks every file before any kernel starts (:func:`file_problems`), naming a missing, unknown
or doubled area by its code and name. ``source`` is optional: a researcher's own model is shown as "own model, not
from a source" (:data:`OWN_MODEL`, :func:`source_text`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError as PydanticError, model_validator

from helpers.base import config
from helpers.base.errors import SoteError, ValidationError, invalid
from helpers.geo.municipality_key import key_inputs, municipality_key, units_for

MODELS_DIR = config.DATA_DIR / "mallit"
LEVEL_BASES = ("maakunta", "erva2020", "yhteistyoalue", "hyvinvointialue")
MODEL_YEARS = (2025, 2026)  # population 31.12.2024 is on the 2025 division (same municipalities in 2026)


class Names(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fi: str
    sv: str | None = None
    en: str | None = None

    def get(self, lang: str) -> str:
        return getattr(self, lang, None) or self.fi


# What a page shows as the source of a model whose file names none (a researcher's own model).
OWN_MODEL = {"fi": "oma malli, ei lähteestä", "sv": "egen modell, inte från en källa", "en": "own model, not from a source"}


class SourceRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seed: str | None = None  # the seed document the figures were read from (models of the 2020 debate)
    date: str
    citation: str
    ref: str | None = None  # key of the cited document in data/lahteet.csv (pages cite it, never the seed file)
    _own: bool = PrivateAttr(default=False)  # set only for a file without 'source' (a researcher's own model)

    @property
    def own(self) -> bool:
        return self._own


def own_source() -> SourceRef:
    """The source of a model file without one: the citation in all three languages (pages that cite by one string
    show them all; :func:`source_text` gives one language), no date, no document."""
    ref = SourceRef(date="", citation=" / ".join(OWN_MODEL.values()))
    ref._own = True
    return ref


class Unit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[0-9a-z_]+$")
    name: Names
    members: list[str] = Field(min_length=1)
    headcount: float | None = Field(default=None, ge=0)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[0-9a-z_]+$")
    name: Names
    source: SourceRef = Field(default_factory=own_source)  # optional: own models have none
    basis: Literal["maakunta", "erva2020", "yhteistyoalue", "hyvinvointialue", "koko_maa", "groups"]
    member_level: Literal["hyvinvointialue", "maakunta", "kunta"] | None = None
    aland: Literal["excluded", "own_unit"] = "excluded"
    regional_htv_per_unit: float | None = Field(default=None, ge=0)
    coordination_htv: float | None = Field(default=None, ge=0)
    coordination_headcount: float | None = Field(default=None, ge=0)
    staffing_applies: bool = True
    projects: dict | None = None
    known_projects: dict[str, str] | None = None
    survey_question: Literal["maakunta", "erva"] | None = None
    units: list[Unit] | None = None
    notes: Names | None = None

    @model_validator(mode="after")
    def _groups_need_units(self):
        if self.basis == "groups":
            if not self.units or not self.member_level:
                raise ValueError("basis 'groups' needs 'member_level' and a non-empty 'units' list")
            codes = [u.code for u in self.units]
            dup = sorted({c for c in codes if codes.count(c) > 1})
            if dup:
                raise ValueError(f"unit codes used twice: {dup}")
            # a member in two units is named (code, name and units) by resolve(), which knows the year's names
        elif self.units:
            raise ValueError(f"basis {self.basis!r} derives its units; 'units' is only for basis 'groups'")
        return self

    def label(self, lang: str = "fi") -> str:
        return self.name.get(lang)

    @property
    def own(self) -> bool:
        """A researcher's own model: the file names no source."""
        return self.source.own

    @property
    def htv_known(self) -> bool:
        return self.regional_htv_per_unit is not None and self.coordination_htv is not None


def source_text(model: str | Model, lang: str = "fi") -> str:
    """A model's source in one language: the cited document (data/lahteet.csv), its citation and date, or for an
    own model "own model, not from a source"."""
    m = load_model(model)
    if m.own:
        return OWN_MODEL.get(lang, OWN_MODEL["fi"])
    if m.source.ref:
        from helpers.sources.citations import cite

        return cite(m.source.ref, url=False)
    return f"{m.source.citation}, {m.source.date}" if m.source.date else m.source.citation


def model_names() -> list[str]:
    """Ids of the models in data/mallit/ (file name = id)."""
    return sorted(p.stem for p in MODELS_DIR.glob("*.yaml"))


def parse_model(text: str, where: str) -> Model:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(f"{where}: not valid YAML ({exc})") from None
    try:
        return Model.model_validate(data)
    except PydanticError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'model'}: {e['msg']}" for e in exc.errors())
        raise ValidationError(f"{where}: {problems}") from None


@lru_cache(maxsize=64)
def _load(path: Path, mtime: float) -> Model:
    where = str(path.relative_to(config.PROJECT_ROOT)) if path.is_relative_to(config.PROJECT_ROOT) else str(path)
    model = parse_model(path.read_text(encoding="utf-8"), where)
    if model.id != path.stem:
        raise ValidationError(f"{where}: id {model.id!r} differs from the file name; allowed: id: {path.stem}")
    return model


def load_model(name: str | Model) -> Model:
    if isinstance(name, Model):
        return name
    path = MODELS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise invalid("model", name, model_names())
    return _load(path, path.stat().st_mtime)


def check_year(year) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or year not in MODEL_YEARS:
        raise invalid("year", year, MODEL_YEARS)
    return year


def resolve(model: str | Model, year: int) -> pd.DataFrame:
    """Municipality -> unit for the year: kunta_code, unit_code, unit_name_fi/sv/en (one row per covered
    municipality). Every mainland municipality is in exactly one unit; Åland only if the model includes it."""
    model = load_model(model)
    year = check_year(year)
    # Keyed by the model's content and what the year's key is built from: a region profile resolves the seven
    # models once per language (21 times, 0.4 s).
    memo = (model.model_dump_json(), year, key_inputs(year))
    hit = _RESOLVED.get(memo)
    if hit is not None:
        return hit.copy()
    out = _resolve(model, year)
    _RESOLVED[memo] = out.copy()
    while len(_RESOLVED) > 64:
        _RESOLVED.pop(next(iter(_RESOLVED)))
    return out


_RESOLVED: dict = {}


def _resolve(model: Model, year: int) -> pd.DataFrame:
    key = municipality_key(year)
    if model.aland == "excluded":
        key = key[key["mainland"]]
    if model.basis in LEVEL_BASES:
        units = units_for(year, model.basis).set_index("code")
        unit_code = key[f"{model.basis}_code"]
        out = pd.DataFrame({"kunta_code": key["kunta_code"], "unit_code": unit_code})
        for lang in ("fi", "sv", "en"):
            out[f"unit_name_{lang}"] = unit_code.map(units[f"name_{lang}"]).values
    elif model.basis == "koko_maa":
        out = pd.DataFrame({"kunta_code": key["kunta_code"], "unit_code": "koko_maa"})
        for lang, text in (("fi", "Manner-Suomi"), ("sv", "Fastlandsfinland"), ("en", "Mainland Finland")):
            out[f"unit_name_{lang}"] = text
    else:
        out = _resolve_groups(model, key, year)
    _check_coverage(model, out, key, year)
    return out.sort_values("kunta_code", ignore_index=True)


# member level -> (one, many) in messages
LEVEL_WORDS = {"hyvinvointialue": ("welfare region", "welfare regions"), "maakunta": ("maakunta", "maakunnat"),
               "kunta": ("municipality", "municipalities")}


def _names(key: pd.DataFrame, level: str) -> dict[str, str]:
    """code -> Finnish name of the level's areas in the year's key."""
    return dict(zip(key[f"{level}_code"], key[f"{level}_name_fi"]))


def _shown(codes, names: dict[str, str], limit: int = 12) -> str:
    items = [f"{c} {names[c]}" if c in names else repr(c) for c in codes]
    return ", ".join(items[:limit]) + (f", … ({len(items)} in all)" if len(items) > limit else "")


def _resolve_groups(model: Model, key: pd.DataFrame, year: int) -> pd.DataFrame:
    """Every member code known for the year, none in two units, every area of the level in a unit; one message
    naming each unknown code and each doubled or missing area by its code and name."""
    level = model.member_level
    one, many = LEVEL_WORDS[level]
    names = _names(key, level)
    problems = []
    listed = [m for u in model.units for m in u.members]
    unknown = sorted(set(listed) - set(names))
    if unknown:
        problems.append(f"model {model.id}: unknown {level} codes {unknown} (no {one} of {year} has "
                        f"{'this code' if len(unknown) == 1 else 'these codes'})")
    units_of: dict[str, list[str]] = {}
    for u in model.units:
        for m in u.members:
            units_of.setdefault(m, []).append(u.code)
    twice = sorted(m for m, us in units_of.items() if len(us) > 1)
    if twice:
        problems.append(f"model {model.id} ({year}): members in more than one unit: {twice} ("
                        + "; ".join(f"{m} {names.get(m, '?')} in units {', '.join(dict.fromkeys(units_of[m]))}" for m in twice) + ")")
    missing = sorted(set(names) - set(units_of))
    if missing:
        count = int(key[f"{level}_code"].isin(missing).sum())
        what = (_shown(missing, names) if level == "kunta" else
                f"the {count} municipalities of {one if len(missing) == 1 else many} {_shown(missing, names)}")
        problems.append(f"model {model.id} ({year}): municipalities in no unit: {what}")
    if problems:
        allowed = (f"each {one} of {year} in exactly one unit, codes {', '.join(sorted(names))}" if level != "kunta" else
                   f"each of the {len(names)} municipalities of {year} in exactly one unit, by three-digit code")
        raise ValidationError("; ".join(problems) + f"; allowed: {allowed}")
    col = f"{level}_code"
    member_to_unit = {m: u for u in model.units for m in u.members}
    unit_of = key[col].map(lambda c: member_to_unit[c].code if c in member_to_unit else None)
    out = pd.DataFrame({"kunta_code": key["kunta_code"], "unit_code": unit_of})
    for lang in ("fi", "sv", "en"):
        out[f"unit_name_{lang}"] = key[col].map(lambda c: member_to_unit[c].name.get(lang) if c in member_to_unit else None)
    return out


def _check_coverage(model: Model, out: pd.DataFrame, key: pd.DataFrame, year: int) -> None:
    names = _names(key, "kunta")
    none = out.loc[out["unit_code"].isna(), "kunta_code"].tolist()
    if none:
        raise ValidationError(f"model {model.id} ({year}): municipalities in no unit: {_shown(none, names, 15)}")
    if out["kunta_code"].duplicated().any():
        raise ValidationError(f"model {model.id} ({year}): municipalities in two units: "
                              f"{_shown(out.loc[out['kunta_code'].duplicated(), 'kunta_code'].tolist(), names)}")
    expected = set(key["kunta_code"])
    if set(out["kunta_code"]) != expected:
        raise ValidationError(f"model {model.id} ({year}): coverage differs from the municipality key "
                              f"(missing: {_shown(sorted(expected - set(out['kunta_code'])), names)})")


def file_problems(path: Path, years) -> list[str]:
    """What is wrong with one model file (syntax with its line, schema, id, and for each year: codes, every
    municipality in exactly one unit), each message naming the file; [] for a good file. The refresh calls this
    for every file in data/mallit/ before any kernel starts."""
    rel = path.relative_to(config.PROJECT_ROOT) if path.is_relative_to(config.PROJECT_ROOT) else path
    try:
        text = path.read_text(encoding="utf-8")
        parse_model(text, str(rel))
        model = _load(path, path.stat().st_mtime)
        for year in sorted(years):
            resolve(model, year)
    except (SoteError, OSError, UnicodeDecodeError, ValueError) as exc:
        msg = str(exc) if not isinstance(exc, OSError) else f"cannot read it ({exc.strerror or exc})"
        return [msg if msg.startswith(str(rel)) else f"{rel}: {msg}"]
    return []


def mapping(model: str | Model, year: int) -> pd.Series:
    """kunta_code -> unit_code, for indicator_table(level='custom', mapping=...)."""
    res = resolve(model, year)
    return res.set_index("kunta_code")["unit_code"]


def unit_layer(model: str | Model, year: int):
    """Polygon layer of the model's units (coverage dissolve of the municipalities)."""
    from helpers.geo.layers import load_layer
    from helpers.geo.groupings import dissolve_municipalities

    res = resolve(model, year)
    kunta = load_layer("kunta", year)
    kunta = kunta[kunta["code"].isin(res["kunta_code"])].reset_index(drop=True)
    units = res.drop(columns="kunta_code").drop_duplicates("unit_code").rename(
        columns={"unit_code": "code", "unit_name_fi": "name_fi", "unit_name_sv": "name_sv", "unit_name_en": "name_en"})
    layer = dissolve_municipalities(kunta, res.set_index("kunta_code")["unit_code"], units)
    layer["level"] = "model_unit"
    layer["year"] = year
    return layer
