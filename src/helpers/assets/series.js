/* An indicator page over every year (indicator_pages.write_series_page): the year control, the map coloured for the
 * chosen year, the table rows of that year, and a line chart per area with the whole country as reference.
 * Reads the page's JSON (#sr-data: years, values per area, class bounds and colours, breaks; #sr-teksti: words in
 * the page's language). Keeps the year and the highlighted areas in the address (#v=2019&a=01,05) without a reload.
 * Writes text nodes and SVG elements only: nothing from the address becomes markup.
 */
(function () {
  "use strict";

  var dataEl = document.getElementById("sr-data");
  if (!dataEl) {
    return;
  }
  var D = JSON.parse(dataEl.textContent);
  var M = JSON.parse(document.getElementById("sr-teksti").textContent);
  var LANG = document.documentElement.lang || "fi";
  var SEP = LANG === "en" ? [".", ","] : [",", "\u00a0"];
  var SVGNS = "http://www.w3.org/2000/svg";
  var HIGHLIGHT = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"];  // Okabe-Ito, as the site
  var NAMES = {};
  D.areas.forEach(function (a) { NAMES[a.c] = a.n; });
  var state = {year: D.year, picked: []};

  function $(id) { return document.getElementById(id); }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return values[k] === undefined ? m : String(values[k]); });
  }
  // helpers.base.numbers.fmt_number: fixed decimals, the language's separators, a minus sign for negatives
  function fmt(v, d) {
    if (v === null || v === undefined || !isFinite(v)) {
      return M.missing;
    }
    var a = Math.abs(v), scaled = a * Math.pow(10, d);
    if (scaled % 1 === 0.5) {
      a = (Math.floor(scaled) % 2 === 0 ? Math.floor(scaled) : Math.floor(scaled) + 1) / Math.pow(10, d);
    }
    var s = a.toFixed(d).split(".");
    var text = s[0].replace(/\B(?=(\d{3})+(?!\d))/g, SEP[1]) + (s.length > 1 ? SEP[0] + s[1] : "");
    return (v < 0 && Number(s.join(".")) !== 0 ? "\u2212" : "") + text;
  }
  function svg(tag, attrs, parent, text) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) {
      e.appendChild(document.createTextNode(text));
    }
    if (parent) {
      parent.appendChild(e);
    }
    return e;
  }
  function titled(e, text) {
    svg("title", {}, e, text);
    return e;
  }
  function classOf(v) {
    if (v === null || v === undefined) {
      return null;
    }
    for (var i = 0; i < D.bins.length; i++) {
      if (v <= D.bins[i]) {
        return i;
      }
    }
    return D.bins.length - 1;  // above a fixed last bound: the top class, as helpers.figures.classify
  }
  function isSmall(code, i) {
    return !!(D.small && D.small[code] && D.small[code][i]);
  }
  function valueText(code, i) {
    var v = D.v[code][i], mark = D.f[code] ? D.f[code][i] : "";
    var out = fmt(v, D.dec) + (v === null || v === undefined ? "" : " " + D.unit) + (mark ? " " + mark : "");
    // the value's 95 % interval, and why it is wide (helpers.tables.small_numbers)
    var ci = D.ci && D.ci[code] ? D.ci[code][i] : null;
    if (ci) {
      out += " (" + M.interval.replace("{lo}", fmt(ci[0], D.dec)).replace("{hi}", fmt(ci[1], D.dec)) +
             (isSmall(code, i) ? "; " + M.small : "") + ")";
    }
    return out;
  }

  // ---------------------------------------------------------------- address

  function readHash() {
    var out = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (part) {
      var kv = part.split("=");
      if (kv.length === 2) {
        out[kv[0]] = decodeURIComponent(kv[1]);
      }
    });
    var y = parseInt(out.v, 10);
    if (D.years.indexOf(y) >= 0) {
      state.year = y;
    }
    state.picked = (out.a || "").split(",").filter(function (c, i, all) {
      return NAMES[c] !== undefined && all.indexOf(c) === i;
    }).slice(0, HIGHLIGHT.length);
  }
  function writeHash() {
    var h = "#v=" + state.year + (state.picked.length ? "&a=" + state.picked.join(",") : "");
    if (location.hash !== h) {
      history.replaceState(null, "", h);
    }
    // the same year and areas in the other languages: their links carry the hash too
    document.querySelectorAll("a[hreflang]").forEach(function (a) {
      a.setAttribute("href", a.getAttribute("href").replace(/#.*$/, "") + h);
    });
  }

  // ---------------------------------------------------------------- map and table

  function showYear() {
    var i = D.years.indexOf(state.year);
    $("sr-vuosi").value = String(state.year);
    $("sr-vuosi-arvo").textContent = String(state.year);
    $("sr-karttavuosi").textContent = String(state.year);
    $("sr-edellinen").disabled = i <= 0;
    $("sr-seuraava").disabled = i >= D.years.length - 1;
    document.querySelectorAll("path.sr-alue").forEach(function (p) {
      var code = p.getAttribute("data-code");
      var v = D.v[code] ? D.v[code][i] : null;
      var c = classOf(v);
      p.setAttribute("fill", c === null ? D.missing : D.colours[c]);
      p.setAttribute("aria-label", (NAMES[code] || code) + ": " + (D.v[code] ? valueText(code, i) : M.missing));
      p.firstChild.textContent = p.getAttribute("aria-label");
      p.classList.toggle("sr-korostettu", state.picked.indexOf(code) >= 0);
      p.classList.toggle("sr-pieni", isSmall(code, i));
    });
    // how many ranks of the year shown random variation could change (helpers.tables.small_numbers)
    var unsure = D.unsure ? D.unsure[String(state.year)] : null, note = $("sr-epavarma");
    if (note) {
      note.hidden = !(unsure && unsure[0]);
      note.textContent = unsure && unsure[0] ? M.unsure.replace("{year}", String(state.year)).replace("{k}", String(unsure[0]))
        .replace("{n}", String(unsure[1])) : "";
    }
    // the table's rows of the year shown (its first cell is the year)
    document.querySelectorAll("table.sarjataulu > tbody > tr").forEach(function (tr) {
      tr.hidden = tr.cells[0].textContent !== String(state.year);
    });
    document.querySelectorAll("table.sarjataulu").forEach(function (t) {
      t.classList.add("sr-valmis");  // the stylesheet's first-paint rule gives way: from here on the script decides
    });
  }

  // ---------------------------------------------------------------- chart

  function ticks(lo, hi, n) {
    var span = hi - lo || Math.abs(hi) || 1, step = Math.pow(10, Math.floor(Math.log10(span / n)));
    [1, 2, 2.5, 5, 10].some(function (m) { if (span / (step * m) <= n) { step *= m; return true; } return false; });
    var out = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
      out.push(Math.round(t / step) * step);
    }
    return {ticks: out, dec: Math.max(0, -Math.floor(Math.log10(step) + 1e-9))};
  }
  function range(series) {
    var lo = Infinity, hi = -Infinity;
    series.forEach(function (vs) { vs.forEach(function (v) { if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }); });
    if (lo === Infinity) {
      return [0, 1];
    }
    var pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 1;
    return [lo >= 0 && lo - pad < 0 ? 0 : lo - pad, hi + pad];
  }
  function breaksFor(code) {
    return D.breaks.filter(function (b) { return b.gap && b.areas.indexOf(code) >= 0; }).map(function (b) { return b.y; });
  }
  // a line over the years, lifted at a missing value and at a break whose values are not comparable (gap)
  function linePath(vs, x, y, gaps) {
    var d = "", open = false;
    vs.forEach(function (v, i) {
      if (v === null || (gaps && gaps.indexOf(D.years[i]) >= 0)) {
        open = false;
      }
      if (v !== null) {
        d += (open ? "L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1);
        open = true;
      }
    });
    return d;
  }

  function drawChart() {
    var box = $("sr-svg-kaavio");
    if (!box) {
      return;
    }
    while (box.firstChild) {
      box.removeChild(box.firstChild);
    }
    // one unit a CSS pixel, so the labels keep their size on a phone
    var W = Math.max(280, Math.round(box.getBoundingClientRect().width) || 400), H = Math.round(Math.max(220, Math.min(320, W * 0.6)));
    box.setAttribute("viewBox", "0 0 " + W + " " + H);
    var L = 58, R = D.country && D.country_axis ? 62 : 22, T = 16, B = 26, n = D.years.length;  // R: half the last year's label
    var codes = Object.keys(D.v);
    var own = range(codes.map(function (c) { return D.v[c]; }).concat(D.country && !D.country_axis ? [D.country.v] : []));
    var x = function (i) { return L + (n > 1 ? i * (W - L - R) / (n - 1) : (W - L - R) / 2); };
    var y = function (v) { return T + (own[1] - v) * (H - T - B) / (own[1] - own[0]); };
    var yt = ticks(own[0], own[1], 5);
    yt.ticks.forEach(function (t) {
      svg("line", {x1: L, x2: W - R, y1: y(t), y2: y(t), "class": "sr-ruudukko"}, box);
      svg("text", {x: L - 4, y: y(t) + 3, "text-anchor": "end", "class": "sr-akseli"}, box, fmt(t, yt.dec));
    });
    var every = Math.max(1, Math.ceil(n / 6));
    D.years.forEach(function (yr, i) {
      if ((n - 1 - i) % every === 0) {
        svg("text", {x: x(i), y: H - 8, "text-anchor": "middle", "class": "sr-akseli"}, box, String(yr));
      }
    });
    D.breaks.forEach(function (b) {
      var i = D.years.indexOf(b.y);
      if (i < 0) {
        return;
      }
      var bx = i > 0 ? (x(i) + x(i - 1)) / 2 : x(i);
      var g = titled(svg("g", {"class": "sr-katko"}, box), b.label + ": " + b.text);
      svg("line", {x1: bx, x2: bx, y1: T, y2: H - B}, g);
      var right = bx > W * 0.6;  // the label on the side with room, never past the edge
      // at the foot of the line: the top right is where a rising whole-country line ends with its own name
      svg("text", {x: right ? bx - 3 : bx + 3, y: H - B - 5, "text-anchor": right ? "end" : "start", "class": "sr-katko-nimi"}, g, b.label);
    });
    var yi = D.years.indexOf(state.year);
    svg("line", {x1: x(yi), x2: x(yi), y1: T, y2: H - B, "class": "sr-nyt"}, box);
    codes.forEach(function (c) {
      if (state.picked.indexOf(c) < 0) {
        titled(svg("path", {d: linePath(D.v[c], x, y, breaksFor(c)), "class": "sr-muu"}, box), NAMES[c]);
      }
    });
    if (D.country) {
      var cy = y;
      if (D.country_axis) {  // a count: the whole country on its own scale (right), else it would flatten the areas
        var cr = range([D.country.v]), ct = ticks(cr[0], cr[1], 5);
        cy = function (v) { return T + (cr[1] - v) * (H - T - B) / (cr[1] - cr[0]); };
        ct.ticks.forEach(function (t) {
          svg("text", {x: W - R + 4, y: cy(t) + 3, "text-anchor": "start", "class": "sr-akseli"}, box, fmt(t, ct.dec));
        });
      }
      var label = D.country.n + (D.country_axis ? " (" + M.right_axis + ")" : "");
      titled(svg("path", {d: linePath(D.country.v, x, cy, null), "class": "sr-maa"}, box), label);
      var last = D.country.v.length - 1;
      while (last > 0 && D.country.v[last] === null) {
        last--;
      }
      if (D.country.v[last] !== null) {  // named at its end, so the reader need not hover to find it
        svg("text", {x: x(last) - 2, y: cy(D.country.v[last]) - 6, "text-anchor": "end", "class": "sr-maa-nimi"}, box, label);
      }
    }
    state.picked.forEach(function (c, k) {
      var colour = HIGHLIGHT[k % HIGHLIGHT.length];
      var g = svg("g", {"class": "sr-valittu"}, box);
      titled(svg("path", {d: linePath(D.v[c], x, y, breaksFor(c)), stroke: colour}, g), NAMES[c]);
      D.v[c].forEach(function (v, i) {
        var mark = v === null ? "" : D.f[c] ? D.f[c][i] : "";
        if (v === null || (n > 20 && !mark && !isSmall(c, i) && i !== yi)) {
          return;  // a long series: a dot for the year shown and for a flagged value only
        }
        var dot = svg("circle", {cx: x(i), cy: y(v), r: i === yi ? 4 : 2.2, stroke: colour, fill: mark ? "#fff" : colour,
                                 "class": (mark ? "sr-ennakko" : "") + (isSmall(c, i) ? " sr-pieni" : "")}, g);
        titled(dot, NAMES[c] + " " + D.years[i] + ": " + valueText(c, i) + (mark ? " (" + (D.flag_words[mark] || M.preliminary) + ")" : ""));
      });
    });
    box.setAttribute("data-ready", "");
    drawPicked();
  }

  function drawPicked() {
    var list = $("sr-valitut");
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    state.picked.forEach(function (c, k) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "sr-poista";
      b.setAttribute("aria-label", fill(M.remove, {name: NAMES[c]}));
      var sw = document.createElement("span");
      sw.className = "sr-vari";
      sw.setAttribute("aria-hidden", "true");
      b.appendChild(sw);
      b.appendChild(document.createTextNode(NAMES[c] + " \u00d7"));
      sw.style.background = HIGHLIGHT[k % HIGHLIGHT.length];
      b.addEventListener("click", function () { toggle(c); });
      list.appendChild(b);
    });
  }

  function toggle(code) {
    var at = state.picked.indexOf(code);
    if (at >= 0) {
      state.picked.splice(at, 1);
    } else {
      state.picked.push(code);
      if (state.picked.length > HIGHLIGHT.length) {
        state.picked.shift();
      }
    }
    update();
  }

  function update() {
    showYear();
    drawChart();
    writeHash();
  }

  // ---------------------------------------------------------------- wiring

  document.querySelector(".sr-ohjaimet").hidden = D.years.length < 2;  // one year: nothing to choose
  var chart = document.querySelector(".sr-kaavio");
  if (chart) {
    chart.hidden = false;
  }
  $("sr-ilman").hidden = true;
  $("sr-vuosi").addEventListener("input", function () {
    var v = parseInt(this.value, 10);
    // the slider steps by one; a year the series lacks snaps to the nearest it has
    state.year = D.years.reduce(function (best, y) { return Math.abs(y - v) < Math.abs(best - v) ? y : best; }, D.years[0]);
    update();
  });
  $("sr-edellinen").addEventListener("click", function () { step(-1); });
  $("sr-seuraava").addEventListener("click", function () { step(1); });
  function step(k) {
    var i = D.years.indexOf(state.year) + k;
    if (i >= 0 && i < D.years.length) {
      state.year = D.years[i];
      update();
    }
  }
  var pick = $("sr-alue");
  if (pick) {
    pick.addEventListener("change", function () {
      if (this.value && state.picked.indexOf(this.value) < 0) {
        toggle(this.value);
      }
      this.value = "";
    });
    document.querySelectorAll("path.sr-alue").forEach(function (p) {
      if (D.v[p.getAttribute("data-code")]) {
        p.addEventListener("click", function () { toggle(p.getAttribute("data-code")); });
      }
    });
  }
  window.addEventListener("hashchange", function () {
    readHash();
    update();
  });
  var width = 0;
  window.addEventListener("resize", function () {
    var box = $("sr-svg-kaavio");
    if (box && Math.abs(box.getBoundingClientRect().width - width) > 8) {
      width = box.getBoundingClientRect().width;
      drawChart();
    }
  });
  readHash();
  // The pre-drawn map paints first; the chart and the year from the address follow in the next task (a reader sees
  // the map at once rather than after the chart is drawn).
  requestAnimationFrame(function () { setTimeout(update, 0); });
}());
