// The region profile's comparison (site/build.py writes the page and the JSON block #pv-data): up to two more
// regions picked beside this one, kept in the address (#vertaa=07,19), each key indicator's trend as a small SVG
// line chart and every value in tables. Text nodes and SVG elements only: nothing from the data is parsed as markup.
(function () {
  "use strict";
  var block = document.getElementById("pv-data");
  var root = document.getElementById("pv-vertailu");
  if (!block || !root) return;
  var D = JSON.parse(block.textContent);
  var T = D.text;
  var SVG = "http://www.w3.org/2000/svg";
  var MAX_ADDED = 2;
  var selects = [document.getElementById("pv-valinta-1"), document.getElementById("pv-valinta-2")];
  var regions = Object.keys(D.names).filter(function (c) { return c !== D.country && c !== D.self; })
    .sort(function (a, b) { return D.names[a].localeCompare(D.names[b], D.lang); });

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  // The site's number format (helpers.base.numbers.fmt_number): fi/sv a no-break space between thousands and a
  // decimal comma, en a comma and a point; a minus sign, not a hyphen.
  function fmt(v, decimals) {
    if (v === null || v === undefined) return T.none;
    var parts = Math.abs(v).toFixed(decimals).split(".");
    var group = D.lang === "en" ? "," : D.nbsp;
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, group);
    var text = parts.length > 1 ? whole + (D.lang === "en" ? "." : ",") + parts[1] : whole;
    return (v < 0 && Number(parts.join(".")) !== 0 ? "\u2212" : "") + text;
  }

  // The added regions from the address: known codes, not this region, no repeats, at most two; anything else is
  // dropped (a hand-edited address never breaks the page).
  function fromHash() {
    var m = /(?:^#|&)vertaa=([^&]*)/.exec(location.hash);
    if (!m) return [];
    var out = [];
    decodeURIComponent(m[1]).split(",").forEach(function (c) {
      if (regions.indexOf(c) >= 0 && out.indexOf(c) < 0 && out.length < MAX_ADDED) out.push(c);
    });
    return out;
  }
  function chosen() {
    var out = [];
    selects.forEach(function (s) { if (s.value && out.indexOf(s.value) < 0) out.push(s.value); });
    return out;
  }

  function fillSelects(added) {
    selects.forEach(function (s, i) {
      s.textContent = "";
      s.appendChild(el("option", {value: ""}, T.none));
      regions.forEach(function (c) { s.appendChild(el("option", {value: c}, D.names[c])); });
      s.value = added[i] || "";
    });
  }

  function shown(added) { return [D.self].concat(added, [D.country]); }
  function colour(i, n) { return i === n - 1 ? D.colours[3] : D.colours[i]; }

  function legend(areas) {
    var box = document.getElementById("pv-selite");
    box.textContent = "";
    var list = el("ul", {"class": "pv-selitelista"});
    areas.forEach(function (c, i) {
      var li = el("li");
      var sw = svg("svg", {"class": "pv-vari", viewBox: "0 0 24 10", "aria-hidden": "true"});
      sw.appendChild(svg("line", {x1: 1, y1: 5, x2: 23, y2: 5, stroke: colour(i, areas.length), "stroke-width": 3,
        "stroke-dasharray": c === D.country ? "4 2" : "none"}));
      li.appendChild(sw);
      li.appendChild(document.createTextNode(" " + D.names[c]));
      list.appendChild(li);
    });
    box.appendChild(list);
  }

  // The unit after the name unless the name already ends with it in brackets.
  function title(ind) { return ind.name + (ind.unit && !/\)$/.test(ind.name) ? " (" + ind.unit + ")" : ""); }

  function latest(series) {
    for (var i = series.length - 1; i >= 0; i--) if (series[i][1] !== null) return series[i];
    return null;
  }

  function summary(areas) {
    var box = document.getElementById("pv-taulu");
    box.textContent = "";
    var wrap = el("div", {"class": "taulukko", role: "region", tabindex: "0", "aria-label": T.latest});
    var table = el("table", {"class": "levea pv-yhteenveto"});
    table.appendChild(el("caption", {}, T.latest));
    var head = el("tr");
    // the regions first and the year last, as the key-figure table: what a phone shows without scrolling
    head.appendChild(el("th", {scope: "col"}, T.indicator));
    areas.forEach(function (c) { head.appendChild(el("th", {scope: "col", "data-area": c}, D.names[c])); });
    head.appendChild(el("th", {scope: "col"}, T.year));
    table.appendChild(el("thead")).appendChild(head);
    var body = el("tbody");
    D.indicators.forEach(function (ind) {
      var s = D.series[ind.id] || {};
      var last = latest(s[D.self] || []) || latest(s[D.country] || []);
      var tr = el("tr", {"data-indicator": ind.id});
      tr.appendChild(el("th", {scope: "row"}, title(ind)));
      areas.forEach(function (c) {
        var hit = last && (s[c] || []).filter(function (p) { return p[0] === last[0]; })[0];
        tr.appendChild(el("td", {"class": "num", "data-area": c}, hit ? fmt(hit[1], ind.decimals) + (ind.unit === "%" ? D.nbsp + "%" : "") : T.none));
      });
      tr.appendChild(el("td", {"class": "num"}, last ? String(last[0]) : T.none));
      body.appendChild(tr);
    });
    table.appendChild(body);
    wrap.appendChild(table);
    box.appendChild(wrap);
  }

  // One small line chart: years on x, values on y (not from zero: the lines' course is the point, the tables give
  // the values). Counts (persons, municipalities) leave the whole country out of the chart: its scale would flatten
  // every region's line; its values stay in the tables.
  var breakNotes = [];
  var W = 360, H = 190, L = 64, R = 22, TOP = 22, B = 26;  // R: room for half the last year's label
  function chart(ind, areas) {
    var s = D.series[ind.id] || {};
    var years = [];
    areas.forEach(function (c) { (s[c] || []).forEach(function (p) { if (years.indexOf(p[0]) < 0) years.push(p[0]); }); });
    years.sort(function (a, b) { return a - b; });
    var fig = el("figure", {"class": "pv-kuvio", "data-indicator": ind.id});
    fig.appendChild(el("figcaption", {"class": "kuvion-otsikko"}, title(ind)));
    if (years.length < 2) return null;  // one year is no trend: its values are in the table above
    var drawn = areas.filter(function (c) { return !(c === D.country && ind.decimals === 0); });
    var vals = [];
    drawn.forEach(function (c) { (s[c] || []).forEach(function (p) { if (p[1] !== null) vals.push(p[1]); }); });
    var lo = Math.min.apply(null, vals), hi = Math.max.apply(null, vals);
    if (hi === lo) { hi += 1; lo -= 1; }
    var pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
    var x0 = years[0], x1 = years[years.length - 1];
    var x = function (yr) { return L + (W - L - R) * (yr - x0) / (x1 - x0); };
    var y = function (v) { return TOP + (H - TOP - B) * (hi - v) / (hi - lo); };
    var pic = svg("svg", {"class": "pv-kaavio", viewBox: "0 0 " + W + " " + H, role: "img",
      "aria-label": ind.name + ": " + drawn.map(function (c) { return D.names[c]; }).join(", ")});
    [hi - pad, lo + pad].forEach(function (v) {
      pic.appendChild(svg("line", {x1: L, x2: W - R, y1: y(v), y2: y(v), "class": "pv-apuviiva"}));
      pic.appendChild(svg("text", {x: L - 4, y: y(v), "class": "pv-akseli pv-y"}, fmt(v, ind.decimals)));
    });
    [x0, x1].forEach(function (yr) { pic.appendChild(svg("text", {x: x(yr), y: H - 8, "class": "pv-akseli pv-x"}, String(yr))); });
    // A series break (helpers.tables.breaks, data/sarjakatkot.csv) where it touches a shown area: a dashed line at its
    // first year after the change, with the short label.
    D.breaks.forEach(function (b) {
      var hit = ((D.break_areas[ind.id] || {})[String(b.year)] || []);
      if (b.year <= x0 || b.year > x1 || !drawn.some(function (c) { return hit.indexOf(c) >= 0; })) return;
      pic.appendChild(svg("line", {x1: x(b.year), x2: x(b.year), y1: TOP - 6, y2: H - B, "class": "pv-katko"}));
      pic.appendChild(svg("text", {x: x(b.year) - 3, y: TOP - 10, "class": "pv-akseli pv-katkoteksti"}, b.label + " " + b.year));
      if (breakNotes.indexOf(b) < 0) breakNotes.push(b);
    });
    drawn.forEach(function (c) {
      var i = areas.indexOf(c);
      var pts = (s[c] || []).filter(function (p) { return p[1] !== null; });
      var line = svg("polyline", {points: pts.map(function (p) { return x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1); }).join(" "),
        fill: "none", stroke: colour(i, areas.length), "stroke-width": 2, "stroke-dasharray": c === D.country ? "5 3" : "none",
        "data-area": c});
      line.appendChild(svg("title", {}, D.names[c]));
      pic.appendChild(line);
      if (pts.length <= 12) pts.forEach(function (p) {
        var dot = svg("circle", {cx: x(p[0]).toFixed(1), cy: y(p[1]).toFixed(1), r: 3, fill: colour(i, areas.length)});
        dot.appendChild(svg("title", {}, D.names[c] + " " + p[0] + ": " + fmt(p[1], ind.decimals)));
        pic.appendChild(dot);
      });
    });
    fig.appendChild(pic);
    if (drawn.length < areas.length) fig.appendChild(el("p", {"class": "huomautus"}, T.country_table));
    var det = el("details");
    det.appendChild(el("summary", {}, T.as_table));
    var wrap = el("div", {"class": "taulukko", role: "region", tabindex: "0", "aria-label": ind.name});
    var table = el("table", {"class": "pv-vuodet"});
    var head = el("tr");
    head.appendChild(el("th", {scope: "col"}, T.year));
    areas.forEach(function (c) { head.appendChild(el("th", {scope: "col"}, D.names[c])); });
    table.appendChild(el("thead")).appendChild(head);
    var body = el("tbody");
    years.slice().reverse().forEach(function (yr) {
      var tr = el("tr");
      tr.appendChild(el("th", {scope: "row"}, String(yr)));
      areas.forEach(function (c) {
        var hit = (s[c] || []).filter(function (p) { return p[0] === yr; })[0];
        tr.appendChild(el("td", {"class": "num"}, hit ? fmt(hit[1], ind.decimals) : T.none));
      });
      body.appendChild(tr);
    });
    table.appendChild(body);
    wrap.appendChild(table);
    det.appendChild(wrap);
    fig.appendChild(det);
    return fig;
  }

  function paintMap(added) {
    document.querySelectorAll("#pv-kartta path[data-code]").forEach(function (p) {
      var i = added.indexOf(p.getAttribute("data-code"));
      p.style.fill = i >= 0 ? D.colours[i + 1] : "";
    });
  }

  function render(added) {
    var areas = shown(added);
    legend(areas);
    summary(areas);
    var box = document.getElementById("pv-kuviot");
    box.textContent = "";
    breakNotes = [];
    D.indicators.forEach(function (ind) { var fig = chart(ind, areas); if (fig) box.appendChild(fig); });
    // Each break once, below the charts that mark it, with its source.
    breakNotes.forEach(function (b) { box.appendChild(el("p", {"class": "huomautus pv-katkohuom"}, b.label + " " + b.year + ": " + b.text + " (" + b.source + ")")); });
    paintMap(added);
    var hash = added.length ? "#vertaa=" + added.join(",") : "";
    document.getElementById("pv-linkki").setAttribute("href", hash || "#");
    root.setAttribute("data-areas", areas.join(","));
  }

  function update() {
    var added = chosen();
    var hash = added.length ? "#vertaa=" + added.join(",") : "";
    if (location.hash !== hash) history.replaceState(null, "", hash || location.pathname + location.search);
    render(added);
  }

  root.querySelector(".pv-ohjaimet").hidden = false;
  document.getElementById("pv-ilman").hidden = true;
  var start = fromHash();
  fillSelects(start);
  render(start);
  selects.forEach(function (s) { s.addEventListener("change", update); });
  window.addEventListener("hashchange", function () { var a = fromHash(); fillSelects(a); render(a); });
  root.setAttribute("data-ready", "");
})();
