// Our stand-in for Sidekiq 6.4's application.js, which Debian's ruby-sidekiq does not ship
// (scripts/sidekiq_web/app.rb says why). Plain DOM, no library. It does what the pages need:
// "Are you sure?" before buttons marked data-confirm, the "select all" box of the job tables,
// "show all" for long arguments, times shown as "3 minutes ago", and Live Poll (reload the page
// every few seconds, remembered in localStorage as upstream does).
(function () {
  "use strict";

  function relative(date) {
    var seconds = Math.round((Date.now() - date.getTime()) / 1000);
    var future = seconds < 0;
    var n = Math.abs(seconds), unit = "second";
    var steps = [[60, "minute"], [60, "hour"], [24, "day"], [30, "month"], [12, "year"]];
    for (var i = 0; i < steps.length && n >= steps[i][0]; i++) {
      n = Math.floor(n / steps[i][0]);
      unit = steps[i][1];
    }
    var text = n + " " + unit + (n === 1 ? "" : "s");
    return future ? "in " + text : text + " ago";
  }

  function updateTimes() {
    document.querySelectorAll("time[datetime]").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (!isNaN(date.getTime())) el.textContent = relative(date);
    });
  }

  function livePoll() {
    var on = localStorage.sidekiqLivePoll === "enabled";
    document.querySelectorAll(".live-poll-start").forEach(function (a) {
      a.style.display = on ? "none" : "";
    });
    document.querySelectorAll(".live-poll-stop").forEach(function (a) {
      a.style.display = on ? "" : "none";
    });
    if (on && document.querySelector(".live-poll")) {
      var interval = parseInt(localStorage.sidekiqTimeInterval, 10) || 5000;
      setTimeout(function () { location.reload(); }, interval);
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    var confirmText = target.getAttribute && target.getAttribute("data-confirm");
    if (confirmText && !window.confirm(confirmText)) {
      event.preventDefault();
      return;
    }
    if (target.classList.contains("check_all")) {
      var table = target.closest("table") || document;
      table.querySelectorAll("input[type=checkbox]").forEach(function (box) {
        box.checked = target.checked;
      });
    }
    var toggle = target.getAttribute && target.getAttribute("data-toggle");
    var shown = toggle && document.getElementById(toggle);
    if (shown) {
      event.preventDefault();
      shown.style.display = shown.style.display === "none" ? "" : "none";
      var short = document.getElementById(toggle + "_short");
      if (short) short.style.display = shown.style.display === "none" ? "" : "none";
    }
    if (target.classList.contains("live-poll")) {
      event.preventDefault();
      localStorage.sidekiqLivePoll = target.classList.contains("live-poll-start") ? "enabled"
                                                                                 : "disabled";
      if (localStorage.sidekiqLivePoll === "enabled") location.reload(); else livePoll();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    updateTimes();
    livePoll();
  });
})();
