"""Divisor methods (Balinski & Young 1982) on a hand-checked case and on the real unit populations."""

import pytest

from helpers.models.apportionment import apportion
from helpers.base.errors import InvalidParameter
from helpers.models.metrics import unit_metrics


def test_hand_checked_case_webster_and_huntington_hill_differ():
    # Webster, priorities w/(n+½): 120 A, 70 B, 40 A, 24 A (beats B's 23.3 and C's 10) -> (3, 1, 0).
    assert apportion([60, 35, 5], 4, "webster", floor=0) == [3, 1, 0]
    # Huntington–Hill, d(0) = 0: one each, then A's 60/√2 = 42.4 beats B's 24.7 -> (2, 1, 1).
    assert apportion([60, 35, 5], 4, "huntington_hill", floor=0) == [2, 1, 1]
    # The floor of one per unit when the budget allows (default), then Webster's 60/1.5 = 40 -> A.
    assert apportion([60, 35, 5], 4, "webster") == [2, 1, 1]
    assert apportion([100, 80, 30], 5, "webster", floor=0) == [2, 2, 1]  # quotas 2.38, 1.90, 0.71


def test_budget_below_the_number_of_units_has_no_floor():
    assert apportion([5, 35, 60], 2, "huntington_hill") == [0, 1, 1]  # the larger weights first at d(0) = 0
    assert sum(apportion([1] * 22, 20, "webster")) == 20


@pytest.mark.parametrize(("weights", "budget", "method", "message"), [
    ([1, 2], 2.5, "webster", r"budget=2\.5 is not allowed"),
    ([1, 2], 3, "dhondt", r"method='dhondt' is not allowed; allowed: huntington_hill, webster"),
    ([1, -2], 3, "webster", r"weights=\[1\.0, -2\.0\] are not allowed"),
])
def test_bad_arguments_are_named(weights, budget, method, message):
    with pytest.raises(InvalidParameter, match=message):
        apportion(weights, budget, method)


def test_real_data_18_plus_1_and_collaboration_areas():
    u = unit_metrics("malli_18_1", 2025)
    for method in ("webster", "huntington_hill"):
        seats = dict(zip(u["unit_code"], apportion(u["population"].tolist(), 20, method)))
        assert seats["01"] == 3 and sum(seats.values()) == 20 and set(seats.values()) == {1, 3}  # Uusimaa gets the two extra
    yta = unit_metrics("malli_5_1_yta", 2025)
    assert yta["population"].tolist() == [2269460, 814394, 904790, 884829, 731844]
    # quotas 20 × pop / 5 605 317 = 8.10, 2.91, 3.23, 3.16, 2.61 -> rounded at one half: 8, 3, 3, 3, 3
    assert apportion(yta["population"].tolist(), 20, "webster") == [8, 3, 3, 3, 3]
    assert apportion(yta["population"].tolist(), 20, "huntington_hill") == [8, 3, 3, 3, 3]
