/* The header's menu on a phone (issue 14 point 1).
   Loaded without defer in <head>: the "js" class is on <html> before the first paint, so the
   stylesheet folds the menu at once on a narrow screen (without JavaScript it stays unfolded).
   The listeners sit on the document, so the button works from the moment it is drawn.
   The button opens and closes the menu; Escape closes it and gives the focus back to the button. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function setOpen(button, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.closest(".site-header").classList.toggle("site-header--open", open);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("#site-menu-button");
    if (button) {
      setOpen(button, button.getAttribute("aria-expanded") !== "true");
    }
  });
  document.addEventListener("keydown", function (event) {
    var button = document.getElementById("site-menu-button");
    if (event.key === "Escape" && button && button.getAttribute("aria-expanded") === "true"
        && button.closest(".site-header").contains(event.target)) {
      setOpen(button, false);
      button.focus();
    }
  });
})();

/* A form marked data-submit-once is sent once (issue 16 point 4: « Payer en ligne » double-clicked
   must not ask the bank twice). Loaded in <head> with listeners on the document: it holds from the
   first paint. The mark is cleared when the page comes back from the browser's back-forward cache,
   so that the parent who returns from the bank with « Précédent » can click again. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-submit-once")) return;
    if (form.hasAttribute("data-submitted")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-submitted", "");
    form.setAttribute("aria-busy", "true");
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-submitted]").forEach(function (form) {
      form.removeAttribute("data-submitted");
      form.removeAttribute("aria-busy");
    });
  });
})();
