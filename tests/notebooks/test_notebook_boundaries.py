"""Notebook 01 run by papermill, as the refresh job runs it."""

import json
import re

import papermill as pm
import pytest

from helpers.base import config

pytestmark = pytest.mark.notebook


def test_boundary_notebook_writes_offline_map(tmp_path):
    out = tmp_path / "01.ipynb"
    pm.execute_notebook(
        str(config.NOTEBOOKS_DIR / "01_aluerajat.ipynb"), str(out),
        parameters={"year": 2025, "level": "erva2020"},
        kernel_name=config.KERNEL_NAME, cwd=str(config.NOTEBOOKS_DIR), execution_timeout=300, progress_bar=False,
    )
    site = config.outputs_root() / config.SCRATCH_DIR / "site"  # run by hand: a trial, not the published site
    page = site / "aluerajat" / "erva2020_2025.html"
    html = page.read_text(encoding="utf-8")
    assert "Aluerajat: Tilastokeskus" in html and "CC BY 4.0" in html
    assert "VNA 156/2017" in html
    assert '<html lang="fi">' in html
    from helpers.site.pages import PLOTLY_ASSET

    assert f"../{PLOTLY_ASSET.as_posix()}" in html and "cdn" not in html.lower().replace("cdnjs", "")
    # the figure carries the six units (5 erva + Åland) as GeoJSON features with their codes
    assert html.count('"type":"Feature"') == 6
    # the site's one shared plotly.js: the partial bundle of the same version plotly.py ships (scatter, bar, geo traces)
    bundle = (site / PLOTLY_ASSET).read_text(encoding="utf-8")
    assert 1_000_000 < len(bundle) < 1_500_000 and "v4.1.1" in bundle[:400]
    nb = json.loads(out.read_text(encoding="utf-8"))
    text = "".join("".join(o.get("text", "")) + json.dumps(o.get("data", {}), ensure_ascii=False) for c in nb["cells"] for o in c.get("outputs", []))
    assert "Jämsä" in text and "Kruunupyy" in text and "Punkalaidun" in text
    assert "Tallennettu kansioon outputs/scratch/site/aluerajat/: erva2020_2025.html (kokeiluajo: julkaistu sivusto outputs/site/ ei" in text
    assert str(config.outputs_root()) not in text
