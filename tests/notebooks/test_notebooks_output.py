"""What executed notebooks hold: small files, figures that draw offline and untrusted, tables for humans.

Each notebook runs once with papermill over the fixture mirror, with its heaviest parameter set of runs.yaml
(municipal maps, three models) so the size limit holds for every refresh run, and as a researcher's run by hand: its
files go to outputs/scratch/, and it says so with a relative path. Plus unit tests of
``helpers.notebook`` (set-up and tables) and of the notebooks' committed text.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote

import pandas as pd
import papermill as pm
import pytest

from helpers.base import config
from helpers import notebook
from helpers.geo.groupings import grouping_layer
from helpers.figures.maps import PLOTLY_CONFIG
from helpers.base.numbers import NBSP

RUNS = {
    "01_aluerajat": {"level": "kunta", "year": 2025},
    "02_indikaattorit": {"indicators": ["osuus_65"], "years": [2024], "level": "kunta"},
    "03_mallivertailu": {"models": ["malli_18_1", "malli_5_1_erva2020", "malli_5_1_yta"]},
    "04_kyselyt": {},
    "05_alueprofiili": {"region": "90", "lang": "sv"},
    "06_tulostaulu": {},
}
MAX_BYTES = 1_000_000
SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")
INTERNAL = re.compile(r"seeds/|data/mallit|data/indikaattorit\.csv|\.txt\b")
RAW = re.compile(r"\b(True|False|None|nan|model_id|unit_code)\b|\['")  # pandas' own words, ids and list reprs


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    out = tmp_path_factory.mktemp("executed")

    def run(name):
        path = out / f"{name}.ipynb"
        pm.execute_notebook(str(config.NOTEBOOKS_DIR / f"{name}.ipynb"), str(path), parameters=RUNS[name],
                            kernel_name=config.KERNEL_NAME, cwd=str(config.NOTEBOOKS_DIR), execution_timeout=300, progress_bar=False)
        return name, path

    with ThreadPoolExecutor(2) as pool:  # two kernels at a time: the CI machine has two cores
        return dict(pool.map(run, RUNS))


def outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"]]


def texts(path):
    """Every text/plain and text/html output and every stream, as a reader sees them."""
    for o in outputs(path):
        if o["output_type"] == "stream":
            yield "".join(o["text"])
        for mime in ("text/plain", "text/html"):
            if mime in o.get("data", {}):
                yield "".join(o["data"][mime])


@pytest.mark.notebook
@pytest.mark.parametrize("name", RUNS)
def test_executed_notebook_is_small_and_clean(executed, name):
    path = executed[name]
    size = path.stat().st_size
    assert size <= MAX_BYTES, f"{name}: {size} bytes"
    print(f"{name}: {size} bytes")
    assert not [o for o in outputs(path) if o["output_type"] == "error"]
    shown = list(texts(path))
    assert shown
    for text in shown:
        assert not SCIENTIFIC.findall(text), (name, SCIENTIFIC.findall(text)[:5], text[:300])
        assert "NaN" not in text and "<NA>" not in text
        assert not INTERNAL.search(text), INTERNAL.search(text)
        assert not RAW.search(text), (name, RAW.search(text), text[:300])
        assert str(config.outputs_root()) not in text and str(config.PROJECT_ROOT) not in text
    said = [t for t in shown if t.startswith("Tallennettu kansioon") or t.startswith("Sparat i mappen")]
    assert len(said) == 1 and said[0].count("\n") == 1 and " outputs/scratch/site/" in said[0], said


@pytest.mark.notebook
@pytest.mark.parametrize("name", ["01_aluerajat", "02_indikaattorit", "03_mallivertailu", "04_kyselyt"])
def test_figures_are_plotly_json_that_draws_offline(executed, name):
    figures = [o["data"] for o in outputs(executed[name]) if o["output_type"] == "display_data" and notebook.PLOTLY_MIME in o["data"]]
    assert figures
    maps = 0
    for data in figures:
        # JSON only: no script or HTML a notebook has to trust, no plotly.js copy.
        assert set(data) == {notebook.PLOTLY_MIME}
        fig = data[notebook.PLOTLY_MIME]
        assert fig["config"]["topojsonURL"] == PLOTLY_CONFIG["topojsonURL"] and fig["config"]["topojsonURL"].startswith("data:")
        maps += any(trace["type"] == "choropleth" for trace in fig["data"])
        for trace in fig["data"]:
            if trace["type"] == "choropleth":
                assert trace["geojson"].startswith("data:application/json;charset=utf-8,")
                geojson = json.loads(unquote(trace["geojson"].split(",", 1)[1]))
                assert len(geojson["features"]) == len(trace["locations"])
    assert maps == {"01_aluerajat": 1, "02_indikaattorit": 1, "03_mallivertailu": 6, "04_kyselyt": 1}[name]  # 03: a map of each model's units and of the indicator on them


@pytest.mark.notebook
def test_municipal_map_carries_every_municipality(executed):
    fig = next(o["data"][notebook.PLOTLY_MIME] for o in outputs(executed["01_aluerajat"]) if notebook.PLOTLY_MIME in o.get("data", {}))
    geojson = json.loads(unquote(fig["data"][0]["geojson"].split(",", 1)[1]))
    assert len(geojson["features"]) == len(grouping_layer("kunta", 2025)) == 308
    assert "Jämsä" in json.dumps(fig, ensure_ascii=False)


@pytest.mark.notebook
def test_swedish_profile_reads_in_swedish(executed):
    html = "\n".join(texts(executed["05_alueprofiili"]))
    assert ">Hela landet<" in html and ">Modellens område<" in html and ">Kommuner<" in html
    assert f"684{NBSP}018" in html  # Helsinki's population, no-break space between thousands
    assert "personer" in html and "henkeä" not in html


# --- helpers.notebook without a kernel


def test_setup_makes_offline_mimetype_the_default(monkeypatch):
    import plotly.graph_objects as go
    import plotly.io as pio

    monkeypatch.setenv(config.SCRATCH_ENV, "")  # put back afterwards: setup marks this process as a notebook run by hand
    notebook.setup("fi")
    assert pio.renderers.default == notebook.RENDERER
    fig = go.Figure(go.Choropleth(geojson={"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "01", "properties": {"nimi": "Åland #1 100%"}, "geometry": {"type": "Point", "coordinates": [20.0, 60.1]}}]},
        locations=["01"], z=[1.0]))
    bundle = pio.renderers._build_mime_bundle(fig.to_dict())
    assert list(bundle) == [notebook.PLOTLY_MIME]
    trace = bundle[notebook.PLOTLY_MIME]["data"][0]
    assert "#" not in trace["geojson"] and "%25" in trace["geojson"]  # a fragment or a bare % would break the URL
    assert json.loads(unquote(trace["geojson"].split(",", 1)[1]))["features"][0]["properties"]["nimi"] == "Åland #1 100%"
    assert bundle[notebook.PLOTLY_MIME]["config"] == PLOTLY_CONFIG
    assert pd.get_option("display.float_format")(5635971.0) == f"5{NBSP}635{NBSP}971"
    assert pd.get_option("display.float_format")(0.000573) == "0,0006"


def test_a_notebook_run_by_hand_writes_to_scratch_and_says_where(monkeypatch, tmp_path, capsys):
    from helpers.site.pages import site_dir

    outputs = tmp_path / "outputs"
    monkeypatch.setenv(config.OUTPUTS_ENV, str(outputs))
    monkeypatch.setenv(config.SCRATCH_ENV, "")
    monkeypatch.delenv(config.RUN_NAME_ENV, raising=False)
    assert site_dir() == outputs / "site"  # the package outside a notebook: the published site (the refresh's own steps)
    notebook.setup("fi")
    assert site_dir() == outputs / "scratch" / "site" and config.outputs_root() == outputs
    notebook.written(site_dir() / "indikaattorit" / "a.html", site_dir() / "indikaattorit" / "b.html")
    assert capsys.readouterr().out == ("Tallennettu kansioon outputs/scratch/site/indikaattorit/: a.html, b.html (kokeiluajo: "
                                       "julkaistu sivusto outputs/site/ ei muuttunut; sen päivittää ./run refresh)\n")
    # in a refresh run the same notebook writes into the run's staging folder, and says where it will be published
    monkeypatch.setenv(config.RUN_NAME_ENV, "t_run")
    monkeypatch.setenv(config.OUTPUTS_ENV, str(tmp_path / ".staging" / "t_run.x" / "outputs"))
    notebook.setup("en")
    assert site_dir() == tmp_path / ".staging" / "t_run.x" / "outputs" / "site"
    notebook.written(site_dir() / "data" / "t.json", site_dir() / "data" / "t.csv")
    assert capsys.readouterr().out == "Saved in outputs/site/data/: t.json, t.csv\n"
    notebook.setup("fi")


def test_setup_refuses_an_unknown_language():
    with pytest.raises(Exception, match="lang.*de"):
        notebook.setup("de")


def test_table_in_finnish_swedish_and_english():
    df = pd.DataFrame({"area_code": ["91", "90"], "area_name_fi": ["Ahvenanmaa", "Helsingin kaupunki"],
                       "area_name_sv": ["Åland", "Helsingfors stad"], "area_name_en": ["Åland", "City of Helsinki"],
                       "year": [2024, 2024], "value": [30344.0, None], "unit": ["henkeä", "%"], "share": [5.635971e6, 0.5731773]})
    fi = notebook.table(df, "fi").to_html()
    assert ">Alue<" in fi and ">Helsingin kaupunki<" in fi and "Helsingfors" not in fi
    assert f">30{NBSP}344<" in fi and ">ei tietoa<" in fi and ">2024<" in fi and ">henkeä<" in fi
    assert f">5{NBSP}635{NBSP}971<" in fi and ">0,6<" in fi  # decimals of the row's unit; never 5.635971e+06
    sv = notebook.table(df, "sv").to_html()
    assert ">Område<" in sv and ">Helsingfors stad<" in sv and ">personer<" in sv and ">uppgift saknas<" in sv
    en = notebook.table(df, "en", decimals={"share": 2}).to_html()
    assert ">City of Helsinki<" in en and ">5,635,971.00<" in en and ">0.57<" in en and ">persons<" in en
    assert not SCIENTIFIC.search(fi + sv + en)
    assert list(df.columns)[-1] == "share" and df["share"].iloc[0] == 5.635971e6  # the data are not changed


def test_table_shows_names_as_text_and_lists_as_lists():
    df = pd.DataFrame({"name_fi": ["<b>Keski-Suomi</b>"], "strongest": [["19", "14"]], "weakest": [[]]})
    html = notebook.table(df, "fi").to_html()
    assert "&lt;b&gt;Keski-Suomi&lt;/b&gt;" in html and "<b>" not in html
    assert repr(notebook.table(df, "fi")).splitlines() == ["Nimi                Vahvimmat alueet  Heikoimmat alueet",
                                                           "<b>Keski-Suomi</b>  19, 14            –"]
    assert ">19, 14<" in html and ">–<" in html
    assert ">Vahvimmat alueet<" in html and ">Nimi<" in html


def test_table_labels_rename_into_the_language():
    df = pd.DataFrame({"model": ["18+1"], "unit": ["Keski-Suomi"], "municipalities": [22]})
    assert ">Modellens område<" in notebook.table(df, "sv", labels={"unit": "unit_name"}).to_html()
    assert ">Oma otsikko<" in notebook.table(df, "fi", labels={"unit": "Oma otsikko"}).to_html()


def test_committed_notebooks_are_clean_and_cite_documents():
    for name in [n for n in RUNS if n != "06_tulostaulu"]:  # 06's parameters name data/mallit/, where its models are
        nb = json.loads((config.NOTEBOOKS_DIR / f"{name}.ipynb").read_text(encoding="utf-8"))
        assert nb["metadata"]["kernelspec"]["name"] == config.KERNEL_NAME
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(c["outputs"] == [] and c["execution_count"] is None for c in code), f"{name}: outputs committed"
        first = "".join(next(c for c in code if "parameters" not in c["metadata"].get("tags", []))["source"])
        assert "notebook.setup(" in first, name
        text = "\n".join("".join(c["source"]) for c in nb["cells"])
        assert not INTERNAL.search(text), (name, INTERNAL.search(text))
        if name != "02_indikaattorit":  # 02 cites the statistics services only
            assert "citations.source_line(" in text, name
