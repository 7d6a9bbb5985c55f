/*
 * Filling the applicant's fields at the counter, two ways:
 * - the QR code of a citizen identity card, read by a handheld reader that types its text and
 *   Enter into the [data-cccd-qr] field (typing by hand works the same way);
 * - the [data-population] button: the national population database, by the number typed.
 * The server checks and answers; the form's fields marked data-fill="<field>" are filled in.
 * No inline script (CSP).
 */
(function () {
  "use strict";
  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function ask(form, endpoint, body, status, done) {
    fetch(endpoint, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(form) },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (answer) { return { ok: response.ok, body: answer }; });
    }).then(function (answer) {
      if (!answer.ok) {
        var reasons = [];
        Object.keys(answer.body.fields || {}).forEach(function (key) {
          reasons = reasons.concat(answer.body.fields[key]);
        });
        status.textContent = [answer.body.detail].concat(reasons).join(" ");
        done(false);
        return;
      }
      form.querySelectorAll("[data-fill]").forEach(function (field) {
        var value = answer.body[field.dataset.fill];
        if (value !== undefined && value !== null) {
          field.value = value;
          field.dispatchEvent(new Event("change", { bubbles: true }));
        }
      });
      status.textContent = status.dataset.done || status.textContent;
      done(true);
    });
  }
  function readCard(input) {
    var payload = input.value.trim();
    if (!payload) { return; }
    var status = document.getElementById(input.getAttribute("aria-describedby"));
    ask(input.form, input.dataset.endpoint, { payload: payload }, status, function (ok) {
      if (ok) { input.value = ""; input.removeAttribute("aria-invalid"); }
      else { input.setAttribute("aria-invalid", "true"); }
    });
  }
  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (event.key === "Enter" && input.matches && input.matches("[data-cccd-qr]")) {
      event.preventDefault(); // Enter ends the reader's text; it must not submit the form
      readCard(input);
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-cccd-qr]")) { readCard(event.target); }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-population]");
    if (!button) { return; }
    var form = button.form;
    var number = form.querySelector("[data-fill=id_number]");
    var status = document.getElementById(button.getAttribute("aria-describedby"));
    ask(form, button.dataset.endpoint, { id_number: number ? number.value : "" }, status,
      function () {});
  });
})();
