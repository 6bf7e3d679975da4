// The concern page's panels of actions: each panel's form is fetched when the panel is first opened.
// Progressive enhancement only: without this file (or if the fetch fails) the panel's "Open the form" link leads to
// a page holding the same form.
(function () {
  "use strict";
  function load(panel) {
    var fallback = panel.querySelector("[data-panel-fallback]");
    var url = panel.getAttribute("data-panel-url");
    if (!fallback || !url || panel.hasAttribute("data-panel-loading")) { return; }
    panel.setAttribute("data-panel-loading", "");
    panel.setAttribute("aria-busy", "true");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("panel answered " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("template");
        holder.innerHTML = html;
        fallback.replaceWith(holder.content);
        panel.removeAttribute("data-panel-url");
      })
      .catch(function () { /* the link stays: it leads to the same form on a page of its own */ })
      .then(function () {
        panel.removeAttribute("data-panel-loading");
        panel.removeAttribute("aria-busy");
      });
  }
  document.querySelectorAll("details[data-panel-url]").forEach(function (panel) {
    panel.addEventListener("toggle", function () { if (panel.open) { load(panel); } });
    if (panel.open) { load(panel); }
  });
})();
