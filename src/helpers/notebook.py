"""Set-up shared by every notebook: the plotly renderer that survives nbconvert, table display, and a
check that papermill parameters have the declared types (papermill itself only warns)."""

from __future__ import annotations

import pandas as pd


def setup() -> None:
    import plotly.io as pio

    # 'notebook' embeds plotly.js in the output so an executed notebook converted to HTML still shows its maps.
    pio.renderers.default = "notebook"
    pd.set_option("display.max_rows", 60)
    pd.set_option("display.max_columns", 30)
