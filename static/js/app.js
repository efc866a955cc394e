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
  // A refusal (config/errors.py) is its message retargeted into #flash: swap
  // it whatever its status (base.html's htmx config leaves 403/404 unswapped).
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.getResponseHeader("X-Refusal")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // "Accept all" / "Reject all" (crm_artifacts): a link to a confirmation page,
  // which with JavaScript opens the same question in the page's <dialog> instead.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-dialog]");
    var dialog = link && document.getElementById(link.dataset.dialog);
    if (dialog && typeof dialog.showModal === "function") {
      event.preventDefault();
      dialog.showModal();
    }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var dialog = event.detail.elt.closest && event.detail.elt.closest("dialog[open]");
    if (dialog) dialog.close();
  });
  document.addEventListener("htmx:confirm", function (event) {
    var el = event.detail.elt;
    if (el.dataset && el.dataset.confirm && el.tagName !== "FORM") {
      event.preventDefault();
      if (window.confirm(el.dataset.confirm)) event.detail.issueRequest(true);
    }
  });
})();

// After an htmx swap: announce its result and put focus somewhere sensible.
// base.html keeps #announcer (read out, not shown) from the start, as a live
// region must exist before its content changes.
(function () {
  "use strict";
  var RESULTS = "[role=status], [role=alert], .message";

  function announce(text) {
    var announcer = document.getElementById("announcer");
    if (!announcer || !text) return;
    announcer.textContent = "";
    // A new text node after a tick, so the same words twice are read twice.
    setTimeout(function () { announcer.textContent = text; }, 50);
  }
  window.aiSkills = { announce: announce };

  // A request the page makes on its own (`data-background`: the step's poll, the
  // nav's badges) has its results announced like any other, but its swap neither
  // moves focus nor overwrites or forgets where focus was when the person's own
  // request left (a poll landing while "Send" was on its way lost the message
  // box's focus).
  function background(event) {
    var elt = event.detail && event.detail.elt;
    return !!(elt && elt.closest && elt.closest("[data-background]"));
  }

  // What had focus when the request left (before htmx disables its buttons).
  var focusedBefore = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (!background(event)) focusedBefore = document.activeElement;
  });

  function focusLost() {
    var active = document.activeElement;
    var hadFocus = focusedBefore && focusedBefore !== document.body;
    return hadFocus && (!active || active === document.body || !active.isConnected);
  }

  function focusOn(element) {
    if (!element.matches("a[href], button, input, select, textarea, [tabindex]")) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus();
  }

  // One swap settles several elements (the target and out-of-band ones):
  // collect them and decide once, after the last.
  var settled = [];
  var ownSwap = false; // among them, one answering the person's own request
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!settled.length) setTimeout(afterSwap, 0);
    settled.push(event.target);
    if (!background(event)) ownSwap = true;
  });

  function within(selector) {
    for (var i = 0; i < settled.length; i++) {
      var root = settled[i];
      if (!root.isConnected) continue;
      var found = root.matches(selector) ? root : root.querySelector(selector);
      if (found) return found;
    }
    return null;
  }

  function afterSwap() {
    var result = within(RESULTS);
    var focused = null;
    if (ownSwap && focusLost()) {
      // The control the user pressed was replaced: go to the field marked for
      // it (the chat's message box), else the result, else the new content.
      focused = within("[data-swap-focus]") || result ||
        (focusedBefore.isConnected ? focusedBefore : settled.filter(function (root) {
          return root.isConnected && root !== document.body;
        })[0]);
      if (focused) focusOn(focused);
    }
    // A focused result is read out by the focus itself; alerts announce themselves.
    if (result && result !== focused && !result.matches("[role=alert]")) {
      announce(result.textContent.trim());
    }
    settled = [];
    if (ownSwap) focusedBefore = null;
    ownSwap = false;
  }
})();

// When a session ends mid-request, config/htmx.py answers HX-Redirect to the
// sign-in page with the event "session-ended" (and an out-of-date CSRF token
// reloads the page with it, config/views.py). Keep what was typed on this
// page in the tab (sessionStorage: this tab only, gone when it closes) and put
// it back when the user is on this page again after signing in.
(function () {
  "use strict";
  var KEY = "unsent-drafts";
  var KEEP_MS = 60 * 60 * 1000;
  var TEXTUAL = ["text", "search", "email", "url", "tel", "number", "date"];

  function here() { return location.pathname + location.search; }

  function typed() {
    return Array.prototype.filter.call(document.querySelectorAll("form textarea, form input"), function (field) {
      var textual = field.tagName === "TEXTAREA" || TEXTUAL.indexOf(field.type) >= 0;
      return textual && field.name && field.value !== field.defaultValue;
    });
  }

  function formOf(action) {
    return Array.prototype.find.call(document.forms, function (form) {
      return (form.getAttribute("action") || "") === action;
    });
  }

  document.addEventListener("session-ended", function () {
    var fields = typed().map(function (field) {
      return { form: field.form.getAttribute("action") || "", name: field.name, value: field.value };
    });
    if (!fields.length) return;
    try {
      sessionStorage.setItem(KEY, JSON.stringify({ page: here(), at: Date.now(), fields: fields }));
    } catch (error) { /* storage off or full: nowhere to keep it */ }
  });

  var saved = null;
  try { saved = JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (error) { return; }
  if (!saved || saved.page !== here()) return;
  sessionStorage.removeItem(KEY);
  if (Date.now() - saved.at > KEEP_MS) return;
  var restored = saved.fields.map(function (draft) {
    var form = formOf(draft.form);
    var field = form && form.elements.namedItem(draft.name);
    if (!field || field.value === draft.value) return null;
    field.value = draft.value;
    return field;
  }).filter(Boolean);
  if (!restored.length) return;
  // Said next to the form, where the focus (and so the screen) goes, and read out.
  var text = "What you typed before the page expired is back in the form. It has not been sent yet.";
  var note = document.createElement("p");
  note.className = "message warning";
  note.textContent = text;
  restored[0].form.insertBefore(note, restored[0].form.firstChild);
  window.aiSkills.announce(text);
  restored[0].focus();
})();
