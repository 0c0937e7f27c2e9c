/* Suggestions under the pole and base-station fields while a dispatcher types.
 *
 * An <input data-suggest="URL"> gets a list of clickable candidates from URL?q=… (JSON:
 * {candidates: [{value, label, pole?}], more}). data-suggest-pole names the pole input: its
 * value narrows base stations, and choosing a base station fills it when it is empty.
 * Keyboard: ↓ moves into the list, ↑/↓ between candidates, Enter picks, Escape closes.
 * No inline script or style: the Content-Security-Policy allows only our own files.
 */
(function () {
  "use strict";

  var DELAY_MS = 150;

  function setup(input) {
    var list = document.createElement("ul");
    var timer = null;
    var asked = 0;
    var poleInput = input.dataset.suggestPole ? document.getElementById(input.dataset.suggestPole) : null;

    list.id = input.id + "_suggestions";
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.insertAdjacentElement("afterend", list);
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");

    function close() {
      list.hidden = true;
      list.textContent = "";
      input.setAttribute("aria-expanded", "false");
    }

    function choose(candidate) {
      input.value = candidate.value;
      if (candidate.pole && poleInput && !poleInput.value.trim()) {
        poleInput.value = candidate.pole;
      }
      close();
      input.focus();
    }

    function show(data) {
      list.textContent = "";
      (data.candidates || []).forEach(function (candidate) {
        var item = document.createElement("li");
        var button = document.createElement("button");
        item.setAttribute("role", "option");
        button.type = "button";
        button.className = "suggestion";
        button.textContent = candidate.label;
        button.dataset.value = candidate.value;
        button.addEventListener("click", function () { choose(candidate); });
        item.appendChild(button);
        list.appendChild(item);
      });
      if (data.more) {
        var more = document.createElement("li");
        more.className = "suggestions-more";
        more.textContent = "…";
        list.appendChild(more);
      }
      var any = list.querySelector("button") !== null;
      list.hidden = !any;
      input.setAttribute("aria-expanded", any ? "true" : "false");
    }

    function ask() {
      var text = input.value.trim();
      if (!text) { close(); return; }
      var url = new URL(input.dataset.suggest, window.location.href);
      url.searchParams.set("q", text);
      if (poleInput && poleInput.value.trim()) { url.searchParams.set("pole", poleInput.value.trim()); }
      var mine = ++asked;
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data && mine === asked) { show(data); } })
        .catch(function () { /* no suggestions: the field still works as before */ });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DELAY_MS);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { close(); }
      if (event.key === "ArrowDown" && !list.hidden) {
        event.preventDefault();
        list.querySelector("button").focus();
      }
    });
    list.addEventListener("keydown", function (event) {
      var buttons = Array.prototype.slice.call(list.querySelectorAll("button"));
      var at = buttons.indexOf(document.activeElement);
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        var next = at + (event.key === "ArrowDown" ? 1 : -1);
        if (next < 0) { input.focus(); } else if (next < buttons.length) { buttons[next].focus(); }
      } else if (event.key === "Escape") {
        close();
        input.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (event.target !== input && !list.contains(event.target)) { close(); }
    });
  }

  document.querySelectorAll("input[data-suggest]").forEach(setup);
})();
