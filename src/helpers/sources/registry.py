"""The official data services this project reads, with their licence and attribution.

Each source has a sub-folder of the same name in the mirror (``<mirror>/<mirror_subdir>/INDEX.json``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from helpers.base.errors import invalid

CC_BY_4 = "CC BY 4.0"
CC_BY_4_URL = "https://creativecommons.org/licenses/by/4.0/"


@dataclass(frozen=True)
class Source:
    key: str
    mirror_subdir: str
    title_fi: str
    attribution_fi: str
    attribution_sv: str
    attribution_en: str
    licence: str
    max_age: timedelta  # a cached response older than this is fetched again, never served as fresh
    title_sv: str = ""
    title_en: str = ""

    def attribution(self, lang: str = "fi") -> str:
        return {"fi": self.attribution_fi, "sv": self.attribution_sv, "en": self.attribution_en}[lang]

    def title(self, lang: str = "fi") -> str:
        """The service as a reader of ``lang`` names it (publisher, dataset, kind of interface)."""
        return {"fi": self.title_fi, "sv": self.title_sv, "en": self.title_en}[lang] or self.title_fi


SOURCES: dict[str, Source] = {
    "geo": Source(
        key="geo",
        mirror_subdir="geo",
        title_fi="Tilastokeskus, kuntapohjaiset tilastointialueet (WFS-rajapinta)",
        title_sv="Statistikcentralen, kommunbaserade statistikområden (WFS-gränssnitt)",
        title_en="Statistics Finland, municipality-based statistical units (WFS interface)",
        attribution_fi="Aluerajat: Tilastokeskus, pohja-aineisto Maanmittauslaitos",
        attribution_sv="Områdesgränser: Statistikcentralen, grunddata Lantmäteriverket",
        attribution_en="Boundaries: Statistics Finland, based on National Land Survey of Finland data",
        licence=CC_BY_4,
        max_age=timedelta(days=30),
    ),
    "stat": Source(
        key="stat",
        mirror_subdir="stat",
        title_fi="Tilastokeskus, StatFin-tietokanta (PxWeb) ja väestöalueet (WFS-rajapinta)",
        title_sv="Statistikcentralen, databasen StatFin (PxWeb) och befolkningsområden (WFS-gränssnitt)",
        title_en="Statistics Finland, StatFin database (PxWeb) and population areas (WFS interface)",
        attribution_fi="Lähde: Tilastokeskus",
        attribution_sv="Källa: Statistikcentralen",
        attribution_en="Source: Statistics Finland",
        licence=CC_BY_4,
        max_age=timedelta(days=7),
    ),
    "sotkanet": Source(
        key="sotkanet",
        mirror_subdir="sotkanet",
        title_fi="THL, Sotkanet-indikaattoripankki (REST-rajapinta)",
        title_sv="THL, indikatorbanken Sotkanet (REST-gränssnitt)",
        title_en="THL, Sotkanet indicator bank (REST interface)",
        attribution_fi="Lähde: THL, Sotkanet",
        attribution_sv="Källa: THL, Sotkanet",
        attribution_en="Source: THL, Sotkanet",
        licence=CC_BY_4,
        max_age=timedelta(days=7),
    ),
}


def get_source(key: str) -> Source:
    try:
        return SOURCES[key]
    except KeyError:
        raise invalid("source", key, SOURCES) from None
