"""Stage 1, the sources: HTTP with a cache of raw answers or the offline mirror (``fetch``), the services' clients
(``pxweb``, ``sotkanet``, ``population`` from the WFS), values checked against their meaning (``checks``), the source
register (``registry``), citations of the documents behind the models (``citations``), the sources' value flags
(``flags``) and parquet+sidecar cache entries."""


def __getattr__(name: str):
    """Names of the former module helpers.sources (now helpers.sources.registry), with a FutureWarning."""
    from helpers.base.moved import forward

    return forward(__name__, name)
