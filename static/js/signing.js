// The signing page: place the "sign here" boxes, switch between typed and drawn signatures,
// and turn the drawing into a PNG data URL for the form. Styles are set from script because the
// page's CSP allows no inline style attributes.
(function () {
  "use strict";

  document.querySelectorAll(".sign-here[data-box]").forEach(function (box) {
    var p = box.dataset.box.split(" ");
    box.style.left = p[0] + "%";
    box.style.top = p[1] + "%";
    box.style.width = p[2] + "%";
    box.style.height = p[3] + "%";
  });

  var form = document.querySelector(".sign-form");
  if (!form) return;

  function showMethod() {
    var chosen = form.querySelector("input[name=method]:checked");
    form.querySelectorAll("[data-method]").forEach(function (part) {
      part.hidden = !chosen || part.dataset.method !== chosen.value;
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "method") showMethod();
  });
  showMethod();

  var typed = form.querySelector("#typed");
  var preview = form.querySelector("[data-typed-preview]");
  if (typed && preview) {
    typed.addEventListener("input", function () { preview.textContent = typed.value; });
  }

  var pad = form.querySelector("[data-signature-pad]");
  if (!pad) return;
  var ctx = pad.getContext("2d");
  var drawing = false;
  var inked = false;
  ctx.lineWidth = 3;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.strokeStyle = "#1b1f2e";

  function point(event) {
    var rect = pad.getBoundingClientRect();
    return {
      x: (event.clientX - rect.left) * (pad.width / rect.width),
      y: (event.clientY - rect.top) * (pad.height / rect.height),
    };
  }
  pad.addEventListener("pointerdown", function (event) {
    drawing = true;
    pad.setPointerCapture(event.pointerId);
    var p = point(event);
    ctx.beginPath();
    ctx.moveTo(p.x, p.y);
    event.preventDefault();
  });
  pad.addEventListener("pointermove", function (event) {
    if (!drawing) return;
    var p = point(event);
    ctx.lineTo(p.x, p.y);
    ctx.stroke();
    inked = true;
  });
  function stop() { drawing = false; }
  pad.addEventListener("pointerup", stop);
  pad.addEventListener("pointercancel", stop);

  form.querySelector("[data-clear-pad]").addEventListener("click", function () {
    ctx.clearRect(0, 0, pad.width, pad.height);
    inked = false;
  });
  form.addEventListener("submit", function () {
    form.querySelector("#drawn").value = inked ? pad.toDataURL("image/png") : "";
  });
})();
