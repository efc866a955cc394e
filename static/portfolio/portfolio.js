// Upload progress for the artifact forms: htmx sends the form with XHR, so we
// can follow the upload (not the response download) on xhr.upload. Without
// JavaScript the form posts normally and the bar stays hidden.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSend", function (event) {
    var form = event.detail.elt;
    var bar = form.matches && form.matches("[data-upload-progress]") && form.querySelector("progress.upload-progress");
    if (!bar || !form.querySelector("input[type=file]").value) return;
    bar.value = 0;
    bar.hidden = false;
    event.detail.xhr.upload.addEventListener("progress", function (progress) {
      if (progress.lengthComputable) bar.value = Math.round((100 * progress.loaded) / progress.total);
    });
  });

  // Files dropped anywhere on a page with a form[data-dropzone] go into its
  // file input, and the form is sent (through htmx, so the bar above follows
  // it). Without JavaScript the "multiple" file input does the same job.
  function dropzone(event) {
    var types = event.dataTransfer && Array.prototype.slice.call(event.dataTransfer.types);
    return types && types.indexOf("Files") >= 0 && document.querySelector("form[data-dropzone]");
  }
  document.addEventListener("dragover", function (event) {
    if (!dropzone(event)) return;
    event.preventDefault(); // allows the drop
    document.body.classList.add("dragging-files");
  });
  document.addEventListener("dragleave", function (event) {
    if (!event.relatedTarget) document.body.classList.remove("dragging-files");
  });
  document.addEventListener("drop", function (event) {
    var form = dropzone(event);
    document.body.classList.remove("dragging-files");
    if (!form || !event.dataTransfer.files.length) return;
    event.preventDefault(); // the browser would otherwise open the file
    form.querySelector("input[type=file]").files = event.dataTransfer.files;
    form.requestSubmit();
  });

  // "Select all" for the list's bulk delete: hidden without JavaScript, where
  // it could do nothing; each row's own checkbox works either way.
  function showSelectAll() {
    document.querySelectorAll("[data-select-all]").forEach(function (box) { box.hidden = false; });
  }
  document.addEventListener("DOMContentLoaded", showSelectAll);
  document.addEventListener("htmx:afterSettle", showSelectAll);
  document.addEventListener("change", function (event) {
    if (!event.target.matches("[data-select-all]")) return;
    document.querySelectorAll("input[name=ids][form=bulk-delete]").forEach(function (box) {
      box.checked = event.target.checked;
    });
  });

  // After the per-file results come back, move focus to them.
  document.addEventListener("htmx:afterSettle", function (event) {
    var heading = event.detail.elt.querySelector && event.detail.elt.querySelector("#upload-results-title");
    if (heading) heading.focus();
  });
})();
