"""The readers' languages (pages, notebooks, downloads, runs) and the one check of a ``lang`` argument."""

from __future__ import annotations

LANGS = ("fi", "sv", "en")


def check_lang(lang) -> str:
    """``lang`` if it is one of ``LANGS``; otherwise an InvalidParameter naming the value and what is allowed."""
    if lang not in LANGS:
        from helpers.base.errors import invalid

        raise invalid("lang", lang, LANGS)
    return lang
