"""``./run indicators --search WORD``: one tab-separated line per hit, notes on stderr, exit codes 0 and 2. Offline the
search covers the recorded ``/indicators/{id}`` answers and the catalogue's own Sotkanet rows, and says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.base import config
from helpers.pipeline.cli import main

from tests.conftest import FIXTURE_MIRROR

ROOT = Path(__file__).resolve().parents[2]


def recorded(ident: int) -> dict:
    return json.loads((FIXTURE_MIRROR / "sotkanet" / "recorded" / f"indicators_{ident}.json").read_text(encoding="utf-8"))


@pytest.fixture
def mirror_env(monkeypatch):
    """--mirror sets the mirror for the process: the test's own setting is put back afterwards."""
    monkeypatch.setenv(config.MIRROR_ENV, str(FIXTURE_MIRROR))
    return FIXTURE_MIRROR


def test_hits_one_line_each_with_id_name_unit_years(mirror_env, capsys):
    assert main(["indicators", "--search", "kuolleisuus", "--mirror", str(FIXTURE_MIRROR)]) == 0
    out, err = capsys.readouterr()
    expected = []
    for ident in (186, 322):
        meta = recorded(ident)
        assert meta["primaryValueType"]["code"] == "PER100000"
        expected.append(f"sotkanet:{ident}\t{meta['title']['fi']}\t/100 000\t{meta['range']['start']}-{meta['range']['end']}")
    assert out.splitlines() == expected
    assert "searched only the indicators the mirror holds metadata for (186, 322, 5527)" in err
    assert "the mirror holds no list of all indicators" in err


def test_the_catalogues_own_sotkanet_rows_are_found_offline(mirror_env, capsys):
    assert main(["indicators", "--search", "683"]) == 0
    out, _ = capsys.readouterr()
    from helpers.tables.indicators import catalogue

    own = catalogue().set_index("indicator_id").loc["sotkanet_683"]
    assert out.splitlines() == [f"sotkanet:683\t{own['name_fi']}\t{own['unit']}\t{own['years']}"]


def test_nothing_found_is_said_and_is_not_an_error(mirror_env, capsys):
    assert main(["indicators", "--search", "xyzzy"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "no Sotkanet indicator matches 'xyzzy'" in err


@pytest.mark.parametrize("argv, says", [
    (["indicators"], "search stopped: the following arguments are required: --search"),
    (["indicators", "--search", "  "], "search stopped: argument --search: '' is not allowed; allowed: a word of 1–200 characters"),
    (["indicators", "--search", "x", "--mirror", "/no/such/folder"], "search stopped: argument --mirror: mirror folder '/no/such/folder' does not exist"),
])
def test_bad_arguments_exit_2_with_one_line(mirror_env, capsys, argv, says):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert says in capsys.readouterr().err


def test_the_module_and_the_run_script_offer_the_command(tmp_path):
    assert "\n  indicators)\n" in (ROOT / "run").read_text(encoding="utf-8")
    env = {**os.environ, config.MIRROR_ENV: "", "SOTE_CACHE_DIR": str(tmp_path / "cache")}
    env.pop(config.MIRROR_ENV)
    done = subprocess.run([sys.executable, "-m", "helpers.pipeline.cli", "indicators", "--search", "Mortality",
                           "--mirror", str(FIXTURE_MIRROR)], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert [line.split("\t")[0] for line in done.stdout.splitlines()] == ["sotkanet:186", "sotkanet:322"]
