// The gate console's camera: where the browser can read QR codes (BarcodeDetector) and has a
// camera, a Scan button fills the pass field from the code in front of it. Everything else
// works by typing; nothing here is needed to decide.
(function () {
  "use strict";
  var box = document.querySelector(".scanner");
  var field = document.getElementById("pass");
  if (!box || !field || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  var button = document.getElementById("scan");
  var video = document.getElementById("camera");
  var label = button.textContent;
  var stream = null;
  var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  box.hidden = false;
  var hint = document.querySelector(".no-camera");
  if (hint) hint.hidden = true;

  function stop() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    video.hidden = true;
    button.textContent = label;
  }

  function look() {
    if (!stream) return;
    detector.detect(video).then(function (codes) {
      if (codes.length > 0) {
        field.value = codes[0].rawValue;
        stop();
        field.form.querySelector("button[type=submit]").focus();
      } else {
        setTimeout(look, 200);
      }
    }).catch(function () { setTimeout(look, 400); });
  }

  button.addEventListener("click", function () {
    if (stream) { stop(); return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      button.textContent = button.dataset.stop;
      return video.play();
    }).then(look).catch(stop);
  });
})();
