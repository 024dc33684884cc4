// A form marked data-submit-once is sent once: a second click (or Enter) while the first
// post is on its way does nothing, and the buttons are switched off. They are switched off
// just after the submit, not during it, so the clicked button's name and value still go.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute("data-submit-once")) {
    return;
  }
  if (form.dataset.sent === "yes") {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "yes";
  window.setTimeout(function () {
    form.querySelectorAll("button[type=submit], input[type=submit], button:not([type])")
      .forEach(function (button) {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
      });
  }, 0);
});

// Back in the browser's history the page may come from its cache, buttons still off.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    delete form.dataset.sent;
    form.querySelectorAll("[aria-busy=true]").forEach(function (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    });
  });
});
