"""The runs file: which notebooks the refresh executes, with which parameters, and the checks made before any kernel.

``runs.yaml`` lists entries; each names a notebook, fixed ``parameters`` and an optional ``matrix`` whose values expand
into every combination. A matrix value is a list, or ``{all: models, size: 2}`` (every combination of that many model
files) or ``{all: regions, year: 2025}`` (every welfare-region code of the year, Helsinki and Åland included).
``name`` is a template filled from the parameters (lists joined by ``-``); names must be unique.

Validation happens for every run before execution: parameter names and types against the notebook's tagged
parameters cell (``papermill.inspect_notebook``), then values against what the package allows (years, levels, models,
indicators, regions), using the same checks the notebooks call.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError as PydanticError

from . import config
from .errors import InvalidParameter, SoteError

RUNS_FILE = config.PROJECT_ROOT / "runs.yaml"
LANGS = ("fi", "sv", "en")


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
    from .models import model_names

    kind = spec.get("all")
    if kind == "models":
        size = spec.get("size", 2)
        if not isinstance(size, int) or size < 2:
            raise SoteError(f"{where}: size={size!r} is not allowed; allowed: an integer of 2 or more")
        return [list(c) for c in itertools.combinations(model_names(), size)]
    if kind == "regions":
        from .site import region_codes

        return region_codes(spec.get("year", 2025))
    raise SoteError(f"{where}: {{all: {kind!r}}} is not allowed; allowed: all: models (with size), all: regions (with year)")


def _name_part(value) -> str:
    if isinstance(value, (list, tuple)):
        return "-".join(_name_part(v) for v in value)
    return str(value)


def load_runs(path: str | Path | None = None, notebooks_dir: Path | None = None) -> list[Run]:
    """Read and expand the runs file; errors name the file, the entry and the problem."""
    path = Path(path or RUNS_FILE)
    notebooks_dir = Path(notebooks_dir or config.NOTEBOOKS_DIR)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SoteError(f"runs file {path}: cannot read it ({exc})") from None
    try:
        spec = RunsFile.model_validate(raw)
    except PydanticError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise SoteError(f"runs file {path}: {problems}") from None
    runs: list[Run] = []
    for i, entry in enumerate(spec.runs):
        where = f"runs file {path}, entry {i + 1} ({entry.name})"
        notebook = notebooks_dir / entry.notebook
        if not notebook.is_file():
            available = sorted(p.name for p in notebooks_dir.glob("*.ipynb"))
            raise SoteError(f"{where}: notebook {entry.notebook!r} not found; available: {', '.join(available)}")
        axes = {k: (_generated(v, where) if isinstance(v, dict) else v) for k, v in entry.matrix.items()}
        for k, v in axes.items():
            if not isinstance(v, list) or not v:
                raise SoteError(f"{where}: matrix value for {k!r} must be a non-empty list or {{all: ...}}")
        for combo in itertools.product(*axes.values()) if axes else [()]:
            params = {**entry.parameters, **dict(zip(axes, combo))}
            try:
                name = entry.name.format(**{k: _name_part(v) for k, v in params.items()})
            except (KeyError, IndexError) as exc:
                raise SoteError(f"{where}: name template uses {exc} which is not a parameter; parameters: {', '.join(params)}") from None
            runs.append(Run(name=name, notebook=notebook, parameters=params, tags=tuple(entry.tags)))
    seen: dict[str, Run] = {}
    for run in runs:
        if run.name in seen:
            raise SoteError(f"runs file {path}: run name {run.name!r} is used twice ({seen[run.name].describe()} and {run.describe()})")
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


def declared_parameters(notebook: Path) -> dict[str, dict]:
    """Name -> {inferred_type_name, default} from the notebook's cell tagged ``parameters``."""
    import papermill as pm

    declared = pm.inspect_notebook(str(notebook))
    if not declared:
        raise SoteError(f"{notebook.name}: no cell tagged 'parameters'; the refresh only runs parameterised notebooks")
    return declared


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
    if "lang" in p and p["lang"] not in LANGS:
        from .errors import invalid

        raise invalid("lang", p["lang"], LANGS)


def _boundaries(p):
    from .errors import invalid
    from .geography import allowed_years
    from .municipality_key import KEY_LEVELS

    if p["level"] not in KEY_LEVELS:
        raise invalid("level", p["level"], KEY_LEVELS)
    if p["year"] not in allowed_years("kunta"):
        raise invalid("year", p["year"], allowed_years("kunta"))
    _lang(p)


def _indicators(p):
    from .classify import SCHEMES
    from .errors import invalid
    from .indicators import check_request

    if not p["indicators"]:
        raise invalid("indicators", p["indicators"], "one or more indicator ids")
    for ind in p["indicators"]:
        check_request(ind, p["years"], p["level"], p["division_year"], None)
    if p["scheme"] not in SCHEMES:
        raise invalid("scheme", p["scheme"], SCHEMES)
    _lang(p)


def _models(p):
    from .indicators import check_request
    from .model_metrics import check_staffing
    from .model_pages import check_models
    from .models import check_year

    check_models(p["models"])
    check_year(p["year"])
    check_staffing(p["staffing"])
    check_request(p["indicator"], p["indicator_years"], "hyvinvointialue", p["year"], None)


def _surveys(p):
    from .models import check_year

    check_year(p["year"])


def _profile(p):
    from .errors import invalid
    from .models import check_year
    from .site import region_codes

    check_year(p["year"])
    codes = region_codes(p["year"])
    if p["region"] not in codes:
        raise invalid("region", p["region"], codes)
    _lang(p)


# notebook file name -> value check over the complete parameters (declared defaults + the run's own)
VALUE_CHECKS: dict[str, Callable[[dict], None]] = {
    "01_aluerajat.ipynb": _boundaries,
    "02_indikaattorit.ipynb": _indicators,
    "03_mallivertailu.ipynb": _models,
    "04_kyselyt.ipynb": _surveys,
    "05_alueprofiili.ipynb": _profile,
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
    declared_by_nb: dict[Path, dict] = {}
    for run in runs:
        try:
            declared = declared_by_nb.get(run.notebook) or declared_by_nb.setdefault(run.notebook, declared_parameters(run.notebook))
            _check_types(run, declared)
            check = VALUE_CHECKS.get(run.notebook.name)
            if check:
                check({**_defaults(declared), **run.parameters})
        except (InvalidParameter, SoteError, ValueError) as exc:
            problems.append(f"run {run.name} ({run.notebook.name}): {exc}")
    if problems:
        raise InvalidParameter(f"{len(problems)} run(s) have bad parameters; nothing was executed:\n  " + "\n  ".join(problems))
