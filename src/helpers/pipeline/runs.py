"""The runs file: which notebooks the refresh executes, with which parameters, and the checks made before any kernel.

``runs.yaml`` lists entries; each names a notebook, fixed ``parameters`` and an optional ``matrix`` whose values expand
into every combination. A matrix value is a list, or ``{all: models, size: 2}`` (every combination of that many model
files) or ``{all: regions, year: 2025}`` (every welfare-region code of the year, Helsinki and Åland included).
``name`` is a template filled from the parameters (lists joined by ``-``); names must be unique.

Validation happens for every run before execution: parameter names and types against the notebook's tagged
parameters cell (read with json + ast, as papermill infers them), then values against what the package allows (years, levels, models,
indicators, regions), using the same checks the notebooks call.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import math
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError as PydanticError

from helpers.base import config
from helpers.base.errors import ConfigError, InvalidParameter, SoteError
from helpers.base.languages import check_lang

RUNS_FILE = config.PROJECT_ROOT / "runs.yaml"

# Bounds on what a runs file may ask for: the job is unattended, so a hostile or mistaken file must end in a short
# message, never in gigabytes of memory or of error text.
MAX_RUNS_FILE_BYTES = 1024 * 1024
MAX_RUNS = 20_000
MAX_ALIASES = 100  # YAML aliases (*x) in one file
MAX_NODES = 200_000  # values after alias expansion (billion-laughs guard)
MAX_PARAMETER_CHARS = 10_000  # one parameter value as JSON
MAX_NAME_CHARS = 120
SAFE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
MAX_PROBLEMS = 20  # error lists show this many
MAX_LINE_CHARS = 300  # and clip each line to this


def clip(text, limit: int = MAX_LINE_CHARS) -> str:
    """One message line, at most ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def problem_list(problems: list[str]) -> str:
    """The first MAX_PROBLEMS problems (each clipped) and how many more there were."""
    shown = [clip(p) for p in problems[:MAX_PROBLEMS]]
    more = len(problems) - len(shown)
    return "\n  " + "\n  ".join(shown) + (f"\n  … and {more} more" if more > 0 else "")


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses more than MAX_ALIASES aliases (expansion is bounded separately by _count_nodes)."""

    aliases_seen = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.aliases_seen += 1
            if self.aliases_seen > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise ConfigError(f"line {mark.line + 1}: more than {MAX_ALIASES} YAML aliases; allowed: at most {MAX_ALIASES}")
        return super().compose_node(parent, index)


def _count_nodes(value, budget: list[int]) -> None:
    # Walks the data as it would be expanded (shared alias targets count every time they are reached).
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError(f"more than {MAX_NODES} values after expanding YAML aliases; allowed: at most {MAX_NODES}")
    if isinstance(value, dict):
        for k, v in value.items():
            _count_nodes(k, budget)
            _count_nodes(v, budget)
    elif isinstance(value, list):
        for v in value:
            _count_nodes(v, budget)


def safe_yaml_load(text: str, where: str):
    """yaml.safe_load with bounded aliases and expansion; errors name the file and line."""
    loader = _BoundedLoader(text)
    try:
        data = loader.get_single_data()
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise ConfigError(f"{where}: {line}not valid YAML ({clip(getattr(exc, 'problem', None) or exc, 200)})") from None
    except RecursionError:
        raise ConfigError(f"{where}: nested too deeply") from None
    finally:
        loader.dispose()
    try:
        _count_nodes(data, [MAX_NODES])
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{where}: nested too deeply (or a recursive alias)") from None
    return data


def template_fields(template: str, where: str) -> list[str]:
    """The parameter names a name template uses; only plain ``{param}`` fields are allowed."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ConfigError(f"{where}: name template {clip(template, 80)!r} is malformed ({exc}); allowed: text and {{param}} fields") from None
    fields = []
    for _literal, field_name, spec, conversion in parsed:
        if field_name is None:
            continue
        if not field_name.isidentifier() or spec or conversion:
            shown = "{" + field_name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise ConfigError(f"{where}: name template field {clip(shown, 80)!r} is not allowed; allowed: {{param}} "
                              "(a parameter name only: no attribute access, indexing, conversion or format spec)")
        fields.append(field_name)
    return fields


def check_run_name(name: str, where: str) -> str:
    """A run name becomes file names under outputs/: ASCII letters, digits, '_' and '-', bounded length."""
    if not (0 < len(name) <= MAX_NAME_CHARS) or not SAFE_NAME.match(name) or not name.isascii():
        raise ConfigError(f"{where}: run name {clip(name, 80)!r} is not allowed; allowed: 1–{MAX_NAME_CHARS} ASCII letters, "
                          "digits, '_' and '-' (after filling the template)")
    return name


class RunEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    notebook: str = Field(min_length=1)
    description: str = ""
    tags: list[str] = []
    parameters: dict[str, Any] = {}
    matrix: dict[str, Any] = {}


class RunsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    runs: list[RunEntry]


@dataclass(frozen=True)
class Run:
    """One notebook execution: a unique name, the notebook file, its parameters and tags."""

    name: str
    notebook: Path
    parameters: dict = field(hash=False)
    tags: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"{self.name} ({self.notebook.name} {json.dumps(self.parameters, ensure_ascii=False)})"


# --------------------------------------------------------------------------- loading and expansion


def _generated(spec: dict, where: str) -> list:
    from helpers.models.model_files import model_names

    kind = spec.get("all")
    if kind == "models":
        size = spec.get("size", 2)
        if not isinstance(size, int) or size < 2:
            raise ConfigError(f"{where}: size={clip(repr(size), 60)} is not allowed; allowed: an integer of 2 or more")
        return [list(c) for c in itertools.combinations(model_names(), size)]
    if kind == "regions":
        from helpers.site.build import region_codes

        return region_codes(spec.get("year", 2025))
    raise ConfigError(f"{where}: {{all: {clip(repr(kind), 60)}}} is not allowed; allowed: all: models (with size), all: regions (with year)")


def _name_part(value) -> str:
    if isinstance(value, (list, tuple)):
        return "-".join(_name_part(v) for v in value)
    return str(value).replace(":", "-")  # sotkanet:186 -> sotkanet-186: run names are file names


def _read_runs_file(path: Path):
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ConfigError(f"runs file {path}: cannot read it ({exc.strerror or exc})") from None
    if size > MAX_RUNS_FILE_BYTES:
        raise ConfigError(f"runs file {path}: {size} bytes; allowed: at most {MAX_RUNS_FILE_BYTES} bytes")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"runs file {path}: cannot read it ({clip(exc, 200)})") from None
    return safe_yaml_load(text, f"runs file {path}")


def _check_parameters(params: dict, where: str) -> None:
    for key, value in params.items():
        try:
            size = len(json.dumps(value, ensure_ascii=False, default=str))
        except (TypeError, ValueError, RecursionError):
            raise ConfigError(f"{where}: parameter {clip(key, 60)!r} is not a plain value; allowed: numbers, text, lists, mappings") from None
        if size > MAX_PARAMETER_CHARS:
            raise ConfigError(f"{where}: parameter {clip(key, 60)!r} is {size} characters as JSON; allowed: at most {MAX_PARAMETER_CHARS}")


def load_runs(path: str | Path | None = None, notebooks_dir: Path | None = None) -> list[Run]:
    """Read and expand the runs file; errors name the file, the entry and the problem."""
    path = Path(path or RUNS_FILE)
    notebooks_dir = Path(notebooks_dir or config.NOTEBOOKS_DIR)
    raw = _read_runs_file(path)
    try:
        spec = RunsFile.model_validate(raw)
    except PydanticError as exc:
        problems = [f"{'.'.join(clip(p, 40) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(f"runs file {path}: {len(problems)} problem(s):{problem_list(problems)}") from None
    runs: list[Run] = []
    for i, entry in enumerate(spec.runs):
        where = f"runs file {path}, entry {i + 1} ({clip(entry.name, 60)})"
        fields = template_fields(entry.name, where)
        notebook = notebooks_dir / entry.notebook
        if Path(entry.notebook).name != entry.notebook or not notebook.is_file():
            available = sorted(p.name for p in notebooks_dir.glob("*.ipynb"))
            raise ConfigError(f"{where}: notebook {clip(entry.notebook, 80)!r} not found; available: {', '.join(available)}")
        _check_parameters(entry.parameters, where)
        axes = {k: (_generated(v, where) if isinstance(v, dict) else v) for k, v in entry.matrix.items()}
        for k, v in axes.items():
            if not isinstance(v, list) or not v:
                raise ConfigError(f"{where}: matrix value for {clip(k, 60)!r} must be a non-empty list or {{all: ...}}")
            for value in v:
                _check_parameters({k: value}, where)
        count = math.prod(len(v) for v in axes.values()) if axes else 1
        if len(runs) + count > MAX_RUNS:
            raise ConfigError(f"runs file {path}: more than {MAX_RUNS} runs after expanding the matrices "
                              f"({where} alone makes {count}); allowed: at most {MAX_RUNS}")
        for combo in itertools.product(*axes.values()) if axes else [()]:
            params = {**entry.parameters, **dict(zip(axes, combo))}
            missing = [f for f in fields if f not in params]
            if missing:
                raise ConfigError(f"{where}: name template uses {missing[0]!r} which is not a parameter; parameters: {', '.join(params)}")
            name = entry.name.format(**{k: _name_part(params[k]) for k in fields})
            check_run_name(name, where)
            runs.append(Run(name=name, notebook=notebook, parameters=params, tags=tuple(entry.tags)))
    seen: dict[str, Run] = {}
    for run in runs:
        if run.name in seen:
            raise ConfigError(f"runs file {path}: run name {run.name!r} is used twice ({clip(seen[run.name].describe(), 140)} and {clip(run.describe(), 140)})")
        seen[run.name] = run
    return runs


def select(runs: list[Run], only: list[str] | None = None, tags: list[str] | None = None) -> list[Run]:
    """Runs whose name matches one of ``only`` (shell patterns) and that carry one of ``tags``."""
    chosen = runs
    if only:
        for pattern in only:
            if not any(fnmatch.fnmatchcase(r.name, pattern) for r in runs):
                raise InvalidParameter(f"--only {pattern!r} matches no run; runs: {', '.join(r.name for r in runs)}")
        chosen = [r for r in chosen if any(fnmatch.fnmatchcase(r.name, p) for p in only)]
    if tags:
        known = sorted({t for r in runs for t in r.tags})
        for tag in tags:
            if tag not in known:
                raise InvalidParameter(f"--tag {tag!r} is not used by any run; tags: {', '.join(known)}")
        chosen = [r for r in chosen if set(tags) & set(r.tags)]
    return chosen


# --------------------------------------------------------------------------- validation

# papermill's inferred type names -> Python types a value may have
_TYPES: dict[str, tuple[type, ...]] = {"int": (int,), "float": (int, float), "str": (str,), "bool": (bool,),
                                       "list": (list, tuple), "dict": (dict,)}


def parameters_cell_source(nb: dict) -> str | None:
    """Source of the cell tagged ``parameters`` (papermill's rule: the first such cell), None if there is none."""
    for cell in nb.get("cells", []):
        if "parameters" in ((cell.get("metadata") or {}).get("tags") or []):
            source = cell.get("source", "")
            return "".join(source) if isinstance(source, list) else str(source)
    return None


def parse_parameters(source: str) -> dict[str, dict]:
    """Name -> {name, inferred_type_name, default, help} for each top-level assignment, as papermill infers them:
    the annotation (or "None"), the default's source text and the comment at the end of its last line."""
    import ast
    import io
    import tokenize

    comments: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                comments[tok.start[0]] = tok.string.lstrip("#").strip()
        tree = ast.parse(source)
    except (SyntaxError, tokenize.TokenError, ValueError) as exc:
        raise SoteError(f"the parameters cell is not valid Python ({clip(exc, 160)})") from None
    out: dict[str, dict] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            name, annotation = stmt.target.id, ast.get_source_segment(source, stmt.annotation) or "None"
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name, annotation = stmt.targets[0].id, "None"
        else:
            continue
        out[name] = {"name": name, "inferred_type_name": annotation.strip("'\" ").strip(),
                     "default": (ast.get_source_segment(source, stmt.value) or "").strip(),
                     "help": comments.get(stmt.end_lineno, "")}
    return out


_DECLARED_CACHE: dict[tuple, dict[str, dict]] = {}


def declared_parameters(notebook: Path) -> dict[str, dict]:
    """Name -> {inferred_type_name, default, help} from the notebook's cell tagged ``parameters``.

    Read with json + ast (importing papermill/nbformat would cost seconds per refresh) and kept per notebook file
    (path, size, modification time), so thousands of runs of one notebook parse it once."""
    notebook = Path(notebook)
    st = notebook.stat()
    key = (str(notebook.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _DECLARED_CACHE:
        try:
            nb = json.loads(notebook.read_bytes())
        except (ValueError, UnicodeDecodeError) as exc:
            raise SoteError(f"{notebook.name}: not a readable notebook ({clip(exc, 160)})") from None
        source = parameters_cell_source(nb if isinstance(nb, dict) else {})
        declared = parse_parameters(source) if source is not None else {}
        if not declared:
            raise SoteError(f"{notebook.name}: no cell tagged 'parameters'; the refresh only runs parameterised notebooks")
        _DECLARED_CACHE[key] = declared
    return _DECLARED_CACHE[key]


def _declared_type(info: dict) -> str:
    """The annotated type (``year: int = 2025``), else the type of the default literal."""
    import ast

    name = (info.get("inferred_type_name") or "None").split("[")[0].strip()
    if name in _TYPES:
        return name
    try:
        default = ast.literal_eval(info["default"])
    except (ValueError, SyntaxError):
        return "None"
    return {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}.get(type(default), "None")


def _check_types(run: Run, declared: dict[str, dict]) -> None:
    for name, value in run.parameters.items():
        if name not in declared:
            raise InvalidParameter(f"{run.notebook.name}: unknown parameter {name}={value!r}; the notebook declares: {', '.join(declared)}")
        type_name = _declared_type(declared[name])
        allowed = _TYPES.get(type_name)
        if allowed is None:
            continue  # a None default or an expression: nothing to check the type against
        ok = isinstance(value, allowed) and not (isinstance(value, bool) and bool not in allowed)
        if not ok:
            hint = f"; {declared[name]['help']}" if declared[name].get("help") else ""
            raise InvalidParameter(f"{run.notebook.name}: parameter {name}={value!r} has type {type(value).__name__}; "
                                   f"allowed: {type_name} (default {declared[name]['default']}{hint})")


def _lang(p):
    if "lang" in p:
        check_lang(p["lang"])


def _boundaries(p):
    from helpers.base.errors import invalid
    from helpers.geo.layers import allowed_years
    from helpers.geo.municipality_key import KEY_LEVELS

    if p["level"] not in KEY_LEVELS:
        raise invalid("level", p["level"], KEY_LEVELS)
    if p["year"] not in allowed_years("kunta"):
        raise invalid("year", p["year"], allowed_years("kunta"))
    _lang(p)


_REQUEST_MEMO: dict = {}  # (indicator, years, level, division year) that passed, cleared by each validate()


def _check_request(indicator, years, level, division_year) -> None:
    """indicators.check_request, once per distinct request in a validation (thousands of runs share requests)."""
    from helpers.base.errors import invalid
    from helpers.tables.indicators import check_request

    if not isinstance(indicator, str):  # a list or a mapping would reach pandas' comparisons and fail there
        raise invalid("indicator", indicator, "an indicator id (text) of data/indikaattorit.csv, e.g. 'osuus_65', or a Sotkanet id, e.g. 'sotkanet:186'")

    try:
        key = json.dumps([indicator, years, level, division_year], sort_keys=True, default=repr)
    except (TypeError, ValueError):
        key = None
    if key is not None and key in _REQUEST_MEMO:
        return
    check_request(indicator, years, level, division_year, None)
    if key is not None:
        _REQUEST_MEMO[key] = True


def _texts(p: dict, name: str, what: str, allowed: str) -> None:
    """A list parameter whose items must be text (ids, names): a list or mapping among them is named here, before
    the package's checks compare or hash it."""
    for item in p[name] if isinstance(p[name], (list, tuple)) else []:
        if not isinstance(item, str):
            raise InvalidParameter(f"{name}={clip(repr(p[name]), 120)} holds {clip(repr(item), 60)}, which is not {what}; "
                                   f"allowed: a list of {allowed}")


def _indicators(p):
    from helpers.figures.classify import SCHEMES
    from helpers.base.errors import invalid

    if not p["indicators"]:
        raise invalid("indicators", p["indicators"], "one or more indicator ids")
    _texts(p, "indicators", "an indicator id", "indicator ids (text) of data/indikaattorit.csv or Sotkanet ids, e.g. ['osuus_65', 'sotkanet:186']")
    for ind in p["indicators"]:
        _check_request(ind, p["years"], p["level"], p["division_year"])
    if p["scheme"] not in SCHEMES:
        raise invalid("scheme", p["scheme"], SCHEMES)
    from helpers.figures.classify import check_scheme

    check_scheme(p["scheme"], p.get("bins") or None)
    _lang(p)


def _models(p):
    from helpers.models.metrics import check_staffing
    from helpers.site.model_pages import check_models
    from helpers.models.model_files import check_year

    check_models(p["models"])
    check_year(p["year"])
    check_staffing(p["staffing"])
    _check_request(p["indicator"], p["indicator_years"], "hyvinvointialue", p["year"])


def _surveys(p):
    from helpers.models.model_files import check_year

    check_year(p["year"])


def _profile(p):
    from helpers.base.errors import invalid
    from helpers.models.model_files import check_year
    from helpers.site.build import region_codes

    check_year(p["year"])
    codes = region_codes(p["year"])
    if p["region"] not in codes:
        raise invalid("region", p["region"], codes)
    _lang(p)


def _scorecard(p):
    from helpers.models.scorecard import check_request

    _texts(p, "models", "a model id", "model ids (text) of data/mallit/, e.g. ['malli_18_1', 'malli_5_1_yta']")
    _texts(p, "staffings", "a staffing convention", "staffing conventions (text), e.g. ['sama_per_yksikko']")
    check_request(p["models"], p["year"], p["staffings"], p["budget"], p["ks"], p["lang"])


# notebook file name -> value check over the complete parameters (declared defaults + the run's own)
VALUE_CHECKS: dict[str, Callable[[dict], None]] = {
    "01_aluerajat.ipynb": _boundaries,
    "02_indikaattorit.ipynb": _indicators,
    "03_mallivertailu.ipynb": _models,
    "04_kyselyt.ipynb": _surveys,
    "05_alueprofiili.ipynb": _profile,
    "06_tulostaulu.ipynb": _scorecard,
}


def _defaults(declared: dict[str, dict]) -> dict:
    import ast

    out = {}
    for name, info in declared.items():
        try:
            out[name] = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError):
            pass
    return out


def validate(runs: list[Run]) -> None:
    """Check every run; raise one InvalidParameter listing each bad run (notebook, parameter, value, allowed)."""
    problems = []
    _REQUEST_MEMO.clear()
    declared_by_nb: dict[Path, dict] = {}
    for run in runs:
        try:
            declared = declared_by_nb.get(run.notebook) or declared_by_nb.setdefault(run.notebook, declared_parameters(run.notebook))
            _check_types(run, declared)
            check = VALUE_CHECKS.get(run.notebook.name)
            if check:
                check({**_defaults(declared), **run.parameters})
        except (InvalidParameter, SoteError, ValueError, TypeError, KeyError) as exc:
            problems.append(f"run {run.name} ({run.notebook.name}): {exc}")
    if problems:
        raise InvalidParameter(f"{len(problems)} run(s) have bad parameters; nothing was executed:" + problem_list(problems))
