"""The examples in the public functions' docstrings run and give the numbers they show (over the fixture mirror)."""

import doctest

import pytest

import helpers.models.scorecard
import helpers.tables.indicators


@pytest.mark.parametrize("module", [helpers.tables.indicators, helpers.models.scorecard], ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL, verbose=False)
    assert result.attempted > 0 and result.failed == 0
