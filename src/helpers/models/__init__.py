"""Stage 4, the support-structure models: model files (``model_files``), unit metrics (``metrics``) and the
decision-grade comparison:

* ``associations``: PRH's registered associations by maakunta (class 3 = social and health) as a validated table, an
  indicator at maakunta level, and its aggregation to any grouping (exact for unions of maakunnat, otherwise missing
  with the reason or a named apportionment by population share);
* ``apportionment``: divisor methods (Sainte-Laguë/Webster, Huntington–Hill) for sharing a staffing budget;
* ``scorecard``: one tidy table of every model × staffing convention (and derived allocations), per unit and summarised;
* ``partitions``: the exactly optimal contiguous groupings of the 22 mainland welfare-region areas;
* ``findings``: sentences generated from the scorecard in Finnish, Swedish and English;
* ``site_data``: the scorecard written for the site (JSON and CSV).
"""


def __getattr__(name: str):
    """Names of the former module helpers.models (now helpers.models.model_files), with a FutureWarning."""
    from helpers.base.moved import forward

    return forward(__name__, name)
