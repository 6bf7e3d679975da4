// Progressive enhancement for the body map: tap or click an outline to place a mark, and see each mark's number
// on the outlines as it is entered. Without this file the form still works: the part of the body and the side are
// chosen from the list, and "Add another mark" asks the server for an empty row. Which part of the body a tap is on
// is decided by the server (/body-map/where), by the same rule it records the mark with.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function field(row, name) { return row.querySelector("[name$='-" + name + "']"); }

  function setUp(editor) {
    var form = editor.closest("form");
    if (!form) { return; }
    var rows = form.querySelector("[data-mark-rows]");
    var status = form.querySelector("[data-body-map-status]");
    var addButton = form.querySelector("[data-add-mark]");
    var whereUrl = editor.getAttribute("data-where-url");
    var firstNumber = parseInt(rows.getAttribute("data-first-number") || "1", 10);
    var current = null;

    function allRows() { return Array.prototype.slice.call(rows.querySelectorAll("[data-mark-row]")); }
    function numberOf(row) { return firstNumber + allRows().indexOf(row); }
    function say(text) { if (status) { status.textContent = text; } }

    function makeCurrent(row) {
      if (current === row) { return; }
      allRows().forEach(function (r) { r.classList.toggle("body-mark-current", r === row); });
      current = row;
    }

    function drawPending(row, view, x, y) {
      var number = String(numberOf(row));
      editor.querySelectorAll("[data-pending='" + number + "']").forEach(function (old) { old.remove(); });
      if (!view) { return; }
      var svg = editor.querySelector("svg[data-view='" + view + "']");
      if (!svg) { return; }
      var cx = x * parseFloat(svg.getAttribute("data-width"));
      var cy = y * parseFloat(svg.getAttribute("data-height"));
      var group = document.createElementNS(SVG, "g");
      group.setAttribute("class", "body-mark body-mark-pending");
      group.setAttribute("data-pending", number);
      var circle = document.createElementNS(SVG, "circle");
      circle.setAttribute("cx", cx); circle.setAttribute("cy", cy); circle.setAttribute("r", "5");
      var text = document.createElementNS(SVG, "text");
      text.setAttribute("x", cx); text.setAttribute("y", cy); text.setAttribute("dy", "2.3");
      text.setAttribute("text-anchor", "middle");
      text.textContent = number;
      group.appendChild(circle); group.appendChild(text);
      svg.querySelector(".body-marks").appendChild(group);
    }

    // Only the latest question about a row is answered: typing "Chest" in the list asks about "Cheek" on the way,
    // and that answer may come back last.
    var asked = new WeakMap();
    function latest(row) {
      var mine = (asked.get(row) || 0) + 1;
      asked.set(row, mine);
      return function () { return asked.get(row) === mine; };
    }

    function ask(params) {
      var query = Object.keys(params).map(function (k) {
        return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]);
      }).join("&");
      return fetch(whereUrl + "?" + query, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.json(); });
    }

    function place(svg, event) {
      var row = current || allRows()[allRows().length - 1];
      if (!row) { return; }
      makeCurrent(row);
      var point = svg.createSVGPoint();
      point.x = event.clientX; point.y = event.clientY;
      var local = point.matrixTransform(svg.getScreenCTM().inverse());
      var view = svg.getAttribute("data-view");
      var x = local.x / parseFloat(svg.getAttribute("data-width"));
      var y = local.y / parseFloat(svg.getAttribute("data-height"));
      if (x < 0 || x > 1 || y < 0 || y > 1) { return; }
      x = Math.round(x * 10000) / 10000; y = Math.round(y * 10000) / 10000;
      var fresh = latest(row);
      ask({ view: view, x: x, y: y }).then(function (found) {
        if (!fresh()) { return; }
        var number = numberOf(row);
        if (!found.region) {
          say("Mark " + number + ": that place is not on the body. Tap the outline again, or choose the part of the body from the list.");
          field(row, "region").focus();
          return;
        }
        field(row, "view").value = view; field(row, "x").value = x; field(row, "y").value = y;
        field(row, "region").value = found.region;
        field(row, "side").value = found.side || "";
        drawPending(row, view, x, y);
        say("Mark " + number + " placed: " + found.label + ". Now say what kind of mark it is, its size, shape and colour.");
        field(row, "kind").focus();
      }).catch(function () {
        say("The outline could not be read just now: choose the part of the body from the list for mark " + numberOf(row) + ".");
      });
    }

    function chosen(row) {
      var region = field(row, "region").value;
      if (!region) { latest(row); drawPending(row, null); return; }
      var fresh = latest(row);
      ask({ region: region, side: field(row, "side").value, view: field(row, "view").value,
            x: field(row, "x").value, y: field(row, "y").value }).then(function (found) {
        if (!fresh()) { return; }
        if (found.region && found.view) { drawPending(row, found.view, found.x, found.y); }
        else { drawPending(row, null); }
      }).catch(function () { /* the list alone records the mark */ });
    }

    function watch(row) {
      row.addEventListener("focusin", function () { makeCurrent(row); });
      ["region", "side"].forEach(function (name) {
        field(row, name).addEventListener("change", function () { chosen(row); });
      });
    }

    function addRow() {
      var last = allRows()[allRows().length - 1];
      var index = allRows().length;
      if (index >= parseInt(rows.getAttribute("data-max-rows") || "30", 10)) {
        say("This form holds " + index + " marks: send it, then add more from the concern's page.");
        return;
      }
      var row = last.cloneNode(true);
      row.querySelectorAll("[name], [id], [for], [aria-describedby]").forEach(function (el) {
        ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) { el.setAttribute(attr, value.replace(/-\d+-/g, "-" + index + "-")); }
        });
      });
      row.querySelectorAll("input, textarea").forEach(function (el) { el.value = ""; el.classList.remove("is-invalid"); el.removeAttribute("aria-invalid"); });
      row.querySelectorAll("select").forEach(function (el) { el.selectedIndex = 0; el.classList.remove("is-invalid"); el.removeAttribute("aria-invalid"); });
      row.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
      row.querySelector("[data-mark-number]").textContent = String(firstNumber + index);
      rows.appendChild(row);
      watch(row);
      makeCurrent(row);
      say("Mark " + (firstNumber + index) + ": tap or click the outline, or choose the part of the body from the list.");
      field(row, "region").focus();
    }

    editor.querySelectorAll("svg[data-view]").forEach(function (svg) {
      svg.addEventListener("click", function (event) { place(svg, event); });
    });
    allRows().forEach(watch);
    allRows().forEach(function (row) { if (field(row, "region").value) { chosen(row); } });
    if (addButton) {
      addButton.addEventListener("click", function (event) { event.preventDefault(); addRow(); });
    }
  }

  document.querySelectorAll("[data-body-map-editor]").forEach(setUp);
}());
