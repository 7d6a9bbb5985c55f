/*
 * The QR code of a citizen identity card, read by a handheld reader that types its text and
 * Enter into a field: the server checks it and the form's fields marked data-fill="<field>"
 * are filled in. Typing by hand works the same way. No inline script (CSP).
 */
(function () {
  "use strict";
  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function read(input) {
    var form = input.form;
    var status = document.getElementById(input.getAttribute("aria-describedby"));
    var payload = input.value.trim();
    if (!payload) { return; }
    fetch(input.dataset.endpoint, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(form) },
      body: JSON.stringify({ payload: payload })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (answer) {
      if (!answer.ok) {
        var reasons = [];
        Object.keys(answer.body.fields || {}).forEach(function (key) {
          reasons = reasons.concat(answer.body.fields[key]);
        });
        status.textContent = [answer.body.detail].concat(reasons).join(" ");
        input.setAttribute("aria-invalid", "true");
        return;
      }
      input.removeAttribute("aria-invalid");
      form.querySelectorAll("[data-fill]").forEach(function (field) {
        var value = answer.body[field.dataset.fill];
        if (value !== undefined && value !== null) {
          field.value = value;
          field.dispatchEvent(new Event("change", { bubbles: true }));
        }
      });
      status.textContent = input.dataset.done || status.textContent;
      input.value = "";
    });
  }
  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (event.key === "Enter" && input.matches && input.matches("[data-cccd-qr]")) {
      event.preventDefault(); // Enter ends the reader's text; it must not submit the form
      read(input);
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-cccd-qr]")) { read(event.target); }
  });
})();
