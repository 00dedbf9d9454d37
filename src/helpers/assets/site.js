/* Sote-järjestökartat: draws every figure of a page.
 *
 * A figure travels as JSON ({data, layout, config}) in <script type="application/json" class="plotly-figure" id="fig-N">
 * and is drawn with the shared plotly.js into the element "fig-N-plot" beside it. There is no inline script, so the
 * pages' Content-Security-Policy allows scripts from the site's own files only.
 *
 * Geo maps: plotly reads a base-map topojson before it draws. The figures' config points topojsonURL at an empty
 * topojson in a data: URL (helpers.maps.PLOTLY_CONFIG); fetching it would need connect-src data:, so the topojson is
 * decoded here and handed to plotly in window.PlotlyGeoAssets, which plotly consults before fetching anything.
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

  function draw(block) {
    var target = document.getElementById(block.id + "-plot");
    if (!target || target.getAttribute("data-drawn")) {
      return;
    }
    target.setAttribute("data-drawn", "1");
    try {
      var spec = JSON.parse(block.textContent);
      provideTopojson(spec.config);
      window.Plotly.newPlot(target, spec.data, spec.layout, spec.config);
    } catch (err) {
      console.error("figure " + block.id + ": " + err);
    }
  }

  function drawAll() {
    if (!window.Plotly) {
      console.error("assets/plotly.min.js did not load: the figures are not drawn (the tables show the same numbers)");
      return;
    }
    var blocks = document.querySelectorAll("script.plotly-figure");
    for (var i = 0; i < blocks.length; i++) {
      draw(blocks[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
