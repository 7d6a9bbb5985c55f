/*
 * motcua live updates: server-sent events for elements that ask for them.
 *
 *   <section data-live-topic="service_point.12 commune.06688"
 *            data-live-swap-url="/queue/board/12/"      (optional: re-fetch with HTMX)
 *            data-live-swap="outerHTML">                (optional: HTMX swap style, innerHTML)
 *
 * One EventSource per page carries the union of the topics on the page (browsers allow few
 * connections per host). Each event is dispatched on every element listening to its topic as a
 * bubbling CustomEvent "motcua:live" whose detail is {id, topic, name, data}; elements with
 * data-live-swap-url are re-fetched (several events in a row cause one re-fetch at a time).
 * Each element carries data-live-state: connecting, open, reconnecting or closed.
 *
 * EventSource resends Last-Event-ID when it reconnects by itself; when the set of topics changes
 * (HTMX swapped elements in or out) the new stream resumes from the last id seen. No inline
 * script: load with <script src=".../live.js" defer>.
 */
(function () {
  "use strict";

  var STREAM_URL = "/events/stream";
  var SELECTOR = "[data-live-topic]";
  var MAX_REOPEN_DELAY = 60000;
  var SEEN_MEMORY = 500;

  var source = null;
  var currentKey = "";
  var lastId = null;
  var seen = [];
  var seenSet = new Set();
  var state = "closed";
  var reopenTimer = null;
  var reopenDelay = 2000;
  var scanTimer = null;
  var swaps = new WeakMap();

  function topicsOf(element) {
    return (element.getAttribute("data-live-topic") || "")
      .split(/[\s,]+/)
      .filter(function (topic) { return topic.length > 0; });
  }

  function liveElements() {
    return Array.prototype.slice.call(document.querySelectorAll(SELECTOR));
  }

  function setState(next) {
    state = next;
    liveElements().forEach(function (element) {
      element.setAttribute("data-live-state", next);
    });
  }

  function remember(id) {
    if (seenSet.has(id)) { return false; }
    seenSet.add(id);
    seen.push(id);
    if (seen.length > SEEN_MEMORY) { seenSet.delete(seen.shift()); }
    return true;
  }

  function swap(element) {
    var url = element.getAttribute("data-live-swap-url");
    if (!url || !window.htmx) { return; }
    var pending = swaps.get(element);
    if (pending) { pending.again = true; return; }
    pending = { again: false };
    swaps.set(element, pending);
    var done = function () {
      swaps.delete(element);
      if (!pending.again) { return; }
      // An outerHTML swap replaced the element: follow it by id.
      var current = element.isConnected ? element : (element.id && document.getElementById(element.id));
      if (current) { swap(current); }
    };
    // The element is the request's source: htmx keeps one request per source, so two live
    // elements re-fetched on one event do not cancel each other (the body would be the source).
    window.htmx.ajax("GET", url, {
      source: element,
      target: element,
      swap: element.getAttribute("data-live-swap") || "innerHTML"
    }).then(done, done);
  }

  function onMessage(message) {
    var event;
    try {
      event = JSON.parse(message.data);
    } catch (error) {
      return;
    }
    if (!event || typeof event.topic !== "string") { return; }
    var id = message.lastEventId || (event && event.id != null ? String(event.id) : "");
    if (id) {
      if (!remember(id)) { return; }
      if (lastId === null || Number(id) > Number(lastId)) { lastId = id; }
    }
    liveElements().forEach(function (element) {
      if (topicsOf(element).indexOf(event.topic) === -1) { return; }
      element.dispatchEvent(new CustomEvent("motcua:live", { bubbles: true, detail: event }));
      swap(element);
    });
  }

  function close() {
    if (source) { source.close(); source = null; }
    if (reopenTimer) { clearTimeout(reopenTimer); reopenTimer = null; }
  }

  function open(topics) {
    close();
    var query = topics.map(function (topic) {
      return "topic=" + encodeURIComponent(topic);
    });
    if (lastId !== null) { query.push("last_event_id=" + encodeURIComponent(lastId)); }
    setState("connecting");
    source = new EventSource(STREAM_URL + "?" + query.join("&"));
    source.onopen = function () {
      reopenDelay = 2000;
      setState("open");
    };
    source.onmessage = onMessage;
    source.onerror = function () {
      if (source && source.readyState === EventSource.CONNECTING) {
        setState("reconnecting");  // the browser retries by itself, with Last-Event-ID
        return;
      }
      // Closed for good (an error status, e.g. logged out): try again later, more slowly.
      close();
      setState("closed");
      reopenTimer = setTimeout(function () {
        reopenTimer = null;
        currentKey = "";
        scan();
      }, reopenDelay);
      reopenDelay = Math.min(reopenDelay * 2, MAX_REOPEN_DELAY);
    };
  }

  function scan() {
    var topics = [];
    liveElements().forEach(function (element) {
      topicsOf(element).forEach(function (topic) {
        if (topics.indexOf(topic) === -1) { topics.push(topic); }
      });
      if (element.getAttribute("data-live-state") !== state) {
        element.setAttribute("data-live-state", state);
      }
    });
    topics.sort();
    var key = topics.join(" ");
    if (key === currentKey) { return; }
    currentKey = key;
    if (topics.length === 0) {
      close();
      state = "closed";
      return;
    }
    if (reopenTimer) { return; }  // waiting to retry after an error; the retry scans again
    open(topics);
  }

  function scheduleScan() {
    if (scanTimer) { return; }
    scanTimer = setTimeout(function () { scanTimer = null; scan(); }, 50);
  }

  function start() {
    scan();
    new MutationObserver(function (mutations) {
      for (var i = 0; i < mutations.length; i++) {
        var mutation = mutations[i];
        if (mutation.type === "attributes" || mutation.addedNodes.length ||
            mutation.removedNodes.length) {
          scheduleScan();
          return;
        }
      }
    }).observe(document.body, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ["data-live-topic"]
    });
    window.addEventListener("pagehide", close);
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) { currentKey = ""; scan(); }
    });
  }

  window.motcuaLive = { rescan: scan, state: function () { return state; } };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
