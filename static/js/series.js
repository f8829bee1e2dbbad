// The series form's dosing weight and grams as the user types (clinical-rules.md §10):
// asked of the server, which computes them with the same rule as when the series is saved.
(function () {
  "use strict";
  var form = document.getElementById("series-form");
  if (!form || !window.fetch) { return; }
  var url = form.getAttribute("data-dosing-url");
  var names = ["route", "dose_g_per_kg", "weight_kg", "height_cm", "dose_basis", "started_on"];
  var shown = {
    dosing_weight_kg: document.getElementById("dosing-weight"),
    total_grams: document.getElementById("total-grams"),
    prescribed_grams: document.getElementById("prescribed-grams")
  };
  var error = document.getElementById("dosing-error");
  var timer = null;
  var asked = 0;
  function field(name) { return form.querySelector("[name=" + name + "]"); }
  function show(values, message) {
    Object.keys(shown).forEach(function (key) { shown[key].textContent = values[key] || "—"; });
    error.textContent = message || "";
  }
  function ask() {
    var query = new URLSearchParams();
    names.forEach(function (name) {
      var input = field(name);
      if (input && input.value !== "") { query.append(name, input.value); }
    });
    var mine = ++asked;
    fetch(url + "?" + query.toString(), {credentials: "same-origin",
                                         headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (mine !== asked) { return; }  // an older answer arriving late
        if (body.errors) {
          show({}, Object.keys(body.errors).map(function (k) {
            return k + ": " + body.errors[k];
          }).join(" "));
        } else {
          show(body, "");
        }
      })
      .catch(function () { if (mine === asked) { show({}, ""); } });
  }
  function later() { window.clearTimeout(timer); timer = window.setTimeout(ask, 250); }
  names.forEach(function (name) {
    var input = field(name);
    if (input) { input.addEventListener("input", later); input.addEventListener("change", later); }
  });
  ask();
})();
