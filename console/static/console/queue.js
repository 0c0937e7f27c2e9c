/* The queue page: the whole row opens its incident; j/k move through the rows, Enter opens,
 * a takes, x selects; the selection survives the live redraw and drives the bulk form (its
 * status list keeps only the statuses the workflow allows for every selected incident); the
 * filters fold behind one button on a phone; opt-in browser notifications of new mail. */
(function () {
  "use strict";
  var table = document.getElementById("queue-table");
  if (!table) { return; }
  var selected = {}, currentId = null;
  var transitions = {};
  var data = document.getElementById("status-transitions");
  if (data) { try { transitions = JSON.parse(data.textContent); } catch (e) { transitions = {}; } }

  function rows() { return Array.prototype.slice.call(table.querySelectorAll("tr[data-incident]")); }
  function rowOf(id) { return table.querySelector('tr[data-incident="' + id + '"]'); }

  /* The whole row is the link (other controls in it keep their own job). */
  table.addEventListener("click", function (event) {
    if (event.target.closest("a, button, input, label, select, summary")) { return; }
    var row = event.target.closest("tr[data-href]");
    if (!row) { return; }
    if (event.ctrlKey || event.metaKey) { window.open(row.dataset.href, "_blank"); }
    else { window.location.href = row.dataset.href; }
  });

  function markCurrent(row, focus) {
    rows().forEach(function (r) { r.classList.remove("is-current"); r.removeAttribute("aria-current"); });
    if (!row) { currentId = null; return; }
    currentId = row.dataset.incident;
    row.classList.add("is-current");
    row.setAttribute("aria-current", "true");
    if (focus) {
      var link = row.querySelector("a.row-link");
      if (link) { link.focus(); }
      row.scrollIntoView({ block: "nearest" });
    }
  }

  function move(step) {
    var list = rows();
    if (!list.length) { return; }
    var at = list.indexOf(currentId ? rowOf(currentId) : null);
    var next = at < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, at + step));
    markCurrent(list[next], true);
  }

  function currentRow() {
    var row = currentId ? rowOf(currentId) : null;
    if (!row && document.activeElement) { row = document.activeElement.closest("tr[data-incident]"); }
    return row;
  }

  document.addEventListener("console:key", function (event) {
    var key = event.detail.key, row;
    if (key === "j" || key === "ArrowDown" && event.detail.target === document.body) { move(1); }
    else if (key === "k" || key === "ArrowUp" && event.detail.target === document.body) { move(-1); }
    else if (key === "Enter") {
      if (event.detail.target.closest && event.detail.target.closest("a, button")) { return; }
      row = currentRow();
      if (!row) { return; }
      window.location.href = row.dataset.href;
    } else if (key === "a") {
      row = currentRow();
      var take = row && row.querySelector(".take-button");
      if (!take) { return; }
      take.click();
    } else if (key === "x") {
      row = currentRow();
      var box = row && row.querySelector("input[name=ids]");
      if (!box) { return; }
      box.checked = !box.checked;
      changed(box);
    } else { return; }
    event.preventDefault();
  });

  /* Selection for the bulk actions. */
  var count = document.querySelector("#bulk-count strong");
  var statusSelect = document.getElementById("bulk-status");

  function changed(box) {
    if (box.checked) { selected[box.value] = true; } else { delete selected[box.value]; }
    update();
  }

  function update() {
    var ids = Object.keys(selected);
    if (count) { count.textContent = String(ids.length); }
    var all = table.querySelector("#select-all");
    var boxes = table.querySelectorAll("input[name=ids]");
    if (all) { all.checked = boxes.length > 0 && ids.length >= boxes.length && Array.prototype.every.call(boxes, function (b) { return b.checked; }); }
    if (!statusSelect) { return; }
    var statuses = ids.map(function (id) { var r = rowOf(id); return r && r.dataset.status; })
      .filter(function (s) { return !!s; });
    Array.prototype.forEach.call(statusSelect.options, function (option) {
      if (!option.value) { return; }
      option.disabled = statuses.some(function (s) { return (transitions[s] || []).indexOf(option.value) < 0; });
    });
    if (statusSelect.selectedOptions.length && statusSelect.selectedOptions[0].disabled) { statusSelect.value = ""; }
  }

  table.addEventListener("change", function (event) {
    if (event.target.name === "ids") { changed(event.target); }
    else if (event.target.id === "select-all") {
      Array.prototype.forEach.call(table.querySelectorAll("input[name=ids]"), function (box) {
        box.checked = event.target.checked;
        if (box.checked) { selected[box.value] = true; } else { delete selected[box.value]; }
      });
      update();
    }
  });

  /* The live update swaps the table: put the selection and the current row back. */
  new MutationObserver(function () {
    Array.prototype.forEach.call(table.querySelectorAll("input[name=ids]"), function (box) {
      box.checked = !!selected[box.value];
    });
    if (currentId) { markCurrent(rowOf(currentId), false); }
    update();
  }).observe(table, { childList: true });

  /* On a phone the filters fold behind their summary. */
  var panel = document.getElementById("filters-panel");
  if (panel && window.matchMedia && window.matchMedia("(max-width: 700px)").matches) { panel.open = false; }

  /* Opt-in browser notifications when the live stream reports new unread mail. */
  var status = document.getElementById("live-status");
  if (status && status.dataset.notify === "on" && window.Notification) {
    var since = new Date(status.dataset.now || Date.now());
    var told = {};
    var ask = document.getElementById("notify-ask");
    if (ask && Notification.permission === "default") {
      ask.hidden = false;
      document.getElementById("notify-permission").addEventListener("click", function () {
        Notification.requestPermission().then(function () { ask.hidden = true; });
      });
    }
    document.addEventListener("console:incident", function (event) {
      var incident = event.detail;
      if (!incident || !incident.unread_since || Notification.permission !== "granted") { return; }
      var unread = new Date(incident.unread_since);
      if (unread <= since || told[incident.id] === incident.unread_since) { return; }
      told[incident.id] = incident.unread_since;
      var note = new Notification(status.dataset.textNotify + ": " + (incident.code || "№" + incident.id), {
        body: incident.subject || "", tag: "incident-" + incident.id
      });
      note.onclick = function () { window.focus(); window.location.href = rowOf(incident.id) ? rowOf(incident.id).dataset.href : window.location.href; };
    });
  }
})();
