"""Sharing a whole number of person-years among units in proportion to a weight (population, associations).

Divisor (highest-averages) methods as defined in M. L. Balinski and H. P. Young, *Fair Representation: Meeting the
Ideal of One Man, One Vote* (Yale University Press 1982; 2nd ed. Brookings 2001), ch. 6 and appendix A: after each
unit has its floor, the next person-year goes to the unit with the largest ``weight / d(n)``, where ``n`` is what the
unit has so far and
* Sainte-Laguë / Webster: ``d(n) = n + 1/2``;
* Huntington–Hill (equal proportions): ``d(n) = sqrt(n (n + 1))`` — ``d(0) = 0``, so every unit with weight gets
  one before any gets two.
Ties go to the unit listed first (deterministic); among units still at d(0) = 0 the larger weight goes first. The floor is one per unit when the budget allows, otherwise none.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from helpers.base.errors import InvalidParameter, invalid

METHODS = {
    "webster": lambda n: n + 0.5,
    "huntington_hill": lambda n: math.sqrt(n * (n + 1)),
}
METHOD_LABELS = {
    "webster": {"fi": "Sainte-Laguën (Websterin) menetelmä", "sv": "Sainte-Laguës (Websters) metod", "en": "Sainte-Laguë (Webster) method"},
    "huntington_hill": {"fi": "Huntington–Hillin menetelmä", "sv": "Huntington–Hills metod", "en": "Huntington–Hill method"},
}
CITATION = "Balinski, M. L. & Young, H. P. (1982): Fair Representation. Yale University Press."


def apportion(weights: Sequence[float], budget: int, method: str = "webster", *, floor: int | None = None) -> list[int]:
    """Whole person-years per unit, summing to ``budget``. ``floor`` defaults to 1 when ``budget >= len(weights)``."""
    if method not in METHODS:
        raise invalid("method", method, list(METHODS))
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
        raise invalid("budget", budget, "a whole number of person-years, 0 or more")
    weights = [float(w) for w in weights]
    if not weights or any(not math.isfinite(w) or w < 0 for w in weights):
        raise InvalidParameter(f"weights={weights!r} are not allowed; allowed: one finite weight ≥ 0 per unit")
    if floor is None:
        floor = 1 if budget >= len(weights) else 0
    if floor * len(weights) > budget:
        raise invalid("floor", floor, f"0–{budget // len(weights)} for a budget of {budget} over {len(weights)} units")
    seats = [floor] * len(weights)
    divisor = METHODS[method]
    for _ in range(budget - sum(seats)):
        best, best_priority = None, (-1, -1.0)
        for i, (w, n) in enumerate(zip(weights, seats)):
            d = divisor(n)
            # d(0) = 0: an infinite priority; among several, the larger weight first
            priority = (1, w) if d == 0 and w > 0 else (0, w / d if d > 0 else 0.0)
            if priority > best_priority:
                best, best_priority = i, priority
        seats[best] += 1
    return seats
