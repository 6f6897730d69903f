(function () {
  "use strict";
  var section = document.getElementById("findings");
  if (!section) { return; }
  var boxes = Array.prototype.slice.call(section.querySelectorAll("input[data-severity]"));
  var waivedBox = section.querySelector("input[data-waived-toggle]");
  var rows = Array.prototype.slice.call(section.querySelectorAll("tr[data-severity]"));
  var shown = document.getElementById("findings-shown");

  // A filter can be shared as a link: report.html#severity=critical,high&waived=0
  function readHash() {
    var hash = window.location.hash.replace(/^#/, "");
    hash.split("&").forEach(function (part) {
      var kv = part.split("=");
      if (kv[0] === "severity" && kv.length === 2) {
        var wanted = kv[1].split(",");
        boxes.forEach(function (box) {
          box.checked = wanted.indexOf(box.getAttribute("data-severity")) >= 0;
        });
      } else if (kv[0] === "waived" && kv.length === 2 && waivedBox) {
        waivedBox.checked = kv[1] === "1";
      }
    });
  }

  function apply() {
    var on = {};
    boxes.forEach(function (box) { on[box.getAttribute("data-severity")] = box.checked; });
    var showWaived = !waivedBox || waivedBox.checked;
    var count = 0;
    rows.forEach(function (row) {
      var visible = on[row.getAttribute("data-severity")] === true &&
        (showWaived || row.getAttribute("data-waived") !== "true");
      row.hidden = !visible;
      if (visible) { count += 1; }
    });
    shown.textContent = String(count);
    document.body.setAttribute("data-findings-shown", String(count));
  }

  readHash();
  boxes.forEach(function (box) { box.addEventListener("change", apply); });
  if (waivedBox) { waivedBox.addEventListener("change", apply); }
  window.addEventListener("hashchange", function () { readHash(); apply(); });
  section.querySelector(".filters").hidden = false;
  apply();
  document.body.setAttribute("data-filter-ready", "true");
}());
