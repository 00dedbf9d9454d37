"""The package's layout (ARCHITECTURE.md): stages import one way, no module imports a module that imports it back.

Reads the source with ``ast`` (nothing is imported), so imports inside functions count as well as those at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "helpers"
# Lowest first: a module may import from its own stage and the stages before it, never from a later one.
STAGES = ("base", "sources", "geo", "tables", "models", "figures", "site", "pipeline")
FACADES = {"helpers.notebook": len(STAGES)}  # the notebooks' entry point sits above every stage


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(path: Path, name: str, known: set[str]) -> set[str]:
    """Every package module ``path`` imports, wherever in the file: ``from helpers.x import y`` counts as an import of
    helpers.x.y when that is a module, else of helpers.x."""
    is_package = path.name == "__init__.py"
    here = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "helpers")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "helpers":
                continue
            subs = {f"{target}.{a.name}" for a in node.names} & known
            found.update(subs or {target})
    return {m for m in found if m in known and m != name}


def import_graph() -> dict[str, set[str]]:
    modules = package_modules()
    known = set(modules)
    return {name: imported_modules(path, name, known) for name, path in modules.items()}


def stage_of(name: str) -> int | None:
    if name in FACADES:
        return FACADES[name]
    parts = name.split(".")
    if len(parts) >= 2 and parts[1] in STAGES:
        return STAGES.index(parts[1])
    return None


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_every_module_belongs_to_a_stage():
    loose = [m for m in package_modules() if m != "helpers" and stage_of(m) is None]
    assert loose == [], f"modules outside the stage folders (base, sources, ..., pipeline): {loose}"


def test_no_module_imports_a_module_that_imports_it_back():
    found = cycles(import_graph())
    assert found == [], "import circles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_imports_point_from_later_stages_to_earlier_ones():
    upward = [f"{m} ({STAGES[stage_of(m)] if stage_of(m) < len(STAGES) else 'facade'}) imports {t} "
              f"({STAGES[stage_of(t)] if stage_of(t) < len(STAGES) else 'facade'})"
              for m, targets in import_graph().items() for t in sorted(targets)
              if stage_of(m) is not None and stage_of(t) is not None and stage_of(t) > stage_of(m)]
    assert upward == [], "imports from a lower stage to a higher one:\n" + "\n".join(upward)


def test_the_package_and_stage_initialisers_import_only_the_ground_floor():
    """Importing one module of a stage must not drag in the rest of the package (the former module paths are
    forwarded lazily by ``helpers.base.moved``)."""
    graph = import_graph()
    for package in ("helpers", *(f"helpers.{stage}" for stage in STAGES)):
        above = {m for m in graph[package] if not m.startswith("helpers.base")}
        assert above == set(), f"{package} imports {above}"


def test_the_walker_sees_a_circle_and_an_upward_import(tmp_path):
    """The checks above would fail on a planted circle and a planted upward import."""
    graph = import_graph()
    planted = {k: set(v) for k, v in graph.items()}
    planted["helpers.base.config"].add("helpers.pipeline.job")
    assert any("helpers.base.config" in c for c in cycles(planted))
    assert stage_of("helpers.pipeline.job") > stage_of("helpers.base.config")
    # function-level and relative imports count too
    src = tmp_path / "helpers" / "sources" / "x.py"
    src.parent.mkdir(parents=True)
    src.write_text("def f():\n    from ..site import pages\n    import helpers.pipeline.job\n", encoding="utf-8")
    assert imported_modules(src, "helpers.sources.x", set(graph)) == {"helpers.site.pages", "helpers.pipeline.job"}


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_has_its_tests_folder(stage):
    assert (Path(__file__).parent / stage).is_dir() or stage == "base"


def test_former_module_paths_still_import_the_same_module_with_a_warning_naming_the_new_one():
    import importlib
    import subprocess
    import sys

    from helpers.base.moved import FORMER_CONTENTS, MOVED_MODULES

    for old, new in MOVED_MODULES.items():
        assert importlib.util.find_spec(new) is not None, (old, new)
    # A fresh interpreter, so that the old names are imported for the first time there.
    code = (
        "import warnings; warnings.simplefilter('error', FutureWarning)\n"
        "import helpers.tables.indicators as new\n"
        "try:\n"
        "    from helpers.indicators import indicator_table\n"
        "except FutureWarning as w:\n"
        "    print('W1', w)\n"
        "warnings.simplefilter('ignore', FutureWarning)\n"
        "from helpers.indicators import indicator_table\n"
        "import helpers.analysis.scorecard as old_scorecard, helpers.models.scorecard as scorecard\n"
        "from helpers.models import load_model\n"
        "from helpers.models.model_files import load_model as new_load_model\n"
        "print('SAME', indicator_table is new.indicator_table, old_scorecard is scorecard, load_model is new_load_model,\n"
        "      scorecard.__spec__.name)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "W1 helpers.indicators has moved to helpers.tables.indicators" in out
    assert "SAME True True True helpers.models.scorecard" in out
    assert set(FORMER_CONTENTS) == {"helpers.models", "helpers.sources", "helpers.site", "helpers.pipeline"}
