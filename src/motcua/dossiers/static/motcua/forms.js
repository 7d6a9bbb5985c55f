/*
 * A form page that comes back with problems moves the focus to its error summary, so that
 * keyboard and screen-reader users hear what to correct first. No inline script (CSP).
 */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("form-errors");
    if (summary) { summary.focus(); }
  });
})();
