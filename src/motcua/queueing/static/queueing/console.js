/*
 * motcua queue pages for staff and the rating tablet (no inline script: loaded with defer).
 *
 * - Priority tags: [data-colour="#rrggbb"] gets that colour (CSSOM; style="" is not allowed).
 * - Forms with data-confirm ask first; a submitted form's buttons are disabled (no double call).
 * - The counter console (#console[data-counter]): live.js re-fetches the queue (#console-queue)
 *   on every event of the point; an event naming this counter (another tab or device acted)
 *   re-fetches the current ticket too (#console-current; the dossier code box is preserved).
 *   The waiting count is read out through a polite live region.
 * - The rating tablet (#rate-screen[data-counter]): a "ticket.finished" event of this counter
 *   brings the new citizen's form; the form goes away when its rating window ends; while idle
 *   the screen is refreshed now and then in case an event was missed.
 */
(function () {
  "use strict";

  var HEX = /^#[0-9a-fA-F]{6}$/;
  var leaving = false;  // a form was sent: the page is about to be replaced
  var IDLE_REFRESH = 120000;
  var MESSAGE_TIME = 8000;

  function paint(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("[data-colour]"), function (el) {
      var colour = el.getAttribute("data-colour");
      if (!HEX.test(colour)) { return; }
      el.style.borderColor = colour;
      el.style.color = colour;
      el.style.backgroundColor = "#fff";
      el.style.fontWeight = "700";
    });
  }

  function refetch(element, url) {
    if (!element || !url || !window.htmx) { return Promise.resolve(); }
    // The element is the request's source too: htmx keeps one request at a time per source
    // (the body by default), and would drop this one behind live.js's re-fetch of the queue.
    return window.htmx.ajax("GET", url, { source: element, target: element, swap: "innerHTML" });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || (form.method || "").toLowerCase() !== "post") { return; }
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    if (form.getAttribute("data-sent")) { event.preventDefault(); return; }
    form.setAttribute("data-sent", "1");
    leaving = true;
    Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (button) {
      button.setAttribute("aria-disabled", "true");
      button.classList.add("is-busy");
    });
  });

  // Back to a page kept in the browser's cache: its forms may be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    leaving = false;
    Array.prototype.forEach.call(document.querySelectorAll("form[data-sent]"), function (form) {
      form.removeAttribute("data-sent");
      Array.prototype.forEach.call(form.querySelectorAll(".is-busy"), function (button) {
        button.removeAttribute("aria-disabled");
        button.classList.remove("is-busy");
      });
    });
  });

  function counterOf(detail) {
    var data = detail && detail.data;
    return data && data.counter != null ? String(data.counter) : null;
  }

  function setUpConsole(root) {
    var number = root.getAttribute("data-counter");
    var current = document.getElementById("console-current");
    var queue = document.getElementById("console-queue");
    var spoken = document.getElementById("waiting-count");
    var currentUrl = root.getAttribute("data-current-url");
    var busy = false;
    var again = false;

    function refreshCurrent() {
      if (leaving) { return; }
      if (busy) { again = true; return; }
      busy = true;
      var done = function () {
        busy = false;
        paint(current);
        // Not at once: htmx may still count the finished request as in flight and drop a new one.
        if (again) { again = false; setTimeout(refreshCurrent, 50); }
      };
      refetch(current, currentUrl).then(done, done);
    }

    root.addEventListener("motcua:live", function (event) {
      var name = event.detail && event.detail.name;
      if (name === "ticket.issued") { return; }
      if (counterOf(event.detail) === number) { refreshCurrent(); }
    });
    if (queue) {
      queue.addEventListener("htmx:afterSettle", function () {
        paint(queue);
        var panel = queue.querySelector("[data-waiting-text]");
        if (panel && spoken) {
          var text = panel.getAttribute("data-waiting-text");
          if (spoken.textContent !== text) { spoken.textContent = text; }
        }
      });
    }
  }

  function setUpTablet(root) {
    var number = root.getAttribute("data-counter");
    var url = root.getAttribute("data-screen-url");
    var timer = null;

    function schedule() {
      if (timer) { clearTimeout(timer); timer = null; }
      var form = root.querySelector("[data-expires-in]");
      var seconds = form ? Number(form.getAttribute("data-expires-in")) : 0;
      var delay = seconds > 0 ? seconds * 1000 + 500 : IDLE_REFRESH;
      timer = setTimeout(refresh, delay);
    }

    function refresh() {
      var done = function () { schedule(); };
      refetch(root, url).then(done, done);
    }

    root.addEventListener("motcua:live", function (event) {
      var detail = event.detail || {};
      if (detail.name === "ticket.finished" && counterOf(detail) === number) { refresh(); }
    });
    schedule();
    var messages = document.querySelector(".messages");
    if (messages) {
      setTimeout(function () { messages.hidden = true; }, MESSAGE_TIME);
    }
  }

  function start() {
    paint(document);
    var consoleRoot = document.getElementById("console");
    if (consoleRoot) { setUpConsole(consoleRoot); }
    var tablet = document.getElementById("rate-screen");
    if (tablet) { setUpTablet(tablet); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
