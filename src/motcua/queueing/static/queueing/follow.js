/*
 * The citizen's phone page of a ticket. live.js re-fetches #place on every event of the
 * service point's board; this script reacts to what the new block says:
 *
 *   <div class="place" data-status="waiting|called|serving|held|finished|no_show|cancelled|expired"
 *        data-calls="1" data-near="true|false" data-live-end="true|false" data-title="...">
 *
 * It vibrates when the ticket is called (again), and briefly when the turn comes near; updates
 * the page title (seen on a locked screen's tab list); hides "leave the queue" once it no longer
 * applies; stops listening when the ticket is over; and re-fetches when the phone wakes up
 * (events missed while asleep) and every minute (a lost connection).
 */
(function () {
  "use strict";

  var REFRESH_MS = 60000;
  var wrap = document.getElementById("place");
  if (!wrap) { return; }
  var url = wrap.getAttribute("data-live-swap-url");
  var last = null;

  function vibrate(pattern) {
    if (navigator.vibrate) {
      try { navigator.vibrate(pattern); } catch (error) { /* not allowed: no matter */ }
    }
  }

  function read() {
    var place = wrap.querySelector(".place");
    if (!place) { return null; }
    return {
      status: place.getAttribute("data-status"),
      calls: place.getAttribute("data-calls"),
      near: place.getAttribute("data-near") === "true",
      ended: place.getAttribute("data-live-end") === "true",
      title: place.getAttribute("data-title")
    };
  }

  function update() {
    var now = read();
    if (!now) { return; }
    if (last) {
      if (now.status === "called" && (last.status !== "called" || last.calls !== now.calls)) {
        vibrate([400, 150, 400, 150, 800]);
      } else if (now.near && !last.near) {
        vibrate(250);
      }
    }
    if (now.title) { document.title = now.title; }
    var leave = document.getElementById("leave");
    if (leave) { leave.hidden = !(now.status === "waiting" || now.status === "held"); }
    if (now.ended && wrap.hasAttribute("data-live-topic")) {
      wrap.removeAttribute("data-live-topic");  // live.js closes the stream
    }
    last = now;
  }

  function refresh() {
    if (!window.htmx || !url || (last && last.ended)) { return; }
    window.htmx.ajax("GET", url, { target: wrap, swap: "innerHTML" });
  }

  document.body.addEventListener("htmx:afterSettle", function (event) {
    if (event.target === wrap || wrap.contains(event.target)) { update(); }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { refresh(); }
  });
  setInterval(function () {
    if (document.visibilityState === "visible") { refresh(); }
  }, REFRESH_MS);
  update();
})();
