"""What each indicator's values mean is declared once, in the catalogue (kind, min, max, counts), and every source's
rows are checked by it (helpers.sources.checks through helpers.tables.indicators)."""

import shutil

import pytest

from helpers.base import config
from helpers.base.errors import ValidationError
from helpers.sources import checks
from helpers.tables import indicators

from tests.conftest import FIXTURE_MIRROR

# What each indicator is (the catalogue's unit and notes): persons, a change in per cent, shares, a ratio, a count of
# municipalities, an area in km², and Sotkanet's share whose absValue counts persons.
DECLARED = {
    "vaesto": ("henkeä", "count", "", "", "vaesto"),
    "vaesto_historia": ("henkeä", "count", "", "", "vaesto"),
    "vaesto_muutos": ("%", "rate", "-100", "", "vaesto vaesto_alku"),
    "osuus_0_14": ("%", "share", "", "", "population_0_14 population_total"),
    "osuus_65": ("%", "share", "", "", "population_65_plus population_total"),
    "vanhushuoltosuhde": ("65+/100 15–64", "ratio", "0", "", "population_65_plus population_15_64"),
    "kuntien_lkm": ("kuntaa", "count", "", "", ""),
    "pinta_ala": ("km²", "amount", "", "", ""),
    "sotkanet_683": ("%", "share", "", "", "abs_value"),
}
BUILD = {"vaesto": [2023, 2024], "vaesto_historia": [2023], "vaesto_muutos": [2023, 2024], "osuus_0_14": [2024],
         "osuus_65": [2024], "vanhushuoltosuhde": [2024], "kuntien_lkm": [2025], "pinta_ala": [2025],
         "sotkanet_683": [2021, 2022, 2023]}


def test_the_catalogue_declares_what_every_value_means():
    cat = indicators.catalogue().set_index("indicator_id")
    assert set(cat.index) == set(DECLARED)
    got = {i: tuple(cat.loc[i, ["unit", "kind", "min", "max", "counts"]]) for i in cat.index}
    assert got == DECLARED
    rules = indicators.value_rules("sotkanet_683")
    assert (rules.kind, rules.lo, rules.hi, rules.counts) == ("share", None, None, ("abs_value",))
    assert (rules.numerator, rules.denominator) == ("abs_value", "implied_denominator")
    assert checks.bounds(rules.kind, rules.lo, rules.hi) == (0.0, 100.0)
    assert indicators.value_rules("vaesto_muutos").lo == -100.0 and indicators.value_rules("vaesto").numerator is None


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(config.DATA_DIR, data, ignore=shutil.ignore_patterns("cache"))
    monkeypatch.setattr(config, "DATA_DIR", data)
    monkeypatch.setenv("SOTE_CACHE_DIR", str(tmp_path / "cache"))  # no table built from the real catalogue is reused
    return data / "indikaattorit.csv"


def _set(csv_path, indicator: str, **values):
    import pandas as pd

    cat = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    for col, value in values.items():
        if value is None:
            cat = cat.drop(columns=col)
        else:
            cat.loc[cat["indicator_id"] == indicator, col] = value
    cat.to_csv(csv_path, index=False)


@pytest.mark.parametrize("change, message", [
    ({"kind": "percent"}, "row osuus_65: kind 'percent' is not allowed; allowed: count, amount, share, rate, ratio, index"),
    ({"kind": ""}, "row osuus_65: kind '' is not allowed; allowed: count, amount"),
    ({"min": "nolla"}, "row osuus_65: min 'nolla' is not a number; allowed: a number, or empty for the kind's own bound"),
    ({"max": "inf"}, "row osuus_65: max 'inf' is not a finite number; allowed: a number"),
    ({"min": "50", "max": "10"}, "row osuus_65: min 50 is not below max 10"),
    ({"counts": "population_65_plus, population_total"},
     "row osuus_65: counts 'population_65_plus, population_total' has ['population_65_plus,'], not column names; "
     "allowed: column names separated by spaces"),
    ({"kind": None}, "columns ['kind'] missing"),
], ids=["unknown-kind", "empty-kind", "min-text", "max-inf", "min-above-max", "counts-comma", "column-missing"])
def test_the_catalogue_loader_refuses_bad_value_rules(data_copy, change, message):
    _set(data_copy, "osuus_65", **change)
    with pytest.raises(ValidationError, match="^data/indikaattorit.csv: .*" + __import__("re").escape(message)):
        indicators.catalogue()


def test_declared_bounds_are_used_by_the_source_rows(data_copy):
    """A maximum declared in the catalogue is checked against each municipality's own share (WFS population)."""
    import json

    _set(data_copy, "osuus_65", max="30")
    features = json.loads((FIXTURE_MIRROR / "stat" / "wfs" / "vaestoalue_kunta_vaki2024.json").read_text(encoding="utf-8"))["features"]
    over = sorted((f["properties"]["kunta"], f["properties"]["ika_65_"] / f["properties"]["vaesto"] * 100) for f in features
                  if f["properties"]["ika_65_"] / f["properties"]["vaesto"] * 100 > 30)
    assert over[0][0] == "005" and round(over[0][1], 4) == 31.5598  # Alajärvi: 2865 of 9078
    shown = ", ".join(f"area {code} year 2024 = {checks.number(share)}" for code, share in over[:5])
    with pytest.raises(ValidationError) as caught:
        indicators.indicator_table("osuus_65", [2024], level="koko_maa")  # the whole country (23.6 %) is within
    assert str(caught.value).startswith(
        "osuus_65 (Tilastokeskus (WFS vaestoalue); GET https://geo.stat.fi/geoserver/vaestoalue/wfs?service=WFS&version=2.0.0"
        "&request=GetFeature&typeName=vaestoalue%3Akunta_vaki2024&outputFormat=application%2Fjson): "
        f"share (population_65_plus / population_total × 100) must be within 0–30: {shown} and {len(over) - 5} more")


def test_every_declared_count_column_is_checked_for_every_indicator(monkeypatch, tmp_path):
    monkeypatch.setenv("SOTE_CACHE_DIR", str(tmp_path / "cache"))  # built, not read back from the table cache
    seen: dict[str, set] = {}
    real = checks.check_values

    def spy(df, rules, *, what, request, **kw):
        if what in DECLARED:
            seen.setdefault(what, set()).update(set(rules.counts) & set(df.columns))
        return real(df, rules, what=what, request=request, **kw)

    monkeypatch.setattr(checks, "check_values", spy)
    for indicator, years in BUILD.items():
        indicators.indicator_table(indicator, years, level="hyvinvointialue")
    for indicator, (_, _, _, _, counts) in DECLARED.items():
        assert seen.get(indicator, set()) == set(counts.split()), indicator
