/*
 * The display board (queueing/board/display.html): keeps the state fresh, highlights each new
 * call and reads it out, one announcement at a time.
 *
 * - live.js delivers the point's events ("motcua:live" on #board-live, topic board.<point id>).
 *   Any event re-fetches the state fragment (#board-state); so does every (re)connection of the
 *   stream and, as a safety net, a timer every minute.
 * - A "ticket.called" event (a recall too: a new event with call > 1) is announced once per
 *   event id: the counter's row flashes, a callout shows the number, and the voice clip plays.
 *   After a reconnect live.js replays what the board missed; a call is announced only if the
 *   fetched state's recent calls show it was made less than FRESH_MS ago on the server's clock,
 *   so a board that recovers from an outage shows the latest state without reading a backlog.
 * - Clips play through one <audio> element from a queue: the next starts when the previous
 *   ends (or fails, or overruns its length), so announcements never overlap.
 * - Browsers refuse to play sound before a gesture on the page: unless this one may already
 *   (a kiosk browser started with an autoplay policy), an overlay asks for one click, which
 *   plays the chime and unlocks the audio element for the rest of the day.
 */
(function () {
  "use strict";

  var FRESH_MS = 60000;           // a call older than this is shown, not read out
  var SAFETY_REFRESH_MS = 60000;  // re-fetch the state this often whatever happens
  var RETRY_MS = 5000;            // after a failed fetch
  var EVENT_DELAY_MS = 250;       // events other than calls: one fetch for a burst
  var LIVE_AFTER_OPEN_MS = 3000;  // events this long after (re)connecting are live, not replayed
  var FLASH_MS = 12000;           // a new call's row stays highlighted this long
  var CALLOUT_MS = 7000;
  var LOAD_TIMEOUT_MS = 10000;    // a clip that does not start playing by then is skipped
  var PLAY_SLACK_MS = 3000;       // beyond a clip's length, before the next one starts anyway
  var QUEUE_MAX_AGE_MS = 120000;  // a clip that waited this long in the queue is dropped
  var PROBE_TIMEOUT_MS = 3000;
  var MEMORY = 500;               // event ids remembered
  var TICKET = /^[A-Z]{1,3}[0-9]{1,5}$/;
  var TIME_ZONE = "Asia/Ho_Chi_Minh";

  var board = document.getElementById("board");
  if (!board) { return; }
  var live = document.getElementById("board-live");
  var stateBox = document.getElementById("board-state");
  var audio = document.getElementById("board-audio");
  var overlay = document.getElementById("board-sound");
  var soundButton = document.getElementById("board-sound-button");
  var callout = document.getElementById("board-callout");
  var stateUrl = board.getAttribute("data-state-url");
  var voiceTemplate = board.getAttribute("data-voice-url");
  var chimeUrl = board.getAttribute("data-chime-url");
  var lang = board.getAttribute("data-lang") || document.documentElement.lang || "vi";

  // --- Event ids already handled -------------------------------------------------------

  var handled = new Set();
  var handledOrder = [];
  function remember(id) {
    if (handled.has(id)) { return false; }
    handled.add(id);
    handledOrder.push(id);
    if (handledOrder.length > MEMORY) { handled.delete(handledOrder.shift()); }
    return true;
  }

  // --- The state fragment ---------------------------------------------------------------

  var serverOffset = 0;   // server clock minus this clock, in ms
  var callSeq = 0;        // calls received so far
  var pending = [];       // calls waiting for a state fetched after they arrived
  var fetching = false;
  var again = false;
  var timer = null;
  var retryTimer = null;
  var flashes = {};       // counter number → {number, until}

  function readServerClock(sentAt) {
    var node = stateBox.querySelector("[data-now]");
    var now = node ? Number(node.getAttribute("data-now")) : NaN;
    if (isFinite(now)) { serverOffset = now - (sentAt + Date.now()) / 2; }
    return now;
  }

  function schedule(delay) {
    if (timer) {
      if (delay > 0) { return; }  // a fetch is already coming
      clearTimeout(timer);
    }
    timer = setTimeout(function () { timer = null; refresh(); }, delay);
  }

  function refresh() {
    if (fetching) { again = true; return; }
    fetching = true;
    var covers = callSeq;  // every call received so far is in the state fetched now
    var sentAt = Date.now();
    fetch(stateUrl, { headers: { "Accept": "text/html" }, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        stateBox.innerHTML = html;
        settle(covers, readServerClock(sentAt));
      })
      .catch(function () {
        settle(covers, NaN);
        if (!retryTimer) {
          retryTimer = setTimeout(function () { retryTimer = null; refresh(); }, RETRY_MS);
        }
      })
      .then(function () {
        fetching = false;
        if (again) { again = false; refresh(); }
      });
  }

  // The state is in: announce the calls it covers that are still fresh (or, when it could not
  // be fetched, those that came while the stream was steady: those are not replays).
  function settle(covers, serverNow) {
    var later = [];
    pending.forEach(function (call) {
      if (call.seq > covers) { later.push(call); return; }
      if (isFinite(serverNow)) {
        var at = lastCallAt(call.number, call.counter);
        if (at !== null && serverNow - at < FRESH_MS) { announce(call); }
      } else if (call.live) {
        announce(call);
      }
    });
    pending = later;
    reapplyFlashes();
  }

  // When `number` was last called to `counter`, by the server's clock (ms), or null when the
  // recent calls no longer list it.
  function lastCallAt(number, counter) {
    var rows = stateBox.querySelectorAll("#board-recent li[data-number]");
    for (var i = 0; i < rows.length; i++) {  // newest first
      if (rows[i].getAttribute("data-number") === number &&
          rows[i].getAttribute("data-counter") === String(counter)) {
        var at = Number(rows[i].getAttribute("data-at"));
        return isFinite(at) ? at : null;
      }
    }
    return null;
  }

  // --- Live events ----------------------------------------------------------------------

  var liveState = live.getAttribute("data-live-state") || "connecting";
  var openedAt = 0;

  live.addEventListener("motcua:live", function (event) {
    var detail = event.detail || {};
    if (detail.name !== "ticket.called") { schedule(EVENT_DELAY_MS); return; }
    var data = detail.data || {};
    var id = String(detail.id);
    var number = String(data.number || "");
    var counter = parseInt(data.counter, 10);
    if (TICKET.test(number) && counter > 0 && remember(id)) {
      callSeq += 1;
      pending.push({
        seq: callSeq,
        id: id,
        number: number,
        counter: counter,
        live: liveState === "open" && Date.now() - openedAt > LIVE_AFTER_OPEN_MS
      });
    }
    schedule(0);
  });

  new MutationObserver(function () {
    var next = live.getAttribute("data-live-state");
    if (next === liveState) { return; }
    liveState = next;
    if (next === "open") {
      openedAt = Date.now();
      schedule(0);  // whatever happened while (re)connecting
    }
  }).observe(live, { attributes: true, attributeFilter: ["data-live-state"] });

  setInterval(function () { schedule(0); }, SAFETY_REFRESH_MS);

  // --- Showing a call -------------------------------------------------------------------

  var calloutTimer = null;

  function announce(call) {
    flashes[call.counter] = { number: call.number, until: Date.now() + FLASH_MS, fresh: true };
    showCallout(call);
    if (soundOn) {
      enqueue(voiceTemplate.replace("NUMBER-0.wav", call.number + "-" + call.counter + ".wav"));
    }
  }

  function reapplyFlashes() {
    var now = Date.now();
    stateBox.querySelectorAll("#board-serving li[data-counter]").forEach(function (row) {
      var flash = flashes[row.getAttribute("data-counter")];
      if (!flash || flash.until < now || flash.number !== row.getAttribute("data-number")) { return; }
      row.classList.add("board-fresh");
      if (flash.fresh) { row.classList.add("board-flash"); flash.fresh = false; }
    });
    Object.keys(flashes).forEach(function (key) {
      if (flashes[key].until < now) { delete flashes[key]; }
    });
  }

  function showCallout(call) {
    callout.querySelector('[data-slot="number"]').textContent = call.number;
    callout.querySelector('[data-slot="counter"]').textContent = String(call.counter);
    callout.hidden = false;
    if (calloutTimer) { clearTimeout(calloutTimer); }
    calloutTimer = setTimeout(function () { calloutTimer = null; callout.hidden = true; }, CALLOUT_MS);
  }

  // --- Sound ----------------------------------------------------------------------------

  var soundOn = false;
  var queue = [];
  var playing = 0;     // the token of the clip playing, 0 when none
  var tokens = 0;
  var playTimer = null;

  function enqueue(url) {
    queue.push({ url: url, at: Date.now() });
    if (!playing) { playNext(); }
  }

  function playNext() {
    if (playTimer) { clearTimeout(playTimer); playTimer = null; }
    playing = 0;
    var item;
    while ((item = queue.shift()) && Date.now() - item.at > QUEUE_MAX_AGE_MS) { /* stale */ }
    if (!item) { return; }
    var token = playing = ++tokens;
    var finish = function () { if (playing === token) { playNext(); } };
    playTimer = setTimeout(finish, LOAD_TIMEOUT_MS);
    audio.onended = finish;
    audio.onerror = finish;
    audio.onplaying = function () {
      if (playing !== token) { return; }
      clearTimeout(playTimer);
      var length = isFinite(audio.duration) ? audio.duration * 1000 : LOAD_TIMEOUT_MS;
      playTimer = setTimeout(finish, length + PLAY_SLACK_MS);
    };
    audio.src = item.url;
    var started = audio.play();
    if (started && typeof started.catch === "function") {
      started.catch(function (error) {
        if (error && error.name === "NotAllowedError") { askForSound(); }
        finish();
      });
    }
  }

  function askForSound() {
    soundOn = false;
    queue = [];
    overlay.hidden = false;
    soundButton.focus();
  }

  soundButton.addEventListener("click", function () {
    soundOn = true;
    overlay.hidden = true;
    enqueue(chimeUrl);  // inside the click: this play() is what unlocks the element
  });

  // May this page play sound already? Try the chime; ask for a click if it is refused or
  // nothing happens.
  function probeSound() {
    var answered = false;
    var ask = function () { if (!answered) { answered = true; askForSound(); } };
    var probeTimer = setTimeout(ask, PROBE_TIMEOUT_MS);
    audio.src = chimeUrl;
    var started;
    try { started = audio.play(); } catch (error) { started = null; }
    if (!started || typeof started.then !== "function") { clearTimeout(probeTimer); ask(); return; }
    started.then(function () {
      clearTimeout(probeTimer);
      if (answered) { audio.pause(); return; }
      answered = true;
      soundOn = true;
    }, function () { clearTimeout(probeTimer); ask(); });
  }

  // --- The clock ------------------------------------------------------------------------

  var timeNode = document.getElementById("board-time");
  var dateNode = document.getElementById("board-date");
  var timeFormat = null;
  var dateFormat = null;
  try {
    timeFormat = new Intl.DateTimeFormat(lang, { timeZone: TIME_ZONE, hour: "2-digit", minute: "2-digit", hour12: false });
    dateFormat = new Intl.DateTimeFormat(lang, { timeZone: TIME_ZONE, weekday: "long", day: "2-digit", month: "2-digit", year: "numeric" });
  } catch (error) { /* keep the server's rendering */ }

  function tick() {
    if (timeFormat && dateFormat) {
      var now = new Date(Date.now() + serverOffset);
      timeNode.textContent = timeFormat.format(now);
      timeNode.setAttribute("datetime", now.toISOString());
      dateNode.textContent = dateFormat.format(now);
    }
    setTimeout(tick, 1000 - ((Date.now() + serverOffset) % 1000) + 20);
  }

  readServerClock(Date.now());
  tick();
  probeSound();
})();
