/* The incident page.
 * 1. After a refused form the first field in error is scrolled into view and focused.
 * 2. Live: an event of the API's live stream (/api/v1/incidents/live/, the queue's stream) for
 *    this incident re-fetches the page and swaps its sections in place (a delivered
 *    notification, new mail, another dispatcher's change), except sections holding a form the
 *    dispatcher has started to fill in. If the fetch fails, it offers a reload instead.
 * No external code, no inline script (CSP). */
(function () {
  "use strict";

  function focusFirstError() {
    var field = document.querySelector("main [aria-invalid=true]");
    var target = field || document.querySelector("main .errorlist");
    if (!target) { return; }
    target.scrollIntoView({ block: "center" });
    if (field) { field.focus({ preventScroll: true }); }
  }
  focusFirstError();

  var status = document.getElementById("live-status");
  if (!status || !window.EventSource || !window.fetch) { return; }
  // Every card of the page by its id; of the status card only its buttons (its comment field
  // belongs to the edit card's form, which is kept while the dispatcher is filling it in).
  function sections() {
    var ids = Array.prototype.map.call(
      document.querySelectorAll(".incident-layout section.card[id]"), function (s) { return s.id; });
    return ids.filter(function (id) { return id !== "workflow"; }).concat(["status-actions"]);
  }
  var dirty = new WeakSet();  // forms the dispatcher typed into since the page was drawn
  document.addEventListener("input", function (event) { markDirty(event.target); });
  document.addEventListener("change", function (event) { markDirty(event.target); });
  function markDirty(control) {
    var form = control && control.form;
    if (form) { dirty.add(form); }
  }
  function holdsDirtyForm(section) {
    return Array.prototype.some.call(section.querySelectorAll("form"), function (form) {
      return dirty.has(form);
    });
  }

  function offerReload() {
    status.textContent = status.dataset.textChanged + " ";
    var link = document.createElement("a");
    link.href = window.location.pathname;
    link.textContent = status.dataset.textReload;
    status.appendChild(link);
  }

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var kept = 0;
    sections().forEach(function (id) {
      var old = document.getElementById(id), next = fresh.getElementById(id);
      if (!old || !next) { return; }
      if (holdsDirtyForm(old)) { kept += 1; return; }
      old.replaceWith(document.importNode(next, true));
    });
    var version = fresh.getElementById("live-status");
    if (version) { status.dataset.version = version.dataset.version; }
    status.textContent = kept ? status.dataset.textUpdatedKept : status.dataset.textUpdated;
    document.body.dataset.liveUpdated = String(Date.now());
  }

  var busy = false, again = false, timer = null;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(window.location.pathname, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(swap)
      .catch(offerReload)
      .finally(function () { busy = false; if (again) { again = false; refresh(); } });
  }

  var source = new EventSource(status.dataset.liveUrl);
  // A page left for another keeps no stream open (see console.js).
  window.addEventListener("pagehide", function () { source.close(); });
  window.addEventListener("pageshow", function (event) { if (event.persisted) { window.location.reload(); } });
  source.addEventListener("incident", function (event) {
    var data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    if (String(data.id) !== status.dataset.incident) { return; }
    if (data.updated_at && new Date(data.updated_at) <= new Date(status.dataset.version)) { return; }
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);  // one fetch for a burst of events
  });
})();
