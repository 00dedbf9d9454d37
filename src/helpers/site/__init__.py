"""Stage 6, the site: page templates and the page writer (``pages``), every kind of page (front page, model view,
model, indicator, boundary, survey and region pages, sources page, navigation) and their CSV/JSON downloads."""


def __getattr__(name: str):
    """Names of the former module helpers.site (now helpers.site.build), with a FutureWarning."""
    from helpers.base.moved import forward

    return forward(__name__, name)
