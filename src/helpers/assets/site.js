/* Sote-järjestökartat: the site's one script. No inline script anywhere, so the pages' Content-Security-Policy
 * allows scripts from the site's own files only. Every page works without it (all maps, rows and links show).
 *
 * 1. Figures: a figure travels as JSON ({data, layout, config}) in <script type="application/json"
 *    class="plotly-figure" id="fig-N"> and is drawn with the shared plotly.js into the element "fig-N-plot".
 *    Geo maps: plotly reads a base-map topojson before it draws. The figures' config points topojsonURL at an empty
 *    topojson in a data: URL (helpers.maps.PLOTLY_CONFIG); fetching it would need connect-src data:, so the topojson
 *    is decoded here and handed to plotly in window.PlotlyGeoAssets, which plotly consults before fetching anything.
 * 2. Filters: <input class="suodatin-kentta" data-list="ID"> hides the items of list ID that do not contain the text.
 * 3. Model picker: <fieldset class="mallivalitsin"> with checkboxes; elements with data-model show only for the chosen
 *    models; the choice is kept in the URL hash (#a,b,c), so a link restores the view.
 * 4. The model view's indicator on the chosen models' units (setUpIndicator, below).
 */
(function () {
  "use strict";

  var SCOPES = ["world", "usa", "europe", "asia", "africa", "north-america", "south-america", "antarctica", "oceania"];
  var RESOLUTIONS = ["110", "50"];

  function topojsonFromDataUrl(url) {
    if (typeof url !== "string" || url.indexOf("data:") !== 0) {
      return null;
    }
    var comma = url.indexOf(",");
    var hash = url.lastIndexOf("#");
    var head = url.slice(5, comma);
    var body = url.slice(comma + 1, hash > comma ? hash : url.length);
    return /;base64$/.test(head) ? atob(body) : decodeURIComponent(body);
  }

  function provideTopojson(config) {
    var text = topojsonFromDataUrl(config && config.topojsonURL);
    if (text === null) {
      return;
    }
    var assets = window.PlotlyGeoAssets = window.PlotlyGeoAssets || {};
    assets.topojson = assets.topojson || {};
    SCOPES.forEach(function (scope) {
      RESOLUTIONS.forEach(function (res) {
        var name = scope + "_" + res + "m";
        if (assets.topojson[name] === undefined) {
          assets.topojson[name] = JSON.parse(text);
        }
      });
    });
  }

  // A map's legend sits top left, beside Finland on a wide slot. Where it would cover the regions (a phone, a long
  // region name in a half-width slot) it goes below the map, in rows, and plotly makes room for it. Narrow slots get
  // it there at once (one drawing, not two); elsewhere the drawn legend is measured. When a figure is final, its
  // element gets data-ready (what the browser tests wait for).
  var NARROW_PX = 600;

  function legendBelow(legend) {
    var below = Object.assign({}, legend, {orientation: "h", x: 0, xanchor: "left", y: 0, yanchor: "top"});
    below.title = Object.assign({}, below.title, {side: "top"});
    return below;
  }

  function layoutFor(target, layout) {
    if (!layout || !layout.geo || target.clientWidth >= NARROW_PX) {
      return layout;
    }
    return Object.assign({}, layout, {legend: legendBelow(layout.legend)});
  }

  function legendCoversMap(gd) {
    var legend = gd.querySelector("g.legend");
    var shapes = gd.querySelector(".choroplethlayer");
    if (!legend || !shapes) {
      return false;
    }
    var a = legend.getBoundingClientRect();
    var b = shapes.getBoundingClientRect();
    return a.width * a.height > 0 && a.right > b.left && a.left < b.right && a.bottom > b.top && a.top < b.bottom;
  }

  function settle(gd) {
    var legend = gd.layout.legend || {};
    if (gd.layout.geo && legend.orientation !== "h" && legendCoversMap(gd)) {
      return window.Plotly.relayout(gd, {legend: legendBelow(legend)});
    }
    return gd;
  }

  function draw(block) {
    var target = document.getElementById(block.id + "-plot");
    if (!target || target.getAttribute("data-drawn")) {
      return;
    }
    target.setAttribute("data-drawn", "1");
    function ready() {
      target.setAttribute("data-ready", "1");
    }
    try {
      var spec = JSON.parse(block.textContent);
      provideTopojson(spec.config);
      window.Plotly.newPlot(target, spec.data, layoutFor(target, spec.layout), spec.config).then(settle).then(ready, function (err) {
        console.error("figure " + block.id + ": " + err);
        ready();
      });
    } catch (err) {
      console.error("figure " + block.id + ": " + err);
      ready();
    }
  }

  function drawAll() {
    var blocks = document.querySelectorAll("script.plotly-figure");
    if (!blocks.length) {
      return;
    }
    if (!window.Plotly) {
      console.error("plotly.js did not load: the figures are not drawn (the tables show the same numbers)");
      return;
    }
    for (var i = 0; i < blocks.length; i++) {
      draw(blocks[i]);
    }
  }

  function fold(text) {
    return (text || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function setUpFilter(input) {
    var list = document.getElementById(input.getAttribute("data-list"));
    var status = document.getElementById(input.getAttribute("data-status"));
    if (!list) {
      return;
    }
    var items = list.querySelectorAll("li");
    function apply() {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      for (var i = 0; i < items.length; i++) {
        var text = fold(items[i].textContent + " " + (items[i].getAttribute("data-haku") || ""));
        var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
        items[i].hidden = !ok;
        shown += ok ? 1 : 0;
      }
      if (status) {
        status.textContent = (status.getAttribute("data-template") || "{n}").replace("{n}", shown).replace("{total}", items.length);
      }
    }
    input.addEventListener("input", apply);
    apply();
  }

  function setUpPicker(box) {
    var boxes = Array.prototype.slice.call(box.querySelectorAll("input[type=checkbox]"));
    var max = parseInt(box.getAttribute("data-max") || "3", 10);
    var min = parseInt(box.getAttribute("data-min") || "2", 10);
    var status = box.querySelector(".tila");
    var known = boxes.map(function (b) { return b.value; });
    var order = [];

    function chosen() {
      return order.filter(function (id) { return known.indexOf(id) >= 0; });
    }

    function show() {
      var ids = chosen();
      boxes.forEach(function (b) {
        b.checked = ids.indexOf(b.value) >= 0;
        b.disabled = !b.checked && ids.length >= max;
      });
      var items = document.querySelectorAll("[data-model]");
      for (var i = 0; i < items.length; i++) {
        items[i].hidden = ids.indexOf(items[i].getAttribute("data-model")) < 0;
      }
      // Maps (the unit maps and the indicator's maps) in the order chosen, so the first pick stands first.
      var lists = document.querySelectorAll(".kartat, .arvokartat");
      for (var l = 0; l < lists.length; l++) {
        ids.forEach(function (id) {
          var m = lists[l].querySelector(":scope > [data-model='" + id + "']");
          if (m) { lists[l].appendChild(m); }
        });
      }
      if (status) {
        var key = ids.length < min ? "data-too-few" : "data-ok";
        status.textContent = (box.getAttribute(key) || "").replace("{n}", ids.length);
      }
      var hash = "#" + ids.join(",");
      if (window.location.hash !== hash && window.history && window.history.replaceState) {
        window.history.replaceState(null, "", hash);
      }
      // The same choice in the other languages: their links carry the hash too.
      var langs = document.querySelectorAll("a[hreflang]");
      for (var k = 0; k < langs.length; k++) {
        var href = langs[k].getAttribute("href").replace(/#.*$/, "");
        langs[k].setAttribute("href", href + hash);
      }
    }

    function fromHash() {
      var ids = decodeURIComponent(window.location.hash.replace(/^#/, "")).split(",").filter(function (id) {
        return known.indexOf(id) >= 0;
      });
      if (ids.length) {
        order = ids.slice(0, max);
      } else {
        order = boxes.filter(function (b) { return b.defaultChecked; }).map(function (b) { return b.value; });
      }
      show();
    }

    boxes.forEach(function (b) {
      b.addEventListener("change", function () {
        order = order.filter(function (id) { return id !== b.value; });
        if (b.checked) { order.push(b.value); }
        show();
      });
    });
    window.addEventListener("hashchange", fromHash);
    box.hidden = false;
    fromHash();
  }

  // 4. The model view's indicator: <select id="indikaattori-valinta"> picks one of the indicators in the JSON block
  //    "mallit-indikaattorit" (model_view.indicator_view); each model's map is a copy of its unit map above, its units
  //    filled with the colour of their value's class (the first class whose upper bound is at or above the value),
  //    and its table, legend, caption and source are refilled. Text nodes only.
  function text(el, value) {
    if (el) { el.textContent = value; }
  }

  function classOf(value, classes) {
    if (value === null || value === undefined || !classes.length) { return -1; }
    for (var i = 0; i < classes.length; i++) {
      if (value <= classes[i].upper) { return i; }
    }
    return classes.length - 1;
  }

  function swatch(colour) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "vari");
    svg.setAttribute("viewBox", "0 0 10 10");
    svg.setAttribute("aria-hidden", "true");
    var rect = document.createElementNS(ns, "rect");
    rect.setAttribute("width", "10");
    rect.setAttribute("height", "10");
    rect.setAttribute("fill", colour);
    svg.appendChild(rect);
    return svg;
  }

  function setUpIndicator(block, select) {
    if (!block || !select) { return; }
    var data;
    try {
      data = JSON.parse(block.textContent);
    } catch (err) {
      console.error("indicator data: " + err);
      return;
    }
    function drawModel(box, id) {
      var model = data.models[box.getAttribute("data-model")];
      var meta = data.indicators[id];
      if (!model || !meta) { return; }
      var label = data.labels[box.getAttribute("data-model")];
      var values = model.values[id] || null;
      var words = {model: label, indicator: meta.name, year: meta.year};
      function fill(template) {
        return template.replace(/\{(\w+)\}/g, function (all, k) { return words[k] !== undefined ? String(words[k]) : all; });
      }
      var figure = box.querySelector("figure.arvokartta");
      var slot = box.querySelector(".arvokuva");
      var svg = slot.querySelector("svg");
      if (!svg) {
        var original = document.querySelector("#" + slot.getAttribute("data-map") + " svg.kartta");
        if (!original) { return; }
        svg = original.cloneNode(true);
        svg.removeAttribute("aria-label");
        slot.appendChild(svg);
      }
      svg.setAttribute("aria-label", fill(data.text.ind_map_title));
      var missing = false;
      var paths = svg.querySelectorAll("path.yksikko");
      for (var i = 0; i < paths.length; i++) {
        var k = values ? classOf(values[i][0], meta.classes) : -1;
        missing = missing || k < 0;
        paths[i].setAttribute("fill", k < 0 ? data.missing.colour : meta.classes[k].colour);
        paths[i].setAttribute("data-unit", model.codes[i]);
        var title = paths[i].querySelector("title");
        if (title) {
          if (!title.hasAttribute("data-name")) { title.setAttribute("data-name", title.textContent); }
          text(title, title.getAttribute("data-name") + ": " + (values ? values[i][1] : data.missing.label));
        }
      }
      text(figure.querySelector("figcaption"), fill(data.text.ind_map_title));
      text(box.querySelector(".selite-otsikko"), meta.legend);
      var legend = box.querySelector("ol.selite");
      while (legend.firstChild) { legend.removeChild(legend.firstChild); }
      var items = meta.classes.map(function (c) { return [c.colour, c.label]; });
      if (missing) { items.push([data.missing.colour, data.missing.label]); }
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.appendChild(swatch(item[0]));
        li.appendChild(document.createTextNode(item[1]));
        legend.appendChild(li);
      });
      var source = figure.querySelector("p.lahde");
      if (source && source.firstChild) { source.firstChild.textContent = meta.source; }
      var table = box.querySelector("table.arvotaulukko");
      text(table.querySelector("caption"), fill(data.text.ind_caption));
      box.querySelector(".taulukko").setAttribute("aria-label", fill(data.text.ind_caption));
      var heads = table.querySelectorAll("thead th");
      text(heads[heads.length - 1], meta.header);
      var rows = table.tBodies[0].rows;
      for (var r = 0; r < rows.length; r++) {
        var cell = rows[r].querySelector("td.arvo");
        var at = model.codes.indexOf(rows[r].getAttribute("data-unit"));
        var shown = at >= 0 ? (values ? values[at][1] : "\u2013") : (model.outside[id] ? model.outside[id][1] : "\u2013");
        text(cell, shown);
      }
      var note = box.querySelector(".arvo-huom");
      text(note, model.missing[id] || "");
      note.hidden = !model.missing[id];
      figure.hidden = false;
    }
    function draw() {
      var id = data.indicators[select.value] ? select.value : data["default"];
      var boxes = document.querySelectorAll(".arvo-malli[data-model]");
      for (var b = 0; b < boxes.length; b++) {
        drawModel(boxes[b], id);
      }
    }
    select.addEventListener("change", draw);
    select.parentNode.hidden = false;
    draw();
  }

  function start() {
    drawAll();
    var filters = document.querySelectorAll("input.suodatin-kentta");
    for (var i = 0; i < filters.length; i++) {
      setUpFilter(filters[i]);
    }
    var pickers = document.querySelectorAll("fieldset.mallivalitsin");
    for (var j = 0; j < pickers.length; j++) {
      setUpPicker(pickers[j]);
    }
    setUpIndicator(document.getElementById("mallit-indikaattorit"), document.getElementById("indikaattori-valinta"));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
