// Upload progress for the artifact form: htmx sends the form with XHR, so we
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
})();
