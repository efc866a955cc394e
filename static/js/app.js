// Small behaviours on top of htmx. Everything here is an enhancement: every
// form and link works without JavaScript.
(function () {
  "use strict";

  // Confirm destructive actions: <form data-confirm="Delete this?">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("htmx:confirm", function (event) {
    var el = event.detail.elt;
    if (el.dataset && el.dataset.confirm && el.tagName !== "FORM") {
      event.preventDefault();
      if (window.confirm(el.dataset.confirm)) event.detail.issueRequest(true);
    }
  });
})();
