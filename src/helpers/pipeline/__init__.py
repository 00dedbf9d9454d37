"""Stage 7, the refresh: the runs file (``runs``), checks before any kernel (``preflight``), the refresh job
(``job``), executors (local pool, Dask), the warm kernel server, and the command line (``cli``)."""


def __getattr__(name: str):
    """Names of the former module helpers.pipeline (now helpers.pipeline.job), with a FutureWarning."""
    from helpers.base.moved import forward

    return forward(__name__, name)
