"""The 2020 support-structure survey and the 2021 situation survey, exactly as their sources give them
(``data/kyselyt.yaml``, every figure cited to its source document in ``data/lahteet.csv``)."""

from __future__ import annotations

import math
from functools import lru_cache

import pandas as pd
import yaml

from helpers.base import config
from helpers.base.errors import SoteError, ValidationError

ANSWER_LABELS = {"kylla": "Kyllä", "ei": "Ei", "eos": "En osaa sanoa"}
QUESTION_LABELS = {"maakunta": "Maakuntapohjainen tukirakenne", "erva": "Erva-alueisiin pohjautuva tukirakenne"}


def surveys() -> dict:
    path = config.DATA_DIR / "kyselyt.yaml"
    stat = path.stat()
    return _read_surveys(path, stat.st_mtime_ns, stat.st_size)  # an edited file is read again


@lru_cache(maxsize=2)
def _read_surveys(path, mtime_ns: int, size: int) -> dict:
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    check_surveys(data, text)
    return data


WHERE = "data/kyselyt.yaml"
MEAN_SCALE = (1, 5)  # the 2021 situation survey's answer scale: its means lie on it (the page's axis ends at 5)


def _line(text: str | None, path: tuple) -> str:
    """`` line N`` of the YAML node at ``path`` (keys and list indices), or "" when it cannot be found."""
    if text is None:
        return ""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        for step in path:
            if isinstance(node, yaml.MappingNode):
                node = next(v for k, v in node.value if k.value == step)
            elif isinstance(node, yaml.SequenceNode):
                node = node.value[step]
            else:
                break
        return f" line {node.start_mark.line + 1}"
    except (yaml.YAMLError, StopIteration, IndexError, TypeError, AttributeError):
        return ""


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def check_surveys(data, text: str | None = None) -> None:
    """The survey file's rules, the ones the survey page, the model comparison and the scorecard rely on; raises
    ValidationError naming the file, the row (survey and question), the field, the value and the rule, with the line
    when ``text`` (the file's text) is given."""

    def fail(path: tuple, what: str):
        raise ValidationError(f"{WHERE}{_line(text, path)}: {what}")

    def mapping(path: tuple, value) -> dict:
        if not isinstance(value, dict):
            fail(path, f"{'.'.join(map(str, path)) or 'the file'} is {type(value).__name__}; allowed: a mapping of names to values")
        return value

    def count(path: tuple, value, what: str):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            fail(path, f"{what} {value!r} is not allowed; allowed: a whole number of 1 or more")

    def share(path: tuple, value, what: str):
        if not _number(value) or not 0 <= value <= 100:
            fail(path, f"{what} {value!r} is not allowed; allowed: a percentage from 0 to 100")

    def ref(path: tuple, value, what: str):
        from helpers.sources.citations import check_key

        try:
            check_key(value)
        except SoteError as exc:
            fail(path, f"{what}: {exc} (the keys of data/lahteet.csv)")

    data = mapping((), data)
    s20 = mapping(("kysely_2020",), data.get("kysely_2020"))
    count(("kysely_2020", "respondents"), s20.get("respondents"), "kysely_2020 respondents")
    for k, v in mapping(("kysely_2020", "membership_pct"), s20.get("membership_pct")).items():
        share(("kysely_2020", "membership_pct", k), v, f"kysely_2020 membership_pct {k}:")
    for q, shares in mapping(("kysely_2020", "support_pct"), s20.get("support_pct")).items():
        path = ("kysely_2020", "support_pct", q)
        if q not in QUESTION_LABELS:
            fail(path, f"kysely_2020 support_pct: question {q!r} is not allowed; allowed: {', '.join(QUESTION_LABELS)}")
        shares = mapping(path, shares)
        if sorted(shares) != sorted(ANSWER_LABELS):
            fail(path, f"kysely_2020 {q}: answers {list(shares)}; allowed: exactly {', '.join(ANSWER_LABELS)}")
        for a, v in shares.items():
            share((*path, a), v, f"kysely_2020 {q} {a}")
        if sum(shares.values()) != 100:
            fail(path, f"kysely_2020 {q} shares sum to {sum(shares.values())}, not 100")
    ref(("kysely_2020", "source", "ref"), mapping(("kysely_2020", "source"), s20.get("source")).get("ref"), "kysely_2020 source ref")

    s21 = mapping(("kysely_2021",), data.get("kysely_2021"))
    count(("kysely_2021", "answers"), s21.get("answers"), "kysely_2021 answers")
    ref(("kysely_2021", "source", "ref"), mapping(("kysely_2021", "source"), s21.get("source")).get("ref"), "kysely_2021 source ref")
    questions = s21.get("questions")
    if not isinstance(questions, list) or not questions:
        fail(("kysely_2021", "questions"), "kysely_2021 questions: allowed: a list of one or more questions")
    from helpers.geo.municipality_key import collaboration_areas

    regions = sorted(collaboration_areas()["hyvinvointialue_code"])
    seen: set = set()
    for i, q in enumerate(questions):
        path = ("kysely_2021", "questions", i)
        q = mapping(path, q)
        row = f"kysely_2021 question {i + 1}" + (f" (id {q['id']})" if isinstance(q.get("id"), str) else "")
        if not isinstance(q.get("id"), str) or not q["id"].strip() or q["id"] in seen:
            fail((*path, "id"), f"{row}: id {q.get('id')!r} is not allowed; allowed: a name no other question has")
        seen.add(q["id"])
        if not isinstance(q.get("text_fi"), str) or not q["text_fi"].strip():
            fail((*path, "text_fi"), f"{row}: text_fi {q.get('text_fi')!r} is not allowed; allowed: the question as asked (text)")
        lo, hi = MEAN_SCALE
        if not _number(q.get("mean")) or not lo <= q["mean"] <= hi:
            fail((*path, "mean"), f"{row}: mean {q.get('mean')!r} is not on the answer scale; allowed: a number from {lo} to {hi}")
        for field in ("strongest", "weakest"):
            codes = q.get(field)
            bad = codes if not isinstance(codes, list) else [c for c in codes if c not in regions]
            if bad or not isinstance(codes, list):
                fail((*path, field), f"{row}: {field} {bad!r} are not welfare-region codes; allowed: a list of "
                                     f"{', '.join(regions)} (quoted; data/yhteistyoalueet.csv)")


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
        return f"{SOURCE_WORD.get(lang, SOURCE_WORD['fi'])}: {short_cite(source_ref(which), lang)}"
    return cite_line(source_ref(which), lang)
