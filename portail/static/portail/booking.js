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

  // In the capture phase: a day button posts by htmx on its own click, so the
  // time dialog must stop that click before it reaches the button.
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-times]");
    if (opener) {
      // In "same times for every day" mode the day button submits with the defaults.
      var everyDay = document.getElementById("mode-chaque-jour");
      var askEachDay = !opener.dataset.modeAware || (everyDay && everyDay.checked);
      if (askEachDay && openTimes(opener)) {
        event.preventDefault();
        event.stopPropagation();
      }
      return;
    }
    var closer = event.target.closest("[data-close]");
    if (closer) closer.closest("dialog").close();
    var printer = event.target.closest("[data-print]");
    if (printer) window.print();
    // A day that cannot be clicked says why, visibly, under the calendar
    // (its title is only a tooltip, which a touch screen never shows).
    var closed = event.target.closest(".day-static");
    var line = document.getElementById("day-status");
    if (closed && line) line.textContent = closed.getAttribute("title") || "";
  }, true);

  // The legend: folded on a phone, open on a wide screen; once the parent
  // opens or folds it, it stays so when the calendar is redrawn.
  var legendChoice = null;
  function showLegend() {
    var wide = window.matchMedia("(min-width: 48em)").matches;
    document.querySelectorAll("details[data-legend]").forEach(function (legend) {
      var open = legendChoice === null ? wide : legendChoice;
      if (legend.open !== open) {
        legend.dataset.auto = "1";
        legend.open = open;
      }
    });
  }
  document.addEventListener("toggle", function (event) {
    var legend = event.target;
    if (!legend.matches || !legend.matches("details[data-legend]")) return;
    if (legend.dataset.auto) { delete legend.dataset.auto; return; }
    legendChoice = legend.open;
  }, true);
  showLegend();

  // Bookings not open yet (issue 14 point 2): within the last hour the notice
  // counts down, from the seconds the server gave, and then asks the server,
  // which answers with the calendar once it has opened (or the notice again).
  // The notice also polls by itself (hx-trigger "every …"), so a sleeping tab
  // or a wrong clock never decides alone.
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function startCountdown() {
    var notice = document.getElementById("opening-notice");
    if (!notice || notice.dataset.started || !window.htmx) return;
    notice.dataset.started = "1";
    var due = function () { if (document.body.contains(notice)) window.htmx.trigger(notice, "opening-due"); };
    var seconds = parseInt(notice.dataset.countdown || "", 10);
    var opensIn = parseInt(notice.dataset.openingIn || "", 10);
    if (isNaN(seconds)) {
      // Further than an hour: ask again when the last hour starts (if today).
      if (!isNaN(opensIn) && opensIn > 3600 && opensIn < 86400) window.setTimeout(due, (opensIn - 3600) * 1000);
      return;
    }
    var end = performance.now() + seconds * 1000;
    var text = notice.querySelector("[data-countdown-text]");
    var timer = window.setInterval(function () {
      if (!document.body.contains(notice)) { window.clearInterval(timer); return; }
      var left = Math.max(0, Math.ceil((end - performance.now()) / 1000));
      if (text) text.textContent = pad(Math.floor(left / 60)) + ":" + pad(left % 60);
      if (left === 0) { window.clearInterval(timer); due(); }
    }, 250);
  }
  startCountdown();
  function isPoll(event) {
    var elt = event.detail && event.detail.elt;
    return Boolean(elt && elt.id === "opening-notice");
  }

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
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (isPoll(event)) return; // a poll is not the parent's action: focus is taken just before its swap
    var active = document.activeElement;
    lastFocused = active && active.id ? active.id : null;
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!isPoll(event)) return;
    var active = document.activeElement;
    lastFocused = active && active.id ? active.id : null;
  });
  // Before the browser paints the swapped calendar: no flash of a folded legend.
  document.addEventListener("htmx:afterSwap", showLegend);
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
  document.addEventListener("htmx:afterSettle", function (event) {
    startCountdown();
    // The notice redrawn by its poll: the parent's focus and place stay as they are.
    if (isPoll(event) && event.detail.target && event.detail.target.id === "opening-notice") return;
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
