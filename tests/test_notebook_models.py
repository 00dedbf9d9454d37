"""Notebooks 03 (every pair of models) and 04 run by papermill."""

import itertools
from concurrent.futures import ThreadPoolExecutor

import papermill as pm
import pytest

from helpers import config
from helpers.models import model_names

pytestmark = pytest.mark.notebook


def _run(notebook, out, parameters):
    pm.execute_notebook(str(config.NOTEBOOKS_DIR / notebook), str(out), parameters=parameters, kernel_name=config.KERNEL_NAME,
                        cwd=str(config.NOTEBOOKS_DIR), execution_timeout=300, progress_bar=False)


def test_comparison_notebook_runs_for_every_pair(tmp_path):
    pairs = list(itertools.combinations(model_names(), 2))
    assert len(pairs) == 21
    with ThreadPoolExecutor(max_workers=2) as pool:  # kernels are separate processes
        futures = [pool.submit(_run, "03_mallivertailu.ipynb", tmp_path / f"{a}__{b}.ipynb",
                               {"models": [a, b], "year": 2025, "staffing": "sama_kokonaismaara", "indicator": "osuus_65", "indicator_years": [2024]})
                   for a, b in pairs]
        for f in futures:
            f.result()
    site = config.outputs_dir() / "site" / "mallit"
    for a, b in pairs:
        page = (site / f"{a}__{b}_2025_sama_kokonaismaara.html").read_text(encoding="utf-8")
        assert "Kunnat, joiden erva 2020 ja yhteistyöalue eroavat" in page and "CC BY 4.0" in page
    page = (site / "malli_18_1__malli_5_1_erva2020_2025_sama_kokonaismaara.html").read_text(encoding="utf-8")
    assert "72/12/16 (maakuntapohjainen)" in page and "26/54/20 (erva-pohjainen)" in page
    assert "<td>20,0</td>" in page  # 18+1 total htv


def test_survey_notebook(tmp_path):
    _run("04_kyselyt.ipynb", tmp_path / "04.ipynb", {"year": 2025})
    page = (config.outputs_dir() / "site" / "kyselyt" / "kyselyt_2020_2021.html").read_text(encoding="utf-8")
    assert "(n = 562)" in page and "72\\u00a0%" in page and "3,6" in page and "seed 002_32ce98e066e7a7fa.txt" in page
