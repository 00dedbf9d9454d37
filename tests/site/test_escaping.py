"""Escaping, read from the HTML alone (no browser): one refresh through the command line whose sources carry markup
payloads, then every page it wrote parsed with ``html.parser``.

The payloads: every text source of tests/site/test_injection_browser.py's ``poison`` (the indicator catalogue's
names and notes, collaboration-area and 2020 erva names, the survey YAML's question and citation, a model file's
name, unit name and citation, the cited documents' titles, a welfare region's name in the WFS answer) and, as in
tests/pipeline/test_hostile_sources.py, the PxWeb answer of population 2023-2024: a preliminary note on Helsinki and a
status symbol that is itself markup (it reaches the pages as the flag "merkintä …", in a cell's mark and a footnote).

Every text node and attribute of every table cell (``td``/``th``), caption (``caption``/``figcaption``), footnote
(``p.huomautus``, ``p.lahde``, ``p.saanto``), pre-drawn figure (``figure``, an ``svg``: a ``<text>``'s lines joined with
blanks, as its label was wrapped) and the JSON of every figure is checked: a payload is there only whole,
as text (html.parser gives entity-escaped text back as the characters), never as an element or attribute; the JSON
carries ``<`` only as ``\\u003c``. Every page of the refresh (three languages, the hubs and front page the refresh
builds) is checked, not just the HTML above its first figure. The browser test (test_injection_browser.py) keeps what
needs a browser: nothing runs, every figure draws.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.hostile_harness import FIXTURE_MIRROR, REPO, HostileCase, Shared
from tests.pipeline.test_hostile_sources import HELSINKI_NOTE, PAYLOAD, _mirror_file
from tests.site.test_injection_browser import BOUNDARY_PAYLOAD, payload, poison

TAGS = ("ind-vaesto", "note-vaesto", "ind-osuus_65", "note-osuus_65", "yhteistyoalue", "erva2020", "kysymys", "kysely-lahde",
        "malli", "malli-lahde", "yksikko")
PAYLOADS = sorted({PAYLOAD, BOUNDARY_PAYLOAD, *(payload(t) for t in TAGS)}, key=len, reverse=True)
MARKERS = ("__pwned", "alert(", "onerror")  # in every payload; a piece of one without the whole is markup that got split
# The runs whose pages carry the payloads (runs.yaml names); the refresh then builds the index pages and hubs.
ONLY = ("tulostaulu_2025", "aluerajat_hyvinvointialue_2025", "indikaattori_vaesto_sarja", "kyselyt_2025", "alueprofiili_90_2025")
FOOTNOTE_CLASSES = {"huomautus", "lahde", "saanto"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def _poison_pxweb(mirror: Path) -> None:
    """Helsinki 2024 in the population answer: a preliminary note (a flag) and a status symbol that is markup."""
    answer = _mirror_file(mirror, "stat", "11re_POST_all-municipalities_2023-2024_json-stat2")
    data = json.loads(answer.read_text(encoding="utf-8"))
    area = next(d for d in data["id"] if d.startswith("alue"))
    data["dimension"][area]["category"]["note"] = {"KU091": [HELSINKI_NOTE]}
    strides, stride = {}, 1
    for dim, size in reversed(list(zip(data["id"], data["size"]))):
        strides[dim], stride = stride, stride * size
    time = next(d for d in data["id"] if d.startswith("time"))
    index = {dim: data["dimension"][dim]["category"]["index"] for dim in data["id"]}
    cell = strides[area] * index[area]["KU091"] + strides[time] * index[time]["2024"]
    data["status"] = {str(cell): PAYLOAD}
    answer.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    root = tmp_path_factory.mktemp("escaping_shared")
    return Shared(cache=root / "cache", geodata=root / "geodata", mirror=FIXTURE_MIRROR)


@pytest.fixture(scope="module")
def site(tmp_path_factory, shared) -> Path:
    """One refresh over a poisoned copy of the project and of the mirror, shared by every test of the module."""
    case = HostileCase(tmp_path_factory.mktemp("escaping"), shared)
    poison(case.tmp)  # data/ -> case.tmp/project/data, the mirror -> case.tmp/mirror
    case.project, case.mirror = case.tmp / "project", case.tmp / "mirror"
    for name in ("notebooks", "src/helpers"):
        shutil.copytree(REPO / name, case.project / name, ignore=shutil.ignore_patterns("cache", "__pycache__", ".ipynb_checkpoints"))
    shutil.copy2(REPO / "runs.yaml", case.project / "runs.yaml")
    _poison_pxweb(case.mirror)
    res = case.run_cli(*[a for name in ONLY for a in ("--only", name)], "--workers", "2", "--timeout", "300", timeout=400)
    case.assert_clean(res, code=0, mentions=[f"{len(ONLY)} ran", "0 failed"])
    print(f"refresh of {len(ONLY)} runs with payloads: {res.seconds} s")
    return case.outputs / "site"


# --------------------------------------------------------------------------- reading a page


class Page(HTMLParser):
    """Every element (tag, attributes) and text node of a page with the regions it lies in: ``cell`` (td, th),
    ``caption`` (caption, figcaption), ``footnote`` (p.huomautus, p.lahde, p.saanto), ``figure`` (svg), ``figure-json``.
    An SVG ``<text>`` is one text node: its ``<tspan>`` lines joined with blanks (a label wrapped at its blanks)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, frozenset]] = []
        self.elements: list[tuple[str, list, frozenset]] = []
        self.texts: list[tuple[str, frozenset]] = []
        self.figures: list[str] = []
        self.svg_text: list[str] | None = None

    def _regions(self) -> frozenset:
        return frozenset().union(*(r for _, r in self.stack)) if self.stack else frozenset()

    def _own(self, tag: str, attrs: list) -> frozenset:
        a = dict(attrs)
        classes = set((a.get("class") or "").split())
        own = set()
        if tag in ("td", "th"):
            own.add("cell")
        if tag in ("caption", "figcaption"):
            own.add("caption")
        if tag == "svg":
            own.add("figure")  # a pre-drawn figure's text and titles
        if tag == "p" and classes & FOOTNOTE_CLASSES:
            own.add("footnote")
        if tag == "script" and ("plotly-figure" in classes or a.get("type") == "application/json"):
            own.add("figure-json")  # any JSON data block (figures, the builder's and the model view's data): parsed and checked
        return frozenset(own)

    def handle_starttag(self, tag, attrs):
        regions = self._regions() | self._own(tag, attrs)
        self.elements.append((tag, attrs, regions))
        if tag not in VOID:
            self.stack.append((tag, regions))
        if tag == "text":
            self.svg_text = []

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, attrs, self._regions() | self._own(tag, attrs)))

    def handle_endtag(self, tag):
        if tag == "text" and self.svg_text is not None:
            self.texts.append((" ".join(self.svg_text), self._regions()))
            self.svg_text = None
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        regions = self._regions()
        if self.svg_text is not None:
            self.svg_text.append(data)
        elif "figure-json" in regions:
            self.figures.append(data)
        else:
            self.texts.append((data, regions))


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


def whole_payloads(text: str) -> tuple[int, list[str]]:
    """How many payloads ``text`` carries whole, and the markers left outside them (split or partial markup)."""
    found = 0
    for p in PAYLOADS:
        found += text.count(p)
        text = text.replace(p, "")
    return found, [m for m in MARKERS if m in text]


def page_problems(page: Page, rel: str, seen: Counter) -> list[str]:
    """Every element, attribute and text node of the page (counted by the region it lies in, "page" outside them)."""
    out = []
    for tag, attrs, regions in page.elements:
        names = [k for k, _ in attrs]
        where = sorted(regions) or "the page"
        if tag in ("img", "iframe", "object", "embed") or any(k.startswith("on") for k in names):
            out.append(f"{rel}: element <{tag} {' '.join(names)}> in {where}")
        if tag == "script" and not (dict(attrs).get("src") or dict(attrs).get("type") == "application/json"):
            out.append(f"{rel}: an inline script element in {where}")
        if tag == "script" and regions - {"figure-json"}:
            out.append(f"{rel}: <script> inside {where}")
        for k, v in attrs:
            n, left = whole_payloads(v or "")
            for r in regions or {"page"}:
                seen[(r, "attribute")] += n
            if left:
                out.append(f"{rel}: attribute {k}={v!r} of <{tag}> in {where} carries markup pieces {left}")
    for text, regions in page.texts:
        n, left = whole_payloads(text)
        for r in regions or {"page"}:
            seen[(r, "text")] += n
        if left:
            out.append(f"{rel}: text {text!r} in {sorted(regions) or 'the page'} carries markup pieces {left}")
    for raw in page.figures:
        if re.search(r"[<>&]", raw):
            out.append(f"{rel}: figure JSON has a raw <, > or & (must be \\u003c, \\u003e, \\u0026): {raw[:200]!r}")
        try:
            spec = json.loads(raw)
        except ValueError as exc:
            out.append(f"{rel}: figure JSON does not parse ({exc})")
            continue
        for s in _strings(spec):
            n, left = whole_payloads(s.replace("<br>", " "))  # long labels are wrapped at blanks with <br>
            seen[("figure-json", "text")] += n
            if left:
                out.append(f"{rel}: figure JSON string {s[:200]!r} carries markup pieces {left}")
    return out


@pytest.fixture(scope="module")
def pages(site) -> dict[str, Page]:
    return {p.relative_to(site).as_posix(): parse(p) for p in sorted(site.rglob("*.html"))}


# --------------------------------------------------------------------------- the checks


def test_every_cell_caption_footnote_and_figure_shows_the_payloads_only_as_text(pages):
    seen: Counter = Counter()
    problems = [p for rel, page in pages.items() for p in page_problems(page, rel, seen)]
    assert not problems, "\n".join(problems[:40])
    # Not vacuous: the payloads are in every kind of place the check reads.
    for where in (("cell", "text"), ("caption", "text"), ("footnote", "text"), ("figure-json", "text"), ("page", "attribute")):
        assert seen[where] > 0, (where, dict(seen))


@pytest.mark.parametrize("rel, places", [
    ("aluerajat/hyvinvointialue_2025.html", {"cell": [BOUNDARY_PAYLOAD], "figure-json": [BOUNDARY_PAYLOAD]}),
    ("indikaattorit/vaesto_hyvinvointialue_2024.html", {"cell": [BOUNDARY_PAYLOAD], "caption": [payload("ind-vaesto")],
                                                       "footnote": [f"merkintä {PAYLOAD}", payload("note-vaesto")],
                                                       "figure-json": [BOUNDARY_PAYLOAD]}),
    ("sv/indikaattorit/vaesto_hyvinvointialue_2024.html", {"footnote": [f"merkintä {PAYLOAD}"]}),  # names: the layer's Swedish
    ("kyselyt/kyselyt_2020_2021.html", {"cell": [payload("kysymys")], "footnote": [payload("kysely-lahde")],
                                        "figure": [payload("kysymys")]}),  # pre-drawn SVG: a bar's label and title
    ("alueet/90.html", {"cell": [payload("yhteistyoalue"), payload("erva2020"), payload("yksikko")]}),
])
def test_payloads_lower_on_the_page_are_checked_where_they_are(pages, rel, places):
    """The tables below a page's first figure too: each named place carries its payload as text."""
    page = pages[rel]
    for region, wanted in places.items():
        if region == "figure-json":
            texts = [s.replace("<br>", " ") for raw in page.figures for s in _strings(json.loads(raw))]
        else:
            texts = [t for t, regions in page.texts if region in regions]
        joined = "\n".join(texts)
        for text in wanted:
            assert text in joined, (rel, region, text)


def test_payloads_reach_the_pages_only_escaped(site, pages):
    """The raw markup is nowhere in the HTML; the only scripts are the site's files and the figures' JSON
    (moved here from the browser test: it reads HTML only)."""
    assert {"index.html", "mallit/index.html", "alueet/index.html", "indikaattorit/index.html", "lahteet.html"} <= set(pages)
    for rel in pages:
        html = (site / rel).read_text(encoding="utf-8")
        for raw in ("<img src=x", "<script>alert", "<script>window.__pwned"):
            assert raw not in html, (rel, raw)
        assert html.count("<script") == html.count("<script src=") + html.count('<script type="application/json"'), rel
