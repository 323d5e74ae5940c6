// Portail Famille — booking screens. Plain JS, no build step.
// The server decides every rule; this only opens the time dialog, keeps the
// keyboard focus where it was after an htmx swap, and guards double submits.
(function () {
  "use strict";

  // htmx wires up swapped-in forms when it settles; with no CSS transition to
  // wait for, settle at once, so a quick second key press is still an htmx call.
  if (window.htmx) window.htmx.config.defaultSettleDelay = 0;

  function fillTimes(select, times, selected) {
    select.innerHTML = "";
    times.forEach(function (t) {
      var option = document.createElement("option");
      option.value = t;
      option.textContent = t;
      if (t === selected) option.selected = true;
      select.appendChild(option);
    });
  }

  function openTimes(button) {
    var dialog = document.getElementById("times-dialog");
    if (!dialog) return false;
    var times = (button.dataset.times || "").split(",").filter(Boolean);
    var field = function (name) { return dialog.querySelector('[data-field="' + name + '"]'); };
    field("activity").value = button.dataset.activity;
    field("date").value = button.dataset.date;
    field("panel").value = button.dataset.panel || "";
    field("title").textContent = "— " + (button.dataset.title || "");
    var defaultsArrival = document.getElementById("arrivee-defaut");
    var defaultsDeparture = document.getElementById("depart-defaut");
    fillTimes(field("arrival"), times, defaultsArrival ? defaultsArrival.value : times[0]);
    fillTimes(field("departure"), times, defaultsDeparture ? defaultsDeparture.value : times[times.length - 1]);
    var booked = button.dataset.booked === "1";
    dialog.querySelector('[data-role="cancel"]').hidden = !booked;
    dialog.querySelector('[data-role="validate"]').hidden = booked;
    field("arrival").disabled = booked;
    field("departure").disabled = booked;
    dialog.returnFocusTo = button.id || null;
    dialog.showModal();
    return true;
  }

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-times]");
    if (opener) {
      // In "same times for every day" mode the day button submits with the defaults.
      var everyDay = document.getElementById("mode-chaque-jour");
      var askEachDay = !opener.dataset.modeAware || (everyDay && everyDay.checked);
      if (askEachDay && openTimes(opener)) event.preventDefault();
      return;
    }
    var closer = event.target.closest("[data-close]");
    if (closer) closer.closest("dialog").close();
    var printer = event.target.closest("[data-print]");
    if (printer) window.print();
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-once")) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
    }
  });

  // The recap's htmx Confirmer: the result replaces the page's content; its title takes the focus.
  document.addEventListener("htmx:afterSwap", function (event) {
    var title = event.detail.target.querySelector("[data-focus-on-swap]");
    if (title) title.focus();
  });
  // If that call fails (server error, lost connection), post the form the ordinary way:
  // the same token gets the same answer from the server, never a second confirmation.
  function confirmFallback(event) {
    var form = event.detail.elt;
    if (form && form.hasAttribute("data-confirm")) form.submit();
  }
  document.addEventListener("htmx:responseError", confirmFallback);
  document.addEventListener("htmx:sendError", confirmFallback);

  var lastFocused = null;
  document.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement;
    lastFocused = active && active.id ? active.id : null;
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var dialog = document.getElementById("times-dialog");
    if (dialog && dialog.open && dialog.contains(event.target)) {
      lastFocused = dialog.returnFocusTo || lastFocused;
      dialog.close();
    }
  });
  function restoreFocus() {
    var target = lastFocused && document.getElementById(lastFocused);
    if (target && document.activeElement !== target) target.focus();
    return Boolean(target);
  }

  // Once settled (the time dialog's return target is only known by then), and
  // once more just after: keyboard users keep their place on the day they clicked.
  document.addEventListener("htmx:afterSettle", function () {
    window.setTimeout(restoreFocus, 30);
    // Forms outside #calendar (the chooser, the time dialog) follow the month now shown.
    var calendar = document.getElementById("calendar");
    if (calendar && calendar.dataset.month) {
      document.querySelectorAll("input[data-calendar-month]").forEach(function (input) {
        input.value = calendar.dataset.month;
      });
    }
    if (!restoreFocus()) {
      var panel = document.getElementById("day-panel-title");
      if (panel) panel.focus();
    }
  });
})();
