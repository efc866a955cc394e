// Names for two admin controls that Django leaves nameless, so screen readers
// (and axe, tests/e2e/test_every_page.py) know what they are.
(function () {
  "use strict";

  function labelOf(input) {
    var row = input.closest(".form-row, .fieldBox");
    var label = row && row.querySelector("label");
    return label ? label.textContent.replace(/:\s*$/, "").trim() : "";
  }

  function nameControls() {
    // A date-and-time field: two inputs after the words "Date:" and "Time:", neither labelled.
    document.querySelectorAll("p.datetime input").forEach(function (input) {
      var part = input.classList.contains("vTimeField") ? "time" : "date";
      if (!input.hasAttribute("aria-label")) input.setAttribute("aria-label", (labelOf(input) + " " + part).trim());
    });

    // An autocomplete (select2) box is named by its selected text, which is empty
    // while nothing is chosen: name it by its field's label as well.
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var label = document.querySelector('label[for="' + select.id + '"]');
      var container = select.nextElementSibling;
      if (!label || !container) return;
      label.id = label.id || select.id + "-label";
      container.querySelectorAll(".select2-selection[role=combobox], [role=textbox]").forEach(function (box) {
        box.setAttribute("aria-labelledby", (label.id + " " + (box.getAttribute("aria-labelledby") || "")).trim());
      });
    });
  }

  // The admin builds its autocomplete boxes in a jQuery ready handler that an
  // earlier script registered; ours, registered after it, runs after it.
  if (window.django && window.django.jQuery) {
    window.django.jQuery(nameControls);
  } else {
    document.addEventListener("DOMContentLoaded", nameControls);
  }
})();
