/* The model builder (mallit/oma.html): assign the 22 mainland areas to units and see the scorecard's criteria.
 * Reads the page's JSON (#rk-data: areas, adjacency, distances, built-in plans, census summaries; #rk-teksti: the
 * messages in the page's language). Åland (the area with "opt") is in no unit unless the reader adds it; a plan
 * with it exports "aland: own_unit", the rule helpers.models.model_files checks. Computes as
 * helpers.models.decision.model_column does: whole person-years by a divisor method with or without a floor,
 * per-worker spreads (largest / smallest, largest), the longest distance.
 * Writes text nodes only: nothing from a file or the address becomes markup. Keeps the plan in the address.
 */
(function () {
  "use strict";

  var root = document.getElementById("rakentaja");
  var dataEl = document.getElementById("rk-data");
  if (!root || !dataEl) {
    return;
  }
  var D = JSON.parse(dataEl.textContent);
  var M = JSON.parse(document.getElementById("rk-teksti").textContent);
  var LANG = document.documentElement.lang || "fi";
  var SEP = LANG === "en" ? [".", ","] : [",", "\u00a0"];
  var MAX_FILE = 200 * 1024;
  var CODES = D.areas.map(function (a) { return a.code; });
  var N = CODES.length;
  var INDEX = {};
  CODES.forEach(function (c, i) { INDEX[c] = i; });
  var ADJ = CODES.map(function () { return []; });
  D.edges.forEach(function (e) { ADJ[INDEX[e[0]]].push(INDEX[e[1]]); ADJ[INDEX[e[1]]].push(INDEX[e[0]]); });
  var MK_AREAS = {};
  D.areas.forEach(function (a, i) { (MK_AREAS[a.mk] = MK_AREAS[a.mk] || []).push(i); });
  var ALAND = -1;  // the optional area's index (Åland), last in the data
  D.areas.forEach(function (a, i) { if (a.opt) { ALAND = i; } });
  var DIGITS = "0123456789abcdefghijklm";  // unit 0 (none) to 22 in the address

  function $(id) { return document.getElementById(id); }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return values[k] === undefined ? m : String(values[k]); });
  }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  // helpers.base.numbers.fmt_number: fixed decimals, the language's separators, a minus sign for negatives
  function fmt(v, d) {
    if (v === null || v === undefined || !isFinite(v)) {
      return "–";
    }
    var a = Math.abs(v), scaled = a * Math.pow(10, d);
    if (scaled % 1 === 0.5) {
      // an exact tie: Python's format rounds half to even, toFixed away from zero
      a = (Math.floor(scaled) % 2 === 0 ? Math.floor(scaled) : Math.floor(scaled) + 1) / Math.pow(10, d);
    }
    var s = a.toFixed(d).split(".");
    var whole = s[0].replace(/\B(?=(\d{3})+(?!\d))/g, SEP[1]);
    var text = whole + (s.length > 1 ? SEP[0] + s[1] : "");
    return (v < 0 && Number(s.join(".")) !== 0 ? "\u2212" : "") + text;
  }

  // ---------------------------------------------------------------- the scorecard's arithmetic

  // helpers.models.apportionment.apportion: highest averages, ties to the unit listed first
  function apportion(weights, budget, method, floor) {
    var seats = weights.map(function () { return floor; });
    var div = method === "huntington_hill" ? function (n) { return Math.sqrt(n * (n + 1)); } : function (n) { return n + 0.5; };
    for (var s = budget - floor * weights.length; s > 0; s--) {
      var best = -1, bp = [-1, -1];
      for (var i = 0; i < weights.length; i++) {
        var d = div(seats[i]);
        var p = d === 0 && weights[i] > 0 ? [1, weights[i]] : [0, d > 0 ? weights[i] / d : 0];
        if (p[0] > bp[0] || (p[0] === bp[0] && p[1] > bp[1])) {
          best = i; bp = p;
        }
      }
      seats[best] += 1;
    }
    return seats;
  }

  function allocate(pops, budget, method, variant) {
    if (variant === "floor") {
      return pops.length > budget ? null : apportion(pops, budget, method, 1);
    }
    return apportion(pops, budget, method, 0);
  }

  function spread(values, seats) {
    var per = values.map(function (v, i) { return seats[i] > 0 ? v / seats[i] : NaN; });
    if (!per.length || per.some(function (x) { return !isFinite(x); })) {
      return [NaN, NaN];
    }
    var hi = Math.max.apply(null, per), lo = Math.min.apply(null, per);
    return lo > 0 ? [hi / lo, hi] : [NaN, NaN];
  }

  // Connected pieces over land borders. Åland has none: with mainland areas it is counted with them (across the sea,
  // as the law keeps it apart anyway), not as a second piece.
  function pieces(members) {
    var inUnit = {}, seen = {}, count = 0;
    if (members.length > 1) {
      members = members.filter(function (i) { return i !== ALAND; });
    }
    members.forEach(function (i) { inUnit[i] = true; });
    members.forEach(function (start) {
      if (seen[start]) { return; }
      count++;
      var stack = [start];
      seen[start] = true;
      while (stack.length) {
        ADJ[stack.pop()].forEach(function (j) {
          if (inUnit[j] && !seen[j]) { seen[j] = true; stack.push(j); }
        });
      }
    });
    return count;
  }

  // Units of an assignment (area index -> unit number, 0 none), in unit order, each with what the criteria need.
  function unitsOf(assign, names) {
    var out = [];
    for (var u = 1; u <= 22; u++) {
      var members = [];
      assign.forEach(function (x, i) { if (x === u) { members.push(i); } });
      if (!members.length) { continue; }
      var pop = 0, whole = true, mks = {};
      members.forEach(function (i) { pop += D.areas[i].pop; mks[D.areas[i].mk] = true; });
      Object.keys(mks).forEach(function (mk) {
        if (MK_AREAS[mk].some(function (i) { return assign[i] !== u; })) { whole = false; }
      });
      // the scorecard's rule: whole maakunnat exactly, otherwise every area by its population share
      var assoc = 0;
      if (whole) {
        Object.keys(mks).forEach(function (mk) { assoc += D.areas[MK_AREAS[mk][0]].c3; });
      } else {
        members.forEach(function (i) { assoc += D.areas[i].est; });
      }
      var dist = 0;
      members.forEach(function (i) { members.forEach(function (j) { dist = Math.max(dist, D.distances[i][j]); }); });
      out.push({n: u, members: members, pop: pop, assoc: assoc, regions: members.length, dist: dist, pieces: pieces(members),
                name: (names && names[u]) || fill(M.unit_n, {n: u})});
    }
    return out;
  }

  function evaluate(assign, names, rule) {
    var units = unitsOf(assign, names);
    var pops = units.map(function (x) { return x.pop; });
    var seats = allocate(pops, rule.budget, rule.method, rule.variant);
    var res = {units: units, seats: seats, criteria: {}, leftOut: []};
    var textbook = seats || allocate(pops, rule.budget, rule.method, "no_floor");
    res.leftOut = units.filter(function (x, i) { return textbook[i] === 0; }).map(function (x) { return x.name; });
    if (seats) {
      var r = spread(pops, seats), a = spread(units.map(function (x) { return x.assoc; }), seats),
          c = spread(units.map(function (x) { return x.regions; }), seats);
      res.criteria = {residents_ratio: r[0], residents_max: r[1], associations_ratio: a[0], associations_max: a[1], counterparts_max: c[1]};
    }
    res.criteria.regions_max = Math.max.apply(null, units.map(function (x) { return x.regions; }));
    res.criteria.longest_distance_km = Math.max.apply(null, units.map(function (x) { return x.dist; }));
    return res;
  }

  function evenness(units) {
    var s = D.evenness[String(units.length)];
    if (!s || units.some(function (x) { return x.members.indexOf(ALAND) >= 0; }) || units.some(function (x) { return x.pieces !== 1; })) {
      return null;
    }
    var pops = units.map(function (x) { return x.pop; });
    var mx = Math.max.apply(null, pops), mn = Math.min.apply(null, pops);
    var exact = s.exact.filter(function (e) { return e.max * mn === mx * e.min; })[0];
    var out = {k: units.length, count: s.count, ratio: mx / mn};
    if (exact) {
      out.share = exact.count / s.count;
      return out;
    }
    var r = mx / mn, before = 0;
    for (var b = 0; b < s.bins.length; b++) {
      var bin = s.bins[b];
      if (r >= bin[0] && (bin[1] === null || r < bin[1])) {
        out.lo = before / s.count; out.hi = bin[2] / s.count;
        return out;
      }
      before = bin[2];
    }
    return null;
  }

  // ---------------------------------------------------------------- state, history, the address

  var state = {k: 5, assign: CODES.map(function () { return 0; }), names: null, from: "", aland: false};
  function active(i, s) { return i !== ALAND || (s || state).aland; }
  function missingOf(s) { return s.assign.filter(function (x, i) { return x === 0 && active(i, s); }).length; }
  var undo = [], redo = [];
  var focus = 0;
  var svg = $("rk-svg");
  var paths = {}, labels = {};
  svg.querySelectorAll("path[data-code]").forEach(function (p) { paths[p.getAttribute("data-code")] = p; });
  svg.querySelectorAll("g.rk-nro").forEach(function (g) { labels[g.getAttribute("data-code")] = g; });

  function copy(s) { return {k: s.k, assign: s.assign.slice(), names: s.names ? s.names.slice() : null, from: s.from, aland: !!s.aland}; }
  function commit(next, say) {
    undo.push(copy(state));
    if (undo.length > 200) { undo.shift(); }
    redo = [];
    state = next;
    render(say);
  }
  function rule() {
    var b = parseInt($("rk-budjetti").value, 10);
    return {budget: isFinite(b) && b > 0 ? Math.min(b, 200) : 18, method: $("rk-menetelma").value, variant: $("rk-lattia").value};
  }
  function hashOf(s) {
    return "#k=" + s.k + "&a=" + s.assign.filter(function (x, i) { return active(i, s); }).map(function (x) { return DIGITS.charAt(x); }).join("");
  }
  function fromHash(h) {
    var m = /^#k=(\d{1,2})&a=([0-9a-m]+)$/.exec(h);
    var withAland = ALAND >= 0 && m && m[2].length === N;
    if (!m || (m[2].length !== N && !(ALAND >= 0 && m[2].length === N - 1))) {
      throw new Error(M.hash_format);
    }
    var k = parseInt(m[1], 10);
    var digits = m[2].split("").map(function (ch) { return DIGITS.indexOf(ch); });
    var assign = CODES.map(function (c, i) { return i === ALAND ? (withAland ? digits[digits.length - 1] : 0) : digits[i]; });
    if (k < 1 || k > 22 || assign.some(function (x) { return x > k; })) {
      throw new Error(M.hash_format);
    }
    return {k: k, assign: assign, names: null, from: "", aland: withAland || ALAND < 0};
  }
  var writingHash = false;
  function writeHash() {
    var h = hashOf(state);
    if (location.hash === h) { return; }
    try {
      history.replaceState(null, "", h);
    } catch (e) {
      writingHash = true;
      location.hash = h;
    }
  }

  // ---------------------------------------------------------------- drawing

  function colour(u) { return D.colours[(u - 1) % D.colours.length]; }
  function message(text) { $("rk-viesti").textContent = text || ""; }
  function status(text) { $("rk-tila").textContent = text || ""; }

  function unitButtons() {
    var box = $("rk-yksikot");
    var current = box.getAttribute("data-current") || "1";
    if (parseInt(current, 10) > state.k) { current = "1"; }
    box.textContent = "";
    box.setAttribute("data-current", current);
    for (var u = 1; u <= state.k; u++) {
      var b = el("button", {type: "button", "data-unit": String(u), "aria-pressed": String(String(u) === current), class: "rk-yksikko"},
                 [el("span", {class: "rk-vari", style: "background:" + colour(u)}), String(u)]);
      box.appendChild(b);
    }
  }

  function selects() {
    document.querySelectorAll("select.rk-valinta").forEach(function (sel) {
      var i = INDEX[sel.getAttribute("data-code")];
      sel.textContent = "";
      sel.appendChild(el("option", {value: "0"}, ["–"]));
      for (var u = 1; u <= state.k; u++) {
        sel.appendChild(el("option", {value: String(u)}, [fill(M.unit_n, {n: u})]));
      }
      sel.value = String(state.assign[i]);
      sel.disabled = !active(i);
      if (i === ALAND) { sel.closest("tr").hidden = !state.aland; }
    });
  }

  function table(caption, header, rows, cls) {
    var t = el("table", {class: cls || ""}, [el("caption", {}, [caption])]);
    t.appendChild(el("thead", {}, [el("tr", {}, header.map(function (h) { return el("th", {scope: "col"}, [h]); }))]));
    var body = el("tbody");
    rows.forEach(function (r) { body.appendChild(r); });
    t.appendChild(body);
    return el("div", {class: "taulukko", role: "region", tabindex: "0", "aria-label": caption}, [t]);
  }

  function builtIn(id) { return D.models.filter(function (m) { return m.id === id; })[0]; }
  function planOf(model) {
    var assign = CODES.map(function () { return 0; }), names = [null];
    model.units.forEach(function (u, n) {
      names.push(u.name);
      u.members.forEach(function (c) { assign[INDEX[c]] = n + 1; });
    });
    return {k: Math.max(1, model.units.length), assign: assign, names: names, from: model.id, aland: !!model.aland};
  }

  function render(say) {
    var r = rule();
    $("rk-k").value = String(state.k);
    unitButtons();
    selects();
    $("rk-ahv").checked = !!state.aland;
    if (!active(focus)) { focus = 0; }
    var missing = missingOf(state);
    var res = evaluate(state.assign, state.names, r);
    var split = {};
    res.units.forEach(function (x) { if (x.pieces > 1) { split[x.n] = true; } });
    CODES.forEach(function (c, i) {
      var u = state.assign[i], p = paths[c], g = labels[c];
      p.style.fill = u ? colour(u) : "";
      if (i === ALAND) { p.classList.toggle("rk-alue", state.aland); p.classList.toggle("rk-ahvenanmaa", !state.aland); }
      p.classList.toggle("rk-osissa", !!split[u]);
      p.classList.toggle("rk-kohdistus", i === focus);
      p.setAttribute("aria-label", D.areas[i].name + ": " + (u ? fill(M.unit_n, {n: u}) : "–"));
      g.querySelector("text").textContent = u ? String(u) : "";
      g.classList.toggle("rk-tyhja", !u);
    });
    // the figures
    var box = $("rk-vertailu");
    box.textContent = "";
    var notes = [];
    if (missing) {
      notes.push(fill(M.incomplete, {n: missing}));
    } else {
      var cols = [{id: "plan", label: M.plan, res: res}];
      D.compare.forEach(function (id) {
        var m = builtIn(id), p = planOf(m);
        cols.push({id: id, label: m.label, res: evaluate(p.assign, p.names, r)});
      });
      var rows = Object.keys(D.criteria).map(function (c) {
        var crit = D.criteria[c];
        return el("tr", {}, [el("th", {scope: "row"}, [crit.label + (crit.unit ? " (" + crit.unit + ")" : "")])].concat(cols.map(function (col) {
          var v = col.res.criteria[c];
          return el("td", {class: "num", "data-metric": c, "data-col": col.id, "data-label": col.label}, [fmt(v === undefined ? NaN : v, crit.decimals)]);
        })));
      });
      box.appendChild(table(M.criterion, [M.criterion].concat(cols.map(function (c) { return c.label; })), rows, "rk-mittarit"));
      if (!res.seats) {
        notes.push(fill(M.infeasible, {n: res.units.length, budget: r.budget, units: res.leftOut.join(", ")}));
      } else if (res.leftOut.length) {
        notes.push(fill(M.left_out, {units: res.leftOut.join(", ")}));
      }
    }
    var splitNames = res.units.filter(function (x) { return x.pieces > 1; }).map(function (x) { return x.name; });
    if (splitNames.length) {
      notes.push(fill(M.split_units, {units: splitNames.join(", ")}));
    }
    if (state.from) {
      var from = builtIn(state.from);
      if (from && from.split.length) {
        notes.push(fill(M.split_model, {model: from.label, areas: from.split.map(function (c) { return D.areas[INDEX[c]].name; }).join(", ")}));
      }
    }
    notes.forEach(function (n) { box.appendChild(el("p", {class: "huomautus"}, [n])); });
    var even = missing ? null : evenness(res.units);
    var evenText = state.aland && state.assign[ALAND] ? M.even_aland : M.even_none;
    if (even) {
      var share = even.share !== undefined ? fmt(even.share * 100, 1) + "\u00a0%" :
        fill(M.even_range, {lo: fmt(even.lo * 100, 1), hi: fmt(even.hi * 100, 1)});
      evenText = fill(M.even, {k: even.k, share: share, count: fmt(even.count, 0), ratio: fmt(even.ratio, 2)});
    }
    $("rk-tasaisuus").textContent = evenText;
    $("rk-tasaisuus").setAttribute("data-share", even && even.share !== undefined ? String(even.share) : "");
    // the units
    var ub = $("rk-yksikkotaulu");
    ub.textContent = "";
    var urows = res.units.map(function (x, i) {
      var s = res.seats ? res.seats[i] : null;
      var cells = [
        el("th", {scope: "row"}, [el("span", {class: "rk-vari", style: "background:" + colour(x.n)}), x.n + " " + x.name]),
        el("td", {}, [x.members.map(function (j) { return D.areas[j].name; }).join(", ")]),
        el("td", {class: "num"}, [fmt(x.pop, 0)]),
        el("td", {class: "num"}, [s === null ? "–" : fmt(s, 0)]),
        el("td", {class: "num"}, [s ? fmt(x.pop / s, 0) : "–"]),
        el("td", {class: "num"}, [s ? fmt(x.assoc / s, 0) : "–"]),
        el("td", {class: "num"}, [s ? fmt(x.regions / s, 2) : "–"]),
        el("td", {class: "num"}, [fmt(x.dist, 0)]),
        el("td", {"data-pieces": String(x.pieces), class: x.pieces > 1 ? "rk-osissa-solu" : ""}, [(x.pieces > 1 ? fill(M.pieces, {n: x.pieces}) : M.whole) +
                                                                                   (x.members.length > 1 && x.members.indexOf(ALAND) >= 0 ? M.aland_sea : "")])];
      return el("tr", {"data-unit": String(x.n)}, cells);
    });
    ub.appendChild(table(M.plan, [M.unit_n.replace(" {n}", ""), M.areas, M.residents, M.workers, M.per_worker, M.assoc_per_worker, M.counterparts, M.distance, M.shape], urows, "rk-yksikkotaulu"));
    $("rk-linkki").setAttribute("href", hashOf(state));
    writeHash();
    if (say) { status(say); }
  }

  // ---------------------------------------------------------------- editing

  function currentUnit() { return parseInt($("rk-yksikot").getAttribute("data-current") || "1", 10); }
  function assignArea(i, u) {
    if (!active(i) || u > state.k || state.assign[i] === u) { return; }
    var next = copy(state);
    next.assign[i] = u;
    message("");
    commit(next, u ? fill(M.assigned, {area: D.areas[i].name, n: u}) : fill(M.cleared, {area: D.areas[i].name}));
  }
  function setK(k) {
    k = Math.max(1, Math.min(22, k | 0));
    if (k === state.k) { return; }
    var next = copy(state);
    next.k = k;
    next.assign = next.assign.map(function (x) { return x > k ? 0 : x; });
    commit(next);
  }

  function nearest(dir) {
    var x0 = parseFloat(paths[CODES[focus]].getAttribute("data-x")), y0 = parseFloat(paths[CODES[focus]].getAttribute("data-y"));
    var best = -1, score = Infinity;
    CODES.forEach(function (c, i) {
      if (i === focus || !active(i)) { return; }
      var dx = parseFloat(paths[c].getAttribute("data-x")) - x0, dy = parseFloat(paths[c].getAttribute("data-y")) - y0;
      var along = {ArrowRight: dx, ArrowLeft: -dx, ArrowDown: dy, ArrowUp: -dy}[dir], across = dir === "ArrowLeft" || dir === "ArrowRight" ? dy : dx;
      if (along <= 0) { return; }
      var s = along + 2 * Math.abs(across);
      if (s < score) { score = s; best = i; }
    });
    return best;
  }

  var digitBuffer = "", digitTime = 0;
  svg.setAttribute("tabindex", "0");
  svg.addEventListener("keydown", function (ev) {
    if (/^Arrow/.test(ev.key)) {
      var n = nearest(ev.key);
      if (n >= 0) { focus = n; render(D.areas[n].name + ": " + (state.assign[n] ? fill(M.unit_n, {n: state.assign[n]}) : "–")); }
      ev.preventDefault();
    } else if (/^[0-9]$/.test(ev.key)) {
      // two digits typed quickly pick units 10-22: the second replaces the first step
      var now = Date.now();
      var combined = digitBuffer && now - digitTime < 800 ? parseInt(digitBuffer + ev.key, 10) : NaN;
      if (isFinite(combined) && combined <= state.k && combined >= 10) {
        state = undo.pop() || state;
        digitBuffer = "";
        assignArea(focus, combined);
      } else {
        digitBuffer = ev.key; digitTime = now;
        assignArea(focus, parseInt(ev.key, 10));
      }
      ev.preventDefault();
    } else if (ev.key === "Enter" || ev.key === " ") {
      assignArea(focus, currentUnit());
      ev.preventDefault();
    } else if (ev.key === "Delete" || ev.key === "Backspace") {
      assignArea(focus, 0);
      ev.preventDefault();
    }
  });
  svg.addEventListener("click", function (ev) {
    var p = ev.target.closest ? ev.target.closest("path.rk-alue") : null;
    if (!p) { return; }
    focus = INDEX[p.getAttribute("data-code")];
    assignArea(focus, currentUnit());
  });
  $("rk-yksikot").addEventListener("click", function (ev) {
    var b = ev.target.closest ? ev.target.closest("button[data-unit]") : null;
    if (!b) { return; }
    $("rk-yksikot").setAttribute("data-current", b.getAttribute("data-unit"));
    unitButtons();
  });
  root.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t.classList && t.classList.contains("rk-valinta")) {
      assignArea(INDEX[t.getAttribute("data-code")], parseInt(t.value, 10) || 0);
    } else if (t.id === "rk-ahv") {
      var next = copy(state);
      next.aland = !!t.checked;
      if (!next.aland && ALAND >= 0) { next.assign[ALAND] = 0; }
      message("");
      commit(next, D.areas[ALAND].name + ": " + (next.aland ? "+" : "\u2212"));
    } else if (t.id === "rk-k") {
      setK(parseInt(t.value, 10));
    } else if (t.id === "rk-budjetti" || t.id === "rk-menetelma" || t.id === "rk-lattia") {
      render();
    } else if (t.id === "rk-tuo") {
      importFile(t);
    }
  });
  $("rk-aloita").addEventListener("click", function () {
    var id = $("rk-pohja").value;
    var m = id ? builtIn(id) : null;
    message("");
    commit(m ? planOf(m) : {k: state.k, assign: CODES.map(function () { return 0; }), names: null, from: "", aland: state.aland}, m ? fill(M.loaded, {name: m.label}) : "");
  });
  $("rk-kumoa").addEventListener("click", function () {
    if (!undo.length) { return; }
    redo.push(copy(state));
    state = undo.pop();
    render(M.undone);
  });
  $("rk-uudelleen").addEventListener("click", function () {
    if (!redo.length) { return; }
    undo.push(copy(state));
    state = redo.pop();
    render(M.redone);
  });
  $("rk-tyhjenna").addEventListener("click", function () {
    commit({k: state.k, assign: CODES.map(function () { return 0; }), names: null, from: "", aland: state.aland});
  });
  window.addEventListener("hashchange", function () {
    if (writingHash) { writingHash = false; return; }
    if (!location.hash || location.hash === hashOf(state)) { return; }
    try {
      var next = fromHash(location.hash);
      message("");
      commit(next);
    } catch (e) {
      message(fill(M.bad_hash, {why: e.message}));
    }
  });

  // ---------------------------------------------------------------- export

  function today() { return new Date().toISOString().slice(0, 10); }
  function quote(s) {
    // a YAML double-quoted scalar: backslash, quote and control characters escaped
    return "\"" + String(s).replace(/[\\"]/g, "\\$&").replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, function (ch) {
      return ch === "\n" ? "\\n" : "\\u" + ("000" + ch.charCodeAt(0).toString(16)).slice(-4);
    }) + "\"";
  }
  function slug(name) {
    var s = String(name).toLowerCase().replace(/[äå]/g, "a").replace(/ö/g, "o").replace(/[^0-9a-z]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 60);
    s = s || "oma_malli";
    return builtIn(s) ? "oma_" + s : s;
  }
  var UNIT_WORDS = {fi: "Yksikkö", sv: "Enhet", en: "Unit"};
  function compactUnits() {
    return unitsOf(state.assign, state.names).map(function (x, i) {
      return {code: "yksikko_" + (i + 1), members: x.members.map(function (j) { return CODES[j]; }),
              name: state.names && state.names[x.n] ? {fi: state.names[x.n]} : {fi: UNIT_WORDS.fi + " " + (i + 1), sv: UNIT_WORDS.sv + " " + (i + 1), en: UNIT_WORDS.en + " " + (i + 1)}};
    });
  }
  function toYaml() {
    var name = $("rk-nimi").value.trim() || M.plan, desc = $("rk-kuvaus").value.trim(), date = today();
    var names = "{fi: " + quote(name) + ", sv: " + quote(name) + ", en: " + quote(name) + "}";
    var lines = ["# " + name.replace(/[\r\n]+/g, " ") + " (" + date + ")", "id: " + slug(name), "name: " + names, "basis: groups",
      "member_level: hyvinvointialue", "aland: " + (state.aland ? "own_unit" : "excluded"), "regional_htv_per_unit: null", "coordination_htv: null", "survey_question: null", "units:"];
    compactUnits().forEach(function (u) {
      var n = Object.keys(u.name).map(function (l) { return l + ": " + quote(u.name[l]); }).join(", ");
      lines.push("  - {code: " + u.code + ", name: {" + n + "}, members: [" + u.members.map(quote).join(", ") + "]}");
    });
    var note = (desc ? desc + " " : "") + "(" + date + ")";
    lines.push("notes:", "  fi: " + quote(note), "  sv: " + quote(note), "  en: " + quote(note));
    return lines.join("\n") + "\n";
  }
  function csvField(s) {
    s = String(s);
    return /[",\n\r]/.test(s) ? "\"" + s.replace(/"/g, "\"\"") + "\"" : s;
  }
  function toCsv() {
    var rows = [["hyvinvointialue_code", "hyvinvointialue_name", "unit", "unit_name"]];
    var units = compactUnits();
    units.forEach(function (u, i) {
      u.members.forEach(function (c) { rows.push([c, D.areas[INDEX[c]].name, String(i + 1), u.name.fi]); });
    });
    return rows.map(function (r) { return r.map(csvField).join(","); }).join("\r\n") + "\r\n";
  }
  function offer(text, file, type) {
    var missing = missingOf(state);
    if (missing) {
      message(fill(M.export_incomplete, {n: missing}));
      return;
    }
    var pre = $("rk-vienti");
    pre.textContent = text;
    pre.hidden = false;
    var a = el("a", {href: URL.createObjectURL(new Blob([text], {type: type})), download: file});
    document.body.appendChild(a);
    a.click();
    document.body.removeChild(a);
    message("");
    status(fill(M.exported, {file: file}));
  }
  $("rk-yaml").addEventListener("click", function () { offer(toYaml(), slug($("rk-nimi").value.trim() || M.plan) + ".yaml", "application/yaml"); });
  $("rk-csv").addEventListener("click", function () { offer(toCsv(), slug($("rk-nimi").value.trim() || M.plan) + ".csv", "text/csv"); });

  // ---------------------------------------------------------------- import: the project's YAML subset and CSV

  function fail(text) { throw new Error(text); }

  // Flow values: {a: b, c: [d, "e"]} and scalars. Anchors, aliases and tags are refused before this runs.
  function parseFlow(src, line) {
    var pos = 0;
    function ws() { while (pos < src.length && /\s/.test(src.charAt(pos))) { pos++; } }
    function scalar(stops) {
      ws();
      var ch = src.charAt(pos);
      if (ch === "\"") {
        var out = "";
        pos++;
        while (pos < src.length && src.charAt(pos) !== "\"") {
          if (src.charAt(pos) === "\\") {
            var e = src.charAt(pos + 1);
            if (e === "u") { out += String.fromCharCode(parseInt(src.substr(pos + 2, 4), 16)); pos += 6; continue; }
            out += {n: "\n", t: "\t", "\"": "\"", "\\": "\\", "/": "/"}[e] || fail(fill(M.yaml_syntax, {line: line}));
            pos += 2;
            continue;
          }
          out += src.charAt(pos++);
        }
        if (src.charAt(pos) !== "\"") { fail(fill(M.yaml_syntax, {line: line})); }
        pos++;
        return out;
      }
      if (ch === "'") {
        var end = pos + 1, s = "";
        for (;;) {
          var q = src.indexOf("'", end);
          if (q < 0) { fail(fill(M.yaml_syntax, {line: line})); }
          s += src.slice(end, q);
          if (src.charAt(q + 1) === "'") { s += "'"; end = q + 2; } else { pos = q + 1; return s; }
        }
      }
      var start = pos;
      while (pos < src.length && stops.indexOf(src.charAt(pos)) < 0) { pos++; }
      return plain(src.slice(start, pos).trim());
    }
    function value(stops) {
      ws();
      var ch = src.charAt(pos);
      if (ch === "{") {
        pos++;
        var obj = {};
        ws();
        if (src.charAt(pos) === "}") { pos++; return obj; }
        for (;;) {
          var k = scalar(":,}");
          ws();
          if (src.charAt(pos) !== ":") { fail(fill(M.yaml_syntax, {line: line})); }
          pos++;
          obj[String(k)] = value(",}");
          ws();
          if (src.charAt(pos) === ",") { pos++; continue; }
          if (src.charAt(pos) === "}") { pos++; return obj; }
          fail(fill(M.yaml_syntax, {line: line}));
        }
      }
      if (ch === "[") {
        pos++;
        var arr = [];
        ws();
        if (src.charAt(pos) === "]") { pos++; return arr; }
        for (;;) {
          arr.push(value(",]"));
          ws();
          if (src.charAt(pos) === ",") { pos++; continue; }
          if (src.charAt(pos) === "]") { pos++; return arr; }
          fail(fill(M.yaml_syntax, {line: line}));
        }
      }
      return scalar(stops);
    }
    var v = value("");
    ws();
    if (pos !== src.length) { fail(fill(M.yaml_syntax, {line: line})); }
    return v;
  }
  function plain(s) {
    if (s === "" || s === "null" || s === "~") { return null; }
    if (s === "true" || s === "false") { return s === "true"; }
    if (/^-?\d+(\.\d+)?$/.test(s) && !/^0\d/.test(s)) { return Number(s); }
    return s;
  }
  // A comment starts at '#' after a space (or at the start), outside quotes.
  function stripComment(line) {
    var q = "";
    for (var i = 0; i < line.length; i++) {
      var c = line.charAt(i);
      if (q) {
        if (c === "\\" && q === "\"") { i++; } else if (c === q) { q = ""; }
      } else if (c === "\"" || c === "'") {
        q = c;
      } else if (c === "#" && (i === 0 || /\s/.test(line.charAt(i - 1)))) {
        return line.slice(0, i);
      } else if ((c === "&" || c === "*" || c === "!") && (i === 0 || /[\s,\[{:-]/.test(line.charAt(i - 1)))) {
        return null;  // an anchor, alias or tag: outside the project's format
      }
    }
    return line;
  }
  function parseYaml(text) {
    var lines = [];
    text.split(/\r?\n/).forEach(function (raw, n) {
      if (/^\t/.test(raw)) { fail(fill(M.yaml_syntax, {line: n + 1})); }
      var s = stripComment(raw);
      if (s === null) { fail(fill(M.alias, {line: n + 1})); }
      if (/^(---|\.\.\.)\s*$/.test(s)) { if (lines.length) { fail(fill(M.yaml_syntax, {line: n + 1})); } return; }
      if (s.trim()) { lines.push({indent: s.length - s.replace(/^ +/, "").length, text: s.trim(), n: n + 1}); }
    });
    var i = 0;
    function keyValue(t, n) {
      var m = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s"'{\[][^:]*?):(\s+(.*))?$/.exec(t);
      if (!m) { fail(fill(M.yaml_syntax, {line: n})); }
      var key = m[1].charAt(0) === "\"" || m[1].charAt(0) === "'" ? parseFlow(m[1], n) : m[1].trim();
      return [String(key), m[3] === undefined ? "" : m[3]];
    }
    function block(indent) {
      if (i >= lines.length || lines[i].indent < indent) { return null; }
      var ind = lines[i].indent;
      if (/^-(\s|$)/.test(lines[i].text)) {
        var seq = [];
        while (i < lines.length && lines[i].indent === ind && /^-(\s|$)/.test(lines[i].text)) {
          var rest = lines[i].text.replace(/^-\s*/, ""), n = lines[i].n;
          if (!rest) { i++; seq.push(block(ind + 1)); continue; }
          if (/^[{\["']/.test(rest) || !/:(\s|$)/.test(rest)) { i++; seq.push(parseFlow(rest, n)); continue; }
          lines[i] = {indent: ind + 2, text: rest, n: n};  // "- key: value" opens a mapping two columns in
          seq.push(block(ind + 2));
        }
        return seq;
      }
      var map = {};
      while (i < lines.length && lines[i].indent === ind) {
        var kv = keyValue(lines[i].text, lines[i].n);
        i++;
        if (Object.prototype.hasOwnProperty.call(map, kv[0])) { fail(fill(M.yaml_syntax, {line: lines[i - 1].n})); }
        if (/^[|>][-+0-9]*\s*$/.test(kv[1])) {
          fail(M.not_format);  // block scalars: outside the project's format
        } else if (kv[1] !== "") {
          map[kv[0]] = parseFlow(kv[1], lines[i - 1].n);
        } else if (i < lines.length && (lines[i].indent > ind || (lines[i].indent === ind && /^-(\s|$)/.test(lines[i].text)))) {
          map[kv[0]] = block(lines[i].indent);
        } else {
          map[kv[0]] = null;
        }
      }
      if (i < lines.length && lines[i].indent > ind) { fail(fill(M.yaml_syntax, {line: lines[i].n})); }
      return map;
    }
    var doc = block(0);
    if (i < lines.length) { fail(fill(M.yaml_syntax, {line: lines[i].n})); }
    return doc;
  }

  function areaLabel(c) { return INDEX[c] === undefined ? c : c + " " + D.areas[INDEX[c]].name; }
  // Groups of area codes -> a plan; names each unknown, doubled and missing area.
  // aland: true (the file includes Åland), false (it may not list it), null (it is included when listed).
  function planFromGroups(groups, names, aland) {
    if (groups.length > 22) { fail(M.too_many); }
    var assign = CODES.map(function () { return 0; }), unknown = [], twice = [];
    groups.forEach(function (members, u) {
      members.forEach(function (c) {
        c = String(c);
        if (INDEX[c] === undefined || (INDEX[c] === ALAND && aland === false)) { unknown.push(c); return; }
        if (assign[INDEX[c]]) { twice.push(areaLabel(c)); return; }
        assign[INDEX[c]] = u + 1;
      });
    });
    var problems = [];
    if (unknown.length) { problems.push(fill(M.unknown, {codes: unknown.slice(0, 10).join(", ")})); }
    if (twice.length) { problems.push(fill(M.twice, {areas: twice.join(", ")})); }
    var withAland = aland === true || (aland === null && ALAND >= 0 && assign[ALAND] > 0);
    var missing = CODES.filter(function (c, i) { return !assign[i] && (i !== ALAND || withAland); }).map(areaLabel);
    if (missing.length && !unknown.length) { problems.push(fill(M.missing, {areas: missing.join(", ")})); }
    if (problems.length) { fail(problems.join("; ")); }
    return {k: Math.max(1, groups.length), assign: assign, names: [null].concat(names), from: "", aland: withAland};
  }
  function textOf(v) { return typeof v === "string" ? v : (v && typeof v === "object" && typeof v[LANG] === "string" ? v[LANG] : (v && typeof v.fi === "string" ? v.fi : "")); }
  function fromYaml(text) {
    var doc = parseYaml(text);
    if (!doc || typeof doc !== "object" || Array.isArray(doc) || !doc.basis) { fail(M.not_format); }
    if (doc.basis === "hyvinvointialue") {
      var own = CODES.filter(function (c, i) { return i !== ALAND || doc.aland === "own_unit"; });
      return {plan: planFromGroups(own.map(function (c) { return [c]; }), own.map(function () { return null; }), doc.aland === "own_unit"), doc: doc};
    }
    if (doc.basis !== "groups" || doc.member_level !== "hyvinvointialue" || !Array.isArray(doc.units)) { fail(M.not_whole); }
    var groups = [], names = [];
    doc.units.forEach(function (u) {
      if (!u || typeof u !== "object" || !Array.isArray(u.members)) { fail(M.not_format); }
      groups.push(u.members.map(String));
      names.push(textOf(u.name).slice(0, 120) || null);
    });
    return {plan: planFromGroups(groups, names, doc.aland === "own_unit"), doc: doc};
  }
  function parseCsv(text) {
    var rows = [], row = [], field = "", q = false;
    for (var i = 0; i < text.length; i++) {
      var c = text.charAt(i);
      if (q) {
        if (c === "\"") { if (text.charAt(i + 1) === "\"") { field += "\""; i++; } else { q = false; } } else { field += c; }
      } else if (c === "\"") { q = true; } else if (c === ",") { row.push(field); field = ""; } else if (c === "\n" || c === "\r") {
        if (c === "\r" && text.charAt(i + 1) === "\n") { i++; }
        row.push(field); rows.push(row); row = []; field = "";
      } else { field += c; }
    }
    if (field || row.length) { row.push(field); rows.push(row); }
    return rows.filter(function (r) { return r.some(function (f) { return f.trim(); }); });
  }
  function fromCsv(text) {
    var rows = parseCsv(text.replace(/^\ufeff/, ""));
    var head = rows.length ? rows[0].map(function (h) { return h.trim(); }) : [];
    var ci = head.indexOf("hyvinvointialue_code"), ui = head.indexOf("unit"), ni = head.indexOf("unit_name");
    if (ci < 0 || ui < 0) { fail(M.not_format); }
    var order = [], groups = {}, names = {};
    rows.slice(1).forEach(function (r) {
      var u = (r[ui] || "").trim();
      if (!(u in groups)) { order.push(u); groups[u] = []; names[u] = ni >= 0 ? (r[ni] || "").trim().slice(0, 120) : ""; }
      groups[u].push((r[ci] || "").trim());
    });
    return {plan: planFromGroups(order.map(function (u) { return groups[u]; }), order.map(function (u) { return names[u] || null; }), null), doc: null};
  }
  function importFile(input) {
    var f = input.files && input.files[0];
    input.value = "";
    if (!f) { return; }
    if (f.size > MAX_FILE) {
      message(fill(M.bad_file, {why: fill(M.too_big, {kb: Math.ceil(f.size / 1024), max: MAX_FILE / 1024})}));
      return;
    }
    var reader = new FileReader();
    reader.onload = function () {
      var text = String(reader.result);
      try {
        if (text.indexOf("\u0000") >= 0) { fail(M.not_format); }
        var looksCsv = /^\ufeff?[^\n]*hyvinvointialue_code/.test(text);
        var looksYaml = /^(?:[ \t]*(?:#[^\n]*)?\r?\n)*(?:---[ \t]*\r?\n)?[A-Za-z_"'][^\n]*:/.test(text);
        if (!looksCsv && !looksYaml) { fail(M.not_format); }
        var got = looksCsv ? fromCsv(text) : fromYaml(text);
        if (got.doc) {
          $("rk-nimi").value = textOf(got.doc.name).slice(0, 120);
          $("rk-kuvaus").value = textOf(got.doc.notes).slice(0, 1000);
        }
        message("");
        commit(got.plan, fill(M.loaded, {name: f.name}));
      } catch (e) {
        message(fill(M.bad_file, {why: e.message}));
      }
    };
    reader.readAsText(f);
  }

  // ---------------------------------------------------------------- start

  root.querySelectorAll("[hidden]").forEach(function (e) { if (e.id !== "rk-vienti") { e.hidden = false; } });
  document.querySelectorAll(".rk-tulokset, .rk-luettelo, .rk-jako").forEach(function (e) { e.hidden = false; });
  $("rk-ilman").hidden = true;
  if (location.hash) {
    try {
      state = fromHash(location.hash);
    } catch (e) {
      message(fill(M.bad_hash, {why: e.message}));
    }
  }
  render();
  root.setAttribute("data-ready", "1");
})();
