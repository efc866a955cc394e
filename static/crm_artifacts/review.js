// Keyboard for the CRM review (issue 13): j/k or ↓/↑ move between pending
// proposals, a accepts, r rejects, e edits, x ticks the checkbox, ? lists the
// keys. After a decision, focus goes to the next pending proposal, never back
// to the top of the page. Everything here is an enhancement: every action is a
// form that works without JavaScript.
(function () {
  "use strict";
  var PENDING = "#review li.proposal.pending";

  function pending() { return Array.prototype.slice.call(document.querySelectorAll(PENDING)); }

  function current() {
    var active = document.activeElement;
    return active && active.closest ? active.closest("li.proposal") : null;
  }

  function focusRow(row) {
    if (!row) return;
    row.setAttribute("tabindex", "-1");
    row.focus();
    row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var rows = pending();
    if (!rows.length) return;
    var index = rows.indexOf(current());
    focusRow(rows[index < 0 ? 0 : Math.min(rows.length - 1, Math.max(0, index + step))]);
  }

  function press(row, selector) {
    var control = row && row.querySelector(selector);
    if (control) control.click();
    return control;
  }

  var nextAfter = null;  // the row a decision was made on, to move past it
  document.addEventListener("keydown", function (event) {
    if (!document.getElementById("review") || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable], dialog[open]")) return;
    var row = current();
    var key = event.key;
    // The arrows scroll the page unless a proposal has focus.
    if ((key === "ArrowDown" || key === "ArrowUp") && !row) return;
    if (key === "j" || key === "ArrowDown") { move(1); }
    else if (key === "k" || key === "ArrowUp") { move(-1); }
    else if (key === "a" && row) { nextAfter = row; press(row, ".proposal-actions form[action$='/accept/'] button"); }
    else if (key === "r" && row) { nextAfter = row; press(row, ".proposal-actions form[action$='/reject/'] button"); }
    else if (key === "x" && row) { press(row, "input.proposal-select"); }
    else if (key === "e" && row) {
      var details = row.querySelector("details.proposal-edit");
      if (details) { details.open = true; var field = details.querySelector("input, select"); if (field) field.focus(); }
    }
    else if (key === "?") {
      var help = document.getElementById("review-keys");
      if (help && typeof help.showModal === "function") help.showModal();
    }
    else { return; }
    event.preventDefault();
  });

  // A decision swapped its row: focus the next pending proposal after it (or
  // the one before, when it was the last), after app.js has placed focus.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var row = event.detail.elt.closest && event.detail.elt.closest("li.proposal");
    if (row) nextAfter = row;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var swapped = event.target;
    if (!nextAfter || !swapped.matches || !swapped.matches("li.proposal")) return;
    nextAfter = null;
    setTimeout(function () {
      var rows = Array.prototype.slice.call(document.querySelectorAll("#review li.proposal"));
      var at = rows.indexOf(swapped);
      var after = rows.slice(at + 1).filter(function (r) { return r.matches(".pending"); })[0];
      var before = rows.slice(0, at).reverse().filter(function (r) { return r.matches(".pending"); })[0];
      // A refused decision keeps its row pending: stay on it so its message is read.
      focusRow(swapped.matches(".pending") ? swapped : (after || before || swapped));
    }, 10);
  });
})();
