"""The project's own set-up contract: same pins in both install paths, clean notebooks, one kernel name."""

import json
import tomllib
from pathlib import Path

import yaml

from helpers.base import config

ROOT = Path(__file__).resolve().parents[1]


def test_environment_yml_has_the_same_pins_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = set(project["dependencies"]).union(*project["optional-dependencies"].values())  # every extra (test, dask)
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert set(pip_section) - {"-e ."} == pins
    assert "-e ." in pip_section
    assert all("==" in p for p in pins)


def test_notebooks_committed_without_outputs_and_with_the_project_kernel():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        assert nb["metadata"]["kernelspec"]["name"] == config.KERNEL_NAME, path.name
        tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{path.name}: one tagged parameters cell"
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell.get("outputs") == [] and cell.get("execution_count") is None, path.name


def test_readme_names_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "./run refresh --mirror ../shared/mirror" in readme
    assert "./run tests" in readme
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("./run tests -q")
