// Live terminology hints and the searchable category picker. Progressive enhancement: without this file the
// server checks the wording on submit and every category's guidance is available in its "What to do" section.
(function () {
  "use strict";
  var tokenMeta = document.querySelector("meta[name=csrf-token]");
  var token = tokenMeta ? tokenMeta.getAttribute("content") : "";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function setupChecked(box) {
    var textarea = box.querySelector("textarea");
    var output = box.querySelector("[data-findings]");
    var reason = box.querySelector("[data-kept-reason]");
    var url = box.getAttribute("data-check-url");
    if (!textarea || !output || !url) { return; }
    if (reason && reason.hasAttribute("data-initially-hidden")) { reason.hidden = true; }
    var timer = null;
    var sequence = 0;

    function render(findings, text) {
      output.innerHTML = "";
      var hasAvoid = findings.some(function (f) { return f.severity === "avoid"; });
      if (reason) { reason.hidden = !hasAvoid && !reason.querySelector("input").value; }
      if (!findings.length) { return; }
      output.appendChild(el("p", "small fw-semibold mb-1", "Words to check:"));
      var list = el("ul", "list-unstyled mb-0");
      findings.forEach(function (f) {
        var item = el("li", "terminology-finding border-start border-3 ps-2 mb-2 " + (f.severity === "avoid" ? "border-danger" : "border-warning"));
        item.appendChild(el("span", "badge " + (f.severity === "avoid" ? "text-bg-danger" : "text-bg-warning"), f.severity === "avoid" ? "Avoid" : "Use with care"));
        item.appendChild(document.createTextNode(" "));
        item.appendChild(el("strong", "", "\u201c" + f.text + "\u201d"));
        item.appendChild(el("div", "small", f.reason));
        var buttons = el("div", "d-flex flex-wrap gap-1 mt-1");
        var misfits = [];
        // The server says what to write for each preferred term so that the sentence still reads ("sexting an
        // older boy": "sharing nudes and semi-nudes with an older boy"), or that nothing fits as it is written.
        (f.replacements || []).forEach(function (r) {
          if (r.text === null) { misfits.push(r.preferred); return; }
          var button = el("button", "btn btn-sm btn-outline-primary", "Use \u201c" + r.text + "\u201d");
          button.type = "button";
          button.setAttribute("data-use-term", r.preferred);
          button.addEventListener("click", function () {
            var current = textarea.value;
            // Replace only that span, and only if the words are still where they were found.
            if (current.slice(r.start, r.end) !== r.original) { check(); return; }
            textarea.value = current.slice(0, r.start) + r.text + current.slice(r.end);
            var caret = r.start + r.text.length;
            textarea.focus();
            textarea.setSelectionRange(caret, caret);
            check();
          });
          buttons.appendChild(button);
        });
        item.appendChild(buttons);
        if (misfits.length) {
          item.appendChild(el("div", "small mt-1", (buttons.children.length ? "Or rewrite the sentence to use " : "No wording fits here as the sentence is written: rewrite it to use ") +
            misfits.map(function (p) { return "\u201c" + p + "\u201d"; }).join(" or ") + "."));
        }
        list.appendChild(item);
      });
      output.appendChild(list);
    }

    function check() {
      var text = textarea.value;
      var mine = ++sequence;
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json" },
        body: JSON.stringify({ text: text })
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data && mine === sequence && textarea.value === text) { render(data.findings, text); } })
        .catch(function () { /* the server checks again on submit */ });
    }

    textarea.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 400); });
  }

  function setupPicker(picker) {
    var searchWrap = picker.querySelector("[data-category-search-wrap]");
    var search = picker.querySelector("[data-category-search]");
    var none = picker.querySelector("[data-category-none]");
    var items = Array.prototype.slice.call(picker.querySelectorAll("[data-category-item]"));
    var groups = Array.prototype.slice.call(picker.querySelectorAll("[data-category-group]"));
    var more = picker.querySelector("[data-category-more]");
    if (searchWrap) { searchWrap.classList.remove("d-none"); }
    if (search) {
      search.addEventListener("input", function () {
        var q = search.value.trim().toLowerCase();
        if (q && more) { more.open = true; }  // search every category, the collapsed ones too
        var shown = 0;
        items.forEach(function (item) {
          var match = !q || item.getAttribute("data-search").indexOf(q) !== -1 || item.querySelector("input").checked;
          item.classList.toggle("d-none", !match);
          if (match) { shown += 1; }
        });
        groups.forEach(function (group) {
          group.classList.toggle("d-none", !group.querySelector("[data-category-item]:not(.d-none)"));
        });
        if (none) { none.classList.toggle("d-none", shown > 0); }
      });
    }
    items.forEach(function (item) {
      var box = item.querySelector("input[type=checkbox]");
      var guidance = item.querySelector("[data-guidance-for]");
      if (!box || !guidance) { return; }
      box.addEventListener("change", function () {
        if (box.checked) { guidance.setAttribute("open", ""); } else { guidance.removeAttribute("open"); }
      });
    });
  }

  document.querySelectorAll("[data-terminology-check]").forEach(setupChecked);
  document.querySelectorAll("[data-category-picker]").forEach(setupPicker);
})();
