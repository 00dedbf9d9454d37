/* Sote-järjestökartat: a figure as an image file (SVG or PNG), loaded by figure_tools.js on the first click of its
 * "SVG" or "PNG" button (most readers never save an image: the page does not carry this part).
 *
 * The figure's <svg> (for plotly, Plotly.toImage's SVG) is copied with its computed styles into one standalone SVG
 * together with the figure's title, legend, source lines and the citation, so a saved image still says what it
 * shows and whose data it is; PNG draws that SVG on a canvas (a data: URL, which the pages' policy allows for
 * images). Nothing is fetched, so it works from file:// with the network blocked. Text goes in as text nodes only.
 */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";
  // Presentation the site's stylesheet gives SVG elements; copied inline so that the saved file looks the same.
  var PROPS = ["fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity", "stroke-dasharray", "stroke-linejoin",
               "stroke-linecap", "opacity", "font-family", "font-size", "font-weight", "font-style", "text-anchor", "dominant-baseline",
               "paint-order", "display", "visibility"];

  // What figure_tools.js shares: the page's texts, the citation and how it finds a figure's drawing.
  var T, citation, clean, plotOf, mainSvg;

  function legendOf(fig) {
    var items = [];
    var lists = fig.querySelectorAll("ol, ul");
    for (var l = 0; l < lists.length; l++) {
      if (lists[l].closest(".kuvatyokalut")) { continue; }
      var lis = lists[l].querySelectorAll("li");
      for (var i = 0; i < lis.length; i++) {
        if (lis[i].hidden) { continue; }
        var rect = lis[i].querySelector("svg rect, svg path");
        var colour = rect ? (rect.getAttribute("fill") || getComputedStyle(rect).fill) : "";
        items.push({colour: colour, text: clean(lis[i].textContent)});
      }
    }
    var head = fig.querySelector(".selite-otsikko, .sr-selite-otsikko");
    return {title: head ? clean(head.textContent) : "", items: items};
  }

  function sourceLines(fig) {
    var out = [];
    var notes = fig.querySelectorAll("p.lahde");
    for (var i = 0; i < notes.length; i++) {
      if (notes[i].closest(".kuvatyokalut")) { continue; }
      (notes[i].innerText || notes[i].textContent).split("\n").forEach(function (line) {
        if (clean(line)) { out.push(clean(line)); }
      });
    }
    return out;
  }

  function titleOf(fig) {
    var cap = fig.querySelector("figcaption");
    return cap ? clean(cap.textContent) : "";
  }

  // ------------------------------------------------------------------ the standalone SVG

  function el(name, attrs, text) {
    var node = document.createElementNS(SVG_NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function styledCopy(svg) {
    var copy = svg.cloneNode(true);
    var from = [svg].concat(Array.prototype.slice.call(svg.querySelectorAll("*")));
    var to = [copy].concat(Array.prototype.slice.call(copy.querySelectorAll("*")));
    for (var i = 0; i < from.length && i < to.length; i++) {
      var cs = window.getComputedStyle(from[i]);
      to[i].setAttribute("style", PROPS.map(function (p) { return p + ":" + cs.getPropertyValue(p); }).join(";"));
    }
    copy.removeAttribute("id");
    copy.removeAttribute("class");
    return copy;
  }

  var measureCtx = null;
  function wrap(text, px, weight, width) {
    measureCtx = measureCtx || document.createElement("canvas").getContext("2d");
    measureCtx.font = (weight || "400") + " " + px + "px " + FONT;
    var words = text.split(" "), lines = [], line = "";
    words.forEach(function (w) {
      var next = line ? line + " " + w : w;
      if (line && measureCtx.measureText(next).width > width) {
        lines.push(line);
        line = w;
      } else {
        line = next;
      }
    });
    if (line) { lines.push(line); }
    return lines;
  }

  // Title, picture (legend beside a tall map, else below), source lines and the citation in one SVG document.
  function compose(fig, picture, pw, ph) {
    var PAD = 16, GAP = 10;
    var legend = legendOf(fig);
    var beside = legend.items.length > 0 && ph > pw * 1.1;
    var legendW = beside ? 300 : 0;
    var W = Math.max(640, Math.round(pw + 2 * PAD + (beside ? legendW + 2 * GAP : 0)));
    var inner = W - 2 * PAD;
    var root = el("svg", {xmlns: SVG_NS, version: "1.1", "font-family": FONT});
    var y = PAD;
    var g = el("g", {});
    function lines(text, px, weight, colour, x, width) {
      wrap(text, px, weight, width).forEach(function (t) {
        y += Math.round(px * 1.3);
        g.appendChild(el("text", {x: x, y: y, "font-size": px, "font-weight": weight || "400", fill: colour || "#1a1a1a"}, t));
      });
    }
    var title = titleOf(fig);
    if (title) { lines(title, 16, "700", "#1a1a1a", PAD, inner); y += GAP; }
    var top = y;
    picture.setAttribute("x", PAD);
    picture.setAttribute("y", top);
    picture.setAttribute("width", pw);
    picture.setAttribute("height", ph);
    g.appendChild(picture);
    var x = PAD, width = inner;
    if (beside) {
      x = PAD + pw + 2 * GAP;
      width = W - x - PAD;
      y = top - 6;
    } else {
      y = top + ph + GAP;
    }
    if (legend.title) { lines(legend.title, 12, "700", "#1a1a1a", x, width); }
    legend.items.forEach(function (item) {
      var rows = wrap(item.text, 12, "400", width - 20);
      if (item.colour) {
        g.appendChild(el("rect", {x: x, y: y + 5, width: 11, height: 11, fill: item.colour, stroke: "#888", "stroke-width": 0.5}));
      }
      rows.forEach(function (t) {
        y += 16;
        g.appendChild(el("text", {x: x + 17, y: y, "font-size": 12, fill: "#1a1a1a"}, t));
      });
      y += 2;
    });
    y = Math.max(y, top + ph) + GAP;
    sourceLines(fig).forEach(function (s) { lines(s, 11, "400", "#4a4a4a", PAD, inner); });
    lines(citation(), 11, "400", "#4a4a4a", PAD, inner);
    var H = Math.ceil(y + PAD);
    root.setAttribute("width", W);
    root.setAttribute("height", H);
    root.setAttribute("viewBox", "0 0 " + W + " " + H);
    root.appendChild(el("rect", {x: 0, y: 0, width: W, height: H, fill: "#ffffff"}));
    root.appendChild(g);
    return {text: '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(root), width: W, height: H};
  }

  // The picture of a figure as an SVG element and its size: a pre-drawn SVG copied with its styles (a tall map 420 px
  // wide, others near their viewBox's width), a plotly figure through Plotly.toImage at its size on the page.
  function picture(fig) {
    var gd = plotOf(fig);
    if (gd && gd._fullLayout && window.Plotly && window.Plotly.toImage) {
      var w = Math.min(Math.max(gd._fullLayout.width || 640, 640), 960), h = gd._fullLayout.height || 450;
      return window.Plotly.toImage(gd, {format: "svg", width: w, height: h}).then(function (url) {
        var comma = url.indexOf(",");
        var head = url.slice(0, comma);
        var body = url.slice(comma + 1);
        var text = /;base64/.test(head) ? atob(body) : decodeURIComponent(body);
        var doc = new DOMParser().parseFromString(text, "image/svg+xml");
        var svg = document.importNode(doc.documentElement, true);
        if (!svg.getAttribute("viewBox")) { svg.setAttribute("viewBox", "0 0 " + w + " " + h); }
        return {svg: svg, width: w, height: h};
      });
    }
    var src = mainSvg(fig);
    if (!src) { return Promise.reject(new Error("no picture")); }
    var copy = styledCopy(src);
    var vb = (src.getAttribute("viewBox") || "").split(/[\s,]+/).map(Number);
    var box = src.getBoundingClientRect();
    var ratio = vb.length === 4 && vb[2] > 0 ? vb[3] / vb[2] : (box.width ? box.height / box.width : 0.6);
    if (vb.length !== 4) { copy.setAttribute("viewBox", "0 0 " + (box.width || 640) + " " + (box.height || 400)); }
    // Text sizes are in the drawing's own units: keep near its own width (a small chart is not blown up).
    var own = vb.length === 4 && vb[2] > 0 ? vb[2] : (box.width || 640);
    var pw = ratio > 1.1 ? 420 : Math.min(640, Math.round(own * 1.25));
    return Promise.resolve({svg: copy, width: pw, height: Math.round(pw * ratio)});
  }

  function save(blob, name) {
    var url = URL.createObjectURL(blob);
    var a = document.createElement("a");
    a.href = url;
    a.download = name;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    window.setTimeout(function () {
      a.parentNode.removeChild(a);
      URL.revokeObjectURL(url);
    }, 30000);
  }

  function toPng(doc) {
    return new Promise(function (resolve, reject) {
      var img = new Image();
      img.onload = function () {
        var scale = 2;
        var canvas = document.createElement("canvas");
        canvas.width = doc.width * scale;
        canvas.height = doc.height * scale;
        var ctx = canvas.getContext("2d");
        ctx.fillStyle = "#ffffff";
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        ctx.scale(scale, scale);
        ctx.drawImage(img, 0, 0, doc.width, doc.height);
        canvas.toBlob(function (blob) { return blob ? resolve(blob) : reject(new Error("canvas")); }, "image/png");
      };
      img.onerror = function () { reject(new Error("image")); };
      img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(doc.text);
    });
  }

  function slug(text) {
    var s = (text || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
    return s.slice(0, 60).replace(/-+$/, "");
  }

  function fileName(fig, n, ext) {
    return (slug(titleOf(fig)) || T.name + "-" + n) + "." + ext;
  }

  function download(fig, n, format, status) {
    status.textContent = "";
    picture(fig).then(function (p) {
      var doc = compose(fig, p.svg, p.width, p.height);
      if (format === "svg") {
        return save(new Blob([doc.text], {type: "image/svg+xml;charset=utf-8"}), fileName(fig, n, "svg"));
      }
      return toPng(doc).then(function (blob) { save(blob, fileName(fig, n, "png")); });
    }).catch(function (err) {
      var gd = plotOf(fig);
      if (gd && gd._fullLayout && window.Plotly && window.Plotly.downloadImage) {
        return window.Plotly.downloadImage(gd, {format: format, filename: fileName(fig, n, format).replace(/\.\w+$/, "")});
      }
      console.warn("figure image: " + err);
      status.textContent = T.failed;
    });
  }

  window.SoteFigureExport = {
    download: function (fig, n, format, status, api) {
      T = api.T;
      citation = api.citation;
      clean = api.clean;
      plotOf = api.plotOf;
      mainSvg = api.mainSvg;
      download(fig, n, format, status);
    }
  };
})();
