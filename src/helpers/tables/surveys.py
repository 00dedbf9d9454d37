"""The 2020 support-structure survey and the 2021 situation survey, exactly as their sources give them
(``data/kyselyt.yaml``, every figure cited to its source document in ``data/lahteet.csv``)."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
import yaml

from helpers.base import config
from helpers.base.errors import ValidationError

ANSWER_LABELS = {"kylla": "Kyllä", "ei": "Ei", "eos": "En osaa sanoa"}
QUESTION_LABELS = {"maakunta": "Maakuntapohjainen tukirakenne", "erva": "Erva-alueisiin pohjautuva tukirakenne"}


def surveys() -> dict:
    path = config.DATA_DIR / "kyselyt.yaml"
    stat = path.stat()
    return _read_surveys(path, stat.st_mtime_ns, stat.st_size)  # an edited file is read again


@lru_cache(maxsize=2)
def _read_surveys(path, mtime_ns: int, size: int) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for q, shares in data["kysely_2020"]["support_pct"].items():
        if sum(shares.values()) != 100:
            raise ValidationError(f"data/kyselyt.yaml: kysely_2020 {q} shares sum to {sum(shares.values())}, not 100")
    return data


def support_2020() -> pd.DataFrame:
    """Rows question, answer, pct (72/12/16 maakunta, 26/54/20 erva; n = 562)."""
    s = surveys()["kysely_2020"]
    rows = [{"question": q, "question_fi": QUESTION_LABELS[q], "answer": a, "answer_fi": ANSWER_LABELS[a], "pct": v}
            for q, shares in s["support_pct"].items() for a, v in shares.items()]
    return pd.DataFrame(rows)


def support_for(question: str | None) -> dict | None:
    """Shares for a model's survey question ('maakunta' or 'erva'), or None."""
    if question is None:
        return None
    return dict(surveys()["kysely_2020"]["support_pct"][question])


def situation_2021() -> pd.DataFrame:
    """Rows per question: id, text, national mean, strongest and weakest welfare-region codes named."""
    return pd.DataFrame(surveys()["kysely_2021"]["questions"])


def source_ref(which: str) -> str:
    """The key of the survey's source document in ``data/lahteet.csv``."""
    return surveys()[which]["source"]["ref"]


def source_line(which: str, lang: str = "fi", *, short: bool = False) -> str:
    """``Lähde: publisher (author): title, date. URL`` of the survey (never an internal file name);
    ``short=True``: ``Lähde: publisher: title, date`` for a figure note."""
    from helpers.sources.citations import SOURCE_WORD, short_cite
    from helpers.sources.citations import source_line as cite_line

    if short:
        return f"{SOURCE_WORD.get(lang, SOURCE_WORD['fi'])}: {short_cite(source_ref(which))}"
    return cite_line(source_ref(which), lang)
