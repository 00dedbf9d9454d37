"""The sources and method page (helpers.site.sources_page): every source with licence and fetch time from the manifest,
the cited documents, flag meanings and the boundary note, in fi/sv/en; manifest text cannot inject markup or links."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from helpers.sources import citations, flags
from helpers.geo import layers as geography
from helpers.site.sources_page import write_sources_page


def manifest() -> dict:
    return {
        "refreshed_at": "2025-03-03T04:17:09+00:00", "mode": "live",
        "runs": {
            "indikaattori": {"status": "ok", "inputs": [
                {"source": "stat", "method": "POST", "url": "https://pxdata.stat.fi/PxWeb/api/v1/fi/StatFin/x.px",
                 "body": {"query": "<script>alert(1)</script>"}, "fetched_at": "2025-03-03T04:18:00+00:00", "sha256": "a" * 64,
                 "origin": "live", "licence": "CC BY 4.0"},
                {"source": "stat", "method": "POST", "url": "https://pxdata.stat.fi/PxWeb/api/v1/fi/StatFin/x.px",
                 "body": {"query": "<script>alert(1)</script>"}, "fetched_at": "2025-03-01T00:00:00+00:00", "sha256": "c" * 64,
                 "origin": "cache", "licence": "CC BY 4.0"}]},
            "epaonnistui": {"status": "failed", "inputs": [], "last_success": {"inputs": [
                {"source": "geo", "method": "GET", "url": "javascript:alert(2)", "fetched_at": "2025-02-24T04:17:00+00:00",
                 "sha256": "b" * 64, "origin": "mirror", "licence": "CC BY 4.0"}]}},
            "vieras": {"status": "ok", "inputs": [{"source": "uusi_lahde", "url": "https://example.org/x", "fetched_at": "2025-03-02T10:00:00Z",
                                                   "licence": "CC BY 4.0", "origin": "live"}]},
            "outo": "not a run",
        },
    }


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.lang = [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a":
            self.hrefs.append(a.get("href"))
        if tag == "html":
            self.lang = a.get("lang")


@pytest.fixture
def written(tmp_path):
    site = tmp_path / "site"
    return site, write_sources_page(manifest(), site)


def test_three_languages_at_their_paths(written):
    site, paths = written
    assert paths == [site / "lahteet.html", site / "sv" / "lahteet.html", site / "en" / "lahteet.html"]
    for path, lang, title in zip(paths, ("fi", "sv", "en"), ("Lähteet ja menetelmä", "Källor och metod", "Sources and method")):
        text = path.read_text(encoding="utf-8")
        p = Links()
        p.feed(text)
        assert p.lang == lang
        assert f"<title>{title}</title>" in text
        assert html.escape(geography.geometry_is_generalised_note(lang), quote=False) in text
        for word, meanings in flags.MEANINGS.items():
            assert f"<dt>{html.escape(word)}</dt><dd>{html.escape(meanings[('fi', 'sv', 'en').index(lang)], quote=False)}</dd>" in text


def test_every_source_with_licence_and_latest_fetch(written):
    _, paths = written
    text = paths[0].read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td>([^<]*)</td><td>[^<]*</td><td><a href='https://creativecommons.org/licenses/by/4.0/'>CC BY 4.0</a></td>"
                      r"<td>([^<]*)</td><td class='num'>(\d+)</td><td>([^<]*)</td></tr>", text)
    by_name = {html.unescape(name): (fetched, int(n), origin) for name, fetched, n, origin in rows}
    assert len(by_name) == 4  # geo, stat, sotkanet: every service, fetched or not; a source the package does not know
    # times in Finnish local time, as a reader writes them (never ISO, never UTC)
    assert by_name["uusi_lahde"] == ("2.3.2025 klo 12.00", 1, "lähde")
    statfin = next(v for k, v in by_name.items() if "StatFin" in k)
    assert statfin == ("3.3.2025 klo 06.18", 1, "lähde")  # the same request twice: once, its latest fetch
    geo = next(v for k, v in by_name.items() if "tilastointialueet" in k)
    assert geo == ("24.2.2025 klo 06.17", 1, "tallennettu vastaus")  # a failed run: its last successful inputs
    sotkanet = next(v for k, v in by_name.items() if "Sotkanet" in k)
    assert sotkanet == ("", 0, "")
    assert "Päivitetty 3.3.2025 klo 06.17 (suoraan lähteistä)." in text


def test_cited_documents_listed(written):
    _, paths = written
    text = html.unescape(paths[2].read_text(encoding="utf-8"))
    docs = citations.sources()
    assert len(docs) >= 5
    for row in docs.itertuples():
        assert row.title in text and citations.format_date(row.date, "en") in text
    p = Links()
    p.feed(paths[2].read_text(encoding="utf-8"))
    # Finlex pages: the Finnish original on an English page (no translation recorded); other addresses as given
    assert {citations.finlex_url(u, "en") for u in docs["url"] if u} <= set(p.hrefs)
    assert not any("finlex.fi/sv/" in h for h in p.hrefs)


def test_manifest_text_cannot_inject(written):
    _, paths = written
    text = paths[0].read_text(encoding="utf-8")
    p = Links()
    p.feed(text)
    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert all(h.startswith("https://") or not re.match(r"[a-z][a-z0-9+.-]*:", h) for h in p.hrefs), p.hrefs  # no other scheme
    assert "javascript:alert(2)" in text and not any("javascript" in h for h in p.hrefs)  # shown, not linked


def test_empty_manifest(tmp_path):
    paths = write_sources_page({}, tmp_path / "site", langs=("fi",))
    text = paths[0].read_text(encoding="utf-8")
    assert "Ei hakuja manifestissa." in text and "Lähteet ja menetelmä" in text
