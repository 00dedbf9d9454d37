"""A check for the browser tests: on a map of few areas (at most 7, e.g. the 5 + 1 collaborative areas) two areas
with different values must not share a colour (``helpers.figures.classify``: one class per distinct value).

``map_class_problems(page)`` takes a Playwright page that has drawn its maps. It reads every visible map: a plotly
choropleth (a trace per class: its colour, and each area's value text in ``customdata``) and a pre-drawn SVG map
(each area's ``fill`` and its title "name: value"); maps of region names only (boundary and unit maps) carry no
values and are left out, as are missing values (one grey for all of them is right)."""

from __future__ import annotations

FEW_AREAS = 7
MISSING_WORDS = ("ei tietoa", "uppgift saknas", "no data", "–", "")

MAP_CLASSES_JS = """(limits) => {
  const [few, missing] = limits;
  const out = [];
  const visible = el => !el.closest('[hidden]') && el.getClientRects().length > 0;
  const check = (name, areas) => {
    const valued = areas.filter(a => !missing.includes(a.value.trim()));
    if (!valued.length || valued.length > few) return;
    for (let i = 0; i < valued.length; i++) for (let j = i + 1; j < valued.length; j++) {
      const a = valued[i], b = valued[j];
      if (a.value !== b.value && a.fill === b.fill) out.push({map: name, a: a.name, b: b.name, values: [a.value, b.value], fill: a.fill});
    }
  };
  document.querySelectorAll('.js-plotly-plot').forEach((d, n) => {
    if (!visible(d) || !d.data) return;
    const areas = [];
    d.data.filter(t => t.type === 'choropleth').forEach(t => {
      const single = t.colorscale && t.colorscale.length && t.colorscale.every(c => c[1] === t.colorscale[0][1]);
      (t.locations || []).forEach((loc, i) => {
        const row = (t.customdata || [])[i];
        if (!single || !Array.isArray(row) || row.length < 2) return;  // a category or boundary map: no values
        areas.push({name: String(row[0]), value: String(row[1]), fill: t.colorscale[0][1]});
      });
    });
    check(`plotly map ${n + 1}${d.id ? ' (' + d.id + ')' : ''}`, areas);
  });
  document.querySelectorAll('svg.kartta').forEach((svg, n) => {
    if (!visible(svg)) return;
    const areas = [];
    svg.querySelectorAll('path').forEach(p => {
      const title = p.querySelector('title');
      const text = title ? title.textContent : '';
      const at = text.lastIndexOf(': ');
      if (at < 0) return;  // a name only: no value on this map
      areas.push({name: text.slice(0, at), value: text.slice(at + 2), fill: (p.getAttribute('fill') || getComputedStyle(p).fill).toLowerCase()});
    });
    check(`SVG map ${n + 1}${svg.id ? ' (' + svg.id + ')' : ''}`, areas);
  });
  return out;
}"""


def map_class_problems(page) -> list[str]:
    """One line per pair of areas of a map of few areas that have different values but one colour."""
    found = page.evaluate(MAP_CLASSES_JS, [FEW_AREAS, list(MISSING_WORDS)])
    return [f"{p['map']}: {p['a']} ({p['values'][0]}) and {p['b']} ({p['values'][1]}) share the colour {p['fill']}" for p in found]
