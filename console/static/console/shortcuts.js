/* Keyboard shortcuts of the console pages. "?" opens the list (the page's #shortcuts dialog),
 * "/" goes to the search, "s" to the usual next step, "a" presses «Взять себе»; any other key is offered to the page first (a cancellable
 * "console:key" event on document: the queue handles j/k/Enter/a/x there), then to the element
 * whose aria-keyshortcuts names it (a link is followed, a button pressed). Keys typed into a
 * field, or with Ctrl/Alt/Meta, are left alone. */
(function () {
  "use strict";
  var help = document.getElementById("shortcuts");
  var opener = document.getElementById("shortcuts-open");

  function showHelp() {
    if (help && !help.open && help.showModal) { help.showModal(); }
  }
  if (opener) { opener.addEventListener("click", showHelp); }

  function typing(target) {
    return !!(target && target.closest &&
      target.closest("input, textarea, select, [contenteditable], dialog[open]"));
  }

  function search() {
    var field = document.getElementById("id_q");
    if (!field) { return false; }
    var panel = field.closest("details");
    if (panel) { panel.open = true; }
    field.focus();
    field.select();
    return true;
  }

  function statusButton() {
    var button = document.querySelector(
      "#workflow .next-step button, #workflow .status-buttons button[name=to]");
    if (!button) { return false; }
    button.focus();
    return true;
  }

  function press(id) {
    var button = document.getElementById(id);
    if (!button) { return false; }
    button.click();
    return true;
  }

  function byAttribute(key) {
    var nodes = document.querySelectorAll("[aria-keyshortcuts]");
    for (var i = 0; i < nodes.length; i++) {
      var keys = nodes[i].getAttribute("aria-keyshortcuts").split(" ");
      if (keys.indexOf(key) >= 0 && nodes[i].offsetParent !== null) {
        nodes[i].click();
        return true;
      }
    }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || event.isComposing) { return; }
    if (typing(event.target)) {
      if (event.key === "Escape" && event.target.blur) { event.target.blur(); }
      return;
    }
    var key = event.key, done = false;
    if (key === "?") { showHelp(); done = true; }
    else if (key === "/") { done = search(); }
    else {
      var offered = new CustomEvent("console:key", { detail: { key: key, target: event.target }, cancelable: true });
      if (!document.dispatchEvent(offered)) { done = true; }
      else if (key === "s") { done = statusButton(); }
      else if (key === "a") { done = press("take-button"); }
      else if (key.length === 1) { done = byAttribute(key); }
    }
    if (done) { event.preventDefault(); }
  });
})();
