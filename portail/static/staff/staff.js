// Staff screens (/gestion/). Plain JS, no build step, loaded as a file: the
// Content-Security-Policy allows no inline script or on* attribute.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) {
      window.print();
      return;
    }
    // "Retour" on an error page: back to the page that sent the bad request, if
    // it is one of ours; the link's own href (the staff index) otherwise.
    var back = event.target.closest("[data-back]");
    if (back && document.referrer.indexOf(window.location.origin + "/") === 0) {
      event.preventDefault();
      window.history.back();
    }
  });
})();
