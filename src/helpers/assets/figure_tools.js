/* Sote-järjestökartat: figure tools and table scroll cues (every page; a page without figures or wide tables is
 * left as it is).
 *
 * 1. Every figure (plotly charts, the pre-drawn SVG maps and charts, also those another script draws later) gets a
 *    small row under it: the image as SVG or PNG, and a line to cite the page by. The image is made in the browser
 *    by figure_export.js, loaded from beside this script on the first click (file:// too, nothing from the network).
 * 2. A table wider than its box: a short cue above it and a shadow at the edge that scrolls (classes "vierii",
 *    "vieritetty", "lopussa" on the box; site.css draws them), kept current as the box or the table changes size.
 *
 * Text goes in as text nodes only (textContent, createTextNode); the saved SVG is built as elements and serialised.
 */
(function () {
  "use strict";

  var SITE = "Sote-järjestökartat";
  var TEXT = {
    fi: {image: "Lataa kuva:", svg: "Lataa kuva SVG-tiedostona", png: "Lataa kuva PNG-tiedostona", cite: "Viittaa",
         read: "luettu", scroll: "Vieritä taulukkoa sivulle \u2192", name: "kuva", failed: "Kuvaa ei voitu tallentaa.", open: "\u201d", close: "\u201d"},
    sv: {image: "Ladda ner bilden:", svg: "Ladda ner bilden som SVG-fil", png: "Ladda ner bilden som PNG-fil", cite: "Citera",
         read: "läst", scroll: "Rulla tabellen i sidled \u2192", name: "bild", failed: "Bilden kunde inte sparas.", open: "\u201d", close: "\u201d"},
    en: {image: "Download image:", svg: "Download the image as SVG", png: "Download the image as PNG", cite: "Cite",
         read: "accessed", scroll: "Scroll the table sideways \u2192", name: "figure", failed: "The image could not be saved.", open: "\u201c", close: "\u201d"}
  };
  var LOCALE = {fi: "fi-FI", sv: "sv-FI", en: "en-GB"};

  var lang = (document.documentElement.getAttribute("lang") || "fi").slice(0, 2);
  var T = TEXT[lang] || TEXT.fi;

  function clean(text) {
    return (text || "").replace(/\s+/g, " ").trim();
  }

  // ------------------------------------------------------------------ the citation

  function citation() {
    var title = clean(document.title);
    var date = new Date().toLocaleDateString(LOCALE[lang] || undefined, lang === "en" ? {day: "numeric", month: "long", year: "numeric"} : undefined);
    var parts = [title === SITE ? SITE : T.open + title + T.close + ", " + SITE, window.location.href, T.read + " " + date];
    return T.cite + ": " + parts.join(", ");
  }

  function refreshCitations() {
    var text = citation();
    var lines = document.querySelectorAll(".kuvaviite");
    for (var i = 0; i < lines.length; i++) {
      if (lines[i].textContent !== text) { lines[i].textContent = text; }
    }
  }

  // ------------------------------------------------------------------ what a figure is made of

  function isPart(el) {
    return !!el.closest("ol, ul, .kuvatyokalut, .modebar-container") || (el.classList && el.classList.contains("vari"));
  }

  function mainSvg(fig) {
    var all = fig.querySelectorAll("svg");
    for (var i = 0; i < all.length; i++) {
      if (!isPart(all[i]) && !(all[i].parentNode && all[i].parentNode.closest && all[i].parentNode.closest("svg"))) {
        return all[i];
      }
    }
    return null;
  }

  function plotOf(fig) {
    return fig.querySelector(".js-plotly-plot") || fig.querySelector(".plotly-graph-div");
  }

  function drawable(fig) {
    return !!(plotOf(fig) || mainSvg(fig));
  }

  // ------------------------------------------------------------------ the image, made by figure_export.js

  var API = {T: T, citation: citation, clean: clean, plotOf: plotOf, mainSvg: mainSvg};
  // beside this script (document.currentScript is this script only while it first runs)
  var EXPORT_SRC = ((document.currentScript && document.currentScript.src) || "").replace(/figure_tools\.js(?:[?#].*)?$/, "figure_export.js");
  var waiting = null;
  function withExport(done, failed) {
    if (window.SoteFigureExport) { return done(window.SoteFigureExport); }
    if (waiting) { waiting.push([done, failed]); return; }
    waiting = [[done, failed]];
    var s = document.createElement("script");
    s.src = EXPORT_SRC;
    function settle() {
      var all = waiting;
      waiting = null;
      all.forEach(function (w) {
        try { return window.SoteFigureExport ? w[0](window.SoteFigureExport) : w[1](); } catch (err) { console.warn("figure image: " + err); }
      });
    }
    s.onload = settle;
    s.onerror = function () { s.parentNode.removeChild(s); settle(); };  // a later click tries again
    document.head.appendChild(s);
  }

  // ------------------------------------------------------------------ the tools under a figure

  var count = 0;
  function addTools(fig) {
    fig.setAttribute("data-kuvatyokalut", "1");
    var n = ++count;
    var box = document.createElement("div");
    box.className = "kuvatyokalut";
    var row = document.createElement("p");
    row.className = "kuvalataus";
    var label = document.createElement("span");
    label.textContent = T.image;
    row.appendChild(label);
    var status = document.createElement("span");
    status.className = "kuvatila";
    status.setAttribute("role", "status");
    ["svg", "png"].forEach(function (format) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = format.toUpperCase();
      b.setAttribute("aria-label", T[format]);
      b.setAttribute("data-muoto", format);
      b.addEventListener("click", function () {
        status.textContent = "";
        withExport(function (x) { x.download(fig, n, format, status, API); }, function () {
          // no image export (e.g. a page saved without it): plotly's own download where there is one
          var gd = plotOf(fig);
          if (gd && gd._fullLayout && window.Plotly && window.Plotly.downloadImage) {
            window.Plotly.downloadImage(gd, {format: format, filename: T.name + "-" + n});
          } else {
            status.textContent = T.failed;
          }
        });
      });
      row.appendChild(document.createTextNode(" "));
      row.appendChild(b);
    });
    row.appendChild(document.createTextNode(" "));
    row.appendChild(status);
    var cite = document.createElement("p");
    cite.className = "kuvaviite";
    cite.textContent = citation();
    box.appendChild(row);
    box.appendChild(cite);
    fig.appendChild(box);
  }

  // ------------------------------------------------------------------ tables wider than their box

  // A table whose first column only numbers its rows (the map's numbers: "Nro | Yksikkö | ..."): the label is the
  // number and the name, so both stay in view (site.css, class "numeroitu"; --nro is the number column's width).
  function numbered(table) {
    var body = table && table.tBodies[0];
    if (!body || !body.rows.length) { return false; }
    for (var i = 0; i < body.rows.length; i++) {
      var c = body.rows[i].cells[0];
      if (!c || c.tagName !== "TD" || !c.classList.contains("num") || body.rows[i].cells.length < 3 || !/^\d{0,3}$/.test(clean(c.textContent))) {
        return false;
      }
    }
    return true;
  }

  function watchTable(box) {
    box.setAttribute("data-vierityskatse", "1");
    var cue = document.createElement("p");
    cue.className = "vierita-vihje";
    cue.setAttribute("aria-hidden", "true");
    cue.textContent = T.scroll;
    cue.hidden = true;
    box.parentNode.insertBefore(cue, box);
    function update() {
      var over = box.scrollWidth > box.clientWidth + 1;
      cue.hidden = !over;
      box.classList.toggle("vierii", over);
      box.classList.toggle("vieritetty", over && box.scrollLeft > 0);
      box.classList.toggle("lopussa", over && box.scrollLeft + box.clientWidth >= box.scrollWidth - 1);
      var table = box.querySelector("table");
      if (numbered(table)) {
        box.classList.add("numeroitu");
        box.style.setProperty("--nro", table.rows[0].cells[0].getBoundingClientRect().width + "px");
      }
    }
    box.addEventListener("scroll", update, {passive: true});
    if (window.ResizeObserver) {
      var ro = new ResizeObserver(update);
      ro.observe(box);
      if (box.firstElementChild) { ro.observe(box.firstElementChild); }
    } else {
      window.addEventListener("resize", update);
    }
    update();
  }

  // ------------------------------------------------------------------ start, and figures or tables added later

  function scan() {
    var figs = document.querySelectorAll("main figure:not([data-kuvatyokalut])");
    for (var i = 0; i < figs.length; i++) {
      if (drawable(figs[i])) { addTools(figs[i]); }
    }
    var boxes = document.querySelectorAll("main .taulukko:not([data-vierityskatse])");
    for (var j = 0; j < boxes.length; j++) {
      if (boxes[j].parentNode) { watchTable(boxes[j]); }
    }
  }

  var pending = false;
  function later() {
    if (pending) { return; }
    pending = true;
    window.setTimeout(function () { pending = false; scan(); }, 50);
  }

  function start() {
    scan();
    if (window.MutationObserver) {
      new MutationObserver(function (records) {
        for (var r = 0; r < records.length; r++) {
          var added = records[r].addedNodes;
          for (var k = 0; k < added.length; k++) {
            var node = added[k];
            if (node.nodeType === 1 && !node.closest(".kuvatyokalut") && (node.matches("figure, svg, .taulukko") || node.querySelector("figure, .taulukko"))) {
              later();
              return;
            }
          }
        }
      }).observe(document.body, {childList: true, subtree: true});
    }
    // The model view and the indicator pages keep the reader's choice in the address (history.replaceState, no
    // event): after any change or click, cite the address as it is.
    ["change", "click"].forEach(function (type) {
      document.addEventListener(type, function () { window.setTimeout(refreshCitations, 0); });
    });
    window.addEventListener("hashchange", refreshCitations);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
