/* Live updates for the console, from the API's server-sent events (/api/v1/incidents/live/).
 * Queue page: any incident event re-fetches the table with the current filters and swaps it in.
 * The incident page has its own script (incident.js).
 * The browser's EventSource reconnects by itself (with Last-Event-ID). No external code. */
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  if (!status || !status.dataset.rowsUrl || !window.EventSource) { return; }
  var source = new EventSource(status.dataset.liveUrl);
  // A page left for another keeps no stream open (a browser allows six connections a host, and
  // kept pages would hold theirs); one brought back from the back/forward cache is reloaded.
  window.addEventListener("pagehide", function () { source.close(); });
  window.addEventListener("pageshow", function (event) { if (event.persisted) { window.location.reload(); } });

  function say(text) { if (text && status.textContent !== text) { status.textContent = text; } }

  if (status.dataset.rowsUrl) {
    var table = document.getElementById("queue-table");
    var timer = null, busy = false, again = false;
    var refresh = function () {
      if (busy) { again = true; return; }
      busy = true;
      fetch(status.dataset.rowsUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
        .then(function (html) {
          table.innerHTML = html;
          table.dataset.refreshed = String(Date.now());
          say(status.dataset.textUpdated);
        })
        .catch(function () { say(status.dataset.textOffline); })
        .finally(function () { busy = false; if (again) { again = false; refresh(); } });
    };
    source.addEventListener("open", function () { say(status.dataset.textConnected); });
    source.addEventListener("incident", function (event) {
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);  // one fetch for a burst of events
      var data = null;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      document.dispatchEvent(new CustomEvent("console:incident", { detail: data }));  // queue.js
    });
  }
  source.addEventListener("error", function () {
    if (status.dataset.textOffline && source.readyState !== EventSource.OPEN) {
      say(status.dataset.textOffline);
    }
  });
})();
