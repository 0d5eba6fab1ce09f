// Small behaviours the portal needs beyond htmx. No inline scripts: CSP allows only our own files.
(function () {
  "use strict";

  // Toasts close on a click; they also fade out by themselves (CSS).
  document.addEventListener("click", function (event) {
    var close = event.target.closest(".toast-close");
    if (close) close.closest(".toast").remove();
  });

  // Only one header menu open at a time, and Escape or a click elsewhere closes it.
  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }
  document.addEventListener("click", function (event) {
    closeMenus(event.target.closest("details.menu"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeMenus(null);
  });

  // An htmx request that fails with no usable answer (network down, server error page)
  // should not fail silently.
  document.addEventListener("htmx:sendError", function () {
    showToast("Paraph could not be reached. Check your connection and try again.", "error");
  });
  // Form errors answer 422 and are swapped in place (base.html); other failures leave the page as it
  // is and say so.
  var FAILED = {
    403: "Your role in this organization does not allow that.",
    404: "That is no longer there; reload the page to see what changed.",
  };
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    if (status >= 500) showToast("Something went wrong on our side; nothing was changed.", "error");
    else showToast(FAILED[status] || "That did not work; reload the page and try again.", "error");
  });

  // Polled elements (data-poll) skip their refresh while the tab is hidden, and while someone is
  // using a form inside them (typing, an open panel, ticked boxes), which a refresh would wipe.
  function inUse(elt) {
    var active = document.activeElement;
    var typing = active && elt.contains(active) && active.matches("input, select, textarea");
    return typing || elt.querySelector("details[open], input[type=checkbox]:checked") !== null;
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt.hasAttribute("data-poll") && (document.hidden || inUse(elt))) event.preventDefault();
  });

  function showToast(text, kind) {
    var box = document.querySelector(".toasts");
    if (!box) return;
    var toast = document.createElement("div");
    toast.className = "toast toast-" + kind;
    var span = document.createElement("span");
    span.textContent = text;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "toast-close";
    button.setAttribute("aria-label", "Dismiss");
    button.textContent = "×";
    toast.append(span, button);
    box.append(toast);
  }
})();
