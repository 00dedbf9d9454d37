"""Refresh job (first version): run the boundary notebook for each level with papermill."""

from __future__ import annotations

import papermill as pm

from . import config

LEVELS = ("hyvinvointialue", "maakunta", "kunta", "yhteistyoalue", "erva2020")


def refresh_all(year: int = 2025) -> int:
    runs = config.outputs_dir() / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    for level in LEVELS:
        pm.execute_notebook(
            str(config.NOTEBOOKS_DIR / "01_aluerajat.ipynb"),
            str(runs / f"01_aluerajat_{level}_{year}.ipynb"),
            parameters={"year": year, "level": level},
            kernel_name=config.KERNEL_NAME,
            cwd=str(config.NOTEBOOKS_DIR),
            execution_timeout=600,
        )
    return 0
