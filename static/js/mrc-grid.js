// The visit form's MRC grid from the keyboard (ui.md): a digit 0–5 sets the cell and moves
// to the next one (right, then left, then the next muscle: the Tab order); the arrow keys
// move between cells; Backspace or Delete clears the cell (on an empty cell Backspace goes
// back one). Without this script the cells are ordinary selects, so the form still works.
(function () {
  "use strict";
  var table = document.getElementById("mrc-grid");
  if (!table) { return; }
  var rows = Array.prototype.map.call(table.tBodies[0].rows, function (row) {
    return Array.prototype.slice.call(row.querySelectorAll("select"));
  });
  var cells = [].concat.apply([], rows);

  function position(cell) {
    for (var r = 0; r < rows.length; r++) {
      var c = rows[r].indexOf(cell);
      if (c !== -1) { return [r, c]; }
    }
    return null;
  }

  // After the last cell, the next field of the form (as Tab would go).
  function after(cell) {
    var fields = Array.prototype.filter.call(cell.form.elements, function (el) {
      return !el.disabled && el.type !== "hidden" && el.tabIndex >= 0;
    });
    return fields[fields.indexOf(cell) + 1] || null;
  }

  function go(target) {
    if (target) { target.focus(); }
  }

  function changed(cell) {
    cell.dispatchEvent(new Event("change", {bubbles: true}));
  }

  table.addEventListener("keydown", function (event) {
    var cell = event.target;
    if (cell.tagName !== "SELECT" || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    var at = position(cell);
    if (!at) { return; }
    var index = cells.indexOf(cell);
    var key = event.key;
    if (/^[0-5]$/.test(key)) {
      cell.value = key;
      changed(cell);
      go(index + 1 < cells.length ? cells[index + 1] : after(cell));
    } else if (key === "Backspace" || key === "Delete") {
      if (cell.value === "" && key === "Backspace") {
        go(cells[index - 1]);
      } else {
        cell.value = "";
        changed(cell);
      }
    } else if (key === "ArrowDown") {
      go(rows[at[0] + 1] && rows[at[0] + 1][at[1]]);
    } else if (key === "ArrowUp") {
      go(rows[at[0] - 1] && rows[at[0] - 1][at[1]]);
    } else if (key === "ArrowRight") {
      go(rows[at[0]][at[1] + 1] || (rows[at[0] + 1] && rows[at[0] + 1][0]));
    } else if (key === "ArrowLeft") {
      go(rows[at[0]][at[1] - 1] ||
         (rows[at[0] - 1] && rows[at[0] - 1][rows[at[0] - 1].length - 1]));
    } else if (/^[6-9]$/.test(key)) {
      // Not an MRC grade: ignored rather than left to the select (which would keep the old
      // value silently).
    } else {
      return;
    }
    event.preventDefault();
  });
})();
