/*
 * The queue kiosk's touch screen and its printed ticket (no inline script: CSP).
 *
 *   <body data-kiosk-home="/queue/kiosk/<point>/"  the start screen
 *         data-kiosk-idle="30"                      left alone this long: back to the start
 *         data-kiosk-print="<secret>">              the ticket page: print once, then count down
 *   [data-colour="#rrggbb"]   a priority button: its colour, with readable text on it
 *   form[data-once]           submitted once (a double tap sends nothing more)
 *   [data-countdown-seconds]  shows the seconds left before the kiosk returns to its start
 *   [data-print]              prints the ticket again
 *   [data-clock]              the time in Vietnam
 */
(function () {
  "use strict";

  var body = document.body;
  var home = body.getAttribute("data-kiosk-home");
  var idle = Number(body.getAttribute("data-kiosk-idle")) || 0;
  var printing = body.hasAttribute("data-kiosk-print");
  var MM_PER_PX = 25.4 / 96;

  // Priority buttons: the category's colour, with black or white text, whichever reads better.
  function luminance(hex) {
    var channels = [1, 3, 5].map(function (i) {
      var c = parseInt(hex.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-colour]"), function (element) {
    var colour = element.getAttribute("data-colour") || "";
    if (!/^#[0-9a-fA-F]{6}$/.test(colour)) { return; }
    var light = luminance(colour);
    var onWhite = 1.05 / (light + 0.05);
    var onBlack = (light + 0.05) / 0.05;
    element.style.backgroundColor = colour;
    element.style.borderColor = colour;
    element.style.color = onWhite >= onBlack ? "#ffffff" : "#000000";
  });

  // One submission per form: the one-time key already makes a double tap harmless; this also
  // spares the second request.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-once]"), function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-sent")) { event.preventDefault(); return; }
      form.setAttribute("data-sent", "true");
      form.classList.add("is-sending");
    });
  });

  // The clock in the header (the kiosk's own clock may be set to another zone).
  var clocks = document.querySelectorAll("[data-clock]");
  function tick() {
    var text;
    try {
      text = new Date().toLocaleTimeString("vi-VN", {
        hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "Asia/Ho_Chi_Minh"
      });
    } catch (error) {
      return;
    }
    Array.prototype.forEach.call(clocks, function (clock) { clock.textContent = text; });
  }
  if (clocks.length) { tick(); setInterval(tick, 10000); }

  // Back to the start screen after a while without a touch.
  var remaining = idle;
  var counters = document.querySelectorAll("[data-countdown-seconds]");
  var timer = null;
  function show() {
    Array.prototype.forEach.call(counters, function (element) {
      element.textContent = String(Math.max(remaining, 0));
    });
  }
  function startIdle() {
    if (!home || idle <= 0 || timer) { return; }
    show();
    timer = setInterval(function () {
      remaining -= 1;
      show();
      if (remaining <= 0) {
        clearInterval(timer);
        window.location.assign(home);
      }
    }, 1000);
  }
  ["pointerdown", "keydown", "input"].forEach(function (name) {
    document.addEventListener(name, function () { remaining = idle; show(); }, { passive: true });
  });
  // A kiosk page shown again from the back-forward cache would carry a used key: reload it.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { window.location.reload(); }
  });

  // The printed ticket: one page exactly as long as the ticket (an 80 mm roll).
  function sizePage() {
    var ticket = document.getElementById("ticket");
    var sheet = null;
    Array.prototype.forEach.call(document.styleSheets, function (candidate) {
      if (candidate.href && candidate.href.indexOf("kiosk") !== -1) { sheet = candidate; }
    });
    if (!ticket || !sheet) { return; }
    var preview = ticket.parentElement;
    preview.classList.add("is-measuring");  // the print size, without the screen's zoom
    var height = Math.ceil(ticket.getBoundingClientRect().height * MM_PER_PX) + 4;
    preview.classList.remove("is-measuring");
    try {
      sheet.insertRule("@page { size: 80mm " + height + "mm; margin: 0 }", sheet.cssRules.length);
    } catch (error) { /* the stylesheet's fixed length stays */ }
  }
  function printTicket() {
    sizePage();
    window.print();
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.addEventListener("click", printTicket);
  });

  if (printing) {
    var secret = body.getAttribute("data-kiosk-print");
    var printOnce = function () {
      var done = false;
      try {
        done = window.sessionStorage.getItem("motcua-printed") === secret;
        window.sessionStorage.setItem("motcua-printed", secret);
      } catch (error) { /* no storage: print anyway */ }
      if (!done) { printTicket(); }
      startIdle();  // window.print() returns once the ticket went to the printer
    };
    if (document.readyState === "complete") {
      printOnce();
    } else {
      window.addEventListener("load", printOnce);
    }
  } else {
    startIdle();
  }
})();
