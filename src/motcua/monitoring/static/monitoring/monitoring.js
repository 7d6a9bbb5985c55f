/*
 * motcua monitoring pages (no inline script: loaded with defer, after chart.umd.min.js).
 *
 * - Live parts: an element with data-live-topic (live.js keeps the event stream) and
 *   data-refresh-url is re-fetched with HTMX into data-refresh-target (itself by default) when
 *   an event of its topic arrives, at most once every REFRESH_GAP ms: a busy province sends
 *   an event on every dossier change, and the figures need not follow each one. An event
 *   inside the gap schedules one refresh at its end. Each refresh counts up data-refreshes.
 * - Charts: the JSON of #monitoring-trends (json_script) drawn with Chart.js into the canvases
 *   named by data-chart. The same numbers are in tables under the charts.
 */
(function () {
  "use strict";

  var REFRESH_GAP = 5000;

  function refresher(element) {
    var url = element.getAttribute("data-refresh-url");
    var selector = element.getAttribute("data-refresh-target");
    var last = 0;
    var timer = null;
    var count = 0;

    function run() {
      timer = null;
      last = Date.now();
      var target = selector ? document.querySelector(selector) : element;
      if (!target || !window.htmx) { return; }
      window.htmx.ajax("GET", url, { source: element, target: target, swap: "innerHTML" }).then(function () {
        count += 1;
        element.setAttribute("data-refreshes", String(count));
      }, function () { /* the next event tries again */ });
    }

    return function () {
      if (timer) { return; }
      var wait = last + REFRESH_GAP - Date.now();
      if (wait <= 0) { run(); } else { timer = setTimeout(run, wait); }
    };
  }

  function startLive() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-live-topic][data-refresh-url]"), function (element) {
      element.addEventListener("motcua:live", refresher(element));
    });
  }

  // Charts ----------------------------------------------------------------------------------

  var COLOURS = {
    online_share: "#b3261e",
    filed_online: "#b3261e",
    filed_counter: "#0550ae",
    filed_post: "#9a6700",
    filed_api: "#6e40c9",
    finished_early: "#1a7f37",
    finished_on_time: "#0550ae",
    finished_late: "#cf222e",
    steps_early: "#1a7f37",
    steps_on_time: "#0550ae",
    steps_late: "#cf222e"
  };
  var CHARTS = {
    online_share: { type: "line", series: ["online_share"], percent: true },
    channels: { type: "bar", series: ["filed_online", "filed_counter", "filed_post", "filed_api"] },
    outcomes: { type: "bar", series: ["finished_early", "finished_on_time", "finished_late"] },
    officer_steps: { type: "bar", series: ["steps_early", "steps_on_time", "steps_late"] }
  };

  function drawCharts() {
    var source = document.getElementById("monitoring-trends");
    if (!source || !window.Chart) { return; }
    var data = JSON.parse(source.textContent);
    window.Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
    window.Chart.defaults.color = "#1f2328";
    window.Chart.defaults.locale = document.documentElement.lang || "vi";
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), function (canvas) {
      var chart = CHARTS[canvas.getAttribute("data-chart")];
      if (!chart) { return; }
      var datasets = chart.series.filter(function (name) { return data.series[name]; }).map(function (name) {
        return {
          label: data.names[name],
          data: data.series[name],
          backgroundColor: COLOURS[name],
          borderColor: COLOURS[name],
          borderWidth: chart.type === "line" ? 3 : 0,
          pointRadius: chart.type === "line" ? 3 : 0,
          spanGaps: false,
          tension: 0.25
        };
      });
      var yTicks = chart.percent ? { callback: function (value) { return value + "%"; } } : { precision: 0 };
      new window.Chart(canvas, {
        type: chart.type,
        data: { labels: data.short_labels, datasets: datasets },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,  // figures, not a show: and a resize never animates half-drawn
          interaction: { mode: "index", intersect: false },
          plugins: {
            legend: { display: datasets.length > 1, position: "bottom" },
            tooltip: { callbacks: { title: function (items) { return items.length ? data.labels[items[0].dataIndex] : ""; } } }
          },
          scales: {
            x: { stacked: chart.type === "bar", grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true } },
            y: {
              stacked: chart.type === "bar",
              beginAtZero: true,
              max: chart.percent ? 100 : undefined,
              ticks: yTicks
            }
          }
        }
      });
    });
  }

  function start() {
    startLive();
    drawCharts();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
