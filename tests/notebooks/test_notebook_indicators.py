"""Notebook 02 run by papermill with list parameters, as the refresh job runs it."""

import papermill as pm
import pytest

from helpers.base import config

pytestmark = pytest.mark.notebook


def test_indicator_notebook_writes_pages(tmp_path):
    pm.execute_notebook(
        str(config.NOTEBOOKS_DIR / "02_indikaattorit.ipynb"), str(tmp_path / "02.ipynb"),
        parameters={"indicators": ["vaesto", "vaesto_muutos"], "years": [2023, 2024], "level": "hyvinvointialue"},
        kernel_name=config.KERNEL_NAME, cwd=str(config.NOTEBOOKS_DIR), execution_timeout=300, progress_bar=False,
    )
    site = config.outputs_root() / config.SCRATCH_DIR / "site" / "indikaattorit"  # run by hand: a trial, not the published site
    assert not (config.outputs_root() / "site" / "indikaattorit" / "vaesto_hyvinvointialue_2024.html").exists()
    page = (site / "vaesto_hyvinvointialue_2024.html").read_text(encoding="utf-8")
    assert "Väkiluku 31.12. 2023–2024" in page and "Tilastokeskus, StatFin-taulukko 11re" in page and "CC BY 4.0" in page
    assert '<meta name="data-year" content="2024">' in page
    assert "684\u00a0018" in page  # Helsinki in the table, Finnish format
    size = (site / "vaesto_muutos_hyvinvointialue_2024.html").stat().st_size
    assert size < 120 * 1024, size
