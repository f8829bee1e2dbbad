// Propose the linked series from the visit date: the latest series started on or before it.
(function () {
  "use strict";
  var form = document.getElementById("visit-form");
  var data = document.getElementById("series-dates");
  if (!form || !data) { return; }
  var series = JSON.parse(data.textContent);
  var date = form.querySelector("[name=visited_on]");
  var select = form.querySelector("[name=series]");
  var kind = form.querySelector("[name=kind]");
  function propose() {
    if (!date.value || !select) { return; }
    var chosen = "";
    series.forEach(function (s) { if (s[1] <= date.value) { chosen = String(s[0]); } });
    if (kind && (kind.value === "baseline" || kind.value === "follow_up" || kind.value === "final")) {
      chosen = "";
    }
    select.value = chosen;
  }
  date.addEventListener("change", propose);
  if (kind) { kind.addEventListener("change", propose); }
})();
