// Portail Famille — what a failed htmx call says (issue 12 point 4). Plain JS,
// loaded as a file: the Content-Security-Policy allows no inline script.
// htmx 2 swaps nothing when the server answers 4xx/5xx or when the network
// fails: without this, the button would seem to do nothing. The message goes
// into the page's live region (#htmx-error, in base.html and staff/base.html),
// always with textContent: nothing from a response is ever read as markup.
(function () {
  "use strict";

  var MAX_LENGTH = 500;
  var NETWORK = "Connexion impossible : vérifiez votre réseau, puis réessayez.";
  var SESSION = "Votre session a expiré : reconnectez-vous, puis recommencez.";

  // For answers that carry no message of ours (a proxy's page, an HTML error page).
  function byStatus(status) {
    if (status === 0) return NETWORK;
    if (status === 400) return "Demande incorrecte : rechargez la page et réessayez.";
    if (status === 401 || status === 403) return SESSION;
    if (status === 404 || status === 410) return "Cette page n'existe plus : rechargez la page ou repartez du menu.";
    if (status === 405) return "Action impossible depuis cette page : rechargez la page.";
    if (status === 413) return "Envoi trop volumineux : réduisez-le et réessayez.";
    if (status === 429) return "Trop de demandes : patientez un instant avant de réessayer.";
    if (status >= 500) return "Erreur du serveur, réessayez dans un instant.";
    return "La demande n'a pas abouti : rechargez la page et réessayez.";
  }

  function region() {
    return document.getElementById("htmx-error");
  }

  function clear() {
    var live = region();
    if (live) live.textContent = "";
  }

  function show(text, link) {
    var live = region();
    if (!live) return;
    live.textContent = "";
    var message = document.createElement("p");
    message.className = "live-error__text";
    message.textContent = text;
    live.appendChild(message);
    if (link) {
      var anchor = document.createElement("a");
      anchor.href = link.href;
      anchor.textContent = link.label;
      live.appendChild(anchor);
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "live-error__close";
    close.textContent = "Fermer";
    close.addEventListener("click", clear);
    live.appendChild(close);
  }

  // Our refusals (portail.web.errors) answer htmx with their French sentence as text/plain.
  function messageOf(xhr) {
    var type = (xhr.getResponseHeader("Content-Type") || "").toLowerCase();
    var text = type.indexOf("text/plain") === 0 ? (xhr.responseText || "").trim() : "";
    if (!text) return byStatus(xhr.status);
    return text.length > MAX_LENGTH ? text.slice(0, MAX_LENGTH) + "…" : text;
  }

  function loginLink() {
    var live = region();
    var login = live && live.dataset.loginUrl;
    if (!login) return null;
    var next = window.location.pathname + window.location.search;
    return { href: login + "?next=" + encodeURIComponent(next), label: "Se reconnecter" };
  }

  // "Retour" on an error page: back to the page that sent the bad request, if it is
  // one of ours; the link's own href otherwise. staff.js does the same in the back
  // office, and runs first: do not go back twice.
  document.addEventListener("click", function (event) {
    var back = event.target.closest("[data-back]");
    if (!back || event.defaultPrevented) return;
    if (document.referrer.indexOf(window.location.origin + "/") === 0) {
      event.preventDefault();
      window.history.back();
    }
  });

  // A new action clears the last message; a background poll (the calendar's
  // opening countdown, [data-poll]) is no action of the user's and leaves it.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!(elt && elt.hasAttribute && elt.hasAttribute("data-poll"))) clear();
  });
  document.addEventListener("htmx:responseError", function (event) {
    show(messageOf(event.detail.xhr));
  });
  document.addEventListener("htmx:sendError", function () {
    show(NETWORK);
  });
  document.addEventListener("htmx:timeout", function () {
    show(NETWORK);
  });

  // An expired session: the view redirects to the login page, the browser follows,
  // and htmx would put a whole login page inside the calendar. Say it instead.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var live = region();
    var login = live && live.dataset.loginUrl;
    var xhr = event.detail.xhr;
    if (!login || !xhr || !xhr.responseURL || window.location.pathname === login) return;
    var landed = new URL(xhr.responseURL, window.location.href);
    if (landed.origin === window.location.origin && landed.pathname === login) {
      event.detail.shouldSwap = false;
      show(SESSION, loginLink());
    }
  });
})();
