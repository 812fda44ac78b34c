// Our stand-in for Sidekiq 6.4's dashboard.js, which Debian's ruby-sidekiq does not ship (it
// bundles chart libraries). It keeps the dashboard's counters current from /stats at the
// interval the slider sets; the realtime and history charts are not drawn (a note says so).
(function () {
  "use strict";
  var timer = null;

  function setCount(id, value) {
    var el = document.getElementById(id);
    if (el && value !== undefined) el.textContent = Number(value).toLocaleString("en-US");
  }

  function poll(url) {
    fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        var s = data.sidekiq;
        setCount("txtProcessed", s.processed);
        setCount("txtFailed", s.failed);
        setCount("txtBusy", s.busy);
        setCount("txtEnqueued", s.enqueued);
        setCount("txtRetries", s.retries);
        setCount("txtScheduled", s.scheduled);
        setCount("txtDead", s.dead);
        var beacon = document.getElementById("beacon");
        if (beacon) {
          beacon.classList.remove("pulse");
          void beacon.offsetWidth;  // restart the animation
          beacon.classList.add("pulse");
        }
      })
      .catch(function () {});
  }

  document.addEventListener("DOMContentLoaded", function () {
    var history = document.getElementById("history");
    if (!history) return;
    var url = history.getAttribute("data-update-url");
    ["realtime", "history"].forEach(function (id) {
      var note = document.createElement("p");
      note.className = "text-muted";
      note.textContent = "(Chart not drawn: Debian's ruby-sidekiq ships without Sidekiq's " +
                         "charting script. The counters above update live.)";
      document.getElementById(id).appendChild(note);
    });
    var slider = document.getElementById("sldr");
    var label = document.getElementById("sldr-text");
    function restart() {
      var interval = parseInt(localStorage.sidekiqTimeInterval, 10) || 5000;
      if (slider) slider.value = interval;
      if (label) label.textContent = interval / 1000 + " sec";
      clearInterval(timer);
      timer = setInterval(function () { poll(url); }, interval);
    }
    if (slider) {
      slider.addEventListener("change", function () {
        localStorage.sidekiqTimeInterval = slider.value;
        restart();
      });
    }
    restart();
  });
})();
