"""Tables on a phone: what a reader sees of each table at load, without scrolling it.

``table_problems(page)`` takes a Playwright page already loaded at 360 px and names every shown table whose first two
columns (the row label and the deciding column) are not wholly inside the visible width, or whose caption runs past
it. "Visible" is the viewport cut by every box that clips its content sideways (the table's own scrolling wrapper, a
grid cell), so a column that sits in the page but behind the wrapper's edge counts as hidden. The every-page browser
test (tests/site/test_browser.py) and tests/site/test_phone_tables_and_figures.py call it.
"""

from __future__ import annotations

# For each shown table: its caption's line boxes and the first two cells of its header row and of its first body
# rows, each with the visible part of the page it lies in (the viewport cut by the sideways-clipping ancestors).
TABLE_COLUMNS_JS = """() => {
  const out = [];
  const vw = document.documentElement.clientWidth;
  const shown = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && !el.closest('[hidden]'); };
  const visible = el => {
    let left = 0, right = vw;
    for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX !== 'visible') {
        const r = a.getBoundingClientRect();
        left = Math.max(left, r.left + a.clientLeft);
        right = Math.min(right, r.left + a.clientLeft + a.clientWidth);
      }
    }
    return [left, right];
  };
  const name = (t, i) => {
    const c = t.caption ? t.caption.textContent.trim().replace(/\\s+/g, ' ') : '';
    return `table ${i + 1}${c ? ' "' + c.slice(0, 60) + '"' : ''}${t.className ? ' (.' + t.className.split(' ').join('.') + ')' : ''}`;
  };
  [...document.querySelectorAll('main table')].forEach((t, i) => {
    if (!shown(t)) return;
    const [left, right] = visible(t);
    const item = {name: name(t, i), left, right, cells: [], caption: []};
    const rows = [...t.rows].filter(shown).slice(0, 4);
    rows.forEach(r => {
      [...r.cells].filter(shown).slice(0, 2).forEach((c, k) => {
        const b = c.getBoundingClientRect();
        item.cells.push({row: r.rowIndex, col: k + 1, text: c.textContent.trim().slice(0, 40), left: b.left, right: b.right});
      });
    });
    if (t.caption && shown(t.caption)) {
      const range = document.createRange();
      range.selectNodeContents(t.caption);
      item.caption = [...range.getClientRects()].filter(b => b.width > 0).map(b => ({left: b.left, right: b.right}));
    }
    out.push(item);
  });
  return out;
}"""


def table_problems(page, slack: float = 1.0) -> list[str]:
    """Problems of the tables of ``page`` (a Playwright page, loaded, at phone width; the tables scrolled to their
    start): a first or second column partly outside the visible width, a caption line cut by it."""
    problems = []
    for t in page.evaluate(TABLE_COLUMNS_JS):
        left, right = t["left"] - slack, t["right"] + slack
        cut = [c for c in t["cells"] if c["left"] < left or c["right"] > right]
        if cut:
            c = max(cut, key=lambda c: c["right"])
            problems.append(f"{t['name']}: column {c['col']} ({c['text']!r}) spans {c['left']:.0f}–{c['right']:.0f} px, "
                            f"visible {t['left']:.0f}–{t['right']:.0f} px")
        lines = [b for b in t["caption"] if b["left"] < left or b["right"] > right]
        if lines:
            problems.append(f"{t['name']}: caption line reaches {max(b['right'] for b in lines):.0f} px, visible to {t['right']:.0f} px")
    return problems
