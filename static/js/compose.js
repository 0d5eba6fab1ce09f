// Compose page: drag PDF files onto the drop zone to upload them. Works with htmx's swaps
// because the listeners are delegated from the document.
(function () {
  "use strict";

  function zoneForm(event) {
    return event.target.closest && event.target.closest("form[data-dropzone]");
  }

  document.addEventListener("dragover", function (event) {
    var form = zoneForm(event);
    if (!form) return;
    event.preventDefault();
    form.classList.add("is-dragging");
  });
  document.addEventListener("dragleave", function (event) {
    var form = zoneForm(event);
    if (form) form.classList.remove("is-dragging");
  });
  document.addEventListener("drop", function (event) {
    var form = zoneForm(event);
    if (!form) return;
    event.preventDefault();
    form.classList.remove("is-dragging");
    var input = form.querySelector("input[type=file]");
    input.files = event.dataTransfer.files;
    form.requestSubmit();
  });
  // Choosing files uploads them straight away.
  document.addEventListener("change", function (event) {
    if (event.target.matches("form[data-dropzone] input[type=file]") && event.target.files.length) {
      event.target.form.requestSubmit();
    }
  });
})();
