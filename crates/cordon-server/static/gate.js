// The gate console's camera: a Scan button fills the pass field from the QR code in front of the
// phone. The browser's own reader (BarcodeDetector) where it has one; elsewhere the decoder
// shipped with Cordon (static/vendor/jsQR.js, loaded only when the camera is first used), so a
// phone without BarcodeDetector still scans. Everything works by typing too; nothing here is
// needed to decide.
(function () {
  "use strict";
  var box = document.querySelector(".scanner");
  var field = document.getElementById("pass");
  if (!box || !field || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  var button = document.getElementById("scan");
  var video = document.getElementById("camera");
  var label = button.textContent;
  var stream = null;
  var read = null; // video -> Promise of the code's text, or null
  box.hidden = false;
  var hint = document.querySelector(".no-camera");
  if (hint) hint.hidden = true;

  function native() {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    return function (v) {
      return detector.detect(v).then(function (codes) { return codes.length > 0 ? codes[0].rawValue : null; });
    };
  }

  function shipped() {
    return new Promise(function (ok, fail) {
      if (window.jsQR) return ok();
      var s = document.createElement("script");
      s.src = "/static/vendor/jsQR.js";
      s.onload = ok;
      s.onerror = fail;
      document.head.appendChild(s);
    }).then(function () {
      var canvas = document.createElement("canvas");
      var ctx = canvas.getContext("2d", { willReadFrequently: true });
      return function (v) {
        var w = v.videoWidth, h = v.videoHeight;
        if (!w || !h) return Promise.resolve(null);
        canvas.width = w;
        canvas.height = h;
        ctx.drawImage(v, 0, 0, w, h);
        var code = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "dontInvert" });
        return Promise.resolve(code ? code.data : null);
      };
    });
  }

  function reader() {
    if (read) return Promise.resolve(read);
    var made = "BarcodeDetector" in window ? Promise.resolve(native()) : shipped();
    return made.then(function (r) { read = r; return r; });
  }

  function stop() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    video.hidden = true;
    button.textContent = label;
  }

  function look() {
    if (!stream) return;
    read(video).then(function (text) {
      if (text) {
        field.value = text;
        stop();
        field.form.querySelector("button[type=submit]").focus();
      } else {
        setTimeout(look, 200);
      }
    }).catch(function () { setTimeout(look, 400); });
  }

  button.addEventListener("click", function () {
    if (stream) { stop(); return; }
    reader().then(function () {
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      button.textContent = button.dataset.stop;
      return video.play();
    }).then(look).catch(stop);
  });
})();
