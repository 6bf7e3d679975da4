// Progressive enhancement for the concern form: pupil type-ahead and the immediate-danger advice.
// Without this file the form still works: "Find" and "Add" buttons do the same on the server.
(function () {
  "use strict";
  var form = document.getElementById("concern-form");
  if (!form) { return; }

  // Immediate danger: when "Yes" is chosen, make the advice impossible to miss.
  var advice = document.querySelector("[data-danger-advice]");
  form.querySelectorAll("input[name='immediate_danger']").forEach(function (radio) {
    radio.addEventListener("change", function () {
      if (!advice) { return; }
      var yes = radio.checked && radio.value === "yes";
      advice.classList.toggle("border-5", yes);
      if (yes) { advice.setAttribute("role", "alert"); } else { advice.removeAttribute("role"); }
    });
  });

  // When it happened: the date and time are asked for only when "Earlier" is chosen (without this file both show).
  var when = form.querySelectorAll("input[name='observed_when']");
  var at = form.querySelector("[data-observed-at]");
  if (at && when.length) {
    var atInput = at.querySelector("input");
    var showAt = function () {
      var earlier = form.querySelector("input[name='observed_when'][value='earlier']");
      at.hidden = !(earlier && earlier.checked) && !(atInput && (atInput.value || atInput.classList.contains("is-invalid")));
    };
    when.forEach(function (radio) {
      radio.addEventListener("change", function () {
        showAt();
        if (radio.value === "earlier" && radio.checked && atInput) { atInput.focus(); }
      });
    });
    showAt();
  }

  // Pupil type-ahead.
  var search = document.getElementById("pupil_search");
  var list = document.getElementById("pupil-suggestions");
  var rows = document.getElementById("pupil-rows");
  var template = document.getElementById("pupil-row-template");
  var findButton = document.getElementById("find_pupils");
  if (!search || !list || !rows || !template) { return; }
  var timer = null;
  var active = -1;

  function chosenIds() {
    return Array.prototype.map.call(rows.querySelectorAll("input[type=hidden]"), function (i) { return i.value; });
  }

  function close() { list.hidden = true; list.innerHTML = ""; active = -1; search.setAttribute("aria-expanded", "false"); }

  function addPupil(pupil) {
    if (chosenIds().indexOf(String(pupil.id)) !== -1) { close(); return; }
    var index = parseInt(rows.getAttribute("data-next-index") || "0", 10);
    rows.setAttribute("data-next-index", String(index + 1));
    var row = template.content.firstElementChild.cloneNode(true);
    var idInput = row.querySelector("[data-name=pupil_id]");
    idInput.name = "pupils-" + index + "-pupil_id";
    idInput.value = pupil.id;
    var select = row.querySelector("[data-name=part]");
    select.name = "pupils-" + index + "-part";
    select.id = "pupils-" + index + "-part";
    // The first child added is the one the concern is about; later ones default to witness.
    select.value = rows.children.length === 0 ? "subject" : "witness";
    var label = row.querySelector("[data-label-for=part]");
    label.setAttribute("for", select.id);
    label.textContent = "Their part (" + pupil.name + ")";
    row.querySelector("[data-slot=name]").textContent = pupil.name;
    row.querySelector("[data-slot=meta]").textContent =
      [pupil.year_group, pupil.class_name].join(" ").trim() + " · UPN " + pupil.upn + (pupil.left ? " · left" : "");
    var remove = row.querySelector("[data-remove]");
    remove.setAttribute("aria-label", "Remove " + pupil.name);
    remove.addEventListener("click", function () { row.remove(); search.focus(); });
    rows.appendChild(row);
    close();
    search.value = "";
    select.focus();
  }

  function show(results) {
    list.innerHTML = "";
    active = -1;
    if (!results.length) {
      var none = document.createElement("li");
      none.className = "list-group-item small";
      none.textContent = "No pupil matches that. Try the surname or the UPN.";
      list.appendChild(none);
    }
    results.forEach(function (pupil, i) {
      var item = document.createElement("li");
      item.className = "list-group-item list-group-item-action";
      item.setAttribute("role", "option");
      item.id = "pupil-option-" + i;
      item.tabIndex = -1;
      item.textContent = pupil.name + " — " + [pupil.year_group, pupil.class_name].join(" ").trim() + " · UPN " + pupil.upn;
      item.addEventListener("mousedown", function (e) { e.preventDefault(); addPupil(pupil); });
      item._pupil = pupil;
      list.appendChild(item);
    });
    list.hidden = false;
    search.setAttribute("aria-expanded", "true");
  }

  function lookup() {
    var q = search.value.trim();
    if (q.length < 2) { close(); return; }
    fetch("/pupils/api/search?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) { if (search.value.trim() === q) { show(data.results || []); } })
      .catch(function () { close(); });
  }

  search.setAttribute("role", "combobox");
  search.setAttribute("aria-autocomplete", "list");
  search.setAttribute("aria-controls", "pupil-suggestions");
  search.setAttribute("aria-expanded", "false");
  search.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(lookup, 250); });
  search.addEventListener("keydown", function (e) {
    var options = list.querySelectorAll("[role=option]");
    if (e.key === "ArrowDown" && options.length) {
      e.preventDefault(); active = Math.min(active + 1, options.length - 1);
    } else if (e.key === "ArrowUp" && options.length) {
      e.preventDefault(); active = Math.max(active - 1, 0);
    } else if (e.key === "Enter") {
      // Enter picks the highlighted pupil instead of submitting the whole form.
      e.preventDefault();
      if (active >= 0 && options[active]) { addPupil(options[active]._pupil); } else if (options.length === 1) { addPupil(options[0]._pupil); }
      return;
    } else if (e.key === "Escape") { close(); return; } else { return; }
    options.forEach(function (o, i) { o.classList.toggle("active", i === active); o.setAttribute("aria-selected", i === active ? "true" : "false"); });
    if (options[active]) { search.setAttribute("aria-activedescendant", options[active].id); }
  });
  search.addEventListener("blur", function () { setTimeout(close, 150); });
  if (findButton) { findButton.classList.add("d-none"); }
})();
