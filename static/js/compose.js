// Compose page: PDF files dropped on the drop zone become the chosen files, as if picked in the
// file dialog; the Upload button sends them, so "Add as" can still be changed after choosing.
// Works with htmx's swaps because the listeners are delegated from the document.
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
    form.querySelector("input[type=file]").files = event.dataTransfer.files;
    form.querySelector("button[type=submit]").focus();
  });
})();

// Signature placement: show the chosen page and turn a click on it into PDF coordinates
// (points from the bottom-left corner), filling the x/y fields.
(function () {
  "use strict";
  var BOX = { width: 180, height: 60 }; // the default signature box, in points

  function parts(fieldset) {
    return {
      documentSelect: fieldset.querySelector("select[name$='-document']"),
      page: fieldset.querySelector("input[name$='-page']"),
      x: fieldset.querySelector("input[name$='-x']"),
      y: fieldset.querySelector("input[name$='-y']"),
      preview: fieldset.querySelector(".page-preview"),
      image: fieldset.querySelector("[data-page-image]"),
      marker: fieldset.querySelector(".sig-marker"),
    };
  }

  function showMarker(p) {
    var size = p.image.dataset.pageSize;
    if (!size || p.x.value === "" || p.y.value === "") { p.marker.hidden = true; return; }
    var dims = size.split("x").map(Number);
    var scale = p.image.clientWidth / dims[0];
    p.marker.style.left = (Number(p.x.value) * scale) + "px";
    p.marker.style.top = ((dims[1] - Number(p.y.value) - BOX.height) * scale) + "px";
    p.marker.style.width = (BOX.width * scale) + "px";
    p.marker.style.height = (BOX.height * scale) + "px";
    p.marker.hidden = false;
  }

  function loadPage(fieldset) {
    var p = parts(fieldset);
    if (!p.preview) return;
    var documentId = p.documentSelect.value;
    var page = parseInt(p.page.value || "1", 10);
    if (!documentId) { p.preview.hidden = true; return; }
    if (!p.page.value) p.page.value = "1";
    var url = p.preview.dataset.pageUrl.replace(/\/0\/pages\/1\.png$/, "/" + documentId + "/pages/" + page + ".png");
    fetch(url + "?width=600", { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("no such page");
      p.image.dataset.pageSize = response.headers.get("X-Page-Size") || "";
      return response.blob();
    }).then(function (blob) {
      if (p.image.src.indexOf("blob:") === 0) URL.revokeObjectURL(p.image.src);
      p.image.onload = function () { showMarker(p); };
      p.image.src = URL.createObjectURL(blob);
      p.preview.hidden = false;
    }).catch(function () { p.preview.hidden = true; });
  }

  document.addEventListener("change", function (event) {
    var fieldset = event.target.closest("fieldset.placement");
    if (!fieldset) return;
    if (event.target.matches("select[name$='-document'], input[name$='-page']")) loadPage(fieldset);
    else showMarker(parts(fieldset));
  });

  document.addEventListener("click", function (event) {
    if (!event.target.matches("[data-page-image]")) return;
    var fieldset = event.target.closest("fieldset.placement");
    var p = parts(fieldset);
    var dims = (p.image.dataset.pageSize || "").split("x").map(Number);
    if (dims.length !== 2) return;
    var rect = p.image.getBoundingClientRect();
    var scale = dims[0] / rect.width;
    var x = (event.clientX - rect.left) * scale;
    var top = (event.clientY - rect.top) * scale;
    p.x.value = Math.max(0, Math.min(dims[0] - BOX.width, x)).toFixed(0);
    p.y.value = Math.max(0, Math.min(dims[1] - BOX.height, dims[1] - top - BOX.height)).toFixed(0);
    showMarker(p);
  });

  // An edit form arriving through htmx with a placement already chosen shows its page.
  document.addEventListener("htmx:load", function (event) {
    event.detail.elt.querySelectorAll && event.detail.elt.querySelectorAll("fieldset.placement").forEach(function (fieldset) {
      if (parts(fieldset).documentSelect && parts(fieldset).documentSelect.value) loadPage(fieldset);
    });
  });
})();
