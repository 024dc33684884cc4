// A button marked data-print opens the browser's print window. It is hidden in the page
// and shown here: without this script there is no button that does nothing.
document.querySelectorAll("button[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () {
    window.print();
  });
});
