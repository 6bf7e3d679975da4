// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Move focus to an error summary so that screen-reader and keyboard users hear what went wrong.
  var summary = document.querySelector("[data-autofocus]");
  if (summary) { summary.focus(); }
})();
