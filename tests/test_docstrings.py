"""The examples in the public functions' docstrings run and give the numbers they show (over the fixture mirror)."""

import doctest

import pytest

import helpers.analysis.scorecard
import helpers.indicators


@pytest.mark.parametrize("module", [helpers.indicators, helpers.analysis.scorecard], ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL, verbose=False)
    assert result.attempted > 0 and result.failed == 0
