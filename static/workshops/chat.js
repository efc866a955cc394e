// The step page's chat: scrolled to the newest message, Enter sends, a pending
// bubble while the assistant answers, a failed send keeps the typed text, and
// the poll that brings other people's messages (views.step_changes).
// Without JavaScript the form posts and the page reloads at #chat.
(function () {
  "use strict";

  function log() { return document.getElementById("chat-log"); }

  function scrollToNewest() {
    var box = log();
    if (box) box.scrollTop = box.scrollHeight;
  }

  // The send form and the poll can both bring the same message: keep the first.
  function dropDuplicates() {
    var box = log();
    if (!box) return;
    var seen = {};
    Array.prototype.forEach.call(box.querySelectorAll("li[data-message-id]"), function (li) {
      if (seen[li.id]) li.remove();
      seen[li.id] = true;
    });
  }

  function newestId() {
    var ids = Array.prototype.map.call(
      document.querySelectorAll("#chat-log li[data-message-id]"),
      function (li) { return parseInt(li.dataset.messageId, 10) || 0; });
    return ids.length ? Math.max.apply(null, ids) : 0;
  }

  function sendError(text) {
    var p = document.getElementById("chat-send-error");
    if (!p) return;
    p.textContent = text || "";
    p.hidden = !text;
  }

  // After a send the new form has replaced the one whose button was pressed: the
  // message box takes the focus, ready for the next message, unless the person
  // has already put it somewhere else. (app.js restores focus after swaps too;
  // here it does not depend on what other requests did meanwhile.)
  function readyForTheNextMessage() {
    var active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    var input = document.querySelector("#chat-form [data-chat-input]");
    if (input) input.focus();
  }

  function removePending() {
    var pending = document.getElementById("chat-pending");
    if (pending) pending.remove();
  }

  var sending = false;

  document.addEventListener("DOMContentLoaded", scrollToNewest);

  // Enter sends, Shift+Enter starts a new line (not while an IME composes).
  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("textarea[data-chat-input]")) return;
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    if (!sending && input.form) input.form.requestSubmit();
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt.id === "step-poll") {
      // No poll while the tab is hidden or a send is on its way (it brings the news).
      if (document.visibilityState !== "visible" || sending) event.preventDefault();
      return;
    }
    if (!elt.matches("form[data-chat-send]")) return;
    sending = true;
    sendError("");
    var box = log();
    if (box && !document.getElementById("chat-pending")) {
      var bubble = document.createElement("li");
      bubble.id = "chat-pending";
      bubble.className = "msg msg-assistant msg-pending";
      bubble.setAttribute("aria-label", "The assistant is answering");
      bubble.innerHTML = '<span class="msg-role">Assistant</span><div class="msg-body">Answering…</div>';
      box.appendChild(bubble);
      scrollToNewest();
    }
  });

  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.id === "step-poll") event.detail.parameters.after = newestId();
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (!event.detail.elt.matches("form[data-chat-send]")) return;
    sending = false;
    removePending();
    if (event.detail.failed || !event.detail.successful) {
      // Nothing was swapped: the typed text is still in the box.
      var status = event.detail.xhr ? event.detail.xhr.status : 0;
      sendError(status
        ? "Your message was not sent (the server answered " + status + "). Try again."
        : "Your message was not sent: the server could not be reached. Try again.");
    }
  });

  function afterChange(event) {
    var target = event.detail.target || event.target;
    if (target && (target.id === "chat-log" || target.closest && target.closest("#chat-log"))) {
      if (target.id === "chat-log" && event.type === "htmx:afterSwap") {
        // The send's answer: its form was swapped out of band, so its own
        // afterRequest may never reach the document.
        sending = false;
        removePending();
        readyForTheNextMessage();
      }
      dropDuplicates();
      scrollToNewest();
    }
  }
  document.addEventListener("htmx:afterSwap", afterChange);
  document.addEventListener("htmx:oobAfterSwap", afterChange);
})();
