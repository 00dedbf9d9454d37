"""Marks after values that a source flags (preliminary, revised, ...) and the footnotes that explain them: the
same marks on a chart's labels and in its table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


def _is_blank(flag) -> bool:
    return flag is None or (isinstance(flag, float) and flag != flag) or str(flag).strip() in ("", "<NA>", "nan")


def flag_meanings(table, lang: str = "fi") -> dict[str, str]:
    """Flag word -> what it means in ``lang``, from an indicator table's ``attrs['flag_meanings']`` (empty if none)."""
    found = getattr(table, "attrs", {}).get("flag_meanings") or {}
    return {word: (m.get(lang) or m.get("fi") or word) if isinstance(m, Mapping) else str(m) for word, m in found.items()}


def flag_marks(flags: Iterable | None, *, source: str | Sequence[str] = "", meanings: Mapping[str, str] | None = None
               ) -> tuple[list[str], list[str]]:
    """Per value the mark shown after it ("" when the source marks nothing, else "*", "**", ... one per distinct flags
    string, in sorted order so a table and a chart of the same rows agree) and the footnote lines that explain the
    marks ("* ennakkotieto (Tilastokeskus (StatFin)): ennakkotieto, voi vielä muuttua"). ``source``: one source for
    all values or one per value; ``meanings``: flag word -> explanation (see ``flag_meanings``).
    ``flags`` None (a table without a ``flags`` column) gives no marks and no footnotes."""
    if flags is None:
        return [], []
    values = ["" if _is_blank(f) else str(f).strip() for f in flags]
    sources = [source] * len(values) if isinstance(source, str) else [str(s) for s in source]
    order = sorted(set(values) - {""})
    marks = ["*" * (order.index(v) + 1) if v else "" for v in values]
    notes = []
    for i, flag in enumerate(order):
        where = "; ".join(sorted({s for v, s in zip(values, sources) if v == flag and s}))
        explained = "; ".join(meanings[w] for w in flag.split(", ") if meanings and meanings.get(w) and meanings[w] != w)
        notes.append(f"{'*' * (i + 1)} {flag}" + (f" ({where})" if where else "") + (f": {explained}" if explained else ""))
    return marks, notes
