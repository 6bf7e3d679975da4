// The quick exit (GOV.UK Design System, "Exit this page"). Without JavaScript the button is a form that signs the
// person out and shows a neutral page. With it, the button, or Shift pressed three times within five seconds, hides
// the page at once, signs out in the background (a beacon carrying the CSRF token) and replaces the page in the
// history, so that Back does not return to it.
(function () {
  "use strict";
  var container = document.querySelector("[data-exit-this-page]");
  if (!container) { return; }
  var form = container.querySelector("form");
  var leaving = false;

  function leave() {
    if (leaving) { return; }
    leaving = true;
    var overlay = document.createElement("div");
    overlay.className = "exit-this-page-overlay";
    document.body.appendChild(overlay);
    document.title = "Weather";
    var data = new FormData(form);
    var sent = false;
    if (navigator.sendBeacon) {
      try { sent = navigator.sendBeacon(form.action, data); } catch (e) { sent = false; }
    }
    if (!sent) {
      // No beacon: the form itself signs out and lands on the neutral page.
      form.submit();
      return;
    }
    window.location.replace(form.action);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    leave();
  });

  var presses = [];
  document.addEventListener("keyup", function (event) {
    if (event.key !== "Shift") { presses = []; return; }
    var now = Date.now();
    presses = presses.filter(function (t) { return now - t < 5000; });
    presses.push(now);
    if (presses.length >= 3) { leave(); }
  });
})();
