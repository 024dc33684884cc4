// The attendance register without reloading: a tap posts the row's form in the background
// and marks the chosen button. Without this script the form posts as usual and the page
// comes back at the same row.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute("data-attendance") || !window.fetch || !event.submitter) {
    return;
  }
  event.preventDefault();
  var data = new FormData(form);
  data.set(event.submitter.name, event.submitter.value);
  var row = form.closest("li");
  var status = row.querySelector("[data-attendance-status]");
  fetch(form.action, {method: "POST", body: data, headers: {"Accept": "application/json"},
                      credentials: "same-origin"})
    .then(function (response) { return response.json(); })
    .then(function (answer) {
      if (answer.error) {
        status.textContent = answer.error;
        return;
      }
      form.querySelectorAll("button[name=status]").forEach(function (button) {
        var chosen = button.value === answer.status;
        button.setAttribute("aria-pressed", chosen ? "true" : "false");
        button.classList.remove("secondary", "outline");
        if (!chosen) {
          button.classList.add(button.value === "absent" ? "outline" : "secondary");
        }
      });
      status.textContent = answer.label;
    })
    .catch(function () {
      status.textContent = row.parentElement.dataset.error;
    });
});
