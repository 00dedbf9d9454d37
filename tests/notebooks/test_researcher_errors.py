"""Every parameter mistake a researcher can type in a notebook or at the package gets one clear message naming the
value and what is allowed (the same messages the refresh job shows before any kernel)."""

import pytest

from helpers.models.scorecard import scorecard, value
from helpers.figures.classify import check_scheme
from helpers.base.errors import InvalidParameter
from helpers.site.indicator_pages import indicator_figures
from helpers.tables.indicators import indicator_table
from helpers.pipeline.runs import Run, validate
from helpers.base import config


@pytest.mark.parametrize("call, message", [
    (lambda: indicator_table("vakiluku", [2024]),
     "indicator='vakiluku' is not allowed; allowed: kuntien_lkm, osuus_0_14, osuus_65, pinta_ala, sotkanet_683, vaesto"),
    (lambda: indicator_table("vaesto", [2024], level="lääni"),
     "level='lääni' is not allowed; allowed: custom, erva2020, hyvinvointialue, koko_maa, kunta, maakunta, yhteistyoalue"),
    (lambda: indicator_table("sotkanet_683", [2025]),
     "years=2025 is not allowed; allowed: 2021–2023 for indicator sotkanet_683: the years THL, Sotkanet (683) publishes"),
    (lambda: indicator_table("osuus_65", [2030]),
     "years=2030 is not allowed; allowed: 2024 for indicator osuus_65: the years Tilastokeskus (WFS vaestoalue)"),
    (lambda: check_scheme("fixed"),
     "bins=None is not allowed; allowed: an increasing list of upper bounds (numbers) for scheme='fixed', e.g. bins=[20, 25, 30]"),
    (lambda: check_scheme("fixed", [30, 20]), "bins=[30, 20] is not allowed; allowed: an increasing list of upper bounds"),
    (lambda: check_scheme("quantiles", [1, 2]), "bins=[1, 2] is not allowed; allowed: bins are only used with scheme='fixed'"),
    (lambda: check_scheme("jenks"), "scheme='jenks' is not allowed; allowed: fixed, natural_breaks, quantiles"),
])
def test_each_mistake_names_the_value_and_what_is_allowed(call, message):
    with pytest.raises(InvalidParameter) as err:
        call()
    assert message in str(err.value)


def test_fixed_classes_work_when_bins_are_given():
    t = indicator_table("osuus_65", [2024], level="hyvinvointialue", division_year=2025)
    fig_map, _, _ = indicator_figures(t, 2024, level="hyvinvointialue", division_year=2025, scheme="fixed", bins=[22, 25, 28, 34])
    # the classes the bins define, each labelled by the lowest and highest value it holds in Finnish number format
    # (24,99 and 25,02 % lie on either side of the bound 25 and both read 25,0)
    assert [tr.name for tr in fig_map.data] == ["16,5–21,5", "22,4–25,0", "25,0–27,7", "28,6–33,9"]
    with pytest.raises(InvalidParameter, match="bins=None is not allowed"):
        indicator_figures(t, 2024, level="hyvinvointialue", division_year=2025, scheme="fixed")


def test_scorecard_lookups_name_what_exists():
    card = scorecard(["malli_18_1"], staffings=["sama_per_yksikko"], allocations=[])
    assert value(card, "malli_18_1__sama_per_yksikko", "units") == 18.0
    with pytest.raises(InvalidParameter, match="metric='yksikot' is not allowed; allowed: area_km2, coordination_htv"):
        value(card, "malli_18_1__sama_per_yksikko", "yksikot")


def test_the_refresh_checks_bins_before_any_kernel():
    run = Run("kiinteat", config.NOTEBOOKS_DIR / "02_indikaattorit.ipynb", {"indicators": ["osuus_65"], "scheme": "fixed"})
    with pytest.raises(InvalidParameter, match="run kiinteat .*bins=None is not allowed"):
        validate([run])
