/* A search box that filters a table's rows (the municipalities' boundary page): <input class="taulukkohaku"
 * data-table="ID" data-status="ID"> hides the rows of the tables inside element ID that do not contain every word
 * typed (case and accents folded), in a row's text or its data-haku (another name). The box (its .suodatin
 * paragraph) is hidden until this script runs: without it the whole table shows. */
(function () {
  "use strict";

  function fold(text) {
    return (text || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function setUp(input) {
    var box = document.getElementById(input.getAttribute("data-table"));
    var status = document.getElementById(input.getAttribute("data-status"));
    if (!box) {
      return;
    }
    var rows = Array.prototype.slice.call(box.querySelectorAll("tbody tr"));
    var texts = rows.map(function (r) { return fold(r.textContent + " " + (r.getAttribute("data-haku") || "")); });
    function apply() {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      for (var i = 0; i < rows.length; i++) {
        var ok = words.every(function (w) { return texts[i].indexOf(w) >= 0; });
        rows[i].hidden = !ok;
        shown += ok ? 1 : 0;
      }
      if (status) {
        status.textContent = (status.getAttribute("data-template") || "{n}").replace("{n}", shown).replace("{total}", rows.length);
      }
    }
    var holder = input.closest(".suodatin");
    if (holder) {
      holder.hidden = false;
    }
    input.addEventListener("input", apply);
    apply();
  }

  function start() {
    var inputs = document.querySelectorAll("input.taulukkohaku");
    for (var i = 0; i < inputs.length; i++) {
      setUp(inputs[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
